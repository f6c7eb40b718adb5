"""Read one posting per file: ``.txt``, ``.md``, ``.html``/``.htm`` and ``.json``."""
from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from pathlib import Path

from servicelens.errors import Errors, InputError

POSTING_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json")
_TEXT_FIELDS = ("description", "text", "job_description", "body")
_TITLE_FIELDS = ("title", "job_title", "name")


@dataclass(frozen=True)
class Posting:
    """A posting as read: its text exactly as given (offsets refer to it) and an optional title."""

    text: str
    title: str | None = None
    source: str | None = None


def _is_utf8(sample: bytes, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(sample: bytes, source: str, complete: bool = True) -> str:
    """The encoding of a text file from its start: UTF-8 (with or without BOM), UTF-16 (with or
    without BOM) or cp1252. ``complete`` says the sample is the whole file (else a character
    may be cut at its end). Binary data raises :class:`InputError` naming ``source``."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = sample[:4096]
    if b"\x00" in head:
        # UTF-16 without a BOM: ASCII-range text has a zero in every other byte.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even < len(head) // 40:
            return "utf-16-le"
        if even > len(head) // 4 and odd < len(head) // 40:
            return "utf-16-be"
        # A stray NUL in a text cell is no reason to refuse the file; binary data has many, or is no
        # UTF-8 at all (a PNG header has five NULs in 16 bytes).
        nuls = even + odd
        if nuls * 50 > len(head) and (nuls > 10 or not _is_utf8(sample, complete)):
            raise InputError(Errors.E003.format(path=source))
    if _is_utf8(sample, complete):
        return "utf-8"
    # cp1252 maps almost any byte; many C0 controls mean this was not text at all.
    text = head.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\x0c")
    if controls > max(8, len(text) // 100):
        raise InputError(Errors.E003.format(path=source))
    return "cp1252"


def decode_bytes(data: bytes, source: str) -> str:
    """Decode a whole file's bytes (see ``detect_encoding``); refuse binary and undecodable data."""
    try:
        return data.decode(detect_encoding(data, source))
    except UnicodeDecodeError as exc:
        raise InputError(Errors.E004.format(path=source)) from exc


def _first_field(record: dict, names: tuple[str, ...]) -> str | None:
    lowered = {str(k).lower(): v for k, v in record.items()}
    for name in names:
        value = lowered.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return None


def read_posting(path: str | Path) -> Posting:
    """Read a posting file; raise :class:`InputError` naming the file when it cannot be used."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise InputError(Errors.E009.format(path=path))
    if suffix not in POSTING_SUFFIXES:
        raise InputError(Errors.E005.format(path=path, suffix=suffix or "(none)",
                                            expected=", ".join(POSTING_SUFFIXES)))
    if not path.is_file():
        raise InputError(Errors.E001.format(path=path))
    data = path.read_bytes()
    if not data.strip():
        raise InputError(Errors.E002.format(path=path))
    text = decode_bytes(data, str(path))
    if suffix != ".json":
        if not text.strip():
            raise InputError(Errors.E002.format(path=path))
        return Posting(text=text, source=str(path))
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(Errors.E006.format(path=path, detail=exc)) from exc
    except RecursionError as exc:  # the C decoder recurses once per nested array or object
        raise InputError(Errors.E006.format(path=path, detail="nested too deeply")) from exc
    if not isinstance(record, dict) or _first_field(record, _TEXT_FIELDS) is None:
        fields = sorted(record) if isinstance(record, dict) else type(record).__name__
        raise InputError(Errors.E007.format(path=path, fields=fields))
    return Posting(text=_first_field(record, _TEXT_FIELDS), title=_first_field(record, _TITLE_FIELDS),
                   source=str(path))
