"""The score measured on the labelled corpus' held-out part: the model, the baselines, leave-one-source-out.

Every figure here is on postings no fit looked at: the held-out split of the corpus (disjoint from
the development split by occupation family, employer and near-duplicate text), per source and
overall. The baselines are trained on the same development split.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np
from scipy.stats import spearmanr

from servicelens.reading.clean import strip_html
from servicelens.scale import band_number
from servicelens.training.corpus_data import TrainingData

BOOTSTRAP = 1000
SEED = 7
#: The keyword baseline: nouns naming people a worker serves, per word of the posting.
CUSTOMER_NOUNS = re.compile(
    r"\b(customers?|clients?|patients?|public|guests?|patrons?|visitors?|passengers?|shoppers?|"
    r"students?|residents?|members?|callers?|buyers?|consumers?|travell?ers?|diners?|tenants?)\b", re.I)
_WORD = re.compile(r"\w+")
#: LinkedIn job functions whose postings face customers (the corpus issue's "customer-facing functions").
CUSTOMER_FACING = ("Customer Service", "Sales", "Health Care Provider", "Education")


def keyword_share(text: str) -> float:
    return 100.0 * len(CUSTOMER_NOUNS.findall(text)) / max(len(_WORD.findall(text)), 1)


def _rho(a, b) -> float:
    value = spearmanr(a, b)[0]
    return float(value) if np.isfinite(value) else float("nan")


def score_metrics(pred: np.ndarray, truth: np.ndarray) -> dict:
    """Spearman, band accuracy and quadratic-weighted kappa, MAE of the score; Spearman of the parts."""
    from sklearn.metrics import cohen_kappa_score

    score = np.clip(pred[:, 0], 0, 100)
    bands_pred = [band_number(s) for s in score]
    bands_true = [band_number(s) for s in truth[:, 0]]
    kappa = cohen_kappa_score(bands_true, bands_pred, weights="quadratic") if len(set(bands_true + bands_pred)) > 1 else float("nan")
    out = {"postings": int(len(truth)), "spearman": round(_rho(score, truth[:, 0]), 3),
           "band_accuracy": round(float(np.mean(np.equal(bands_pred, bands_true))), 3),
           "band_kappa": round(float(kappa), 3), "mae": round(float(np.mean(np.abs(score - truth[:, 0]))), 2)}
    if pred.shape[1] == 3:
        out["external_spearman"] = round(_rho(pred[:, 1], truth[:, 1]), 3)
        out["internal_spearman"] = round(_rho(pred[:, 2], truth[:, 2]), 3)
    return out


def rank_metrics(pred: np.ndarray, truth: np.ndarray) -> dict:
    """For a score on another scale (servicelens-0.1.7's O*NET scale, a keyword share): ranks only."""
    out = {"postings": int(len(truth)), "spearman": round(_rho(pred[:, 0], truth[:, 0]), 3)}
    if pred.shape[1] == 3:
        out["external_spearman"] = round(_rho(pred[:, 1], truth[:, 1]), 3)
        out["internal_spearman"] = round(_rho(pred[:, 2], truth[:, 2]), 3)
    return out


def by_source(metric: Callable, pred: np.ndarray, data: TrainingData) -> dict:
    sources = np.array(data.sources)
    return {s: metric(pred[sources == s], data.targets[sources == s]) for s in dict.fromkeys(data.sources)}


def bootstrap_rho(pred: np.ndarray, truth: np.ndarray, other: np.ndarray | None = None) -> dict:
    """95% bootstrap interval of the score's Spearman, and of its lead over ``other`` (paired)."""
    rng = np.random.default_rng(SEED)
    n = len(truth)
    own, lead = [], []
    for _ in range(BOOTSTRAP):
        i = rng.integers(0, n, n)
        own.append(_rho(pred[i], truth[i]))
        if other is not None:
            lead.append(own[-1] - _rho(other[i], truth[i]))
    out = {"interval": [round(float(q), 3) for q in np.nanpercentile(own, [2.5, 97.5])]}
    if other is not None:
        out["lead"] = round(_rho(pred, truth) - _rho(other, truth), 3)
        out["lead_interval"] = [round(float(q), 3) for q in np.nanpercentile(lead, [2.5, 97.5])]
    return out


# -- baselines -----------------------------------------------------------------------------------

def _text(data: TrainingData) -> list[str]:
    return [f"{t}\n{strip_html(x)}" for t, x in zip(data.titles, data.texts)]


def tfidf_ridge(train: TrainingData, test: TrainingData) -> np.ndarray:
    """The baseline the corpus issue names: TF-IDF (word 1-2-grams) + ridge on title and text."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline

    model = Pipeline([("tfidf", TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2))), ("ridge", Ridge(alpha=1.0))])
    return model.fit(_text(train), train.targets).predict(_text(test))


def title_only(train: TrainingData, test: TrainingData) -> np.ndarray:
    """Character n-grams of the title alone + ridge."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline

    model = Pipeline([("tfidf", TfidfVectorizer(sublinear_tf=True, min_df=2, analyzer="char_wb", ngram_range=(3, 5))),
                      ("ridge", Ridge(alpha=1.0))])
    return model.fit(train.titles, train.targets).predict(test.titles)


def keyword(train: TrainingData, test: TrainingData) -> np.ndarray:
    """The share of words naming customers, mapped to the scale by a line fitted on the training part."""
    share_train = np.array([keyword_share(t) for t in _text(train)])
    share_test = np.array([keyword_share(t) for t in _text(test)])
    out = np.zeros((len(test), train.targets.shape[1]))
    for j in range(train.targets.shape[1]):
        slope, intercept = np.polyfit(share_train, train.targets[:, j], 1)
        out[:, j] = intercept + slope * share_test
    return out


BASELINES = {"tfidf_ridge": tfidf_ridge, "title_only": title_only, "keyword_share": keyword}


# -- the report ------------------------------------------------------------------------------

def heldout_report(pred: np.ndarray, dev: TrainingData, heldout: TrainingData,
                   legacy: np.ndarray | None = None, legacy_name: str = "servicelens-0.1.7") -> dict:
    """The model's held-out figures, overall and by source, beside the baselines and an older model."""
    out = {"model": {"overall": score_metrics(pred, heldout.targets), "by_source": by_source(score_metrics, pred, heldout)}}
    baselines = {}
    for name, fit in BASELINES.items():
        p = fit(dev, heldout)
        metric = rank_metrics if name == "keyword_share" else score_metrics
        baselines[name] = {"overall": metric(p, heldout.targets), "by_source": by_source(metric, p, heldout)}
        if name == "tfidf_ridge":
            out["model"]["versus_tfidf_ridge"] = bootstrap_rho(np.clip(pred[:, 0], 0, 100), heldout.targets[:, 0], p[:, 0])
    if legacy is not None:
        baselines[legacy_name] = {"overall": rank_metrics(legacy, heldout.targets),
                                  "by_source": by_source(rank_metrics, legacy, heldout)}
    out["baselines"] = baselines
    out["parts"] = {part: {"predicted": _spread(pred[:, j]), "labelled": _spread(heldout.targets[:, j])}
                    for j, part in ((1, "external"), (2, "internal"))}
    return out


def _spread(values: np.ndarray) -> dict:
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return {"p10": round(float(p10), 1), "median": round(float(p50), 1), "p90": round(float(p90), 1),
            "sd": round(float(np.std(values)), 1)}


def leave_one_source_out(dev: TrainingData, heldout: TrainingData, fit_predict: Callable) -> dict:
    """For each source: fitted on the development postings of the other sources, tested on the
    held-out postings of that source; beside the TF-IDF baseline fitted the same way."""
    out = {}
    for source in dict.fromkeys(heldout.sources):
        train = dev.subset([i for i, s in enumerate(dev.sources) if s != source])
        test = heldout.subset([i for i, s in enumerate(heldout.sources) if s == source])
        out[source] = {"model": score_metrics(fit_predict(train, test), test.targets),
                       "tfidf_ridge": score_metrics(tfidf_ridge(train, test), test.targets)}
    return out


def tags_report(scores: np.ndarray, labels: np.ndarray, functions: Sequence[str]) -> dict:
    """On LinkedIn postings: AUC of Customer Service vs the rest and of customer-facing functions vs
    the rest, for the model's scores and for the corpus labels themselves, each with a bootstrap
    interval. (Tags are rough; the labels' own AUC is the most a faithful model can show.)"""
    from sklearn.metrics import roc_auc_score

    tagged = np.array([bool(f) for f in functions])
    tags = [set(f.split("|")) if f else set() for f in functions]
    out = {"postings": int(tagged.sum())}
    for name, positive in (("customer_service", {"Customer Service"}), ("customer_facing", set(CUSTOMER_FACING))):
        y = np.array([bool(t & positive) for t in tags])[tagged]
        if y.all() or not y.any():
            continue
        block = {"positives": int(y.sum())}
        for who, values in (("model", scores[tagged]), ("labels", labels[tagged])):
            rng = np.random.default_rng(SEED)
            samples = []
            for _ in range(BOOTSTRAP):
                i = rng.integers(0, len(y), len(y))
                if y[i].any() and not y[i].all():
                    samples.append(roc_auc_score(y[i], values[i]))
            block[who] = {"auc": round(float(roc_auc_score(y, values)), 3),
                          "interval": [round(float(q), 3) for q in np.percentile(samples, [2.5, 97.5])]}
        out[name] = block
    return out
