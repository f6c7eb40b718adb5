"""Word 1-2-grams of a posting's units, analysed once and weighed by several fitted TF-IDF models.

The scorer's text model (TF-IDF of the whole posting) and sentence model (TF-IDF of each unit)
read the same word 1-2-grams of the same units; analysing and counting them twice, term by term
in Python, would cost more than the rest of scoring. Here each unit is tokenised once; tokens
become ids with one dictionary lookup each, and bigrams are found as pairs of ids with NumPy, so
no bigram string is ever built. Each weighting (:class:`~servicelens.model.linear.Tfidf`) is then
applied to the counts. The matrices equal ``Tfidf.transform`` (tests check it).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp

from servicelens.model.linear import WORD_TOKEN as _TOKEN, Tfidf


class SharedVocabulary:
    """The vocabularies of several fitted word 1-2-gram vectorizers (lowercase, default tokens)."""

    def __init__(self, vectorizers: Sequence[Tfidf]):
        self.vectorizers = list(vectorizers)
        terms = set().union(*(v.vocabulary for v in self.vectorizers))
        tokens = sorted({token for term in terms for token in term.split(" ")})
        self.token_ids = {token: i for i, token in enumerate(tokens)}
        self.n_tokens = len(tokens)
        bigrams = sorted((self._code(term), term) for term in terms if " " in term)
        self.bigram_codes = np.array([code for code, _ in bigrams], dtype=np.int64)
        # Column of each token (as a unigram) and of each bigram in each vectorizer, -1 if absent.
        self.unigram_columns = [np.array([v.vocabulary.get(t, -1) for t in tokens], dtype=np.int64)
                                for v in self.vectorizers]
        self.bigram_columns = [np.array([v.vocabulary.get(term, -1) for _, term in bigrams], dtype=np.int64)
                               for v in self.vectorizers]

    def _code(self, bigram: str) -> int:
        first, second = bigram.split(" ")
        return self.token_ids[first] * self.n_tokens + self.token_ids[second]

    def transform(self, docs: Sequence[str], rows: Sequence[np.ndarray],
                  n_rows: Sequence[int]) -> list[sp.csr_matrix]:
        """One TF-IDF matrix per vectorizer for texts ``docs``: ``rows[k]`` maps each doc to its
        row of vectorizer ``k``'s ``n_rows[k]``-row matrix (docs may share a row; -1 skips one)."""
        return [v.weigh(c) for v, c in zip(self.vectorizers, self.counts(docs, rows, n_rows))]

    def counts(self, docs: Sequence[str], rows: Sequence[np.ndarray],
               n_rows: Sequence[int]) -> list[sp.csr_matrix]:
        """``transform`` before the weighting: raw term counts, duplicates summed, indices sorted."""
        tokens = [_TOKEN.findall(doc.lower()) for doc in docs]
        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        get = self.token_ids.get
        ids = np.array([get(t, -1) for doc in tokens for t in doc], dtype=np.int64)
        owner = np.repeat(np.arange(len(docs)), lengths)
        known = ids >= 0
        # Bigrams: consecutive tokens of one doc, both known, whose pair is in a vocabulary.
        pair = known[:-1] & known[1:] & (owner[:-1] == owner[1:])
        codes = ids[:-1][pair] * self.n_tokens + ids[1:][pair]
        at = np.searchsorted(self.bigram_codes, codes)
        at[at == len(self.bigram_codes)] = 0
        hit = self.bigram_codes[at] == codes if len(self.bigram_codes) else np.zeros(len(codes), bool)
        bigram_owner = owner[:-1][pair][hit]
        out = []
        for k, vectorizer in enumerate(self.vectorizers):
            columns = np.concatenate([self.unigram_columns[k][ids[known]], self.bigram_columns[k][at[hit]]])
            term_rows = np.asarray(rows[k], dtype=np.int64)[np.concatenate([owner[known], bigram_owner])]
            keep = (columns >= 0) & (term_rows >= 0)
            counts = sp.csr_matrix((np.ones(int(keep.sum())), (term_rows[keep], columns[keep])),
                                   shape=(n_rows[k], len(vectorizer.vocabulary)))
            counts.sum_duplicates()
            out.append(counts)
        return out
