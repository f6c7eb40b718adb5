"""Which customer groups a posting serves, learned from the labelled corpus.

For every posting and every group of the taxonomy, one row of features joins three readings:

- what the **rules** found (:func:`~servicelens.evidence.groups.candidate_features`): served and
  unserved mentions by section, how much of the posting they hold, the O*NET inferred confidence;
- the posting's **words**: one logistic regression per group over the scorer's TF-IDF of the text;
- its **title**: one logistic regression per group over the title model's character n-grams.

A pooled logistic regression over those rows (with the group as a feature) gives each group's
probability. It is fitted on out-of-fold word and title probabilities, so it weighs them as they
are on postings it has not seen, and its probabilities are calibrated on held-out labels
(``servicelens evaluate`` prints the reliability table).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from servicelens.evidence.groups import FEATURES
from servicelens.model.linear import Logistic, State, nested, unnest

#: Inverse regularisation of the per-group word and title models and of the pooled model.
C_WORDS, C_POOLED = 4.0, 0.3


class GroupModel:
    """Posting x group probabilities from rule features, word and title probabilities."""

    def __init__(self, c_words: float = C_WORDS, c_pooled: float = C_POOLED):
        self.c_words = c_words
        self.c_pooled = c_pooled

    # -- features --------------------------------------------------------------------------
    def rows(self, rules: np.ndarray, words: np.ndarray, titles: np.ndarray) -> np.ndarray:
        """One row per (posting, group): ``rules`` (postings x groups x rule features), ``words`` and
        ``titles`` (postings x groups, probabilities)."""
        n, g, _ = rules.shape
        logit = np.log(np.clip(words, 1e-6, 1 - 1e-6) / np.clip(1 - words, 1e-6, 1))
        onehot = np.broadcast_to(np.eye(g), (n, g, g))
        return np.concatenate([rules, words[..., None], titles[..., None], logit[..., None], onehot], axis=2
                              ).reshape(n * g, -1)

    def word_probabilities(self, text_X) -> np.ndarray:
        return self.words_.predict_proba(text_X)

    def title_probabilities(self, title_X) -> np.ndarray:
        return self.titles_.predict_proba(title_X)

    def probabilities(self, rules: np.ndarray, text_X, title_X) -> np.ndarray:
        """Postings x groups: the probability that the posting serves each group."""
        if not len(rules):
            return np.zeros((0, len(self.groups_)))
        rows = self.rows(rules, self.word_probabilities(text_X), self.title_probabilities(title_X))
        return self.final_.predict_proba(rows)[:, 0].reshape(rules.shape[0], rules.shape[1])

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, groups: Sequence[str], rules: np.ndarray, text_X, title_X, served: np.ndarray,
            families: Sequence[str], folds: int = 5):
        """``served`` (postings x groups, 0/1) are the labels; ``families`` keep a family on one side
        of the folds that give the pooled model its out-of-fold word and title probabilities."""
        from sklearn.model_selection import GroupKFold

        self.groups_ = list(groups)
        words, titles = np.zeros(served.shape), np.zeros(served.shape)
        for train, test in GroupKFold(folds).split(served, served, families):
            words[test] = self._per_group(text_X[train], served[train]).predict_proba(text_X[test])
            titles[test] = self._per_group(title_X[train], served[train]).predict_proba(title_X[test])
        self.words_ = self._per_group(text_X, served)
        self.titles_ = self._per_group(title_X, served)
        self.final_ = self._pooled(self.rows(rules, words, titles), served.reshape(-1))
        return self

    def _per_group(self, X, served: np.ndarray) -> Logistic:
        """One logistic regression per group (a group too rare to fit keeps its base rate)."""
        from sklearn.linear_model import LogisticRegression

        coef = np.zeros((served.shape[1], X.shape[1]))
        intercept = np.zeros(served.shape[1])
        for j in range(served.shape[1]):
            y = served[:, j]
            if y.sum() < 2 or y.sum() > len(y) - 2:
                rate = np.clip(y.mean(), 1e-3, 1 - 1e-3)
                intercept[j] = np.log(rate / (1 - rate))
                continue
            fitted = LogisticRegression(C=self.c_words, max_iter=2000).fit(X, y)
            coef[j], intercept[j] = fitted.coef_[0], fitted.intercept_[0]
        return Logistic(coef, intercept)

    def _pooled(self, rows: np.ndarray, served: np.ndarray) -> Logistic:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        pipeline = Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression(C=self.c_pooled, max_iter=5000))])
        return Logistic.from_sklearn(pipeline.fit(rows, served))

    # -- storage -------------------------------------------------------------------------------
    def state(self) -> State:
        spec, arrays = nested(words=self.words_.state(), titles=self.titles_.state(), final=self.final_.state())
        spec.update(c_words=self.c_words, c_pooled=self.c_pooled, groups=self.groups_, rule_features=list(FEATURES))
        return spec, arrays

    @classmethod
    def from_state(cls, spec: dict, arrays: dict) -> GroupModel:
        model = cls(spec["c_words"], spec["c_pooled"])
        model.groups_ = spec["groups"]
        model.words_ = Logistic.from_state(*unnest(spec, arrays, "words"))
        model.titles_ = Logistic.from_state(*unnest(spec, arrays, "titles"))
        model.final_ = Logistic.from_state(*unnest(spec, arrays, "final"))
        return model
