"""How a prediction splits into what each posting's title and each of its units add.

Every feature of the scorer is a sum over units, so a prediction is exactly a base value plus
the title's part plus one part per unit. A unit's part has two pieces kept apart: its **words**
(its share of the text model's linear prediction) and its **evidence** (signal categories and
negations). Only the evidence is shown on a phrase: the words of a unit belong to no single
phrase, and the text model's weights on them can be of either sign.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class UnitEvidence:
    """Per-unit category evidence of a batch of postings (from the sentence model and patterns)."""

    owners: np.ndarray  # posting index of each unit (title excluded)
    evidence: np.ndarray  # units x categories, 0-1
    negations: np.ndarray  # units, count of negation statements
    matches: list  # units -> pattern matches (for reporting signals)


@dataclass(frozen=True)
class Contributions:
    """``PostingScorer.contributions``: what each posting's title and scored units add (points)."""

    predicted: np.ndarray  # postings x targets
    title: np.ndarray  # postings x targets
    words: np.ndarray  # scored units of all postings x targets: the unit's share of the text model
    signals: np.ndarray  # scored units x targets: the unit's evidence and negations
    evidence: UnitEvidence
    text_features: sp.csr_matrix | None = None  # postings x terms: the text model's TF-IDF

    @property
    def units(self) -> np.ndarray:
        """Everything each scored unit adds."""
        return self.words + self.signals

    def base(self) -> np.ndarray:
        """What each posting's prediction is before its title and units (postings x targets)."""
        base = self.predicted - self.title
        np.subtract.at(base, self.evidence.owners, self.units)
        return base


@dataclass(frozen=True)
class TextTerms:
    """The text model's terms: counted per unit (docs x terms) and per posting, and weighed."""

    unit_counts: sp.csr_matrix
    posting_counts: sp.csr_matrix  # canonical; ``weighted`` holds the same entries in the same order
    weighted: sp.csr_matrix
    posting_rows: np.ndarray  # posting of each unit

    def shares(self, coef: np.ndarray) -> np.ndarray:
        """Each unit's share (units x targets) of ``weighted @ coef.T``: every occurrence of a term
        in a posting gets an equal part of the term's weight there."""
        if not self.unit_counts.nnz:
            return np.zeros((self.unit_counts.shape[0], coef.shape[0]))
        n_terms = self.posting_counts.shape[1]
        posting = self.posting_counts.tocoo()
        keys = posting.row.astype(np.int64) * n_terms + posting.col  # sorted: the matrix is canonical
        per_occurrence = self.weighted.data / self.posting_counts.data
        units = self.unit_counts.tocoo()
        at = np.searchsorted(keys, self.posting_rows[units.row] * n_terms + units.col)
        split = sp.csr_matrix((units.data * per_occurrence[at], (units.row, units.col)), shape=units.shape)
        return np.asarray(split @ coef.T)


def title_rows(X: Sequence[Sequence[str]]) -> np.ndarray:
    """Which of the postings' units, all in a row, is a title (each posting's first)."""
    sizes = np.fromiter(map(len, X), dtype=np.int64, count=len(X))
    is_title = np.zeros(int(sizes.sum()), dtype=bool)
    is_title[(np.cumsum(sizes) - sizes)[sizes > 0]] = True
    return is_title


def cumsum_by(values: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Running sums of ``values`` restarting at each new owner (owners come in blocks)."""
    total = np.cumsum(values)
    starts = np.r_[True, owners[1:] != owners[:-1]] if len(owners) else np.zeros(0, dtype=bool)
    before = (total - values)[starts]
    return total - np.repeat(before, np.diff(np.r_[np.flatnonzero(starts), len(owners)]))
