"""Fitting the group confidence (:mod:`servicelens.evidence.group_confidence`): a logistic regression
over what the group rules found (:func:`servicelens.evidence.groups.candidate_features`), fitted on
postings labelled with the groups they serve.

The rules find every group a posting names near a served cue; whether the role really serves it
is a matter of degree the rules weigh badly alone: a group the duties keep returning to is served,
a project manager named once in a carpenter's duties is not. ``servicelens train`` fits it on the
gold set's development postings (both batches); the real development postings labelled by people
who never saw the rules (``postings_dev_groups.jsonl``) are a check it was chosen on, and both test
halves stay unseen.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from servicelens.errors import DataError, Errors, ModelError
from servicelens.evaluation.groups import GOLD_FILE, set_metrics
from servicelens.evidence.group_confidence import LearnedScorer
from servicelens.model.linear import Logistic
from servicelens.files import read_jsonl, sha256_file
from servicelens.evidence.groups import REPORT_THRESHOLD, feature_names, named_explicitly, rule_confidence
from servicelens.paths import labeled_file

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from servicelens.model.loaded import Model

#: Inverse regularisation, chosen by leaving one posting out on the development postings (0.1-3
#: all land within 0.01 of F1 there; the middle is kept).
C = 0.3
GOLD_SOURCE, REAL_SOURCE = "gold", "postings_dev"
#: Real development postings labelled with their groups, by ``job_id`` (see data/labeled/README.md).
REAL_GROUPS_FILE = "postings_dev_groups.jsonl"


@dataclass(frozen=True)
class LabelledPosting:
    """A posting and the groups it serves, as a person labelled them."""

    text: str
    title: str | None
    groups: frozenset[str]
    source: str  # which labelled set it came from
    split: str  # dev | test
    batch: int = 1  # labelled sets grow in batches (see data/labeled/README.md)


def gold_postings(path: Path, split: str | None = "dev") -> list[LabelledPosting]:
    """The hand-written gold postings of one half (``None``: both)."""
    return [LabelledPosting(row["text"], row["title"], frozenset(row["groups"]), GOLD_SOURCE, row["split"],
                            row.get("batch", 1))
            for row in read_jsonl(path) if split in (None, row["split"])]


def real_postings(path: Path, postings: pd.DataFrame, split: str | None = "dev") -> list[LabelledPosting]:
    """The real development postings labelled in ``path`` (by ``job_id``; the text is not ours to
    ship, so it comes from ``postings``, the dev postings table), of one half (``None``: both)."""
    by_id = postings.drop_duplicates("job_id").set_index("job_id")
    out = []
    for line, row in enumerate(read_jsonl(path), 1):
        if split not in (None, row["split"]):
            continue
        if row["job_id"] not in by_id.index:
            raise DataError(Errors.E098.format(path=path, line=line, job_id=row["job_id"]))
        posting = by_id.loc[row["job_id"]]
        out.append(LabelledPosting(posting["description"], posting["title"], frozenset(row["groups"]),
                                   REAL_SOURCE, row["split"], row.get("batch", 1)))
    return out


def group_training(labeled_dir: Path, required: bool = False) -> tuple[list[LabelledPosting], dict[str, str]]:
    """What ``servicelens train`` fits the group confidence on: the gold set's development half,
    and the hash of its file (for the model's metadata). Nothing when the gold set is missing,
    unless it is ``required`` (a model that has a learned confidence is being retrained)."""
    path = labeled_file(labeled_dir, GOLD_FILE)
    if path is None:
        if required:
            raise ModelError(Errors.E097.format(path=Path(labeled_dir) / GOLD_FILE))
        return [], {}
    return gold_postings(path), {GOLD_FILE: sha256_file(path)}


def fit_model_confidence(estimator, meta: dict, inferrer, postings: Sequence[LabelledPosting],
                         leave_one_out_figures: bool = True) -> tuple[Logistic | None, dict | None]:
    """The group confidence of a model about to be saved (its scorer, metadata and inferrer), or
    ``(None, None)`` without labelled postings: such a model weighs its groups by rule."""
    if not postings:
        return None, None
    from servicelens.model.loaded import Model

    return fit_confidence(Model.from_parts(estimator, meta, inferrer), postings, leave_one_out_figures)


def confidence_pipeline() -> Pipeline:
    """The unfitted pipeline: features are counts, shares and confidences of different ranges."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression(C=C, max_iter=5000))])


@dataclass(frozen=True)
class Examples:
    """Every candidate group of some labelled postings: ``features[i]`` of group ``groups[i]`` of
    posting ``owner[i]``, and whether it is ``served``."""

    features: np.ndarray
    served: np.ndarray
    owner: np.ndarray
    groups: list[str]

    def named(self, confidence: np.ndarray, k: int, threshold: float = REPORT_THRESHOLD) -> set[str]:
        """The groups of posting ``k`` that ``confidence`` (one per example) names."""
        return {self.groups[i] for i in np.flatnonzero(self.owner == k) if confidence[i] >= threshold}


def examples(model: Model, postings: Sequence[LabelledPosting]) -> Examples:
    """The candidate groups of ``postings``. A labelled group the rules never find is no example:
    no confidence could name it."""
    found = model.candidates_many([model.prepare(p.text, p.title) for p in postings])
    rows, served, owner, names = [np.zeros((0, len(feature_names(model.group_rules))))], [], [], []
    for k, ((groups, features), label) in enumerate(zip(found, postings)):
        rows.append(features)
        served += [g in label.groups for g in groups]
        owner += [k] * len(groups)
        names += groups
    return Examples(np.vstack(rows), np.array(served, dtype=int), np.array(owner, dtype=int), names)


def fit_confidence(model: Model, postings: Sequence[LabelledPosting],
                   leave_one_out_figures: bool = True) -> tuple[Logistic, dict]:
    """The fitted confidence model and its record for the model's metadata: what it was fitted
    on and (unless told not to) its leave-one-posting-out figures beside the rules' own confidence."""
    data = examples(model, postings)
    sources = sorted({p.source for p in postings})
    if len(set(data.served[named_explicitly(data.features)].tolist())) < 2:
        raise ModelError(Errors.E095.format(n=len(postings), sources=", ".join(sources)))
    fitted = fit_pipeline(data.features, data.served)
    record = {
        "features": feature_names(model.group_rules),
        "examples": int(len(data.served)), "served": int(data.served.sum()),
        "postings": {source: sum(p.source == source for p in postings) for source in sources},
        "C": C,
    }
    if leave_one_out_figures:
        record["leave_one_posting_out"] = leave_one_out(data, postings)
    return fitted, record


def fit_pipeline(features: np.ndarray, served: np.ndarray) -> Logistic:
    """The confidence model, fitted on the groups a posting names. A group only its title implies
    keeps the inferrer's own, lower confidence: the gold postings name the groups they serve, so
    they teach nothing about a posting that names none."""
    rows = named_explicitly(features)
    return Logistic.from_sklearn(confidence_pipeline().fit(features[rows], served[rows]))


def leave_one_out(data: Examples, postings: Sequence[LabelledPosting]) -> dict:
    """Micro P/R/F1 on each labelled set, each posting's groups named by a model fitted without it,
    beside the rules' confidence (which needs no fitting). A posting whose removal leaves a single
    outcome to fit on keeps the rules' confidence."""
    learned = rule_confidence(data.features)
    explicit = named_explicitly(data.features)
    for k in np.unique(data.owner):
        rows = data.owner == k
        if len(set(data.served[~rows & explicit].tolist())) == 2:
            scorer = LearnedScorer(fit_pipeline(data.features[~rows], data.served[~rows]))
            learned[rows] = scorer(data.features[rows])
    out: dict = {}
    for name, confidence in (("learned", learned), ("rules", rule_confidence(data.features))):
        for source in sorted({p.source for p in postings}):
            pairs = [(data.named(confidence, k), set(p.groups)) for k, p in enumerate(postings) if p.source == source]
            out.setdefault(source, {})[name] = {m: round(float(v), 3) for m, v in set_metrics(pairs)["micro"].items()}
    return out
