"""Read a posting the way the scorer needs it: clean -> segment -> sections -> title -> scored units.

Training (O*NET occupations presented as postings), evaluation and prediction all go through
``prepare``, so the model sees real postings and training postings the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from servicelens.reading.clean import CleanText, clean_text
from servicelens.reading.sections import SCORED_SECTIONS, SectionRules, UnitSection, label_sections
from servicelens.reading.segment import unit_bounds

_TITLE_MAX_WORDS = 14
_SENTENCE_END = re.compile(r"[.!?]\s*$")


@dataclass(frozen=True)
class PreparedPosting:
    raw: str
    clean: CleanText
    bounds: list[tuple[int, int]]  # units as [start, end) of the cleaned text
    sections: list[UnitSection]
    title: str  # given, or taken from the first line; "" when there is none
    title_unit: int | None  # index of the unit that is the title, when it came from the text
    units: tuple[str, ...]  # the text of each unit (the cleaned text at ``bounds``)

    def unit_text(self, i: int) -> str:
        return self.units[i]

    @cached_property  # read by the scorer, the signals and the groups
    def scored(self) -> list[int]:
        """Indices of the units that move the score: duties and requirements, not headings."""
        return [i for i, label in enumerate(self.sections)
                if i != self.title_unit and not label.heading and label.section in SCORED_SECTIONS]

    def scorer_units(self) -> list[str]:
        """What the scorer reads: the title, then the scored units."""
        return [self.title] + [self.unit_text(i) for i in self.scored]

    def original_span(self, i: int) -> tuple[int, int]:
        return self.clean.original_span(*self.bounds[i])


def _first_line_title(clean: str, bounds: list[tuple[int, int]]) -> bool:
    """A short first line on its own, without a full stop, reads as the posting's title."""
    if not bounds:
        return False
    start, end = bounds[0]
    line_start = clean.rfind("\n", 0, start) + 1
    if clean[line_start:start].strip():  # a bullet marker: a list item, not a title
        return False
    line_end = clean.find("\n", start)
    own_line = line_end == -1 or clean[end:line_end].strip() == ""
    text = clean[start:end]
    return own_line and len(text.split()) <= _TITLE_MAX_WORDS and not _SENTENCE_END.search(text) \
        and not text.rstrip().endswith(":")


def paragraph_ids(clean: str, bounds: list[tuple[int, int]]) -> list[int]:
    """Each unit's paragraph: a new paragraph starts after a blank line."""
    ids, paragraph, last_end = [], 0, 0
    for start, end in bounds:
        if "\n\n" in clean[last_end:start].replace(" ", ""):
            paragraph += 1
        ids.append(paragraph)
        last_end = end
    return ids


def prepare(text: str, title: str | None, rules: SectionRules) -> PreparedPosting:
    clean = clean_text(text)
    bounds = unit_bounds(clean.text)
    units = [clean.text[s:e] for s, e in bounds]
    title_unit = None
    given = " ".join((title or "").split())
    if not given and _first_line_title(clean.text, bounds):
        title_unit, given = 0, units[0]
    sections = label_sections(units, rules, paragraph_ids(clean.text, bounds))
    if title_unit is not None:
        sections[0] = UnitSection("title", True)
    return PreparedPosting(text, clean, bounds, sections, given, title_unit, tuple(units))
