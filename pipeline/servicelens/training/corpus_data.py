"""Labelled postings as the scorer reads them: units, targets, grouping keys, sources.

The corpus (``postings_labels.jsonl``) and a user's own labels both become a
:class:`TrainingData`: each posting prepared as the model reads postings (clean, segment,
sections), its targets (score, external, internal) and the key postings of one occupation family
share, so cross-validation never splits them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from servicelens.datasets.corpus import CorpusLabel, SourcePosting
from servicelens.reading.posting import PreparedPosting, prepare
from servicelens.reading.sections import SectionRules


@dataclass
class TrainingData:
    """Postings, their scorer units and labels (``targets``: score, external, internal)."""

    keys: list[str]
    sources: list[str]
    titles: list[str]
    texts: list[str]
    units: list[list[str]]  # the title first, then the scored units
    targets: np.ndarray
    groups: np.ndarray  # occupation family: cross-validation keeps a family on one side
    weights: np.ndarray
    group_labels: list[frozenset[str]] = field(default_factory=list)
    prepared: list[PreparedPosting] = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return len(self.keys)

    def subset(self, index: Iterable[int]) -> TrainingData:
        index = list(index)
        pick = lambda values: [values[i] for i in index]
        return TrainingData(pick(self.keys), pick(self.sources), pick(self.titles), pick(self.texts), pick(self.units),
                            self.targets[index], self.groups[index], self.weights[index],
                            pick(self.group_labels) if self.group_labels else [],
                            pick(self.prepared) if self.prepared else [])

    def plus(self, other: TrainingData) -> TrainingData:
        if not len(other):
            return self
        return TrainingData(self.keys + other.keys, self.sources + other.sources, self.titles + other.titles,
                            self.texts + other.texts, self.units + other.units,
                            np.vstack([self.targets, other.targets]), np.concatenate([self.groups, other.groups]),
                            np.concatenate([self.weights, other.weights]), self.group_labels + other.group_labels,
                            self.prepared + other.prepared)


def corpus_data(labels: Sequence[CorpusLabel], postings: dict[tuple[str, str], SourcePosting], rules: SectionRules,
                split: str | None = "dev") -> TrainingData:
    """The usable labelled postings of one split (``None``: both), read with ``rules``."""
    rows = [label for label in labels if label.usable and split in (None, label.split)]
    prepared = [prepare(postings[(r.source, r.id)].text, postings[(r.source, r.id)].title, rules) for r in rows]
    return TrainingData(
        keys=[r.key for r in rows], sources=[r.source for r in rows], titles=[p.title for p in prepared],
        texts=[postings[(r.source, r.id)].text for r in rows], units=[p.scorer_units() for p in prepared],
        targets=np.array([[r.cs_score, r.external, r.internal] for r in rows], dtype=float),
        groups=np.array([r.family for r in rows]), weights=np.ones(len(rows)),
        group_labels=[r.group_ids() for r in rows], prepared=prepared)


def gold_data(path: Path, rules: SectionRules, split: str = "dev") -> TrainingData:
    """The composed gold postings of one half (``gold_groups.jsonl``) as group-only training
    data: they teach which groups a posting serves, never the score (they have none)."""
    from servicelens.files import read_jsonl

    rows = [row for row in read_jsonl(path) if row["split"] == split]
    prepared = [prepare(row["text"], row["title"], rules) for row in rows]
    return TrainingData(
        keys=[f"gold:{row['id']}" for row in rows], sources=["gold"] * len(rows), titles=[p.title for p in prepared],
        texts=[row["text"] for row in rows], units=[p.scorer_units() for p in prepared],
        targets=np.full((len(rows), 3), np.nan), groups=np.array([f"gold:{row['occupation']}" for row in rows]),
        weights=np.ones(len(rows)), group_labels=[frozenset(row["groups"]) for row in rows], prepared=prepared)


def corpus_inputs(corpus: Path, source_files: Iterable[Path]) -> dict[str, str]:
    """The sha256 of the corpus file and of the sources its postings come from (model metadata)."""
    from servicelens.files import sha256_file

    return {f"{p.parent.name}/{p.name}": sha256_file(p) for p in [Path(corpus), *map(Path, source_files)]}


def load_corpus(labeled_dir: Path, dev_dir: Path, more_dir: Path, rules: SectionRules,
                with_gold: bool = True) -> tuple[TrainingData, TrainingData, dict[str, str]]:
    """The corpus' development split (plus, when found and ``with_gold``, the gold set's development
    half, which teaches the groups), its held-out split, and the sha256 of every input."""
    from servicelens.datasets.corpus import CORPUS_FILE, SOURCES, read_corpus, read_sources
    from servicelens.errors import DataError, Errors
    from servicelens.evaluation.groups import GOLD_FILE
    from servicelens.evidence.groups import GroupRules
    from servicelens.paths import labeled_file

    path = labeled_file(labeled_dir, CORPUS_FILE)
    if path is None:
        raise DataError(Errors.E103.format(path=Path(labeled_dir) / CORPUS_FILE))
    labels = read_corpus(path, GroupRules().groups)
    postings = read_sources(dev_dir, more_dir)
    files = [(Path(dev_dir) if s.folder == "dev" else Path(more_dir)) / s.file for s in SOURCES.values()]
    dev = corpus_data(labels, postings, rules, "dev")
    gold = labeled_file(labeled_dir, GOLD_FILE) if with_gold else None
    if gold is not None:
        dev, files = dev.plus(gold_data(gold, rules)), [*files, gold]
    return dev, corpus_data(labels, postings, rules, "heldout"), corpus_inputs(path, files)
