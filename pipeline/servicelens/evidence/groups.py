"""Customer groups: who a role serves, found in the words of the posting (explicit) or inferred from
the O*NET occupations its title matches (see :mod:`servicelens.evidence.group_inference`).

The taxonomy and the rules are a versioned data file (``resources/customer_groups.v5.json``; a
model keeps the version it was trained with): the terms that name each group, phrases that name
people who are not being served, the cues that show a group is being served, and context rules
that re-map a term ("visitors" to a hotel are guests, to a park the public). Plain functions over
a prepared posting; :mod:`servicelens.spacy_components` wraps them as the spaCy component ``customer_groups``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from math import log1p
from typing import Callable, Iterator, Mapping, NamedTuple, Sequence

import numpy as np
import re2

from servicelens.errors import DataError
from servicelens.reading.posting import PreparedPosting
from servicelens.rules import RuleFile, Units, compile_rule, haystack, rule_set

DEFAULT_GROUPS = "customer_groups.v5.json"
IGNORE = ""  # the "group" of a phrase that names people who are not being served
#: Confidence of one mention, by where it stands and whether the unit shows it is being served.
MENTION_CONFIDENCE = {("duties", True): 0.9, ("duties", False): 0.45,
                      ("requirements", True): 0.7, ("requirements", False): 0.35,
                      ("title", True): 0.9, ("title", False): 0.0}
#: A qualified unit ("occasionally assist customers") counts this much.
QUALIFIED_FACTOR = 0.6
#: Groups at or above this confidence are the posting's groups (batch columns, evaluation).
REPORT_THRESHOLD = 0.5
MAX_EVIDENCE = 5
#: How far (characters, same clause) a cue may stand before or after a mention to show it is served:
#: "assist walk-in customers" (cue before), "customer questions" (cue after).
CUE_BEFORE, CUE_AFTER = 60, 25
_CLAUSE_BREAK = re.compile(r"[.;:!?\n]")

_IGNORE_BATCH = 8
_LONGEST = re2.Options()
_LONGEST.case_sensitive = False
_LONGEST.longest_match = True
_LONGEST.never_capture = True


@dataclass(frozen=True)
class GroupInfo:
    id: str
    label: str
    scope: str  # external | internal
    description: str
    served_by_default: bool = False  # named in the duties means served ("stakeholders")


@dataclass(frozen=True)
class Mention:
    """A term naming a group inside one unit: ``[start, end)`` index the unit's text."""

    start: int
    end: int
    group: str
    term_group: str  # the group the term names before context rules


class Found(NamedTuple):
    """A served mention of a group in unit ``unit`` of the texts :func:`scan` reads."""

    unit: int
    mention: Mention
    group: str
    section: str
    served: bool  # a served cue stands by it (or the group is served wherever it is named)
    qualified: bool  # "occasionally assist customers"

    @property
    def confidence(self) -> float:
        return (QUALIFIED_FACTOR if self.qualified else 1.0) * MENTION_CONFIDENCE.get((self.section, self.served), 0.0)


@dataclass(frozen=True)
class Evidence:
    """Why a group was found: a span of the posting (offsets into the text as given, ``None`` for a
    separately given title) and, for an inferred group, the O*NET occupation it came from."""

    text: str
    start: int | None
    end: int | None
    unit: int | None
    section: str
    confidence: float
    occupation: str | None = None


@dataclass(frozen=True)
class CustomerGroup:
    group: str
    label: str
    confidence: float
    scope: str  # external | internal
    kind: str  # explicit | inferred
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class _Resolution:
    source: str
    target: str | None
    where: str  # unit | title | posting
    when: object
    term: object | None
    unless: object | None

    def applies(self, context: Mapping[str, str | bytes]) -> bool:
        """Whether the rule's ``when`` holds where it looks, and its ``unless`` nowhere in the posting."""
        return bool(self.when.search(context[self.where])) \
            and not (self.unless and self.unless.search(context["posting"]))


class GroupRules(RuleFile):
    """The compiled taxonomy and rules of one version of the groups file."""

    default_file = DEFAULT_GROUPS

    def _build(self, data: dict, source: str) -> None:
        self.version = f"{data['name']}.v{data['version']}"
        self.group_index = {g["id"]: i for i, g in enumerate(data["groups"])}
        self.groups = {g["id"]: GroupInfo(g["id"], g["label"], g["scope"], g["description"],
                                         bool(g.get("served_by_default", False)))
                       for g in data["groups"]}
        for info in self.groups.values():
            if info.scope not in ("external", "internal"):
                raise DataError(f"{source}: group {info.id!r} has scope {info.scope!r} (external or internal)")
        # Ignore phrases are compiled in small batches: one big alternation of them outgrows RE2's
        # DFA memory and falls back to a matcher several times slower.
        ignore = data["ignore"]
        term_lists = [(g["id"], g["terms"]) for g in data["groups"]] + \
            [(IGNORE, ignore[i:i + _IGNORE_BATCH]) for i in range(0, len(ignore), _IGNORE_BATCH)]
        self.terms = [(group, _words(terms, source)) for group, terms in term_lists]
        self.any_term = rule_set([_alternatives(terms) for _, terms in term_lists], source)
        self.served = compile_rule(data["served_cues"], source)
        self.internal_served = compile_rule(data["internal_served_cues"], source)
        self.resolution = [self._resolution(rule, source) for rule in data["resolution"]]
        self._resolution_by_group: dict[str, list[tuple[int, _Resolution]]] = {}
        for index, rule in enumerate(self.resolution):
            self._resolution_by_group.setdefault(rule.source, []).append((index, rule))

    def _resolution(self, rule: dict, source: str) -> _Resolution:
        for key in ("from", "to"):
            if rule[key] is not None and rule[key] not in self.groups:
                raise DataError(f"{source}: resolution rule names unknown group {rule[key]!r}")
        if rule["where"] not in ("unit", "title", "posting"):
            raise DataError(f"{source}: resolution 'where' must be unit, title or posting, not {rule['where']!r}")
        term = compile_rule(f"^(?:{rule['term']})$", source) if rule.get("term") else None
        unless = compile_rule(rule["unless"], source) if rule.get("unless") else None
        return _Resolution(rule["from"], rule["to"], rule["where"], compile_rule(rule["when"], source),
                           term, unless)

    def mentions(self, joined: Units) -> list[list[Mention]]:
        """Group terms in each of a posting's units, longest first where terms overlap; ignored
        phrases removed."""
        found: list[tuple[int, int, int, str]] = []
        for index in sorted(self.any_term.Match(joined.data) or ()):  # only the groups that occur at all
            group, pattern = self.terms[index]
            found.extend((k, s, e, group) for k, s, e in joined.finditer(pattern))
        found.sort(key=lambda m: (m[0], -(m[2] - m[1]), m[1]))
        kept: list[list[Mention]] = [[] for _ in joined.units]
        for k, start, end, group in found:
            if any(m.start < end and start < m.end for m in kept[k]):
                continue
            kept[k].append(Mention(start, end, group, group))
        return [sorted((m for m in unit if m.group != IGNORE), key=lambda m: m.start) if unit else []
                for unit in kept]

    def business_reading(self, title: str, text: str) -> bool:
        """Whether the posting reads as dealing with businesses: a rule that makes a posting's or a
        title's "customers" clients applies (B2B, SaaS, accounts, wholesale ...)."""
        context = {"title": haystack(title), "posting": haystack(text)}
        return any(rule.target == "clients" and rule.where in context and rule.applies(context)
                   for _, rule in self._resolution_by_group.get("customers", ()))

    def resolve(self, mention: Mention, term: str | bytes, context: dict[str, str | bytes],
                cache: dict[int, bool]) -> str | None:
        """The group a mention names in its context (``None``: not a served group after all).

        ``term`` is the mention's text and ``context`` the texts a rule's ``where`` names (``unit``,
        ``title``, ``posting``), both as :func:`~servicelens.rules.haystack` gives them; ``cache``
        keeps the title- and posting-wide rule outcomes of one posting between mentions.
        """
        for index, rule in self._resolution_by_group.get(mention.term_group, ()):
            if rule.term is not None and not rule.term.search(term):
                continue
            applies = cache.get(index) if rule.where != "unit" else None
            if applies is None:
                applies = rule.applies(context)
                if rule.where != "unit":
                    cache[index] = applies
            if applies:
                return rule.target
        return mention.term_group


def _alternatives(terms: Sequence[str]) -> str:
    return r"\b(?:" + "|".join(f"(?:{t})" for t in terms) + r")\b"


def _words(terms: Sequence[str], source: str):
    try:
        return re2.compile(_alternatives(terms), options=_LONGEST)
    except re2.error as exc:
        raise DataError(f"{source}: invalid group terms: {exc}") from exc


def found_evidence(posting: PreparedPosting, units: list[int], texts: list[str],
                   found: Sequence[Found]) -> list[Evidence]:
    """Each mention :func:`read_posting` found, as evidence (offsets into the posting's text as
    given), in the same order."""
    out = []
    for f in found:
        i = units[f.unit] if f.unit < len(units) else None
        start = end = None
        if i is not None:
            s0 = posting.bounds[i][0]
            start, end = posting.clean.original_span(s0 + f.mention.start, s0 + f.mention.end)
        out.append(Evidence(texts[f.unit][f.mention.start:f.mention.end], start, end, i, f.section,
                            round(f.confidence, 3)))
    return out


def evidence_by_group(found: Sequence[Found], evidence: Sequence[Evidence]) -> dict[str, list[Evidence]]:
    grouped: dict[str, list[Evidence]] = {}
    for f, e in zip(found, evidence):
        grouped.setdefault(f.group, []).append(e)
    return grouped


def read_posting(posting: PreparedPosting, rules: GroupRules,
                 signals=None) -> tuple[list[int], list[str], list[str], list[Found]]:
    """The units groups are read from (title, duties, requirements), as indices, texts and sections,
    and the served mentions in them. A title given apart from the text comes last, with no index."""
    scored = set(posting.scored)
    units = [i for i in range(len(posting.bounds)) if i in scored or i == posting.title_unit]
    texts = [posting.unit_text(i) for i in units]
    sections = ["title" if i == posting.title_unit else posting.sections[i].section for i in units]
    if posting.title and posting.title_unit is None:
        texts.append(posting.title)
        sections.append("title")
    return units, texts, sections, list(scan(texts, sections, posting.title, rules, signals))


def mention_evidence(posting: PreparedPosting, rules: GroupRules, signals=None) -> dict[str, list[Evidence]]:
    """Every served mention of each group the posting names, as evidence (all of them, in text order;
    :func:`customer_groups` keeps the strongest few)."""
    units, texts, _, found = read_posting(posting, rules, signals)
    return evidence_by_group(found, found_evidence(posting, units, texts, found))


def group_ids(posting: PreparedPosting, rules: GroupRules, signals=None, inferred: dict[str, float] | None = None,
              scorer: Scorer | None = None) -> tuple[str, ...]:
    """The ids ``reported(customer_groups(...))`` names, by confidence, without gathering the
    evidence (one posting; :meth:`~servicelens.model.loaded.Model.group_ids_many` weighs a batch at once)."""
    groups, features = candidates(posting, rules, signals, inferred)
    return named(groups, (scorer or rule_confidence)(features) if groups else np.zeros(0))


def candidates(posting: PreparedPosting, rules: GroupRules, signals=None,
               inferred: Mapping[str, float] | None = None) -> tuple[list[str], np.ndarray]:
    """The groups a posting may serve and their features (see :func:`candidate_features`)."""
    _, texts, sections, found = read_posting(posting, rules, signals)
    return candidate_features(found, texts, sections, inferred or {}, rules)


def named(groups: Sequence[str], confidence: np.ndarray, threshold: float = REPORT_THRESHOLD) -> tuple[str, ...]:
    """The groups whose confidence reaches ``threshold``, most confident first."""
    return tuple(g for c, g in sorted(zip((-confidence).tolist(), groups)) if -c >= threshold)


def scan(texts: Sequence[str], sections: Sequence[str], title: str, rules: GroupRules, signals=None) -> Iterator[Found]:
    """Every mention in ``texts`` that names a group as one the role may serve."""
    joined = Units(texts)
    found = rules.mentions(joined)
    if not any(found):
        return
    heads = title_heads(title)
    statements, qualifiers = signals.modality(joined) if signals is not None else ({}, {})
    cache: dict[int, bool] = {}
    context = {"title": haystack(title), "posting": joined.data}
    for k, mentions in enumerate(found):
        if not mentions:
            continue
        text = texts[k]
        context["unit"] = unit = haystack(text)
        cues: dict[str, list[tuple[int, int]]] = {}  # by scope, found when first needed
        for mention in mentions:
            group = rules.resolve(mention, unit[mention.start:mention.end], context, cache)
            if group is None or _names_worker(text, mention, heads) \
                    or (signals is not None and signals.negates(text, mention.start, mention.end, statements.get(k, []))):
                continue
            info = rules.groups[group]
            if info.scope not in cues:
                pattern = rules.internal_served if info.scope == "internal" else rules.served
                cues[info.scope] = [m.span() for m in pattern.finditer(unit)]
            served = info.served_by_default or _served(text, mention, cues[info.scope])
            # "occasionally assist customers"; not "callers who may be frightened"
            found = Found(k, mention, group, sections[k], served, qualifiers.get(k, mention.start) < mention.start)
            if found.confidence > 0:
                yield found


def _served(text: str, mention: Mention, cues: list[tuple[int, int]]) -> bool:
    """A served cue touches the mention or stands close to it in the same clause."""
    for start, end in cues:
        if start < mention.end and mention.start < end:
            return True
        if end <= mention.start and mention.start - end <= CUE_BEFORE \
                and not _CLAUSE_BREAK.search(text, end, mention.start):
            return True
        if start >= mention.end and start - mention.end <= CUE_AFTER \
                and not _CLAUSE_BREAK.search(text, mention.end, start):
            return True
    return False


_TITLE_PARTS = re.compile(r"\s*(?:[-–—/|,(]|\bat\b)\s*")
_WORD = re.compile(r"[a-z]+")


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def title_heads(title: str) -> set[str]:
    """The head noun of each part of a title ("Transit Bus Operator" -> operator): the worker."""
    heads = set()
    for part in _TITLE_PARTS.split(title.lower()):
        words = _WORD.findall(part)
        if words:
            heads.add(_singular(words[-1]))
    return heads


def _names_worker(text: str, mention: Mention, heads: set[str]) -> bool:
    """"Technicians" in an HVAC Technician posting name the worker's peers, not people served."""
    words = _WORD.findall(text[mention.start:mention.end].lower())
    return bool(words) and _singular(words[-1]) in heads


#: What :func:`candidate_features` tells of each group a posting may serve, before one column per group id.
FEATURES = ("duties_served", "duties_unserved", "requirements_served", "requirements_unserved", "title",
            "qualified", "strongest", "combined", "inferred", "share", "unit_share", "terms", "top_external",
            "most_named", "internal", "candidates")
_COMBINED, _INFERRED = FEATURES.index("combined"), FEATURES.index("inferred")
#: Features of a posting's candidate groups -> their confidence, 0-0.99, rounded to 3 places.
Scorer = Callable[[np.ndarray], np.ndarray]


def feature_names(rules: GroupRules) -> list[str]:
    """The columns of :func:`candidate_features` for these rules (a learned confidence records them)."""
    return [*FEATURES, *(f"group={g}" for g in rules.groups)]


def candidate_features(found: Sequence[Found], texts: Sequence[str], sections: Sequence[str],
                       inferred: Mapping[str, float], rules: GroupRules) -> tuple[list[str], np.ndarray]:
    """Each group the posting names or its title implies, and what the rules found of it.

    Counts of served and unserved mentions by section, how much of the posting's mentions and of its
    units the group holds (a group the duties keep returning to is served; one named once in
    passing often is not), the rule confidences, the O*NET inferred confidence and the group itself.
    """
    tally: dict[str, _Tally] = {}
    for f in found:
        t = tally.get(f.group) or tally.setdefault(f.group, _Tally())  # (setdefault alone builds a _Tally per mention)
        t.add(f, texts[f.unit][f.mention.start:f.mention.end].lower())
    groups = sorted(set(tally) | {g for g, c in inferred.items() if c > 0})
    ids = rules.group_index
    if not groups:
        return groups, np.zeros((0, len(FEATURES) + len(ids)))
    ranked = sorted(tally, key=lambda g: (-tally[g].combined, -tally[g].n, g))
    top_external = next((g for g in ranked if rules.groups[g].scope == "external"), None)
    most_named = min(tally, key=lambda g: (-tally[g].n, g)) if tally else None
    units = sum(section != "title" for section in sections) or 1
    mentions = max(len(found), 1)
    others = log1p(len(tally))
    rows = []
    for g in groups:
        t = tally.get(g) or _Tally()
        row = [*map(log1p, t.counts), t.strongest, t.combined, inferred.get(g, 0.0), t.n / mentions,
               len(t.units) / units, log1p(len(t.terms)), float(g == top_external), float(g == most_named),
               float(rules.groups[g].scope == "internal"), others] + [0.0] * len(ids)  # others: groups named
        row[len(FEATURES) + ids[g]] = 1.0
        rows.append(row)
    return groups, np.array(rows)


class _Tally:
    """What the mentions of one group add up to (the features before the posting-wide ones)."""

    __slots__ = ("counts", "strongest", "missing", "n", "units", "terms")
    _SLOT = {("duties", True): 0, ("duties", False): 1, ("requirements", True): 2, ("requirements", False): 3,
             ("title", True): 4, ("title", False): 4}

    def __init__(self):
        self.counts = [0, 0, 0, 0, 0, 0]  # duties and requirements, served and not; title; qualified
        self.strongest, self.missing, self.n = 0.0, 1.0, 0
        self.units: set[int] = set()
        self.terms: set[str] = set()

    def add(self, f: Found, term: str) -> None:
        slot = self._SLOT.get((f.section, f.served))
        if slot is not None:
            self.counts[slot] += 1
        self.counts[5] += f.qualified
        confidence = f.confidence
        self.strongest = max(self.strongest, confidence)
        self.missing *= 1.0 - confidence
        self.n += 1
        if f.section != "title":
            self.units.add(f.unit)
        self.terms.add(term)

    @property
    def combined(self) -> float:
        return 1.0 - self.missing


def named_explicitly(features: np.ndarray) -> np.ndarray:
    """Which candidate groups the posting itself names (the others only its title implies)."""
    return features[:, _COMBINED] > 0


def rule_confidence(features: np.ndarray) -> np.ndarray:
    """The confidence of models without a learned one: a group's mentions combine as independent
    evidence (the chance that one is right); a group its title implies keeps the inferrer's own,
    lower confidence, which never raises an explicit one."""
    return np.round(np.minimum(np.maximum(features[:, _COMBINED], features[:, _INFERRED]), 0.99), 3)


def customer_groups(posting: PreparedPosting, rules: GroupRules, signals=None,
                    inferred: dict[str, Evidence] | None = None, scorer: Scorer | None = None) -> list[CustomerGroup]:
    """The posting's customer groups, by confidence.

    ``signals`` (a :class:`~servicelens.evidence.signals.SignalPatterns`) supplies negation and modality: a
    group inside "no customer contact" does not count; in "occasionally assist" it counts less.
    ``scorer`` turns what the rules found into each group's confidence: a model's learned one
    (:mod:`servicelens.evidence.group_confidence`), else :func:`rule_confidence`.
    """
    units, texts, sections, found = read_posting(posting, rules, signals)
    explicit = evidence_by_group(found, found_evidence(posting, units, texts, found))
    inferred = inferred or {}
    groups, features = candidate_features(found, texts, sections, {g: e.confidence for g, e in inferred.items()},
                                          rules)
    confidences = (scorer or rule_confidence)(features).tolist() if groups else []
    out = []
    for group, confidence in zip(groups, confidences):
        info = rules.groups[group]
        said = sorted(explicit.get(group, []), key=lambda e: -e.confidence)
        implied = [inferred[group]] if group in inferred else []
        out.append(CustomerGroup(group, info.label, confidence, info.scope,
                                 "explicit" if said else "inferred", said[:MAX_EVIDENCE] + implied))
    return sorted(out, key=lambda g: (-g.confidence, g.group))


def reported(groups: Sequence[CustomerGroup], threshold: float = REPORT_THRESHOLD) -> list[CustomerGroup]:
    """The groups confident enough to name in a summary, a batch column or an evaluation."""
    return [g for g in groups if g.confidence >= threshold]
