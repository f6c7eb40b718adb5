"""Group evidence checked against mentions annotators labelled one by one (group_mentions.jsonl)."""
import json
import re
from pathlib import Path

import pytest

from servicelens.errors import DataError
from servicelens.evaluation.groups import GOLD_FILE
from servicelens.evaluation.mentions import MENTIONS_FILE, MentionLabel, format_mentions, mention_report, read_mention_labels
from servicelens.files import read_jsonl
from servicelens.evidence.groups import GroupRules, mention_evidence

LABELED = Path(__file__).resolve().parents[1] / "data" / "labeled"
TEXT = ("Cashier\n\nWhat you will do:\n- Greet and assist shoppers at the till.\n"
        "- Keep the shelves tidy so customers find what they need.\n")


def test_the_labelled_mentions_are_well_formed_and_name_only_development_postings():
    rows = read_jsonl(LABELED / MENTIONS_FILE)
    labels = read_mention_labels(LABELED / MENTIONS_FILE, GroupRules().groups)
    assert len(labels) == len(rows) >= 2000
    gold = {row["id"]: row for row in read_jsonl(LABELED / GOLD_FILE)}
    real = {row["job_id"]: row for row in read_jsonl(LABELED / "postings_dev_groups.jsonl")}
    for row in rows:
        assert "text" not in row  # a real posting's text is not ours to ship: only its job_id and offsets
        split = (gold if row["source"] == "gold" else real)[row["id"]]["split"]
        assert split == "dev", row  # the test halves stay unseen
        assert all(0 <= start < end for start, end in row["spans"])
        if row["source"] == "gold":  # the offsets point at a group term of our own text
            text = gold[row["id"]]["text"]
            assert all(text[start:end].strip() for start, end in row["spans"])


@pytest.mark.parametrize("change, message", [
    ({"label": "maybe"}, "line 2: label is 'maybe'"),
    ({"group": "shoppers"}, "line 2: group is 'shoppers'"),
    ({"second_label": "perhaps"}, "line 2: second_label is 'perhaps'"),
    ({"spans": [[9, 3]]}, "line 2: spans is"),
    ({"spans": None}, "line 2: spans is None"),
    ({"id": None}, "line 2: id is None"),
])
def test_a_bad_label_names_the_file_line_and_field(tmp_path, change, message):
    path = tmp_path / MENTIONS_FILE
    good = {"source": "gold", "id": "g1", "group": "customers", "spans": [[0, 5]], "label": "yes"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, **change}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"group_mentions.jsonl: {re.escape(message)}"):
        read_mention_labels(path, GroupRules().groups)


def test_mention_report_matches_labels_to_the_models_evidence(shipped_model):
    found = mention_evidence(shipped_model.prepare(TEXT), shipped_model.group_rules,
                             shipped_model.estimator.patterns_)
    shoppers = next(e for e in found["customers"] if e.text == "shoppers")
    shelves = next(e for e in found["customers"] if e.text == "customers")
    labels = [MentionLabel("gold", "p1", "customers", ((shoppers.start, shoppers.end),), "yes", second_label="yes"),
              MentionLabel("gold", "p1", "customers", ((shelves.start, shelves.end),), "other", "guests",
                           second_label="no"),
              MentionLabel("gold", "p1", "patients", ((0, 7),), "no"),  # not found: confidence 0
              MentionLabel("gold", "elsewhere", "customers", ((0, 5),), "yes")]  # posting not given: left out
    report = mention_report(shipped_model, {("gold", "p1"): (TEXT, None)}, labels)
    assert (report["labelled"], report["checked"], report["found"]) == (4, 3, 2)
    assert report["sources"] == {"gold": 3, "postings_dev": 0}
    assert report["served"] == pytest.approx(1 / 3, abs=1e-3)
    assert sum(cell["n"] for cell in report["by_confidence"].values()) == 3
    assert report["by_confidence"]["0"] == {"n": 1, "served": 0.0}
    assert report["by_confidence"][f"{shoppers.confidence:g}"] == {"n": 1, "served": 1.0}
    assert report["agreement"] == {"n": 2, "served": 1.0, "label": 0.5}
    assert report["other_group"] == 0.5  # of the two mentions that name people served, one is another group
    assert format_mentions(report)[0].startswith("Group evidence against 3 labelled mentions (3 gold; 2 still found)")


def test_a_title_given_apart_is_matched_and_a_report_of_nothing_prints_nothing(shipped_model):
    title = "Patient Services Representative"
    text = "What you will do:\n- Answer the phone and file records.\n"
    found = mention_evidence(shipped_model.prepare(text, title), shipped_model.group_rules,
                             shipped_model.estimator.patterns_)
    assert [e.start for e in found.get("patients", [])] == [None]  # the title's mention has no offsets
    labels = [MentionLabel("gold", "t1", "patients", (), "yes")]
    report = mention_report(shipped_model, {("gold", "t1"): (text, title)}, labels)
    assert report["found"] == 1 and "auc" not in report  # one class only: no AUC
    assert "AUC" not in format_mentions(report)[0]
    empty = mention_report(shipped_model, {}, labels)
    assert empty["checked"] == 0 and format_mentions(empty) == []
