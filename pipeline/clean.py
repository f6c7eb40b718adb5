"""Clean posting text (HTML remnants, entities, control characters) while keeping offsets.

``clean_text`` returns the cleaned text together with, for every cleaned character, the index
of the original character it came from, so evidence found in the cleaned text can be reported
with offsets into the text the user gave us.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

_BLOCK_TAGS = {"p", "br", "div", "ul", "ol", "tr", "table", "section", "article", "header",
               "footer", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "dt", "dd", "blockquote", "pre"}
_DROP_CONTENT = re.compile(r"<(script|style|head|noscript)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_MARKUP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<!?/?([a-zA-Z][a-zA-Z0-9]*)?[^<>]{0,2000}>|&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});?",
                     re.S)
# Control characters except tab/newline, zero-width characters and BOMs vanish; exotic spaces become spaces.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\x0c]")
_LOOKS_HTML = re.compile(r"</?[a-zA-Z][^<>]{0,200}>|&[#a-zA-Z0-9]{2,32};")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b]")


@dataclass(frozen=True)
class CleanText:
    """Cleaned text plus, for each of its characters, the original span ``[starts[i], ends[i])``
    it came from (one character, or the whole tag or entity it replaced)."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    original_length: int

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the cleaned text to a span of the original text."""
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else self.original_length
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def _replacement(match: re.Match) -> str:
    token = match.group(0)
    if token.startswith("&"):
        return html.unescape(token if token.endswith(";") else token + ";") if match.group(2) else token
    tag = (match.group(1) or "").lower()
    if tag == "li":
        return "" if token.startswith("</") else "\n• "
    return "\n" if tag in _BLOCK_TAGS else ""


def _rewrite(text: str, starts: list[int], ends: list[int], pieces: list[tuple[str, int, int]]
             ) -> tuple[str, list[int], list[int]]:
    """Apply ``(replacement, start, end)`` edits (sorted, non-overlapping), carrying the offset maps."""
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    cursor = 0
    for replacement, start, end in pieces:
        out.append(text[cursor:start])
        new_starts.extend(starts[cursor:start])
        new_ends.extend(ends[cursor:start])
        out.append(replacement)
        new_starts.extend([starts[start]] * len(replacement))
        new_ends.extend([ends[end - 1]] * len(replacement))
        cursor = end
    out.append(text[cursor:])
    new_starts.extend(starts[cursor:])
    new_ends.extend(ends[cursor:])
    return "".join(out), new_starts, new_ends


def _edits(pattern: re.Pattern, text: str, repl) -> list[tuple[str, int, int]]:
    return [(repl(m), m.start(), m.end()) for m in pattern.finditer(text)]


def clean_text(raw: str) -> CleanText:
    """Strip HTML tags and entities, drop invisible characters, normalise spaces and line breaks."""
    text, starts, ends = raw, list(range(len(raw))), list(range(1, len(raw) + 1))
    passes = [(_LINE_BREAKS, lambda m: "\n"), (_INVISIBLE, lambda m: ""), (_SPACES, lambda m: " ")]
    if ("<" in raw or "&" in raw) and _LOOKS_HTML.search(raw):
        passes = [(_DROP_CONTENT, lambda m: "\n"), (_MARKUP, _replacement)] + passes
    for pattern, repl in passes:
        edits = _edits(pattern, text, repl)
        if edits:
            text, starts, ends = _rewrite(text, starts, ends, edits)
    return CleanText(text, tuple(starts), tuple(ends), len(raw))


def strip_html(raw: str) -> str:
    """Just the cleaned text (for table cells and training text)."""
    return clean_text(raw).text
