"""The customer groups a model reads in postings.

Models from 0.2 weigh every group of the taxonomy with a model learned from the labelled corpus
(:class:`~servicelens.evidence.group_model.GroupModel`): a group is **explicit** when the rules find
the posting naming those people as served (the evidence carries the spans), **inferred** when only
the posting's words, its title or its O*NET occupation say so (shown with at most
``INFERRED_MAX`` confidence, after the explicit ones). Every group the posting names is listed with
its evidence, however unlikely the model finds it (only those from 0.5 are *named*); an inferred
group is listed from ``MIN_SHOWN``. Customers and clients read from the same
words are one group: the posting's business decides which (``one_reading``). Models before 0.2 keep
their rules and O*NET inference (:func:`~servicelens.evidence.groups.customer_groups`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from servicelens.evidence.groups import (FEATURES, MAX_EVIDENCE, CustomerGroup, Evidence, GroupRules,
                                         candidate_features, evidence_by_group, found_evidence, read_posting)
from servicelens.reading.posting import PreparedPosting

if TYPE_CHECKING:
    from servicelens.model.loaded import Model

#: Inferred groups less likely than this are not listed (those from 0.5 are named: ``REPORT_THRESHOLD``).
MIN_SHOWN = 0.15
#: An inferred group's confidence stays below what an explicit reading can reach; nothing is certain.
INFERRED_MAX, EXPLICIT_MAX, FLOOR = 0.8, 0.99, 0.001


def learned_groups(model: Model, postings: Sequence[PreparedPosting], text_X=None) -> list[list[CustomerGroup]]:
    """Each posting's customer groups, explicit first, each by confidence. ``text_X`` is the
    postings' text TF-IDF when the scorer already computed it."""
    rules, group_model = model.group_rules, model.group_model
    ids = group_model.groups_
    inferred = model.inferred(postings)
    tensor = np.zeros((len(postings), len(ids), len(FEATURES)))
    readings = []
    for i, posting in enumerate(postings):
        units, texts, sections, found = read_posting(posting, rules, model.estimator.patterns_)
        groups, features = candidate_features(found, texts, sections, {g: c for g, (c, _) in inferred[i].items()}, rules)
        for g, row in zip(groups, features):
            tensor[i, ids.index(g)] = row[:len(FEATURES)]
        readings.append((units, texts, found))
    if text_X is None:
        text_X = model.estimator.text_matrix([p.scorer_units() for p in postings])
    title_X = model.estimator.title_model_.tfidf.transform([p.title for p in postings])
    probabilities = group_model.probabilities(tensor, text_X, title_X)
    out = []
    for i, posting in enumerate(postings):
        units, texts, found = readings[i]
        explicit = evidence_by_group(found, found_evidence(posting, units, texts, found))
        groups = []
        for j, g in enumerate(ids):
            confidence = float(probabilities[i, j])
            info = rules.groups[g]
            said = sorted(explicit.get(g, []), key=lambda e: -e.confidence)[:MAX_EVIDENCE]
            if not said and confidence < MIN_SHOWN:
                continue
            if said:
                groups.append(CustomerGroup(g, info.label, _shown(confidence, EXPLICIT_MAX), info.scope, "explicit", said))
            else:
                groups.append(CustomerGroup(g, info.label, _shown(confidence, INFERRED_MAX), info.scope,
                                            "inferred", [_why_inferred(posting, inferred[i].get(g))]))
        out.append(sorted(one_reading(groups, posting, rules), key=lambda c: (c.kind != "explicit", -c.confidence, c.group)))
    return out


def _shown(confidence: float, most: float) -> float:
    return round(min(max(confidence, FLOOR), most), 3)


def _why_inferred(posting: PreparedPosting, occupation: tuple[float, str] | None) -> Evidence:
    """An inferred group's evidence: the title, and the O*NET occupation it matched when one implies it."""
    span = posting.original_span(posting.title_unit) if posting.title_unit is not None else (None, None)
    confidence, name = occupation if occupation else (0.0, None)
    return Evidence(posting.title or "(the posting's words)", *span, posting.title_unit, "title", confidence, name)


def one_reading(groups: list[CustomerGroup], posting: PreparedPosting, rules: GroupRules) -> list[CustomerGroup]:
    """Customers and clients from the same words are one group: the one the posting's business
    says (business accounts: clients; consumers: customers), unless each has words of its own."""
    by_id = {g.group: g for g in groups}
    customers, clients = by_id.get("customers"), by_id.get("clients")
    if customers is None or clients is None or _own_words(customers, clients):
        return groups
    if (customers.kind == "explicit") != (clients.kind == "explicit"):
        winner = customers if customers.kind == "explicit" else clients
        why = "the posting names them"
    else:
        business = rules.business_reading(posting.title, "\n".join(posting.units))
        winner = clients if business else customers
        why = "the posting deals with businesses" if business else "the posting deals with consumers"
    loser = clients if winner is customers else customers
    note = Evidence(f"{winner.label} and {loser.label.lower()} are one reading here: {winner.label.lower()}, because {why}",
                    None, None, None, "reading", winner.confidence)
    merged = CustomerGroup(winner.group, winner.label, max(winner.confidence, loser.confidence) if winner.kind == loser.kind
                           else winner.confidence, winner.scope, winner.kind, [*winner.evidence, note])
    return [merged if g is winner else g for g in groups if g is not loser]


def _own_words(a: CustomerGroup, b: CustomerGroup) -> bool:
    """Both groups are explicit, each with a unit of the posting the other is not read from."""
    if a.kind != "explicit" or b.kind != "explicit":
        return False
    units_a = {e.unit for e in a.evidence if e.unit is not None}
    units_b = {e.unit for e in b.evidence if e.unit is not None}
    return bool(units_a - units_b) and bool(units_b - units_a)
