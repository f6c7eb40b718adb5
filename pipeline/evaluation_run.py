"""Run the full evaluation of a model folder and save ``metrics.json`` beside it."""
from __future__ import annotations

from pathlib import Path

from .evaluate import baselines, dev_postings_report, onet_heldout
from .model_store import CARD_FILE, META_FILE, read_meta, write_json
from .onet import read_tables
from .postings_dev import read_dev_postings
from .predict import load_model
from .scorer import build_scorer
from .train import model_card, training_set

METRICS_FILE = "metrics.json"


def evaluate_model(folder: Path, labeled_dir: Path, postings_dir: Path | None, seed: int = 13) -> dict:
    """O*NET held-out figures of the model's recipe beside the baselines, and the dev-posting check.

    The held-out figures retrain the same recipe inside each fold; the dev postings are scored by
    the model in ``folder`` itself.
    """
    tables = read_tables(labeled_dir)
    data = training_set(tables.occupations)
    sentences = tables.sentences
    codes = tables.occupations["code"].to_numpy()

    def fold_params(train_idx):
        return {"sentences": sentences[sentences["code"].isin(set(codes[train_idx]))]}

    metrics = {
        "model": read_meta(folder).get("version"),
        "onet_heldout": onet_heldout(build_scorer(seed=seed), data.units, data.targets, data.groups,
                                     fit_params=fold_params),
        "baselines": baselines(data.texts, data.targets, data.groups),
    }
    if postings_dir is not None and Path(postings_dir).exists():
        dev = read_dev_postings(Path(postings_dir))
        model = load_model(folder)
        scores = model.score_texts((dev["title"] + "\n\n" + dev["description"]).tolist())
        metrics["dev_postings"] = dev_postings_report(scores, dev["functions"].tolist())
    write_json(Path(folder) / METRICS_FILE, metrics)
    meta = read_meta(folder)
    meta["metrics"] = metrics
    write_json(Path(folder) / META_FILE, meta)
    (Path(folder) / CARD_FILE).write_text(model_card(meta), encoding="utf-8")
    return metrics
