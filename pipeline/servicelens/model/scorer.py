"""The posting scorer: evidence per unit, combined additively into a calibrated 0-100 score.

X is a sequence of postings, each a list of unit strings: the title first ("" when unknown), then
the units that describe the work (duties and requirements; the caller leaves out about-us,
benefits and legal text). The scorer has four named parts, each fitted with scikit-learn and kept
as plain arrays (:mod:`servicelens.model.linear`):

- ``text_model_``: TF-IDF of the posting -> ridge on the three targets;
- ``title_model_``: character n-grams of the title -> ridge, trained on O*NET titles and their
  alternate titles;
- ``sentence_model_``: TF-IDF of one unit -> one logistic regression per signal category,
  trained on O*NET task statements labelled through their Generalized Work Activities;
- ``final_``: ridge over the stacked evidence (out-of-fold predictions of the parts above, and
  per-category evidence from the sentence model and the phrase patterns).

Every feature is a sum over units, so a prediction splits exactly into a base value plus one
contribution per unit (``explain``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np
import scipy.sparse as sp

from servicelens.evidence.categories import CATEGORIES, EXTERNAL_CATEGORIES, GWA_CATEGORY
from servicelens.evidence.signals import NEGATION, SignalPatterns, weight
from servicelens.model.linear import Linear, Logistic, State, Tfidf, nested, unit_word_ngrams, unnest
from servicelens.model.ngrams import SharedVocabulary

if TYPE_CHECKING:  # pandas is needed to train, not to score
    import pandas as pd

TARGETS = ("cs_score", "external", "internal")
#: Points an explicit "no customer contact" statement takes off the external targets. Not learned:
#: O*NET task statements never say what a job does not do.
NEGATION_POINTS = 8.0


def _join(units: Sequence[str]) -> str:
    return "\n".join(u for u in units if u)


@dataclass
class TfidfLinear:
    """A TF-IDF weighting and a ridge over it (the text and title models)."""

    tfidf: Tfidf
    linear: Linear

    def predict(self, docs: Sequence[str]) -> np.ndarray:
        return self.linear.predict(self.tfidf.transform(docs))

    def state(self) -> State:
        return nested(tfidf=self.tfidf.state(), linear=self.linear.state())

    @classmethod
    def from_state(cls, spec: dict, arrays: dict) -> TfidfLinear:
        return cls(Tfidf.from_state(*unnest(spec, arrays, "tfidf")), Linear.from_state(*unnest(spec, arrays, "linear")))

    @classmethod
    def from_sklearn(cls, pipeline, analyzer: str | None = None) -> TfidfLinear:
        return cls(Tfidf.from_sklearn(pipeline.steps[0][1], analyzer), Linear.from_sklearn(pipeline.steps[-1][1]))


@dataclass
class TfidfLogistic:
    """A TF-IDF weighting and one logistic regression per category over it (the sentence model)."""

    tfidf: Tfidf
    logistic: Logistic

    def predict_proba(self, docs: Sequence[str]) -> np.ndarray:
        return self.logistic.predict_proba(self.tfidf.transform(docs))

    def state(self) -> State:
        return nested(tfidf=self.tfidf.state(), logistic=self.logistic.state())

    @classmethod
    def from_state(cls, spec: dict, arrays: dict) -> TfidfLogistic:
        return cls(Tfidf.from_state(*unnest(spec, arrays, "tfidf")),
                   Logistic.from_state(*unnest(spec, arrays, "logistic")))

    @classmethod
    def from_sklearn(cls, pipeline) -> TfidfLogistic:
        return cls(Tfidf.from_sklearn(pipeline.steps[0][1]), Logistic.from_sklearn(pipeline.steps[-1][1]))


def sentence_targets(sentences: pd.DataFrame) -> np.ndarray:
    """0/1 matrix (sentences x categories) from the sentence table's GWA labels."""
    y = np.zeros((len(sentences), len(CATEGORIES)), dtype=int)
    for label, category in GWA_CATEGORY.items():
        y[:, CATEGORIES.index(category)] |= sentences[label].to_numpy(dtype=int)
    return y


class UnitEvidence:
    """Per-unit category evidence of a batch of postings (from the sentence model and patterns)."""

    def __init__(self, owners: np.ndarray, evidence: np.ndarray, negations: np.ndarray, matches: list):
        self.owners = owners  # posting index of each unit (title excluded)
        self.evidence = evidence  # units x categories, 0-1
        self.negations = negations  # units, count of negation statements
        self.matches = matches  # units -> pattern matches (for reporting signals)


class PostingScorer:
    """Scores postings (see the module's docstring); scikit-learn's estimator contract without its
    base class, so that scoring never imports scikit-learn."""

    def __init__(self, text_alpha: float = 0.3, title_alpha: float = 3.0, final_alpha: float = 1.0,
                 sentence_C: float = 4.0, evidence_threshold: float = 0.5, inner_folds: int = 5,
                 patterns: str | None = None):
        self.text_alpha = text_alpha
        self.title_alpha = title_alpha
        self.final_alpha = final_alpha
        self.sentence_C = sentence_C
        self.evidence_threshold = evidence_threshold
        self.inner_folds = inner_folds
        self.patterns = patterns

    def get_params(self, deep: bool = True) -> dict:
        """The parameters ``__init__`` stored (``sklearn.base.clone`` copies a scorer by them)."""
        return {name: getattr(self, name) for name in ("text_alpha", "title_alpha", "final_alpha", "sentence_C",
                                                       "evidence_threshold", "inner_folds", "patterns")}

    # -- the parts -------------------------------------------------------------------------
    def text_pipeline(self):
        """The unfitted text model (scikit-learn, imported only to fit)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import Pipeline

        return Pipeline([("tfidf", TfidfVectorizer(sublinear_tf=True, min_df=2, analyzer=unit_word_ngrams)),
                         ("ridge", Ridge(alpha=self.text_alpha))])

    def title_pipeline(self):
        """The unfitted title model."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import Pipeline

        return Pipeline([("tfidf", TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5), min_df=2)),
                         ("ridge", Ridge(alpha=self.title_alpha))])

    def sentence_pipeline(self):
        """The unfitted sentence model: one logistic regression per signal category."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import Pipeline

        classifier = LogisticRegression(C=self.sentence_C, max_iter=2000, class_weight="balanced")
        return Pipeline([("tfidf", TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2))),
                         ("clf", OneVsRestClassifier(classifier))])

    def _fit_parts(self, X, y, titles, sentences, weights=None):
        """The text, title and sentence models, fitted with scikit-learn and kept as arrays."""
        text = self.text_pipeline().fit([_join(u) for u in X], y, ridge__sample_weight=weights)
        title_texts = [t for units, extra in zip(X, titles) for t in [units[0], *extra] if t]
        per_posting = [sum(1 for t in [units[0], *extra] if t) for units, extra in zip(X, titles)]
        title_y = np.repeat(y, per_posting, axis=0)
        title_w = None if weights is None else np.repeat(weights, per_posting)
        title = self.title_pipeline().fit(title_texts, title_y, ridge__sample_weight=title_w)
        sentence = self.sentence_pipeline().fit(sentences["text"].tolist(), sentence_targets(sentences))
        return (TfidfLinear.from_sklearn(text, "unit_word"), TfidfLinear.from_sklearn(title),
                TfidfLogistic.from_sklearn(sentence))

    # -- evidence ----------------------------------------------------------------------------
    def unit_evidence(self, X: Sequence[Sequence[str]], sentence_model=None, sentence_X=None) -> UnitEvidence:
        """Per-unit category evidence; ``sentence_X`` is the units' TF-IDF when already computed."""
        sentence_model = sentence_model or self.sentence_model_
        owners = np.asarray([i for i, posting in enumerate(X) for _ in posting[1:]], dtype=int)
        evidence = np.zeros((len(owners), len(CATEGORIES)))
        negations = np.zeros(len(owners))
        matches = []
        if len(owners):
            if sentence_X is None:
                proba = sentence_model.predict_proba([unit for posting in X for unit in posting[1:]])
            else:
                proba = sentence_model.logistic.predict_proba(sentence_X)
            evidence = np.clip((proba - self.evidence_threshold) / (1 - self.evidence_threshold), 0, 1)
        by_posting = [self.patterns_.find_all(posting[1:]) for posting in X]
        for k, found in enumerate(m for posting in by_posting for m in posting):
            matches.append(found)
            for match in found:
                if match.category == NEGATION:
                    negations[k] += 1
                else:
                    j = CATEGORIES.index(match.category)
                    evidence[k, j] = max(evidence[k, j], weight(match))
            if negations[k]:  # a negated unit carries no learned evidence for external service
                for category in EXTERNAL_CATEGORIES:
                    j = CATEGORIES.index(category)
                    if not any(m.category == category for m in found):
                        evidence[k, j] = 0.0
        return UnitEvidence(owners, evidence, negations, matches)

    def _word_features(self, X, text, sentence) -> tuple[sp.csr_matrix, sp.csr_matrix, _TextTerms]:
        """TF-IDF of each posting (text model) and of each unit (sentence model), analysed once;
        with the text model's terms of each unit, so its prediction can be shared out among them."""
        fitted = text is getattr(self, "text_model_", None)  # else one fold's parts while fitting
        shared = getattr(self, "_shared", None) if fitted else None
        if shared is None:
            shared = SharedVocabulary([text.tfidf, sentence.tfidf])
            if fitted:  # the fitted parts merge their vocabularies once
                self._shared = shared
        docs = [unit for posting in X for unit in posting]
        is_title = _title_rows(X)
        posting_rows = np.repeat(np.arange(len(X)), [len(p) for p in X])
        unit_rows = np.where(is_title, -1, np.cumsum(~is_title) - 1)  # the title is no sentence-model unit
        n_units = int(len(docs) - is_title.sum())
        unit_counts, sentence_counts = shared.counts(docs, [np.arange(len(docs)), unit_rows], [len(docs), n_units])
        to_postings = sp.csr_matrix((np.ones(len(docs)), (posting_rows, np.arange(len(docs)))),
                                    shape=(len(X), len(docs)))
        posting_counts = to_postings @ unit_counts
        posting_counts.sum_duplicates()
        text_X = text.tfidf.weigh(posting_counts)
        terms = _TextTerms(unit_counts, posting_counts, text_X, posting_rows)
        return text_X, sentence.tfidf.weigh(sentence_counts), terms

    @staticmethod
    def _unit_scale(X) -> np.ndarray:
        """Evidence is summed over units and divided by sqrt(#units): long postings are not louder."""
        return 1.0 / np.sqrt(np.maximum([len(p) - 1 for p in X], 1))

    def _features(self, X, parts) -> tuple[np.ndarray, UnitEvidence, _TextTerms]:
        text, title, sentence = parts
        text_X, sentence_X, terms = self._word_features(X, text, sentence)
        ev = self.unit_evidence(X, sentence, sentence_X)
        summed = np.zeros((len(X), len(CATEGORIES)))
        np.add.at(summed, ev.owners, ev.evidence)
        summed *= self._unit_scale(X)[:, None]
        has_title = np.array([1.0 if p and p[0] else 0.0 for p in X])
        # An export repeats its titles ("Cashier", "Registered Nurse"): each is read once.
        titles, where = np.unique([p[0] if p and p[0] else " " for p in X], return_inverse=True)
        title_pred = title.predict(list(titles))[where.reshape(-1)]
        title_pred = title_pred * has_title[:, None]
        features = np.hstack([text.linear.predict(text_X), title_pred, has_title[:, None], summed])
        return features, ev, terms

    # -- sklearn API -------------------------------------------------------------------------
    def fit(self, X: Sequence[Sequence[str]], y, *, groups, sentences: pd.DataFrame, titles=None, codes=None,
            sample_weight=None):
        """Fit on postings ``X`` (unit lists), targets ``y`` (n x 3) and grouping ``groups``.

        ``sentences`` is the O*NET sentence table (its ``code`` column is matched to ``codes`` so
        out-of-fold parts never see the task statements of the occupations they predict);
        ``titles`` gives each posting's extra titles (O*NET alternate titles) for the title model;
        ``sample_weight`` weighs postings in the posting-level models (the user's labels count more).
        """
        from sklearn.linear_model import Ridge
        from sklearn.model_selection import GroupKFold

        X = [list(p) for p in X]
        y = np.asarray(y, dtype=float)
        groups = np.asarray(groups)
        titles = titles if titles is not None else [[] for _ in X]
        codes = np.asarray(codes if codes is not None else groups)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.patterns_ = SignalPatterns(self.patterns)
        stacked = np.zeros((len(X), 2 * y.shape[1] + 1 + len(CATEGORIES)))
        for train, test in GroupKFold(self.inner_folds).split(X, y, groups):
            train_codes = set(codes[train])
            parts = self._fit_parts([X[i] for i in train], y[train], [titles[i] for i in train],
                                    sentences[sentences["code"].isin(train_codes)],
                                    None if weights is None else weights[train])
            stacked[test] = self._features([X[i] for i in test], parts)[0]
        self.text_model_, self.title_model_, self.sentence_model_ = self._fit_parts(X, y, titles, sentences, weights)
        self.feature_means_ = stacked.mean(axis=0) if weights is None else np.average(stacked, axis=0, weights=weights)
        self.final_ = Linear.from_sklearn(Ridge(alpha=self.final_alpha).fit(stacked, y, sample_weight=weights))
        self.pattern_version_ = self.patterns_.version
        return self

    # -- storage -----------------------------------------------------------------------------
    def state(self) -> State:
        """The fitted scorer as arrays and a JSON spec (its parameters and pattern rules as data)."""
        spec, arrays = nested(text=self.text_model_.state(), title=self.title_model_.state(),
                              sentence=self.sentence_model_.state(), final=self.final_.state())
        spec.update(params=self.get_params(), patterns=self.patterns_.rule_data(), pattern_version=self.pattern_version_)
        return spec, {**arrays, "feature_means": self.feature_means_}

    @classmethod
    def from_state(cls, spec: dict, arrays: dict) -> PostingScorer:
        scorer = cls(**spec["params"])
        scorer.patterns_ = SignalPatterns.from_data(spec["patterns"])
        scorer.text_model_ = TfidfLinear.from_state(*unnest(spec, arrays, "text"))
        scorer.title_model_ = TfidfLinear.from_state(*unnest(spec, arrays, "title"))
        scorer.sentence_model_ = TfidfLogistic.from_state(*unnest(spec, arrays, "sentence"))
        scorer.final_ = Linear.from_state(*unnest(spec, arrays, "final"))
        scorer.feature_means_ = arrays["feature_means"]
        scorer.pattern_version_ = spec["pattern_version"]
        return scorer

    def _parts(self):
        return self.text_model_, self.title_model_, self.sentence_model_

    def predict(self, X: Sequence[Sequence[str]]) -> np.ndarray:
        features, ev, _ = self._features(X, self._parts())
        return self._predict_features(features, ev)

    def _predict_features(self, features: np.ndarray, ev: UnitEvidence) -> np.ndarray:
        penalty = np.zeros(len(features))
        np.add.at(penalty, ev.owners, ev.negations)
        pred = self.final_.predict(features)
        pred[:, :2] -= NEGATION_POINTS * np.minimum(penalty, 2)[:, None]
        return pred

    @staticmethod
    def stacked_feature_names() -> list[str]:
        """Names of the final model's inputs, in ``final_.coef`` column order."""
        return ([f"text model: {t}" for t in TARGETS] + [f"title model: {t}" for t in TARGETS] + ["has title"]
                + list(CATEGORIES))

    def contributions(self, X: Sequence[Sequence[str]]) -> Contributions:
        """Predictions of many postings, each split into what its title and each unit add.

        Every feature is a sum over units, so a posting's prediction is a base value plus its title's
        and its units' contributions: the text model's prediction is shared out among the units that
        hold its terms, the evidence goes to its unit, a negation to the unit that states it.
        """
        if not all(len(p) for p in X):  # a posting is at least its title slot ("" when unknown)
            X = [p if len(p) else [""] for p in X]
        features, ev, terms = self._features(X, self._parts())
        coef = self.final_.coef  # targets x features
        n_targets = coef.shape[0]
        is_title = _title_rows(X)
        # Text part: each unit's terms' share of the text model's (linear) prediction.
        per_unit = terms.shares(self.text_model_.linear.coef) @ coef[:, :n_targets].T
        # Title part: all on the title (a title-less posting has the title features at 0).
        title_block = slice(n_targets, 2 * n_targets + 1)
        title = per_unit[is_title] + (features[:, title_block] - self.feature_means_[title_block]) @ coef[:, title_block].T
        # Evidence part: per unit, scaled like the feature; a negation on the unit that states it.
        scale = self._unit_scale(X)[ev.owners]
        units = per_unit[~is_title] + (ev.evidence * scale[:, None]) @ coef[:, 2 * n_targets + 1:].T
        said = _cumsum_by(ev.negations, ev.owners)  # negations up to and including each unit
        units[:, :2] -= NEGATION_POINTS * (np.minimum(said, 2) - np.minimum(said - ev.negations, 2))[:, None]
        return Contributions(self._predict_features(features, ev), title, units, ev)

    def explain(self, units: Sequence[str]) -> tuple[np.ndarray, np.ndarray, UnitEvidence]:
        """Base (targets,) and contributions (units x targets) adding up to the prediction.

        ``units[0]`` is the title ("" when unknown); row 0 of the contributions belongs to it.
        """
        parts = self.contributions([units])
        return parts.base()[0], np.vstack([parts.title, parts.units]), parts.evidence


@dataclass(frozen=True)
class Contributions:
    """``PostingScorer.contributions``: what each posting's title and scored units add (points)."""

    predicted: np.ndarray  # postings x targets
    title: np.ndarray  # postings x targets
    units: np.ndarray  # scored units of all postings x targets, rows as ``evidence.owners``
    evidence: UnitEvidence

    def base(self) -> np.ndarray:
        """What each posting's prediction is before its title and units (postings x targets)."""
        base = self.predicted - self.title
        np.subtract.at(base, self.evidence.owners, self.units)
        return base


@dataclass(frozen=True)
class _TextTerms:
    """The text model's terms: counted per unit (docs x terms) and per posting, and weighed."""

    unit_counts: sp.csr_matrix
    posting_counts: sp.csr_matrix  # canonical; ``weighted`` holds the same entries in the same order
    weighted: sp.csr_matrix
    posting_rows: np.ndarray  # posting of each unit

    def shares(self, coef: np.ndarray) -> np.ndarray:
        """Each unit's share (units x targets) of ``weighted @ coef.T``: every occurrence of a term
        in a posting gets an equal part of the term's weight there."""
        if not self.unit_counts.nnz:
            return np.zeros((self.unit_counts.shape[0], coef.shape[0]))
        n_terms = self.posting_counts.shape[1]
        posting = self.posting_counts.tocoo()
        keys = posting.row.astype(np.int64) * n_terms + posting.col  # sorted: the matrix is canonical
        per_occurrence = self.weighted.data / self.posting_counts.data
        units = self.unit_counts.tocoo()
        at = np.searchsorted(keys, self.posting_rows[units.row] * n_terms + units.col)
        split = sp.csr_matrix((units.data * per_occurrence[at], (units.row, units.col)), shape=units.shape)
        return np.asarray(split @ coef.T)


def _title_rows(X: Sequence[Sequence[str]]) -> np.ndarray:
    """Which of the postings' units, all in a row, is a title (each posting's first)."""
    sizes = np.fromiter(map(len, X), dtype=np.int64, count=len(X))
    is_title = np.zeros(int(sizes.sum()), dtype=bool)
    is_title[(np.cumsum(sizes) - sizes)[sizes > 0]] = True
    return is_title


def _cumsum_by(values: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Running sums of ``values`` restarting at each new owner (owners come in blocks)."""
    total = np.cumsum(values)
    starts = np.r_[True, owners[1:] != owners[:-1]] if len(owners) else np.zeros(0, dtype=bool)
    before = (total - values)[starts]
    return total - np.repeat(before, np.diff(np.r_[np.flatnonzero(starts), len(owners)]))


def build_scorer(**params) -> PostingScorer:
    return PostingScorer(**params)
