"""Run the full evaluation of a model folder and save ``metrics.json`` beside it.

Everything is measured on postings the model never saw: the corpus' held-out split (score, parts,
groups, by source, leave-one-source-out), the composed gold set, O*NET's own titles for the
title -> occupation match, and the lines and statements labelled on real postings for the reading.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from servicelens.datasets.corpus import CORPUS_FILE, read_corpus, read_sources
from servicelens.errors import DataError, Errors
from servicelens.evaluation import corpus_eval
from servicelens.evaluation.mentions import MENTIONS_FILE, labelled_texts, mention_report, read_mention_labels
from servicelens.evaluation.groups import GOLD_FILE, corpus_groups_report, gold_report, keyword_groups, named_groups
from servicelens.evaluation.reading_eval import SECTIONS_FILE, STATEMENTS_FILE, sections_report, statements_report
from servicelens.evaluation.signals import CHALLENGE_FILE, challenge_set
from servicelens.evidence.groups import REPORT_THRESHOLD
from servicelens.files import read_jsonl, write_text_atomic
from servicelens.model.loaded import Model, load_model
from servicelens.model.store import CARD_FILE, META_FILE, read_meta, write_json
from servicelens.paths import labeled_file
from servicelens.training.corpus_data import TrainingData, corpus_data
from servicelens.training.train import model_card

METRICS_FILE = "metrics.json"
LEGACY_MODEL = "servicelens-0.1.7"


@dataclass(frozen=True)
class Sources:
    """Where the evaluation reads its data."""

    labeled_dir: Path
    postings_dir: Path
    postings_more_dir: Path
    onet_dir: Path | None = None  # needed to refit (leave one source out, the title match)
    ratings_dir: Path | None = None


def gold_sets(model, labeled_dir: Path) -> dict:
    """The composed sets: the signals challenge set and the customer-group gold set (both halves)."""
    out = {}
    challenge = labeled_file(labeled_dir, CHALLENGE_FILE)
    if challenge:
        out["signals_challenge"] = challenge_set(model, challenge)
    gold = gold_groups(model, labeled_dir)
    if gold is not None:
        out["groups_gold"] = gold
    return out


def gold_groups(model, labeled_dir: Path) -> dict | None:
    """The customer groups of the gold set (both halves), when the file is there."""
    gold = labeled_file(labeled_dir, GOLD_FILE)
    return gold_report(lambda text, title: named_groups(model, text, title), read_jsonl(gold)) if gold else None


def _legacy(model: Model) -> Model | None:
    """Today's model before the corpus, for comparison (when it is not the model being evaluated)."""
    from servicelens.model.registry import find_model

    if model.version == LEGACY_MODEL:
        return None
    try:
        return Model(find_model(LEGACY_MODEL))
    except Exception:  # noqa: BLE001 - an evaluation without the comparison is still an evaluation
        return None


def _predict(model: Model, data: TrainingData) -> tuple[np.ndarray, list]:
    prepared = [model.prepare(text, title) for text, title in zip(data.texts, data.titles)]
    return model.scores(prepared), prepared


def evaluate_model(folder: Path, sources: Sources, leave_one_out: bool = True,
                   log: Callable[[str], None] = lambda line: None) -> dict:
    """Every figure of ``docs/model.md`` for the model in ``folder``; written into its folder."""
    model = load_model(folder)
    corpus_path = labeled_file(sources.labeled_dir, CORPUS_FILE)
    if corpus_path is None:
        raise DataError(Errors.E103.format(path=Path(sources.labeled_dir) / CORPUS_FILE))
    labels = read_corpus(corpus_path, model.group_rules.groups)
    postings = read_sources(sources.postings_dir, sources.postings_more_dir)
    missing = [label for label in labels if (label.source, label.id) not in postings]
    if missing:
        raise DataError(Errors.E102.format(path=corpus_path, line="-", key=missing[0].key, detail="id not found"))
    log("reading the corpus ...")
    dev = corpus_data(labels, postings, model.section_rules, "dev")
    heldout = corpus_data(labels, postings, model.section_rules, "heldout")
    log(f"scoring {len(heldout)} held-out postings ...")
    pred, prepared = _predict(model, heldout)
    legacy = _legacy(model)
    legacy_pred, legacy_prepared = _predict(legacy, heldout) if legacy is not None else (None, None)
    metrics: dict = {"model": read_meta(folder).get("version"),
                     "score": corpus_eval.heldout_report(pred, dev, heldout, legacy_pred)}
    if leave_one_out and sources.onet_dir is not None:
        from servicelens.training.train import fit_scorer, onet_knowledge

        log("leave one source out: fitting the scorer once per source ...")
        knowledge = onet_knowledge(sources.onet_dir, sources.ratings_dir)
        fit_predict = lambda train, test: np.clip(fit_scorer(train, knowledge).predict(test.units), 0, 100)
        metrics["score"]["leave_one_source_out"] = corpus_eval.leave_one_source_out(dev, heldout, fit_predict)
    linkedin = [i for i, s in enumerate(heldout.sources) if s == "postings_dev"]
    functions = [postings[("postings_dev", heldout.keys[i].split(":", 1)[1])].tags for i in linkedin]
    metrics["tags"] = corpus_eval.tags_report(pred[linkedin, 0], heldout.targets[linkedin, 0], functions)
    log("customer groups ...")
    found = model.groups_many(prepared)
    expected = [{g.id: g.kind for g in label.groups} for label in labels if label.usable and label.split == "heldout"]
    groups = {"heldout": corpus_groups_report(found, expected, heldout.sources, REPORT_THRESHOLD)}
    if legacy is not None:
        old = legacy.groups_many(legacy_prepared)
        groups["heldout_" + LEGACY_MODEL] = corpus_groups_report(old, expected, heldout.sources, REPORT_THRESHOLD)
    keyword = [{g: "explicit" for g in keyword_groups(model.group_rules, p.clean.text, p.title)} for p in prepared]
    from servicelens.evaluation.groups import set_metrics

    groups["heldout_keyword"] = set_metrics((set(k), set(e)) for k, e in zip(keyword, expected))
    groups["tags"] = _group_tags(found, expected, functions, linkedin)
    metrics["groups"] = groups
    metrics.update(gold_sets(model, sources.labeled_dir))
    if legacy is not None:
        metrics["groups_gold_" + LEGACY_MODEL] = gold_groups(legacy, sources.labeled_dir)
    if sources.onet_dir is not None and getattr(model.estimator, "occupations_", None) is not None:
        from servicelens.evaluation.onet_match import title_match_accuracy

        log("title -> O*NET occupation on O*NET's own held-out titles ...")
        metrics["onet_match"] = title_match_accuracy(sources.onet_dir, sources.ratings_dir)
    mentions = labeled_file(sources.labeled_dir, MENTIONS_FILE)
    if mentions:  # the rules' mention evidence beside the mentions labelled one by one
        gold = labeled_file(sources.labeled_dir, GOLD_FILE)
        texts = labelled_texts(read_jsonl(gold) if gold else [])
        texts.update({key: (p.text, p.title) for key, p in postings.items() if key[0] == "postings_dev"})
        metrics["groups_mentions"] = mention_report(model, texts, read_mention_labels(mentions, model.group_rules.groups))
    for name, file, report in (("sections", SECTIONS_FILE, sections_report), ("statements", STATEMENTS_FILE, statements_report)):
        path = labeled_file(sources.labeled_dir, file)
        if path:
            metrics[name] = report(model, path, postings)
    record_metrics(Path(folder), metrics)
    return metrics


def _group_tags(found, expected, functions, rows) -> dict:
    """On LinkedIn held-out postings by their job functions: the share of Health Care Provider
    postings naming patients, of Education postings naming students, of Information Technology
    postings whose groups are internal or end users only; the model's beside the labels'."""
    internal = {"internal_teams", "management", "stakeholders", "end_users"}
    checks = (("health_care_names_patients", "Health Care Provider", lambda g: "patients" in g),
              ("education_names_students", "Education", lambda g: "students" in g),
              ("it_internal_or_end_users_only", "Information Technology", lambda g: bool(g) and g <= internal))
    out = {}
    for name, tag, test in checks:
        idx = [k for k, f in enumerate(functions) if tag in f.split("|")]
        if not idx:
            continue
        model = [{g.group for g in found[rows[k]] if g.confidence >= REPORT_THRESHOLD} for k in idx]
        labels = [set(expected[rows[k]]) for k in idx]
        out[name] = {"postings": len(idx), "model": round(float(np.mean([test(g) for g in model])), 3),
                     "labels": round(float(np.mean([test(g) for g in labels])), 3)}
    return out


def record_metrics(folder: Path, metrics: dict, **meta_fields) -> None:
    """Save a model's figures in ``metrics.json``, in ``meta.json`` (with ``meta_fields``) and in its card."""
    write_json(folder / METRICS_FILE, metrics)
    meta = {**read_meta(folder), "metrics": metrics, **meta_fields}
    write_json(folder / META_FILE, meta)
    write_text_atomic(folder / CARD_FILE, model_card(meta))
