"""How far a model's evidence for customer groups can be trusted: the group mentions it finds, checked
against mentions helper annotators labelled one by one (``group_mentions.jsonl``, see data/labeled/README.md).

A labelled row names a posting (a gold posting by ``id``, a real dev posting by ``job_id``), a group
and the spans of that group's mentions in one unit of it (offsets into the posting's text as given;
none for a title given apart from the text). The annotators said whether the unit shows the job serving
those people (``yes``), not (``no``), or serving them as another group (``other``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from servicelens.errors import DataError, Errors
from servicelens.files import read_jsonl
from servicelens.evidence.groups import mention_evidence

MENTIONS_FILE = "group_mentions.jsonl"
LABELS = ("yes", "no", "other")
SOURCES = ("gold", "postings_dev")


@dataclass(frozen=True)
class MentionLabel:
    source: str  # gold | postings_dev
    id: str  # the gold posting's id, or the dev posting's job_id
    group: str
    spans: tuple[tuple[int, int], ...]  # empty: the mention is in a title given apart from the text
    label: str  # yes | no | other
    better_group: str | None = None  # the group people serve them as, for ``other``
    second_label: str | None = None  # a second annotator's, where there is one

    @property
    def posting(self) -> tuple[str, str]:
        return self.source, self.id

    @property
    def starts(self) -> tuple[int | None, ...]:
        """Where its mentions start, as the model's evidence gives them (None: a title given apart)."""
        return tuple(start for start, _ in self.spans) or (None,)


def read_mention_labels(path: Path, groups: Iterable[str]) -> list[MentionLabel]:
    """The labelled mentions in ``path``, checked against the taxonomy's ``groups``."""
    known = sorted(groups)
    checks = (("source", SOURCES), ("group", known), ("label", LABELS), ("better_group", [None, *known]),
              ("second_label", [None, *LABELS]))
    out = []
    for line, row in enumerate(read_jsonl(path), 1):
        def bad(field: str, expected: str) -> DataError:
            return DataError(Errors.E099.format(path=path, line=line, field=field, value=row.get(field),
                                                expected=expected))

        for field, allowed in checks:
            if row.get(field) not in allowed:
                raise bad(field, "one of " + ", ".join(map(str, allowed)))
        if not isinstance(row.get("id"), str) or not row["id"]:
            raise bad("id", "the posting's id or job_id, as a string")
        spans = row.get("spans")
        if not isinstance(spans, list) or not all(
                isinstance(span, list) and len(span) == 2 and all(type(x) is int for x in span)
                and 0 <= span[0] < span[1] for span in spans):
            raise bad("spans", "a list of [start, end] character offsets, 0 <= start < end")
        out.append(MentionLabel(row["source"], row["id"], row["group"], tuple(map(tuple, spans)), row["label"],
                                row.get("better_group"), row.get("second_label")))
    return out


def labelled_texts(gold_rows: Iterable[dict]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """The text and title of every gold posting (rows of ``gold_groups.jsonl``) by ``("gold", id)``."""
    return {("gold", row["id"]): (row["text"], row["title"]) for row in gold_rows}


def labelled_confidences(model, texts: Mapping[tuple[str, str], tuple[str, str | None]],
                         labels: Sequence[MentionLabel]) -> tuple[list[MentionLabel], np.ndarray]:
    """The labels of the postings in ``texts`` and the model's evidence confidence for each (the
    highest of its mentions; 0 where the model no longer finds any)."""
    by_posting: dict[tuple, list[MentionLabel]] = defaultdict(list)
    for row in labels:
        by_posting[row.posting].append(row)
    checked, confidence = [], []
    for key, rows in by_posting.items():
        if key not in texts:
            continue
        at: dict[tuple, float] = {}
        for group, evidence in mention_evidence(model.prepare(*texts[key]), model.group_rules,
                                                model.estimator.patterns_).items():
            for e in evidence:
                at[(group, e.start)] = max(at.get((group, e.start), 0.0), e.confidence)
        for row in rows:
            checked.append(row)
            confidence.append(max(at.get((row.group, start), 0.0) for start in row.starts))
    return checked, np.array(confidence)


def mention_report(model, texts: Mapping[tuple[str, str], tuple[str, str | None]],
                   labels: Sequence[MentionLabel]) -> dict:
    """The model's evidence confidence for each labelled mention beside what the annotators said: how many
    of the mentions at each confidence serve the group, how well the confidence ranks them (AUC), how
    many the annotators place in another group, and how often two annotators agree.

    ``texts`` maps each labelled posting to its text and title; labels of other postings are left
    out (``checked`` counts the rest, by source).
    """
    rows, confidence = labelled_confidences(model, texts, labels)
    served = np.array([row.label == "yes" for row in rows], dtype=bool)
    report: dict = {"labelled": len(labels), "checked": len(rows),
                    "sources": {s: sum(row.source == s for row in rows) for s in SOURCES},
                    "found": int((confidence > 0).sum())}
    if not rows:
        return report
    report["served"] = round(float(served.mean()), 3)
    if len(set(served.tolist())) == 2:
        report["auc"] = round(float(roc_auc_score(served, confidence)), 3)
    report["by_confidence"] = {f"{c:g}": {"n": int((confidence == c).sum()),
                                          "served": round(float(served[confidence == c].mean()), 3)}
                               for c in sorted(set(confidence.tolist()), reverse=True)}
    people = [row for row in rows if row.label != "no"]  # mentions of people the job serves
    if people:
        report["other_group"] = round(sum(row.label == "other" for row in people) / len(people), 3)
    twice = [row for row in rows if row.second_label]
    if twice:
        report["agreement"] = {"n": len(twice),
                               "served": round(sum((r.label == "yes") == (r.second_label == "yes") for r in twice)
                                               / len(twice), 3),
                               "label": round(sum(r.label == r.second_label for r in twice) / len(twice), 3)}
    return report


def format_mentions(report: dict | None) -> list[str]:
    """The terminal lines of :func:`mention_report` (none when nothing was checked)."""
    if not report or not report.get("checked"):
        return []
    sources = ", ".join(f"{n} {source}" for source, n in report["sources"].items() if n)
    head = (f"Group evidence against {report['checked']} labelled mentions ({sources}; {report['found']} still "
            f"found): {report['served']:.0%} serve the group")
    if "auc" in report:
        head += f"; evidence confidence AUC {report['auc']:.2f}"
    cells = ", ".join(f"{c}: {v['served']:.0%} of {v['n']}" for c, v in report["by_confidence"].items())
    lines = [head, f"  served share by evidence confidence: {cells}"]
    if "agreement" in report:
        lines.append(f"  two annotators on {report['agreement']['n']}: agree on served {report['agreement']['served']:.0%}")
    return lines
