"""The spaCy pipeline: a blank English tokenizer plus servicelens' own components (no downloads).

Components are registered factories (also exposed through the ``spacy_factories`` entry point),
so ``nlp.add_pipe("servicelens_segmenter")`` works in any spaCy pipeline once servicelens is installed.
"""
from __future__ import annotations

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from .segment import unit_bounds

UNITS_KEY = "units"


class Segmenter:
    """spaCy component: ``doc.spans["units"]`` holds the units; sentence starts follow them."""

    def __init__(self, nlp: Language, name: str = "servicelens_segmenter"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        units = []
        for start, end in unit_bounds(doc.text):
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None and len(span):
                if units and span.start < units[-1].end:  # token overlap after expansion
                    continue
                units.append(span)
        starts = {span.start for span in units}
        for token in doc:
            token.is_sent_start = token.i in starts or token.i == 0
        doc.spans[UNITS_KEY] = units
        return doc


@Language.factory("servicelens_segmenter")
def make_segmenter(nlp: Language, name: str) -> Segmenter:
    return Segmenter(nlp, name)


def build_nlp() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("servicelens_segmenter")
    return nlp
