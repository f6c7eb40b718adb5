"""Train a model on the labelled corpus and write its folder with metadata and a card.

The scorer learns the scale (``docs/scale.md``) from real postings labelled against it: the
corpus' development split, plus a user's labels when retraining. O*NET enters as knowledge, not as
targets: the sentence model reads O*NET task statements for the signal categories, and the
occupations a title matches give the scorer their O*NET ratings (the prior) and the user the
O*NET reference.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from servicelens import __version__
from servicelens.datasets import onet
from servicelens.errors import Errors, ModelError
from servicelens.evidence.group_inference import build_inferrer
from servicelens.evidence.signals import DEFAULT_PATTERNS
from servicelens.evidence.groups import DEFAULT_GROUPS, GroupRules
from servicelens.model.occupations import OccupationMatcher, build_matcher
from servicelens.model.scorer import TARGETS, PostingScorer
from servicelens.model.store import ONET_ATTRIBUTION, save_model
from servicelens.paths import resource
from servicelens.reading.sections import DEFAULT_RULES, SectionRules
from servicelens.scale import BAND_LOW, BANDS, SCALE_VERSION
from servicelens.training.corpus_data import TrainingData
from servicelens.evidence.group_model import GroupModel

SEED = 13
DEFAULT_NAME = "servicelens"
#: Chosen by 5-fold cross-validation grouped by occupation family on the corpus' development split
#: (docs/model.md): word unigrams beat 1-2-grams, ridge alphas 0.5; the O*NET prior, non-negative
#: final weights and a stretch to the targets' spread are kept for what they add there.
SCORER_PARAMS = dict(text_alpha=0.5, title_alpha=0.5, text_ngrams=1, modality=True, onet_prior=True,
                     positive=True, stretch=True)
# A new model reads with the newest rules (the readers' defaults); it records their versions.
SECTION_RULES = DEFAULT_RULES.removesuffix(".json")
SIGNAL_PATTERNS = DEFAULT_PATTERNS.removesuffix(".json")
GROUP_RULES = DEFAULT_GROUPS.removesuffix(".json")


@dataclass(frozen=True)
class OnetKnowledge:
    """What the model takes from O*NET: task statements, occupations, the title matcher."""

    occupations: pd.DataFrame
    sentences: pd.DataFrame
    matcher: OccupationMatcher
    inputs: dict[str, str]  # file -> sha256


def onet_knowledge(onet_dir: Path, ratings_dir: Path) -> OnetKnowledge:
    """Read O*NET 29.0 and the ratings folder (a second or two) into what training needs."""
    from servicelens.files import sha256_file

    tables = onet.build_tables(Path(onet_dir), Path(ratings_dir))
    ratings = onet.load_prior_ratings(Path(ratings_dir))
    files = onet.input_files(Path(onet_dir), Path(ratings_dir)) + onet.rating_files(Path(ratings_dir))
    inputs = {f"{p.parent.name}/{p.name}": sha256_file(p) for p in dict.fromkeys(files)}
    return OnetKnowledge(tables.occupations, tables.sentences, build_matcher(tables.occupations, ratings), inputs)


def section_rules() -> SectionRules:
    return SectionRules(resource(SECTION_RULES + ".json"))


def scorer(**overrides) -> PostingScorer:
    return PostingScorer(**{**SCORER_PARAMS, "patterns": SIGNAL_PATTERNS, **overrides})


def fit_scorer(data: TrainingData, knowledge: OnetKnowledge, seed: int = SEED, **overrides) -> PostingScorer:
    """The scorer fitted on ``data`` (cross-validation inside groups postings by family)."""
    random.seed(seed)
    np.random.seed(seed)
    weights = None if np.all(data.weights == 1) else data.weights
    return scorer(**overrides).fit(data.units, data.targets, groups=data.groups, sentences=knowledge.sentences,
                                   sample_weight=weights, occupations=knowledge.matcher)


def next_version(models_dir: Path, name: str) -> str:
    """``MAJOR.MINOR.N``: the package's major.minor and one more than the models already there or
    shipped (a model's name says which one it is wherever it is found)."""
    from servicelens.model.registry import shipped_dir

    base = ".".join(__version__.split(".")[:2])
    pattern = re.compile(rf"^{re.escape(name)}-{re.escape(base)}\.(\d+)$")
    taken = [int(m.group(1)) for root in (models_dir, shipped_dir()) for p in root.glob(f"{name}-*")
             if (m := pattern.match(p.name))]
    return f"{base}.{max(taken, default=-1) + 1}"


@dataclass(frozen=True)
class Fitted:
    """What a training run fits: the scorer, the O*NET group inferrer and the learned group model, and
    the versions of the rules they were fitted with (a model's ``meta["rules"]``)."""

    estimator: PostingScorer
    inferrer: Any
    group_model: GroupModel
    rules: dict[str, str]

    def model(self, meta: dict):
        from servicelens.model.loaded import Model

        return Model.from_parts(self.estimator, {**meta, "rules": self.rules}, self.inferrer,
                                group_model=self.group_model)

    def parts(self) -> dict[str, Any]:
        """The fitted parts a model folder stores, each as its state (``store.save_model``)."""
        from servicelens.model.loaded import stored_parts

        return stored_parts(self.estimator, self.inferrer, group_model=self.group_model)


def fit_model(data: TrainingData, knowledge: OnetKnowledge, meta: dict, seed: int = SEED) -> Fitted:
    """The scorer and the customer-group parts of a new model, on ``data`` (a posting without a score
    teaches only the groups; one without groups only the score)."""
    from servicelens.evidence.groups import FEATURES, candidate_features, read_posting
    from servicelens.model.loaded import Model

    scored = ~np.isnan(data.targets).any(axis=1)  # a user's groups-only labels teach the groups alone
    estimator = fit_scorer(data.subset(np.flatnonzero(scored)), knowledge, seed)
    data = data.subset([i for i, g in enumerate(data.group_labels) if g is not None])
    group_rules = GroupRules(resource(GROUP_RULES + ".json"))
    inferrer = build_inferrer(knowledge.occupations, knowledge.sentences, group_rules)
    rules = {"sections": SECTION_RULES, "signals": estimator.pattern_version_, "groups": group_rules.version}
    reader = Model.from_parts(estimator, {**meta, "rules": rules}, inferrer)
    ids = list(group_rules.groups)
    tensor = np.zeros((len(data), len(ids), len(FEATURES)))
    for i, (posting, implied) in enumerate(zip(data.prepared, reader.inferred_confidences(data.prepared))):
        _, texts, sections, found = read_posting(posting, group_rules, estimator.patterns_)
        for g, row in zip(*candidate_features(found, texts, sections, implied, group_rules)):
            tensor[i, ids.index(g)] = row[:len(FEATURES)]
    served = np.array([[g in labelled for g in ids] for labelled in data.group_labels], dtype=int)
    group_model = GroupModel().fit(ids, tensor, estimator.text_matrix(data.units),
                                   estimator.title_model_.tfidf.transform(data.titles), served, data.groups)
    return Fitted(estimator, inferrer, group_model, rules)


def train(data: TrainingData, knowledge: OnetKnowledge, inputs: dict[str, str], out_root: Path,
          name: str = DEFAULT_NAME, version: str | None = None, seed: int = SEED) -> Path:
    """Fit on ``data`` (the corpus' development split) and write ``out_root/<name>-<version>/``."""
    version = version or next_version(out_root, name)
    if (out_root / f"{name}-{version}").exists():  # found now, not after the fit
        raise ModelError(Errors.E085.format(path=out_root / f"{name}-{version}"))
    meta = {
        "name": name, "version": version, "seed": seed, "scale": SCALE_VERSION, "targets": list(TARGETS),
        "bands": dict(BAND_LOW),
        "estimator": {"class": "PostingScorer", **SCORER_PARAMS},
        "training": {"postings": len(data), "by_source": {s: int(n) for s, n in pd.Series(data.sources).value_counts().items()},
                     "inputs": {**inputs, **knowledge.inputs}},
    }
    fitted = fit_model(data, knowledge, meta, seed)
    meta["rules"] = fitted.rules
    return save_model(fitted.parts(), out_root / f"{name}-{version}", meta, model_card(meta))


def model_card(meta: dict) -> str:
    metrics = meta.get("metrics")
    figures = "Not evaluated yet: run `servicelens evaluate`."
    if metrics:
        from servicelens.evaluation.report import format_metrics  # the card quotes the figures in the same layout

        figures = "\n".join(format_metrics(metrics))
    bands = "\n".join(f"- **{name}** (from {low:g}): {meaning}" for low, _, name, meaning in BANDS)
    training = meta["training"]
    by_source = dict(training.get("by_source", {}))
    gold = by_source.pop("gold", 0)
    sources = ", ".join(f"{n} {s}" for s, n in by_source.items())
    gold_line = (f" The customer groups also learn from the gold set's {gold} composed development postings\n"
                 "  (`data/labeled/gold_groups.jsonl`), which have groups and no score.") if gold else ""
    labels = meta.get("labels")
    retrained = "" if not labels else f"""
- **Your labels**: {labels['postings']} labelled postings, each weighted {labels['weight']:g} x its own weight,
  beside the corpus; trained from {meta.get('parent', '?')}. Label files and their sha256:
  {', '.join(f'`{Path(f).name}` {h[:12]}' for f, h in labels['files'].items()) or 'inherited only'}; the
  labels themselves are in `labels.jsonl`.
- **Gate**: {'activated' if meta.get('gate', {}).get('activated') else 'not activated'}: {meta.get('gate', {}).get('reason', 'not evaluated')}"""
    return f"""# {meta['name']} {meta['version']}

How much of a job is serving people, 0-100, on [scale {meta.get('scale', SCALE_VERSION)}](../../docs/scale.md): an
external part (customers, patients, students, the public ...) and an internal part (colleagues, other
teams, management), combined as the larger part plus a fifth of the smaller; and who the job serves.

- **Training data**: {training['postings'] - gold} real postings of the labelled corpus' development split
  ({sources}), labelled against the scale by helper annotators (`data/labeled/postings_labels.jsonl`,
  `docs/corpus.md`).{gold_line} O*NET 29.0 task statements train the signal categories; O*NET occupations
  and their ratings (O*NET OnLine 24.2) give the title's prior and the O*NET reference. Seed
  {meta['seed']}; input hashes in `meta.json`.
- **Estimator**: {meta['estimator']}
- **Rules**: sections `{meta['rules'].get('sections')}`, signals `{meta['rules'].get('signals')}`, groups
  `{meta['rules'].get('groups')}`.{retrained}

## Bands
{bands}

## Evaluation
```
{figures}
```

## Limits
English postings; judged against labels made by language-model annotators following a written
scale, not by people. Food service, farming and hospitality are thin in the corpus.

## Attribution
{ONET_ATTRIBUTION}
"""
