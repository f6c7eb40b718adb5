"""Retrain with the user's labels: merge them with the O*NET base, fit, compare with the current
model, and make the new model active only if the comparison says it is no worse and better.

The new model is always written to the registry (under a temporary name, then renamed); the
gate decides only whether it becomes the active one. Every fit of a run (the new model, the
cross-validation folds of both recipes) runs in parallel on the machine's cores.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.model_selection import GroupKFold, GroupShuffleSplit

from servicelens.bands import band
from servicelens.evaluation.scores import N_FOLDS, out_of_fold, run_parallel, target_metrics
from servicelens.evaluation.groups import set_metrics
from servicelens.evaluation.run import gold_sets, record_metrics
from servicelens.files import read_jsonl
from servicelens.training.fit_groups import LabelledPosting, fit_model_confidence, group_training
from servicelens.evidence.group_inference import build_inferrer
from servicelens.evidence.groups import reported
from servicelens.errors import Errors, LabelError, ModelError
from servicelens.training.labels import Label
from servicelens.model.store import checked_file, save_model, write_json
from servicelens.datasets.onet import Tables
from servicelens.model.loaded import Model
from servicelens.model.registry import activate
from servicelens.model.scorer import TARGETS
from servicelens.training.train import DEFAULT_NAME, SEED, Fitted, TrainingSet, model_card, next_version, training_set

LABELS_FILE = "labels.jsonl"
COMPARISON_FILE = "comparison.json"
#: How much one user label counts beside one O*NET occupation (times its own ``weight``).
LABEL_WEIGHT = 5.0
#: With labels of at least this many distinct titles, one grouped 20 % hold-out replaces cross-validation.
HOLDOUT_TITLES = 100


@dataclass(frozen=True)
class Tolerance:
    """How much worse than the current model the new one may be on the frozen benchmarks."""

    spearman: float = 0.01  # O*NET held-out rank correlation, per target
    mae: float = 0.5  # O*NET held-out mean absolute error (points), per target
    f1: float = 0.02  # gold customer groups (each half) and the signals challenge set, micro F1


@dataclass(frozen=True)
class RetrainOptions:
    label_weight: float = LABEL_WEIGHT
    tolerance: Tolerance = field(default_factory=Tolerance)
    force: bool = False
    name: str = DEFAULT_NAME
    version: str | None = None
    seed: int = SEED
    n_jobs: int | None = None


@dataclass(frozen=True)
class TrainedLabel:
    """A label with the three targets the scorer learns from it (None: a groups-only label).

    The user gives ``cs_score`` (or a band); the external and internal parts are the current
    model's, the external one moved by as much as the user moved ``cs_score``. They are fixed
    when the label is first used and kept with the model, so a later retrain learns the same.
    """

    label: Label
    targets: tuple[float, float, float] | None

    def to_json(self) -> str:
        return json.dumps({**self.label.to_dict(), "targets": self.targets}, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> TrainedLabel:
        targets = data.get("targets")
        return cls(Label.from_dict(data), None if targets is None else tuple(targets))


@dataclass
class RetrainResult:
    folder: Path
    comparison: dict
    activated: bool


# -- the user's labels as training data ----------------------------------------------------------
def prepare_label(model: Model, label: Label):
    return model.prepare(label.text, label.title or None)


def derive_targets(model: Model, labels: Sequence[Label]) -> list[TrainedLabel]:
    scored = [label for label in labels if label.target is not None]
    predicted = model.scores([prepare_label(model, label) for label in scored]) if scored else []
    targets = {}
    for label, (cs, external, internal) in zip(scored, predicted):
        targets[label.key] = (label.target, float(np.clip(external + label.target - cs, 0, 100)), float(internal))
    return [TrainedLabel(label, targets.get(label.key)) for label in labels]


def inherited_labels(model: Model) -> list[TrainedLabel]:
    """The labels the model was trained on (none for a model trained on O*NET alone)."""
    if model.path is None or LABELS_FILE not in model.meta.get("files", {}):
        return []
    return [TrainedLabel.from_dict(row) for row in read_jsonl(checked_file(model.path, model.meta, LABELS_FILE))]


def title_group(label: Label) -> str:
    """Labels with the same title are one group in every split (a title's postings are alike)."""
    return "label:" + (" ".join(label.title.lower().split()) or label.key)


def label_set(labels: Sequence[TrainedLabel], model: Model, weight: float) -> TrainingSet:
    rows = [t for t in labels if t.targets is not None]
    return TrainingSet([t.label.text for t in rows],
                       [prepare_label(model, t.label).scorer_units() for t in rows],
                       np.array([t.targets for t in rows], dtype=float).reshape(len(rows), len(TARGETS)),
                       np.array([title_group(t.label) for t in rows], dtype=object),
                       np.array([title_group(t.label) for t in rows], dtype=object),
                       [[] for _ in rows], np.array([weight * t.label.weight for t in rows], dtype=float))


@dataclass(frozen=True)
class Recipe:
    """What a model is fitted on: the O*NET base and the user's labels."""

    tables: Tables
    base: TrainingSet
    labels: tuple[TrainedLabel, ...]
    meta: dict  # the current model's: its rules prepare postings and find groups
    weight: float
    seed: int
    group_labels: tuple[LabelledPosting, ...] = ()  # what the group confidence is fitted on (none: by rule)

    def fit(self, base_index: np.ndarray | None = None, labels: Sequence[TrainedLabel] | None = None,
            groups: bool = True, figures: bool = False) -> Fitted:
        """The scorer, and unless ``groups`` is false the group inferrer and the group confidence
        (with its leave-one-out ``figures`` if asked), on the base rows in ``base_index`` and ``labels``."""
        labels = self.labels if labels is None else labels
        rules = Model.from_parts(None, self.meta)  # (rules hold compiled patterns: built here, not shipped)
        base = self.base if base_index is None else self.base.subset(base_index)
        data = base.plus(label_set(labels, rules, self.weight))
        estimator = data.fit(self.tables.sentences, self.seed)
        if not groups:
            return Fitted(estimator, None, None, None)
        entries = [(t.label.title, t.label.groups, self.weight * t.label.weight) for t in labels
                   if t.label.groups is not None]
        occupations = self.tables.occupations.iloc[base_index] if base_index is not None else self.tables.occupations
        inferrer = build_inferrer(occupations, self.tables.sentences, rules.group_rules, entries)
        confidence, record = fit_model_confidence(estimator, self.meta, inferrer, self.group_labels, figures)
        return Fitted(estimator, inferrer, confidence, record)

    def onet_fold(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        estimator = self.fit(train, groups=False).estimator
        return estimator.predict([self.base.units[i] for i in test])

    def label_fold(self, train: Sequence[TrainedLabel], test: Sequence[TrainedLabel]) -> tuple[np.ndarray, list]:
        fitted = self.fit(None, list(train))
        candidate = Model.from_parts(fitted.estimator, {**self.meta, **fitted.meta_fields()}, fitted.inferrer,
                                     fitted.confidence)
        return predict_labels(candidate, [t.label for t in test])


def predict_labels(model: Model, labels: Sequence[Label]) -> tuple[np.ndarray, list[set[str]]]:
    """cs_score and the named group ids of each labelled posting."""
    prepared = [prepare_label(model, label) for label in labels]
    if not prepared:
        return np.zeros(0), []
    groups = [{g.group for g in reported(found)} for found in model.groups_many(prepared)]
    return model.scores(prepared)[:, 0], groups


def label_metrics(labels: Sequence[Label], scores: np.ndarray, groups: Sequence[set[str]]) -> dict:
    """How close predictions are to the user's labels: score error (points; to the band for band
    labels), band accuracy, and micro F1 of the named groups."""
    out: dict[str, Any] = {"postings": len(labels)}
    scored = [i for i, label in enumerate(labels) if label.target is not None]
    if scored:
        out["score_error"] = round(float(np.mean([labels[i].score_error(scores[i]) for i in scored])), 2)
        out["band_accuracy"] = round(float(np.mean([band(scores[i]) == (labels[i].band or band(labels[i].score))
                                                    for i in scored])), 3)
        out["scored"] = len(scored)
    grouped = [i for i, label in enumerate(labels) if label.groups is not None]
    if grouped:
        out["groups_f1"] = set_metrics((groups[i], set(labels[i].groups)) for i in grouped)["micro"]["f1"]
        out["grouped"] = len(grouped)
    return out


def label_splits(labels: Sequence[Label], seed: int) -> tuple[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Held-out splits of the user's labels, grouped by title: k-fold when there are few titles."""
    keys = np.array([title_group(label) for label in labels], dtype=object)
    titles = len(set(keys))
    if titles < 2:
        return "none (all labels share one title, so none can be held out)", []
    if titles >= HOLDOUT_TITLES:
        split = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
        return "one 20% hold-out, grouped by title", list(split.split(keys, groups=keys))
    k = min(N_FOLDS, titles)
    return f"{k}-fold cross-validation, grouped by title", list(GroupKFold(k).split(keys, groups=keys))


# -- the gate ------------------------------------------------------------------------------------------
def decide(current: dict, new: dict, tolerance: Tolerance) -> tuple[list[str], list[str], list[str]]:
    """(frozen-benchmark failures, user-label improvements, user-label regressions), as sentences."""
    failures = []
    for target in TARGETS:
        cur, cand = current["onet_heldout"][target], new["onet_heldout"][target]
        if cand["spearman"] < cur["spearman"] - tolerance.spearman:
            failures.append(f"O*NET held-out {target} Spearman {cand['spearman']:.3f} < {cur['spearman']:.3f} "
                            f"- {tolerance.spearman}")
        if cand["mae"] > cur["mae"] + tolerance.mae:
            failures.append(f"O*NET held-out {target} MAE {cand['mae']:.2f} > {cur['mae']:.2f} + {tolerance.mae}")
    for name, cur, cand in _f1_pairs(current, new):
        if cand < cur - tolerance.f1:
            failures.append(f"{name} F1 {cand:.3f} < {cur:.3f} - {tolerance.f1}")
    better, worse = [], []
    cur_user, new_user = current["user_heldout"], new["user_heldout"]
    for key, higher_is_better in (("score_error", False), ("groups_f1", True)):
        if key not in cur_user or key not in new_user:
            continue
        delta = new_user[key] - cur_user[key]
        gain = delta if higher_is_better else -delta
        said = f"{key.replace('_', ' ')} on your held-out labels {cur_user[key]:g} -> {new_user[key]:g}"
        if gain > 1e-9:
            better.append(said)
        elif gain < -1e-9:
            worse.append(said)
    return failures, better, worse


def _f1_pairs(current: dict, new: dict) -> list[tuple[str, float, float]]:
    pairs = [(f"gold customer groups ({split})", block["micro"]["f1"], new["groups_gold"][split]["micro"]["f1"])
             for split, block in current.get("groups_gold", {}).items() if split in new.get("groups_gold", {})]
    if "signals_challenge" in current and "signals_challenge" in new:
        pairs.append(("signals challenge set", *(m["signals_challenge"]["categories"]["micro"]["f1"]
                                                 for m in (current, new))))
    return pairs


def format_comparison(comparison: dict) -> list[str]:
    cur, new = comparison["current"], comparison["new"]
    lines = [f"Comparison: current {cur['model']} vs new {new['model']}",
             f"  {'':44}{'current':>10}{'new':>10}"]

    def row(name: str, a: Any, b: Any) -> None:
        cell = lambda v: f"{v:>10.3f}" if isinstance(v, float) else f"{v!s:>10}"
        lines.append(f"  {name:44}{cell(a)}{cell(b)}")

    for target in TARGETS:
        for stat in ("spearman", "mae"):
            row(f"O*NET held-out {target} {stat}", cur["onet_heldout"][target][stat],
                new["onet_heldout"][target][stat])
    for name, a, b in _f1_pairs(cur, new):
        row(f"{name} F1", a, b)
    user = comparison["user"]
    lines.append(f"  your labels: {user['labels']} new ({user['method']})")
    for key in ("score_error", "band_accuracy", "groups_f1"):
        if key in cur["user_heldout"] and key in new["user_heldout"]:
            row(f"your held-out labels: {key.replace('_', ' ')}", float(cur["user_heldout"][key]),
                float(new["user_heldout"][key]))
    gate = comparison["gate"]
    verdict = "ACTIVE" if gate["activated"] else "NOT ACTIVATED"
    lines.append(f"Gate: {verdict}{' (forced)' if gate['forced'] else ''}: {gate['reason']}")
    return lines


# -- the run ---------------------------------------------------------------------------------------
def retrain(tables: Tables, inputs: dict[str, str], labels: Sequence[Label], label_files: dict[str, str],
            registry: Path, current_folder: Path, labeled_dir: Path, options: RetrainOptions = RetrainOptions(),
            log: Callable[[str], None] = lambda line: None) -> RetrainResult:
    """Fit a model on O*NET + the current model's labels + ``labels``, save it, gate it, maybe activate it."""
    if not options.label_weight > 0:
        raise LabelError(Errors.E053.format(option="label-weight", minimum=0.001, value=options.label_weight))
    version = options.version or next_version(registry, options.name)
    if (registry / f"{options.name}-{version}").exists():  # found now, not after minutes of fitting
        raise ModelError(Errors.E085.format(path=registry / f"{options.name}-{version}"))
    current = Model(current_folder)
    inherited = {t.label.key: t for t in inherited_labels(current)}
    # A label given again with the same target keeps the targets it was first trained with; the
    # current model trained on it, so it cannot be held out to judge the new one.
    known = [TrainedLabel(label, inherited[label.key].targets) for label in labels
             if label.key in inherited and inherited[label.key].label.target == label.target]
    known_keys = {t.label.key for t in known}
    new_labels = derive_targets(current, [label for label in labels if label.key not in known_keys])
    given = {label.key for label in labels}
    carried = [t for key, t in inherited.items() if key not in given] + known  # a new label replaces an old one
    base = training_set(tables.occupations, current.section_rules)
    # The group confidence is refitted beside the new inferrer, on what the current model's was fitted on.
    group_labels, group_inputs = group_training(labeled_dir, required=True) if current.confidence is not None \
        else ([], {})
    inputs = {**inputs, **group_inputs}
    recipe = Recipe(tables, base, tuple(carried + new_labels), current.meta, options.label_weight, options.seed,
                    tuple(group_labels))
    current_recipe = replace(recipe, labels=tuple(inherited.values()))
    method, splits = label_splits([t.label for t in new_labels], options.seed)

    onet_folds = list(GroupKFold(N_FOLDS).split(base.units, base.targets, base.groups))
    tasks: list[Callable[[], Any]] = [lambda: recipe.fit(figures=True)]
    tasks += [_call(r.onet_fold, train, test) for r in (current_recipe, recipe) for train, test in onet_folds]
    tasks += [_call(recipe.label_fold, carried + [new_labels[i] for i in train], [new_labels[i] for i in test])
              for train, test in splits]
    log(f"fitting {len(tasks)} models (the new one, {2 * len(onet_folds)} O*NET folds, "
        f"{len(splits)} folds of your labels) ...")
    results = run_parallel(tasks, options.n_jobs)
    fitted: Fitted = results[0]
    onet = [target_metrics(out_of_fold(onet_folds, results[1 + k * len(onet_folds):1 + (k + 1) * len(onet_folds)],
                                       base.targets), base.targets) for k in range(2)]

    user_scores, user_groups = np.zeros(len(new_labels)), [set() for _ in new_labels]
    for (_, test), (scores, groups) in zip(splits, results[1 + 2 * len(onet_folds):]):
        user_scores[test] = scores
        for i, g in zip(test, groups):
            user_groups[i] = g
    held_out = sorted({int(i) for _, test in splits for i in test})
    held_labels = [new_labels[i].label for i in held_out]

    meta = _meta(current, fitted, options, version, tables, inputs, recipe, label_files)
    folder = save_model(fitted.parts(), registry / f"{options.name}-{version}", meta, model_card(meta),
                        texts={LABELS_FILE: "".join(t.to_json() + "\n" for t in recipe.labels)})
    log(f"model written to {folder}; comparing it with {current.version} ...")
    new_model = Model(folder)
    current_figures = {"model": current.version, "onet_heldout": onet[0], **gold_sets(current, labeled_dir),
                       "user_heldout": label_metrics(held_labels, *predict_labels(current, held_labels))}
    new_figures = {"model": new_model.version, "onet_heldout": onet[1], **gold_sets(new_model, labeled_dir),
                   "user_heldout": label_metrics(held_labels, user_scores[held_out],
                                                 [user_groups[i] for i in held_out])}
    failures, better, worse = decide(current_figures, new_figures, options.tolerance)
    passed = not failures and bool(better) and not worse
    reason = _reason(failures, better, worse, splits)
    activated = passed or options.force
    comparison = {"current": current_figures, "new": new_figures,
                  "user": {"labels": len(new_labels), "inherited": len(carried), "method": method,
                           "held_out": len(held_out)},
                  "tolerance": vars(options.tolerance),
                  "gate": {"passed": passed, "activated": activated, "forced": options.force and not passed,
                           "reason": reason, "failures": failures, "better": better, "worse": worse}}
    _record(folder, comparison, new_figures)
    if activated:
        activate(folder, ("forced past the gate: " if comparison["gate"]["forced"] else "passed the gate: ") + reason,
                 registry)
    return RetrainResult(folder, comparison, activated)


def _call(function: Callable, *args) -> Callable[[], Any]:
    return lambda: function(*args)


def _reason(failures: list[str], better: list[str], worse: list[str], splits: list) -> str:
    if failures:
        return "worse on the frozen benchmarks: " + "; ".join(failures)
    if worse:
        return "worse on your held-out labels: " + "; ".join(worse)
    if not splits:
        return ("none of your labels could be held out to show the new model is better: that needs new labels "
                "(not ones the current model was trained on) of at least two titles")
    if not better:
        return "not better on your held-out labels"
    return "no worse on the frozen benchmarks; better on your held-out labels: " + "; ".join(better)


def _meta(current: Model, fitted: Fitted, options: RetrainOptions, version: str, tables: Tables,
          inputs: dict[str, str], recipe: Recipe, label_files: dict[str, str]) -> dict:
    return {
        "name": options.name,
        "version": version,
        "seed": options.seed,
        "targets": list(TARGETS),
        "bands": current.meta.get("bands"),
        "estimator": repr(fitted.estimator),
        "rules": current.meta.get("rules"),
        "parent": current.version,
        "training": {"occupations": int(len(tables.occupations)), "sentences": int(len(tables.sentences)),
                     "inputs": inputs},
        "labels": {"files": label_files, "postings": len(recipe.labels),
                   "scored": sum(t.targets is not None for t in recipe.labels),
                   "grouped": sum(t.label.groups is not None for t in recipe.labels),
                   "weight": options.label_weight},
        **fitted.meta_fields(),
    }


def _record(folder: Path, comparison: dict, figures: dict) -> None:
    """Save the comparison beside the model, and its figures in the metadata and the card."""
    write_json(folder / COMPARISON_FILE, comparison)
    record_metrics(folder, figures, gate=comparison["gate"])
