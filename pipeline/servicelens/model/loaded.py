"""Score postings: prepare (clean, segment, sections) -> score -> explain. The Python API lives here."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from servicelens.bands import band
from servicelens.evidence.categories import CATEGORIES
from servicelens.errors import Errors, InputError, ModelError
from servicelens.evidence.group_inference import GroupInferrer
from servicelens.evidence.group_confidence import check_confidence
from servicelens.evidence.groups import (CustomerGroup, Evidence, GroupRules, Scorer, candidates, customer_groups, feature_names,
                     named, rule_confidence)
from servicelens.model.linear import Logistic
from servicelens.model.store import PARTS_FILE, load_parts, model_version
from servicelens.paths import resource
from servicelens.reading.posting import PreparedPosting, prepare
from servicelens.model.registry import resolve_model
from servicelens.model.scorer import Contributions, PostingScorer
from servicelens.reading.sections import SectionRules

#: The names of a model's parts in its folder (``store.PARTS_FILE``).
SCORER, GROUPS, GROUP_CONFIDENCE = "scorer", "groups", "group_confidence"
TOP_SIGNALS = 5
#: Phrases a batch row names in ``top_signals``.
ROW_SIGNALS = 3
_PHRASE_CHARS = 60
#: A unit the sentence model alone marks needs at least this much evidence to be shown as a signal.
MODEL_SIGNAL_MIN = 0.25


@dataclass(frozen=True)
class Signal:
    """A customer-facing phrase (or a whole unit, when the learned model found it) that moved the score.

    ``start``/``end`` index the text as given (``text`` is the cleaned phrase); a signal in a
    separately given title has no offsets. ``contribution`` is in score points: ``Result.base``
    + ``Result.title_contribution`` + every signal's contribution + ``Result.other`` = ``Result.cs_score``.
    """

    text: str
    start: int | None
    end: int | None
    unit: int | None
    section: str
    category: str
    polarity: str
    confidence: float
    contribution: float
    source: str


@dataclass(frozen=True)
class RowScore:
    """One posting's batch row: its scores, the groups it names and its strongest phrase signals."""

    cs_score: float
    band: str
    external: float
    internal: float
    groups: tuple[str, ...]  # by confidence, at or above the report threshold
    signals: tuple[str, ...]  # phrases, strongest first


@dataclass
class Result:
    cs_score: float
    band: str
    external: float
    internal: float
    base: float
    title_contribution: float  # what the job title says
    other: float  # text that is not a marked signal (words the model weighs), and clipping at 0/100
    signals: list[Signal] = field(default_factory=list)
    groups: list[CustomerGroup] = field(default_factory=list)  # by confidence; ``groups.reported`` names them
    model_version: str = ""
    title: str | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def top_signals(self, n: int = TOP_SIGNALS) -> list[Signal]:
        return sorted(self.signals, key=lambda s: -abs(s.contribution))[:n]


class Model:
    """A loaded, verified model folder that scores posting text."""

    def __init__(self, folder: Path):
        folder = Path(folder)
        parts, meta = load_parts(folder)
        if SCORER not in parts:
            raise ModelError(Errors.E025.format(path=folder, name=f"{PARTS_FILE}: {SCORER}"))
        self._assemble(PostingScorer.from_state(*parts[SCORER]), meta,
                       GroupInferrer.from_state(*parts[GROUPS]) if GROUPS in parts else None,
                       Logistic.from_state(*parts[GROUP_CONFIDENCE]) if GROUP_CONFIDENCE in parts else None, folder)

    def parts(self) -> dict:
        """The model's fitted parts as ``store.save_model`` writes them."""
        return stored_parts(self.estimator, self.inferrer, self.confidence)

    @classmethod
    def from_parts(cls, estimator, meta: dict[str, Any], inferrer: GroupInferrer | None = None,
                   confidence=None) -> Model:
        """A model that is not a folder (yet): one being trained, or a retrain's candidate fitted on
        part of the labels. ``confidence`` is a fitted group confidence, recorded in
        ``meta["group_confidence"]``."""
        model = cls.__new__(cls)
        model._assemble(estimator, meta, inferrer, confidence, None)
        return model

    def _assemble(self, estimator, meta: dict[str, Any], inferrer: GroupInferrer | None, confidence,
                  path: Path | None) -> None:
        self.path = path
        self.estimator, self.meta, self.inferrer, self.confidence = estimator, meta, inferrer, confidence
        rules = meta.get("rules", {})
        self.section_rules = SectionRules(resource(rules.get("sections", "sections.v1") + ".json"))
        self.group_rules = GroupRules(resource(rules.get("groups", "customer_groups.v1") + ".json"))
        # Models before the learned confidence weigh a group's mentions by rule.
        self.group_scorer: Scorer = rule_confidence if confidence is None else check_confidence(
            confidence, meta.get("group_confidence") or {}, feature_names(self.group_rules),
            (path or Path("<model>")) / PARTS_FILE)

    @property
    def version(self) -> str:
        return model_version(self.meta)

    def prepare(self, text: str, title: str | None = None) -> PreparedPosting:
        return prepare(text, title, self.section_rules)

    def score(self, text: str, title: str | None = None, source: str | None = None) -> Result:
        """Score one posting. ``text`` may hold HTML; signal offsets index ``text`` exactly."""
        posting = self.prepare(text, title)
        if not posting.bounds and not posting.title:
            raise InputError(Errors.E008.format(path=source or "<text>"))
        units = posting.scorer_units()
        parts = self.estimator.contributions([units])
        base = parts.base()[0]
        scores = np.clip(parts.predicted[0], 0.0, 100.0)
        signals = self._signals(posting, self._signal_points(units[1:], parts))
        cs = round(float(scores[0]), 1)
        title_points = round(float(parts.title[0, 0]), 2)
        # Clipping at 0 or 100 is reported as part of `other`, so the parts still add up.
        other = cs - round(float(base[0]), 2) - title_points - sum(s.contribution for s in signals)
        return Result(cs_score=cs, band=band(cs), external=round(float(scores[1]), 1),
                      internal=round(float(scores[2]), 1), base=round(float(base[0]), 2),
                      title_contribution=title_points, other=round(other, 2), signals=signals,
                      groups=self.groups(posting), model_version=self.version,
                      title=posting.title or None, source=source)

    def groups(self, posting: PreparedPosting) -> list[CustomerGroup]:
        """Who the role serves: groups the posting names, and groups its title implies (O*NET)."""
        return self.groups_many([posting])[0]

    def inferred_confidences(self, postings: Sequence[PreparedPosting]) -> list[dict[str, float]]:
        """For each posting, the groups its title implies (O*NET) and their confidence."""
        return [{g: c for g, (c, _) in implied.items()} for implied in self._inferred(postings)]

    def _inferred(self, postings: Sequence[PreparedPosting]) -> list[dict[str, tuple[float, str]]]:
        return self.inferrer.infer([p.title for p in postings]) if self.inferrer else [{}] * len(postings)

    def groups_many(self, postings: Sequence[PreparedPosting]) -> list[list[CustomerGroup]]:
        inferred = self._inferred(postings)
        out = []
        for posting, implied in zip(postings, inferred):
            span = posting.original_span(posting.title_unit) if posting.title_unit is not None else (None, None)
            evidence = {g: Evidence(posting.title, *span, posting.title_unit, "title", c, occupation)
                        for g, (c, occupation) in implied.items()}
            out.append(customer_groups(posting, self.group_rules, self.estimator.patterns_, evidence,
                                       self.group_scorer))
        return out

    def candidates_many(self, postings: Sequence[PreparedPosting]) -> list[tuple[list[str], np.ndarray]]:
        """For each posting, the groups it may serve and their features (what the confidence weighs)."""
        return [candidates(p, self.group_rules, self.estimator.patterns_, implied)
                for p, implied in zip(postings, self.inferred_confidences(postings))]

    def group_ids_many(self, postings: Sequence[PreparedPosting]) -> list[tuple[str, ...]]:
        """The groups each posting names (as ``reported(groups)`` would), all weighed at once."""
        found = self.candidates_many(postings)
        rows = [features for groups, features in found if groups]
        confidence = self.group_scorer(np.vstack(rows)) if rows else np.zeros(0)
        out, at = [], 0
        for groups, _ in found:
            out.append(named(groups, confidence[at:at + len(groups)]))
            at += len(groups)
        return out

    @staticmethod
    def _signal_points(texts: Sequence[str], parts: Contributions) -> list[tuple[int, Any, float]]:
        """Each signal of the postings' scored units (``texts``, all in a row, as ``parts.units``), as
        (unit row, match, points): a unit's contribution shared among its signals by their confidence."""
        ev = parts.evidence
        points = parts.units[:, 0].tolist()
        # Only units with a pattern match or a confident category have signals (most have none).
        marked = (ev.evidence >= MODEL_SIGNAL_MIN).any(axis=1)
        found = []
        for k in np.flatnonzero(marked | np.fromiter(map(bool, ev.matches), dtype=bool, count=len(texts))).tolist():
            matches = unit_matches(ev, k, len(texts[k]))
            total = sum(m.confidence for m in matches) or 1.0
            found += [(k, m, points[k] * m.confidence / total) for m in matches]
        return found

    def _signals(self, posting: PreparedPosting, found: list[tuple[int, Any, float]]) -> list[Signal]:
        """The signals of one posting (``_signal_points``), strongest first."""
        signals: list[Signal] = []
        for k, match, points in found:
            unit = posting.scored[k]
            s0 = posting.bounds[unit][0]
            start, end = posting.clean.original_span(s0 + match.start, s0 + match.end)
            signals.append(Signal(
                text=posting.clean.text[s0 + match.start:s0 + match.end], start=start, end=end, unit=unit,
                section=posting.sections[unit].section, category=match.category, polarity=match.polarity,
                confidence=round(match.confidence, 3), contribution=round(points, 2), source=match.source))
        return sorted(signals, key=lambda s: -abs(s.contribution))

    def score_table(self, texts: Sequence[str], titles: Sequence[str | None] | None = None) -> np.ndarray:
        """Scores (n, 3) for many postings: cs_score, external, internal, clipped to 0-100."""
        titles = titles if titles is not None else [None] * len(texts)
        return self.scores([self.prepare(t, title) for t, title in zip(texts, titles)])

    def scores(self, postings: Sequence[PreparedPosting]) -> np.ndarray:
        """``score_table`` for postings already prepared (e.g. when their groups are wanted too)."""
        return np.clip(self.estimator.predict([p.scorer_units() for p in postings]), 0.0, 100.0)

    def rows(self, postings: Sequence[PreparedPosting]) -> list[RowScore]:
        """Batch rows for many prepared postings at once: scores, named groups, top phrases.

        A row's phrases are the signals ``score`` reports for the posting, strongest first.
        """
        units = [p.scorer_units() for p in postings]
        parts = self.estimator.contributions(units)
        scores = np.clip(parts.predicted, 0.0, 100.0)
        phrases: list[list[tuple[float, str]]] = [[] for _ in postings]
        unit_texts = [u for posting in units for u in posting[1:]]
        for k, match, points in self._signal_points(unit_texts, parts):
            phrases[parts.evidence.owners[k]].append((round(points, 2), unit_texts[k][match.start:match.end]))
        out = []
        for k, groups in enumerate(self.group_ids_many(postings)):
            cs = round(float(scores[k, 0]), 1)
            out.append(RowScore(cs, band(cs), round(float(scores[k, 1]), 1), round(float(scores[k, 2]), 1),
                                groups, _top_phrases(phrases[k])))
        return out


def stored_parts(estimator: PostingScorer, inferrer: GroupInferrer | None = None,
                 confidence: Logistic | None = None) -> dict:
    """A model's fitted parts by name, each as its state: what ``store.save_model`` writes."""
    parts = {SCORER: estimator.state()}
    if inferrer is not None:
        parts[GROUPS] = inferrer.state()
    if confidence is not None:
        parts[GROUP_CONFIDENCE] = confidence.state()
    return parts


@dataclass(frozen=True)
class _UnitMatch:
    """A whole unit marked by the learned sentence model (no phrase pattern matched)."""

    start: int
    end: int
    category: str
    confidence: float
    polarity: str = "positive"
    source: str = "model"


def unit_matches(evidence, k: int, unit_length: int) -> list:
    """The signals of scored unit ``k``: its phrase-pattern matches, or, where no pattern matched,
    the categories the learned sentence model is confident about (marking the whole unit)."""
    found = list(evidence.matches[k])
    if found:
        return found
    return [_UnitMatch(0, unit_length, c, float(evidence.evidence[k, j]))
            for j, c in enumerate(CATEGORIES) if evidence.evidence[k, j] >= MODEL_SIGNAL_MIN]


def _top_phrases(found: list[tuple[float, str]], n: int = ROW_SIGNALS) -> tuple[str, ...]:
    """The ``n`` phrases that moved the score most, each once, shortened for a table cell."""
    out: dict[str, None] = {}
    for value, text in sorted(found, key=lambda f: -abs(f[0])):
        phrase = " ".join(text.split())
        phrase = phrase if len(phrase) <= _PHRASE_CHARS else phrase[:_PHRASE_CHARS - 3] + "..."
        said = phrase.lower()
        if value and not any(said in p.lower() or p.lower() in said for p in out):  # "plan" beside "plans"
            out[phrase if value > 0 else f"{phrase} (−)"] = None  # (−): it took points off
        if len(out) == n:
            break
    return tuple(out)


def load_model(path: str | os.PathLike | None = None) -> Model:
    """Load a model folder (default: ``$SERVICELENS_MODEL`` or the registry's active model)."""
    return Model(resolve_model(path))


__all__ = ["Model", "Result", "RowScore", "Signal", "load_model"]
