"""Read one posting per file: ``.txt``, ``.md``, ``.html``/``.htm`` and ``.json``."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import Errors, InputError

POSTING_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json")
_TEXT_FIELDS = ("description", "text", "job_description", "body")
_TITLE_FIELDS = ("title", "job_title", "name")


@dataclass(frozen=True)
class Posting:
    """A posting as read: its text exactly as given (offsets refer to it) and an optional title."""

    text: str
    title: str | None = None
    source: str | None = None


def decode_bytes(data: bytes, source: str) -> str:
    """Decode text in UTF-8 (with or without BOM), UTF-16 (with BOM) or cp1252; refuse binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(Errors.E004.format(path=source)) from exc
    if b"\x00" in data[:4096]:
        raise InputError(Errors.E003.format(path=source))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(Errors.E004.format(path=source)) from exc
    # cp1252 maps almost any byte; many C0 controls mean this was not text at all.
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t\x0c")
    if controls > max(8, len(text[:4096]) // 100):
        raise InputError(Errors.E003.format(path=source))
    return text


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
    if not isinstance(record, dict) or _first_field(record, _TEXT_FIELDS) is None:
        fields = sorted(record) if isinstance(record, dict) else type(record).__name__
        raise InputError(Errors.E007.format(path=path, fields=fields))
    return Posting(text=_first_field(record, _TEXT_FIELDS), title=_first_field(record, _TITLE_FIELDS),
                   source=str(path))
