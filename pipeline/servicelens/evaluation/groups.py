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


def dev_groups_report(groups: Sequence[Sequence], functions: Sequence[list[str]], threshold: float) -> dict:
    """How the groups of real postings look by job function.

    ``groups[i]`` are the :class:`~servicelens.evidence.groups.CustomerGroup` of posting ``i`` (by confidence).
    Health: share whose top external group is ``patients``; Education: share naming ``students``
    (confidence >= ``threshold``); IT: share whose named groups are all internal or ``end_users``.
    """
    def top_external(found) -> str | None:
        return next((g.group for g in found if g.scope == "external"), None)

    def named(found) -> set[str]:
        return {g.group for g in found if g.confidence >= threshold}

    def share(tag: str, test: Callable) -> dict:
        rows = [found for found, tags in zip(groups, functions) if tag in tags]
        return {"n": len(rows), "share": round(sum(bool(test(f)) for f in rows) / len(rows), 3) if rows else None}

    return {
        "health_top_external_patients": share("Health Care Provider", lambda f: top_external(f) == "patients"),
        "education_students": share("Education", lambda f: "students" in named(f)),
        "it_internal_or_end_users_only": share(
            "Information Technology", lambda f: all(g.scope == "internal" or g.group == "end_users"
                                                    for g in f if g.confidence >= threshold)),
        "named_groups_per_posting": round(sum(len(named(f)) for f in groups) / max(len(groups), 1), 2),
    }


def format_groups(metrics: dict) -> list[str]:
    lines = []
    sets = [("gold", split, block) for split, block in metrics.get("groups_gold", {}).items()]
    sets += [("labelled real postings", split, block) for split, block in metrics.get("groups_real", {}).items()]
    for name, split, block in sets:
        micro = block["micro"]
        lines.append(f"Customer groups, {name}, {split} ({block['postings']} postings): micro "
                     f"P {micro['precision']:.2f} R {micro['recall']:.2f} F1 {micro['f1']:.2f}")
        lines.append("  " + ", ".join(f"{g} {v['precision']:.2f}/{v['recall']:.2f}" for g, v in block["per_group"].items())
                     + "  (P/R)")
    dev = metrics.get("groups_dev_postings")
    if dev:
        lines.append("Customer groups on dev postings: "
                     f"Health Care Provider top external = patients {dev['health_top_external_patients']['share']:.0%} "
                     f"(n={dev['health_top_external_patients']['n']}); Education naming students "
                     f"{dev['education_students']['share']:.0%} (n={dev['education_students']['n']}); "
                     f"IT internal or end_users only {dev['it_internal_or_end_users_only']['share']:.0%} "
                     f"(n={dev['it_internal_or_end_users_only']['n']}); "
                     f"{dev['named_groups_per_posting']} groups named per posting")
    return lines


#: Confidence bins of the reliability table (the share served in each should match its confidence).
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
