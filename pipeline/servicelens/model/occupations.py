"""Which O*NET occupation a posting most likely is, from its title, and what O*NET rates it.

The matcher reads a title against every O*NET 29.0 title, alternate title and sample of reported
titles (word 1-2-gram TF-IDF of singular words, cosine) and ranks occupations by the sum of their
five best-matching titles' cosines (an occupation many of whose titles match is the likelier one:
"Sales Associate" is an alternate title of nine occupations). It gives:

- the **O*NET reference** a result carries beside the score, kept apart from it: the occupations a
  posting most likely is, with the similarity and O*NET's own "Deal With External Customers"
  rating (work context 4.C.1.b.1.f, 0-100), for users who need the survey scale;
- the **O*NET prior** the scorer reads: the O*NET ratings of the nearest occupations (25 work
  activities and work contexts, rescaled to 0-100), weighted by similarity.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from servicelens.model.linear import State, Tfidf, nested, sparse_arrays, sparse_from_arrays, title_word_ngrams, unnest

#: The rating the O*NET reference reports.
DEAL_WITH_EXTERNAL_CUSTOMERS = "Deal_With_External_Customers"
#: A title matches an occupation when its best title's cosine is at least this.
MIN_SIMILARITY = 0.3
#: An occupation's rank sums the cosines of this many of its best-matching titles.
RANK_TITLES = 5
#: Titles whose matches a matcher keeps (an export repeats its titles; the scorer and the O*NET
#: reference read the same ones).
CACHE_TITLES = 50_000


@dataclass(frozen=True)
class OccupationMatch:
    """One O*NET occupation a title may be."""

    code: str
    title: str
    similarity: float
    deal_with_external_customers: float | None  # O*NET's own rating, 0-100; None where O*NET has none


class OccupationMatcher:
    """Title -> nearest O*NET occupations, their ratings and the prior features built from them."""

    def __init__(self, neighbours: int = 3, min_similarity: float = MIN_SIMILARITY):
        self.neighbours = neighbours
        self.min_similarity = min_similarity

    def fit(self, codes: Sequence[str], titles: Sequence[str], names: Sequence[Sequence[str]],
            ratings: np.ndarray, rating_names: Sequence[str]):
        """``names[i]``: occupation ``i``'s own and other titles; ``ratings`` (occupations x ratings,
        0-100, NaN where O*NET has none)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        flat = [(t, i) for i, alternatives in enumerate(names) for t in dict.fromkeys(alternatives) if t]
        vectorizer = TfidfVectorizer(analyzer=title_word_ngrams, sublinear_tf=True, dtype=np.float32)
        self.matrix_ = vectorizer.fit_transform([t for t, _ in flat]).tocsr()
        self.vectorizer_ = Tfidf.from_sklearn(vectorizer, "title_word")
        self.owner_ = np.array([i for _, i in flat], dtype=np.int32)
        self.codes_, self.titles_ = list(codes), list(titles)
        self.ratings_ = np.asarray(ratings, dtype=np.float64)
        self.rating_names_ = list(rating_names)
        return self

    # -- matching ------------------------------------------------------------------------------
    def matches(self, titles: Sequence[str]) -> list[list[tuple[int, float]]]:
        """For each title, up to ``neighbours`` occupations as ``(index, cosine of its best title)``,
        likeliest first (by the sum of the occupation's ``RANK_TITLES`` best cosines)."""
        cache = self.__dict__.setdefault("_cache", {})
        distinct = [t for t in dict.fromkeys(titles) if t not in cache]  # an export repeats its titles
        if len(cache) + len(distinct) > CACHE_TITLES:
            cache.clear()
            distinct = list(dict.fromkeys(titles))
        if distinct:
            cache.update(zip(distinct, self._match(distinct)))
        return [cache[t] for t in titles]

    def _match(self, titles: list[str]) -> list[list[tuple[int, float]]]:
        """:meth:`matches` for distinct titles, all at once: every (title, occupation) pair's cosines
        sorted best first, the ``RANK_TITLES`` best summed, the likeliest occupations kept."""
        sims = (self.vectorizer_.transform(titles) @ self.matrix_.T).tocsr()
        out: list[list[tuple[int, float]]] = [[] for _ in titles]
        if not sims.nnz:  # no title shares a word with O*NET's
            return out
        row = np.repeat(np.arange(len(titles)), np.diff(sims.indptr))
        owner = self.owner_[sims.indices]
        cosine = sims.data.astype(np.float64)
        order = np.lexsort((-cosine, owner, row))
        row, owner, cosine = row[order], owner[order], cosine[order]
        starts = np.flatnonzero(np.r_[True, (row[1:] != row[:-1]) | (owner[1:] != owner[:-1])])
        rank = np.arange(len(row)) - np.repeat(starts, np.diff(np.r_[starts, len(row)]))
        top = np.where(rank < RANK_TITLES, cosine, 0.0)
        score = np.add.reduceat(top, starts)
        g_row, g_owner, g_best = row[starts], owner[starts], cosine[starts]
        keep = g_best >= self.min_similarity
        g_row, g_owner, g_best, score = g_row[keep], g_owner[keep], g_best[keep], score[keep]
        for k in np.lexsort((g_owner, -score, g_row)):
            found = out[g_row[k]]
            if len(found) < self.neighbours:
                found.append((int(g_owner[k]), float(g_best[k])))
        return out

    def reference(self, titles: Sequence[str]) -> list[list[OccupationMatch]]:
        """The O*NET reference of each title: its nearest occupations and their DEC rating."""
        column = self.rating_names_.index(DEAL_WITH_EXTERNAL_CUSTOMERS)
        out = []
        for found in self.matches(titles):
            out.append([OccupationMatch(self.codes_[i], self.titles_[i], round(float(s), 3),
                                        None if np.isnan(self.ratings_[i, column]) else round(float(self.ratings_[i, column]), 1))
                        for i, s in found])
        return out

    def prior_features(self, titles: Sequence[str]) -> np.ndarray:
        """Per title: the similarity-weighted ratings of its nearest occupations (0-1), the best
        similarity, and whether any occupation matched (titles without a match get the average)."""
        means = np.nanmean(self.ratings_, axis=0)
        filled = np.where(np.isnan(self.ratings_), means, self.ratings_)
        out = np.zeros((len(titles), filled.shape[1] + 2))
        for r, found in enumerate(self.matches(titles)):
            if found:
                rows = [i for i, _ in found]
                weights = np.array([s for _, s in found])
                out[r, :-2] = weights @ filled[rows] / weights.sum()
                out[r, -2:] = found[0][1], 1.0
            else:
                out[r, :-2] = means
        out[:, :-2] /= 100.0
        return out

    # -- storage -------------------------------------------------------------------------------
    def state(self) -> State:
        spec, arrays = nested(vectorizer=self.vectorizer_.state())
        spec.update(neighbours=self.neighbours, min_similarity=self.min_similarity, codes=self.codes_,
                    titles=self.titles_, rating_names=self.rating_names_)
        return spec, {**arrays, **sparse_arrays("matrix", self.matrix_), "owner": self.owner_, "ratings": self.ratings_}

    @classmethod
    def from_state(cls, spec: dict, arrays: dict) -> OccupationMatcher:
        matcher = cls(spec["neighbours"], spec["min_similarity"])
        matcher.vectorizer_ = Tfidf.from_state(*unnest(spec, arrays, "vectorizer"))
        matcher.matrix_ = sparse_from_arrays("matrix", arrays)
        matcher.owner_, matcher.ratings_ = arrays["owner"], arrays["ratings"]
        matcher.codes_, matcher.titles_, matcher.rating_names_ = spec["codes"], spec["titles"], spec["rating_names"]
        return matcher


def build_matcher(occupations, ratings) -> OccupationMatcher:
    """The matcher of the O*NET occupation table and a ratings table (codes x rating names, 0-100)."""
    table = occupations.set_index("code")
    codes = [c for c in table.index if c in ratings.index]
    names = [[table.loc[c, "title"], *table.loc[c, "alternate_titles"], *table.loc[c, "reported_titles"]] for c in codes]
    return OccupationMatcher().fit(codes, [table.loc[c, "title"] for c in codes], names,
                                   ratings.loc[codes].to_numpy(dtype=float), list(ratings.columns))
