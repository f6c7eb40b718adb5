"""The composed challenge set (data/labeled/signals_challenge.jsonl) against the shipped model."""
import pytest

from servicelens.evaluation.signals import challenge_set
from servicelens.files import read_jsonl
from tests.conftest import ROOT

CHALLENGE = ROOT / "data" / "labeled" / "signals_challenge.jsonl"


@pytest.fixture(scope="module")
def report(shipped_model):
    return challenge_set(shipped_model, CHALLENGE)


def test_the_set_is_well_formed():
    rows = read_jsonl(CHALLENGE)
    assert len(rows) >= 60 and len({r["id"] for r in rows}) == len(rows)
    assert {r["polarity"] for r in rows} == {"positive", "negated", "qualified", "none"}


def test_negations_and_boilerplate_never_raise_the_score(report):
    assert report["by_polarity"]["negated"]["exact"] == 1.0
    assert report["by_polarity"]["none"]["exact"] == 1.0


def test_categories_are_found(report):
    assert report["exact_match"] >= 0.9
    assert report["categories"]["micro"]["precision"] >= 0.9
    assert report["categories"]["micro"]["recall"] >= 0.9
