"""Split a cleaned posting into units: sentences and bullet items, none lost however short.

``unit_bounds`` is a plain function over characters (no spaCy import, so the one-file command
starts fast); :mod:`servicelens.spacy_components` wraps it as the spaCy component ``servicelens_segmenter``.
"""
from __future__ import annotations

import re


# A bullet marker at the start of a line: -, *, •, numbered "1." / "1)" / "(a)" / "a."
_BULLET = re.compile(r"^[ \t]*(?:[-*•·▪◦●○■□➢►▶✓✔→–—+]+|\(?\d{1,3}[.)](?!\d)|\(?[a-zA-Z][.)](?=\s))[ \t]*")
# Bullets inside a line ("Skills: • Excel • Word") also separate units. Scraped lists glue a bullet
# to the text before it ("tasks• Input bills", "procedures.· File records"); marks that also occur
# inside text ("Ms· Smith", "555·123", "Excel✔") count glued only after a sentence mark.
_INLINE_BULLET = re.compile(r"(?:(?<=\s)[•·▪◦●■➢►▶✓✔]|[•▪●■➢►▶]|(?<=[.;:!?])[·◦✓✔])[•·▪◦●■➢►▶✓✔]*(?=[ \t])")
_LEAD_BULLET = re.compile(r"[•·▪◦●■➢►▶✓✔]+\s")  # such a bullet opening a piece
_ALNUM = re.compile(r"[^\W_]")  # what str.isalnum accepts
# Sentence end: . ! ? (optionally closing quote/bracket) then space and a capital, digit or quote;
# also scraped text where a list lost its line breaks: "law school.Licensed", "Qualifications:Juris", "plans;Drafting".
# The pattern starts with one character class, the marks every branch starts with (look-behinds
# come after it and tell the branches apart), so the regex engine skips straight to candidates;
# four times faster than branches that each start with their own class. A run of marks is tried
# from its first mark only: retried from each mark ("....."), it took quadratic time, and a mark
# inside a run never ends a sentence its first mark does not.
_SENTENCE_END = re.compile(
    r"[.!?:;](?:"
    r"(?<=[.!?])(?<![.!?].)[.!?]*[\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9•])"
    r"|(?<=[a-z)][.:;])(?P<glued>)(?=[A-Z][a-z])"
    r"|(?<=[a-z)];)(?=\s*[A-Z])"
    r")"
)
# Scraped text where a list lost its line breaks and its marks too: "excellent communication
# skillsAbility to lift", "Job DescriptionThis role". A capital starting a word glued to the end of
# an all-lowercase word, or to a heading word, starts a unit; product names ("PowerPoint",
# "JavaScript", "iPhone") are left whole. Like _SENTENCE_END, the pattern starts with its class.
_GLUED_CAPITAL = re.compile(r"[A-Z](?<=[a-z][A-Z])(?=[a-z])")
_WORD_BEFORE = re.compile(r"[A-Za-z]+\Z")
_GLUED_HEADINGS = frozenset({"Description", "Qualifications", "Requirements", "Responsibilities", "Summary",
                             "Overview", "Benefits", "Duties", "Skills", "Education", "Experience", "Preferred",
                             "Compensation", "Role", "Position", "Opportunity", "Us", "Perks", "Schedule"})
# A full stop after these is not a sentence end ("Dr. Smith", "e.g. Excel", "U.S. Bank").
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|approx|incl|Mr|Ms|Mrs|Dr|St|Inc|Ltd|Co|Corp|No|Jr|Sr|Prof)|\b[A-Za-z])$")
_MAX_UNIT_CHARS = 1000


def _split_long(start: int, end: int, text: str) -> list[tuple[int, int]]:
    """Cut an unpunctuated run longer than ``_MAX_UNIT_CHARS`` at spaces, so units stay readable."""
    spans = []
    while end - start > _MAX_UNIT_CHARS:
        cut = text.rfind(" ", start + _MAX_UNIT_CHARS // 2, start + _MAX_UNIT_CHARS)
        cut = cut if cut > start else start + _MAX_UNIT_CHARS
        spans.append((start, cut))
        start = cut
    spans.append((start, end))
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if _ALNUM.search(text, start, end) else None


def _glued_words(text: str) -> list[tuple[int, int, bool]]:
    """Where a word glued to the one before starts a unit (as ``_SENTENCE_END``'s "glued" ends)."""
    out = []
    for m in _GLUED_CAPITAL.finditer(text):
        at = m.start()
        word = _WORD_BEFORE.search(text, max(0, at - 40), at)
        if word and ((len(word.group()) > 2 and word.group().islower()) or word.group() in _GLUED_HEADINGS):
            out.append((at, at, True))
    return out


def unit_bounds(text: str) -> list[tuple[int, int]]:
    """Character spans ``[start, end)`` of the units of ``text``, in order, without bullet markers."""
    # The text is scanned once for sentence ends and inline bullets; each line takes those that lie
    # wholly inside its body (after its bullet marker), as if the line were scanned on its own.
    ends = [(m.start(), m.end(), m.lastgroup == "glued") for m in _SENTENCE_END.finditer(text)]
    glued = _glued_words(text)
    if glued:
        ends = sorted(ends + glued)
    bullets = [m.span() for m in _INLINE_BULLET.finditer(text)]
    spans: list[tuple[int, int]] = []
    line_start = e = b = 0
    for line in text.split("\n"):
        line_end = line_start + len(line)
        marker = _BULLET.match(line)
        # A lone "-" or "1." line is a marker, not a unit; keep words like "- Greet customers."
        body_start = line_start + (marker.end() if marker else 0)
        cuts = [body_start]
        while b < len(bullets) and bullets[b][0] < line_end:
            start, end = bullets[b]
            if start >= body_start and end <= line_end:
                cuts.append(start)
            b += 1
        found = []
        while e < len(ends) and ends[e][0] < line_end:
            found.append(ends[e])
            e += 1
        if any(start < body_start < end for start, end, _ in found):  # "1.. 'Dr." : scan the body alone
            segment = text[body_start:line_end]
            found = sorted([(body_start + m.start(), body_start + m.end(), m.lastgroup == "glued")
                            for m in _SENTENCE_END.finditer(segment)]
                           + [(body_start + at, body_start + at, True) for at, _, _ in _glued_words(segment)])
        for start, end, glued in found:
            # A look-behind ("plans;Drafting") needs a character of the body before the mark.
            if start < body_start or (start == body_start and (glued or text[start] == ";")):
                continue
            if text[start] == "." and not glued and _ABBREVIATION.search(text, max(body_start, start - 12), start):
                continue
            cuts.append(end)
        cuts = sorted(set(cuts)) + [line_end]
        for start, end in zip(cuts, cuts[1:]):
            piece = _trimmed(text, start, end)
            if piece is None:
                continue
            lead = _LEAD_BULLET.match(text, *piece)
            if lead:
                piece = _trimmed(text, lead.end(), piece[1]) or piece
            spans.extend(_split_long(*piece, text))
        line_start = line_end + 1
    return spans
