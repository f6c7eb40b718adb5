"""Signal-level evaluation: the composed challenge set."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from servicelens.evidence.categories import CATEGORIES
from servicelens.files import read_jsonl
from servicelens.evaluation.metrics import prf
from servicelens.model.loaded import MODEL_SIGNAL_MIN, Model, unit_matches
from servicelens.model.scorer import PostingScorer
from servicelens.reading.sections import SCORED_SECTIONS
from servicelens.evidence.signals import NEGATION

CHALLENGE_FILE = "signals_challenge.jsonl"


def _decide(scorer: PostingScorer, units: list[str]) -> np.ndarray:
    """Categories (units x categories, 0/1) the product marks on each unit, read as a duty."""
    evidence = scorer.unit_evidence([[""] + units])
    decided = np.zeros((len(units), len(CATEGORIES)), dtype=int)
    for k, unit in enumerate(units):
        for match in unit_matches(evidence, k, len(unit)):
            if match.category != NEGATION and match.polarity != "negated":
                decided[k, CATEGORIES.index(match.category)] = 1
    return decided


def challenge_set(model: Model, path: Path) -> dict:
    """Exact category-set accuracy and per-category P/R/F1 on the composed units."""
    rows = read_jsonl(path)
    truth = np.zeros((len(rows), len(CATEGORIES)), dtype=int)
    decided = np.zeros_like(truth)
    scored = [i for i, row in enumerate(rows) if row["section"] in SCORED_SECTIONS]
    decided[scored] = _decide(model.estimator, [model.prepare(rows[i]["text"]).clean.text for i in scored])
    for i, row in enumerate(rows):
        for category in row["expected"]:
            truth[i, CATEGORIES.index(category)] = 1
    exact = (truth == decided).all(axis=1)
    misses = [{"id": row["id"], "text": row["text"], "expected": row["expected"],
               "found": [c for j, c in enumerate(CATEGORIES) if decided[i, j]]}
              for i, row in enumerate(rows) if not exact[i]]
    by_polarity = {}
    for polarity in sorted({row["polarity"] for row in rows}):
        idx = [i for i, row in enumerate(rows) if row["polarity"] == polarity]
        by_polarity[polarity] = {"units": len(idx), "exact": round(float(exact[idx].mean()), 3)}
    return {"units": len(rows), "exact_match": round(float(exact.mean()), 3), "by_polarity": by_polarity,
            "categories": prf(truth, decided, CATEGORIES), "misses": misses, "model_signal_min": MODEL_SIGNAL_MIN}
