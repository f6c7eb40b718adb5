"""The posting scorer: an sklearn estimator over the units of a posting, explainable additively.

X is a sequence of postings, each a list of unit strings (title first, then sentences/bullets).
``predict`` returns one row per posting with the targets ``cs_score``, ``external``, ``internal``;
``explain`` splits one posting's prediction into a base value plus one contribution per unit.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge

TARGETS = ("cs_score", "external", "internal")


def _join(units: Sequence[str]) -> str:
    return "\n".join(units)


class TextRidgeScorer(BaseEstimator, RegressorMixin):
    """TF-IDF of the whole posting + Ridge; each unit's contribution is its terms' share."""

    def __init__(self, alpha: float = 0.3, min_df: int = 2, ngram_range: tuple[int, int] = (1, 2)):
        self.alpha = alpha
        self.min_df = min_df
        self.ngram_range = ngram_range

    def fit(self, X: Sequence[Sequence[str]], y, sample_weight=None, sentences=None):
        self.vectorizer_ = TfidfVectorizer(sublinear_tf=True, min_df=self.min_df, ngram_range=self.ngram_range)
        features = self.vectorizer_.fit_transform([_join(units) for units in X])
        self.ridge_ = Ridge(alpha=self.alpha).fit(features, np.asarray(y, dtype=float), sample_weight=sample_weight)
        return self

    def predict(self, X: Sequence[Sequence[str]]) -> np.ndarray:
        return np.atleast_2d(self.ridge_.predict(self.vectorizer_.transform([_join(u) for u in X])).T).T

    def explain(self, units: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        doc = self.vectorizer_.transform([_join(units)])
        coef = np.atleast_2d(self.ridge_.coef_)
        analyzer = self.vectorizer_.build_analyzer()
        vocab = self.vectorizer_.vocabulary_
        unit_terms = [[vocab[t] for t in analyzer(u) if t in vocab] for u in units]
        totals: dict[int, int] = {}
        for terms in unit_terms:
            for t in terms:
                totals[t] = totals.get(t, 0) + 1
        weight = {j: doc[0, j] for j in totals}
        contributions = np.zeros((len(units), coef.shape[0]))
        for i, terms in enumerate(unit_terms):
            for t in terms:
                contributions[i] += coef[:, t] * weight[t] / totals[t]
        return np.atleast_1d(self.ridge_.intercept_).astype(float), contributions


def build_scorer(seed: int = 13) -> BaseEstimator:
    return TextRidgeScorer()
