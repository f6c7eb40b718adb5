"""What every table reader gives: a :class:`TableReader` with its columns and its rows in
:class:`Chunk` objects, and the formats servicelens reads and writes (:func:`table_format`)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import count
from typing import Any, Callable, Iterator, Sequence

from servicelens.errors import Errors, InputError

FORMATS = ("csv", "tsv", "xlsx", "parquet", "jsonl")
#: Formats that may be gzipped (``.csv.gz``): they are read and written as a stream.
STREAM_FORMATS = ("csv", "tsv", "jsonl")
STDIO = "-"


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
                raise InputError(Errors.E094.format(path=self.source, row=first, detail=detail(exc))) from exc
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


def detail(exc: Exception) -> str:
    """An exception as one line of printable text (pyarrow's span lines and quote damaged bytes)."""
    return " ".join("".join(c if c.isprintable() else " " for c in str(exc)).split()) or type(exc).__name__
