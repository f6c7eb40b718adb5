"""Clean posting text (HTML remnants, entities, control characters) while keeping offsets.

``clean_text`` returns the cleaned text with a compact map back to the text the user gave us, so
evidence found in the cleaned text is reported with offsets into the original.
"""
from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from html.entities import html5
from typing import Iterator

_BLOCK_TAGS = {"p", "br", "div", "ul", "ol", "tr", "table", "section", "article", "header",
               "footer", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "dt", "dd", "blockquote", "pre"}
_LOOKS_HTML = re.compile(r"</?[a-zA-Z][^<>]{0,200}>|&[#a-zA-Z0-9]{2,32};")
# A script, style, head or noscript block goes whole; the regex finds its opening tag and
# ``_Blocks`` its end (scanning ahead from every opening tag took quadratic time when many are unclosed).
_DROP = r"(?P<drop><(?P<droptag>script|style|head|noscript)\b)"
_HTML = (r"(?P<comment><!--.*?-->|<!\[CDATA\[.*?\]\]>)"
         r"|(?P<tag><!?/?(?P<name>[a-zA-Z][a-zA-Z0-9]*)?[^<>]{0,2000}>)"
         r"|(?P<entity>&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});?)|")
_CLOSE = re.compile(r"</(script|style|head|noscript)\s*>", re.I)
# Line breaks become "\n"; control characters (but tab/newline), zero-width characters, BOMs and lone
# surrogates vanish; exotic spaces and tabs become a plain space.
_CHARS = (r"(?P<br>\r\n?|[\u2028\u2029\x85\x0b])"
          r"|(?P<gone>[\x00-\x08\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff\ud800-\udfff])"
          r"|(?P<space>[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\x0c])")
_PLAIN = re.compile(_CHARS)
# Any character _CHARS acts on, as one character class: most postings have none, and a class is
# scanned far faster than the alternation above.
_ANY_CHAR = re.compile("[\r\u2028\u2029\x85\x0b\x00-\x08\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff\ud800-\udfff"
                       "\u00a0\u2000-\u200a\u202f\u205f\u3000\t\x0c]")
_WITH_HTML = re.compile(_DROP + "|" + _HTML.rstrip("|") + "|" + _CHARS, re.I | re.S)
_NOT_DROP = re.compile(_HTML.rstrip("|") + "|" + _CHARS, re.I | re.S)  # the branches after _DROP


def _normalise(text: str) -> str:
    return _PLAIN.sub(lambda m: "\n" if m.lastgroup == "br" else " " if m.lastgroup == "space" else "", text)


def _replacement(match: re.Match) -> str:
    kind = match.lastgroup
    if kind == "br":
        return "\n"
    if kind == "space":
        return " "
    if kind in ("gone", "comment"):
        return ""
    token = match.group(0)
    name = (match.group("name") or "").lower()
    if name == "li":
        return "" if token.startswith("</") else "\n• "
    return "\n" if name in _BLOCK_TAGS else ""


def _entity(token: str) -> tuple[int, str]:
    """How much of ``token`` (``&name``, ``&name;``, ``&#...``) is an entity, and its text. Without
    its ";", "&hellip" is "&hellip;", "&ampvisitors" is "&amp" then text, "Q&As" is none (0)."""
    name = token[1:]
    if token.endswith(";") or name.startswith("#"):
        return len(token), _normalise(html.unescape(token))
    if name + ";" in html5:
        return len(token), _normalise(html5[name + ";"])
    for k in range(len(name) - 1, 1, -1):  # the longest entity that needs no ";", as html.unescape reads it
        if name[:k] in html5:
            return k + 1, _normalise(html5[name[:k]])
    return 0, ""


class _Blocks:
    """Where each script, style, head or noscript block ends: the first ``>`` after its opening
    tag's name, then the first closing tag of the same name (compared as a regex backreference
    compares, lower-cased). Every ``>`` and closing tag is found in one pass."""

    def __init__(self, raw: str):
        self.brackets = [m.start() for m in re.finditer(">", raw)]
        self.closing: dict[str, list[tuple[int, int]]] = {}
        for m in _CLOSE.finditer(raw):
            self.closing.setdefault(m.group(1).lower(), []).append(m.span())

    def end(self, tag: str, name_end: int) -> int | None:
        """End of the block whose opening tag's name ends at ``name_end`` (None: it has none)."""
        i = bisect_left(self.brackets, name_end)
        closing = self.closing.get(tag.lower(), []) if i < len(self.brackets) else []
        j = bisect_left(closing, (self.brackets[i] + 1,)) if closing else 0
        return closing[j][1] if j < len(closing) else None


def _edits(raw: str, pattern: re.Pattern) -> Iterator[tuple[int, int, str]]:
    """``(start, end, replacement)`` of each match of ``pattern``, in order."""
    blocks, pos = None, 0
    while (match := pattern.search(raw, pos)) is not None:
        start = match.start()
        if match.lastgroup == "drop":
            blocks = blocks or _Blocks(raw)
            end = blocks.end(match.group("droptag"), match.end())
            if end is not None:
                yield start, end, "\n"
                pos = end
                continue
            match = _NOT_DROP.match(raw, start)  # not a block: what the other branches make of it
            if match is None:
                pos = start + 1
                continue
        end, replacement = match.end(), None
        if match.lastgroup == "entity":  # (no other branch matches at "&")
            length, replacement = _entity(match.group(0))
            end = start + length
            if not length:
                pos = start + 1
                continue
        yield start, end, _replacement(match) if replacement is None else replacement
        pos = end


@dataclass(frozen=True)
class CleanText:
    """Cleaned text plus a map of the edits made: ``pieces`` holds, in order, one
    ``(clean_start, orig_start, orig_end, copied)`` per run of copied text or per replacement."""

    text: str
    pieces: tuple[tuple[int, int, int, bool], ...]
    original_length: int

    def _locate(self, i: int) -> tuple[int, int]:
        """Original span of cleaned character ``i``."""
        k = bisect_right(self._starts, i) - 1
        clean_start, orig_start, orig_end, copied = self.pieces[k]
        if copied:
            pos = orig_start + (i - clean_start)
            return pos, pos + 1
        return orig_start, orig_end

    @cached_property  # original_span is called for every piece of evidence
    def _starts(self) -> list[int]:
        return [p[0] for p in self.pieces]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the cleaned text to a span of the original text."""
        if not self.pieces or start >= len(self.text):
            return self.original_length, self.original_length
        if end <= start:
            pos = self._locate(start)[0]
            return pos, pos
        return self._locate(start)[0], self._locate(end - 1)[1]


def clean_text(raw: str) -> CleanText:
    """Strip HTML tags and entities, drop invisible characters, normalise spaces and line breaks."""
    pattern = _WITH_HTML if ("<" in raw or "&" in raw) and _LOOKS_HTML.search(raw) else _PLAIN
    if pattern is _PLAIN and not _ANY_CHAR.search(raw):
        return CleanText(raw, ((0, 0, len(raw), True),), len(raw))
    out: list[str] = []
    pieces: list[tuple[int, int, int, bool]] = []
    length = cursor = 0
    for start, end, replacement in _edits(raw, pattern):
        if start == end:
            continue
        if start > cursor:
            pieces.append((length, cursor, start, True))
            out.append(raw[cursor:start])
            length += start - cursor
        if replacement:
            pieces.append((length, start, end, False))
            out.append(replacement)
            length += len(replacement)
        cursor = end
    if cursor < len(raw) or not pieces:
        pieces.append((length, cursor, len(raw), True))
        out.append(raw[cursor:])
    return CleanText("".join(out), tuple(pieces), len(raw))


def strip_html(raw: str) -> str:
    """Just the cleaned text (for table cells and training text)."""
    return clean_text(raw).text
