"""What scoring returns: a posting's result, its signals, and a batch row."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from servicelens.evidence.groups import CustomerGroup
from servicelens.model.occupations import OccupationMatch

TOP_SIGNALS = 5


@dataclass(frozen=True)
class Signal:
    """A customer-facing phrase (or a whole unit, when the learned model found it) that moved the score.

    ``start``/``end`` index the text as given (``text`` is the cleaned phrase); a signal in a
    separately given title has no offsets. ``contribution`` is in score points: ``Result.base``
    + ``Result.title_contribution`` + every signal's contribution + ``Result.other`` = ``Result.cs_score``.
    It is what the phrase's evidence adds; it is below 0 only for a negation (and, in models
    before 0.2, where the final weights of a category were negative).
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
    """One posting's batch row: its scores, the groups it names, its strongest phrase signals and the
    O*NET occupation it most likely is."""

    cs_score: float
    band: str
    external: float
    internal: float
    groups: tuple[str, ...]  # by confidence, at or above the report threshold
    signals: tuple[str, ...]  # phrases, strongest first
    onet: OccupationMatch | None = None


@dataclass
class Result:
    cs_score: float
    band: str
    external: float
    internal: float
    base: float
    title_contribution: float  # what the job title says (its words and the O*NET prior of its occupation)
    other: float  # the posting's words that are no marked signal (the text model), and clipping at 0/100
    signals: list[Signal] = field(default_factory=list)
    groups: list[CustomerGroup] = field(default_factory=list)  # by confidence; ``groups.reported`` names them
    model_version: str = ""
    title: str | None = None
    source: str | None = None
    #: The O*NET reference, kept apart from the score: the occupations the title most likely is,
    #: with O*NET's own "Deal With External Customers" rating (0-100).
    onet: list[OccupationMatch] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def top_signals(self, n: int = TOP_SIGNALS) -> list[Signal]:
        return sorted(self.signals, key=lambda s: -abs(s.contribution))[:n]
