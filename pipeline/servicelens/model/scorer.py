"""The posting scorer: evidence per unit, combined additively into a 0-100 score and its two parts.

X is a sequence of postings, each a list of unit strings: the title first ("" when unknown), then
the units that describe the work (duties and requirements; the caller leaves out about-us,
benefits and legal text). Targets are (score, external, internal). The scorer's parts are fitted
with scikit-learn and kept as plain arrays (:mod:`servicelens.model.linear`):

- ``text_model_``: TF-IDF of the posting's units -> ridge on the targets;
- ``title_model_``: character n-grams of the title -> ridge;
- ``sentence_model_``: TF-IDF of one unit -> one logistic regression per signal category, trained
  on O*NET task statements labelled through their Generalized Work Activities;
- ``prior_model_`` (``onet_prior``): the O*NET ratings of the occupations the title matches
  (``occupations_``, :mod:`servicelens.model.occupations`) -> ridge;
- ``final_``: a linear layer over the stacked evidence (out-of-fold predictions of the parts above
  and per-category evidence from the sentence model and the phrase patterns). With ``positive`` it
  is fitted per target with non-negative weights, so a signal never takes points off; with
  ``stretch`` its spread is matched to the targets' (ridge predictions crowd the middle bands).

``modality`` reads every unit's negation and hedging the same way for every source of evidence: a
unit that states the job does *not* involve a contact gives neither words nor external evidence, a
hedged unit ("may occasionally cover reception") counts for less. Every feature is a sum over units,
so a prediction splits exactly into a base value plus one contribution per unit
(:mod:`servicelens.model.explain`). ``servicelens-0.1.7`` is this scorer with every switch off,
fitted on O*NET occupations.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
import scipy.sparse as sp

from servicelens.evidence.categories import CATEGORIES, EXTERNAL_CATEGORIES, GWA_CATEGORY
from servicelens.evidence.signals import NEGATION, QUALIFIED_WEIGHT, SignalPatterns, weight
from servicelens.model.explain import Contributions, TextTerms, UnitEvidence, cumsum_by, title_rows
from servicelens.model.linear import Linear, State, TfidfLinear, TfidfLogistic, nested, unit_word_ngrams, unnest
from servicelens.model.ngrams import SharedVocabulary
from servicelens.model.occupations import OccupationMatcher
from servicelens.paths import resource

if TYPE_CHECKING:  # pandas is needed to train, not to score
    import pandas as pd

TARGETS = ("cs_score", "external", "internal")
#: Points an explicit "no customer contact" statement takes off the score and the external part.
#: Not learned: real postings almost never say what a job does not do (35 statements in 15,000).
NEGATION_POINTS = 8.0
#: How much the words of a hedged unit count (``modality``).
HEDGED_WORDS = 0.5
_PARAMS = ("text_alpha", "title_alpha", "final_alpha", "sentence_C", "evidence_threshold", "inner_folds", "patterns",
           "text_ngrams", "modality", "onet_prior", "positive", "stretch")


def _join(units: Sequence[str]) -> str:
    return "\n".join(u for u in units if u)


def sentence_targets(sentences: pd.DataFrame) -> np.ndarray:
    """0/1 matrix (sentences x categories) from the sentence table's GWA labels."""
    y = np.zeros((len(sentences), len(CATEGORIES)), dtype=int)
    for label, category in GWA_CATEGORY.items():
        y[:, CATEGORIES.index(category)] |= sentences[label].to_numpy(dtype=int)
    return y


class PostingScorer:
    """Scores postings (see the module's docstring); scikit-learn's estimator contract without its
    base class, so that scoring never imports scikit-learn."""

    def __init__(self, text_alpha: float = 0.3, title_alpha: float = 3.0, final_alpha: float = 1.0,
                 sentence_C: float = 4.0, evidence_threshold: float = 0.5, inner_folds: int = 5,
                 patterns: str | None = None, text_ngrams: int = 2, modality: bool = False,
                 onet_prior: bool = False, positive: bool = False, stretch: bool = False):
        self.text_alpha = text_alpha
        self.title_alpha = title_alpha
        self.final_alpha = final_alpha
        self.sentence_C = sentence_C
        self.evidence_threshold = evidence_threshold
        self.inner_folds = inner_folds
        self.patterns = patterns
        self.text_ngrams = text_ngrams
        self.modality = modality
        self.onet_prior = onet_prior
        self.positive = positive
        self.stretch = stretch

    def get_params(self, deep: bool = True) -> dict:
        """The parameters ``__init__`` stored (``sklearn.base.clone`` copies a scorer by them)."""
        return {name: getattr(self, name) for name in _PARAMS}

    # -- the parts -------------------------------------------------------------------------
    def text_pipeline(self):
        """The unfitted text model (scikit-learn, imported only to fit)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import Pipeline

        analyzer = unit_word_ngrams if self.text_ngrams == 2 else (lambda text: unit_word_ngrams(text, (1, 1)))
        return Pipeline([("tfidf", TfidfVectorizer(sublinear_tf=True, min_df=2, analyzer=analyzer)),
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
        """The text, title, sentence and prior models, fitted with scikit-learn and kept as arrays."""
        from sklearn.linear_model import Ridge

        text = self.text_pipeline().fit([_join(u) for u in X], y, ridge__sample_weight=weights)
        title_texts = [t for units, extra in zip(X, titles) for t in [units[0], *extra] if t]
        per_posting = [sum(1 for t in [units[0], *extra] if t) for units, extra in zip(X, titles)]
        title_y = np.repeat(y, per_posting, axis=0)
        title_w = None if weights is None else np.repeat(weights, per_posting)
        title = self.title_pipeline().fit(title_texts, title_y, ridge__sample_weight=title_w)
        sentence = self.sentence_pipeline().fit(sentences["text"].tolist(), sentence_targets(sentences))
        prior = None
        if self.onet_prior:
            features = self.occupations_.prior_features([u[0] for u in X])
            prior = Linear.from_sklearn(Ridge(alpha=1.0).fit(features, y, sample_weight=weights))
        return (TfidfLinear.from_sklearn(text, "unit_word"), TfidfLinear.from_sklearn(title),
                TfidfLogistic.from_sklearn(sentence), prior)

    # -- evidence ----------------------------------------------------------------------------
    def _scan(self, X: Sequence[Sequence[str]]) -> tuple[list, set[int]]:
        """Pattern signals of every scored unit (all postings in a row), and which units are hedged."""
        matches, hedged = [], set()
        for posting in X:
            found, qualified = self.patterns_.scan(posting[1:])
            hedged.update(len(matches) + k for k in qualified)
            matches.extend(found)
        return matches, hedged

    def unit_evidence(self, X: Sequence[Sequence[str]], sentence_model=None, sentence_X=None,
                      scanned: tuple[list, set[int]] | None = None) -> UnitEvidence:
        """Per-unit category evidence; ``sentence_X`` is the units' TF-IDF when already computed,
        ``scanned`` the units' pattern signals (``_scan``)."""
        sentence_model = sentence_model or self.sentence_model_
        owners = np.asarray([i for i, posting in enumerate(X) for _ in posting[1:]], dtype=int)
        evidence = np.zeros((len(owners), len(CATEGORIES)))
        if len(owners):
            if sentence_X is None:
                proba = sentence_model.predict_proba([unit for posting in X for unit in posting[1:]])
            else:
                proba = sentence_model.logistic.predict_proba(sentence_X)
            evidence = np.clip((proba - self.evidence_threshold) / (1 - self.evidence_threshold), 0, 1)
        matches, hedged = scanned or self._scan(X)
        negations = np.array([sum(m.category == NEGATION for m in found) for found in matches], dtype=float)
        if self.modality and hedged:  # the learned evidence of a hedged unit counts as a hedged phrase does
            evidence[sorted(hedged)] *= QUALIFIED_WEIGHT
        for k, found in enumerate(matches):
            for match in found:
                if match.category != NEGATION:
                    j = CATEGORIES.index(match.category)
                    evidence[k, j] = max(evidence[k, j], weight(match))
            if negations[k]:  # a negated unit carries no learned evidence for external service
                for category in EXTERNAL_CATEGORIES:
                    j = CATEGORIES.index(category)
                    if not any(m.category == category for m in found):
                        evidence[k, j] = 0.0
        return UnitEvidence(owners, evidence, negations, matches)

    def _word_features(self, X, text, sentence, unit_weights=None) -> tuple[sp.csr_matrix, sp.csr_matrix, TextTerms]:
        """TF-IDF of each posting (text model) and of each unit (sentence model), analysed once;
        with the text model's terms of each unit, so its prediction can be shared out among them.
        ``unit_weights`` (scored units) scale each unit's words in the posting's counts."""
        fitted = text is getattr(self, "text_model_", None)  # else one fold's parts while fitting
        shared = getattr(self, "_shared", None) if fitted else None
        if shared is None:
            shared = SharedVocabulary([text.tfidf, sentence.tfidf])
            if fitted:  # the fitted parts merge their vocabularies once
                self._shared = shared
        docs = [unit for posting in X for unit in posting]
        is_title = title_rows(X)
        posting_rows = np.repeat(np.arange(len(X)), [len(p) for p in X])
        unit_rows = np.where(is_title, -1, np.cumsum(~is_title) - 1)  # the title is no sentence-model unit
        n_units = int(len(docs) - is_title.sum())
        unit_counts, sentence_counts = shared.counts(docs, [np.arange(len(docs)), unit_rows], [len(docs), n_units])
        if unit_weights is not None:
            doc_weights = np.ones(len(docs))
            doc_weights[~is_title] = unit_weights
            unit_counts = sp.diags(doc_weights) @ unit_counts
            unit_counts.eliminate_zeros()
        to_postings = sp.csr_matrix((np.ones(len(docs)), (posting_rows, np.arange(len(docs)))),
                                    shape=(len(X), len(docs)))
        posting_counts = to_postings @ unit_counts
        posting_counts.sum_duplicates()
        text_X = text.tfidf.weigh(posting_counts)
        terms = TextTerms(unit_counts.tocsr(), posting_counts, text_X, posting_rows)
        return text_X, sentence.tfidf.weigh(sentence_counts), terms

    def _unit_weights(self, scanned: tuple[list, set[int]]) -> np.ndarray | None:
        """How much each scored unit's words count (with ``modality``): 0 when it negates, at most
        ``HEDGED_WORDS`` when hedged; they must be weighed before they are counted."""
        if not self.modality:
            return None
        matches, hedged = scanned
        weights = np.array([0.0 if any(m.category == NEGATION for m in found) else 1.0 for found in matches])
        weights[sorted(hedged)] = np.minimum(weights[sorted(hedged)], HEDGED_WORDS)
        return weights

    @staticmethod
    def _unit_scale(X) -> np.ndarray:
        """Evidence is summed over units and divided by sqrt(#units): long postings are not louder."""
        return 1.0 / np.sqrt(np.maximum([len(p) - 1 for p in X], 1))

    def _features(self, X, parts) -> tuple[np.ndarray, UnitEvidence, TextTerms]:
        text, title, sentence, prior = parts
        scanned = self._scan(X)
        text_X, sentence_X, terms = self._word_features(X, text, sentence, self._unit_weights(scanned))
        ev = self.unit_evidence(X, sentence, sentence_X, scanned)
        summed = np.zeros((len(X), len(CATEGORIES)))
        np.add.at(summed, ev.owners, ev.evidence)
        summed *= self._unit_scale(X)[:, None]
        has_title = np.array([1.0 if p and p[0] else 0.0 for p in X])
        # An export repeats its titles ("Cashier", "Registered Nurse"): each is read once.
        titles, where = np.unique([p[0] if p and p[0] else " " for p in X], return_inverse=True)
        title_pred = title.predict(list(titles))[where.reshape(-1)]
        title_pred = title_pred * has_title[:, None]
        blocks = [text.linear.predict(text_X), title_pred, has_title[:, None], summed]
        if prior is not None:
            blocks.append(prior.predict(self.occupations_.prior_features(list(titles)))[where.reshape(-1)])
        return np.hstack(blocks), ev, terms

    # -- sklearn API -------------------------------------------------------------------------
    def fit(self, X: Sequence[Sequence[str]], y, *, groups, sentences: pd.DataFrame, titles=None, codes=None,
            sample_weight=None, occupations: OccupationMatcher | None = None):
        """Fit on postings ``X`` (unit lists), targets ``y`` (n x 3) and grouping ``groups``.

        ``sentences`` is the O*NET sentence table; with ``codes`` (O*NET postings' own codes) the
        out-of-fold parts never see the task statements of the occupations they predict.
        ``titles`` gives each posting's extra titles for the title model; ``sample_weight`` weighs
        postings (a user's labels may count more); ``occupations`` is the fitted O*NET matcher the
        prior reads (``onet_prior``).
        """
        from sklearn.linear_model import LinearRegression, Ridge
        from sklearn.model_selection import GroupKFold

        X = [list(p) for p in X]
        y = np.asarray(y, dtype=float)
        groups = np.asarray(groups)
        titles = titles if titles is not None else [[] for _ in X]
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.patterns_ = SignalPatterns(resource(f"{self.patterns}.json") if self.patterns else None)
        if self.onet_prior:
            self.occupations_ = occupations
        n_features = 2 * y.shape[1] + 1 + len(CATEGORIES) + (y.shape[1] if self.onet_prior else 0)
        stacked = np.zeros((len(X), n_features))
        for train, test in GroupKFold(self.inner_folds).split(X, y, groups):
            fold_sentences = sentences if codes is None else sentences[sentences["code"].isin(set(np.asarray(codes)[train]))]
            parts = self._fit_parts([X[i] for i in train], y[train], [titles[i] for i in train], fold_sentences,
                                    None if weights is None else weights[train])
            stacked[test] = self._features([X[i] for i in test], parts)[0]
        self.text_model_, self.title_model_, self.sentence_model_, self.prior_model_ = \
            self._fit_parts(X, y, titles, sentences, weights)
        self.feature_means_ = stacked.mean(axis=0) if weights is None else np.average(stacked, axis=0, weights=weights)
        if self.positive:
            self.final_ = self._positive_final(stacked, y, weights, LinearRegression)
        else:
            self.final_ = Linear.from_sklearn(Ridge(alpha=self.final_alpha).fit(stacked, y, sample_weight=weights))
        if self.stretch:
            self.final_ = _stretched(self.final_, stacked, y, weights)
        self.pattern_version_ = self.patterns_.version
        return self

    def _positive_final(self, stacked, y, weights, regression) -> Linear:
        """Per target, non-negative weights on its own text, title and prior predictions and on
        every signal category (the has-title flag is left out: its sign is free)."""
        n = y.shape[1]
        coef, intercept = np.zeros((n, stacked.shape[1])), np.zeros(n)
        evidence = list(range(2 * n + 1, 2 * n + 1 + len(CATEGORIES)))
        for j in range(n):
            columns = [j, n + j, *evidence] + ([2 * n + 1 + len(CATEGORIES) + j] if self.onet_prior else [])
            fitted = regression(positive=True).fit(stacked[:, columns], y[:, j], sample_weight=weights)
            coef[j, columns], intercept[j] = fitted.coef_, fitted.intercept_
        return Linear(coef, intercept)

    # -- storage -----------------------------------------------------------------------------
    def state(self) -> State:
        """The fitted scorer as arrays and a JSON spec (its parameters and pattern rules as data)."""
        parts = dict(text=self.text_model_.state(), title=self.title_model_.state(),
                     sentence=self.sentence_model_.state(), final=self.final_.state())
        if self.onet_prior:
            parts.update(prior=self.prior_model_.state(), occupations=self.occupations_.state())
        spec, arrays = nested(**parts)
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
        scorer.prior_model_ = None
        if scorer.onet_prior:
            scorer.prior_model_ = Linear.from_state(*unnest(spec, arrays, "prior"))
            scorer.occupations_ = OccupationMatcher.from_state(*unnest(spec, arrays, "occupations"))
        scorer.feature_means_ = arrays["feature_means"]
        scorer.pattern_version_ = spec["pattern_version"]
        return scorer

    def _parts(self):
        return self.text_model_, self.title_model_, self.sentence_model_, getattr(self, "prior_model_", None)

    def predict(self, X: Sequence[Sequence[str]]) -> np.ndarray:
        features, ev, _ = self._features(X, self._parts())
        return self._predict_features(features, ev)

    def text_matrix(self, X: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """The postings' TF-IDF as the text model reads them (what the group model reads too)."""
        weights = self._unit_weights(self._scan(X)) if self.modality else None
        return self._word_features(X, self.text_model_, self.sentence_model_, weights)[2].weighted

    def _predict_features(self, features: np.ndarray, ev: UnitEvidence) -> np.ndarray:
        penalty = np.zeros(len(features))
        np.add.at(penalty, ev.owners, ev.negations)
        pred = self.final_.predict(features)
        pred[:, :2] -= NEGATION_POINTS * np.minimum(penalty, 2)[:, None]
        return pred

    def contributions(self, X: Sequence[Sequence[str]]) -> Contributions:
        """Predictions of many postings, each split into what its title and each unit add.

        The text model's prediction is shared out among the units that hold its terms (a unit's
        ``words``), the evidence goes to its unit and a negation to the unit that states it (a unit's
        ``signals``), the title and O*NET prior parts to the title.
        """
        if not all(len(p) for p in X):  # a posting is at least its title slot ("" when unknown)
            X = [p if len(p) else [""] for p in X]
        features, ev, terms = self._features(X, self._parts())
        coef = self.final_.coef  # targets x features
        n_targets = coef.shape[0]
        is_title = title_rows(X)
        words = terms.shares(self.text_model_.linear.coef) @ coef[:, :n_targets].T
        evidence = slice(2 * n_targets + 1, 2 * n_targets + 1 + len(CATEGORIES))
        # Title part: the title and prior blocks against their average (a title-less posting has them at 0).
        title_columns = np.r_[n_targets:2 * n_targets + 1, evidence.stop:features.shape[1]].astype(int)
        title = words[is_title] + (features[:, title_columns] - self.feature_means_[title_columns]) @ coef[:, title_columns].T
        scale = self._unit_scale(X)[ev.owners]
        signals = (ev.evidence * scale[:, None]) @ coef[:, evidence].T
        said = cumsum_by(ev.negations, ev.owners)  # negations up to and including each unit
        signals[:, :2] -= NEGATION_POINTS * (np.minimum(said, 2) - np.minimum(said - ev.negations, 2))[:, None]
        return Contributions(self._predict_features(features, ev), title, words[~is_title], signals, ev, terms.weighted)

    def explain(self, units: Sequence[str]) -> tuple[np.ndarray, np.ndarray, UnitEvidence]:
        """Base (targets,) and contributions (units x targets) adding up to the prediction.

        ``units[0]`` is the title ("" when unknown); row 0 of the contributions belongs to it.
        """
        parts = self.contributions([units])
        return parts.base()[0], np.vstack([parts.title, parts.units]), parts.evidence


def _stretched(final: Linear, stacked: np.ndarray, y: np.ndarray, weights) -> Linear:
    """The layer with each target's predictions spread like the target itself around their mean
    (scaling every weight alike keeps the explanation additive)."""
    pred = final.predict(stacked)
    w = np.ones(len(y)) if weights is None else weights
    mean = np.average(pred, axis=0, weights=w)
    spread = np.sqrt(np.average((y - np.average(y, axis=0, weights=w)) ** 2, axis=0, weights=w))
    scale = spread / np.maximum(np.sqrt(np.average((pred - mean) ** 2, axis=0, weights=w)), 1e-9)
    return Linear(final.coef * scale[:, None], final.intercept * scale + (1 - scale) * mean)
