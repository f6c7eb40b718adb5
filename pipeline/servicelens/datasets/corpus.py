"""The labelled corpus: real postings read against the scale, one row per posting.

``data/labeled/postings_labels.jsonl`` holds, per posting, its source and id, its split and the
keys the split was grouped by, the labels (external and internal parts, score, band, the customer
groups with the character spans that show each explicit one), who made them, when and how, and
every labelling pass. It never holds posting text: the text is read from the sources
(``postings-dev/`` and ``postings-more/`` of the shared data, or the user's copies), by id.
How the labels were made: ``docs/labelling-guide.md``; the sample and the split:
:mod:`servicelens.datasets.corpus_build`.
"""
from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from servicelens.errors import DataError, Errors
from servicelens.scale import SCALE_VERSION, band_number, combine

CORPUS_FILE = "postings_labels.jsonl"
#: Nouns that name people or bodies of people, beside the taxonomy's own group terms: a group's
#: span must hold one (the corpus test checks it).
PEOPLE_WORDS = (
    r"people|persons?|individuals?|staff|employees?|workforce|colleagues?|teams?|service[- ]users?|carers?|"
    r"participants?|communit(y|ies)|partners?|partnerships?|government|departments?|talent|professionals?|"
    r"providers?|owners?|leads?|prospects?|visitors?|adults?|older|elderly|men|women|famil(y|ies)|relatives|"
    r"audiences?|boards?|directors?|managers?|leaders?|executives?|heads?|supervisors?|clinicians?|doctors?|"
    r"nurses?|physicians?|GPs?|engineers?|scientists?|developers?|researchers?|analysts?|officers?|agencies|"
    r"bodies|organi[sz]ations?|trusts?|councils?|authorit(y|ies)|ministers?|commissioners?|schools?|"
    r"universit(y|ies)|colleges?|faculty|businesses|companies|firms|brands|accounts?|buyers?|sellers?|"
    r"suppliers?|workers?|volunteers?|learners?|trainees?|apprentices?|interns?|mentees?|mentors?|youth|"
    r"juniors?|seniors?|veterans?|victims?|offenders?|prisoners?|arrestees|claimants?|applicants?|recruits?|"
    r"starters|hires?|panels?|committees?|groups?|networks?|populations?|residents?|citizens?|public|laymen|"
    r"journalists?|travell?ers?|drivers?|golfers?|diners?|members?|donors?|sponsors?|funders?|investors?|"
    r"shareholders?|vendors?|contractors?|consultants?|specialists?|experts?|practitioners?|therapists?|"
    r"dentists?|pharmacists?|midwives|paramedics?|surgeons?|teachers?|instructors?|trainers?|educators?|"
    r"parents?|pupils?|students?|majors|children|kids|babies|baby|infants?|mothers?|inpatients?|outpatients?|"
    r"patients?|customers?|clients?|users?|guests?|tenants?|stakeholders?|management|leadership|MPs?|peers?|"
    r"crew|personnel|recipients?|referrers?|delegations?|parties|actors|elders|governors?|traders?|inspectors?|"
    r"courts?|judges?|designers?|architects?|specifiers?|reps?|representatives?|outlets|grantees?|"
    r"hospitals?|clinics?|divisions?|directorates?|counterparts?|callers?")
NAMES_PEOPLE = re.compile(rf"\b(?:{PEOPLE_WORDS})\b", re.I)
SPLITS = ("dev", "heldout")
KINDS = ("explicit", "implied")
FIELDS = ("text", "title")


@dataclass(frozen=True)
class Source:
    """Where one source's postings are: a CSV in the dev or the more-postings folder, and its columns."""

    folder: str  # "dev" (postings-dev/) or "more" (postings-more/)
    file: str
    id: str
    title: str
    text: str
    tags: str | None = None  # the source's own labels (job functions, categories), for sanity checks only


SOURCES = {
    "postings_dev": Source("dev", "linkedin_postings_labeled.csv", "job_id", "title", "description", "job_functions"),
    "nhs_jobs_2020": Source("more", "nhs_jobs_2020.csv", "id", "title", "text"),
    "cityofla_job_bulletins": Source("more", "cityofla_job_bulletins.csv", "id", "title", "text"),
    "uk_civil_service_jobs": Source("more", "uk_civil_service_jobs.csv", "id", "title", "text", "type_of_role"),
    "google_job_skills_2018": Source("more", "google_job_skills_2018.csv", "id", "title", "text", "category"),
    "linkedin_education_jobs_2025": Source("more", "linkedin_education_jobs_2025.csv", "id", "title", "text"),
    "armenia_careercenter_2004": Source("more", "armenia_careercenter_2004.csv", "id", "title", "text", "it_flag"),
}


@dataclass(frozen=True)
class Span:
    """Characters ``[start, end)`` of a posting's ``field`` (its text as published, or its title)."""

    field: str
    start: int
    end: int


@dataclass(frozen=True)
class GroupLabel:
    id: str
    kind: str  # explicit | implied
    spans: tuple[Span, ...] = ()
    reviewed: str | None = None  # the reviewer who checked its spans name the people (span review)


@dataclass(frozen=True)
class Pass:
    """One annotator's reading of a posting."""

    annotator: str
    labelled_at: str
    note: str
    external: int | None = None
    internal: int | None = None
    groups: tuple[GroupLabel, ...] = ()
    unusable: str | None = None


@dataclass(frozen=True)
class CorpusLabel:
    source: str
    id: str
    split: str  # dev | heldout
    family: str  # split keys: occupation family, employer (None: one-employer source), near-duplicate cluster
    employer: str | None
    cluster: int
    scale: str
    procedure: str
    adopted: str  # which pass (or which rule over the passes) the labels below are
    passes: tuple[Pass, ...]
    external: float | None = None
    internal: float | None = None
    cs_score: float | None = None
    band: int | None = None
    groups: tuple[GroupLabel, ...] = ()
    unusable: str | None = None

    @property
    def key(self) -> str:
        return f"{self.source}:{self.id}"

    @property
    def usable(self) -> bool:
        return self.unusable is None

    def group_ids(self, kind: str | None = None) -> frozenset[str]:
        return frozenset(g.id for g in self.groups if kind in (None, g.kind))


def score_label(external: float, internal: float) -> tuple[float, int]:
    """A posting's score and band from its two parts, by the scale."""
    score = round(combine(external, internal), 1)
    return score, band_number(score)


# -- reading and checking ---------------------------------------------------------------------------

def _fail(path: Path, line: int, field: str, value, expected: str):
    shown = value if isinstance(value, (int, float)) or (isinstance(value, str) and len(value) <= 40) else type(value).__name__
    raise DataError(Errors.E100.format(path=path, line=line, field=field, value=shown, expected=expected))


def _groups(raw, path: Path, line: int, field: str, groups: set[str]) -> tuple[GroupLabel, ...]:
    if not isinstance(raw, list):
        _fail(path, line, field, raw, "a list of groups")
    out = []
    for g in raw:
        if not isinstance(g, dict) or g.get("id") not in groups:
            _fail(path, line, f"{field}.id", g.get("id") if isinstance(g, dict) else g, "a group of the taxonomy")
        if g.get("kind") not in KINDS:
            _fail(path, line, f"{field}.kind", g.get("kind"), " or ".join(KINDS))
        spans = []
        for s in g.get("spans", []):
            ok = isinstance(s, dict) and s.get("field") in FIELDS and all(
                isinstance(s.get(k), int) and not isinstance(s.get(k), bool) for k in ("start", "end"))
            if not ok or not 0 <= s["start"] < s["end"]:
                _fail(path, line, f"{field}.spans", str(s)[:40], "{field: text|title, start, end} with 0 <= start < end")
            spans.append(Span(s["field"], s["start"], s["end"]))
        if g["kind"] == "explicit" and not spans:
            _fail(path, line, f"{field}.spans", "[]", "at least one span for an explicit group")
        out.append(GroupLabel(g["id"], g["kind"], tuple(spans), g.get("reviewed")))
    return tuple(out)


def _part(value, path: Path, line: int, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        _fail(path, line, field, value, "a number from 0 to 100")
    return float(value)


def read_corpus(path: Path, groups: Iterable[str]) -> list[CorpusLabel]:
    """Read and check the corpus file: fields and types, one scale version, scores that follow from
    their parts. A bad row raises :class:`DataError` naming the file, line and field."""
    path = Path(path)
    known = set(groups)
    out, seen = [], set()
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(Errors.E100.format(path=path, line=line, field="(line)", value=str(exc)[:40],
                                               expected="a JSON object")) from exc
        if row.get("source") not in SOURCES:
            _fail(path, line, "source", row.get("source"), "one of " + ", ".join(SOURCES))
        if not isinstance(row.get("id"), str) or not row["id"]:
            _fail(path, line, "id", row.get("id"), "an id, as text")
        if (row["source"], row["id"]) in seen:
            _fail(path, line, "id", row["id"], "each posting once")
        seen.add((row["source"], row["id"]))
        if row.get("split") not in SPLITS:
            _fail(path, line, "split", row.get("split"), " or ".join(SPLITS))
        if row.get("scale") != SCALE_VERSION:
            _fail(path, line, "scale", row.get("scale"), SCALE_VERSION)
        keys = row.get("split_keys") or {}
        if not isinstance(keys.get("family"), str) or not isinstance(keys.get("cluster"), int):
            _fail(path, line, "split_keys", str(keys)[:40], "{family, employer, cluster}")
        passes = []
        for k, p in enumerate(row.get("passes") or []):
            if not isinstance(p, dict) or not str(p.get("annotator", "")).startswith("a"):
                _fail(path, line, f"passes[{k}].annotator", p.get("annotator") if isinstance(p, dict) else p,
                      "an annotator id")
            if p.get("unusable"):
                passes.append(Pass(p["annotator"], p.get("labelled_at", ""), p.get("note", ""), unusable=p["unusable"]))
            else:
                passes.append(Pass(p["annotator"], p.get("labelled_at", ""), p.get("note", ""),
                                   int(_part(p.get("external"), path, line, f"passes[{k}].external")),
                                   int(_part(p.get("internal"), path, line, f"passes[{k}].internal")),
                                   _groups(p.get("groups", []), path, line, f"passes[{k}].groups", known)))
        if not passes:
            _fail(path, line, "passes", "[]", "at least one labelling pass")
        common = dict(source=row["source"], id=row["id"], split=row["split"], family=keys["family"],
                      employer=keys.get("employer"), cluster=keys["cluster"], scale=row["scale"],
                      procedure=str(row.get("procedure", "")), adopted=str(row.get("adopted", "")), passes=tuple(passes))
        if row.get("unusable"):
            out.append(CorpusLabel(**common, unusable=str(row["unusable"])))
            continue
        external = _part(row.get("external"), path, line, "external")
        internal = _part(row.get("internal"), path, line, "internal")
        score, band = score_label(external, internal)
        if row.get("cs_score") != score or row.get("band") != band:
            _fail(path, line, "cs_score", row.get("cs_score"), f"{score:g} in band {band}, from external and internal")
        out.append(CorpusLabel(**common, external=external, internal=internal, cs_score=score, band=band,
                               groups=_groups(row.get("groups", []), path, line, "groups", known)))
    return out


# -- the postings' own text ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SourcePosting:
    title: str
    text: str
    tags: str  # the source's own labels ("" when it has none)


def read_sources(dev_dir: Path, more_dir: Path, wanted: Iterable[str] = SOURCES) -> dict[tuple[str, str], SourcePosting]:
    """The postings of each wanted source, by ``(source, id)``, read from the source files as published."""
    csv.field_size_limit(min(sys.maxsize, 2 ** 31 - 1))  # bulletins and PDF texts run long
    out: dict[tuple[str, str], SourcePosting] = {}
    for name in wanted:
        spec = SOURCES[name]
        path = Path(dev_dir if spec.folder == "dev" else more_dir) / spec.file
        if not path.is_file():
            raise DataError(Errors.E101.format(path=path, source=name))
        for row in _rows(path):
            out[(name, row[spec.id])] = SourcePosting(row.get(spec.title) or "", row.get(spec.text) or "",
                                                       row.get(spec.tags, "") if spec.tags else "")
    return out


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def span_text(posting: SourcePosting, span: Span) -> str:
    return (posting.text if span.field == "text" else posting.title)[span.start:span.end]
