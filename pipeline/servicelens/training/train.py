"""Train the scorer on the O*NET tables and write a model folder with metadata and a card."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from servicelens import __version__
from servicelens.datasets import onet
from servicelens.bands import BANDS, BAND_MEANING
from servicelens.errors import Errors, ModelError
from servicelens.training.fit_groups import LabelledPosting, fit_model_confidence
from servicelens.evidence.group_inference import build_inferrer
from servicelens.evidence.groups import GroupRules
from servicelens.model.store import ONET_ATTRIBUTION, save_model
from servicelens.datasets.onet import Tables
from servicelens.model.scorer import TARGETS, build_scorer
from servicelens.reading.posting import prepare
from servicelens.reading.sections import SectionRules

SEED = 13
DEFAULT_NAME = "servicelens"


@dataclass(frozen=True)
class TrainingSet:
    """Occupations presented as postings: full texts, scorer units, targets, groups, extra titles."""

    texts: list[str]
    units: list[list[str]]
    targets: np.ndarray
    groups: np.ndarray
    codes: np.ndarray
    titles: list[list[str]]
    weights: np.ndarray | None = None  # None: every posting counts once

    def __len__(self) -> int:
        return len(self.units)

    def fit_params(self, sentences: pd.DataFrame, index=None) -> dict:
        """Keyword arguments of ``PostingScorer.fit`` for all rows, or for the rows in ``index``."""
        index = np.arange(len(self.units)) if index is None else np.asarray(index, dtype=int)
        codes = self.codes[index]
        return {"groups": self.groups[index], "codes": codes, "titles": [self.titles[i] for i in index],
                "sentences": sentences[sentences["code"].isin(set(codes))],
                "sample_weight": None if self.weights is None else self.weights[index]}

    def subset(self, index) -> TrainingSet:
        index = np.asarray(index, dtype=int)
        return TrainingSet([self.texts[i] for i in index], [self.units[i] for i in index], self.targets[index],
                           self.groups[index], self.codes[index], [self.titles[i] for i in index],
                           None if self.weights is None else self.weights[index])

    def plus(self, other: TrainingSet) -> TrainingSet:
        """Both sets of postings, this one first."""
        if not len(other):
            return self
        weights = None
        if self.weights is not None or other.weights is not None:
            weights = np.concatenate([np.ones(len(s)) if s.weights is None else s.weights for s in (self, other)])
        return TrainingSet(self.texts + other.texts, self.units + other.units,
                           np.vstack([self.targets, other.targets]), np.concatenate([self.groups, other.groups]),
                           np.concatenate([self.codes, other.codes]), self.titles + other.titles, weights)

    def fit(self, sentences: pd.DataFrame, seed: int = SEED, index=None):
        """A fitted ``PostingScorer`` on all postings, or on those in ``index``."""
        random.seed(seed)
        np.random.seed(seed)
        data = self if index is None else self.subset(index)
        return build_scorer().fit(data.units, data.targets, **data.fit_params(sentences))


def training_set(occupations: pd.DataFrame, rules: SectionRules) -> TrainingSet:
    rows = occupations.to_dict("records")
    units = [prepare(onet.occupation_body(row), row["title"], rules).scorer_units() for row in rows]
    return TrainingSet([onet.occupation_posting(row) for row in rows], units,
                       occupations[list(TARGETS)].to_numpy(dtype=float),
                       occupations["minor_group"].to_numpy(), occupations["code"].to_numpy(),
                       [list(row["alternate_titles"]) for row in rows])


def next_version(models_dir: Path, name: str) -> str:
    """``MAJOR.MINOR.N``: the package's major.minor and one more than the models already there or
    shipped (a model's name says which one it is wherever it is found)."""
    from servicelens.model.registry import shipped_dir

    base = ".".join(__version__.split(".")[:2])
    pattern = re.compile(rf"^{re.escape(name)}-{re.escape(base)}\.(\d+)$")
    taken = [int(m.group(1)) for root in (models_dir, shipped_dir()) for p in root.glob(f"{name}-*")
             if (m := pattern.match(p.name))]
    return f"{base}.{max(taken, default=-1) + 1}"


def fit(tables: Tables, seed: int = SEED):
    return training_set(tables.occupations, SectionRules()).fit(tables.sentences, seed)


def _confidence_line(meta: dict) -> str:
    record = meta.get("group_confidence")
    if not record:
        return "A group's confidence combines its mentions by rule."
    postings = ", ".join(f"{n} {source}" for source, n in record["postings"].items())
    return (f"A group's confidence is learned (part `group_confidence`, logistic regression, C={record['C']:g}) "
            f"from {record['examples']} candidate groups of labelled postings ({postings}).")


def model_card(meta: dict) -> str:
    from servicelens.evaluation.scores import format_metrics  # the card quotes the figures in the same layout

    metrics = meta.get("metrics")
    figures = format_metrics(metrics) if metrics else "Not evaluated yet: run `servicelens evaluate`."
    bands = "\n".join(f"- **{name}** (from {lower:g}): {BAND_MEANING[name]}" for name, lower in BANDS)
    labels = meta.get("labels")
    retrained = "" if not labels else f"""
- **Your labels**: {labels['postings']} labelled postings ({labels['scored']} with a score or band,
  {labels['grouped']} with customer groups), each weighted {labels['weight']:g} x its own weight, on top
  of the O*NET base; trained from {meta.get('parent', '?')}. Label files and their sha256:
  {', '.join(f'`{Path(f).name}` {h[:12]}' for f, h in labels['files'].items()) or 'inherited only'}; the
  labels themselves are in `labels.jsonl`.
- **Gate**: {'activated' if meta.get('gate', {}).get('activated') else 'not activated'}: {meta.get('gate', {}).get('reason', 'not evaluated')}
  (`comparison.json` has the comparison with {meta.get('parent', '?')})."""
    return f"""# {meta['name']} {meta['version']}

Scores a job posting 0-100 for how central serving people is to the role.

- **Scale**: calibrated to O*NET Work Context "Deal With External Customers" (4.C.1.b.1.f), 0-100.
- **Targets**: `cs_score` (Deal With External Customers); `external` (mean of Deal With External
  Customers, Performing for or Working Directly with the Public, Assisting and Caring for Others);
  `internal` (mean of Communicating with Supervisors, Peers, or Subordinates and Work With Work Group or Team).
- **Training data**: {meta['training']['occupations']} O*NET 29.0 occupations presented as postings
  (title, description, task statements) and {meta['training']['sentences']} task statements labelled
  through their Generalized Work Activities; ratings from O*NET OnLine (release 24.2) joined through
  the O*NET-SOC 2010 -> 2019 crosswalk. Seed {meta['seed']}. Input hashes are in `meta.json`.
- **Estimator**: {meta['estimator']}
- **Customer groups**: rules `{meta['rules'].get('groups', 'none')}` (explicit mentions); groups a title
  implies are inferred from the task statements of the O*NET occupations it matches (`groups.pkl.gz`).
  {_confidence_line(meta)}{retrained}

## Bands
{bands}

## Evaluation
```
{figures}
```

## Limits
Trained on O*NET occupation descriptions, not on postings: company blurbs, benefits and legal text
in real postings can move the score. English only.

## Attribution
{ONET_ATTRIBUTION}
"""


def train(tables: Tables, inputs: dict[str, str], out_root: Path, name: str = DEFAULT_NAME,
          version: str | None = None, seed: int = SEED, group_labels: Sequence[LabelledPosting] = (),
          group_inputs: dict[str, str] | None = None) -> Path:
    """Fit on ``tables`` and write ``out_root/<name>-<version>/``; return the folder.

    ``group_labels`` (postings labelled with the groups they serve, such as the gold set's
    development half) fit the model's group confidence; ``group_inputs`` are their files' hashes.
    """
    version = version or next_version(out_root, name)
    if (out_root / f"{name}-{version}").exists():  # found now, not after the fit
        raise ModelError(Errors.E085.format(path=out_root / f"{name}-{version}"))
    estimator = fit(tables, seed)
    group_rules = GroupRules()
    inferrer = build_inferrer(tables.occupations, tables.sentences, group_rules)
    meta = {
        "name": name,
        "version": version,
        "seed": seed,
        "targets": list(TARGETS),
        "bands": dict(BANDS),
        "estimator": repr(estimator),
        "rules": {"sections": SectionRules().version, "signals": estimator.pattern_version_,
                  "groups": group_rules.version},
        "training": {"occupations": int(len(tables.occupations)), "sentences": int(len(tables.sentences)),
                     "inputs": {**inputs, **(group_inputs or {})}},
    }
    fitted = Fitted(estimator, inferrer, *fit_model_confidence(estimator, meta, inferrer, group_labels))
    meta.update(fitted.meta_fields())
    return save_model(fitted.parts(), out_root / f"{name}-{version}", meta, model_card(meta))


@dataclass(frozen=True)
class Fitted:
    """What a training run fits: the scorer, the group inferrer, the group confidence and its record
    (``None`` for both when the model weighs its groups by rule)."""

    estimator: Any
    inferrer: Any
    confidence: Any
    record: dict | None

    def meta_fields(self) -> dict[str, Any]:
        """What the model's metadata says of the fitted parts beyond the scorer."""
        return {"group_confidence": self.record} if self.record is not None else {}

    def parts(self) -> dict[str, Any]:
        """The fitted parts a model folder stores, each as its state (``store.save_model``)."""
        from servicelens.model.loaded import stored_parts

        return stored_parts(self.estimator, self.inferrer, self.confidence)
