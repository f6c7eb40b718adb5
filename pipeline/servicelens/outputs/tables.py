"""Write scored tables: every input row and value, plus the columns servicelens adds.

A :class:`TableWriter` turns one chunk into one self-contained *part* (bytes), and ``assemble``
joins the parts, in order, into the final file. Parts let a run keep finished chunks on disk (an
interrupted run resumes from them) and let worker processes serialise their own chunks.

Spreadsheet programs run cells that start with ``=``, ``+``, ``-`` or ``@`` as formulas. CSV and
XLSX outputs neutralise such cells (a CSV cell gets a leading ``'``; an XLSX cell is stored as text
with Excel's quote prefix); plain numbers such as ``-12.5`` are left alone. JSON lines and Parquet
carry the values unchanged.
"""
from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Sequence

from servicelens.errors import Errors, InputError
from servicelens.inputs.reader import MISSING, Chunk, TableFormat

#: The columns a batch appends, in order (``--prefix`` may prefix their names).
#: ``onet_*``: the O*NET reference, kept apart from the score (the occupation the title most likely is,
#: the title's similarity to it, and O*NET's own "Deal With External Customers" rating of it).
ADDED_COLUMNS = ("cs_score", "cs_band", "cs_external", "cs_internal", "customer_groups", "top_signals",
                 "onet_code", "onet_title", "onet_similarity", "onet_external_customers", "model_version", "error")
#: The added columns that hold numbers (the rest hold text).
NUMERIC_ADDED = {"cs_score", "cs_external", "cs_internal", "onet_similarity", "onet_external_customers"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
#: What UTF-8 (Parquet) cannot hold: lone surrogates, which a JSON "\ud800" escape reads as.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: What XML (XLSX) cannot hold: C0 controls but tab and line ends, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XLSX_MAX_ROWS = 1_048_576


def added_names(prefix: str, columns: Sequence[str], source: str) -> list[str]:
    """The names of the added columns (``--prefix`` first); a clash with the table's own columns
    is an error, so no input column is ever overwritten."""
    names = [prefix + name for name in ADDED_COLUMNS]
    clash = [name for name in names if name in columns]
    if clash:
        raise InputError(Errors.E047.format(path=source, names=", ".join(clash)))
    return names


def neutralise(text: str) -> str:
    """``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``: a spreadsheet shows it as text."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _csv_value(value: str, delimiter: str) -> str:
    return _quoted(value) if delimiter in value or '"' in value or "\n" in value else value


def cell_text(value: Any) -> str:
    """A value as table text: ``""`` for nothing, ``00123`` as given, ``12`` for a whole float."""
    if value is None or value is MISSING:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, default=cell_text)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def unique_names(names: Sequence[str]) -> list[str]:
    """Column names made unique for keyed formats (JSON, Parquet): ``a, a`` -> ``a, a.2``."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name}.{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


class TableWriter:
    """Serialises chunks of one table into parts of the output format, and joins the parts."""

    def __init__(self, fmt: TableFormat, columns: Sequence[str], added: Sequence[str],
                 delimiter: str | None = None, arrow_schema: Any = None):
        self.format = fmt
        self.columns = list(columns)
        self.added = list(added)  # the ADDED_COLUMNS names, as written
        self.delimiter = delimiter or ("\t" if fmt.name == "tsv" else ",")
        self.arrow_schema = arrow_schema  # Parquet input: its schema, kept in a Parquet output

    # -- parts -------------------------------------------------------------------------------
    def header(self) -> bytes:
        """What goes before the first part (the CSV header line)."""
        if self.format.name not in ("csv", "tsv"):
            return b""
        return self._text(self._csv_lines([[neutralise(c) for c in self.columns + self.added]]))

    def part(self, chunk: Chunk, added: Sequence[Sequence[Any]]) -> bytes:
        """One chunk's rows (original values, then ``added`` in ``ADDED_COLUMNS`` order)."""
        name = self.format.name
        if name in ("csv", "tsv"):
            rows = ([neutralise(v if v.__class__ is str else cell_text(v)) for v in row]
                    + [_added_text(a, n) for a, n in zip(extra, ADDED_COLUMNS)]
                    for row, extra in zip(chunk.rows, added))
            return self._text(self._csv_lines(rows))
        if name == "jsonl":
            keys = unique_names(self.columns + self.added)
            lines = []
            for row, extra in zip(chunk.rows, added):
                record = {k: v for k, v in zip(keys, list(row) + list(extra)) if v is not MISSING}
                lines.append(json.dumps(record, ensure_ascii=False, default=cell_text))
            return self._text("".join(line + "\n" for line in lines))
        if name == "parquet":
            return self._parquet_part(chunk, added)
        return self._xlsx_part(chunk, added)

    def _text(self, text: str) -> bytes:
        data = text.encode("utf-8", errors="replace")
        # Each part is a complete gzip member; concatenated members are one valid .gz file.
        return gzip.compress(data, compresslevel=6, mtime=0) if self.format.gzip else data

    def _csv_lines(self, rows: Iterable[list[str]]) -> str:
        """The rows as CSV, quoted as ``csv.writer`` quotes them (minimal quoting, doubled quotes).

        Written here because the csv module copies a value character by character, which took
        three quarters of the time of writing a part. A value is quoted when it holds the
        delimiter, a quote or a line end; a lone CR, which readers take as a line end too, makes
        its row quote every value.
        """
        delimiter = self.delimiter
        lines = []
        for row in rows:
            if any("\r" in v for v in row):
                lines.append(delimiter.join([_quoted(v) for v in row]))
            elif row == [""]:  # one empty value, not an empty line
                lines.append('""')
            else:
                lines.append(delimiter.join([_csv_value(v, delimiter) for v in row]))
        lines.append("")
        return "\n".join(lines)

    # -- Parquet -------------------------------------------------------------------------------
    def schema(self):
        import pyarrow as pa

        names = unique_names(self.columns + self.added)
        original = list(self.arrow_schema) if self.arrow_schema is not None \
            else [pa.field(n, pa.string()) for n in self.columns]
        fields = [f.with_name(n) for f, n in zip(original, names)]
        fields += [pa.field(n, pa.float64() if kind in NUMERIC_ADDED else pa.string())
                   for n, kind in zip(names[len(self.columns):], ADDED_COLUMNS)]
        return pa.schema(fields)

    def _parquet_part(self, chunk: Chunk, added: Sequence[Sequence[Any]]) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = self.schema()
        width = len(self.columns)
        if chunk.batch is not None and self.arrow_schema is not None:
            arrays = list(chunk.batch.columns)
        else:
            arrays = [pa.array([None if row[i] is MISSING or row[i] is None
                                else _SURROGATE.sub("\ufffd", cell_text(row[i])) for row in chunk.rows], pa.string())
                      for i in range(width)]
        for j, kind in enumerate(ADDED_COLUMNS):
            values = [extra[j] for extra in added]
            arrays.append(pa.array(values, schema.field(width + j).type))
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buffer)
        return buffer.getvalue()

    # -- XLSX (parts hold JSON values; the workbook is written when the parts are joined) -------
    def _xlsx_part(self, chunk: Chunk, added: Sequence[Sequence[Any]]) -> bytes:
        lines = [json.dumps([_xlsx_value(v) for v in list(row) + list(extra)], ensure_ascii=False)
                 for row, extra in zip(chunk.rows, added)]
        return "".join(line + "\n" for line in lines).encode("utf-8", errors="replace")

    # -- joining -------------------------------------------------------------------------------
    def assemble(self, parts: Iterable[Path], out: BinaryIO | Path) -> None:
        """Join the parts, in order, into ``out`` (a binary stream, or a path for Parquet/XLSX)."""
        if self.format.name == "parquet":
            self._assemble_parquet(parts, Path(out))
        elif self.format.name == "xlsx":
            self._assemble_xlsx(parts, Path(out))
        else:
            with _binary(out) as fh:
                fh.write(self.header())
                for part in parts:
                    with open(part, "rb") as src:
                        while block := src.read(1 << 20):
                            fh.write(block)

    def _assemble_parquet(self, parts: Iterable[Path], out: Path) -> None:
        import pyarrow.parquet as pq

        with pq.ParquetWriter(out, self.schema()) as writer:
            for part in parts:
                writer.write_table(pq.read_table(part, schema=self.schema()))

    def _assemble_xlsx(self, parts: Iterable[Path], out: Path) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        sheet = book.create_sheet("scored")

        def cell(value: Any) -> Any:
            if not isinstance(value, str):
                return value
            written = WriteOnlyCell(sheet, value=_NOT_XML.sub("\ufffd", value))
            written.data_type = "s"  # never a formula, whatever the text starts with
            if neutralise(value) != value:
                written.quotePrefix = True
            return written

        sheet.append([cell(c) for c in self.columns + self.added])
        for part in parts:
            with open(part, encoding="utf-8") as fh:
                for line in fh:
                    sheet.append([cell(_from_json(v)) for v in json.loads(line)])
        book.save(out)


class _binary:
    """A context for writing to a path or to an already open binary stream (left open)."""

    def __init__(self, out: BinaryIO | Path):
        self._out, self._own = out, isinstance(out, (str, Path))

    def __enter__(self) -> BinaryIO:
        self._fh = open(self._out, "wb") if self._own else self._out
        return self._fh

    def __exit__(self, *exc) -> None:
        if self._own:
            self._fh.close()
        else:
            self._fh.flush()


def _added_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind in NUMERIC_ADDED:
        return f"{value:.1f}"
    return neutralise(value) if kind == "top_signals" else value


def _xlsx_value(value: Any) -> Any:
    if value is MISSING:
        return None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return {"$time": value.isoformat(), "kind": type(value).__name__}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return cell_text(value)


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "$time" in value:
        kind = {"datetime": dt.datetime, "date": dt.date, "time": dt.time}[value["kind"]]
        return kind.fromisoformat(value["$time"])
    return value
