"""Label files: every kind of problem is reported with its file and row, before any training."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from servicelens.errors import LabelError
from servicelens.training.labels import BAND_SCORE, Label, read_labels

GROUPS = ["customers", "patients", "students", "internal_teams", "parents_families"]


def write_csv(path, rows: list[dict]) -> str:
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def messages(found, level=None) -> list[str]:
    return [str(i) for i in found.issues if level is None or i.level == level]


def test_a_clean_file_reads_every_label(tmp_path):
    path = write_csv(tmp_path / "labels.csv", [
        {"title": "Store Associate", "description": "Greet shoppers.", "cs_score": 90, "cs_band": "core",
         "customer_groups": "customers", "weight": ""},
        {"title": "Payroll Specialist", "description": "Run payroll.", "cs_score": "", "cs_band": "Regular",
         "customer_groups": "internal_teams", "weight": 2},
        {"title": "Hospice Nurse", "description": "Visit patients.", "cs_score": "", "cs_band": "",
         "customer_groups": "patients; parents_families", "weight": ""},
    ])
    found = read_labels([path], GROUPS)
    assert found.issues == []
    store, payroll, nurse = found.labels
    assert (store.score, store.band, store.groups, store.weight) == (90.0, "core", ("customers",), 1.0)
    assert (payroll.target, payroll.weight, payroll.row, payroll.line) == (BAND_SCORE["regular"], 2.0, 2, 3)
    assert nurse.groups == ("patients", "parents_families") and nurse.target is None
    found.raise_for_errors(strict=True)


def test_each_kind_of_problem_names_file_and_row(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [
        {"title": "A", "text": "a", "cs_score": 120, "cs_band": "", "customer_groups": "", "weight": "", "notes": "x"},
        {"title": "B", "text": "b", "cs_score": "lots", "cs_band": "", "customer_groups": "", "weight": "", "notes": ""},
        {"title": "C", "text": "c", "cs_score": "", "cs_band": "cores", "customer_groups": "", "weight": "", "notes": ""},
        {"title": "D", "text": "d", "cs_score": "", "cs_band": "", "customer_groups": "patiens", "weight": "", "notes": ""},
        {"title": "", "text": "", "cs_score": 50, "cs_band": "", "customer_groups": "", "weight": "", "notes": ""},
        {"title": "F", "text": "f", "cs_score": 30, "cs_band": "core", "customer_groups": "", "weight": "", "notes": ""},
        {"title": "G", "text": "g", "cs_score": 40, "cs_band": "", "customer_groups": "", "weight": "-1", "notes": ""},
        {"title": "H", "text": "h", "cs_score": "", "cs_band": "", "customer_groups": "", "weight": "", "notes": ""},
        {"title": "I", "text": "same posting", "cs_score": 60, "cs_band": "", "customer_groups": "", "weight": "", "notes": ""},
        {"title": "i", "text": "Same  posting", "cs_score": 60, "cs_band": "", "customer_groups": "", "weight": "", "notes": ""},
        {"title": "I", "text": "same posting", "cs_score": 70, "cs_band": "", "customer_groups": "", "weight": "", "notes": ""},
    ])
    found = read_labels([path], GROUPS)
    text = "\n".join(messages(found))
    expected = [
        "bad.csv: warning: column 'notes' is not used",
        "row 1 (line 2): error: cs_score '120' is not a number from 0 to 100",
        "row 2 (line 3): error: cs_score 'lots' is not a number from 0 to 100",
        "row 3 (line 4): error: cs_band 'cores' is not a band (did you mean 'core'?)",
        "row 4 (line 5): error: customer group 'patiens' is not in the taxonomy (did you mean 'patients'?)",
        "row 5 (line 6): warning: empty text",
        "row 6 (line 7): error: cs_score 30 is in band 'occasional', not 'core'",
        "row 7 (line 8): error: weight '-1' is not a number above 0 and at most 1000",
        "row 8 (line 9): warning: no label",
        "row 10 (line 11): warning: the same posting as row 9, with the same labels",
        "row 11 (line 12): error: the same posting as row 9, with different labels",
    ]
    for piece in expected:
        assert piece in text, piece
    assert all(str(path) in m for m in messages(found))
    with pytest.raises(LabelError, match="7 problem"):
        found.raise_for_errors()
    assert [label.title for label in found.labels] == ["I"]  # the rows with errors are not used


def test_strict_makes_warnings_errors(tmp_path):
    path = write_csv(tmp_path / "labels.csv", [{"title": "A", "text": "a", "cs_score": 50, "notes": "x"}])
    found = read_labels([path], GROUPS)
    found.raise_for_errors()
    with pytest.raises(LabelError, match="column 'notes' is not used"):
        found.raise_for_errors(strict=True)


def test_near_miss_column_names_are_suggested(tmp_path):
    path = write_csv(tmp_path / "labels.csv", [{"title": "A", "text": "a", "cs_band": "central", "cs_scor": 70}])
    assert "column 'cs_scor' is not used (did you mean 'cs_score'?)" in "\n".join(messages(read_labels([path], GROUPS)))


def test_a_file_without_label_columns_is_refused(tmp_path):
    path = write_csv(tmp_path / "export.csv", [{"Job Title": "A", "Job Description": "a"}])
    with pytest.raises(LabelError, match="export.csv: no label column"):
        read_labels([path], GROUPS)


def test_duplicates_across_files_name_the_other_file(tmp_path):
    one = write_csv(tmp_path / "one.csv", [{"title": "A", "text": "a", "cs_score": 50}])
    two = write_csv(tmp_path / "two.csv", [{"title": "A", "text": "a", "cs_score": 80}])
    found = read_labels([one, two], GROUPS)
    assert f"{two}: row 1 (line 2): error: the same posting as {one} row 1, with different labels" in messages(found)


def test_export_columns_jsonl_and_xlsx(tmp_path):
    rows = [{"Job Title": "Cashier", "Job Description": "Ring up purchases.", "req_id": "7", "cs_band": "central"}]
    jsonl = tmp_path / "labels.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    xlsx = tmp_path / "labels.xlsx"
    pd.DataFrame([{**rows[0], "Job Description": "Count the till."}]).to_excel(xlsx, index=False)
    found = read_labels([jsonl, xlsx], GROUPS)
    assert found.issues == []
    assert [(label.title, label.text, label.band) for label in found.labels] == [
        ("Cashier", "Ring up purchases.", "central"), ("Cashier", "Count the till.", "central")]
    assert set(found.hashes) == {str(jsonl), str(xlsx)}


def test_score_error_is_distance_to_the_label_or_its_band():
    def label(score=None, band=None):
        return Label("f", 1, 2, "t", "x", score, band, None)

    assert label(score=80).score_error(70) == 10
    assert label(band="central").score_error(70) == 0  # inside 60-80
    assert label(band="central").score_error(90) == pytest.approx(10)
    assert label(band="core").score_error(50) == pytest.approx(30)


def test_groups_in_another_order_are_the_same_label_and_long_values_are_not_quoted(tmp_path):
    path = write_csv(tmp_path / "labels.csv", [
        {"title": "Nurse", "text": "Care.", "cs_score": "", "customer_groups": "patients;parents_families"},
        {"title": "Nurse", "text": "Care.", "cs_score": "", "customer_groups": "parents_families; patients"},
        {"title": "Clerk", "text": "File.", "cs_score": "Zebulon Quartz serves shoppers daily", "customer_groups": ""},
        {"title": "", "text": "Teach.", "cs_score": "", "customer_groups": "students"},
    ])
    text = "\n".join(messages(read_labels([path], GROUPS)))
    assert "row 2 (line 3): warning: the same posting as row 1, with the same labels" in text
    assert "row 3 (line 4): error: cs_score (a longer text) is not a number" in text and "Zebulon" not in text
    assert "row 4 (line 5): warning: a customer_groups label needs a title" in text
