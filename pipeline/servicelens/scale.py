"""The scale the score is on (``docs/scale.md``): two parts, how they combine, five bands.

The customer-service score is ``max(E, I) + 0.2 * min(E, I)``, at most 100, from the external part
``E`` and the internal part ``I``, each 0-100 on the same anchors. The bands cut the score at 20,
40, 60 and 80.
"""
from __future__ import annotations

SCALE_VERSION = "v1"
#: The smaller part counts this much beside the larger one.
SECOND_PART_WEIGHT = 0.2
#: (lowest score, band number, name, meaning), from the top band down.
BANDS = (
    (80.0, 5, "core", "serving people is the job"),
    (60.0, 4, "central", "service is central"),
    (40.0, 3, "regular", "a regular part of the job"),
    (20.0, 2, "occasional", "dealings with the people served are occasional or indirect"),
    (0.0, 1, "minimal", "no one is served directly"),
)
BAND_NAMES = tuple(name for _, _, name, _ in reversed(BANDS))  # minimal ... core
BAND_MEANING = {name: meaning for _, _, name, meaning in BANDS}
#: Each band's lowest score, by name (top band first); every band is ``BAND_WIDTH`` points wide.
BAND_LOW = {name: low for low, _, name, _ in BANDS}
BAND_WIDTH = 20.0


def combine(external: float, internal: float) -> float:
    """The score from its two parts: the larger, plus a fifth of the smaller, at most 100."""
    return min(100.0, max(external, internal) + SECOND_PART_WEIGHT * min(external, internal))


def band_number(score: float) -> int:
    """1 (minimal) to 5 (core)."""
    for low, number, _, _ in BANDS:
        if score >= low:
            return number
    return 1


def band(score: float) -> str:
    """The band's name: ``minimal``, ``occasional``, ``regular``, ``central`` or ``core``."""
    return BAND_NAMES[band_number(score) - 1]


def band_middle(name: str) -> float:
    """The middle of a band (a label given as a band only)."""
    return BAND_LOW[name] + BAND_WIDTH / 2
