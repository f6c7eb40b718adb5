"""Group features, the group confidence of models before 0.2 (its loading check) and the batch path."""

import numpy as np
import pytest

from servicelens.errors import ModelError
from servicelens.evidence.group_confidence import LearnedScorer, check_confidence
from servicelens.model.linear import Logistic
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


TEXTS = ["Duties\n- Greet customers.\n- Help customers with returns.\n- Work with the store manager.",
         "Duties\n- Answer patient questions.\n- Support patients at check-in.\n- Coordinate with staff.",
         "Duties\n- Teach students algebra.\n- Tutor students after class.\n- Meet with the principal.",
         "Duties\n- Build dashboards.\n- Work with the project manager on timelines."]


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


@pytest.fixture(scope="module")
def legacy_scorer(shipped_models_root):
    """The group confidence servicelens-0.1.7 learned from the gold set (models before 0.2)."""
    from servicelens.model.loaded import load_model

    model = load_model(shipped_models_root / "servicelens-0.1.7")
    assert isinstance(model.group_scorer, LearnedScorer)
    return model.group_scorer


def test_loading_checks_the_features(rules, tmp_path):
    groups = rules[0]
    from sklearn.linear_model import LogisticRegression

    pipeline = Logistic.from_sklearn(LogisticRegression().fit(np.eye(len(feature_names(groups)))[:2], [0, 1]))
    assert isinstance(check_confidence(pipeline, {"features": feature_names(groups)}, feature_names(groups),
                                       tmp_path), LearnedScorer)
    with pytest.raises(ModelError, match="other features"):
        check_confidence(pipeline, {"features": feature_names(groups)[:-1]}, feature_names(groups), tmp_path)


def test_group_ids_name_what_customer_groups_report_with_a_learned_scorer(rules, legacy_scorer):
    groups, signals, sections = rules
    for text in [POSTING, *TEXTS]:
        posting = prepare(text, None, sections)
        found = customer_groups(posting, groups, signals, scorer=legacy_scorer)
        assert group_ids(posting, groups, signals, scorer=legacy_scorer) == tuple(g.group for g in reported(found))


def test_shipped_model_batch_groups_match_single_postings(shipped_model):
    postings = [shipped_model.prepare(t) for t in [POSTING, *TEXTS]]
    batch = shipped_model.group_ids_many(postings)
    assert batch == [tuple(g.group for g in reported(shipped_model.groups(p))) for p in postings]
    assert shipped_model.group_model is not None  # the shipped model learned its groups from the corpus


def test_a_group_only_the_title_implies_keeps_its_inferred_confidence(rules, legacy_scorer):
    groups, signals, sections = rules
    scorer = legacy_scorer
    names, features = candidate_features([], ["Registered Nurse"], ["title"], {"patients": 0.42}, groups)
    assert names == ["patients"] and scorer(features).tolist() == [0.42]


def test_the_learned_weight_only_takes_confidence_away(rules, legacy_scorer):
    groups, signals, sections = rules
    scorer = legacy_scorer
    for text in ("Requirements\n- Experience with patients preferred.", POSTING,
                 "Duties\n- Coordinate with the project manager on schedules.\n- Hang doors and trim."):
        names, features = candidates(prepare(text, None, sections), groups, signals)
        assert (scorer(features) <= rule_confidence(features)).all()
