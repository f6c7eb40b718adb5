"""Measured accuracy of customer groups: the composed gold set (dev and test halves) and the
dev postings (which groups health, education and IT postings get)."""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np

from servicelens.evidence.groups import reported
from servicelens.evaluation.metrics import prf

GOLD_FILE = "gold_groups.jsonl"
#: Real development postings labelled with their groups before the corpus, by ``job_id`` (kept beside it).
REAL_GROUPS_FILE = "postings_dev_groups.jsonl"


def named_groups(model, text: str, title: str | None) -> list[str]:
    """The group ids a model names for one posting (what the gold set is compared with)."""
    return [g.group for g in reported(model.groups(model.prepare(text, title)))]


def set_metrics(pairs: Iterable[tuple[set[str], set[str]]]) -> dict:
    """Micro and per-group precision, recall and F1 of predicted vs expected group sets."""
    pairs = list(pairs)
    groups = sorted({g for predicted, expected in pairs for g in predicted | expected})
    if not groups:
        return {"micro": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}, "per_group": {}}
    pred = np.array([[g in predicted for g in groups] for predicted, _ in pairs], dtype=int)
    truth = np.array([[g in expected for g in groups] for _, expected in pairs], dtype=int)
    per_group = prf(truth, pred, groups)
    micro = {**per_group.pop("micro"), "support": int(truth.sum())}
    return {"micro": micro, "per_group": per_group}


def gold_report(predict: Callable[[str, str], Sequence[str]], gold: list[dict]) -> dict:
    """Metrics per split of the gold set, and per batch of a split written in several ("dev, batch
    2": postings the rules had not seen when that batch was added); ``predict(text, title)`` returns
    the reported group ids."""
    def block(pairs: list) -> dict:
        return {**set_metrics((got, set(row["groups"])) for got, row in pairs), "postings": len(pairs)}

    named = [(set(predict(row["text"], row["title"])), row) for row in gold]
    out = {}
    for split in sorted({row["split"] for row in gold}):
        rows = [(got, row) for got, row in named if row["split"] == split]
        out[split] = block(rows)
        batches = sorted({row.get("batch", 1) for _, row in rows})
        if len(batches) > 1:
            for b in batches:
                out[f"{split}, batch {b}"] = block([(got, row) for got, row in rows if row.get("batch", 1) == b])
    return out


BINS = (0.15, 0.3, 0.5, 0.7, 0.85, 1.0001)


def corpus_groups_report(found: Sequence[Sequence], expected: Sequence[dict[str, str]], sources: Sequence[str],
                         threshold: float) -> dict:
    """Groups on labelled postings: ``found[i]`` the model's groups of posting ``i`` (``CustomerGroup``),
    ``expected[i]`` its labelled groups as ``{group: kind}`` (explicit or implied).

    Micro and per-group figures of the named groups; explicit and inferred apart (precision: of the
    groups named that way, the share labelled at all; recall: of the groups labelled that way, the
    share named at all); by source; and the reliability of the confidence."""
    named = [{g.group: g.kind for g in groups if g.confidence >= threshold} for groups in found]
    out = {**set_metrics((set(n), set(e)) for n, e in zip(named, expected)), "postings": len(found)}
    kinds = {}
    for model_kind, label_kind in (("explicit", "explicit"), ("inferred", "implied")):
        said = sum(1 for n in named for k in n.values() if k == model_kind)
        right = sum(1 for n, e in zip(named, expected) for g, k in n.items() if k == model_kind and g in e)
        labelled = sum(1 for e in expected for k in e.values() if k == label_kind)
        caught = sum(1 for n, e in zip(named, expected) for g, k in e.items() if k == label_kind and g in n)
        p, r = right / said if said else 0.0, caught / labelled if labelled else 0.0
        kinds[model_kind] = {"precision": round(p, 3), "recall": round(r, 3),
                             "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0, "named": said, "labelled": labelled}
    out["by_kind"] = kinds
    out["by_source"] = {s: set_metrics((set(n), set(e)) for n, e, src in zip(named, expected, sources) if src == s)["micro"]
                        for s in dict.fromkeys(sources)}
    pairs = [(g.confidence, g.group in e) for groups, e in zip(found, expected) for g in groups]
    table = []
    for lo, hi in zip(BINS, BINS[1:]):
        inside = [(c, s) for c, s in pairs if lo <= c < hi]
        if inside:
            table.append({"from": lo, "to": min(hi, 1.0), "groups": len(inside),
                          "mean_confidence": round(float(np.mean([c for c, _ in inside])), 3),
                          "share_served": round(float(np.mean([s for _, s in inside])), 3)})
    out["reliability"] = table
    return out


def keyword_groups(rules, text: str, title: str) -> set[str]:
    """The keyword baseline: every group one of whose terms occurs in the title or the text."""
    from servicelens.rules import Units

    joined = Units([title, text])
    return {m.group for unit in rules.mentions(joined) for m in unit}
