"""Integration: the training tables built from the real O*NET files in ../shared/data."""
import pandas as pd
import pytest

from servicelens.datasets.onet import SENTENCE_LABELS, TARGETS, occupation_posting, read_manifest, read_tables

pytestmark = pytest.mark.integration


def test_occupation_table(labeled_dir):
    occupations = read_tables(labeled_dir).occupations
    assert 900 <= len(occupations) <= 1016
    assert occupations["code"].is_unique
    for target in TARGETS:
        assert occupations[target].between(0, 100).all()
    assert occupations["tasks"].apply(len).gt(0).mean() > 0.98
    # Known anchors: salespeople deal with customers far more than machine setters do.
    by_title = occupations.set_index("title")["cs_score"]
    assert by_title["Retail Salespersons"] > 85 > 40 > by_title["Roof Bolters, Mining"]
    posting = occupation_posting(occupations.iloc[0])
    assert posting.startswith(occupations.iloc[0]["title"]) and "\n- " in posting


def test_crosswalk_averages_several_2010_codes(shared_data, labeled_dir):
    crosswalk = pd.read_csv(shared_data / "onet-ratings-2020" / "onet_soc_2010_to_2019_crosswalk.csv",
                            sep=";", dtype=str, encoding="utf-8-sig")
    ratings = pd.read_csv(shared_data / "onet-ratings-2020" / "Deal_With_External_Customers.csv", dtype={"Code": str})
    merged = crosswalk.merge(ratings, left_on="soc2010_code", right_on="Code")
    many = merged.groupby("soc2019_code").filter(lambda g: len(g) > 1)
    code = many["soc2019_code"].iloc[0]
    expected = many[many["soc2019_code"] == code]["Context"].mean()
    occupations = read_tables(labeled_dir).occupations.set_index("code")
    assert occupations.loc[code, "cs_score"] == pytest.approx(expected, abs=1e-3)


def test_sentence_table(labeled_dir):
    sentences = read_tables(labeled_dir).sentences
    assert len(sentences) == 18796
    assert set(SENTENCE_LABELS) <= set(sentences.columns)
    assert sentences["group"].str.len().eq(4).all()
    # Every label is used, and public-facing tasks read like it.
    assert (sentences[list(SENTENCE_LABELS)].sum() > 0).all()
    public = sentences[sentences["public"] == 1]["text"].str.lower()
    assert public.str.contains("customer|public|patron|guest|visitor|client").mean() > 0.3


def test_manifest_hashes_every_input(labeled_dir):
    manifest = read_manifest(labeled_dir)
    assert any(name.endswith("Task Statements.txt") for name in manifest["inputs"])
    assert all(len(digest) == 64 for digest in manifest["inputs"].values())
    assert manifest["tables"]["occupations"]["rows"] > 900
