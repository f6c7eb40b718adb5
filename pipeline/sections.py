"""Label each unit of a posting with its section: duties, requirements, about, benefits, legal, other.

Headings switch the current section ("What you'll do", "About us", "Why join"); units under no
heading are classified on their own words; legal (EEO) text is recognised wherever it stands.
The rules are a versioned data file (``resources/sections.v1.json``), editable without code.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .paths import resource

SECTIONS = ("duties", "requirements", "about", "benefits", "legal", "other")
#: Sections whose content says what the worker will do or must be good at: only these move the score.
SCORED_SECTIONS = frozenset({"title", "duties", "requirements"})
DEFAULT_RULES = "sections.v1.json"
_HEADING_MAX_WORDS = 9
_LEADING_JUNK = re.compile(r"^[\W_]+|[\W_]+$")


@dataclass(frozen=True)
class UnitSection:
    section: str
    heading: bool  # the unit is (only) a heading


class SectionRules:
    """Compiled heading and cue patterns of one version of the rules file."""

    def __init__(self, path: Path | None = None):
        data = json.loads(Path(path or resource(DEFAULT_RULES)).read_text(encoding="utf-8"))
        self.version = f"{data['name']}.v{data['version']}"
        self.headings = [(section, re.compile(rf"^(?:{'|'.join(patterns)})$", re.I))
                         for section, patterns in data["headings"].items()]
        self.cues = {section: re.compile("|".join(patterns), re.I) for section, patterns in data["cues"].items()}

    def heading_section(self, text: str) -> str | None:
        words = _LEADING_JUNK.sub("", text).strip()
        if not words or len(words.split()) > _HEADING_MAX_WORDS:
            return None
        for section, pattern in self.headings:
            if pattern.match(words):
                return section
        return None

    def cue(self, section: str, text: str) -> bool:
        pattern = self.cues.get(section)
        return bool(pattern and pattern.search(text))


def _split_heading(text: str) -> tuple[str, str]:
    """``"Responsibilities: greet guests"`` -> (``"Responsibilities"``, ``"greet guests"``)."""
    head, sep, rest = text.partition(":")
    return (head, rest.strip()) if sep else (text, "")


def label_sections(units: list[str], rules: SectionRules) -> list[UnitSection]:
    """One label per unit; a unit that is only a heading is marked ``heading=True``."""
    labels: list[UnitSection] = []
    current: str | None = None
    for text in units:
        head, rest = _split_heading(text)
        found = rules.heading_section(head)
        if found is None and not rest:
            found = rules.heading_section(text)
        if found is not None:
            current = found
            if not rest:
                labels.append(UnitSection(found, True))
                continue
            text = rest
        elif _looks_like_heading(text):
            # An unknown heading ("Customer Experience:") keeps the current section.
            labels.append(UnitSection(current or "other", True))
            continue
        labels.append(UnitSection(_content_section(text, current, rules), False))
    return labels


def _looks_like_heading(text: str) -> bool:
    return text.rstrip().endswith(":") and len(text.split()) <= _HEADING_MAX_WORDS


def _content_section(text: str, current: str | None, rules: SectionRules) -> str:
    if rules.cue("legal", text):
        return "legal"
    if current not in ("duties",) and rules.cue("benefits", text):
        return "benefits"
    if current is not None:
        return current
    if rules.cue("about", text):
        return "about"
    if rules.cue("requirements", text):
        return "requirements"
    return "duties"
