"""Find customer-facing signals in the units of a posting: phrase patterns, negation and modality.

Plain functions over unit strings (fast, used by batch scoring); :mod:`servicelens.spacy_components` wraps them as
the spaCy component ``customer_signals``. The patterns are a versioned data file
(``resources/customer_signals.v3.json``; a model keeps the version it was trained with, so earlier
versions stay beside it); the learned part (a sentence classifier trained on O*NET task statements)
lives in the model and adds signals the patterns miss.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from servicelens.evidence.categories import CATEGORIES, EXTERNAL_CATEGORIES
from servicelens.errors import DataError
from servicelens.rules import RuleFile, Units, compile_rule, haystack, rule_set

DEFAULT_PATTERNS = "customer_signals.v3.json"
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


class SignalPatterns(RuleFile):
    """The compiled patterns, negation and qualifier cues of one version of the patterns file."""

    default_file = DEFAULT_PATTERNS

    def _build(self, data: dict, source: str) -> None:
        self.version = f"{data['name']}.v{data['version']}"
        people = data.get("people", {})
        self.patterns, sources = [], []
        for entry in data["patterns"]:
            if entry["category"] not in CATEGORIES:
                raise DataError(f"{source}: unknown category {entry['category']!r}")
            text = entry["pattern"]
            for name, alternatives in people.items():
                text = text.replace("{" + name + "}", f"(?:{alternatives})")
            sources.append(text)
            self.patterns.append((compile_rule(text, source), entry["category"], float(entry["confidence"])))
        self.any_pattern = rule_set(sources, source)
        self.negation = compile_rule(data["negation"]["cues"], source)
        # A negator earlier in the same clause ("does not involve answering phones") negates a signal.
        self.negation_scope = compile_rule(data["negation"]["scope"], source)
        self.scope_breaks = compile_rule(data["negation"]["scope_breaks"], source)
        self.qualifier = compile_rule(data["qualifiers"]["cues"], source)

    def find(self, unit: str) -> list[Match]:
        """The signals of one unit (see ``find_all``)."""
        return self.find_all([unit])[0]

    def find_all(self, units: Sequence[str]) -> list[list[Match]]:
        """Pattern signals of every unit of a posting: overlapping matches of one category merged,
        best first, with negation and modality applied."""
        return self.scan(units)[0]

    def scan(self, units: Sequence[str]) -> tuple[list[list[Match]], set[int]]:
        """``find_all``, and which units hold a hedge ("occasionally", "as required")."""
        joined = Units(units)
        found: list[list[Match]] = [[] for _ in joined.units]
        for index in self.any_pattern.Match(joined.data) or ():
            pattern, category, confidence = self.patterns[index]
            for k, start, end in joined.finditer(pattern):
                found[k].append(Match(start, end, category, confidence))
        statements, qualifiers = self.modality(joined)
        return [self._qualify(unit, _merge(matches), statements.get(k, []), k in qualifiers)
                if matches or k in statements else []
                for k, (unit, matches) in enumerate(zip(joined.units, found))], set(qualifiers)

    def _qualify(self, unit: str, matches: list[Match], statements: list[tuple[int, int]],
                 qualified: bool) -> list[Match]:
        """Drop negated signals, weaken qualified ones, and add a negation signal for statements
        such as "no customer contact"."""
        negated: list[tuple[int, int]] = []  # signals a negator earlier in their clause cancels
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

    def modality(self, joined: Units) -> tuple[dict[int, list[tuple[int, int]]], dict[int, int]]:
        """For the units of a posting: the spans of their negation statements ("no customer
        contact"), and where each qualified unit's first qualifier ("occasionally") starts."""
        qualifiers: dict[int, int] = {}
        for k, start, _ in joined.finditer(self.qualifier):
            qualifiers.setdefault(k, start)
        return joined.spans_by_unit(self.negation), qualifiers

    def negates(self, unit: str, start: int, end: int, statements: list[tuple[int, int]]) -> bool:
        """Whether ``unit[start:end]`` sits in one of the unit's negation ``statements`` (see
        ``modality``) or in a negator's scope."""
        if any(s < end and start < e for s, e in statements):
            return True
        return self._in_negation_scope(unit, start)

    def _in_negation_scope(self, unit: str, start: int) -> bool:
        before = haystack(unit[max(0, start - 80):start])
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
