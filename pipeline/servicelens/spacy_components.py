"""servicelens as spaCy components, on a blank English pipeline (nothing is downloaded).

The factories are registered with spaCy and exposed through the ``spacy_factories`` entry point,
so once servicelens is installed any pipeline can ``nlp.add_pipe("customer_signals")``:

- ``servicelens_segmenter``: units (sentences and bullet items) in ``doc.spans["units"]``;
- ``servicelens_sections``: the same units labelled with their section (``span.label_``);
- ``customer_signals``: scores the posting with a servicelens model; the signals go to
  ``doc.spans["customer_signals"]`` (label = category) and the whole result to ``doc._.servicelens``
  (``None`` when the Doc has no text to score);
- ``customer_groups``: who the role serves; ``doc._.customer_groups`` holds the groups (by
  confidence) and ``doc.spans["customer_groups"]`` the explicit evidence (label = group id).
  After ``customer_signals`` it reuses that result; alone, it loads the model when first needed.

The components only wrap the plain functions the batch scorer uses (``predict`` computes,
``set_annotations`` writes to the Doc), so both paths give the same answers.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import spacy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from servicelens.errors import InputError
from servicelens.paths import resource
from servicelens.reading.sections import DEFAULT_RULES, SectionRules, label_sections
from servicelens.reading.segment import unit_bounds

UNITS_KEY = "units"
SIGNALS_KEY = "customer_signals"
SECTION_RULES = DEFAULT_RULES.removesuffix(".json")  # the newest rules file, by its version name
RESULT_ATTR = "servicelens"
GROUPS_KEY = "customer_groups"
GROUPS_ATTR = "customer_groups"


def _unit_spans(doc: Doc) -> list[Span]:
    """Units as token spans, expanded to token edges. A unit that starts inside the previous one's
    last token ("skillsAbility to lift": spaCy keeps the glued word one token) joins it, so no text
    is left out of the units."""
    spans: list[Span] = []
    for start, end in unit_bounds(doc.text):
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or not len(span):
            continue
        if spans and span.start < spans[-1].end:
            spans[-1] = doc[spans[-1].start:max(spans[-1].end, span.end)]
        else:
            spans.append(span)
    return spans


class Segmenter:
    """``doc.spans["units"]`` holds the units; sentence starts follow them."""

    def __init__(self, nlp: Language, name: str = "servicelens_segmenter"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        units = _unit_spans(doc)
        if len(doc):
            starts = np.full((len(doc), 1), -1, dtype="int64")  # -1: not a sentence start
            starts[[0] + [span.start for span in units], 0] = 1
            doc.from_array([SENT_START], starts.view("uint64"))
        doc.spans[UNITS_KEY] = units
        return doc


class Sections:
    """Labels each unit in ``doc.spans["units"]`` with its section (headings get ``<section>_heading``)."""

    def __init__(self, nlp: Language, name: str = "servicelens_sections", rules: str = SECTION_RULES):
        self.name = name
        self.rules = SectionRules(resource(rules + ".json"))

    def __call__(self, doc: Doc) -> Doc:
        units = list(doc.spans.get(UNITS_KEY, []))
        labels = label_sections([u.text for u in units], self.rules)
        doc.spans[UNITS_KEY] = [Span(doc, u.start, u.end, label=l.section + ("_heading" if l.heading else ""))
                                for u, l in zip(units, labels)]
        return doc


class _ModelComponent:
    """A component with spaCy's ``predict`` / ``set_annotations`` split."""

    def predict(self, docs: Iterable[Doc]) -> list:
        raise NotImplementedError

    def set_annotations(self, docs: Iterable[Doc], results: list) -> None:
        raise NotImplementedError

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128):
        for doc in docs:
            yield self(doc)


class CustomerSignals(_ModelComponent):
    """Scores the posting and marks its customer-facing signals."""

    def __init__(self, nlp: Language, name: str = "customer_signals", model: str = ""):
        from servicelens.model.loaded import load_model

        self.name = name
        self.model = load_model(model or None)
        if not Doc.has_extension(RESULT_ATTR):
            Doc.set_extension(RESULT_ATTR, default=None)

    def predict(self, docs: Iterable[Doc]) -> list:
        return [self._score(doc.text) for doc in docs]

    def _score(self, text: str):
        try:
            return self.model.score(text)
        except InputError:  # nothing to score ("", "..."): one such Doc must not stop nlp.pipe
            return None

    def set_annotations(self, docs: Iterable[Doc], results: list) -> None:
        for doc, result in zip(docs, results):
            signals = [s for s in result.signals if s.start is not None] if result is not None else []
            doc.spans[SIGNALS_KEY] = [span for s in signals
                                      if (span := doc.char_span(s.start, s.end, label=s.category,
                                                                alignment_mode="expand")) is not None]
            doc._.set(RESULT_ATTR, result)



class CustomerGroups(_ModelComponent):
    """Names the customer groups of the posting, with their evidence spans."""

    def __init__(self, nlp: Language, name: str = "customer_groups", model: str = ""):
        self.name = name
        self.model_path = model
        self._model = None
        for attr in (GROUPS_ATTR, RESULT_ATTR):
            if not Doc.has_extension(attr):
                Doc.set_extension(attr, default=None)

    @property
    def model(self):
        if self._model is None:
            from servicelens.model.loaded import load_model

            self._model = load_model(self.model_path or None)
        return self._model

    def predict(self, docs: Iterable[Doc]) -> list:
        out = []
        for doc in docs:
            result = doc._.get(RESULT_ATTR)
            out.append(result.groups if result is not None else self.model.groups(self.model.prepare(doc.text)))
        return out

    def set_annotations(self, docs: Iterable[Doc], groups: list) -> None:
        for doc, found in zip(docs, groups):
            doc.spans[GROUPS_KEY] = [span for g in found for e in g.evidence if e.start is not None and not e.occupation
                                     if (span := doc.char_span(e.start, e.end, label=g.group,
                                                               alignment_mode="expand")) is not None]
            doc._.set(GROUPS_ATTR, found)



@Language.factory("servicelens_segmenter")
def make_segmenter(nlp: Language, name: str) -> Segmenter:
    return Segmenter(nlp, name)


@Language.factory("servicelens_sections", default_config={"rules": SECTION_RULES})
def make_sections(nlp: Language, name: str, rules: str) -> Sections:
    return Sections(nlp, name, rules)


@Language.factory("customer_signals", default_config={"model": ""})
def make_customer_signals(nlp: Language, name: str, model: str) -> CustomerSignals:
    return CustomerSignals(nlp, name, model)


@Language.factory("customer_groups", default_config={"model": ""})
def make_customer_groups(nlp: Language, name: str, model: str) -> CustomerGroups:
    return CustomerGroups(nlp, name, model)


def build_nlp(model: str = "") -> Language:
    """A blank English pipeline with every servicelens component."""
    nlp = spacy.blank("en")
    nlp.add_pipe("servicelens_segmenter")
    nlp.add_pipe("servicelens_sections")
    nlp.add_pipe("customer_signals", config={"model": model})
    nlp.add_pipe("customer_groups", config={"model": model})
    return nlp
