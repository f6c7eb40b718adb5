"""The labelled corpus: fields and types, ids in their sources, spans that name the people, one scale
version, a split disjoint by its grouping keys, and the summary ``servicelens data corpus`` prints."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from servicelens.datasets.corpus import (CORPUS_FILE, NAMES_PEOPLE, SOURCES, read_corpus, read_sources, span_text)
from servicelens.errors import DataError
from servicelens.evidence.groups import GroupRules
from servicelens.scale import SCALE_VERSION

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "labeled" / CORPUS_FILE


@pytest.fixture(scope="module")
def rules() -> GroupRules:
    return GroupRules()


@pytest.fixture(scope="module")
def labels(rules):
    return read_corpus(CORPUS, rules.groups)


@pytest.fixture(scope="module")
def postings(shared_data):
    return read_sources(shared_data / "postings-dev", shared_data / "postings-more")


def test_the_corpus_is_large_and_broad_and_carries_no_text(labels):
    usable = [label for label in labels if label.usable]
    assert len(usable) >= 3000
    assert {label.source for label in usable} == set(SOURCES)
    assert sum(len(label.passes) > 1 for label in usable) >= 400
    assert {label.scale for label in labels} == {SCALE_VERSION}
    assert all(label.procedure == "p1" and label.passes for label in labels)
    for line in CORPUS.read_text(encoding="utf-8").splitlines():  # ids, labels and offsets: no posting text
        assert not {"text", "title", "description"} & set(json.loads(line))


def test_labels_follow_the_scale(labels):
    for label in labels:
        if label.usable:
            assert 0 <= label.external <= 100 and 0 <= label.internal <= 100
            assert label.cs_score == round(min(100, max(label.external, label.internal)
                                                + 0.2 * min(label.external, label.internal)), 1)
            assert label.band == 1 + min(4, int(label.cs_score // 20))
            assert all(g.spans for g in label.groups if g.kind == "explicit")
        for p in label.passes:
            assert re.fullmatch(r"a\d+", p.annotator) and p.labelled_at.startswith("2026-")


def test_the_split_is_disjoint_by_its_grouping_keys(labels):
    sides = defaultdict(set)
    for label in labels:
        sides[("family", label.family)].add(label.split)
        sides[("cluster", label.cluster)].add(label.split)
        if label.employer is not None:
            sides[("employer", label.employer)].add(label.split)
    straddling = [key for key, split in sides.items() if len(split) > 1]
    assert not straddling, straddling[:5]
    for source in SOURCES:  # a held-out part per source
        assert sum(label.split == "heldout" for label in labels if label.source == source) >= 40


def test_a_bad_row_names_the_file_line_and_field(rules, tmp_path):
    row = json.loads(CORPUS.read_text(encoding="utf-8").splitlines()[0])
    for field, value, message in [("split", "test", "split"), ("scale", "v0", "scale"), ("external", 140, "external"),
                                  ("cs_score", 1.0, "cs_score")]:
        path = tmp_path / "bad.jsonl"
        path.write_text(json.dumps({**row, field: value}) + "\n", encoding="utf-8")
        with pytest.raises(DataError, match=rf"bad.jsonl: line 1: {message}"):
            read_corpus(path, rules.groups)


@pytest.mark.integration
def test_every_id_is_in_its_source_and_every_span_names_the_people(labels, postings, rules):
    terms = re.compile("|".join(rf"\b(?:{t})\b" for info in rules.rule_data()["data"]["groups"] for t in info["terms"]), re.I)
    for label in labels:
        posting = postings.get((label.source, label.id))
        assert posting is not None, label.key
        for p in label.passes:
            for group in p.groups:
                for span in group.spans:
                    text = posting.text if span.field == "text" else posting.title
                    assert span.end <= len(text), (label.key, group.id)
                    words = span_text(posting, span)
                    assert words.strip() and len(words.split()) <= 12, (label.key, group.id, words)
                    # Names the people: a term of the taxonomy, a word for people, or a reviewer read it so.
                    assert terms.search(words) or NAMES_PEOPLE.search(words) or group.reviewed, (label.key, words)


@pytest.mark.integration
def test_the_corpus_summary_command(shared_data, monkeypatch):
    from typer.testing import CliRunner

    from servicelens.cli import app

    monkeypatch.setenv("SERVICELENS_POSTINGS_DIR", str(shared_data / "postings-dev"))
    monkeypatch.setenv("SERVICELENS_POSTINGS_MORE_DIR", str(shared_data / "postings-more"))
    result = CliRunner().invoke(app, ["data", "corpus"])
    assert result.exit_code == 0, result.output
    for words in ("nhs_jobs_2020", "agreement of two independent passes", "kappa", "bands:", "groups (explicit/implied)",
                  "Customer Service"):
        assert words in result.output
