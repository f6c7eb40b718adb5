"""The user's own labels: read label files, check every row, and say what is wrong where.

A label file is a table (CSV, TSV, XLSX, JSON lines, Parquet) with a posting (``text``, or
``title`` + ``description``, or the title and text columns of an export, found like a batch's)
and any of ``cs_score`` (0-100), ``cs_band`` (a band name), ``customer_groups`` (group ids,
``;``-separated) and ``weight`` (a positive number, default 1). Nothing is trained until every
file has been checked; errors stop training, warnings do too with ``--strict``.
"""
from __future__ import annotations

import difflib
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from servicelens.scale import BAND_LOW, BAND_NAMES, BAND_WIDTH, band, band_middle
from servicelens.inputs.columns import ColumnMap, detect_columns, normalise
from servicelens.errors import Errors, LabelError
from servicelens.files import sha256_file
from servicelens.inputs.tables import open_table
from servicelens.batch.chunks import MAX_CHARS, row_posting
from servicelens.outputs.tables import ADDED_COLUMNS, cell_text

SCORE, BAND, GROUPS, WEIGHT = "cs_score", "cs_band", "customer_groups", "weight"
LABEL_COLUMNS = (SCORE, BAND, GROUPS, WEIGHT)
#: Columns a scored table has besides the labels: read without complaint, never used as labels.
SCORED_COLUMNS = tuple(c for c in ADDED_COLUMNS if c not in LABEL_COLUMNS)
#: The score a band label stands for when a number is needed (the middle of the band).
BAND_SCORE = {name: band_middle(name) for name in BAND_NAMES}


@dataclass(frozen=True)
class Label:
    """One labelled posting."""

    source: str
    row: int  # 1-based data row
    line: int  # where the row starts in the file
    title: str
    text: str
    score: float | None
    band: str | None
    groups: tuple[str, ...] | None  # None: no group label (an empty cell says nothing)
    weight: float = 1.0

    @property
    def key(self) -> str:
        """Identity of the posting: title and text with case and spacing ignored."""
        said = " ".join(self.title.lower().split()) + "\n" + " ".join(self.text.lower().split())
        return hashlib.sha1(said.encode("utf-8")).hexdigest()

    @property
    def target(self) -> float | None:
        """The score to learn: the labelled score, else the middle of the labelled band."""
        return self.score if self.score is not None else BAND_SCORE.get(self.band) if self.band else None

    def score_error(self, predicted: float) -> float:
        """Distance from a prediction to the label: to the score, or to the nearest edge of the band."""
        if self.score is not None:
            return abs(predicted - self.score)
        lower = BAND_LOW[self.band]
        upper = lower + BAND_WIDTH
        return max(lower - predicted, predicted - upper, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "row": self.row, "title": self.title, "text": self.text, SCORE: self.score,
                BAND: self.band, GROUPS: None if self.groups is None else list(self.groups), WEIGHT: self.weight}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Label:
        groups = data.get(GROUPS)
        return cls(data["source"], data["row"], data.get("line", data["row"]), data["title"], data["text"],
                   data.get(SCORE), data.get(BAND), None if groups is None else tuple(groups), data.get(WEIGHT, 1.0))


@dataclass(frozen=True)
class Issue:
    """A problem found in a label file; ``row`` is None for the file or a column."""

    source: str
    row: int | None
    line: int | None
    level: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        where = self.source if self.row is None else f"{self.source}: row {self.row} (line {self.line})"
        return f"{where}: {self.level}: {self.message}"


@dataclass
class LabelSet:
    """Checked labels and what the check found."""

    labels: list[Label] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)  # file -> sha256

    def errors(self, strict: bool = False) -> list[Issue]:
        return [i for i in self.issues if i.level == "error" or strict]

    def raise_for_errors(self, strict: bool = False) -> None:
        found = self.errors(strict)
        if found:
            raise LabelError(Errors.E070.format(n=len(found), issues="\n".join(f"  {i}" for i in found)))


def _group_set(label: Label) -> frozenset | None:
    return None if label.groups is None else frozenset(label.groups)


def _shown(value: str) -> str:
    """A cell value as a message may quote it: a short word or number; longer text may be posting text."""
    return f"'{value}'" if re.fullmatch(r"[\w.+-]{1,20}", value) else "(a longer text)"


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def read_labels(paths: Sequence[str | Path], groups: Sequence[str]) -> LabelSet:
    """Read and check label files; ``groups`` are the group ids of the taxonomy.

    Every row is checked before anything is returned; duplicates are found across files.
    """
    found = LabelSet()
    seen: dict[str, Label] = {}
    for path in paths:
        source = str(path)
        found.hashes[source] = sha256_file(Path(path)) if Path(path).is_file() else ""
        for label in _read_file(source, set(groups), found.issues):
            earlier = seen.get(label.key)
            if earlier is None:
                seen[label.key] = label
                found.labels.append(label)
                continue
            where = f"{earlier.source} row {earlier.row}" if earlier.source != source else f"row {earlier.row}"
            same = (earlier.target, _group_set(earlier)) == (label.target, _group_set(label))
            found.issues.append(Issue(source, label.row, label.line, "warning" if same else "error",
                                      Errors.E076.format(where=where) if same else Errors.E077.format(where=where)))
    return found


def _read_file(source: str, groups: set[str], issues: list[Issue]) -> Iterable[Label]:
    with open_table(source) as reader:
        columns = list(reader.columns)
        names = [normalise(c) for c in columns]
        at = {name: names.index(name) for name in LABEL_COLUMNS if name in names}
        posting = detect_columns([c if normalise(c) not in LABEL_COLUMNS else "" for c in columns], source)
        if not ({SCORE, BAND, GROUPS} & set(at)):
            raise LabelError(Errors.E071.format(path=source, columns=", ".join(repr(c) for c in columns)))
        used = {*at.values(), *posting.text, *(i for i in (posting.title, posting.id) if i is not None)}
        known = {normalise(c) for c in SCORED_COLUMNS}
        for i, name in enumerate(columns):
            if i not in used and names[i] not in known:
                hint = did_you_mean(names[i], LABEL_COLUMNS + ("title", "text", "description"))
                issues.append(Issue(source, None, None, "warning", Errors.E072.format(column=name, hint=hint)))
        for chunk in reader.chunks(1000):
            for k, row in enumerate(chunk.rows):
                number, line = chunk.first_row + k, chunk.lines[k]

                def report(level: str, message: str) -> None:
                    issues.append(Issue(source, number, line, level, message))

                if chunk.problems[k]:
                    report("error" if not chunk.usable[k] else "warning", chunk.problems[k])
                if not chunk.usable[k]:
                    continue
                label = _check_row(row, at, posting, groups, report)
                if label is not None:
                    yield Label(source, number, line, *label)


def _check_row(row: list[Any], at: dict[str, int], posting: ColumnMap, groups: set[str], report) -> tuple | None:
    """The fields of a ``Label`` after ``source, row, line``, or None when the row is not usable."""
    title, text, _ = row_posting(row, posting, MAX_CHARS)
    value = {name: cell_text(row[i]).strip() for name, i in at.items()}
    ok = True
    score = None
    if value.get(SCORE):
        score = _number(value[SCORE])
        if score is None or not 0 <= score <= 100:
            report("error", Errors.E073.format(field=SCORE, value=_shown(value[SCORE]), expected="a number from 0 to 100"))
            ok, score = False, None
    band_name = value.get(BAND, "").lower() or None
    if band_name and band_name not in BAND_NAMES:
        report("error", Errors.E074.format(value=_shown(value[BAND]), hint=did_you_mean(band_name, BAND_NAMES),
                                           names=", ".join(BAND_NAMES)))
        ok, band_name = False, None
    if score is not None and band_name and band(score) != band_name:
        report("error", Errors.E078.format(score=score, band=band_name, actual=band(score)))
        ok = False
    group_ids = None
    if value.get(GROUPS):
        group_ids = tuple(dict.fromkeys(g.strip().lower() for g in value[GROUPS].split(";") if g.strip()))
        for g in group_ids:
            if g not in groups:
                report("error", Errors.E075.format(value=_shown(g), hint=did_you_mean(g, groups)))
                ok = False
    weight = 1.0
    if value.get(WEIGHT):
        weight = _number(value[WEIGHT])
        if weight is None or not 0 < weight <= 1000:
            report("error", Errors.E073.format(field=WEIGHT, value=_shown(value[WEIGHT]),
                                               expected="a number above 0 and at most 1000"))
            ok, weight = False, 1.0
    if not text.strip() and not title:
        report("warning", Errors.E079)
        return None
    if group_ids is not None and not title:
        report("warning", Errors.E086)
    if score is None and band_name is None and group_ids is None:
        if ok:
            report("warning", Errors.E080)
        return None
    return (title, text, score, band_name, group_ids, weight) if ok else None


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
