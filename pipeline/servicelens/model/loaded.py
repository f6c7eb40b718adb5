"""Score postings: prepare (clean, segment, sections) -> score -> explain. The Python API lives here."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from servicelens import bands as legacy_bands
from servicelens import scale
from servicelens.errors import Errors, InputError, ModelError
from servicelens.evidence.categories import CATEGORIES
from servicelens.evidence.group_confidence import check_confidence
from servicelens.evidence.group_inference import GroupInferrer
from servicelens.evidence.group_model import GroupModel
from servicelens.evidence.groups import (FEATURES, REPORT_THRESHOLD, CustomerGroup, Evidence, GroupRules, Scorer,
                                         candidates, customer_groups, feature_names, named, rule_confidence)
from servicelens.model.explain import Contributions
from servicelens.model.group_reading import learned_groups
from servicelens.model.linear import Logistic
from servicelens.model.registry import resolve_model
from servicelens.model.results import Result, RowScore, Signal
from servicelens.model.scorer import PostingScorer
from servicelens.model.store import PARTS_FILE, load_parts, model_version
from servicelens.paths import resource
from servicelens.reading.posting import PreparedPosting, prepare
from servicelens.reading.sections import SectionRules

#: The names of a model's parts in its folder (``store.PARTS_FILE``).
SCORER, GROUPS, GROUP_CONFIDENCE, GROUP_MODEL = "scorer", "groups", "group_confidence", "group_model"
#: Phrases a batch row names in ``top_signals``.
ROW_SIGNALS = 3
_PHRASE_CHARS = 60
#: A unit the sentence model alone marks needs at least this much evidence to be shown as a signal.
MODEL_SIGNAL_MIN = 0.25


class Model:
    """A loaded, verified model folder that scores posting text."""

    def __init__(self, folder: Path):
        folder = Path(folder)
        parts, meta = load_parts(folder)
        if SCORER not in parts:
            raise ModelError(Errors.E025.format(path=folder, name=f"{PARTS_FILE}: {SCORER}"))
        group_model = GroupModel.from_state(*parts[GROUP_MODEL]) if GROUP_MODEL in parts else None
        if group_model is not None and parts[GROUP_MODEL][0].get("rule_features") != list(FEATURES):
            raise ModelError(Errors.E096.format(path=folder / PARTS_FILE))
        self._assemble(PostingScorer.from_state(*parts[SCORER]), meta,
                       GroupInferrer.from_state(*parts[GROUPS]) if GROUPS in parts else None,
                       Logistic.from_state(*parts[GROUP_CONFIDENCE]) if GROUP_CONFIDENCE in parts else None, folder,
                       group_model)

    def parts(self) -> dict:
        """The model's fitted parts as ``store.save_model`` writes them."""
        return stored_parts(self.estimator, self.inferrer, self.confidence, self.group_model)

    @classmethod
    def from_parts(cls, estimator, meta: dict[str, Any], inferrer: GroupInferrer | None = None,
                   confidence=None, group_model: GroupModel | None = None) -> Model:
        """A model that is not a folder (yet): one being trained, or a retrain's candidate fitted on
        part of the labels. ``confidence`` is a fitted group confidence, recorded in
        ``meta["group_confidence"]`` (models before 0.2)."""
        model = cls.__new__(cls)
        model._assemble(estimator, meta, inferrer, confidence, None, group_model)
        return model

    def _assemble(self, estimator, meta: dict[str, Any], inferrer: GroupInferrer | None, confidence,
                  path: Path | None, group_model: GroupModel | None = None) -> None:
        self.path = path
        self.estimator, self.meta, self.inferrer, self.confidence = estimator, meta, inferrer, confidence
        self.group_model = group_model
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

    def band(self, score: float) -> str:
        """The score's band on the model's scale (models before 0.2: the O*NET-anchored bands)."""
        return scale.band(score) if self.meta.get("scale") else legacy_bands.band(score)

    def prepare(self, text: str, title: str | None = None) -> PreparedPosting:
        return prepare(text, title, self.section_rules)

    def score(self, text: str, title: str | None = None, source: str | None = None) -> Result:
        """Score one posting. ``text`` may hold HTML; signal offsets index ``text`` exactly."""
        return self.score_prepared(self.prepare(text, title), source)

    def score_prepared(self, posting: PreparedPosting, source: str | None = None) -> Result:
        """``score`` for a posting already prepared (by ``prepare``, with this model's rules)."""
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
        return Result(cs_score=cs, band=self.band(cs), external=round(float(scores[1]), 1),
                      internal=round(float(scores[2]), 1), base=round(float(base[0]), 2),
                      title_contribution=title_points, other=round(other, 2), signals=signals,
                      groups=self.groups_many([posting], parts.text_features)[0], model_version=self.version,
                      title=posting.title or None, source=source, onet=self.onet_reference([posting.title])[0])

    # -- the O*NET reference -----------------------------------------------------------------
    def onet_reference(self, titles: Sequence[str]) -> list[list]:
        """For each title, the O*NET occupations it most likely is (none for models without a matcher)."""
        matcher = getattr(self.estimator, "occupations_", None)
        return matcher.reference(list(titles)) if matcher is not None else [[] for _ in titles]

    # -- customer groups ---------------------------------------------------------------------
    def groups(self, posting: PreparedPosting) -> list[CustomerGroup]:
        """Who the role serves: groups the posting names, and groups its words, title or O*NET
        occupation imply."""
        return self.groups_many([posting])[0]

    def inferred(self, postings: Sequence[PreparedPosting]) -> list[dict[str, tuple[float, str]]]:
        """For each posting, the groups its title implies through O*NET: confidence and occupation."""
        return self.inferrer.infer([p.title for p in postings]) if self.inferrer else [{}] * len(postings)

    def inferred_confidences(self, postings: Sequence[PreparedPosting]) -> list[dict[str, float]]:
        return [{g: c for g, (c, _) in implied.items()} for implied in self.inferred(postings)]

    def groups_many(self, postings: Sequence[PreparedPosting], text_X=None) -> list[list[CustomerGroup]]:
        if self.group_model is not None:
            return learned_groups(self, postings, text_X)
        out = []
        for posting, implied in zip(postings, self.inferred(postings)):
            span = posting.original_span(posting.title_unit) if posting.title_unit is not None else (None, None)
            evidence = {g: Evidence(posting.title, *span, posting.title_unit, "title", c, occupation)
                        for g, (c, occupation) in implied.items()}
            out.append(customer_groups(posting, self.group_rules, self.estimator.patterns_, evidence,
                                       self.group_scorer))
        return out

    def candidates_many(self, postings: Sequence[PreparedPosting]) -> list[tuple[list[str], np.ndarray]]:
        """For each posting, the groups it may serve and their rule features (models before 0.2)."""
        return [candidates(p, self.group_rules, self.estimator.patterns_, implied)
                for p, implied in zip(postings, self.inferred_confidences(postings))]

    def group_ids_many(self, postings: Sequence[PreparedPosting], text_X=None) -> list[tuple[str, ...]]:
        """The groups each posting names (as ``reported(groups)`` would), all weighed at once."""
        if self.group_model is not None:
            return [tuple(g.group for g in groups if g.confidence >= REPORT_THRESHOLD)
                    for groups in learned_groups(self, postings, text_X)]
        found = self.candidates_many(postings)
        rows = [features for groups, features in found if groups]
        confidence = self.group_scorer(np.vstack(rows)) if rows else np.zeros(0)
        out, at = [], 0
        for groups, _ in found:
            out.append(named(groups, confidence[at:at + len(groups)]))
            at += len(groups)
        return out

    # -- signals -----------------------------------------------------------------------------
    @staticmethod
    def _signal_points(texts: Sequence[str], parts: Contributions) -> list[tuple[int, Any, float]]:
        """Each signal of the postings' scored units (``texts``, all in a row, as ``parts.signals``), as
        (unit row, match, points): what a unit's evidence adds, shared among its signals by their
        confidence. A unit's words are not a phrase's doing: they go to ``Result.other``."""
        ev = parts.evidence
        points = parts.signals[:, 0].tolist()
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

    # -- many postings -----------------------------------------------------------------------
    def score_table(self, texts: Sequence[str], titles: Sequence[str | None] | None = None) -> np.ndarray:
        """Scores (n, 3) for many postings: cs_score, external, internal, clipped to 0-100."""
        titles = titles if titles is not None else [None] * len(texts)
        return self.scores([self.prepare(t, title) for t, title in zip(texts, titles)])

    def scores(self, postings: Sequence[PreparedPosting]) -> np.ndarray:
        """``score_table`` for postings already prepared (e.g. when their groups are wanted too)."""
        return np.clip(self.estimator.predict([p.scorer_units() for p in postings]), 0.0, 100.0)

    def rows(self, postings: Sequence[PreparedPosting]) -> list[RowScore]:
        """Batch rows for many prepared postings at once: scores, named groups, top phrases, the
        O*NET occupation. A row's phrases are the signals ``score`` reports for the posting."""
        units = [p.scorer_units() for p in postings]
        parts = self.estimator.contributions(units)
        scores = np.clip(parts.predicted, 0.0, 100.0)
        phrases: list[list[tuple[float, str]]] = [[] for _ in postings]
        unit_texts = [u for posting in units for u in posting[1:]]
        for k, match, points in self._signal_points(unit_texts, parts):
            phrases[parts.evidence.owners[k]].append((round(points, 2), unit_texts[k][match.start:match.end]))
        reference = self.onet_reference([p.title for p in postings])
        out = []
        for k, groups in enumerate(self.group_ids_many(postings, parts.text_features)):
            cs = round(float(scores[k, 0]), 1)
            out.append(RowScore(cs, self.band(cs), round(float(scores[k, 1]), 1), round(float(scores[k, 2]), 1),
                                groups, _top_phrases(phrases[k]), reference[k][0] if reference[k] else None))
        return out


def stored_parts(estimator: PostingScorer, inferrer: GroupInferrer | None = None,
                 confidence: Logistic | None = None, group_model: GroupModel | None = None) -> dict:
    """A model's fitted parts by name, each as its state: what ``store.save_model`` writes."""
    parts = {SCORER: estimator.state()}
    if inferrer is not None:
        parts[GROUPS] = inferrer.state()
    if confidence is not None:
        parts[GROUP_CONFIDENCE] = confidence.state()
    if group_model is not None:
        parts[GROUP_MODEL] = group_model.state()
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
    """Load a model folder (default: ``$SERVICELENS_MODEL`` or the active model)."""
    return Model(resolve_model(path))


__all__ = ["Model", "Result", "RowScore", "Signal", "load_model"]
