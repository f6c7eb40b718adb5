"""Signal-level evaluation: O*NET task statements of held-out groups, and the composed challenge set."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from servicelens.evidence.categories import CATEGORIES
from servicelens.files import read_jsonl
from servicelens.evaluation.metrics import prf
from servicelens.model.loaded import MODEL_SIGNAL_MIN, Model, unit_matches
from servicelens.model.linear import TfidfLogistic
from servicelens.model.scorer import PostingScorer, sentence_targets
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


def sentence_level(scorer: PostingScorer, sentences: pd.DataFrame, folds: int = 5) -> dict:
    """Per-category P/R/F1 of the marked signals on task statements of held-out SOC minor groups."""
    truth = sentence_targets(sentences)
    decided = np.zeros_like(truth)
    texts = sentences["text"].tolist()
    for train, test in GroupKFold(folds).split(texts, truth, sentences["group"]):
        fold = PostingScorer(**scorer.get_params())
        fold.patterns_ = scorer.patterns_
        fold.sentence_model_ = TfidfLogistic.from_sklearn(fold.sentence_pipeline().fit([texts[i] for i in train],
                                                                                        truth[train]))
        decided[test] = _decide(fold, [texts[i] for i in test])
    return prf(truth, decided, CATEGORIES)


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
