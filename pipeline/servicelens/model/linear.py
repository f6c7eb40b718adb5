"""Fitted linear parts as plain arrays: TF-IDF weightings, linear and logistic layers.

A model folder stores these and nothing else: each part is a few NumPy arrays and a small JSON
spec, so loading one runs no code from the folder, and scoring needs NumPy and SciPy only (not
scikit-learn, whose import alone takes longer than scoring a posting). Training fits the parts
with scikit-learn and turns each fitted piece into one of these (``from_sklearn``); they compute
what the fitted pieces compute, to the last bit for the weighting (tests check it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

#: scikit-learn's default token pattern, "(?u)\\b\\w\\w+\\b": the same tokens.
WORD_TOKEN = re.compile(r"\w\w+")
_SPACES = re.compile(r"\s\s+")
ANALYZERS = ("word", "unit_word", "char_wb", "title_word")

State = tuple[dict[str, Any], dict[str, np.ndarray]]  # (JSON spec, arrays)


def nested(**parts: State) -> State:
    """One state holding several: each part's spec under its name, its arrays under ``name/key``."""
    spec = {name: part_spec for name, (part_spec, _) in parts.items()}
    arrays = {f"{name}/{key}": value for name, (_, part_arrays) in parts.items() for key, value in part_arrays.items()}
    return spec, arrays


def unnest(spec: dict[str, Any], arrays: dict[str, np.ndarray], name: str) -> State:
    """Part ``name`` of a state ``nested`` made."""
    prefix = name + "/"
    return spec[name], {key[len(prefix):]: value for key, value in arrays.items() if key.startswith(prefix)}


def sparse_arrays(name: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    """A CSR matrix as the plain arrays ``name/data``, ``name/indices``, ``name/indptr``, ``name/shape``."""
    return {f"{name}/data": matrix.data, f"{name}/indices": matrix.indices, f"{name}/indptr": matrix.indptr,
            f"{name}/shape": np.array(matrix.shape)}


def sparse_from_arrays(name: str, arrays: dict[str, np.ndarray]) -> sp.csr_matrix:
    """The CSR matrix ``sparse_arrays`` stored under ``name``."""
    return sp.csr_matrix((arrays[f"{name}/data"], arrays[f"{name}/indices"], arrays[f"{name}/indptr"]),
                         shape=tuple(arrays[f"{name}/shape"]))


def word_ngrams(text: str, ngram_range: tuple[int, int] = (1, 2)) -> list[str]:
    """scikit-learn's word analyzer: lowercase, default tokens, n-grams joined by a space."""
    tokens = WORD_TOKEN.findall(text.lower())
    lo, hi = ngram_range
    if hi == 1:
        return tokens
    out = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), hi + 1):
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def unit_word_ngrams(text: str, ngram_range: tuple[int, int] = (1, 2)) -> list[str]:
    """Word n-grams that never cross a line: each unit of a posting (one per line) on its own."""
    return [term for line in text.split("\n") for term in word_ngrams(line, ngram_range)]


def _singular(token: str) -> str:
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith("ss") and len(token) > 3:
        return token[:-1]
    return token


def title_word_ngrams(text: str, ngram_range: tuple[int, int] = (1, 2)) -> list[str]:
    """Word 1-2-grams of a job title with each word made singular ("Registered Nurses" reads as
    "Registered Nurse"): titles name one worker or many."""
    tokens = [_singular(t) for t in WORD_TOKEN.findall(text.lower())]
    return tokens + [" ".join(pair) for pair in zip(tokens, tokens[1:])]


def char_wb_ngrams(text: str, ngram_range: tuple[int, int] = (3, 5)) -> list[str]:
    """scikit-learn's ``char_wb`` analyzer: character n-grams inside word boundaries, padded by a space."""
    lo, hi = ngram_range
    out = []
    for word in _SPACES.sub(" ", text.lower()).split():
        word = f" {word} "
        length = len(word)
        for n in range(lo, hi + 1):
            offset = 0
            out.append(word[offset:offset + n])
            while offset + n < length:
                offset += 1
                out.append(word[offset:offset + n])
            if offset == 0:  # the word is shorter than n: one n-gram of it
                break
    return out


_ANALYZE = {"word": word_ngrams, "unit_word": unit_word_ngrams, "char_wb": char_wb_ngrams,
            "title_word": title_word_ngrams}


@dataclass
class Tfidf:
    """A fitted TF-IDF weighting: ``terms`` in column order, their ``idf``, and how counts are weighed."""

    terms: list[str]
    idf: np.ndarray
    analyzer: str = "word"
    ngram_range: tuple[int, int] = (1, 2)
    sublinear: bool = True
    norm: bool = True
    dtype: str = "float64"

    def __post_init__(self):
        if self.analyzer not in ANALYZERS:
            raise ValueError(f"unknown analyzer {self.analyzer!r}")
        self.ngram_range = tuple(self.ngram_range)

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        return {term: i for i, term in enumerate(self.terms)}

    def counts(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Raw term counts (docs x terms), duplicates summed, indices sorted."""
        analyze, get = _ANALYZE[self.analyzer], self.vocabulary.get
        rows, cols = [], []
        for i, doc in enumerate(docs):
            found = [j for j in map(get, analyze(doc, self.ngram_range)) if j is not None]
            cols.extend(found)
            rows.extend([i] * len(found))
        counts = sp.csr_matrix((np.ones(len(cols), dtype=self.dtype), (rows, cols)),
                               shape=(len(docs), len(self.terms)))
        counts.sum_duplicates()
        return counts

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        return self.weigh(self.counts(docs))

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """The weighting applied to raw counts, as scikit-learn's ``TfidfTransformer.transform``."""
        matrix = counts.astype(self.dtype)
        matrix.sum_duplicates()
        if self.sublinear:
            np.log(matrix.data, matrix.data)
            matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        if self.norm and matrix.shape[0]:
            normalize_rows(matrix)
        return matrix

    def state(self) -> State:
        spec = {"analyzer": self.analyzer, "ngram_range": list(self.ngram_range), "sublinear": self.sublinear,
                "norm": self.norm, "dtype": self.dtype}
        # Terms hold no line break (tokens are word characters; character n-grams stop at spaces):
        # one line each, in UTF-8, loads far faster than an array of strings.
        terms = np.frombuffer("\n".join(self.terms).encode("utf-8"), dtype=np.uint8)
        return spec, {"terms": terms, "idf": self.idf}

    @classmethod
    def from_state(cls, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> Tfidf:
        terms = arrays["terms"].tobytes().decode("utf-8").split("\n") if len(arrays["terms"]) else []
        return cls(terms, arrays["idf"], spec["analyzer"], spec["ngram_range"], spec["sublinear"], spec["norm"],
                   spec["dtype"])

    @classmethod
    def from_sklearn(cls, vectorizer, analyzer: str | None = None) -> Tfidf:
        """A fitted ``TfidfVectorizer`` (lowercase, default tokens, l2 norm or none)."""
        terms = [t for t, _ in sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])]
        kind = analyzer or vectorizer.analyzer
        dtype = np.dtype(vectorizer.dtype).name
        ngram_range = (1, 2) if kind in ("unit_word", "title_word") else vectorizer.ngram_range  # the analyzer's own
        return cls(terms, np.asarray(vectorizer.idf_, dtype=np.float64), kind, ngram_range,
                   bool(vectorizer.sublinear_tf), vectorizer.norm == "l2", dtype)


def normalize_rows(matrix: sp.csr_matrix) -> None:
    """Scale each row of a CSR matrix to unit length, in place, exactly as scikit-learn's l2
    ``normalize``: squares in the data's precision, summed in double precision in row order."""
    lengths = np.diff(matrix.indptr)
    squares = (matrix.data * matrix.data).astype(np.float64)
    # A running sum over each row's k-th entry, k = 0, 1, ...: the same additions in the same order
    # as a loop over each row (NumPy's own reductions add pairwise, which rounds differently).
    by_length = np.argsort(-lengths, kind="stable")
    starts = matrix.indptr[:-1][by_length]
    remaining = lengths[by_length]
    sums = np.zeros(len(lengths))
    for k in range(int(remaining[0]) if len(remaining) else 0):
        rows = int(np.searchsorted(-remaining, -k, side="left"))  # rows longer than k come first
        sums[:rows] += squares[starts[:rows] + k]
    norms = np.ones(len(lengths))
    norms[by_length] = np.where(sums > 0.0, np.sqrt(sums), 1.0)
    matrix.data = (matrix.data / np.repeat(norms, lengths)).astype(matrix.dtype, copy=False)


@dataclass
class Linear:
    """``X @ coef.T + intercept``: a fitted ridge (targets x features)."""

    coef: np.ndarray
    intercept: np.ndarray

    def predict(self, X) -> np.ndarray:
        return np.asarray(X @ self.coef.T) + self.intercept

    def state(self) -> State:
        return {}, {"coef": self.coef, "intercept": self.intercept}

    @classmethod
    def from_state(cls, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> Linear:
        return cls(arrays["coef"], arrays["intercept"])

    @classmethod
    def from_sklearn(cls, model) -> Linear:
        return cls(np.atleast_2d(model.coef_).astype(np.float64), np.atleast_1d(model.intercept_).astype(np.float64))


@dataclass
class Logistic:
    """One logistic regression per class, each on its own (one-vs-rest): ``predict_proba`` is
    the probability of each class (samples x classes). ``mean`` and ``scale`` standardise the
    features first when given."""

    coef: np.ndarray
    intercept: np.ndarray
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    n_features: int = field(init=False)

    def __post_init__(self):
        self.n_features = self.coef.shape[1]

    def predict_proba(self, X) -> np.ndarray:
        if self.mean is not None:
            X = (np.asarray(X) - self.mean) / self.scale
        return expit(np.asarray(X @ self.coef.T) + self.intercept)

    def state(self) -> State:
        arrays = {"coef": self.coef, "intercept": self.intercept}
        if self.mean is not None:
            arrays.update(mean=self.mean, scale=self.scale)
        return {}, arrays

    @classmethod
    def from_state(cls, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> Logistic:
        return cls(arrays["coef"], arrays["intercept"], arrays.get("mean"), arrays.get("scale"))

    @classmethod
    def from_sklearn(cls, model) -> Logistic:
        """A fitted binary ``LogisticRegression``, a ``OneVsRestClassifier`` of them, or a
        ``Pipeline`` of a ``StandardScaler`` and one of those."""
        mean = scale = None
        if hasattr(model, "steps"):
            scaler, model = model.steps[0][1], model.steps[-1][1]
            mean, scale = scaler.mean_.astype(np.float64), scaler.scale_.astype(np.float64)
        estimators = getattr(model, "estimators_", [model])
        coef = np.vstack([np.atleast_2d(e.coef_) for e in estimators]).astype(np.float64)
        intercept = np.concatenate([np.atleast_1d(e.intercept_) for e in estimators]).astype(np.float64)
        return cls(coef, intercept, mean, scale)


@dataclass
class TfidfLinear:
    """A TF-IDF weighting and a ridge over it (the text and title models)."""

    tfidf: Tfidf
    linear: Linear

    def predict(self, docs: Sequence[str]) -> np.ndarray:
        return self.linear.predict(self.tfidf.transform(docs))

    def state(self) -> State:
        return nested(tfidf=self.tfidf.state(), linear=self.linear.state())

    @classmethod
    def from_state(cls, spec: dict, arrays: dict) -> TfidfLinear:
        return cls(Tfidf.from_state(*unnest(spec, arrays, "tfidf")), Linear.from_state(*unnest(spec, arrays, "linear")))

    @classmethod
    def from_sklearn(cls, pipeline, analyzer: str | None = None) -> TfidfLinear:
        return cls(Tfidf.from_sklearn(pipeline.steps[0][1], analyzer), Linear.from_sklearn(pipeline.steps[-1][1]))


@dataclass
class TfidfLogistic:
    """A TF-IDF weighting and one logistic regression per category over it (the sentence model)."""

    tfidf: Tfidf
    logistic: Logistic

    def predict_proba(self, docs: Sequence[str]) -> np.ndarray:
        return self.logistic.predict_proba(self.tfidf.transform(docs))

    def state(self) -> State:
        return nested(tfidf=self.tfidf.state(), logistic=self.logistic.state())

    @classmethod
    def from_state(cls, spec: dict, arrays: dict) -> TfidfLogistic:
        return cls(Tfidf.from_state(*unnest(spec, arrays, "tfidf")),
                   Logistic.from_state(*unnest(spec, arrays, "logistic")))

    @classmethod
    def from_sklearn(cls, pipeline) -> TfidfLogistic:
        return cls(Tfidf.from_sklearn(pipeline.steps[0][1]), Logistic.from_sklearn(pipeline.steps[-1][1]))
