"""The shared word 1-2-gram path equals scikit-learn's own TF-IDF transform, and rule matching on
bytes reports the same character offsets as on text."""
import numpy as np

from pipeline.ngrams import SharedVocabulary
from pipeline.rules import Units, compile_rule
from pipeline.scorer import _join

POSTINGS = [
    ["Retail Sales Associate", "Greet customers and answer their questions.", "Process returns; count cash."],
    ["", "Provide compassionate care to patients — and their families.", "Café service, naïve résumé ✓"],
    ["Backend Engineer", "", "Design REST APIs (Python/Go) for 3rd-party partners; on-call 24/7."],
    ["Nurse"],
    ["UPPER CASE TITLE", "x", "a b c", "customer customer customer service service"],
]


def test_shared_vocabulary_matches_sklearn(shipped_model):
    scorer = shipped_model.estimator
    text, sentence = scorer.text_model_.named_steps["tfidf"], scorer.sentence_model_.named_steps["tfidf"]
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
