"""Label each unit of a posting with its section: duties, requirements, about, benefits, legal, other.

Headings switch the current section ("What you'll do", "About us", "Why join"); units under no
heading are classified on their own words; legal (EEO) text is recognised wherever it stands.
The rules are a versioned data file (``resources/sections.v4.json``; a model keeps the version it
was trained with), editable without code.

Two rules hold whatever the file says. A logistics heading that shares its line with its value
("Location: Boston", "Reports to: the Director") labels that line only, not the text after it.
And a posting always has duties: when nothing ends up in duties or requirements (headings no rule
knows, a "Pay range:" line on top), every unit that is not a heading is read again as if the
posting had no headings, by its own cues.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from servicelens.rules import RuleFile, Units, compile_rule, haystack, rule_set

SECTIONS = ("duties", "requirements", "about", "benefits", "legal", "other")
#: Sections whose content says what the worker will do or must be good at: only these move the score.
SCORED_SECTIONS = frozenset({"title", "duties", "requirements"})
DEFAULT_RULES = "sections.v4.json"
#: Sections a heading opens only for its own line.
_LINE_SECTIONS = frozenset({"other"})
_HEADING_MAX_WORDS = 9
_WORDS = re.compile(r"[^\W_](?:.*[^\W_])?", re.S)  # from the first to the last letter or digit
# "Essential duties include, but are not limited to, the following": the tail says nothing of the
# section, and would make the heading too long to be read as one.
_HEADING_TAIL = re.compile(r",?\s+(?:but|and)\s+(?:are\s+|is\s+)?not\s+limited\s+to(?:,?\s+the\s+following)?$",
                           re.I)


@dataclass(frozen=True)
class UnitSection:
    section: str
    heading: bool  # the unit is (only) a heading


class SectionRules(RuleFile):
    """Compiled heading and cue patterns of one version of the rules file."""

    default_file = DEFAULT_RULES

    def _build(self, data: dict, source: str) -> None:
        self.version = f"{data['name']}.v{data['version']}"
        # One set over every section's headings: a unit is matched once, and the first section
        # (in file order) whose headings match wins.
        self.heading_sections = list(data["headings"])
        self.headings = rule_set([f"^(?:{'|'.join(patterns)})$" for patterns in data["headings"].values()],
                                 source)
        self.cues = {section: compile_rule("|".join(f"(?:{p})" for p in patterns), source)
                     for section, patterns in data["cues"].items()}
        # From v4: a legal statement runs on for a few sentences ("We are an equal opportunity employer.
        # We are committed to an inclusive environment for all employees."), so a paragraph of at most
        # this many units that holds one is legal whole (longer "paragraphs" are postings without blank
        # lines); and a heading may lead its line with a dash ("About us – we run 12 hotels").
        self.legal_paragraph_units = int(data.get("legal_paragraph_units", 0))
        self.dash_headings = bool(data.get("dash_headings", False))

    def heading_section(self, text: str) -> str | None:
        if len(text.split()) > 2 * _HEADING_MAX_WORDS:  # most units are sentences: no need to look further
            return None
        words = _WORDS.search(text)
        words = _HEADING_TAIL.sub("", words.group(0)) if words else ""
        if not words or len(words.split()) > _HEADING_MAX_WORDS:
            return None
        found = self.headings.Match(haystack(words))
        return self.heading_sections[min(found)] if found else None

    def cues_by_unit(self, units: list[str]) -> dict[str, set[int]]:
        """For each cue list, the units it matches (the posting is scanned once per list)."""
        joined = Units(units)
        return {section: joined.units_matching(pattern) for section, pattern in self.cues.items()}


_DASH = re.compile(r"\s+[-–—]\s+")


def _split_heading(text: str) -> tuple[str, str]:
    """``"Responsibilities: greet guests"`` -> (``"Responsibilities"``, ``"greet guests"``)."""
    head, sep, rest = text.partition(":")
    return (head, rest.strip()) if sep else (text, "")


def _split_dash(text: str) -> tuple[str, str]:
    """``"About us – we run 12 hotels"`` -> (``"About us"``, ``"we run 12 hotels"``)."""
    parts = _DASH.split(text, maxsplit=1)
    return (parts[0], parts[1].strip()) if len(parts) == 2 else (text, "")


def label_sections(units: list[str], rules: SectionRules, paragraphs: list[int] | None = None) -> list[UnitSection]:
    """One label per unit; a unit that is only a heading is marked ``heading=True``. ``paragraphs``
    gives each unit's paragraph (units between blank lines), so a short legal paragraph is legal whole."""
    labels: list[UnitSection] = []
    contents: dict[int, set[str]] = {}  # content unit -> the cues it matches
    current: str | None = None
    cues = rules.cues_by_unit(units)
    for k, text in enumerate(units):
        head, rest = _split_heading(text)
        found = rules.heading_section(head)
        if found is None and not rest and head != text:  # "Who you are:" with nothing after the colon
            found = rules.heading_section(text)
        if found is None and not rest and rules.dash_headings:  # "About us – we run 12 hotels"
            dash_head, dash_rest = _split_dash(text)
            dash_found = rules.heading_section(dash_head) if dash_rest else None
            if dash_found is not None:
                found, rest = dash_found, dash_rest
        if found is not None:
            if rest and found in _LINE_SECTIONS:  # "Reports to: the Director": that line only
                labels.append(UnitSection(found, False))
                continue
            current = found
            if not rest:
                labels.append(UnitSection(found, True))
                continue
            text = rest
        elif _looks_like_heading(text):
            # An unknown heading ("Customer Experience:") keeps the current section.
            labels.append(UnitSection(current or "other", True))
            continue
        contents[k] = {s for s, hits in cues.items() if k in hits}
        labels.append(UnitSection(_content_section(contents[k], current), False))
    if not any(label.section in SCORED_SECTIONS for label in labels if not label.heading):
        for k, unit_cues in contents.items():
            labels[k] = UnitSection(_content_section(unit_cues, None), False)
    if paragraphs is not None and rules.legal_paragraph_units:
        _legal_paragraphs(labels, contents, paragraphs, rules.legal_paragraph_units)
    return labels


def _legal_paragraphs(labels: list[UnitSection], contents: dict[int, set[str]], paragraphs: list[int],
                      most: int) -> None:
    """Every content unit of a paragraph of at most ``most`` units that holds a legal statement is legal too."""
    members: dict[int, list[int]] = {}
    for k, paragraph in enumerate(paragraphs):
        members.setdefault(paragraph, []).append(k)
    for units in members.values():
        if len(units) <= most and any("legal" in contents.get(k, ()) for k in units):
            for k in units:
                if k in contents:
                    labels[k] = UnitSection("legal", False)


def _looks_like_heading(text: str) -> bool:
    return text.rstrip().endswith(":") and len(text.split()) <= _HEADING_MAX_WORDS


def _content_section(cues: set[str], current: str | None) -> str:
    """The section of a content unit from the cues it matches and the heading it stands under."""
    if "legal" in cues:
        return "legal"
    if "other" in cues:  # closing dates, application instructions, hours: wherever they stand
        return "other"
    if current != "duties" and "benefits" in cues:
        return "benefits"
    if current is not None:
        return current
    for section in ("about", "requirements"):
        if section in cues:
            return section
    return "duties"
