"""Measured accuracy: O*NET held-out (grouped by SOC minor group), baselines, real dev postings."""
from __future__ import annotations

import os
import re
from functools import partial
from typing import Any, Callable, Sequence

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from servicelens.evaluation.groups import format_groups
from servicelens.evaluation.mentions import format_mentions
from servicelens.model.scorer import TARGETS

N_FOLDS = 5
#: Baseline (a): nouns naming people a worker serves, per word of the posting.
CUSTOMER_NOUNS = re.compile(
    r"\b(customers?|clients?|patients?|public|guests?|patrons?|visitors?|passengers?|shoppers?|"
    r"students?|residents?|members?|callers?|buyers?|consumers?|travell?ers?|diners?|tenants?)\b", re.I)
_WORD = re.compile(r"\w+")


def keyword_share(text: str) -> float:
    words = len(_WORD.findall(text))
    return 100.0 * len(CUSTOMER_NOUNS.findall(text)) / max(words, 1)


def regression_metrics(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {"spearman": round(float(spearmanr(pred, truth)[0]), 4),
            "mae": round(float(np.mean(np.abs(pred - truth))), 3)}


def run_parallel(tasks: Sequence[Callable[[], Any]], n_jobs: int | None = None) -> list:
    """Call independent tasks (one fit each) on every core; results in task order."""
    n_jobs = min(len(tasks), n_jobs or os.cpu_count() or 1)
    if n_jobs <= 1:
        return [task() for task in tasks]
    return Parallel(n_jobs=n_jobs)(delayed(task)() for task in tasks)


def grouped_cv(estimator, X: Sequence, Y: np.ndarray, groups: Sequence[str],
               fit_params: Callable[[np.ndarray], dict] | None = None, n_jobs: int | None = None) -> np.ndarray:
    """Out-of-fold predictions (n, targets) with GroupKFold over ``groups``, folds fitted in parallel."""
    def fold(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        params = fit_params(train) if fit_params else {}
        model = clone(estimator).fit([X[i] for i in train], Y[train], **params)
        return model.predict([X[i] for i in test])

    folds = list(GroupKFold(N_FOLDS).split(X, Y, groups))
    return out_of_fold(folds, run_parallel([partial(fold, *f) for f in folds], n_jobs), Y)


def out_of_fold(folds: Sequence[tuple[np.ndarray, np.ndarray]], predictions: Sequence[np.ndarray],
                Y: np.ndarray) -> np.ndarray:
    """Each fold's predictions put in its test rows (n, targets)."""
    pred = np.zeros_like(Y, dtype=float)
    for (_, test), values in zip(folds, predictions):
        pred[test] = values
    return pred


def target_metrics(pred: np.ndarray, Y: np.ndarray) -> dict:
    """Spearman and MAE of each target."""
    return {target: regression_metrics(pred[:, j], Y[:, j]) for j, target in enumerate(TARGETS)}


def onet_heldout(estimator, X: Sequence, Y: np.ndarray, groups: Sequence[str], **kw) -> dict:
    return target_metrics(grouped_cv(estimator, X, Y, groups, **kw), Y)


def keyword_baseline(texts: Sequence[str], Y: np.ndarray, groups: Sequence[str]) -> dict:
    """Rank correlation of the customer-noun share; MAE after a linear map fitted per fold."""
    share = np.array([keyword_share(t) for t in texts])
    out = {}
    for j, target in enumerate(TARGETS):
        pred = np.zeros(len(share))
        for train, test in GroupKFold(N_FOLDS).split(share, Y[:, j], groups):
            slope, intercept = np.polyfit(share[train], Y[train, j], 1)
            pred[test] = intercept + slope * share[test]
        out[target] = regression_metrics(pred, Y[:, j])
    return out


def dev_postings_report(scores: np.ndarray, functions: Sequence[list[str]]) -> dict:
    """Customer Service AUC against all other tagged postings, mean score per function, spread."""
    tagged = np.array([bool(tags) for tags in functions])
    is_cs = np.array(["Customer Service" in tags for tags in functions])
    cs = scores[:, 0]
    report: dict = {"postings": int(len(cs)), "tagged": int(tagged.sum())}
    if is_cs[tagged].any() and (~is_cs[tagged]).any():
        report["customer_service_auc"] = round(float(roc_auc_score(is_cs[tagged], cs[tagged])), 4)
    by_tag: dict[str, list[float]] = {}
    for score, tags in zip(cs, functions):
        for tag in tags:
            by_tag.setdefault(tag, []).append(float(score))
    report["mean_by_function"] = {tag: {"n": len(v), "mean": round(float(np.mean(v)), 1)}
                                  for tag, v in sorted(by_tag.items(), key=lambda kv: -np.mean(kv[1]))}
    health, it = by_tag.get("Health Care Provider"), by_tag.get("Information Technology")
    if health and it:
        report["health_minus_it"] = round(float(np.mean(health) - np.mean(it)), 1)
    report["p10"], report["p90"] = (round(float(v), 1) for v in np.percentile(cs, [10, 90]))
    return report


def baselines(texts: Sequence[str], Y: np.ndarray, groups: Sequence[str]) -> dict:
    """The two baselines named by the foundation issue, on the same folds as the model."""
    tfidf_ridge = Pipeline([("tfidf", TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2))),
                            ("ridge", Ridge(alpha=1.0))])
    tfidf = onet_heldout(tfidf_ridge, list(texts), Y, groups)
    return {"keyword_share": keyword_baseline(texts, Y, groups), "tfidf_ridge": tfidf}


def format_metrics(metrics: dict) -> str:
    """A short table for the terminal."""
    lines = ["O*NET held-out (5-fold GroupKFold by SOC minor group), Spearman rho / MAE:"]
    rows = [("model", metrics["onet_heldout"])] + list(metrics.get("baselines", {}).items())
    lines.append(f"  {'':16}" + "".join(f"{t:>20}" for t in TARGETS))
    for name, block in rows:
        cells = "".join(f"{block[t]['spearman']:>12.3f} /{block[t]['mae']:>6.1f}" for t in TARGETS)
        lines.append(f"  {name:16}{cells}")
    for key, title in (("signals_onet_heldout", "Signals on O*NET task statements of held-out groups"),
                       ("signals_challenge", "Signals on the hand-written challenge set")):
        block = metrics.get(key)
        if not block:
            continue
        per = block.get("categories", block)
        head = f"{title}: micro P {per['micro']['precision']:.2f} R {per['micro']['recall']:.2f} F1 {per['micro']['f1']:.2f}"
        if "exact_match" in block:
            head += f"; exact category set on {block['exact_match']:.0%} of {block['units']} units"
        lines.append(head)
        lines.append("  " + ", ".join(f"{c} {v['precision']:.2f}/{v['recall']:.2f}/{v['f1']:.2f}"
                                      for c, v in per.items() if c != "micro") + "  (P/R/F1)")
    dev = metrics.get("dev_postings")
    if dev:
        lines.append(f"Dev postings ({dev['tagged']} tagged of {dev['postings']}): "
                     f"Customer Service AUC {dev.get('customer_service_auc', float('nan')):.3f}, "
                     f"Health Care Provider - Information Technology {dev.get('health_minus_it', float('nan')):+.1f}, "
                     f"p10 {dev['p10']:.1f}, p90 {dev['p90']:.1f}")
        top = list(dev["mean_by_function"].items())
        lines.append("  mean score by function: " + ", ".join(f"{k} {v['mean']:.0f} (n={v['n']})" for k, v in top))
    lines.extend(format_groups(metrics))
    lines.extend(format_mentions(metrics.get("groups_mentions")))
    user = metrics.get("user_heldout")
    if user:
        said = {"score_error": "score error {:.1f} points", "band_accuracy": "band accuracy {:.0%}",
                "groups_f1": "groups micro F1 {:.2f}"}
        lines.append(f"Your held-out labels ({user['postings']}): "
                     + ", ".join(text.format(user[key]) for key, text in said.items() if key in user))
    return "\n".join(lines)
