"""Precision, recall and F1 per label and micro-averaged, in the layout ``metrics.json`` uses."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import precision_recall_fscore_support


def prf(truth: np.ndarray, pred: np.ndarray, labels: Sequence[str]) -> dict:
    """``truth`` and ``pred`` are 0/1 matrices (items x labels); returns each label and ``micro``."""
    p, r, f, support = precision_recall_fscore_support(truth, pred, zero_division=0)
    out = {c: {"precision": round(float(p[j]), 3), "recall": round(float(r[j]), 3), "f1": round(float(f[j]), 3),
               "support": int(support[j])} for j, c in enumerate(labels)}
    mp, mr, mf, _ = precision_recall_fscore_support(truth, pred, average="micro", zero_division=0)
    out["micro"] = {"precision": round(float(mp), 3), "recall": round(float(mr), 3), "f1": round(float(mf), 3)}
    return out
