"""Read the tables HR systems export, in chunks, keeping every row and value as it was given.

CSV and TSV (optionally gzipped), XLSX, Parquet and JSON lines (optionally gzipped). A reader
knows its columns before the first row is scored and yields :class:`Chunk` objects of a fixed
number of rows, so memory stays flat however long the table is. Values are kept as read: text
stays text (``00123`` stays ``00123``), XLSX and JSON values keep their types, and a Parquet
chunk carries its Arrow batch so a Parquet output can write it back unchanged.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import re
import sys
import zipfile
from dataclasses import dataclass
from functools import partial
from itertools import chain, count
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Sequence

from servicelens.errors import Errors, InputError, Warnings
from servicelens.inputs.posting_files import detect_encoding

FORMATS = ("csv", "tsv", "xlsx", "parquet", "jsonl")
#: Formats that may be gzipped (``.csv.gz``): they are read and written as a stream.
STREAM_FORMATS = ("csv", "tsv", "jsonl")
STDIO = "-"
_SAMPLE_BYTES = 1 << 20
_DELIMITERS = ",;\t|"
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_DEPTH = 100  # JSON nesting kept in a JSON-lines row; a posting's values nest a few levels at most


class Missing:
    """A JSON-lines row without one of the table's keys (written back without it)."""

    _instance = None

    def __new__(cls):
        cls._instance = cls._instance or super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self):
        return Missing, ()


MISSING = Missing()


@dataclass(frozen=True)
class TableFormat:
    name: str  # csv | tsv | xlsx | parquet | jsonl
    gzip: bool = False

    @property
    def suffix(self) -> str:
        return f".{self.name}" + (".gz" if self.gzip else "")


def table_format(path: str | os.PathLike) -> TableFormat:
    """The format a path's extension names (``-``, standard input or output, is CSV)."""
    name = str(path)
    if name == STDIO:
        return TableFormat("csv")
    lower = name.lower()
    compressed = lower.endswith(".gz")
    stem = lower[:-3] if compressed else lower
    for fmt in FORMATS:
        if stem.endswith("." + fmt) and (not compressed or fmt in STREAM_FORMATS):
            return TableFormat(fmt, compressed)
    expected = ", ".join([f".{f}" for f in FORMATS] + [f".{f}.gz" for f in STREAM_FORMATS])
    raise InputError(Errors.E040.format(path=name, expected=expected))


def is_table(path: str | os.PathLike) -> bool:
    try:
        table_format(path)
    except InputError:
        return False
    return str(path) != STDIO


@dataclass
class Chunk:
    """A run of consecutive rows; ``rows[k]`` holds one value per column of the table."""

    index: int  # 0, 1, 2 ... in input order
    first_row: int  # 1-based data row number of rows[0]
    rows: list[list[Any]]
    lines: list[int]  # where each row starts in the file (line, or sheet row), for messages
    problems: list[str]  # a reading problem per row ("" when none)
    usable: list[bool]  # False: the row's values cannot be trusted to score (a broken line)
    batch: Any = None  # Parquet input: the pyarrow RecordBatch these rows came from


class TableReader:
    """An open table: its ``columns`` and its rows in chunks (see ``open_table``)."""

    def __init__(self, source: str, fmt: TableFormat, columns: list[str],
                 rows: Iterator[tuple[int, list[Any], str, bool]] | None = None, *, batches: Iterator[Any] | None = None,
                 total_rows: int | None = None, position: Callable[[], float] | None = None,
                 encoding: str | None = None, delimiter: str | None = None, closers: Sequence[Callable] = ()):
        self.source = source
        self.format = fmt
        self.columns = columns
        self.total_rows = total_rows  # when the format says (XLSX, Parquet)
        self.encoding = encoding  # text formats: as detected or given
        self.delimiter = delimiter  # CSV and TSV
        self._rows = rows if rows is not None else iter(())  # (line, values, problem, usable) per row
        self._batches = batches  # Parquet: record batches instead of rows
        self._position = position  # fraction of the input read so far, when known
        self._closers = list(closers)

    def chunks(self, size: int) -> Iterator[Chunk]:
        if self._batches is not None:
            yield from self._parquet_chunks()
            return
        index, row_number = 0, 1
        buffer: list[tuple[int, list[Any], str, bool]] = []
        for item in self._rows:
            buffer.append(item)
            if len(buffer) == size:
                yield self._chunk(index, row_number, buffer)
                index, row_number, buffer = index + 1, row_number + size, []
        if buffer:
            yield self._chunk(index, row_number, buffer)

    @staticmethod
    def _chunk(index: int, first_row: int, items: list[tuple[int, list[Any], str, bool]]) -> Chunk:
        lines, rows, problems, usable = (list(column) for column in zip(*items))
        return Chunk(index, first_row, rows, lines, problems, usable)

    def _parquet_chunks(self) -> Iterator[Chunk]:
        import pyarrow as pa

        first = 1
        for index in count():
            try:
                batch = next(self._batches, None)
            except (pa.ArrowException, OSError) as exc:  # a damaged page is found when it is read
                raise InputError(Errors.E094.format(path=self.source, row=first, detail=_detail(exc))) from exc
            if batch is None:
                return
            values = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            rows = [list(r) for r in zip(*values)] if values else [[] for _ in range(batch.num_rows)]
            yield Chunk(index, first, rows, list(range(first, first + len(rows))), [""] * len(rows),
                        [True] * len(rows), batch)
            first += len(rows)

    def fraction_read(self) -> float | None:
        return self._position() if self._position else None

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()

    def __enter__(self) -> TableReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_table(path: str | os.PathLike, fmt: TableFormat | None = None, *, encoding: str | None = None,
               delimiter: str | None = None, chunk_rows: int = 1000,
               opener: Callable[[], BinaryIO] | None = None) -> TableReader:
    """Open a table for reading in chunks; ``-`` reads CSV from standard input.

    ``opener`` opens the bytes of a CSV, TSV or JSON-lines table that is not a local file (an
    fsspec URL, say); ``path`` then only names it. Problems with the whole file (missing, empty,
    binary, not the format its name says) raise :class:`InputError` naming the file; problems with
    one row are kept with that row.
    """
    source = str(path)
    fmt = fmt or table_format(source)
    if opener is None and source != STDIO and not Path(source).is_file():
        raise InputError(Errors.E001.format(path=source))
    if opener is None and source != STDIO and os.path.getsize(source) == 0:
        raise InputError(Errors.E002.format(path=source))  # (else "not a zip file" for an empty .xlsx)
    if fmt.name == "xlsx":
        return _open_xlsx(source)
    if fmt.name == "parquet":
        return _open_parquet(source, chunk_rows)
    if opener is None and source != STDIO:
        opener = partial(open, source, "rb")
    return _open_text(source, fmt, encoding, delimiter, opener)


# -- text formats: CSV, TSV, JSON lines ------------------------------------------------------------

class _Prefixed(io.RawIOBase):
    """A byte stream that replays the sample already read from its start."""

    def __init__(self, prefix: bytes, rest: BinaryIO):
        self._prefix, self._rest = memoryview(prefix), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _open_text(source: str, fmt: TableFormat, encoding: str | None, delimiter: str | None,
               opener: Callable[[], BinaryIO] | None) -> TableReader:
    closers = []
    position = None
    if opener is None:  # standard input
        raw: BinaryIO = sys.stdin.buffer
    else:
        raw = opener()
        closers.append(raw.close)
        size = os.path.getsize(source) if Path(source).is_file() else 0
        file = raw
        position = (lambda: file.tell() / size) if size else None
    if fmt.gzip:
        raw = gzip.GzipFile(fileobj=raw, mode="rb")
    try:
        sample = raw.read(_SAMPLE_BYTES)
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise InputError(Errors.E041.format(path=source, format=fmt.suffix, detail=exc)) from exc
    if not sample.strip():
        raise InputError(Errors.E002.format(path=source))
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise InputError(Errors.E042.format(path=source, encoding=encoding)) from exc
    else:
        encoding = detect_encoding(sample, source, complete=len(sample) < _SAMPLE_BYTES)
    # Undecodable bytes become lone surrogates here and mark their row; they never stop the run.
    text = io.TextIOWrapper(io.BufferedReader(_Prefixed(sample, raw), 1 << 16), encoding=encoding,
                            errors="surrogateescape", newline="")
    if fmt.name == "jsonl":
        reader = _jsonl_rows(text, source)
        columns = _jsonl_columns(opener, fmt, encoding, source) if opener is not None else None
        return _jsonl_reader(source, fmt, reader, columns, position, encoding, closers)
    if delimiter is None:
        delimiter = "\t" if fmt.name == "tsv" else _sniff_delimiter(sample.decode(encoding, errors="replace"))
    csv.field_size_limit(2**31 - 1)  # a 10 MB description is one field
    lines = _Lines(text, source)
    rows = csv.reader(lines, delimiter=delimiter, strict=False)
    try:
        header = next(row for row in rows if row)  # blank lines before the header are no header
    except StopIteration as exc:
        raise InputError(Errors.E002.format(path=source)) from exc
    except csv.Error as exc:
        raise InputError(Errors.E041.format(path=source, format=fmt.suffix, detail=exc)) from exc
    if any('"' in t for t in lines.taken):
        _quote_problem(lines, delimiter, 1, source)  # a header that swallowed rows is refused
    columns = [_undecoded(name) for name in header]
    return TableReader(source, fmt, columns, _csv_rows(rows, lines, len(columns), delimiter, source), position=position,
                       encoding=encoding, delimiter=delimiter, closers=closers)


def _sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV from its header line: the most frequent of ``, ; TAB |``."""
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _undecoded(text: str) -> str:
    return _UNDECODABLE.sub("\ufffd", text)


def _read_lines(text: io.TextIOBase, source: str) -> Iterator[str]:
    """The lines of ``text``; a gzip stream that is cut short or damaged raises, naming the line."""
    number = 0
    while True:
        try:
            line = text.readline()
        except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
            raise InputError(Errors.E092.format(path=source, line=number + 1, detail=exc)) from exc
        if not line:
            return
        number += 1
        yield line


class _Lines:
    """The lines the CSV reader reads, keeping those it took for its current record."""

    def __init__(self, text: io.TextIOBase, source: str):
        self._lines = _read_lines(text, source)
        self.taken: list[str] = []
        self.ended = False  # the reader asked for a line past the end of the file

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            line = next(self._lines)
        except StopIteration:
            self.ended = True
            raise
        self.taken.append(line)
        return line


def _csv_rows(rows, lines: _Lines, width: int, delimiter: str, source: str
              ) -> Iterator[tuple[int, list[Any], str, bool]]:
    line = rows.line_num + 1
    while True:
        lines.taken.clear()
        try:
            values = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(Errors.E043.format(path=source, line=line, detail=exc)) from exc
        if not values:  # a blank line is no row
            line = rows.line_num + 1
            continue
        problem = _quote_problem(lines, delimiter, line, source) if any('"' in t for t in lines.taken) else ""
        if not problem and len(values) < width and not lines.taken[-1].endswith(("\n", "\r")):
            problem = Warnings.W021  # only the last line of a file has no line end: it was cut
        problems, usable = [problem], True
        if len(values) < width:
            values = values + [""] * (width - len(values))
        elif len(values) > width:
            problems.append(Warnings.W002.format(found=len(values), width=width))
            usable = False
            values = values[:width - 1] + [delimiter.join(values[width - 1:])]
        if any(_UNDECODABLE.search(v) for v in values):
            problems.append(Warnings.W003)
            values = [_undecoded(v) for v in values]
        yield line, values, "; ".join(p for p in problems if p), usable
        line = rows.line_num + 1


def _quote_problem(lines: _Lines, delimiter: str, line: int, source: str) -> str:
    """What is wrong with the quotes of the record just read ("" when nothing).

    The reader is lenient: a quote that is not doubled, or never closed, makes the value run on
    over line ends, swallowing the rows after it. A strict reading of the same lines finds that;
    when the value ran over a line end, rows were merged and the file is refused.
    """
    try:
        for _ in csv.reader(lines.taken, delimiter=delimiter, strict=True):
            pass
        return ""
    except csv.Error:
        pass
    end = line + len(lines.taken) - 1
    if lines.ended:  # the value was still open at the end of the file
        if len(lines.taken) > 1:
            raise InputError(Errors.E090.format(path=source, line=line, end=end))
        return Warnings.W021
    if len(lines.taken) > 1:
        raise InputError(Errors.E091.format(path=source, line=line, end=end))
    return Warnings.W020


def _jsonl_rows(text: io.TextIOBase, source: str) -> Iterator[tuple[int, Any, str]]:
    for number, line in enumerate(_read_lines(text, source), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, Warnings.W004.format(detail=f"{exc.msg.removesuffix(' at')} at column {exc.colno}")
            continue
        except RecursionError:  # the C decoder recurses once per nested array or object
            yield number, None, Warnings.W004.format(detail="nested too deeply")
            continue
        if line.count("[") + line.count("{") > _MAX_DEPTH and _too_deep(record):
            # Read just under the recursion limit, it could not be written back (json.dumps recurses too).
            yield number, None, Warnings.W004.format(detail="nested too deeply")
            continue
        if not isinstance(record, dict):
            yield number, None, Warnings.W005.format(kind=type(record).__name__)
            continue
        if _UNDECODABLE.search(line):
            yield number, {k: _undecoded(v) if isinstance(v, str) else v for k, v in record.items()}, Warnings.W003
            continue
        if "\\u" in line and any(isinstance(v, str) and _SURROGATE.search(v) for v in record.values()):
            # "\ud800" alone is valid JSON but no character: no format could write it back
            yield number, {k: _SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for k, v in record.items()}, \
                Warnings.W012
            continue
        yield number, record, ""


def _too_deep(value: Any) -> bool:
    """Whether ``value`` nests lists and objects more than ``_MAX_DEPTH`` deep (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > _MAX_DEPTH:
                return True
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False


def _jsonl_columns(opener: Callable[[], BinaryIO], fmt: TableFormat, encoding: str, source: str) -> list[str]:
    """Every key of a JSON-lines file, in order of first appearance (one pass over the file)."""
    keys: dict[str, None] = {}
    with opener() as raw:
        data = gzip.GzipFile(fileobj=raw, mode="rb") if fmt.gzip else raw
        text = io.TextIOWrapper(data, encoding=encoding, errors="surrogateescape", newline="")
        for line in _read_lines(text, source):
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                continue
            if isinstance(record, dict):
                keys.update(dict.fromkeys(record))
    return list(keys)


def _jsonl_reader(source, fmt, records, columns, position, encoding, closers) -> TableReader:
    if columns is None:  # standard input: the keys of the first rows
        head = [next(records, None) for _ in range(1000)]
        head = [item for item in head if item is not None]
        columns = list(dict.fromkeys(k for _, record, _ in head if record for k in record))
        records = chain(head, records)

    def rows() -> Iterator[tuple[int, list[Any], str, bool]]:
        known = set(columns)
        for line, record, problem in records:
            if record is None:
                yield line, [MISSING] * len(columns), problem, False
                continue
            extra = [k for k in record if k not in known]
            if extra and not problem:
                problem = Warnings.W006.format(keys=", ".join(extra[:5]))
            yield line, [record.get(c, MISSING) for c in columns], problem, True

    return TableReader(source, fmt, columns, rows(), position=position, encoding=encoding, closers=closers)


# -- XLSX and Parquet ----------------------------------------------------------------------------

def _open_xlsx(source: str) -> TableReader:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    if source == STDIO:
        raise InputError(Errors.E044.format(path=source))
    try:
        book = load_workbook(source, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
        # Excel saves each formula's value beside it; a program that writes XLSX may not. Such a
        # formula reads as empty, so its cells are found (in a second reading) and named.
        closers, formulas = [book.close], None
        if _has_formulas(source):
            written = load_workbook(source, read_only=True, data_only=False)
            closers.append(written.close)
            formulas = written.worksheets[0].iter_rows(values_only=True)
            next(formulas, None)
    except Exception as exc:  # openpyxl raises whatever its zip and XML readers raise on a damaged file
        raise InputError(Errors.E041.format(path=source, format=".xlsx", detail=_detail(exc))) from exc
    if header is None:
        for close in closers:
            close()
        raise InputError(Errors.E002.format(path=source))
    columns = [str(v).strip() if v is not None else f"column_{i + 1}" for i, v in enumerate(header)]
    width = len(columns)
    total = sheet.max_row - 1 if sheet.max_row else None

    def rows() -> Iterator[tuple[int, list[Any], str, bool]]:
        number = 1
        while True:
            try:
                row = next(values, None)
                written = next(formulas, ()) if formulas is not None else ()
            except Exception as exc:  # a damaged worksheet is found while it is read
                raise InputError(Errors.E093.format(path=source, line=number + 1, detail=_detail(exc))) from exc
            if row is None:
                return
            number += 1
            unsaved = [f"{get_column_letter(i + 1)}{number}" for i, (value, formula) in enumerate(zip(row, written))
                       if value is None and formula is not None]
            if all(v is None for v in row) and not unsaved:
                continue
            problem = Warnings.W022.format(cells=", ".join(unsaved[:5])) if unsaved else ""
            yield number, list(row[:width]) + [None] * (width - len(row)), problem, True

    return TableReader(source, TableFormat("xlsx"), columns, rows(), total_rows=total, closers=closers)


def _detail(exc: Exception) -> str:
    """An exception as one line of printable text (pyarrow's span lines and quote damaged bytes)."""
    return " ".join("".join(c if c.isprintable() else " " for c in str(exc)).split()) or type(exc).__name__


def _has_formulas(source: str) -> bool:
    """Whether a worksheet of the XLSX file holds a formula (its XML scanned as bytes, not parsed)."""
    tag = re.compile(rb"<(?:\w+:)?f[\s/>]")
    with zipfile.ZipFile(source) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as xml:
                tail = b""
                while block := xml.read(1 << 20):
                    if tag.search(tail + block):
                        return True
                    tail = block[-16:]
    return False


def _open_parquet(source: str, chunk_rows: int) -> TableReader:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if source == STDIO:
        raise InputError(Errors.E044.format(path=source))
    try:
        table = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(Errors.E041.format(path=source, format=".parquet", detail=_detail(exc))) from exc
    columns = list(table.schema_arrow.names)
    return TableReader(source, TableFormat("parquet"), columns, total_rows=table.metadata.num_rows,
                       batches=table.iter_batches(batch_size=chunk_rows), closers=[table.close])
