"""Batch scoring of tables: formats, columns, nothing lost, errors, neutralisation, resume, stdio."""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from servicelens.batch.local import BatchOptions, predict_table
from servicelens.outputs.report import summarise_table, write_report
from servicelens.inputs.columns import detect_columns
from servicelens.errors import InputError, Warnings
from servicelens.model.loaded import _top_phrases
from servicelens.inputs.tables import open_table
from servicelens.batch.chunks import SEPARATOR
from servicelens.outputs.tables import ADDED_COLUMNS, neutralise
from tests.conftest import ROOT

QUIET = BatchOptions(progress=False, workers=1)
ROWS = [
    {"req_id": "00123", "Job Title": "Retail Sales Associate", "posted": "2024-01-02", "code": "1/2",
     "Job Description": "- Greet customers and answer their questions.\n- Process returns and exchanges."},
    {"req_id": "00124", "Job Title": "Backend Engineer", "posted": "2024-01-03", "code": "3E5",
     "Job Description": "<p>Design REST APIs.</p><ul><li>Write SQL</li><li>Maintain CI pipelines</li></ul>"},
    {"req_id": "00125", "Job Title": "", "posted": "", "code": "", "Job Description": ""},
    {"req_id": "00126", "Job Title": "Cashier", "posted": "", "code": "-1", "Job Description": ""},
    {"req_id": "=HYPERLINK(\"http://x\")", "Job Title": "Registered Nurse", "posted": "", "code": "+7",
     "Job Description": "Provide compassionate care to patients and educate their families."},
]


def write_csv(path: Path, rows=ROWS, delimiter=",", encoding="utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_back(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    if ".parquet" in name:
        return pd.read_parquet(path)
    if ".xlsx" in name:
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    if ".jsonl" in name:
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, sep="\t" if ".tsv" in name else ",", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".csv.gz", ".tsv.gz", ".jsonl", ".jsonl.gz", ".parquet", ".xlsx"])
def test_every_row_and_value_is_kept_in_every_format(tmp_path, shipped_model_dir, suffix):
    out = tmp_path / f"scored{suffix}"
    summary = predict_table(write_csv(tmp_path / "jobs.csv"), out, shipped_model_dir, QUIET)
    assert summary.stats.rows == len(ROWS) and summary.columns["title"] == "Job Title"
    table = read_back(out)
    assert list(table.columns) == list(ROWS[0]) + list(ADDED_COLUMNS)
    assert len(table) == len(ROWS)
    for column in ("req_id", "posted", "code", "Job Title"):
        expected = [r[column] for r in ROWS]
        got = table[column].fillna("").tolist() if ".parquet" in suffix or ".jsonl" in suffix else table[column].tolist()
        if suffix.startswith((".csv", ".tsv")):
            expected = [neutralise(v) for v in expected]
        assert got == expected, column
    assert table["model_version"].iloc[0].startswith("servicelens-")
    assert pd.isna(table["cs_score"][2]) or table["cs_score"][2] == ""
    assert table["error"].tolist()[2] == Warnings.W001


def test_round_trip_through_each_format_scores_the_same(tmp_path, shipped_model_dir):
    first = tmp_path / "first.csv"
    predict_table(write_csv(tmp_path / "jobs.csv"), first, shipped_model_dir, QUIET)
    baseline = pd.read_csv(first, dtype=str, keep_default_na=False)["cs_score"]
    for suffix in (".parquet", ".xlsx", ".jsonl"):
        middle = tmp_path / f"middle{suffix}"
        again = tmp_path / f"again{suffix}.csv"
        predict_table(write_csv(tmp_path / "jobs.csv"), middle, shipped_model_dir, QUIET)
        predict_table(middle, again, shipped_model_dir, BatchOptions(progress=False, workers=1, prefix="new_"))
        table = pd.read_csv(again, dtype=str, keep_default_na=False)
        assert len(table) == len(ROWS)
        assert [float(x) if x else None for x in table["new_cs_score"]] == [float(x) if x else None for x in baseline]


def test_scores_match_the_python_api(tmp_path, shipped_model_dir, shipped_model):
    out = tmp_path / "scored.csv"
    predict_table(write_csv(tmp_path / "jobs.csv"), out, shipped_model_dir, QUIET)
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    result = shipped_model.score(ROWS[0]["Job Description"], title=ROWS[0]["Job Title"])
    assert float(table["cs_score"][0]) == result.cs_score
    assert table["customer_groups"][0].split(";")[0] == "customers"
    # The row's phrases are the posting's strongest signals, and "Greet customers" adds points.
    assert table["top_signals"][0] == SEPARATOR.join(_top_phrases([(s.contribution, s.text) for s in result.signals]))
    assert table["top_signals"][0].startswith("Greet customers") and "(−)" not in table["top_signals"][0]
    assert table["error"][3] == Warnings.W009  # title only: scored on the title alone
    assert table["cs_score"][3] != ""


def test_formulas_are_neutralised_in_csv_and_xlsx_only(tmp_path, shipped_model_dir):
    predict_table(write_csv(tmp_path / "jobs.csv"), tmp_path / "out.csv", shipped_model_dir, QUIET)
    text = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "\n=" not in text and ",=" not in text
    assert ",-1," in text and ",+7," in text  # plain numbers stay numbers
    predict_table(write_csv(tmp_path / "jobs.csv"), tmp_path / "out.parquet", shipped_model_dir, QUIET)
    assert pd.read_parquet(tmp_path / "out.parquet")["req_id"][4] == ROWS[4]["req_id"]
    predict_table(write_csv(tmp_path / "jobs.csv"), tmp_path / "out.xlsx", shipped_model_dir, QUIET)
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "out.xlsx").active
    cell = sheet.cell(row=6, column=1)
    assert cell.value == ROWS[4]["req_id"] and cell.data_type == "s" and cell.quotePrefix


def test_parquet_types_are_kept(tmp_path, shipped_model_dir):
    source = tmp_path / "jobs.parquet"
    pq.write_table(pa.table({"job_id": pa.array([1, None, 3], pa.int64()),
                             "title": ["Cashier", "Nurse", "Welder"],
                             "description": ["Serve customers.", "Care for patients.", ""],
                             "tags": [["a"], [], None]}), source)
    out = tmp_path / "out.parquet"
    predict_table(source, out, shipped_model_dir, QUIET)
    table = pq.read_table(out)
    assert table.schema.field("job_id").type == pa.int64()
    assert table.column("job_id").to_pylist() == [1, None, 3]
    assert table.column("tags").to_pylist() == [["a"], [], None]
    predict_table(source, tmp_path / "out.csv", shipped_model_dir, QUIET)
    assert pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)["job_id"].tolist() == ["1", "", "3"]


def test_columns_are_detected_or_given(tmp_path, shipped_model_dir):
    mapping = detect_columns(["Job ID", "Job Title", "Company Description", "Job Description (HTML)",
                              "Requirements"], "x")
    assert (mapping.id, mapping.title, mapping.text) == (0, 1, (3, 4))
    rows = [{"a": "Cashier", "b": "Serve customers.", "c": "Count cash."}]
    source = write_csv(tmp_path / "odd.csv", rows)
    with pytest.raises(InputError, match=r"odd.csv: no title or text column found \(columns: 'a', 'b', 'c'\)"):
        predict_table(source, tmp_path / "out.csv", shipped_model_dir, QUIET)
    with pytest.raises(InputError, match="'zz' given with --text-col is not in the table"):
        predict_table(source, tmp_path / "out.csv", shipped_model_dir,
                      BatchOptions(progress=False, workers=1, text_cols=("zz",)))
    assert not (tmp_path / "out.csv").exists()
    options = BatchOptions(progress=False, workers=1, title_col="A", text_cols=("b", "c"))
    summary = predict_table(source, tmp_path / "out.csv", shipped_model_dir, options)
    assert summary.columns == {"title": "a", "text": ["b", "c"], "id": None}
    assert pd.read_csv(tmp_path / "out.csv")["cs_score"].notna().all()


def test_added_column_names_never_overwrite_input_columns(tmp_path, shipped_model_dir):
    source = write_csv(tmp_path / "jobs.csv", [{"title": "Cashier", "cs_score": "12"}])
    with pytest.raises(InputError, match="--prefix"):
        predict_table(source, tmp_path / "out.csv", shipped_model_dir, QUIET)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_encodings_are_detected(tmp_path, shipped_model_dir, encoding):
    rows = [{"title": "Caf\u00e9 Barista \u2013 \u201cfront\u201d", "description": "Greet customers warmly."}]
    source = write_csv(tmp_path / "jobs.csv", rows, encoding=encoding)
    predict_table(source, tmp_path / "out.csv", shipped_model_dir, QUIET)
    table = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert table["title"][0] == rows[0]["title"] and table["error"][0] == ""


def test_delimiters_quoted_multiline_cells_and_ragged_rows(tmp_path, shipped_model_dir):
    source = tmp_path / "jobs.csv"
    source.write_text('id;title;description\n1;Cashier;"Greet customers.\nCount cash; balance drawer."\n'
                      '2;Nurse;Care for patients;stray\n3;Welder\n', encoding="utf-8")
    predict_table(source, tmp_path / "out.csv", shipped_model_dir, QUIET)
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("id;title;description;")  # its dialect kept
    table = pd.read_csv(tmp_path / "out.csv", sep=";", dtype=str, keep_default_na=False)
    assert table["id"].tolist() == ["1", "2", "3"]
    assert table["description"][0] == "Greet customers.\nCount cash; balance drawer."
    assert table["description"][1] == "Care for patients;stray" and table["cs_score"][1] == ""
    assert "fields where the header has 3" in table["error"][1]
    assert table["cs_score"][2] != "" and table["error"][2] == Warnings.W009


def test_jsonl_bad_lines_and_missing_keys(tmp_path, shipped_model_dir):
    source = tmp_path / "jobs.jsonl"
    source.write_text('{"id": 7, "title": "Cashier", "text": "Serve customers."}\n{broken\n'
                      '{"id": "008", "title": "Nurse"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    predict_table(source, out, shipped_model_dir, QUIET)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line.get("id") for line in lines] == [7, None, "008"]
    assert "text" not in lines[2]  # a key the row did not have is not invented
    assert lines[1]["error"].startswith("invalid JSON") and lines[1]["cs_score"] is None


def test_long_text_is_cut_with_a_note(tmp_path, shipped_model_dir):
    source = write_csv(tmp_path / "jobs.csv", [{"title": "Cashier", "description": "Serve customers. " * 200}])
    predict_table(source, tmp_path / "out.csv", shipped_model_dir,
                  BatchOptions(progress=False, workers=1, max_chars=500))
    table = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert table["error"][0] == Warnings.W008.format(limit=500) and table["cs_score"][0] != ""
    assert table["description"][0] == "Serve customers. " * 200  # the table keeps the whole text


def test_worker_processes_give_the_same_output(tmp_path, shipped_model_dir):
    rows = [dict(r, req_id=f"{i:05d}") for i in range(40) for r in ROWS[:2]]
    source = write_csv(tmp_path / "jobs.csv", rows)
    predict_table(source, tmp_path / "one.csv", shipped_model_dir, BatchOptions(progress=False, workers=1, chunk_rows=7))
    predict_table(source, tmp_path / "two.csv", shipped_model_dir, BatchOptions(progress=False, workers=2, chunk_rows=7))
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def test_stdin_to_stdout(tmp_path, shipped_model_dir):
    source = write_csv(tmp_path / "jobs.csv")
    done = subprocess.run([sys.executable, "-m", "servicelens", "predict", "-", "-o", "-", "--model",
                           str(shipped_model_dir), "--quiet"], input=source.read_bytes(), capture_output=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    table = pd.read_csv(io.BytesIO(done.stdout), dtype=str, keep_default_na=False)
    assert table["req_id"].tolist()[:4] == [r["req_id"] for r in ROWS[:4]] and len(table) == len(ROWS)


def test_an_interrupted_run_leaves_no_output_and_resumes(tmp_path, shipped_model_dir):
    rows = [{"id": f"{i:06d}", "title": "Cashier" if i % 2 else "Welder",
             "description": f"Greet customers and weld frames, item {i}."} for i in range(6000)]
    source = write_csv(tmp_path / "jobs.csv", rows)
    out = tmp_path / "out.csv"
    run_folder = tmp_path / ".out.csv.servicelens-run"
    process = subprocess.Popen([sys.executable, "-m", "servicelens", "predict", str(source), "-o", str(out),
                                "--model", str(shipped_model_dir), "--workers", "1", "--chunk-rows", "50", "--quiet"],
                               cwd=ROOT, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(run_folder.glob("part-*.json")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not out.exists(), "an interrupted run must not leave a file under the output name"
    finished = len(list(run_folder.glob("part-*.json")))
    assert 0 < finished < 120
    summary = predict_table(source, out, shipped_model_dir,
                            BatchOptions(progress=False, workers=1, chunk_rows=50, resume=True))
    assert summary.resumed_rows == 50 * finished and summary.stats.rows == 6000
    assert not run_folder.exists()
    whole = tmp_path / "whole.csv"
    predict_table(source, whole, shipped_model_dir, BatchOptions(progress=False, workers=1, chunk_rows=50))
    assert out.read_bytes() == whole.read_bytes()


def test_resume_refuses_a_changed_input(tmp_path, shipped_model_dir):
    source = write_csv(tmp_path / "jobs.csv")
    out = tmp_path / "out.csv"
    with pytest.raises(InputError, match="nothing to resume"):
        predict_table(source, out, shipped_model_dir, BatchOptions(progress=False, workers=1, resume=True))
    run = tmp_path / ".out.csv.servicelens-run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"input": {}, "model": "", "options": {}}))
    with pytest.raises(InputError, match="the input file changed"):
        predict_table(source, out, shipped_model_dir, BatchOptions(progress=False, workers=1, resume=True))


def test_whole_file_problems_name_the_file(tmp_path, shipped_model_dir):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 20)
    not_zip = tmp_path / "fake.xlsx"
    not_zip.write_text("id,title\n")
    for path, message in ((empty, "file is empty"), (binary, "binary"), (not_zip, "cannot read it as .xlsx"),
                          (tmp_path / "missing.csv", "file not found"), (tmp_path / "x.docx", "not a table")):
        with pytest.raises(InputError, match=message) as info:
            predict_table(path, tmp_path / "out.csv", shipped_model_dir, QUIET)
        assert path.name in str(info.value)
    assert not (tmp_path / "out.csv").exists()


def test_report_is_one_offline_page(tmp_path, shipped_model_dir):
    out = tmp_path / "out.parquet"
    predict_table(write_csv(tmp_path / "jobs.csv"), out, shipped_model_dir, QUIET)
    summary = summarise_table(out)
    assert summary.rows == len(ROWS) and summary.scored == len(ROWS) - 1 and summary.error_rows == 2
    page = write_report(out, tmp_path / "report.html").read_text(encoding="utf-8")
    for part in ("Score distribution", "Bands", "Customer groups", "Most customer-facing titles",
                 "Rows with problems", "servicelens-", "CC BY 4.0", "<svg"):
        assert part in page
    assert "src=" not in page and "<link" not in page


def test_gzip_output_is_one_valid_stream(tmp_path, shipped_model_dir):
    rows = [dict(r, req_id=str(i)) for i in range(30) for r in ROWS[:2]]
    out = tmp_path / "out.csv.gz"
    predict_table(write_csv(tmp_path / "jobs.csv", rows), out, shipped_model_dir,
                  BatchOptions(progress=False, workers=1, chunk_rows=8))
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        assert len(list(csv.reader(fh))) == len(rows) + 1
    with open_table(out) as reader:
        assert sum(len(c.rows) for c in reader.chunks(10)) == len(rows)


def test_cli_batch(tmp_path, shipped_model_dir):
    from typer.testing import CliRunner

    from servicelens.cli.app import app

    source = write_csv(tmp_path / "jobs.csv")
    result = CliRunner().invoke(app, ["predict", str(source), "-o", str(tmp_path / "out.xlsx"), "--model",
                                      str(shipped_model_dir), "--workers", "1", "--report", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert "scored 4 of 5 rows" in result.output and (tmp_path / "r.html").is_file()
    result = CliRunner().invoke(app, ["predict", str(source), "--model", str(shipped_model_dir)])
    assert result.exit_code != 0 and "-o" in result.output
    assert os.path.exists(tmp_path / "out.xlsx")


def test_a_chunk_of_titles_alone_is_scored(tmp_path, shipped_model_dir):
    source = write_csv(tmp_path / "titles.csv", [{"job_title": t} for t in ("Cashier", "Registered Nurse", "Welder")])
    predict_table(source, tmp_path / "out.csv", shipped_model_dir, QUIET)
    table = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert (table["cs_score"] != "").all() and set(table["error"]) == {""}


def test_the_dask_engine_without_its_extra_says_what_to_install(monkeypatch):
    import importlib

    from servicelens.errors import ServicelensError

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "servicelens.batch.dask_engine", raising=False)
    with pytest.raises(ServicelensError, match=r'pip install "servicelens\[dask\]"'):
        importlib.import_module("servicelens.batch.dask_engine")


def _stdin(data: bytes, *args: str, model=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "servicelens", "predict", "-", "-o", "-", "--quiet", *args]
    if model:
        command += ["--model", str(model)]
    return subprocess.run(command, input=data, capture_output=True, cwd=ROOT, timeout=120)


def test_json_lines_on_standard_input_are_read_as_json_lines(shipped_model_dir):
    rows = [{"title": r["Job Title"], "description": r["Job Description"], "req_id": r["req_id"]} for r in ROWS]
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    done = _stdin(data, model=shipped_model_dir)
    assert done.returncode == 0, done.stderr.decode()
    table = pd.read_csv(io.BytesIO(done.stdout), dtype=str, keep_default_na=False)
    assert table["req_id"].tolist() == [neutralise(r["req_id"]) for r in rows]
    assert (table["cs_score"] != "").sum() == 4  # one row has neither title nor text (W001), as from a file
    refused = _stdin(data, "--format", "csv", model=shipped_model_dir)
    assert refused.returncode != 0 and b"standard input holds JSON lines, not CSV" in refused.stderr
    assert refused.stdout == b""  # nothing scored from what does not parse
    workbook = io.BytesIO()
    pd.DataFrame(rows).to_excel(workbook, index=False)
    refused = _stdin(workbook.getvalue(), model=shipped_model_dir)
    assert refused.returncode != 0 and b"an XLSX workbook" in refused.stderr


def test_progress_is_by_bytes_read_with_a_known_total(tmp_path):
    from servicelens.batch.local import _Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    source = write_csv(tmp_path / "jobs.csv", [dict(r, req_id=str(i)) for i in range(200) for r in ROWS[:1]])
    with open_table(source) as reader:
        progress = _Progress(reader, True, Terminal())
        assert progress._bar.total == 100.0  # the input's size is known: the total never grows
        rows = sum(len(chunk.rows) for chunk in reader.chunks(50))
        progress.advance(rows)
        assert progress._bar.n == pytest.approx(100.0)
        progress.close()


def test_a_small_run_reports_its_rate_honestly():
    from servicelens.batch.chunks import ChunkStats
    from servicelens.batch.local import BatchSummary

    stats = ChunkStats()
    stats.rows = stats.scored = 3
    line = BatchSummary("in.csv", "out.csv", "m", {}, stats, seconds=1.25).lines()[0]
    assert "2.4 rows/s" in line
