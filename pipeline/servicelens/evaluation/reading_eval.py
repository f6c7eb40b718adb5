"""How a model reads postings, measured on lines labelled on real postings.

- **Sections** (``section_labels.jsonl``): headings and lines of real postings of seven sources, each
  labelled with the part of the posting it belongs to. The model's section labeller is scored on
  them per section, and on what matters for the score: whether a line is read as duties or
  requirements (scored) or not.
- **Statements** (``statements_challenge.jsonl``): negated, hedged and contrastive statements of real
  postings, labelled by what they say about serving people. For each, what the model's evidence
  adds (a statement's words and signals, in points of the score).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Mapping

import numpy as np

from servicelens.datasets.corpus import SourcePosting
from servicelens.files import read_jsonl
from servicelens.reading.posting import prepare
from servicelens.reading.sections import SECTIONS, SCORED_SECTIONS

SECTIONS_FILE = "section_labels.jsonl"
STATEMENTS_FILE = "statements_challenge.jsonl"


def _unit_at(posting, start: int) -> int | None:
    for i in range(len(posting.bounds)):
        s, e = posting.original_span(i)
        if s <= start < e:
            return i
    return None


def sections_report(model, path: Path, postings: Mapping[tuple[str, str], SourcePosting], half: str = "test") -> dict:
    """Accuracy of the section labeller on one half of the labelled lines (the development half was
    used to write the rules; the test half was not)."""
    rows = [r for r in read_jsonl(path) if r["half"] == half and (r["source"], r["id"]) in postings]
    prepared: dict = {}
    pairs = []
    for r in rows:
        key = (r["source"], r["id"])
        if key not in prepared:
            prepared[key] = prepare(postings[key].text, postings[key].title, model.section_rules)
        p = prepared[key]
        k = _unit_at(p, r["start"])
        found = p.sections[k].section if k is not None else "other"
        pairs.append((r["section"], "other" if found == "title" else found))
    if not pairs:
        return {}
    out = {"lines": len(pairs), "half": half, "accuracy": round(float(np.mean([a == b for a, b in pairs])), 3)}
    per = {}
    for section in SECTIONS:
        truth = [b for a, b in pairs if a == section]
        said = [a for a, b in pairs if b == section]
        per[section] = {"lines": len(truth), "recall": round(float(np.mean([b == section for b in truth])), 3) if truth else None,
                        "precision": round(float(np.mean([a == section for a in said])), 3) if said else None}
    out["per_section"] = per
    scored = lambda s: s in SCORED_SECTIONS
    out["scored_or_not_accuracy"] = round(float(np.mean([scored(a) == scored(b) for a, b in pairs])), 3)
    out["scored_but_should_not_be"] = sum(1 for a, b in pairs if not scored(a) and scored(b))
    out["not_scored_but_should_be"] = sum(1 for a, b in pairs if scored(a) and not scored(b))
    return out


def statements_report(model, path: Path, postings: Mapping[tuple[str, str], SourcePosting]) -> dict:
    """What the model adds for each kind of statement (the statement read on its own, as a duty)."""
    rows = [r for r in read_jsonl(path) if (r["source"], r["id"]) in postings]
    by_stance: dict[str, list[float]] = {}
    signs: dict[str, Counter] = {}
    for r in rows:
        post = postings[(r["source"], r["id"])]
        text = post.text[r["start"]:r["end"]]
        units = ["", model.prepare(text).clean.text]
        parts = model.estimator.contributions([units])
        points = float(parts.units[0, 0]) if len(parts.units) else 0.0
        signal = float(parts.signals[0, 0]) if len(parts.signals) else 0.0
        by_stance.setdefault(r["stance"], []).append(points)
        signs.setdefault(r["stance"], Counter())["adds" if signal > 0.05 else "takes off" if signal < -0.05 else "none"] += 1
    return {stance: {"statements": len(v), "mean_points": round(float(np.mean(v)), 2),
                     "signals": dict(signs[stance])} for stance, v in sorted(by_stance.items())}
