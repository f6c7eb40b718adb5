"""Run the full evaluation of a model folder and save ``metrics.json`` beside it."""
from __future__ import annotations

from pathlib import Path

from sklearn.base import clone

from servicelens.evaluation.scores import baselines, dev_postings_report, onet_heldout
from servicelens.evaluation.groups import GOLD_FILE, dev_groups_report, gold_report, named_groups
from servicelens.evaluation.mentions import MENTIONS_FILE, labelled_texts, mention_report, read_mention_labels
from servicelens.training.fit_groups import REAL_GROUPS_FILE, real_postings
from servicelens.evaluation.signals import CHALLENGE_FILE, challenge_set, sentence_level
from servicelens.evidence.groups import REPORT_THRESHOLD
from servicelens.errors import DataError, Errors
from servicelens.files import read_jsonl, write_text_atomic
from servicelens.model.store import CARD_FILE, META_FILE, read_meta, write_json
from servicelens.datasets.onet import read_tables
from servicelens.paths import labeled_file
from servicelens.datasets.dev_postings import read_dev_postings
from servicelens.model.loaded import load_model
from servicelens.training.train import model_card, training_set

METRICS_FILE = "metrics.json"


def gold_sets(model, labeled_dir: Path) -> dict:
    """The hand-written sets: the signals challenge set and the customer-group gold set (both halves)."""
    out = {}
    challenge = labeled_file(labeled_dir, CHALLENGE_FILE)
    if challenge:
        out["signals_challenge"] = challenge_set(model, challenge)
    gold = labeled_file(labeled_dir, GOLD_FILE)
    if gold:
        out["groups_gold"] = gold_report(lambda text, title: named_groups(model, text, title), read_jsonl(gold))
    return out


def evaluate_model(folder: Path, labeled_dir: Path, postings_dir: Path | None) -> dict:
    """O*NET held-out figures of the model's recipe beside the baselines, and the dev-posting check.

    The held-out figures retrain the same recipe inside each fold; the dev postings are scored by
    the model in ``folder`` itself.
    """
    tables = read_tables(labeled_dir)
    model = load_model(folder)
    dev = real = None
    if postings_dir is not None and Path(postings_dir).exists():
        dev = read_dev_postings(Path(postings_dir))
        labelled = labeled_file(labeled_dir, REAL_GROUPS_FILE)
        # read now, so a postings folder these labels were not made on fails before the long part
        real = real_postings(labelled, dev, split=None) if labelled else None
    data = training_set(tables.occupations, model.section_rules)
    metrics = {
        "model": read_meta(folder).get("version"),
        "onet_heldout": onet_heldout(clone(model.estimator), data.units, data.targets, data.groups,
                                     fit_params=lambda train: data.fit_params(tables.sentences, train)),
        "baselines": baselines(data.texts, data.targets, data.groups),
    }
    metrics["signals_onet_heldout"] = sentence_level(model.estimator, tables.sentences)
    metrics.update(gold_sets(model, labeled_dir))
    if dev is not None:
        prepared = [model.prepare(t, title) for t, title in zip(dev["description"], dev["title"])]
        metrics["dev_postings"] = dev_postings_report(model.scores(prepared), dev["functions"].tolist())
        metrics["groups_dev_postings"] = dev_groups_report(model.groups_many(prepared), dev["functions"].tolist(),
                                                           REPORT_THRESHOLD)
        if real:
            metrics["groups_real"] = gold_report(lambda text, title: named_groups(model, text, title),
                                                 [vars(p) for p in real])
    mentions = labeled_file(labeled_dir, MENTIONS_FILE)
    if mentions:
        gold = labeled_file(labeled_dir, GOLD_FILE)
        texts = labelled_texts(read_jsonl(gold) if gold else [], dev)
        labels = read_mention_labels(mentions, model.group_rules.groups)
        for line, row in enumerate(labels, 1):  # a postings folder these labels were not made on fails here
            if dev is not None and row.source == "postings_dev" and row.posting not in texts:
                raise DataError(Errors.E098.format(path=mentions, line=line, job_id=row.id))
        metrics["groups_mentions"] = mention_report(model, texts, labels)
    record_metrics(Path(folder), metrics)
    return metrics


def record_metrics(folder: Path, metrics: dict, **meta_fields) -> None:
    """Save a model's figures in ``metrics.json``, in ``meta.json`` (with ``meta_fields``) and in its card."""
    write_json(folder / METRICS_FILE, metrics)
    meta = {**read_meta(folder), "metrics": metrics, **meta_fields}
    write_json(folder / META_FILE, meta)
    write_text_atomic(folder / CARD_FILE, model_card(meta))
