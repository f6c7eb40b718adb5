"""Limits (a time budget per row) and privacy (no posting text in messages, no network at run time)."""
from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys
import time

import pytest

from servicelens.batch.local import BatchOptions, predict_table
from servicelens.inputs.columns import ColumnMap
from servicelens.inputs.reader import Chunk
from servicelens.batch.chunks import ChunkScorer, Limits, RowTimeout, time_budget
from tests.conftest import ROOT

SECRET = "Zebulon-Quartz-7731"  # a word no message should ever repeat


def chunk(rows: list[list[str]]) -> Chunk:
    return Chunk(0, 1, rows, list(range(2, len(rows) + 2)), [""] * len(rows), [True] * len(rows))


def test_time_budget_interrupts_python_code():
    started = time.perf_counter()
    with pytest.raises(RowTimeout):
        with time_budget(0.2):
            time.sleep(30)
    assert time.perf_counter() - started < 10
    with time_budget(None):  # no limit
        pass


def test_a_row_past_its_time_budget_gets_an_error_and_the_chunk_goes_on(shipped_model, monkeypatch):
    prepare = shipped_model.prepare

    def slow_on_one_row(text, title=None):
        if "SLOW" in text:
            time.sleep(60)  # stands for a pathological posting
        return prepare(text, title)

    monkeypatch.setattr(shipped_model, "prepare", slow_on_one_row)
    scorer = ChunkScorer(shipped_model, ColumnMap(0, (1,), None), Limits(row_seconds=1.0))
    added, stats = scorer(chunk([["Cashier", "Greet customers and take payments."], ["Clerk", "SLOW"],
                                 ["Nurse", "Care for patients."]]))
    assert [row[0] is not None for row in added] == [True, False, True]
    assert "gave up on the row after 1 s" in added[1][-1]
    assert stats.scored == 2


def test_posting_text_never_appears_in_messages(shipped_model_dir, tmp_path):
    source = tmp_path / "export.csv"
    long_text = f"{SECRET} " + "Greet customers. " * 400
    with open(source, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "description"])
        writer.writerow(["1", "Cashier", long_text])  # cut at --max-chars
        writer.writerow(["2", "", ""])  # empty
        writer.writerow(["3", "Clerk", f"{SECRET} one", f"{SECRET} extra field"])  # too many fields
        writer.writerow(["4", "Clerk", "<p></p>"])  # nothing after cleaning
    out = tmp_path / "scored.csv"
    done = subprocess.run([sys.executable, "-m", "servicelens", "predict", str(source), "-o", str(out),
                           "--model", str(shipped_model_dir), "--max-chars", "500", "--workers", "1"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "row 1" in done.stderr and SECRET not in done.stderr + done.stdout
    with open(out, newline="", encoding="utf-8") as fh:
        errors = [row["error"] for row in csv.DictReader(fh)]
    assert all(errors) and not any(SECRET in e for e in errors)
    stats = (tmp_path / "bad.json")
    stats.write_text('{"title": "x", "description": "' + SECRET + '", oops}', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "servicelens", "predict", str(stats), "--model",
                           str(shipped_model_dir)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1 and "bad.json" in done.stderr and SECRET not in done.stderr


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("servicelens tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_predict_runs_with_the_network_blocked(no_network, shipped_model_dir, tmp_path):
    from servicelens import load_model
    from servicelens.cli.predict_files import predict_files

    model = load_model(shipped_model_dir)
    assert model.score("Greet customers and answer their questions.", "Cashier").cs_score > 0
    posting = ROOT / "data" / "raw" / "examples" / "store-associate.txt"
    with open(tmp_path / "out.txt", "w") as out, open(tmp_path / "err.txt", "w") as err:
        assert predict_files([posting], shipped_model_dir, True, out=out, err=err) == 0
    assert json.loads((tmp_path / "out.txt").read_text().splitlines()[0])["cs_score"] > 0
    summary = predict_table(str(ROOT / "data" / "raw" / "examples" / "jobs.csv"), str(tmp_path / "scored.csv"),
                            shipped_model_dir, BatchOptions(progress=False, workers=1))
    assert summary.stats.scored == summary.stats.rows == 8
