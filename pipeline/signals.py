"""Find customer-facing signals in the units of a posting: phrase patterns, negation and modality.

Plain functions over unit strings (fast, used by batch scoring); :mod:`pipeline.nlp` wraps them as
the spaCy component ``customer_signals``. The patterns are a versioned data file
(``resources/customer_signals.v1.json``); the learned part (a sentence classifier trained on O*NET
task statements) lives in the model and adds signals the patterns miss.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .categories import CATEGORIES, EXTERNAL_CATEGORIES
from .paths import resource

DEFAULT_PATTERNS = "customer_signals.v1.json"
NEGATION = "negation"
#: How much a qualified signal ("occasionally cover reception") counts compared with a plain one.
QUALIFIED_WEIGHT = 0.4


@dataclass(frozen=True)
class Match:
    """A signal inside one unit: ``[start, end)`` are offsets into the unit's text."""

    start: int
    end: int
    category: str
    confidence: float
    polarity: str = "positive"  # positive | qualified | negated
    source: str = "pattern"  # pattern | model | negation


class SignalPatterns:
    """The compiled patterns, negation and qualifier cues of one version of the patterns file."""

    def __init__(self, path: Path | None = None):
        data = json.loads(Path(path or resource(DEFAULT_PATTERNS)).read_text(encoding="utf-8"))
        self.version = f"{data['name']}.v{data['version']}"
        people = data.get("people", {})
        self.patterns = []
        for entry in data["patterns"]:
            if entry["category"] not in CATEGORIES:
                raise ValueError(f"{path or DEFAULT_PATTERNS}: unknown category {entry['category']!r}")
            text = entry["pattern"]
            for name, alternatives in people.items():
                text = text.replace("{" + name + "}", f"(?:{alternatives})")
            self.patterns.append((re.compile(text, re.I), entry["category"], float(entry["confidence"])))
        self.negation = re.compile(data["negation"]["cues"], re.I)
        # A negator earlier in the same clause ("does not involve answering phones") negates a signal.
        self.negation_scope = re.compile(data["negation"]["scope"], re.I)
        self.scope_breaks = re.compile(data["negation"]["scope_breaks"], re.I)
        self.qualifier = re.compile(data["qualifiers"]["cues"], re.I)

    def find(self, unit: str) -> list[Match]:
        """Pattern signals in one unit, overlapping matches of one category merged, best first."""
        found: list[Match] = []
        for pattern, category, confidence in self.patterns:
            for m in pattern.finditer(unit):
                if m.end() > m.start():
                    found.append(Match(m.start(), m.end(), category, confidence))
        return _merge(found)

    def qualify(self, unit: str, matches: list[Match]) -> list[Match]:
        """Apply negation and modality: drop negated signals, weaken qualified ones, and add a
        negation signal for statements such as "no customer contact"."""
        statements = [m.span() for m in self.negation.finditer(unit)]  # "no customer contact"
        negated: list[tuple[int, int]] = []  # signals a negator earlier in their clause cancels
        qualified = bool(self.qualifier.search(unit))
        out: list[Match] = []
        for match in matches:
            if any(s < match.end and match.start < e for s, e in statements):
                continue  # the signal is the negated phrase itself
            if self._in_negation_scope(unit, match.start):
                negated.append((match.start, match.end))
                continue
            # Beside "back-office role", an external signal is at most occasional.
            weakened = qualified or (bool(statements) and match.category in EXTERNAL_CATEGORIES)
            out.append(_with(match, polarity="qualified" if weakened else "positive"))
        spans = statements or negated
        if spans and not any(m.category in EXTERNAL_CATEGORIES for m in out):
            s, e = spans[0]
            out.append(Match(s, e, NEGATION, 0.9, polarity="negated", source="negation"))
        return out

    def _in_negation_scope(self, unit: str, start: int) -> bool:
        before = unit[max(0, start - 80):start]
        scope = self.negation_scope.search(before)
        return bool(scope) and not self.scope_breaks.search(before[scope.start():])


def _with(match: Match, **changes) -> Match:
    return Match(**{**match.__dict__, **changes})


def _merge(matches: list[Match]) -> list[Match]:
    """Merge overlapping matches of the same category into one span with the best confidence."""
    merged: list[Match] = []
    for match in sorted(matches, key=lambda m: (m.category, m.start, -m.end)):
        last = merged[-1] if merged else None
        if last and last.category == match.category and match.start < last.end:
            merged[-1] = _with(last, end=max(last.end, match.end), confidence=max(last.confidence, match.confidence))
        else:
            merged.append(match)
    return sorted(merged, key=lambda m: (-m.confidence, m.start))


def weight(match: Match) -> float:
    """How much a signal counts towards the score: 1 plain, ``QUALIFIED_WEIGHT`` qualified, 0 negated."""
    return {"positive": 1.0, "qualified": QUALIFIED_WEIGHT}.get(match.polarity, 0.0) * match.confidence
