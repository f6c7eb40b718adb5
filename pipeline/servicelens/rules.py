"""Linear-time regular expressions (RE2) for the rule files, scanned once per posting.

Rule files (sections, signal patterns) are data a user may edit, and postings are untrusted text;
RE2 matches in time linear in the input, so no pattern or posting can make matching hang.
A posting's units are scanned together (joined by newlines) and matches mapped back to units,
which costs one call per rule instead of one per rule and unit.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from pathlib import Path
from typing import Iterator, Sequence

import re2

from servicelens.errors import DataError
from servicelens.paths import resource

_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False
_OPTIONS.never_capture = True  # no rule reads a submatch; capturing would force a slower engine


def compile_rule(pattern: str, source: str):
    """Compile one rule case-insensitively; a bad rule is a clear error naming its file."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as exc:
        raise DataError(f"{source}: invalid pattern {pattern[:80]!r}: {exc}") from exc


_SET_OPTIONS = re2.Options()
_SET_OPTIONS.case_sensitive = False
_SET_OPTIONS.never_capture = True
# A set of many case-insensitive rules builds a large DFA lazily; with RE2's default 8 MB it keeps
# discarding states and runs several times slower than with room to keep them.
_SET_OPTIONS.max_mem = 64 << 20


def rule_set(patterns: Sequence[str], source: str):
    """An RE2 set: one pass tells which of ``patterns`` occur in a text at all."""
    compiled = re2.Set.SearchSet(_SET_OPTIONS)
    for pattern in patterns:
        if compiled.Add(pattern) < 0:
            raise DataError(f"{source}: invalid pattern {pattern[:80]!r}")
    compiled.Compile()
    return compiled


class RuleFile:
    """One version of a JSON rule file, compiled by ``_build(data, source)`` in the subclass.

    A model keeps the rule data itself (``rule_data``) and compiles it again when loaded.
    """

    default_file = ""

    def __init__(self, path: Path | None = None):
        path = Path(path or resource(self.default_file))
        self._data, self._source = json.loads(path.read_text(encoding="utf-8")), path.name
        self._build(self._data, self._source)

    @classmethod
    def from_data(cls, stored: dict):
        """Rules a model stored (``rule_data``): the file's data and name, compiled again."""
        rules = cls.__new__(cls)
        rules.__setstate__(stored)
        return rules

    def rule_data(self) -> dict:
        """What a model stores of its rules: the data itself, so it never depends on a file."""
        return {"data": self._data, "source": self._source}

    def __getstate__(self) -> dict:  # compiled RE2 objects do not pickle (batch workers get rules this way)
        return self.rule_data()

    def __setstate__(self, state: dict) -> None:
        self._data, self._source = state["data"], state["source"]
        self._build(self._data, self._source)

    def _build(self, data: dict, source: str) -> None:
        raise NotImplementedError


_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8_safe(text: str) -> str:
    """``text`` with each lone surrogate (which UTF-8 cannot hold, so RE2 cannot read) as U+FFFD:
    one character for one, so offsets are unchanged."""
    return _SURROGATE.sub("\ufffd", text)


def haystack(text: str) -> str | bytes:
    """``text`` as RE2 scans it fastest. The Python binding re-encodes a ``str`` and converts
    offsets on every call; ASCII text goes in as bytes, whose offsets are the same."""
    return text.encode("ascii") if text.isascii() else _utf8_safe(text)


class Units:
    """The units of one posting joined into one UTF-8 text, with the map back to units.

    Offsets reported by ``finditer`` are characters of the unit, whatever the encoding.
    """

    def __init__(self, units: Sequence[str]):
        self.units = list(units)
        encoded = [_utf8_safe(unit).encode("utf-8") for unit in self.units]
        self.data = b"\n".join(encoded)
        self._encoded = encoded
        self.starts: list[int] = []  # byte offset of each unit in ``data``
        position = 0
        for unit in encoded:
            self.starts.append(position)
            position += len(unit) + 1

    def _chars(self, k: int, offset: int) -> int:
        """Byte offset ``offset`` of unit ``k`` as a character offset."""
        if len(self._encoded[k]) == len(self.units[k]):  # ASCII: the same
            return offset
        return len(self._encoded[k][:offset].decode("utf-8", errors="surrogatepass"))

    def finditer(self, pattern) -> Iterator[tuple[int, int, int]]:
        """``(unit, start, end)`` of each match, offsets relative to the unit; a match that would
        run past its unit's end is cut there (a rule never spans two units)."""
        for match in pattern.finditer(self.data):
            start, end = match.span()
            if end <= start:
                continue
            k = bisect_right(self.starts, start) - 1
            unit_end = self.starts[k] + len(self._encoded[k])
            if start >= unit_end:
                continue
            yield k, self._chars(k, start - self.starts[k]), self._chars(k, min(end, unit_end) - self.starts[k])

    def spans_by_unit(self, pattern) -> dict[int, list[tuple[int, int]]]:
        """The ``(start, end)`` of each match, grouped by the unit it is in."""
        spans: dict[int, list[tuple[int, int]]] = {}
        for k, start, end in self.finditer(pattern):
            spans.setdefault(k, []).append((start, end))
        return spans

    def units_matching(self, pattern) -> set[int]:
        return {k for k, _, _ in self.finditer(pattern)}
