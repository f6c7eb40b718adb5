"""Retrain with the user's labels: fit on the corpus and the labels, compare with the current model,
and make the new model active only if the comparison says it is no worse and better.

The new model learns from the corpus' development split (as every model does) and from the user's
labels, each counting ``label_weight`` times its own weight. The gate compares the new model with
the current one on the user's held-out labels (fitted without them, grouped by title) and on the
corpus' held-out part. The new model is always written to the user's registry (under a temporary
name, then renamed); the gate decides only whether it becomes the active one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from servicelens.errors import Errors, LabelError, ModelError
from servicelens.evaluation.corpus_eval import score_metrics
from servicelens.evaluation.groups import set_metrics
from servicelens.evaluation.run import record_metrics
from servicelens.evidence.groups import reported
from servicelens.files import read_jsonl
from servicelens.model.loaded import Model
from servicelens.model.registry import activate
from servicelens.model.store import checked_file, save_model, write_json
from servicelens.scale import SECOND_PART_WEIGHT, band, combine
from servicelens.training.corpus_data import TrainingData
from servicelens.training.labels import Label
from servicelens.training.train import DEFAULT_NAME, SEED, OnetKnowledge, fit_model, model_card, next_version

LABELS_FILE = "labels.jsonl"
COMPARISON_FILE = "comparison.json"
#: How much one of the user's labels counts beside one corpus posting (times its own ``weight``).
LABEL_WEIGHT = 3.0
FOLDS = 3


@dataclass(frozen=True)
class Tolerance:
    """How much worse than the current model the new one may be on the corpus' held-out part."""

    spearman: float = 0.01
    kappa: float = 0.02
    mae: float = 0.5
    f1: float = 0.02  # customer groups, micro F1


@dataclass(frozen=True)
class RetrainOptions:
    label_weight: float = LABEL_WEIGHT
    tolerance: Tolerance = field(default_factory=Tolerance)
    force: bool = False
    name: str = DEFAULT_NAME
    version: str | None = None
    seed: int = SEED
    folds: int = FOLDS


@dataclass(frozen=True)
class TrainedLabel:
    """A label with the three targets the scorer learns from it (None: a groups-only label).

    The user gives ``cs_score`` (or a band). The parts are the current model's, its larger part moved
    so that the scale's rule gives the user's score. They are fixed when the label is first used and
    kept with the model, so a later retrain learns the same.
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


def derive_targets(model: Model, labels: Sequence[Label]) -> list[TrainedLabel]:
    scored = [label for label in labels if label.target is not None]
    predicted = model.scores([model.prepare(label.text, label.title or None) for label in scored]) if scored else []
    targets = {}
    for label, (_, external, internal) in zip(scored, predicted):
        if external >= internal:  # the larger part moves so the parts combine to the label; the smaller stays
            external = float(np.clip(label.target - SECOND_PART_WEIGHT * internal, 0, 100))
        else:
            internal = float(np.clip(label.target - SECOND_PART_WEIGHT * external, 0, 100))
        targets[label.key] = (round(combine(external, internal), 2), float(external), float(internal))
    return [TrainedLabel(label, targets.get(label.key)) for label in labels]


def inherited_labels(model: Model) -> list[TrainedLabel]:
    """The labels the model was trained on (none for a model of the corpus alone)."""
    if model.path is None or LABELS_FILE not in model.meta.get("files", {}):
        return []
    return [TrainedLabel.from_dict(row) for row in read_jsonl(checked_file(model.path, model.meta, LABELS_FILE))]


def title_group(label: Label) -> str:
    """Labels with the same title are one group in every split (a title's postings are alike)."""
    return "label:" + (" ".join(label.title.lower().split()) or label.key)


def label_data(labels: Sequence[TrainedLabel], model: Model, weight: float) -> TrainingData:
    """The user's labels as training postings (read with the current model's rules)."""
    prepared = [model.prepare(t.label.text, t.label.title or None) for t in labels]
    targets = np.array([t.targets if t.targets is not None else (np.nan,) * 3 for t in labels], dtype=float).reshape(-1, 3)
    return TrainingData(
        keys=[t.label.key for t in labels], sources=["your labels"] * len(labels), titles=[p.title for p in prepared],
        texts=[t.label.text for t in labels], units=[p.scorer_units() for p in prepared], targets=targets,
        groups=np.array([title_group(t.label) for t in labels]),
        weights=np.array([weight * t.label.weight for t in labels], dtype=float),
        group_labels=[None if t.label.groups is None else frozenset(t.label.groups) for t in labels], prepared=prepared)


def predict_labels(model: Model, labels: Sequence[Label]) -> tuple[np.ndarray, list[set[str]]]:
    """cs_score and the named group ids of each labelled posting."""
    prepared = [model.prepare(label.text, label.title or None) for label in labels]
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
    grouped = [i for i, label in enumerate(labels) if label.groups is not None]
    if grouped:
        out["groups_f1"] = set_metrics((groups[i], set(labels[i].groups)) for i in grouped)["micro"]["f1"]
    return out


def corpus_figures(model: Model, heldout: TrainingData) -> dict:
    """The model on the corpus' held-out part: the score's figures and the groups' micro F1."""
    prepared = [model.prepare(text, title) for text, title in zip(heldout.texts, heldout.titles)]
    named = [{g.group for g in reported(found)} for found in model.groups_many(prepared)]
    return {**score_metrics(model.scores(prepared), heldout.targets),
            "groups_f1": set_metrics((n, set(e)) for n, e in zip(named, heldout.group_labels))["micro"]["f1"]}


def decide(current: dict, new: dict, tolerance: Tolerance) -> tuple[list[str], list[str], list[str]]:
    """(corpus held-out failures, user-label improvements, user-label regressions), as sentences."""
    failures = []
    cur, cand = current["corpus_heldout"], new["corpus_heldout"]
    for key, allowed, higher in (("spearman", tolerance.spearman, True), ("band_kappa", tolerance.kappa, True),
                                 ("mae", tolerance.mae, False), ("groups_f1", tolerance.f1, True)):
        worse = cur[key] - cand[key] if higher else cand[key] - cur[key]
        if worse > allowed:
            failures.append(f"corpus held-out {key.replace('_', ' ')} {cand[key]:g} vs {cur[key]:g} (allowed {allowed:g})")
    better, worse = [], []
    for key, higher in (("score_error", False), ("groups_f1", True)):
        a, b = current["user_heldout"].get(key), new["user_heldout"].get(key)
        if a is None or b is None:
            continue
        gain = (b - a) if higher else (a - b)
        said = f"{key.replace('_', ' ')} on your held-out labels {a:g} -> {b:g}"
        if gain > 1e-9:
            better.append(said)
        elif gain < -1e-9:
            worse.append(said)
    return failures, better, worse


def retrain(dev: TrainingData, heldout: TrainingData, knowledge: OnetKnowledge, inputs: dict[str, str],
            labels: Sequence[Label], label_files: dict[str, str], registry: Path, current_folder: Path,
            options: RetrainOptions = RetrainOptions(), log: Callable[[str], None] = lambda line: None) -> RetrainResult:
    """Fit a model on the corpus + the current model's labels + ``labels``, save it, gate it, maybe activate it."""
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
    meta = {"name": options.name, "version": version, "seed": options.seed, "parent": current.version,
            **{k: current.meta[k] for k in ("scale", "targets", "bands", "estimator") if k in current.meta}}

    def fit(trained: Sequence[TrainedLabel]):
        return fit_model(dev.plus(label_data(trained, current, options.label_weight)), knowledge, meta,
                         options.seed).model(meta)

    keys = np.array([title_group(t.label) for t in new_labels])
    titles = len(set(keys))
    splits, method = [], "none (all new labels share one title, so none can be held out)"
    if titles >= 2:
        from sklearn.model_selection import GroupKFold

        k = min(options.folds, titles)
        splits = list(GroupKFold(k).split(keys, groups=keys))
        method = f"{k}-fold cross-validation, grouped by title"
    user_scores, user_groups = np.zeros(len(new_labels)), [set() for _ in new_labels]
    for n, (train, test) in enumerate(splits, 1):
        log(f"fitting without held-out fold {n} of {len(splits)} of your labels ...")
        scores, groups = predict_labels(fit(carried + [new_labels[i] for i in train]), [new_labels[i].label for i in test])
        user_scores[test] = scores
        for i, g in zip(test, groups):
            user_groups[i] = g
    held_out = sorted({int(i) for _, test in splits for i in test})
    held_labels = [new_labels[i].label for i in held_out]
    log("fitting the new model on the corpus and all your labels ...")
    recipe = carried + new_labels
    fitted = fit_model(dev.plus(label_data(recipe, current, options.label_weight)), knowledge, meta, options.seed)
    meta.update(rules=fitted.rules, training={"postings": len(dev), "inputs": {**inputs, **knowledge.inputs}},
                labels={"files": label_files, "postings": len(recipe), "weight": options.label_weight})
    folder = save_model(fitted.parts(), registry / f"{options.name}-{version}", meta, model_card(meta),
                        texts={LABELS_FILE: "".join(t.to_json() + "\n" for t in recipe)})
    log(f"model written to {folder}; comparing it with {current.version} ...")
    new_model = Model(folder)
    current_figures = {"model": current.version, "corpus_heldout": corpus_figures(current, heldout),
                       "user_heldout": label_metrics(held_labels, *predict_labels(current, held_labels))}
    new_figures = {"model": new_model.version, "corpus_heldout": corpus_figures(new_model, heldout),
                   "user_heldout": label_metrics(held_labels, user_scores[held_out], [user_groups[i] for i in held_out])}
    failures, better, worse = decide(current_figures, new_figures, options.tolerance)
    passed = not failures and bool(better) and not worse
    reason = _reason(failures, better, worse, splits)
    activated = passed or options.force
    comparison = {"current": current_figures, "new": new_figures,
                  "user": {"labels": len(new_labels), "inherited": len(carried), "method": method, "held_out": len(held_out)},
                  "tolerance": vars(options.tolerance),
                  "gate": {"passed": passed, "activated": activated, "forced": options.force and not passed,
                           "reason": reason, "failures": failures, "better": better, "worse": worse}}
    write_json(folder / COMPARISON_FILE, comparison)
    record_metrics(folder, new_figures, gate=comparison["gate"])
    if activated:
        activate(folder, ("forced past the gate: " if comparison["gate"]["forced"] else "passed the gate: ") + reason,
                 registry)
    return RetrainResult(folder, comparison, activated)


def _reason(failures: list[str], better: list[str], worse: list[str], splits: list) -> str:
    if failures:
        return "worse on the corpus' held-out postings: " + "; ".join(failures)
    if worse:
        return "worse on your held-out labels: " + "; ".join(worse)
    if not splits:
        return ("none of your labels could be held out to show the new model is better: that needs new labels "
                "(not ones the current model was trained on) of at least two titles")
    if not better:
        return "not better on your held-out labels"
    return "no worse on the corpus' held-out postings; better on your held-out labels: " + "; ".join(better)


def format_comparison(comparison: dict) -> list[str]:
    cur, new = comparison["current"], comparison["new"]
    lines = [f"Comparison: current {cur['model']} vs new {new['model']}", f"  {'':44}{'current':>10}{'new':>10}"]

    def row(name: str, a: Any, b: Any) -> None:
        cell = lambda v: f"{v:>10.3f}" if isinstance(v, float) else f"{v!s:>10}"
        lines.append(f"  {name:44}{cell(a)}{cell(b)}")

    for key in ("spearman", "band_kappa", "mae", "groups_f1"):
        row(f"corpus held-out {key.replace('_', ' ')}", float(cur["corpus_heldout"][key]), float(new["corpus_heldout"][key]))
    user = comparison["user"]
    lines.append(f"  your labels: {user['labels']} new ({user['method']})")
    for key in ("score_error", "band_accuracy", "groups_f1"):
        if key in cur["user_heldout"] and key in new["user_heldout"]:
            row(f"your held-out labels: {key.replace('_', ' ')}", float(cur["user_heldout"][key]), float(new["user_heldout"][key]))
    gate = comparison["gate"]
    lines.append(f"Gate: {'ACTIVE' if gate['activated'] else 'NOT ACTIVATED'}{' (forced)' if gate['forced'] else ''}: {gate['reason']}")
    return lines
