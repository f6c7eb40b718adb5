"""Score bands, anchored to the O*NET Work Context scale the score is calibrated to.

"Deal With External Customers" is rated 1-5 and rescaled to 0-100, so 25 = fairly important,
50 = important, 75 = very important, 100 = extremely important. Band cut points sit halfway
between those anchors.
"""
from __future__ import annotations

BANDS: tuple[tuple[str, float], ...] = (("low", 0.0), ("moderate", 37.5), ("high", 62.5), ("core", 87.5))
BAND_NAMES = tuple(name for name, _ in BANDS)
BAND_MEANING = {
    "low": "serving people is not or only fairly important (O*NET 0-37)",
    "moderate": "serving people is important (O*NET about 50)",
    "high": "serving people is very important (O*NET about 75)",
    "core": "serving people is the heart of the job (O*NET about 100)",
}


def band(score: float) -> str:
    name = BANDS[0][0]
    for candidate, lower in BANDS:
        if score >= lower:
            name = candidate
    return name
