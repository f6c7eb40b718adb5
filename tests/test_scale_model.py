"""The model of scale v1: bands, exact and honest explanations, parts that vary, the O*NET reference."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from servicelens.scale import BAND_NAMES, band, combine

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "raw" / "examples"


def test_the_scale_combines_the_parts_and_cuts_five_bands():
    assert combine(85, 10) == 87.0 and combine(10, 85) == 87.0 and combine(100, 100) == 100.0
    assert [band(s) for s in (0, 19.9, 20, 39.9, 40, 60, 79.9, 80, 100)] == \
        ["minimal", "minimal", "occasional", "occasional", "regular", "central", "central", "core", "core"]
    assert BAND_NAMES == ("minimal", "occasional", "regular", "central", "core")


def _check_explanation(result) -> None:
    parts = result.base + result.title_contribution + sum(s.contribution for s in result.signals) + result.other
    assert abs(parts - result.cs_score) < 0.011 * (len(result.signals) + 3), result.source
    for s in result.signals:  # a phrase that shows service never takes points off unless negated or qualified
        if s.category != "negation" and s.polarity == "positive":
            assert s.contribution >= 0, (result.source, s.text, s.contribution)
        if s.category == "negation":
            assert s.contribution <= 0


def test_the_shipped_model_is_on_the_scale(shipped_model):
    assert shipped_model.meta["scale"] == "v1" and shipped_model.group_model is not None
    result = shipped_model.score((EXAMPLES / "store-associate.txt").read_text(encoding="utf-8"))
    assert result.band == band(result.cs_score)
    _check_explanation(result)
    assert result.onet and result.onet[0].code and 0 < result.onet[0].similarity <= 1
    assert result.onet[0].deal_with_external_customers is not None  # O*NET's own rating, apart from the score
    assert "onet" in json.loads(json.dumps(result.to_dict(), default=str))


def test_a_negated_statement_adds_nothing_from_any_source(shipped_model):
    """Words, learned evidence and patterns alike: "does not involve" takes the unit out."""
    body = "Back Office Clerk\n\nDuties\n- Process invoices and reconcile accounts.\n"
    plain = shipped_model.score(body)
    negated = shipped_model.score(body + "- This role does not involve answering phones or dealing with customers.\n")
    assert negated.cs_score <= plain.cs_score
    assert negated.external <= plain.external
    assert any(s.category == "negation" and s.contribution < 0 for s in negated.signals)
    summary = shipped_model.score("Data Entry Clerk\n\nPosition summary: back-office role with no customer contact. "
                                  "Key invoices into the ledger.")
    assert any(s.category == "negation" for s in summary.signals)


@pytest.mark.integration
def test_explanations_are_exact_and_honest_on_the_whole_corpus(shipped_model, shared_data):
    """Every labelled posting of the corpus, both splits."""
    from servicelens.datasets.corpus import CORPUS_FILE, read_corpus, read_sources

    root = Path(__file__).resolve().parents[1]
    labels = read_corpus(root / "data" / "labeled" / CORPUS_FILE, shipped_model.group_rules.groups)
    postings = read_sources(shared_data / "postings-dev", shared_data / "postings-more")
    internal = []
    for label in labels:
        if not label.usable:
            continue
        posting = postings[(label.source, label.id)]
        result = shipped_model.score(posting.text, title=posting.title, source=label.key)
        _check_explanation(result)
        internal.append(result.internal)
    assert len(internal) >= 3000
    # The internal part varies as postings do (servicelens-0.1.7 kept it between 69 and 84 for every posting).
    assert max(internal) - min(internal) > 40


def test_batch_rows_carry_the_onet_reference(shipped_model, tmp_path):
    from servicelens.batch.local import BatchOptions, predict_table

    out = tmp_path / "scored.csv"
    predict_table(EXAMPLES / "jobs.csv", out, options=BatchOptions(workers=1, progress=False))
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {"onet_code", "onet_title", "onet_similarity", "onet_external_customers"} <= set(rows[0])
    assert all(r["cs_band"] in BAND_NAMES for r in rows if r["cs_score"])
    assert any(r["onet_code"] for r in rows)


def test_the_title_match_is_empty_for_titles_unlike_any_of_onet(shipped_model):
    matcher = shipped_model.estimator.occupations_
    assert matcher.matches(["", "xyzzy"]) == [[], []] and matcher.matches([]) == []
    found = matcher.matches(["xyzzy", "Cashier", "Cashier"])
    assert found[0] == [] and found[1] == found[2] and matcher.codes_[found[1][0][0]].startswith("41-2011")
