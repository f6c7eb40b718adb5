"""Customer groups a role implies without saying them, learned from O*NET.

Each O*NET occupation gets a group profile from its own task statements (the same rules that find
groups in postings: "Confer with parents..." gives teachers ``parents_families``). A posting's
title is matched to O*NET titles and alternate titles (word TF-IDF, cosine); the groups of the
nearest occupations are inferred, weighted by how well the title matches, with a confidence below
what an explicit mention earns.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from servicelens.evidence.groups import REPORT_THRESHOLD, GroupRules, scan
from servicelens.model.linear import State, Tfidf, nested, sparse_arrays, sparse_from_arrays, unnest

if TYPE_CHECKING:
    import pandas as pd

#: A group named (and served) in n task statements of an occupation: profile 1 - 0.5**n.
PROFILE_DECAY = 0.5
#: Inferred groups below this confidence are noise (a task or two of a loosely matched occupation).
INFERRED_MIN = 0.15


def occupation_profiles(occupations: pd.DataFrame, sentences: pd.DataFrame, rules: GroupRules) -> np.ndarray:
    """Occupations x groups, 0-1: how strongly each occupation's tasks name each group as served."""
    ids = list(rules.groups)
    row = {code: i for i, code in enumerate(occupations["code"])}
    counts = np.zeros((len(occupations), len(ids)))
    titles = dict(zip(occupations["code"], occupations["title"]))
    for code, tasks in sentences.groupby("code", sort=False)["text"]:
        if code not in row:
            continue
        texts = tasks.tolist()
        found = {(f.unit, f.group) for f in scan(texts, ["duties"] * len(texts), titles[code], rules)
                 if f.confidence >= REPORT_THRESHOLD}
        for _, group in found:
            counts[row[code], ids.index(group)] += 1
    return 1.0 - PROFILE_DECAY ** counts


class GroupInferrer:
    """Title -> nearest O*NET occupations -> the groups their tasks serve."""

    def __init__(self, neighbours: int = 3, min_similarity: float = 0.45, max_confidence: float = 0.6):
        self.neighbours = neighbours
        self.min_similarity = min_similarity
        self.max_confidence = max_confidence

    def fit(self, titles: Sequence[Sequence[str]], profiles: np.ndarray, occupations: Sequence[str],
            groups: Sequence[str], sample_weight: Sequence[float] | None = None):
        """``titles[i]``: the titles of occupation ``i`` (its own and alternates); ``profiles``: its groups.

        ``sample_weight[i]`` weighs entry ``i`` among a title's nearest matches (a user's label counts more).
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        flat = [(t, i) for i, names in enumerate(titles) for t in names if t]
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
        self.matrix_ = vectorizer.fit_transform([t for t, _ in flat]).tocsr()
        self.vectorizer_ = Tfidf.from_sklearn(vectorizer)
        self.owner_ = np.array([i for _, i in flat], dtype=np.int32)
        self.profiles_ = np.asarray(profiles, dtype=np.float32)
        self.occupations_ = list(occupations)
        self.groups_ = list(groups)
        self.weights_ = np.ones(len(self.occupations_)) if sample_weight is None else np.asarray(sample_weight, float)
        return self

    def state(self) -> State:
        spec, arrays = nested(vectorizer=self.vectorizer_.state())
        spec.update(neighbours=self.neighbours, min_similarity=self.min_similarity,
                    max_confidence=self.max_confidence, occupations=self.occupations_, groups=self.groups_)
        return spec, {**arrays, **sparse_arrays("matrix", self.matrix_), "owner": self.owner_,
                      "profiles": self.profiles_, "weights": self.weights_}

    @classmethod
    def from_state(cls, spec: dict, arrays: dict) -> GroupInferrer:
        inferrer = cls(spec["neighbours"], spec["min_similarity"], spec["max_confidence"])
        inferrer.vectorizer_ = Tfidf.from_state(*unnest(spec, arrays, "vectorizer"))
        inferrer.matrix_ = sparse_from_arrays("matrix", arrays)
        inferrer.owner_, inferrer.profiles_ = arrays["owner"], arrays["profiles"]
        inferrer.occupations_, inferrer.groups_, inferrer.weights_ = spec["occupations"], spec["groups"], arrays["weights"]
        return inferrer

    def matches(self, titles: Sequence[str]) -> list[list[tuple[int, float]]]:
        """For each title, the nearest occupations as ``(index, cosine)``, best first."""
        sims = (self.vectorizer_.transform([t or "" for t in titles]) @ self.matrix_.T).tocsr()
        sims.data[sims.data < self.min_similarity] = 0  # most titles share a word or two with many
        sims.eliminate_zeros()
        out = []
        for r in range(sims.shape[0]):
            lo, hi = sims.indptr[r], sims.indptr[r + 1]
            best: dict[int, float] = {}
            for j, s in zip(self.owner_[sims.indices[lo:hi]].tolist(), sims.data[lo:hi].tolist()):
                if s > best.get(j, 0.0):
                    best[j] = s
            out.append(sorted(best.items(), key=lambda x: -x[1])[:self.neighbours])
        return out

    def infer(self, titles: Sequence[str]) -> list[dict[str, tuple[float, str]]]:
        """For each title: group -> (confidence, the O*NET occupation it mostly came from)."""
        distinct = list(dict.fromkeys(titles))  # an export repeats its titles: each is read once
        by_title = dict(zip(distinct, self._infer(distinct)))
        return [by_title[t] for t in titles]

    def _infer(self, titles: Sequence[str]) -> list[dict[str, tuple[float, str]]]:
        out = []
        for found in self.matches(titles):
            groups: dict[str, tuple[float, str]] = {}
            if found:
                owners = [o for o, _ in found]
                similarity = np.array([s for _, s in found])
                weights = similarity * self.weights_[owners]
                profile = weights @ self.profiles_[owners] / weights.sum()
                confidence = self.max_confidence * min(1.0, similarity[0]) * profile
                top = self.occupations_[found[0][0]]
                groups = {g: (round(float(c), 3), top) for g, c in zip(self.groups_, confidence) if c >= INFERRED_MIN}
            out.append(groups)
        return out


def build_inferrer(occupations: pd.DataFrame, sentences: pd.DataFrame, rules: GroupRules,
                   labelled: Sequence[tuple[str, Sequence[str], float]] = ()) -> GroupInferrer:
    """The inferrer of the O*NET occupations, plus ``labelled`` postings: (title, groups, weight)
    from the user's labels, each an entry whose profile is exactly the groups it was labelled with."""
    ids = list(rules.groups)
    titles = [[row["title"], *row["alternate_titles"]] for row in occupations.to_dict("records")]
    names = [f"{t} ({c})" for t, c in zip(occupations["title"], occupations["code"])]
    profiles = occupation_profiles(occupations, sentences, rules)
    labelled = [(title, groups, weight) for title, groups, weight in labelled if title.strip()]
    if not labelled:
        return GroupInferrer().fit(titles, profiles, names, ids)
    extra = np.array([[1.0 if g in groups else 0.0 for g in ids] for _, groups, _ in labelled])
    return GroupInferrer().fit(titles + [[title] for title, _, _ in labelled], np.vstack([profiles, extra]),
                               names + [f"{title} (your label)" for title, _, _ in labelled], ids,
                               np.concatenate([np.ones(len(names)), [w for _, _, w in labelled]]))
