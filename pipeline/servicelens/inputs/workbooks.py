"""Reading XLSX workbooks and Parquet files (see :func:`servicelens.inputs.tables.open_table`)."""
from __future__ import annotations

import re
import zipfile
from typing import Any, Iterator

from servicelens.errors import Errors, InputError, Warnings
from servicelens.inputs.reader import STDIO, TableFormat, TableReader, detail


def open_xlsx(source: str) -> TableReader:
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
        raise InputError(Errors.E041.format(path=source, format=".xlsx", detail=detail(exc))) from exc
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
                raise InputError(Errors.E093.format(path=source, line=number + 1, detail=detail(exc))) from exc
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


def open_parquet(source: str, chunk_rows: int) -> TableReader:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if source == STDIO:
        raise InputError(Errors.E044.format(path=source))
    try:
        table = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(Errors.E041.format(path=source, format=".parquet", detail=detail(exc))) from exc
    columns = list(table.schema_arrow.names)
    return TableReader(source, TableFormat("parquet"), columns, total_rows=table.metadata.num_rows,
                       batches=table.iter_batches(batch_size=chunk_rows), closers=[table.close])
