"""The group confidence of models before 0.2: a logistic regression over what the group rules found
(:func:`servicelens.evidence.groups.candidate_features`), learned from the gold set. Models from 0.2
learn their groups from the corpus instead (:mod:`servicelens.evidence.group_model`); this module
only loads and applies the older models' confidence.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from servicelens.errors import Errors, ModelError
from servicelens.evidence.groups import named_explicitly, rule_confidence
from servicelens.model.linear import Logistic


class LearnedScorer:
    """A fitted confidence model as a :data:`~servicelens.evidence.groups.Scorer`: of what the rules
    give a group the posting names, it keeps as much as the model believes."""

    def __init__(self, model: Logistic):
        self.model = model

    def __call__(self, features: np.ndarray) -> np.ndarray:
        confidence = rule_confidence(features)
        rows = named_explicitly(features)  # a group only the title implies keeps the inferrer's confidence
        if rows.any():
            # The learned weight only takes confidence away from what the rules found: a lone
            # "experience with patients preferred" stays as unsure as the rules make it, however
            # far its features lie from the gold postings the model was fitted on.
            learned = np.maximum(np.round(self.model.predict_proba(features[rows])[:, 0], 3), 0.001)
            confidence[rows] = np.minimum(learned, confidence[rows])
        return confidence


def check_confidence(model: Logistic, record: dict, model_features: Iterable[str], path: Path) -> LearnedScorer:
    """The scorer of a loaded confidence model, once its features are the ones this code computes."""
    expected = list(model_features)
    if record.get("features") != expected or model.n_features != len(expected):
        raise ModelError(Errors.E096.format(path=path))
    return LearnedScorer(model)
