"""Which columns of a table hold the title, the posting text and the row id.

Detected from the names HR systems and job boards use (case, spaces and dashes do not matter),
or given explicitly. Several text columns (description, requirements, responsibilities...) are
joined in table order, so a posting split over columns is read whole.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from servicelens.errors import Errors, InputError

TITLE_NAMES = ("title", "job_title", "jobtitle", "position", "position_title", "job_name", "role",
               "role_title", "posting_title", "job_posting_title", "vacancy_title", "job")
TEXT_NAMES = ("description", "job_description", "jobdescription", "posting_description", "text", "body",
              "job_text", "posting", "job_posting", "posting_text", "details", "job_details", "summary",
              "job_summary", "responsibilities", "duties", "job_duties", "requirements", "qualifications",
              "skills_desc", "about_the_role", "role_description", "vacancy_description", "full_description")
ID_NAMES = ("id", "job_id", "jobid", "posting_id", "job_posting_id", "requisition_id", "req_id", "requisition",
            "vacancy_id", "reference", "ref")
#: A column whose name has one of these words holds posting text ("Job Description (HTML)"),
#: unless it is about something else ("Company Description", "Salary Description").
_TEXT_WORDS = {"description", "responsibilities", "requirements", "qualifications", "duties"}
_NOT_TEXT_WORDS = {"company", "employer", "organization", "organisation", "salary", "pay", "benefits",
                   "location", "id", "code", "url", "date"}


@dataclass(frozen=True)
class ColumnMap:
    """Positions (in the table's columns) of the title, the text columns and the id."""

    title: int | None
    text: tuple[int, ...]
    id: int | None

    def names(self, columns: Sequence[str]) -> dict:
        return {"title": None if self.title is None else columns[self.title],
                "text": [columns[i] for i in self.text],
                "id": None if self.id is None else columns[self.id]}


def normalise(name: str) -> str:
    """``"Job Description (HTML)"`` -> ``"job_description_html"``."""
    return "_".join(re.findall(r"[a-z0-9]+", str(name).lower()))


def _is_text(name: str) -> bool:
    words = set(name.split("_"))
    return name in TEXT_NAMES or bool(words & _TEXT_WORDS and not words & _NOT_TEXT_WORDS)


def _find(columns: Sequence[str], name: str, option: str, source: str) -> int:
    for wanted in (lambda c: c == name, lambda c: c.strip().lower() == name.strip().lower(),
                   lambda c: normalise(c) == normalise(name)):
        hits = [i for i, c in enumerate(columns) if wanted(c)]
        if hits:
            return hits[0]
    raise InputError(Errors.E046.format(path=source, column=name, option=option, columns=_listing(columns)))


def _listing(columns: Sequence[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:30])
    return shown + (f" ... ({len(columns)} in all)" if len(columns) > 30 else "") if columns else "none"


def detect_columns(columns: Sequence[str], source: str, title: str | None = None,
                   text: Sequence[str] = (), id: str | None = None) -> ColumnMap:
    """The title, text and id columns: the ones named, else the ones detected by name.

    Raises :class:`InputError` listing the columns seen when neither a title nor a text column
    can be found, before any row is scored.
    """
    names = [normalise(c) for c in columns]

    def first(candidates: Sequence[str], exclude: set[int]) -> int | None:
        for candidate in candidates:
            for i, n in enumerate(names):
                if n == candidate and i not in exclude:
                    return i
        return None

    title_at = _find(columns, title, "--title-col", source) if title else first(TITLE_NAMES, set())
    if text:
        text_at = tuple(_find(columns, t, "--text-col", source) for t in text)
    else:
        text_at = tuple(i for i, n in enumerate(names) if i != title_at and _is_text(n))
    id_at = _find(columns, id, "--id-col", source) if id else first(ID_NAMES, {title_at, *text_at})
    if title_at is None and not text_at:
        raise InputError(Errors.E045.format(path=source, columns=_listing(columns)))
    return ColumnMap(title_at, text_at, id_at)
