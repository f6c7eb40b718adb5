"""The stored TF-IDF weightings equal scikit-learn's own transform, bit for bit; the stored ridge
and logistic layers compute what scikit-learn's fitted ones do (to floating-point rounding); the
shared word 1-2-gram path equals them; rule matching on bytes reports the same character offsets as on text."""
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from servicelens.model.linear import Tfidf, unit_word_ngrams
from servicelens.model.ngrams import SharedVocabulary
from servicelens.model.scorer import _join
from servicelens.rules import Units, compile_rule

POSTINGS = [
    ["Retail Sales Associate", "Greet customers and answer their questions.", "Process returns; count cash."],
    ["", "Provide compassionate care to patients — and their families.", "Café service, naïve résumé ✓"],
    ["Backend Engineer", "", "Design REST APIs (Python/Go) for 3rd-party partners; on-call 24/7."],
    ["Nurse"],
    ["UPPER CASE TITLE", "x", "a b c", "customer customer customer service service"],
]


DOCS = ["Greet customers and answer their questions.", "Provide care to patients — and their families.",
        "Café service, naïve résumé ✓", "UPPER CASE customer customer service service", "", "x",
        "Design REST APIs (Python/Go)\nfor 3rd-party partners; on-call 24/7.", "a  b\tc   d"]


@pytest.mark.parametrize("params, analyzer", [
    ({"ngram_range": (1, 2), "sublinear_tf": True}, None),
    ({"ngram_range": (1, 2), "sublinear_tf": True, "dtype": np.float32}, None),
    ({"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True}, None),
    ({"analyzer": unit_word_ngrams, "sublinear_tf": True}, "unit_word"),
    ({"ngram_range": (1, 1), "norm": None}, None),
])
def test_stored_weightings_equal_sklearn_bit_for_bit(params, analyzer):
    fitted = TfidfVectorizer(**params).fit(DOCS * 2 + ["customers patients service"])
    ours = Tfidf.from_state(*Tfidf.from_sklearn(fitted, analyzer).state())  # through storage and back
    theirs, mine = fitted.transform(DOCS), ours.transform(DOCS)
    theirs.sort_indices()
    assert mine.dtype == theirs.dtype
    assert np.array_equal(mine.indptr, theirs.indptr) and np.array_equal(mine.indices, theirs.indices)
    assert np.array_equal(mine.data, theirs.data)


def test_stored_linear_and_logistic_layers_compute_what_sklearn_does():
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from servicelens.model.linear import Linear, Logistic

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    y = X @ rng.normal(size=(5, 3)) + rng.normal(scale=0.1, size=(60, 3))
    ridge = Ridge(alpha=0.7).fit(X, y)
    stored = Linear.from_state(*Linear.from_sklearn(ridge).state())
    np.testing.assert_allclose(stored.predict(X), ridge.predict(X), rtol=1e-12, atol=1e-12)
    labels = (y > 0).astype(int)
    for fitted, probabilities in (
            (OneVsRestClassifier(LogisticRegression(C=2.0)).fit(X, labels), None),
            (make_pipeline(StandardScaler(), LogisticRegression()).fit(X, labels[:, 0]), 1)):
        ours = Logistic.from_state(*Logistic.from_sklearn(fitted).state())
        theirs = fitted.predict_proba(X)
        theirs = theirs if probabilities is None else theirs[:, [probabilities]]
        np.testing.assert_allclose(ours.predict_proba(X), theirs, rtol=1e-12, atol=1e-12)


def test_shared_vocabulary_matches_the_stored_weightings(shipped_model):
    scorer = shipped_model.estimator
    text, sentence = scorer.text_model_.tfidf, scorer.sentence_model_.tfidf
    text_X, sentence_X, _ = scorer._word_features(POSTINGS, scorer.text_model_, scorer.sentence_model_)
    np.testing.assert_allclose(text_X.toarray(), text.transform([_join(p) for p in POSTINGS]).toarray(), atol=1e-12)
    units = [u for p in POSTINGS for u in p[1:]]
    np.testing.assert_allclose(sentence_X.toarray(), sentence.transform(units).toarray(), atol=1e-12)
    # A fold's parts (while fitting) build their own merged vocabulary; the result is the same.
    fresh = SharedVocabulary([text, sentence]).transform(
        [u for p in POSTINGS for u in p], [np.repeat(np.arange(len(POSTINGS)), [len(p) for p in POSTINGS]),
                                           np.full(sum(len(p) for p in POSTINGS), -1)], [len(POSTINGS), 0])
    np.testing.assert_allclose(fresh[0].toarray(), text_X.toarray(), atol=1e-12)


def test_units_report_character_offsets_for_any_text():
    units = ["Café guests — greet guests", "plain guests", "naïve résumé guests ✓ guests"]
    pattern = compile_rule(r"\bguests\b", "test")
    found = list(Units(units).finditer(pattern))
    assert len(found) == 5
    for k, start, end in found:
        assert units[k][start:end] == "guests"
