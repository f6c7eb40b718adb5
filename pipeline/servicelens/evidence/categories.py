"""The customer-facing signal categories and how O*NET work activities map onto them."""
from __future__ import annotations

CATEGORIES = ("service", "care", "selling", "complaints", "external_comm", "advising", "internal")
CATEGORY_LABELS = {
    "service": "direct service to customers or the public",
    "care": "care for patients or clients' wellbeing",
    "selling": "selling and account management",
    "complaints": "complaints and conflict resolution",
    "external_comm": "external communication and liaison",
    "advising": "advising, teaching and consulting",
    "internal": "internal service to colleagues, departments and stakeholders",
}
EXTERNAL_CATEGORIES = tuple(c for c in CATEGORIES if c != "internal")

#: O*NET sentence-table label (a Generalized Work Activity) -> signal category used to learn it.
#: "relationships" (4.A.4.a.4) is left out: it is as often about co-workers as about customers.
GWA_CATEGORY = {
    "public": "service",
    "caring": "care",
    "selling": "selling",
    "conflict": "complaints",
    "outside": "external_comm",
    "advising": "advising",
    "teaching": "advising",
    "internal": "internal",
}
