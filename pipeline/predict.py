"""Score postings: read -> clean -> segment -> score -> explain. The Python API lives here."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .bands import band
from .clean import clean_text
from .errors import Errors, InputError
from .model_store import load_estimator
from .registry import resolve_model
from .segment import unit_bounds

TOP_SIGNALS = 5


@dataclass(frozen=True)
class Signal:
    """A piece of the posting that moved the score.

    ``text`` is the cleaned unit; ``start``/``end`` index the text as given (so ``raw[start:end]``
    may include markup). A signal from a separately given title has no offsets and no unit.
    """

    text: str
    start: int | None
    end: int | None
    unit: int | None
    contribution: float


@dataclass
class Result:
    cs_score: float
    band: str
    external: float
    internal: float
    base: float
    signals: list[Signal] = field(default_factory=list)
    model_version: str = ""
    title: str | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Model:
    """A loaded, verified model folder that scores posting text."""

    def __init__(self, folder: Path):
        self.path = Path(folder)
        self.estimator, self.meta = load_estimator(self.path)

    @property
    def version(self) -> str:
        return f"{self.meta.get('name', 'servicelens')}-{self.meta.get('version', '?')}"

    def score(self, text: str, title: str | None = None, source: str | None = None) -> Result:
        """Score one posting. ``text`` may hold HTML; signal offsets index ``text`` exactly."""
        clean = clean_text(text)
        bounds = unit_bounds(clean.text)
        units = [clean.text[s:e] for s, e in bounds]
        if title and title.strip():
            units.insert(0, title.strip())
        if not units:
            raise InputError(Errors.E008.format(path=source or "<text>"))
        base, contributions = self.estimator.explain(units)
        scores = np.clip(base + contributions.sum(axis=0), 0.0, 100.0)
        offset = 1 if title and title.strip() else 0
        signals = []
        for i in np.argsort(-contributions[:, 0], kind="stable"):
            if contributions[i, 0] <= 0 or len(signals) >= TOP_SIGNALS:
                break
            contribution = round(float(contributions[i, 0]), 2)
            if i < offset:
                signals.append(Signal(units[i], None, None, None, contribution))
                continue
            start, end = clean.original_span(*bounds[i - offset])
            signals.append(Signal(units[i], start, end, int(i - offset), contribution))
        cs, external, internal = (round(float(v), 1) for v in scores[:3])
        return Result(cs_score=cs, band=band(cs), external=external, internal=internal,
                      base=round(float(base[0]), 2), signals=signals, model_version=self.version,
                      title=title, source=source)

    def score_texts(self, texts: Iterable[str]) -> np.ndarray:
        """Scores (n, 3) for plain texts: cs_score, external, internal, clipped to 0-100."""
        units = [[t[s:e] for s, e in unit_bounds(t)] or [t] for t in (clean_text(x).text for x in texts)]
        return np.clip(self.estimator.predict(units), 0.0, 100.0)


def load_model(path: str | os.PathLike | None = None) -> Model:
    """Load a model folder (default: ``$SERVICELENS_MODEL`` or the registry's active model)."""
    return Model(resolve_model(path))
