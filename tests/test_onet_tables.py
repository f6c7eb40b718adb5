"""Integration: the O*NET tables built from the real files in ../shared/data."""
import pandas as pd
import pytest

from servicelens.datasets.onet import SENTENCE_LABELS, TARGETS

pytestmark = pytest.mark.integration


def test_occupation_table(onet_tables):
    occupations = onet_tables.occupations
    assert 900 <= len(occupations) <= 1016
    assert occupations["code"].is_unique
    for target in TARGETS:
        assert occupations[target].between(0, 100).all()
    assert occupations["tasks"].apply(len).gt(0).mean() > 0.98
    # Known anchors: salespeople deal with customers far more than machine setters do.
    by_title = occupations.set_index("title")["cs_score"]
    assert by_title["Retail Salespersons"] > 85 > 40 > by_title["Roof Bolters, Mining"]


def test_crosswalk_averages_several_2010_codes(shared_data, onet_tables):
    crosswalk = pd.read_csv(shared_data / "onet-ratings-2020" / "onet_soc_2010_to_2019_crosswalk.csv",
                            sep=";", dtype=str, encoding="utf-8-sig")
    ratings = pd.read_csv(shared_data / "onet-ratings-2020" / "Deal_With_External_Customers.csv", dtype={"Code": str})
    merged = crosswalk.merge(ratings, left_on="soc2010_code", right_on="Code")
    many = merged.groupby("soc2019_code").filter(lambda g: len(g) > 1)
    code = many["soc2019_code"].iloc[0]
    expected = many[many["soc2019_code"] == code]["Context"].mean()
    occupations = onet_tables.occupations.set_index("code")
    assert occupations.loc[code, "cs_score"] == pytest.approx(expected, abs=1e-3)


def test_sentence_table(onet_tables):
    sentences = onet_tables.sentences
    assert len(sentences) == 18796
    assert set(SENTENCE_LABELS) <= set(sentences.columns)
    assert sentences["group"].str.len().eq(4).all()
    # Every label is used, and public-facing tasks read like it.
    assert (sentences[list(SENTENCE_LABELS)].sum() > 0).all()
    public = sentences[sentences["public"] == 1]["text"].str.lower()
    assert public.str.contains("customer|public|patron|guest|visitor|client").mean() > 0.3
