"""The adversarial corpus (tests/data/adversarial, issue #8): every broken input is refused with a
message naming the file (and line), or scored with per-row errors; never a traceback, never lost
rows, never a partial file under the output name. Each file runs through the Python API and the CLI.
"""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from servicelens.batch.local import RUN_SUFFIX, BatchOptions, BatchSummary, predict_table
from servicelens.errors import Errors, InputError, Warnings
from servicelens.cli.predict_files import MAX_FILE_CHARS, predict_files
from servicelens.inputs.posting_files import read_posting
from servicelens.outputs.tables import ADDED_COLUMNS
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "adversarial"
_spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)  # the corpus builders (it has no package)
_spec.loader.exec_module(make_corpus)

QUIET = BatchOptions(progress=False, workers=1)
HEADER = ["id", "title", "description", "posted"]
ORIGINAL = [list(row) for row in make_corpus.ROWS]


# -- running a file through the API and the CLI --------------------------------------------------------

#: Files built in a temporary folder (too big to store): name -> text.
GENERATED = {
    "deep_100k.jsonl": lambda: make_corpus.nested_jsonl(100_000),
    "nested_100k.html": lambda: make_corpus.nested_html(100_000),
    "deep_100k.json": lambda: make_corpus.nested_json(100_000),
    "huge.txt": make_corpus.big_posting,
    **{f"empty{suffix}": lambda: "" for suffix in (".csv", ".tsv", ".jsonl", ".csv.gz", ".xlsx", ".parquet")},
}
#: The CLI runs of this module, in test order: (file, output suffix or None for a posting file, extra
#: arguments; "--loud" runs a table without -q, to see the run's summary).
CLI_RUNS = [
    ("truncated.csv", ".csv", ()), ("truncated_in_quotes.csv", ".csv", ()), ("unbalanced_quotes.csv", ".csv", ()),
    ("unclosed_quote.csv", ".csv", ()), ("unclosed_quote_header.csv", ".csv", ()), ("undoubled_quotes.csv", ".csv", ()),
    ("mixed_line_endings.csv", ".csv", ("--loud",)), ("utf16le_no_bom.csv", ".csv", ()),
    ("utf16be_no_bom.csv", ".csv", ()), ("cp1252_smart_quotes.csv", ".csv", ()), ("control_chars.csv", ".csv", ()),
    ("formulas_merged_header.xlsx", ".csv", ()), ("not_a_zip.xlsx", ".csv", ()), ("truncated.xlsx", ".csv", ()),
    ("broken_sheet.xlsx", ".csv", ()), ("nested_column.parquet", ".parquet", ()),
    ("damaged.parquet", ".csv", ("--chunk-rows", "10")), ("bad_line_middle.jsonl", ".csv", ()),
    ("deep_nested.jsonl", ".csv", ()), ("deep_100k.jsonl", ".csv", ()), ("bad_unicode.jsonl", ".xlsx", ()),
    *[(f"empty{suffix}", ".csv", ()) for suffix in (".csv", ".tsv", ".jsonl", ".csv.gz", ".xlsx", ".parquet")],
    ("blank.csv", ".csv", ()), ("header_only.csv", ".csv", ()), ("binary.csv", ".csv", ()),
    ("truncated.csv.gz", ".csv", ()), ("truncated.jsonl.gz", ".csv", ()),
    ("nested_divs.html", None, ()), ("nested_100k.html", None, ()), ("deep_nested.json", None, ()),
    ("deep_100k.json", None, ()), ("huge.txt", None, ()), ("empty.txt", None, ()), ("binary.txt", None, ()),
]


class CliRuns:
    """``servicelens predict`` in subprocesses, two at a time: a test starts its own run and the next
    ones of ``CLI_RUNS``, so the CLI runs (each loads Python, scikit-learn and the model) overlap each
    other and the API runs."""

    AHEAD = 2

    def __init__(self, folder: Path, model: Path):
        self.folder, self.model = folder, model
        (folder / "generated").mkdir()
        for name, text in GENERATED.items():
            (folder / "generated" / name).write_text(text(), encoding="utf-8")
        self._pool = ThreadPoolExecutor(2)
        self._runs: dict[tuple, Future] = {}

    def source(self, name: str) -> Path:
        return self.folder / "generated" / name if name in GENERATED else CORPUS / name

    def _submit(self, name: str, suffix: str | None, args: tuple[str, ...]) -> Future:
        key = (name, suffix, args)
        if key not in self._runs:
            out = self.folder / f"run{len(self._runs)}" / f"scored{suffix}"
            out.parent.mkdir()
            if suffix is None:  # a posting file
                command = [self.source(name), "--json", "--model", self.model]
            else:
                quiet = [] if "--loud" in args else ["-q"]
                command = [self.source(name), "-o", out, "--model", self.model, "--workers", "1", *quiet,
                           *[a for a in args if a != "--loud"]]
            self._runs[key] = self._pool.submit(self._run, command, out)
        return self._runs[key]

    @staticmethod
    def _run(command: list, out: Path) -> tuple[subprocess.CompletedProcess, Path]:
        done = subprocess.run([sys.executable, "-m", "servicelens", "predict", *map(str, command)], cwd=ROOT,
                              capture_output=True, timeout=300, check=False)
        return done, out

    def start(self, name: str, suffix: str | None = ".csv", args: tuple[str, ...] = ()) -> None:
        key = (name, suffix, args)
        self._submit(*key)
        if key in CLI_RUNS:
            at = CLI_RUNS.index(key)
            for ahead in CLI_RUNS[at + 1:at + 1 + self.AHEAD]:
                self._submit(*ahead)

    def get(self, name: str, suffix: str | None = ".csv", args: tuple[str, ...] = ()
            ) -> tuple[subprocess.CompletedProcess, Path]:
        self.start(name, suffix, args)
        return self._submit(name, suffix, args).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def model(shipped_model_dir, shipped_model) -> Path:
    """The shipped model's folder; the API runs here take the loaded model instead of loading it for
    every table (the CLI runs load it as a user's run does)."""
    import servicelens.model.loaded
    import servicelens.cli.predict_files

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(servicelens.model.loaded, "Model", lambda folder: shipped_model)
        patch.setattr(servicelens.cli.predict_files, "load_model", lambda folder: shipped_model)
        yield shipped_model_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory, model) -> CliRuns:
    runs = CliRuns(tmp_path_factory.mktemp("adversarial"), model)
    yield runs
    runs.close()


@dataclass
class Run:
    source: Path
    api_out: Path
    cli_out: Path
    summary: BatchSummary | None
    error: InputError | None
    returncode: int
    stderr: str


def run_table(name: str, tmp_path: Path, runs: CliRuns, suffix: str = ".csv", options: BatchOptions = QUIET,
              cli_args: tuple[str, ...] = ()) -> Run:
    """Score the table ``name`` with ``predict_table`` and with the CLI, into folders of their own."""
    source = runs.source(name)
    runs.start(name, suffix, cli_args)
    api_out = tmp_path / "api" / f"scored{suffix}"
    api_out.parent.mkdir()
    summary = error = None
    try:
        summary = predict_table(source, api_out, runs.model, options)
    except InputError as exc:
        error = exc
    done, cli_out = runs.get(name, suffix, cli_args)
    return Run(source, api_out, cli_out, summary, error, done.returncode, done.stderr.decode("utf-8", "replace"))


def assert_refused(run: Run, *fragments: str, resumable: bool = False) -> None:
    """Both refused the file with one message naming it (and ``fragments``), and left no output."""
    assert run.summary is None and run.error is not None, "the API scored a file it must refuse"
    message = str(run.error)
    assert message.startswith(str(run.source) + ":"), message
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1, run.stderr
    assert run.stderr == f"servicelens: error: {message}\n"
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    for out in (run.api_out, run.cli_out):
        assert not out.exists(), "a failed run left a file under the output name"
        run_folder = out.with_name(f".{out.name}{RUN_SUFFIX}")
        assert {p.name for p in out.parent.iterdir()} <= {run_folder.name}, "a failed run left a temporary file"
        if resumable and run_folder.exists():  # the documented resumable run: finished parts only
            assert all(p.name == "run.json" or (p.name.startswith("part-") and not p.name.endswith(".tmp"))
                       for p in run_folder.iterdir())
        elif not resumable:
            assert not run_folder.exists(), "a file refused before scoring left a run folder"


def assert_scored(run: Run, same_bytes: bool = True) -> None:
    assert run.error is None, run.error
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stderr
    for out in (run.api_out, run.cli_out):
        assert [p.name for p in out.parent.iterdir()] == [out.name], "leftovers beside the output"
    if same_bytes:
        assert run.api_out.read_bytes() == run.cli_out.read_bytes()


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]


def originals(rows: list[dict[str, str]], columns=HEADER) -> list[list[str]]:
    return [[row[c] for c in columns] for row in rows]


def problems(summary: BatchSummary) -> list[tuple[int, int, str]]:
    """(row, line, message) of each row the run summary names."""
    return [(row, line, message) for row, line, _, message in summary.stats.problems]


# -- CSV: truncation, quotes, line ends ------------------------------------------------------------------

@pytest.mark.parametrize("name, cut", [("truncated.csv", "Answer customer calls and resolve bill"),
                                       ("truncated_in_quotes.csv", "Answer customer calls, resolve bill")])
def test_a_cut_last_line_is_kept_and_flagged(tmp_path, runs, name, cut):
    run = run_table(name, tmp_path, runs)
    assert_scored(run)
    header, rows = read_csv(run.api_out)
    assert header == HEADER + list(ADDED_COLUMNS)
    assert originals(rows) == ORIGINAL[:2] + [["3", "Call Centre Agent", cut, ""]]
    assert [r["error"] for r in rows] == ["", "", Warnings.W021]
    assert all(r["cs_score"] for r in rows)  # the cut row is still scored, with the note
    assert problems(run.summary) == [(3, 4, Warnings.W021)]


def test_a_missing_closing_quote_that_swallows_a_line_is_refused(tmp_path, runs):
    run = run_table("unbalanced_quotes.csv", tmp_path, runs)
    assert_refused(run, "line 3:", "do not pair up", "lines 3-4 run together", resumable=True)
    assert str(run.error) == Errors.E091.format(path=run.source, line=3, end=4)


def test_a_quote_never_closed_is_refused(tmp_path, runs):
    run = run_table("unclosed_quote.csv", tmp_path, runs)
    assert_refused(run, "line 3:", "never closed", "lines 3-5", resumable=True)
    assert str(run.error) == Errors.E090.format(path=run.source, line=3, end=5)


def test_a_header_with_a_quote_never_closed_is_refused_before_scoring(tmp_path, runs):
    run = run_table("unclosed_quote_header.csv", tmp_path, runs)
    assert_refused(run, "line 1:", "never closed", "lines 1-5")


def test_undoubled_quotes_within_one_line_are_scored_with_a_note(tmp_path, runs):
    run = run_table("undoubled_quotes.csv", tmp_path, runs)
    assert_scored(run)
    _, rows = read_csv(run.api_out)
    assert originals(rows) == [["1", "Receptionist", 'Answer the main" line and greet visitors."', "2024-01-02"],
                               ["2", "Cashier", "Greet customers.", "2024-01-03"]]
    assert [r["error"] for r in rows] == [Warnings.W020, ""]
    assert all(r["cs_score"] for r in rows)


def test_mixed_line_endings(tmp_path, runs):
    run = run_table("mixed_line_endings.csv", tmp_path, runs, cli_args=("--loud",))  # the CLI without -q
    assert_scored(run)
    _, rows = read_csv(run.api_out)  # (a lone \r in a value is quoted, or a reader ends the row there)
    assert originals(rows) == [
        ["1", "Cashier", "Greet customers.", "2024-01-02"],
        ["2", "Nurse", "Care for patients.\rEducate families.", "2024-01-03"],
        ["3", "Welder", "Weld steel frames.\r\nRead blueprints.", "2024-01-04"],
        ["4", "Barista", "Serve coffee.", "2024-01-05,EXTRA"],
        ["5", "Porter", "Carry luggage for hotel guests.", "2024-01-06"]]
    extra = Warnings.W002.format(found=5, width=4)
    assert [r["error"] for r in rows] == ["", "", "", extra, ""]
    assert [bool(r["cs_score"]) for r in rows] == [True, True, True, False, True]
    assert problems(run.summary) == [(4, 7, extra)]  # line 7: bare \r ends a line too
    assert "row 4 (line 7, id 4): the row has 5 fields" in run.stderr  # the CLI's summary


# -- encodings and control characters --------------------------------------------------------------------

ACCENTED = [["1", "Caf\u00e9 Barista \u2013 \u201cfront\u201d", "Greet customers warmly; na\u00efve questions welcome.",
             "2024-01-02"], ["2", "Welder", "Weld frames \u2014 \u00bd day on site.", "2024-01-03"]]
SMART = [["1", "Front Desk \u201cAmbassador\u201d", "Greet guests \u2013 it\u2019s the job\u2026 Tips in \u20ac.", "2024-01-02"],
         ["2", "Caf\u00e9 Cook", "Cook for the caf\u00e9\u2019s customers.", "2024-01-03"]]


@pytest.mark.parametrize("name, expected", [("utf16le_no_bom.csv", ACCENTED), ("utf16be_no_bom.csv", ACCENTED),
                                            ("cp1252_smart_quotes.csv", SMART)])
def test_encodings_without_a_mark_are_read_exactly(tmp_path, runs, name, expected):
    run = run_table(name, tmp_path, runs)
    assert_scored(run)
    _, rows = read_csv(run.api_out)
    assert originals(rows) == expected
    assert [r["error"] for r in rows] == ["", ""] and all(r["cs_score"] for r in rows)


def test_control_characters_and_nul_in_cells(tmp_path, runs):
    run = run_table("control_chars.csv", tmp_path, runs)
    assert_scored(run)
    _, rows = read_csv(run.api_out)
    assert originals(rows) == [
        ["1", "Cashier", "Greet\x00 customers\x01 and take\x1b[31m payments\x7f.", "2024-01-02"],
        ["2", "Receptionist", "Answer\x0bthe phone\x0cand greet\u200b visitors\u2028politely.\ufeff", "2024-01-03"],
        ["3", "Welder\x00", "\x00", "2024-01-04"],
        ["4", "Barista", "Serve coffee to guests and keep the counter clean.", "2024-01-05"],
        ["5", "Porter", "Carry luggage for hotel guests and call taxis.", "2024-01-06"]]
    assert [r["error"] for r in rows] == ["", "", Warnings.W009, "", ""]
    assert all(r["cs_score"] for r in rows)
    assert "Greet customers" in rows[0]["top_signals"]  # the controls are cleaned away before scoring


# -- XLSX ---------------------------------------------------------------------------------------------

def test_xlsx_formulas_and_merged_header_cells(tmp_path, runs):
    run = run_table("formulas_merged_header.xlsx", tmp_path, runs)
    assert_scored(run)
    header, rows = read_csv(run.api_out)
    columns = ["id", "Job Title", "column_3", "Description", "Posted"]
    assert header == columns + list(ADDED_COLUMNS)
    assert originals(rows, columns) == [
        ["1", "Cashier", "Front store", "Greet customers and take payments.", "2024-01-02"],  # the saved value
        ["2", "Receptionist", "Lobby", "Welcome visitors and answer the phone.", "45300"],
        ["3", "", "Shop floor", "Weld steel frames.", "2024-01-04"],  # under a merged cell: empty
        ["4", "", "", "Serve coffee to guests.", "2024-01-05"],
        ["5", "Night Auditor", "", "", "2024-01-06"]]
    assert [r["error"] for r in rows] == ["", "", "", Warnings.W022.format(cells="B5"),
                                          Warnings.W022.format(cells="D6") + "; " + Warnings.W009]
    assert all(r["cs_score"] for r in rows)
    assert [line for _, line, _ in problems(run.summary)] == [5, 6]  # sheet rows


@pytest.mark.parametrize("name, fragment", [("not_a_zip.xlsx", "cannot read it as .xlsx: File is not a zip file"),
                                            ("truncated.xlsx", "cannot read it as .xlsx")])
def test_an_xlsx_that_is_not_a_workbook_is_refused(tmp_path, runs, name, fragment):
    assert_refused(run_table(name, tmp_path, runs), fragment)


def test_an_xlsx_with_a_damaged_worksheet_is_refused(tmp_path, runs):
    run = run_table("broken_sheet.xlsx", tmp_path, runs)
    assert_refused(run, "sheet row 4: cannot read the worksheet", "the file is damaged", resumable=True)


# -- Parquet ----------------------------------------------------------------------------------------

def test_parquet_nested_columns_are_kept(tmp_path, runs):
    run = run_table("nested_column.parquet", tmp_path, runs, suffix=".parquet")
    source = run.source
    assert_scored(run)
    given = pq.read_table(source)
    for out in (run.api_out, run.cli_out):
        written = pq.read_table(out)
        assert written.select(given.column_names).equals(given)  # types and values as given
        assert written.column_names == given.column_names + list(ADDED_COLUMNS)
        assert written.column("error").to_pylist() == ["", "", ""]
        assert None not in written.column("cs_score").to_pylist()
    as_csv = tmp_path / "nested.csv"
    predict_table(source, as_csv, runs.model, QUIET)
    _, rows = read_csv(as_csv)
    assert [r["location"] for r in rows] == ['{"city": "Leeds", "country": "UK"}', "",
                                             '{"city": "Lyon", "country": null}']
    assert [r["deep"] for r in rows] == ['[[{"a": 1}]]', '[[{"a": 2}, null], []]', ""]


def test_a_damaged_parquet_is_refused_naming_the_row(tmp_path, runs):
    run = run_table("damaged.parquet", tmp_path, runs,
                    options=BatchOptions(progress=False, workers=1, chunk_rows=10), cli_args=("--chunk-rows", "10"))
    assert_refused(run, "row 11: cannot read the table from this row on", "the file is damaged", resumable=True)


# -- JSON lines ----------------------------------------------------------------------------------------

def test_jsonl_bad_lines_in_the_middle(tmp_path, runs):
    run = run_table("bad_line_middle.jsonl", tmp_path, runs)
    assert_scored(run)
    _, rows = read_csv(run.api_out)
    assert originals(rows, ["id", "title"]) == [["1", "Cashier"], ["2", "Nurse"], ["", ""], ["", ""], ["5", "Porter"]]
    errors = [r["error"] for r in rows]
    assert errors[2].startswith("invalid JSON: ") and "at column" in errors[2]
    assert errors[3] == Warnings.W005.format(kind="list")
    assert errors[0] == errors[1] == errors[4] == ""
    assert [bool(r["cs_score"]) for r in rows] == [True, True, False, False, True]
    assert [(row, line) for row, line, _ in problems(run.summary)] == [(3, 3), (4, 4)]


@pytest.mark.parametrize("name", ["deep_nested.jsonl", "deep_100k.jsonl"])
def test_jsonl_deeply_nested_row(tmp_path, runs, name):
    run = run_table(name, tmp_path, runs)
    assert_scored(run)
    _, rows = read_csv(run.api_out)
    assert originals(rows, ["id", "title"]) == [["1", "Cashier"], ["", ""], ["3", "Welder"]]
    assert [r["error"] for r in rows] == ["", Warnings.W004.format(detail="nested too deeply"), ""]
    assert [bool(r["cs_score"]) for r in rows] == [True, False, True]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_jsonl_nesting_just_under_the_recursion_limit(tmp_path, model, suffix):
    """A row json.loads just manages would overflow json.dumps when written back (a RecursionError
    that stopped the run): it is refused too, while a few levels of nesting are written back unchanged."""
    source = tmp_path / "deep.jsonl"
    source.write_text(make_corpus.nested_jsonl(985) + make_corpus.nested_jsonl(40), encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    summary = predict_table(source, out, model, QUIET)
    assert summary.stats.rows == 6 and summary.stats.scored == 5
    assert problems(summary) == [(2, 2, Warnings.W004.format(detail="nested too deeply"))]
    if suffix == ".jsonl":
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert lines[4]["extra"] == json.loads(make_corpus.nested_jsonl(40).splitlines()[1])["extra"]


def test_jsonl_text_that_utf8_and_xml_cannot_hold(tmp_path, runs):
    """Lone surrogates (JSON "\\ud800" escapes), U+FFFE, U+FFFF and C0 controls: an XLSX or Parquet
    output holds U+FFFD in their place (they stopped a Parquet run, and made an XLSX output unreadable)."""
    from openpyxl import load_workbook

    run = run_table("bad_unicode.jsonl", tmp_path, runs, suffix=".xlsx")
    assert_scored(run, same_bytes=False)  # (an XLSX file holds the time it was written)
    for out in (run.api_out, run.cli_out):
        sheet = load_workbook(out, read_only=True).worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert rows[0][:4] == ["id", "title", "description", "tags"]
        assert [row[:4] for row in rows[1:]] == [[1, "Cashier \ufffd", "Greet customers \ufffd and \ufffd guests.\ufffd",
                                                  None], [2, "Nurse", "Care for patients \ufffd.", '["?"]']]
        assert all(row[-4] and row[-1] == Warnings.W012 for row in rows[1:])  # scored, with a note
    parquet = tmp_path / "scored.parquet"
    predict_table(run.source, parquet, runs.model, QUIET)
    table = pq.read_table(parquet).to_pylist()
    assert [(r["title"], r["tags"]) for r in table] == [("Cashier \ufffd", None), ("Nurse", '["\ufffd"]')]
    assert table[0]["description"] == "Greet customers \uffff and \ufffe guests.\x01"  # UTF-8 holds these


# -- whole-file problems -------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".csv.gz", ".xlsx", ".parquet"])
def test_an_empty_file_is_refused(tmp_path, runs, suffix):
    assert (CORPUS / "empty.csv").read_bytes() == runs.source(f"empty{suffix}").read_bytes() == b""
    assert_refused(run_table(f"empty{suffix}", tmp_path, runs), "file is empty")


def test_a_file_of_blank_lines_is_refused(tmp_path, runs):
    assert_refused(run_table("blank.csv", tmp_path, runs), "file is empty")


def test_a_file_of_only_headers_gives_an_empty_scored_table(tmp_path, runs):
    run = run_table("header_only.csv", tmp_path, runs)
    assert_scored(run)
    assert read_csv(run.api_out) == (HEADER + list(ADDED_COLUMNS), [])
    assert run.summary.stats.rows == 0 and "scored 0 of 0 rows" in run.summary.lines()[0]


def test_a_binary_file_named_csv_is_refused(tmp_path, runs):
    assert_refused(run_table("binary.csv", tmp_path, runs), "looks like a binary file")


def test_a_gzip_that_ends_early_is_refused_naming_the_line(tmp_path, runs):
    run = run_table("truncated.csv.gz", tmp_path, runs)
    assert_refused(run, "line 120: cannot read the file past this line", "cut short or damaged", resumable=True)


def test_a_jsonl_gzip_that_ends_early_is_refused_before_scoring(tmp_path, runs):
    run = run_table("truncated.jsonl.gz", tmp_path, runs)
    assert_refused(run, "line 120: cannot read the file past this line", "cut short or damaged")


# -- single posting files (servicelens predict FILE) ----------------------------------------------

def score_posting(name: str, runs: CliRuns) -> tuple[Path, int, list[dict], str, int, str]:
    """The file, (failures, results, messages) from ``predict_files`` and (exit status, stderr) from the CLI."""
    path = runs.source(name)
    runs.start(name, None)
    out, err = io.StringIO(), io.StringIO()
    failures = predict_files([path], runs.model, True, out=out, err=err)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    done, _ = runs.get(name, None)
    assert [json.loads(line) for line in done.stdout.decode().splitlines()] == results
    return path, failures, results, err.getvalue(), done.returncode, done.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("name", ["nested_divs.html", "nested_100k.html"])
def test_posting_deeply_nested_html(runs, name):
    path, failures, results, messages, status, stderr = score_posting(name, runs)
    assert failures == 0 and status == 0
    cut = path.stat().st_size > MAX_FILE_CHARS  # 100,000 <div>s are 1.1 MB: the closing tags are cut off
    assert messages == stderr == (f"servicelens: note: {path}: {Warnings.W008.format(limit=MAX_FILE_CHARS)}\n"
                                  if cut else "")
    assert any(s["text"] == "Greet customers" for s in results[0]["signals"])


@pytest.mark.parametrize("name", ["deep_nested.json", "deep_100k.json"])
def test_posting_deeply_nested_json(runs, name):
    with pytest.raises(InputError, match="nested too deeply") as info:
        read_posting(runs.source(name))
    path, failures, results, messages, status, stderr = score_posting(name, runs)
    assert str(info.value) == f"{path}: invalid JSON: nested too deeply"
    assert failures == 1 and results == [] and status == 1
    assert messages == stderr == f"servicelens: error: {info.value}\n"


@pytest.mark.integration  # (scores a million characters twice: several seconds)
def test_posting_of_ten_megabytes(runs):
    path, failures, results, messages, status, stderr = score_posting("huge.txt", runs)
    assert path.stat().st_size == 10 * 1024 * 1024
    note = f"servicelens: note: {path}: {Warnings.W008.format(limit=MAX_FILE_CHARS)}\n"
    assert failures == 0 and status == 0 and messages == stderr == note
    assert 0 <= results[0]["cs_score"] <= 100 and results[0]["signals"]
    assert all(s["end"] <= MAX_FILE_CHARS for s in results[0]["signals"])


@pytest.mark.parametrize("name, fragment", [("empty.txt", "file is empty"), ("binary.txt", "looks like a binary file")])
def test_posting_empty_or_binary(runs, name, fragment):
    path, failures, results, messages, status, stderr = score_posting(name, runs)
    assert failures == 1 and results == [] and status == 1
    assert messages == stderr and stderr.startswith(f"servicelens: error: {path}: ") and fragment in stderr
    assert "Traceback" not in stderr and stderr.count("\n") == 1


def test_the_corpus_is_what_make_corpus_writes(tmp_path):
    """The stored files are the generator's output (run make_corpus.py after editing it)."""
    make_corpus.main(tmp_path)
    stored = {p.name for p in CORPUS.iterdir() if p.suffix not in (".py", ".md") and p.is_file()}
    assert stored == {p.name for p in tmp_path.iterdir()}
    for name in stored:
        if not name.endswith((".xlsx", ".parquet")):  # (their bytes name the openpyxl or pyarrow version)
            assert (CORPUS / name).read_bytes() == (tmp_path / name).read_bytes(), name
