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
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from servicelens.errors import Errors, InputError, Warnings
from servicelens.inputs.posting_files import detect_encoding
from servicelens.inputs.reader import MISSING, STDIO, TableFormat, TableReader, table_format
from servicelens.inputs.workbooks import open_parquet, open_xlsx

_SAMPLE_BYTES = 1 << 20
_DELIMITERS = ",;\t|"
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_DEPTH = 100  # JSON nesting kept in a JSON-lines row; a posting's values nest a few levels at most


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
    given = fmt is not None
    fmt = fmt or table_format(source)
    if opener is None and source != STDIO and not Path(source).is_file():
        raise InputError(Errors.E001.format(path=source))
    if opener is None and source != STDIO and os.path.getsize(source) == 0:
        raise InputError(Errors.E002.format(path=source))  # (else "not a zip file" for an empty .xlsx)
    if fmt.name == "xlsx":
        return open_xlsx(source)
    if fmt.name == "parquet":
        return open_parquet(source, chunk_rows)
    if opener is None and source != STDIO:
        opener = partial(open, source, "rb")
    return _open_text(source, fmt, encoding, delimiter, opener, given)


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


def _stdin_format(sample: bytes, fmt: TableFormat, given: bool) -> TableFormat:
    """The format of standard input: as given with ``--format``, else JSON lines when it starts with
    ``{``, else CSV. What cannot be read as the format is refused before any row is scored."""
    head = sample.lstrip(b"\xef\xbb\xbf \t\r\n")
    found = ("JSON lines" if head.startswith(b"{") else "a JSON array" if head.startswith(b"[")
             else "an XLSX workbook" if head.startswith(b"PK\x03\x04") else "a Parquet file" if head.startswith(b"PAR1")
             else "a gzip stream" if head.startswith(b"\x1f\x8b") else "text")
    if not given and found == "JSON lines":
        return TableFormat("jsonl")
    if found not in ("text", "JSON lines") or (found == "JSON lines") != (fmt.name == "jsonl"):
        raise InputError(Errors.E055.format(path=STDIO, found=found, format=fmt.name.upper()))
    return fmt


def _open_text(source: str, fmt: TableFormat, encoding: str | None, delimiter: str | None,
               opener: Callable[[], BinaryIO] | None, given: bool = False) -> TableReader:
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
    if opener is None:  # standard input has no name to say its format: its first bytes say it
        fmt = _stdin_format(sample, fmt, given)
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
