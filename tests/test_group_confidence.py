"""The learned group confidence: candidate features, fitting, the loading check and the batch path."""
import json

import numpy as np
import pytest

from servicelens.errors import DataError, ModelError
from servicelens.evidence.group_confidence import LearnedScorer, check_confidence
from servicelens.model.linear import Logistic
from servicelens.training.fit_groups import (LabelledPosting, confidence_pipeline, examples, fit_confidence,
                                             real_postings)
from servicelens.evidence.groups import (FEATURES, GroupRules, candidate_features, candidates, customer_groups, feature_names,
                             group_ids, read_posting, reported, rule_confidence)
from servicelens.reading.posting import prepare
from servicelens.reading.sections import SectionRules
from servicelens.evidence.signals import SignalPatterns

POSTING = """Store Associate
What you'll do
- Greet customers and help customers find what they need.
- Answer customer questions at the register.
- Coordinate with the store manager on weekly displays.
What we look for
- A friendly manner with customers."""


@pytest.fixture(scope="module")
def rules():
    return GroupRules(), SignalPatterns(), SectionRules()


def column(name):
    return FEATURES.index(name)


def test_features_count_mentions_by_section_and_share(rules):
    groups, signals, sections = rules
    posting = prepare(POSTING, None, sections)
    _, texts, unit_sections, found = read_posting(posting, groups, signals)
    names, features = candidate_features(found, texts, unit_sections, {"patients": 0.2}, groups)
    assert names == sorted(names) and "customers" in names and "patients" in names
    assert features.shape == (len(names), len(feature_names(groups)))
    row = features[names.index("customers")]
    assert row[column("duties_served")] == pytest.approx(np.log1p(3))  # greet, help, answer
    assert row[column("requirements_unserved")] + row[column("requirements_served")] > 0
    assert row[column("top_external")] == 1 and row[column("most_named")] == 1
    assert row[column("share")] > 0.5
    assert row[len(FEATURES) + list(groups.groups).index("customers")] == 1
    implied = features[names.index("patients")]
    assert implied[column("inferred")] == 0.2 and implied[column("combined")] == 0
    assert implied[len(FEATURES):].sum() == 1


def test_rule_confidence_is_the_rule_of_older_models(rules):
    groups, signals, sections = rules
    found = customer_groups(prepare(POSTING, None, sections), groups, signals)
    assert found[0].group == "customers" and found[0].confidence == 0.99
    names, features = candidates(prepare(POSTING, None, sections), groups, signals)
    assert rule_confidence(features).max() == 0.99


def labelled(text, served, title=None):
    return LabelledPosting(text, title, frozenset(served), "test", "dev")


class _Rules:
    """A stand-in model: the rule files and signal patterns, no scorer or inferrer."""

    def __init__(self, rules):
        self.group_rules, self.estimator_patterns, self.section_rules = rules
        self.estimator = type("E", (), {"patterns_": self.estimator_patterns})()

    def prepare(self, text, title=None):
        return prepare(text, title, self.section_rules)

    def candidates_many(self, postings):
        return [candidates(p, self.group_rules, self.estimator_patterns) for p in postings]


TRAINING = [
    labelled("Duties\n- Greet customers.\n- Help customers with returns.\n- Work with the store manager.", {"customers"}),
    labelled("Duties\n- Answer patient questions.\n- Support patients at check-in.\n- Coordinate with staff.",
             {"patients"}),
    labelled("Duties\n- Teach students algebra.\n- Tutor students after class.\n- Meet with the principal.",
             {"students", "management"}),
    labelled("Duties\n- Build dashboards.\n- Work with the project manager on timelines.", set()),
]


def test_fit_learns_and_reports_leave_one_out(rules):
    model = _Rules(rules)
    data = examples(model, TRAINING)
    assert len(data.served) == len(data.groups) == len(data.owner) == data.features.shape[0]
    assert data.served.sum() == 4
    fitted, record = fit_confidence(model, TRAINING)
    assert record["features"] == feature_names(model.group_rules)
    assert record["postings"] == {"test": 4} and record["examples"] == len(data.served)
    assert set(record["leave_one_posting_out"]["test"]) == {"learned", "rules"}
    scorer = LearnedScorer(fitted)
    confidence = scorer(data.features)
    assert ((0 <= confidence) & (confidence <= 0.99)).all()
    assert scorer(np.zeros((0, data.features.shape[1]))).shape == (0,)


def test_fit_refuses_labels_without_both_outcomes(rules):
    with pytest.raises(ModelError, match="cannot be fitted"):
        fit_confidence(_Rules(rules), [labelled("Duties\n- Build dashboards.", set())])


def test_loading_checks_the_features(rules, tmp_path):
    groups = rules[0]
    pipeline = Logistic.from_sklearn(confidence_pipeline().fit(np.eye(len(feature_names(groups)))[:2], [0, 1]))
    assert isinstance(check_confidence(pipeline, {"features": feature_names(groups)}, feature_names(groups),
                                       tmp_path), LearnedScorer)
    with pytest.raises(ModelError, match="other features"):
        check_confidence(pipeline, {"features": feature_names(groups)[:-1]}, feature_names(groups), tmp_path)


def test_group_ids_name_what_customer_groups_report_with_a_learned_scorer(rules):
    groups, signals, sections = rules
    model = _Rules(rules)
    scorer = LearnedScorer(fit_confidence(model, TRAINING)[0])
    for item in TRAINING + [labelled(POSTING, {"customers"})]:
        posting = prepare(item.text, None, sections)
        found = customer_groups(posting, groups, signals, scorer=scorer)
        assert group_ids(posting, groups, signals, scorer=scorer) == tuple(g.group for g in reported(found))


def test_real_postings_come_from_the_postings_table(tmp_path):
    import pandas as pd

    table = pd.DataFrame({"job_id": ["7", "8"], "title": ["Nurse", "Clerk"], "description": ["Care for patients.", "x"]})
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({"job_id": "7", "groups": ["patients"], "split": "dev"}) + "\n"
                    + json.dumps({"job_id": "8", "groups": [], "split": "test"}) + "\n")
    found = real_postings(path, table)
    assert [(p.title, p.groups, p.split) for p in found] == [("Nurse", frozenset({"patients"}), "dev")]
    assert len(real_postings(path, table, split=None)) == 2
    path.write_text(json.dumps({"job_id": "9", "groups": [], "split": "dev"}) + "\n")
    with pytest.raises(DataError, match="line 1: job_id 9"):
        real_postings(path, table)


def test_shipped_model_batch_groups_match_single_postings(shipped_model):
    texts = [POSTING] + [t.text for t in TRAINING]
    postings = [shipped_model.prepare(t) for t in texts]
    batch = shipped_model.group_ids_many(postings)
    assert batch == [tuple(g.group for g in reported(shipped_model.groups(p))) for p in postings]
    assert shipped_model.confidence is not None  # the shipped model learned its group confidence


def test_a_group_only_the_title_implies_keeps_its_inferred_confidence(rules):
    groups, signals, sections = rules
    scorer = LearnedScorer(fit_confidence(_Rules(rules), TRAINING)[0])
    names, features = candidate_features([], ["Registered Nurse"], ["title"], {"patients": 0.42}, groups)
    assert names == ["patients"] and scorer(features).tolist() == [0.42]


def test_the_learned_weight_only_takes_confidence_away(rules):
    groups, signals, sections = rules
    scorer = LearnedScorer(fit_confidence(_Rules(rules), TRAINING)[0])
    for text in ("Requirements\n- Experience with patients preferred.", POSTING,
                 "Duties\n- Coordinate with the project manager on schedules.\n- Hang doors and trim."):
        names, features = candidates(prepare(text, None, sections), groups, signals)
        assert (scorer(features) <= rule_confidence(features)).all()
