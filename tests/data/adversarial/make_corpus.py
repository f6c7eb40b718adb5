"""Write the adversarial corpus (issue #8): files that exercise each way an input can be broken.

Run ``python tests/data/adversarial/make_corpus.py`` to (re)write every file here; the output is
byte-for-byte the same on every run (fixed zip dates, gzip mtime 0). Files whose size is the
point (100,000 nested tags, a 10 MB posting) are not stored: the tests build them in a temporary
folder with the functions below. README.md says what each file exercises and what must happen.
"""
from __future__ import annotations

import gzip
import io
import json
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = "id,title,description,posted"
ROWS = [
    ("1", "Cashier", "Greet customers and process payments at the register.", "2024-01-02"),
    ("2", "Backend Engineer", "Design REST APIs and maintain CI pipelines.", "2024-01-03"),
    ("3", "Call Centre Agent", "Answer customer calls and resolve billing questions.", "2024-01-04"),
    ("4", "Welder", "Weld steel frames and read blueprints.", "2024-01-05"),
]
#: Deep enough to overflow any recursive parser (Python's limit is 1,000 frames), small enough to store.
STORED_DEPTH = 20_000


def csv_text(rows=ROWS, end="\n") -> str:
    return HEADER + end + "".join(",".join(row) + end for row in rows)


# -- builders the tests also use (for the files too big to store) ---------------------------------

def nested_html(depth: int) -> str:
    """A posting inside ``depth`` nested <div> elements."""
    return ("<html><body>" + "<div>" * depth + "<p>Greet customers at the front desk and answer their "
            "questions by phone and email.</p>" + "</div>" * depth + "</body></html>\n")


def nested_json(depth: int) -> str:
    """A JSON posting whose ``extra`` field holds ``depth`` nested arrays."""
    return ('{"title": "Front Desk Agent", "description": "Greet guests and answer their questions.", '
            '"extra": ' + "[" * depth + "]" * depth + "}\n")


def nested_jsonl(depth: int) -> str:
    """Three JSON-lines rows; the second holds ``depth`` nested arrays."""
    lines = [{"id": 1, "title": "Cashier", "description": "Greet customers and take payments."},
             None,
             {"id": 3, "title": "Welder", "description": "Weld steel frames."}]
    deep = '{"id": 2, "title": "Concierge", "description": "Help hotel guests.", "extra": ' \
        + "[" * depth + "]" * depth + "}"
    return "".join((deep if line is None else json.dumps(line)) + "\n" for line in lines)


def big_posting(size: int = 10 * 1024 * 1024) -> str:
    """A plain-text posting of ``size`` characters (ASCII, so also bytes)."""
    paragraph = ("Greet customers at the front desk, answer their questions by phone and email, and "
                 "resolve complaints with care. Keep the lobby tidy and log every visitor.\n")
    text = "Customer Service Representative\n\n" + paragraph * (size // len(paragraph) + 1)
    return text[:size]


# -- the stored files ---------------------------------------------------------------------------

def _deterministic_zip(data: bytes, patch=None) -> bytes:
    """Rewrite a zip with fixed dates (and ``patch(name, bytes) -> bytes`` applied to members)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            content = src.read(name)
            if name == "docProps/core.xml":
                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", content)
            if patch:
                content = patch(name, content)
            dst.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _xlsx(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def formulas_merged_header_xlsx() -> bytes:
    """Formulas (with and without the value Excel saves beside them) under a merged header."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Postings"
    sheet.append(["id", "Job Title", None, "Description", "Posted"])
    sheet.merge_cells("B1:C1")  # "Job Title" spans two columns: the second has no name of its own
    sheet.append([1, "Cashier", "Front store", '="Greet customers "&"and take payments."', "2024-01-02"])
    sheet.append([2, "Receptionist", "Lobby", "Welcome visitors and answer the phone.", "=TODAY()"])
    sheet.append([3, "Welder", "Shop floor", "Weld steel frames.", "2024-01-04"])
    sheet.append([4, "=UPPER(B4)", None, "Serve coffee to guests.", "2024-01-05"])
    sheet.merge_cells("B3:B4")  # a merged data cell: only its first row holds the value
    sheet.append([5, "Night Auditor", None, "=D2", "2024-01-06"])

    def cached(name: str, content: bytes) -> bytes:
        # Excel saves each formula's last value beside it; openpyxl does not. Give the first two
        # formulas a saved value, as Excel would, and leave the others without one.
        if name != "xl/worksheets/sheet1.xml":
            return content
        content = content.replace(b'<c r="D2"><f>', b'<c r="D2" t="str"><f>', 1)
        content = re.sub(rb'(<c r="D2" t="str"><f>[^<]*</f>)<v\s*/>', rb"\1<v>Greet customers and take payments.</v>",
                         content)
        content = re.sub(rb'(<c r="E3"><f>TODAY\(\)</f>)<v\s*/>', rb"\1<v>45300</v>", content)
        return content

    return _deterministic_zip(_xlsx(book), cached)


def broken_sheet_xlsx() -> bytes:
    """A valid zip whose worksheet XML stops in the middle of a row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "title", "description"])
    for row in ROWS:
        sheet.append([int(row[0]), row[1], row[2]])

    def cut(name: str, content: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return content
        return content[:content.index(b'<row r="4"') + 30]

    return _deterministic_zip(_xlsx(book), cut)


def nested_parquet() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "title": ["Cashier", "Backend Engineer", None],
        "description": ["Greet customers and take payments.", "Design REST APIs.", "Answer customer calls."],
        "location": pa.array([{"city": "Leeds", "country": "UK"}, None, {"city": "Lyon", "country": None}],
                             pa.struct([("city", pa.string()), ("country", pa.string())])),
        "tags": pa.array([["retail", "front"], [], None], pa.list_(pa.string())),
        "attrs": pa.array([[("shift", 1)], [("shift", 2), ("remote", 1)], []], pa.map_(pa.string(), pa.int32())),
        "deep": pa.array([[[{"a": 1}]], [[{"a": 2}, None], []], None],
                         pa.list_(pa.list_(pa.struct([("a", pa.int64())])))),
        "nothing": pa.nulls(3),
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def damaged_parquet() -> bytes:
    """Three row groups; the page header of the second is overwritten (as a bad disk would)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": list(range(1, 31)), "title": ["Cashier" if i % 2 else "Welder" for i in range(30)],
                      "description": [f"Greet customers, item {i}." for i in range(30)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=10)
    data = bytearray(buffer.getvalue())
    start = pq.ParquetFile(io.BytesIO(bytes(data))).metadata.row_group(1).column(0).data_page_offset
    data[start:start + 24] = b"\xff" * 24
    return bytes(data)


def png_bytes() -> bytes:
    """A real 16x16 PNG image (what a mis-saved export often is)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = b"".join(b"\x00" + bytes(v for x in range(16) for v in (x * 16, y * 16, (x ^ y) * 16))
                      for y in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b""))


def _big_gzip_cut(text: str) -> bytes:
    """``text`` gzipped (mtime 0) and cut at 80%: the stream ends early, past the first MB."""
    data = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    return data[:len(data) * 4 // 5]


def _padded_rows(n: int) -> list[tuple[str, str, str, str]]:
    # ~10 KB of filler per row, so the cut lands after the first megabyte the reader samples.
    return [(str(i), "Cashier" if i % 2 else "Welder", f"Greet customers, item {i}.",
             f"{i:05d}-" + "notes " * 1700) for i in range(1, n + 1)]


def corpus() -> dict[str, bytes]:
    """Every stored file: name -> bytes."""
    files: dict[str, bytes] = {}
    # CSV: truncation, quotes, line ends
    files["truncated.csv"] = (csv_text(ROWS[:2]) + "3,Call Centre Agent,Answer customer calls and resolve bill"
                              ).encode()
    files["truncated_in_quotes.csv"] = (csv_text(ROWS[:2]) + '3,Call Centre Agent,"Answer customer calls, resolve bill'
                                        ).encode()
    files["unbalanced_quotes.csv"] = (
        HEADER + "\n"
        '1,Cashier,"Greet customers, process payments.",2024-01-02\n'
        '2,Receptionist,"Welcome visitors, answer the main line.,2024-01-03\n'  # the closing quote is missing
        '3,Welder,"Weld steel frames, read blueprints.",2024-01-04\n'
        "4,Barista,Serve coffee to guests.,2024-01-05\n").encode()
    files["unclosed_quote.csv"] = (
        HEADER + "\n"
        "1,Cashier,Greet customers.,2024-01-02\n"
        '2,Receptionist,"Welcome visitors, answer the main line.,2024-01-03\n'
        "3,Welder,Weld steel frames.,2024-01-04\n"
        "4,Barista,Serve coffee to guests.,2024-01-05\n").encode()
    files["unclosed_quote_header.csv"] = ('id,"title,description,posted\n' + "".join(
        ",".join(row) + "\n" for row in ROWS)).encode()
    files["undoubled_quotes.csv"] = (
        HEADER + "\n"
        '1,Receptionist,"Answer the "main" line and greet visitors.",2024-01-02\n'
        '2,Cashier,"Greet customers.",2024-01-03\n').encode()
    files["mixed_line_endings.csv"] = (
        HEADER + "\r\n"
        "1,Cashier,Greet customers.,2024-01-02\n"
        '2,Nurse,"Care for patients.\rEducate families.",2024-01-03\r'
        '3,Welder,"Weld steel frames.\r\nRead blueprints.",2024-01-04\r\n'
        "4,Barista,Serve coffee.,2024-01-05,EXTRA\n"
        "5,Porter,Carry luggage for hotel guests.,2024-01-06\r").encode()
    # encodings
    accented = [("1", "Caf\u00e9 Barista \u2013 \u201cfront\u201d", "Greet customers warmly; na\u00efve questions welcome.",
                 "2024-01-02"),
                ("2", "Welder", "Weld frames \u2014 \u00bd day on site.", "2024-01-03")]
    files["utf16le_no_bom.csv"] = csv_text(accented, "\r\n").encode("utf-16-le")
    files["utf16be_no_bom.csv"] = csv_text(accented, "\r\n").encode("utf-16-be")
    smart = [("1", "Front Desk \u201cAmbassador\u201d", "Greet guests \u2013 it\u2019s the job\u2026 Tips in \u20ac.",
              "2024-01-02"),
             ("2", "Caf\u00e9 Cook", "Cook for the caf\u00e9\u2019s customers.", "2024-01-03")]
    files["cp1252_smart_quotes.csv"] = csv_text(smart, "\r\n").encode("cp1252")
    files["control_chars.csv"] = (
        HEADER + "\n"
        "1,Cashier,Greet\x00 customers\x01 and take\x1b[31m payments\x7f.,2024-01-02\n"
        '2,Receptionist,"Answer\x0bthe phone\x0cand greet\u200b visitors\u2028politely.\ufeff",2024-01-03\n'
        "3,Welder\x00,\x00,2024-01-04\n"
        "4,Barista,Serve coffee to guests and keep the counter clean.,2024-01-05\n"
        "5,Porter,Carry luggage for hotel guests and call taxis.,2024-01-06\n").encode("utf-8")
    # XLSX
    files["formulas_merged_header.xlsx"] = formulas_merged_header_xlsx()
    files["not_a_zip.xlsx"] = csv_text().encode()
    whole = formulas_merged_header_xlsx()
    files["truncated.xlsx"] = whole[:len(whole) // 2]
    files["broken_sheet.xlsx"] = broken_sheet_xlsx()
    # Parquet, JSON lines
    files["nested_column.parquet"] = nested_parquet()
    files["damaged.parquet"] = damaged_parquet()
    files["bad_line_middle.jsonl"] = (
        b'{"id": 1, "title": "Cashier", "description": "Greet customers."}\n'
        b'{"id": 2, "title": "Nurse", "description": "Care for patients."}\n'
        b'{"id": 3, "title": "Barista", "description": "Serve coff\n'  # cut: the rest of the object is missing
        b'[4, "Welder", "Weld frames."]\n'
        b'\n'
        b'{"id": 5, "title": "Porter", "description": "Carry luggage for guests."}\n')
    files["deep_nested.jsonl"] = nested_jsonl(STORED_DEPTH).encode()
    files["bad_unicode.jsonl"] = (  # JSON escapes for what UTF-8 and XML cannot hold
        b'{"id": 1, "title": "Cashier \\ud800", "description": "Greet customers \\uffff and \\ufffe guests.\\u0001"}\n'
        b'{"id": 2, "title": "Nurse", "description": "Care for patients \\udfff.", "tags": ["\\ud83d"]}\n')
    # whole-file problems
    files["empty.csv"] = b""
    files["blank.csv"] = b" \r\n\n  \n"
    files["header_only.csv"] = (HEADER + "\n").encode()
    files["binary.csv"] = png_bytes()
    files["truncated.csv.gz"] = _big_gzip_cut(csv_text(_padded_rows(150)))
    files["truncated.jsonl.gz"] = _big_gzip_cut("".join(
        json.dumps(dict(zip(("id", "title", "description", "notes"), row))) + "\n" for row in _padded_rows(150)))
    # single posting files
    files["deep_nested.json"] = nested_json(STORED_DEPTH).encode()
    files["nested_divs.html"] = nested_html(8_000).encode()
    files["empty.txt"] = b""
    files["binary.txt"] = png_bytes()
    return files


def main(folder: Path = HERE) -> None:
    for name, data in corpus().items():
        assert len(data) < 100_000, f"{name} is {len(data):,} bytes: build it in the test instead"
        (folder / name).write_bytes(data)
        print(f"{len(data):>8,}  {name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
