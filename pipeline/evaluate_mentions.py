"""How far a model's evidence for customer groups can be trusted: the group mentions it finds, checked
against mentions people labelled one by one (``group_mentions.jsonl``, see data/labeled/README.md).

A labelled row names a posting (a gold posting by ``id``, a real dev posting by ``job_id``), a group
and the spans of that group's mentions in one unit of it (offsets into the posting's text as given;
none for a title given apart from the text). People said whether the unit shows the job serving
those people (``yes``), not (``no``), or serving them as another group (``other``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from .errors import DataError, Errors
from .files import read_jsonl
from .groups import REPORT_THRESHOLD, mention_evidence

MENTIONS_FILE = "group_mentions.jsonl"
LABELS = ("yes", "no", "other")
SOURCES = ("gold", "postings_dev")


@dataclass(frozen=True)
class MentionLabel:
    source: str  # gold | postings_dev
    id: str | int  # the gold posting's id, or the dev posting's job_id
    group: str
    spans: tuple[tuple[int, int], ...]  # empty: the mention is in a title given apart from the text
    label: str  # yes | no | other
    second_label: str | None = None  # a second annotator's, where there is one

    @property
    def posting(self) -> tuple[str, str | int]:
        return self.source, self.id


def read_mention_labels(path: Path, groups: Iterable[str]) -> list[MentionLabel]:
    """The labelled mentions in ``path``, checked against the taxonomy's ``groups``."""
    known = set(groups)
    out = []
    for line, row in enumerate(read_jsonl(path), 1):
        for field, allowed in (("source", SOURCES), ("group", sorted(known)), ("label", LABELS)):
            if row.get(field) not in allowed:
                raise DataError(Errors.E099.format(path=path, line=line, field=field, value=row.get(field),
                                                   expected=", ".join(allowed)))
        out.append(MentionLabel(row["source"], row["id"], row["group"], tuple(map(tuple, row["spans"])),
                                row["label"], row.get("second_label")))
    return out


def mention_report(model, texts: Mapping[tuple[str, str | int], tuple[str, str | None]],
                   labels: Sequence[MentionLabel]) -> dict:
    """The model's evidence confidence for each labelled mention (0 where it no longer finds it) beside
    what people said: how many of the mentions at each confidence serve the group, how well the
    confidence ranks them (AUC), and how often people agree with each other.

    ``texts`` maps each labelled posting to its text and title; labels of postings not in it are
    left out (and counted).
    """
    by_posting: dict[tuple, list[MentionLabel]] = defaultdict(list)
    for row in labels:
        by_posting[row.posting].append(row)
    confidence, served = [], []
    for key, rows in by_posting.items():
        if key not in texts:
            continue
        found = mention_evidence(model.prepare(*texts[key]), model.group_rules, model.estimator.patterns_)
        at = {(group, e.start): e.confidence for group, evidence in found.items() for e in evidence}
        for row in rows:
            starts = [start for start, _ in row.spans] or [None]
            confidence.append(max(at.get((row.group, start), 0.0) for start in starts))
            served.append(row.label == "yes")
    confidence, served = np.array(confidence), np.array(served)
    report = {"labelled": len(labels), "checked": int(len(served)), "found": int((confidence > 0).sum()),
              "served": round(float(served.mean()), 3) if len(served) else None}
    if len(set(served.tolist())) == 2:
        report["auc"] = round(float(roc_auc_score(served, confidence)), 3)
    report["by_confidence"] = {f"{c:g}": {"n": int((confidence == c).sum()),
                                          "served": round(float(served[confidence == c].mean()), 3)}
                               for c in sorted(set(confidence.tolist()), reverse=True)}
    named = confidence >= REPORT_THRESHOLD
    if named.any() and served.any():
        report["at_threshold"] = {"precision": round(float(served[named].mean()), 3),
                                  "recall": round(float(named[served].mean()), 3)}
    people = [row for row in labels if row.label != "no"]
    report["other_group"] = round(sum(row.label == "other" for row in people) / len(people), 3) if people else None
    twice = [row for row in labels if row.second_label]
    if twice:
        report["agreement"] = {"n": len(twice),
                               "served": round(sum((r.label == "yes") == (r.second_label == "yes") for r in twice)
                                               / len(twice), 3),
                               "label": round(sum(r.label == r.second_label for r in twice) / len(twice), 3)}
    return report


def format_mentions(report: dict | None) -> list[str]:
    if not report:
        return []
    lines = [f"Group evidence against {report['checked']} labelled mentions ({report['found']} still found): "
             f"{report['served']:.0%} serve the group; evidence confidence AUC {report.get('auc', float('nan')):.2f}"]
    cells = ", ".join(f"{c}: {v['served']:.0%} of {v['n']}" for c, v in report["by_confidence"].items())
    lines.append(f"  served share by evidence confidence: {cells}")
    if "agreement" in report:
        lines.append(f"  two annotators on {report['agreement']['n']}: agree on served {report['agreement']['served']:.0%}")
    return lines
