"""Property-based (hypothesis) tests of every public entry point that takes text or files.

Run with ``pytest -m fuzz`` (the plain ``pytest`` run leaves them out). The cases are generated
from a fixed seed (``derandomize``), so CI runs the same cases every time. Locally,
``SERVICELENS_FUZZ_SCALE=10`` runs ten times as many and ``SERVICELENS_FUZZ_RANDOM=1`` new ones
(a failure prints how to reproduce it).

Properties: nothing raises on any string (lone surrogates, NUL, RTL marks, emoji, 100k-character
tokens) but the documented ``InputError``; scores are finite and in 0-100; every signal's and
group evidence's offsets index the text as given; the same input gives the same output; a table
keeps every row and value through every format.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import re
from collections import Counter
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from servicelens.reading.clean import clean_text, strip_html
from servicelens.errors import InputError
from servicelens.evidence.groups import GroupRules, customer_groups, group_ids, reported
from servicelens.model.loaded import _top_phrases
from servicelens.reading.posting import prepare
from servicelens.reading.sections import SECTIONS, SectionRules, label_sections
from servicelens.reading.segment import _BULLET, unit_bounds
from servicelens.evidence.signals import NEGATION, SignalPatterns

pytestmark = pytest.mark.fuzz

SCALE = float(os.environ.get("SERVICELENS_FUZZ_SCALE", "1"))
settings.register_profile(
    "fuzz", derandomize=not os.environ.get("SERVICELENS_FUZZ_RANDOM"), deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                           HealthCheck.filter_too_much])
settings.load_profile("fuzz")

#: Cases each test generates (times SERVICELENS_FUZZ_SCALE); the explicit examples come on top.
BUDGET = {
    "test_cleaner": 6000, "test_segmenter": 4000, "test_sections": 1500, "test_prepare": 1500,
    "test_signal_patterns": 1500, "test_groups": 1000, "test_scorer": 500, "test_model_score": 1500,
    "test_batch_rows": 300, "test_spacy_segmenter_and_sections": 600, "test_spacy_model_components": 250,
    "test_readers_never_raise": 800, "test_table_round_trip": 400,
}
CASES: Counter = Counter()  # cases run, by test (see test_zz_cases_run)


def budget(name: str):
    return settings(max_examples=max(1, round(BUDGET[name] * SCALE)))


def ran(name: str) -> None:
    CASES[name] += 1


# -- strategies ----------------------------------------------------------------------------------

#: Every code point, lone surrogates (category Cs) included.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
NASTY = ["\x00", "\x01", "\x1f", "\x7f", "\x85", "\ud800", "\udbff", "\udc80", "\udfff", "\u200b", "\u200c",
         "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\u2060", "\ufeff", "\ufffd",
         "\uffff", "\U0010ffff", "\u2028", "\u2029", "\x0b", "\x0c", "\r", "\r\n", "\n\r", "\t", "\u00a0",
         "\u3000", "\u2003", "😀", "👩\u200d💻", "🇺🇸", "e\u0301", "\u0301\u0302", "\u0627\u0644\u0639\u0645\u0644",
         "\u05e2\u05d1\u05e8\u05d9\u05ea", "İ", "ß", "ﬁ", "ǅ", "Ⅻ", "٣", "²", "•", "·", "▪", "➢", "–", "—",
         "…", "\u00ad", "'", '"', "\\", "%s", "{0}", "\x1b[31m"]
HTML = ["<p>", "</p>", "<br>", "<br/>", "<BR >", "<li>", "</li>", "<ul>", "</ul>", "<ol>", "<div class='x'>",
        "</div>", "<b>", "</b>", "<h2>", "</h2>", "<td>", "<tr>", "<hr/>", "<a href=\"x\">", "</a>",
        "&amp;", "&amp", "&AMP;", "&nbsp;", "&#0;", "&#xD800;", "&#99999999;", "&#x110000;", "&#128512;",
        "&#x7f;", "&#13;", "&#8232;", "&lt;", "&gt;", "&quot;", "&apos;", "&NotEqualTilde;", "&fjlig;",
        "&bogus;", "&#;", "&#x;", "&", "&#", "<!-- note -->", "<!--", "-->", "<![CDATA[x < y]]>",
        "<![CDATA[", "]]>", "<script>var x = '<li>no</li>';</script>", "<script>", "</script>",
        "<style>p {color: red}</style>", "<STYLE>", "<head><title>t</title></head>", "<noscript>n</noscript>",
        "<", ">", "<p", "</", "< p>", "<!DOCTYPE html>", "<?xml version='1.0'?>", "<br\n>", "<x:y>", "<1>",
        "&ap", "&A0", "&ampx", "&hellip", "&notit", "Q&As", "</SCRIPT >", "</script\n>", "<\u017fcript>",
        "<script a<b>", "<header>"]
PHRASES = ["Greet customers", "greet customers and answer their questions", "Responsibilities:",
           "Requirements:", "Qualifications:", "About us:", "About Us", "What you'll do", "Who you are:",
           "Benefits:", "Why join us", "- Assist patients", "- Greet customers.", "• Resolve complaints",
           "1. Serve guests", "2) Answer phones", "(a) Help clients", "a. Teach students", "Answer phones.",
           "Resolve customer complaints and de-escalate difficult situations.", "Process returns and exchanges.",
           "Provide compassionate care to patients and educate their families.", "no customer contact",
           "This role does not involve answering phones", "occasionally cover reception",
           "Customer Service Representative", "Registered Nurse", "Backend Engineer", "HVAC Technician",
           "Write SQL reports.", "Maintain CI pipelines", "Operate a forklift.", "Dr. Smith", "e.g. Excel",
           "U.S. Bank", "Qualifications:Juris", "plans;Drafting", "law school.Licensed", "visitors to the hotel",
           "visitors to the park", "walk-in customers", "callers", "students and parents", "stakeholders",
           "internal teams", "vendors and regulatory agencies", "residents", "members and donors", "end users",
           "candidates", "We are an equal opportunity employer.", "We serve millions of customers.",
           "Grow a book of business and meet sales quotas", "Support the sales team", "Liaise with vendors",
           "Teach students algebra", "Skills: • Excel • Word", "Salary: $40,000", "Full-time", "Cashier",
           "Retail Sales Associate"]
SEPARATORS = [" ", "  ", "\n", "\n\n", ". ", "! ", "? ", ": ", "; ", ", ", "\t", "\r\n", "\n- ", "\n* ", "\n• ",
              "\n1. ", " • ", ".", "...", "\n\n\n"]

fragment = st.one_of(st.text(ANY_CHAR, max_size=12), st.sampled_from(NASTY), st.sampled_from(HTML),
                     st.sampled_from(PHRASES), st.sampled_from(PHRASES), st.sampled_from(SEPARATORS))
#: Posting-like text: phrases, headings and bullets mixed with HTML and every kind of noise.
postings = st.lists(fragment, max_size=40).map("".join)
texts = st.one_of(postings, st.text(ANY_CHAR, max_size=120))
titles = st.one_of(st.none(), st.sampled_from(PHRASES + ["", " ", "\ud800", "<b>Cashier</b>"]),
                   st.lists(fragment, max_size=4).map("".join))

#: 100k-character tokens, given explicitly (hypothesis would not generate them).
LONG = {
    "letters": "a" * 100_000,
    "dots": "." * 100_000,  # found: quadratic sentence-end search in segment.py
    "bangs": "!?" * 50_000,
    "scripts": "<script>" * 12_500,  # found: quadratic <script> search in clean.py
    "styles": "<p>" + "<style x" * 12_500,
    "surrogates": "\ud800" * 100_000,
    "nuls": "\x00" * 100_000,
    "rtl": "\u202e" * 100_000,
    "emoji": "😀" * 100_000,
    "ampersands": "&amp" * 25_000,
    "word": "Greet customers. " + "x" * 100_000 + " Answer phones.",
    "bullets": "- " * 50_000,
    "spaces": " " * 100_000,
    "newlines": "\n" * 100_000,
    "tag": "<p " + "a" * 100_000 + ">",
}


def long_examples(*names, more=()):
    """Decorator: the named 100k-character tokens as explicit examples (``more``: the test's other
    arguments)."""
    def wrap(test):
        for name in names:
            test = example(LONG[name], *more)(test)
        return test
    return wrap


# -- shared objects (loading a model is slow: once per module) -----------------------------------

@pytest.fixture(scope="module")
def section_rules():
    return SectionRules()


@pytest.fixture(scope="module")
def signal_patterns():
    return SignalPatterns()


@pytest.fixture(scope="module")
def group_rules():
    return GroupRules()


# -- assertions ----------------------------------------------------------------------------------

def _occurrences(haystack: str, needle: str, start: int, end: int) -> list[int]:
    out, i = [], haystack.find(needle, start, end)
    while i != -1:
        out.append(i)
        i = haystack.find(needle, i + 1, end)
    return out


def assert_indexes_original(raw: str, posting, unit: int, text: str, start: int, end: int) -> None:
    """``raw[start:end]`` is exactly the original text that the cleaned phrase ``text`` (found in unit
    ``unit`` of the cleaned posting) came from, and cleaning it the same way gives the phrase back."""
    assert 0 <= start < end <= len(raw), (start, end, len(raw))
    s0, e0 = posting.bounds[unit]
    hits = _occurrences(posting.clean.text, text, s0, e0)
    assert any(posting.clean.original_span(h, h + len(text)) == (start, end) for h in hits), (text, start, end)
    # The cleaner reads a text as HTML or as plain text as a whole ("&ap" is "≈" only in HTML):
    # the slice is read the way the posting was (a leading "<b>" makes it HTML, and goes).
    as_html = strip_html("<b>" + raw) == posting.clean.text
    assert strip_html(("<b>" if as_html else "") + raw[start:end]).split() == text.split(), (raw[start:end], text)


def assert_score(value: float) -> None:
    assert isinstance(value, float) and math.isfinite(value) and 0.0 <= value <= 100.0, value


# -- cleaner -------------------------------------------------------------------------------------

#: What the cleaner promises to remove: control characters (but tab and newline), zero-width
#: characters, BOMs, lone surrogates, other line breaks and exotic spaces.
_NOT_IN_CLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u200b-\u200d\u2060\ufeff\ud800-\udfff"
                           "\u2028\u2029\u00a0\u2000-\u200a\u202f\u205f\u3000\t\r]")


@budget("test_cleaner")
@given(texts)
@long_examples(*LONG)
@example("<p>Greet</p>\x00\u200f customers &amp; guests 😀")
def test_cleaner(raw):
    ran("test_cleaner")
    clean = clean_text(raw)
    assert clean_text(raw) == clean
    assert strip_html(raw) == clean.text and clean.original_length == len(raw)
    assert not _NOT_IN_CLEAN.search(clean.text)
    # The map: pieces in order, each copied run equal to the original, each edit what its original
    # cleans to on its own (read as the whole text was: as HTML or not), nothing outside the original.
    as_html = "" if strip_html("<b>" + raw) != clean.text else "<b>"
    cursor = 0
    for k, (clean_start, orig_start, orig_end, copied) in enumerate(clean.pieces):
        next_start = clean.pieces[k + 1][0] if k + 1 < len(clean.pieces) else len(clean.text)
        assert cursor <= orig_start <= orig_end <= len(raw)
        if copied:
            assert clean.text[clean_start:next_start] == raw[orig_start:orig_end]
        else:
            assert next_start > clean_start and orig_end > orig_start
            assert strip_html(as_html + raw[orig_start:orig_end]) == clean.text[clean_start:next_start]
        cursor = orig_end
    if len(clean.text) > 5000:  # the long examples: spot checks
        positions = list(range(0, len(clean.text), 997))
    else:
        positions = range(len(clean.text))
    previous = 0
    for i in positions:
        start, end = clean.original_span(i, i + 1)
        assert previous <= start < end <= len(raw)
        previous = start
    start, end = clean.original_span(0, len(clean.text))
    assert 0 <= start <= end <= len(raw)
    assert clean.original_span(len(clean.text), len(clean.text) + 3) == (len(raw), len(raw))


# -- segmenter and section labeller -----------------------------------------------------------------

_ALNUM = re.compile(r"[^\W_]")


@budget("test_segmenter")
@given(texts)
@long_examples(*LONG)
@example("1.. 'Dr. Smith.\n- a.\n(b) Greet customers.Answer phones;Drafting")
def test_segmenter(text):
    ran("test_segmenter")
    bounds = unit_bounds(text)
    assert unit_bounds(text) == bounds
    previous = 0
    covered = bytearray(len(text))
    for start, end in bounds:
        assert previous <= start < end <= len(text)
        unit = text[start:end]
        assert "\n" not in unit and not unit[-1].isspace()
        # A run longer than 1000 characters is cut at a space, which then opens the next unit.
        assert not unit[0].isspace() or (start == previous and unit[0] == " " and not unit[1].isspace())
        assert _ALNUM.search(unit) and len(unit) <= 1000
        covered[start:end] = b"\x01" * (end - start)
        previous = end
    # None lost: every letter or digit is in a unit, but those of a bullet marker ("a)", "12.").
    line_start = 0
    for line in text.split("\n"):
        marker = _BULLET.match(line)
        body = line_start + (marker.end() if marker else 0)
        for m in _ALNUM.finditer(text, body, line_start + len(line)):
            assert covered[m.start()], (m.start(), text[max(0, m.start() - 20):m.start() + 20])
        line_start += len(line) + 1


@budget("test_sections")
@given(st.lists(texts, max_size=12))
@example(["Resp\ud800onsibilities:", "Greet \ud800 customers"])  # found: UnicodeEncodeError in re2
def test_sections(section_rules, units):
    ran("test_sections")
    labels = label_sections(units, section_rules)
    assert label_sections(units, section_rules) == labels
    assert len(labels) == len(units)
    for label in labels:
        assert label.section in SECTIONS and isinstance(label.heading, bool)


@budget("test_prepare")
@given(texts, titles)
@example(LONG["dots"], None)
@example(LONG["word"], "\ud800 Cashier")
def test_prepare(section_rules, text, title):
    ran("test_prepare")
    posting = prepare(text, title, section_rules)
    again = prepare(text, title, section_rules)
    assert (again.bounds, again.sections, again.title, again.units) == \
        (posting.bounds, posting.sections, posting.title, posting.units)
    assert posting.raw == text and len(posting.sections) == len(posting.bounds) == len(posting.units)
    assert posting.title_unit in (None, 0) and not (posting.title_unit == 0 and title and title.strip())
    for i, (s, e) in enumerate(posting.bounds):
        assert posting.units[i] == posting.clean.text[s:e]
        start, end = posting.original_span(i)
        assert 0 <= start < end <= len(text)
    assert all(0 <= i < len(posting.bounds) and i != posting.title_unit for i in posting.scored)
    assert posting.scorer_units()[0] == posting.title


# -- signals, groups, scorer ---------------------------------------------------------------------

POLARITIES = {"positive", "qualified", "negated"}


@budget("test_signal_patterns")
@given(st.lists(texts, max_size=8))
@example(["no customer \ud800 contact; greet customers", "\ud800\ud800greet customers"])  # found: re2 encode
@example([LONG["surrogates"] + " greet customers", LONG["word"]])
def test_signal_patterns(signal_patterns, units):
    from servicelens.evidence.categories import CATEGORIES

    ran("test_signal_patterns")
    found = signal_patterns.find_all(units)
    assert signal_patterns.find_all(units) == found
    assert len(found) == len(units)
    for unit, matches in zip(units, found):
        for m in matches:
            assert 0 <= m.start < m.end <= len(unit)
            assert m.category in CATEGORIES or m.category == NEGATION
            assert 0 < m.confidence <= 1 and m.polarity in POLARITIES


@budget("test_groups")
@given(texts, titles)
@example("Greet \ud800 customers and answer questions from patients.", "Customer Service \ud800")
@example("<p>Greet and assist &ampvisitors to the hotel.</p>", "Front Desk Agent")  # found: "&visitors;"
def test_groups(section_rules, group_rules, signal_patterns, text, title):
    ran("test_groups")
    posting = prepare(text, title, section_rules)
    groups = customer_groups(posting, group_rules, signal_patterns)
    assert customer_groups(posting, group_rules, signal_patterns) == groups
    assert group_ids(posting, group_rules, signal_patterns) == tuple(g.group for g in reported(groups))
    for group in groups:
        assert group.group in group_rules.groups and 0 < group.confidence <= 0.99
        for evidence in group.evidence:
            if evidence.start is None:
                assert evidence.end is None and evidence.section == "title" and evidence.unit is None
            else:
                assert_indexes_original(text, posting, evidence.unit, evidence.text, evidence.start, evidence.end)


@pytest.fixture(scope="module")
def model(shipped_model):
    return shipped_model


@budget("test_scorer")
@given(st.lists(texts, min_size=1, max_size=8))
@example(["", "\ud800", "a\nb\r\nc"])
@example([LONG["word"], LONG["letters"]])
def test_scorer(model, units):
    """The scorer reads any unit strings; its explanation adds up to its prediction."""
    ran("test_scorer")
    predicted = model.estimator.predict([units])
    base, contributions, _ = model.estimator.explain(units)
    assert predicted.shape == (1, 3) and all(math.isfinite(v) for v in predicted[0])
    total = base + contributions.sum(axis=0)
    assert all(abs(a - b) < 1e-6 for a, b in zip(total, predicted[0]))
    again = model.estimator.predict([units])
    assert (again == predicted).all()


@budget("test_model_score")
@given(texts, titles)
@long_examples("dots", "scripts", "word", "surrogates", more=(None,))
@example("<ul><li>Greet customers &amp; answer questions</li><li>Write SQL reports</li></ul>", None)
@example("Greet customers and help patients \ud800.", "Customer Service \ud800")  # found: re2 encode
@example("<p>\n&A0• Resolve complaints</p>", None)  # found: "&A0;" (a ";" added to no entity)
@example("<A>&ap(a) Help clients", None)
def test_model_score(model, text, title):
    ran("test_model_score")
    try:
        result = model.score(text, title)
    except InputError:  # documented: nothing left to score
        posting = model.prepare(text, title)
        assert not posting.bounds and not posting.title
        with pytest.raises(InputError):
            model.score(text, title)
        return
    assert model.score(text, title).to_dict() == result.to_dict()
    for value in (result.cs_score, result.external, result.internal):
        assert_score(value)
    parts = result.base + result.title_contribution + sum(s.contribution for s in result.signals) + result.other
    assert abs(parts - result.cs_score) < 0.01
    posting = model.prepare(text, title)
    for signal in result.signals:
        assert math.isfinite(signal.contribution) and 0 <= signal.confidence <= 1
        if signal.start is None:
            assert signal.end is None
        else:
            assert_indexes_original(text, posting, signal.unit, signal.text, signal.start, signal.end)
    for group in result.groups:
        assert 0 < group.confidence <= 0.99
        for evidence in group.evidence:
            if evidence.start is not None:
                assert_indexes_original(text, posting, evidence.unit, evidence.text, evidence.start, evidence.end)
    # The batch path gives the same score and names the same groups.
    row = model.rows([posting])[0]
    assert row.cs_score == result.cs_score
    assert row.groups == tuple(g.group for g in reported(result.groups))
    assert row.signals == _top_phrases([(s.contribution, s.text) for s in result.signals])


@budget("test_batch_rows")
@given(st.lists(st.tuples(texts, titles), min_size=1, max_size=6))
def test_batch_rows(model, items):
    """A posting's row does not depend on the postings scored beside it."""
    ran("test_batch_rows")
    postings = [model.prepare(text, title) for text, title in items]
    rows = model.rows(postings)
    assert rows == [model.rows([p])[0] for p in postings]
    for row in rows:
        for value in (row.cs_score, row.external, row.internal):
            assert_score(value)


# -- spaCy components ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def blank_nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("servicelens_segmenter")
    nlp.add_pipe("servicelens_sections")
    return nlp


@pytest.fixture(scope="module")
def full_nlp(shipped_model_dir):
    from servicelens.spacy_components import build_nlp

    return build_nlp(str(shipped_model_dir))


def _spans(doc, key):
    return [(s.start_char, s.end_char, s.label_) for s in doc.spans.get(key, [])]


#: spaCy cannot make a Doc of text with a lone surrogate (its string store encodes to UTF-8).
doc_texts = texts.map(lambda t: re.sub("[\ud800-\udfff]", "\ufffd", t))


@budget("test_spacy_segmenter_and_sections")
@given(doc_texts)
@example("Resp\ufffdonsibilities:\n- Greet \u202e customers")
@example(LONG["dots"])
def test_spacy_segmenter_and_sections(blank_nlp, text):
    ran("test_spacy_segmenter_and_sections")
    doc = blank_nlp(text)
    units = _spans(doc, "units")
    assert _spans(blank_nlp(text), "units") == units
    previous = 0
    for start, end, label in units:
        assert previous <= start < end <= len(text)
        assert label.removesuffix("_heading") in SECTIONS
        previous = end


@budget("test_spacy_model_components")
@given(doc_texts)
@example("<li>Greet customers &amp; help patients 😀</li>")
@example("...")  # found: InputError (nothing to score) stopped the pipeline
def test_spacy_model_components(full_nlp, model, text):
    ran("test_spacy_model_components")
    doc = full_nlp(text)
    result = doc._.servicelens
    if result is None:  # nothing to score
        with pytest.raises(InputError):
            model.score(text)
        assert not _spans(doc, "customer_signals")
        return
    assert_score(result.cs_score)
    assert result.to_dict() == model.score(text).to_dict()  # the components and the API agree
    again = full_nlp(text)
    assert again._.servicelens.to_dict() == result.to_dict()
    assert _spans(again, "customer_signals") == _spans(doc, "customer_signals")
    assert _spans(again, "customer_groups") == _spans(doc, "customer_groups")
    for start, end, _ in _spans(doc, "customer_signals") + _spans(doc, "customer_groups"):
        assert 0 <= start < end <= len(text)


# -- table readers and writers --------------------------------------------------------------------

SUFFIXES = [".csv", ".tsv", ".csv.gz", ".tsv.gz", ".jsonl", ".jsonl.gz", ".xlsx", ".parquet"]
_tmp_names = count()


@pytest.fixture(scope="module")
def table_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz_tables")


def _unreadable_xlsx() -> bytes:
    """A workbook whose sheet is not well-formed XML (openpyxl writes U+FFFF as it is)."""
    from openpyxl import Workbook

    book, buffer = Workbook(), io.BytesIO()
    book.active.append(["title", "x\uffff"])
    book.save(buffer)
    return buffer.getvalue()


@budget("test_readers_never_raise")
@given(st.binary(max_size=600) | postings.map(lambda t: t.encode("utf-8", "surrogatepass")),
       st.sampled_from(SUFFIXES))
@example(b"\x00" * 10, ".csv")
@example(b"PK\x03\x04" + b"\x00" * 30, ".xlsx")
@example(b"PAR1" + b"\x00" * 10 + b"PAR1", ".parquet")
@example(b"\x1f\x8b" + b"\x00" * 10, ".csv.gz")
@example(_unreadable_xlsx(), ".xlsx")  # found: xml ParseError, not InputError
@example(b"id,title\n1,\"Cashier\n", ".csv")
@example(b'{"id": 1}\n[1]\n' + b"[" * 100_000 + b"\n", ".jsonl")
def test_readers_never_raise(table_dir, data, suffix):
    """Any bytes: the reader reads rows or raises InputError naming the file, nothing else."""
    from servicelens.inputs.tables import open_table

    ran("test_readers_never_raise")
    path = table_dir / f"any{next(_tmp_names)}{suffix}"
    if suffix.endswith(".gz") and not data.startswith(b"\x1f\x8b"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    try:
        with open_table(path, chunk_rows=7) as reader:
            columns = reader.columns
            for chunk in reader.chunks(7):
                assert all(len(row) == len(columns) for row in chunk.rows)
                assert len(chunk.rows) == len(chunk.problems) == len(chunk.usable) == len(chunk.lines)
    except InputError as exc:
        assert str(path) in str(exc)


COLUMNS = ["req_id", "title", "description", "note"]
cell_values = st.one_of(
    st.text(ANY_CHAR, max_size=20),
    st.sampled_from(["", " ", "00123", "0", "-1", "+7", "1e5", "-12.5", "3E5", "1/2", "NaN", "nan", "null",
                     "None", "TRUE", "false", "=1+1", "=HYPERLINK(\"http://x\")", "+A1", "-x", "@SUM(A1)",
                     "\tx", "\rx", "a\r\nb", "a\rb", "a\nb", "\"quoted\"", "a,b;c|d\te", "'", " lead", "trail ",
                     "_x0041_", "_x000D_", "2024-01-02", "12:00", "\u00a0", "😀", "\u202e", "\x00", "\x01", "\uffff",
                     "\ud800"]),
    postings,
)
table_rows = st.lists(st.fixed_dictionaries({c: cell_values for c in COLUMNS}), min_size=1, max_size=6)
_SURROGATES = re.compile("[\ud800-\udfff]")
#: What XML 1.0 (so XLSX) cannot hold.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _stored(value: str, suffix: str) -> str:
    """``value`` as a file of that format can hold it: UTF-8 files and Arrow strings cannot hold a lone
    surrogate (an exporter writes U+FFFD); XLSX holds only XML characters, and XML reads CR as LF."""
    if ".jsonl" in suffix:
        return value  # JSON escapes anything
    if suffix == ".xlsx":
        return _NOT_XML.sub("\ufffd", value).replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATES.sub("\ufffd", value)


def _write_input(path: Path, suffix: str, rows: list[dict]) -> None:
    """The table as an HR system would export it (stdlib csv and json, openpyxl, pyarrow)."""
    if suffix in (".csv", ".tsv", ".csv.gz", ".tsv.gz"):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, COLUMNS, delimiter="\t" if ".tsv" in suffix else ",", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        data = buffer.getvalue().encode("utf-8")
    elif suffix in (".jsonl", ".jsonl.gz"):
        data = "".join(json.dumps({c: row[c] for c in COLUMNS}) + "\n" for row in rows).encode("utf-8")
    elif suffix == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        sheet = book.create_sheet("jobs")
        sheet.append(COLUMNS)
        for row in rows:
            cells = []
            for column in COLUMNS:
                cell = WriteOnlyCell(sheet, value=row[column])
                cell.data_type = "s"  # text as text, even "=1+1"
                cells.append(cell)
            sheet.append(cells)
        book.save(path)
        return
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({c: pa.array([row[c] for row in rows], pa.string()) for c in COLUMNS}), path)
        return
    path.write_bytes(gzip.compress(data, mtime=0) if suffix.endswith(".gz") else data)


def _read_output(path: Path, suffix: str) -> tuple[list[str], list[list], list]:
    """Header, rows and (XLSX) cells of a scored table, read without pandas' conversions."""
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path).worksheets[0]
        cells = [list(row) for row in sheet.iter_rows()]
        values = [[c.value for c in row] for row in cells]
        return values[0], values[1:], cells[1:]
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return table.column_names, [list(r.values()) for r in table.to_pylist()], []
    data = path.read_bytes()
    text = (gzip.decompress(data) if suffix.endswith(".gz") else data).decode("utf-8")
    if ".jsonl" in suffix:
        records = [json.loads(line) for line in text.split("\n") if line]
        header = list(dict.fromkeys(k for r in records for k in r))
        return header, [[r.get(k) for k in header] for r in records], []
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t" if ".tsv" in suffix else ","))
    return rows[0], rows[1:], []


def _expected(value: str, suffix: str) -> str:
    """A value as the output format documents it: CSV and TSV neutralise formula-like cells, XLSX
    holds what XML can (and shows formula-like text with a quote prefix); JSON lines and Parquet
    keep it. A lone surrogate (only a JSON "\\ud800" escape makes one) is no text: it shows as
    U+FFFD, as undecodable bytes do."""
    from servicelens.outputs.tables import neutralise

    value = _SURROGATES.sub("\ufffd", value)
    if suffix.startswith((".csv", ".tsv")):
        return neutralise(value)
    return _stored(value, suffix) if suffix == ".xlsx" else value


@pytest.fixture(scope="module")
def cached_model(shipped_model):
    """``predict_table`` loads the model for every table; here it takes the module's loaded one."""
    import servicelens.model.loaded

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(servicelens.model.loaded, "Model", lambda folder: shipped_model)
        yield shipped_model


def round_trip(table_dir, model_dir, rows, in_suffix, out_suffix) -> None:
    """Write ``rows`` as an ``in_suffix`` table, score it into an ``out_suffix`` table, and check that
    every row and value came through."""
    from servicelens.batch.local import BatchOptions, predict_table
    from servicelens.outputs.tables import ADDED_COLUMNS, neutralise

    rows = [{c: _stored(v, in_suffix) for c, v in row.items()} for row in rows]
    name = f"t{next(_tmp_names)}"
    source, out = table_dir / f"{name}{in_suffix}", table_dir / f"{name}-scored{out_suffix}"
    _write_input(source, in_suffix, rows)
    originals = rows
    if in_suffix == ".xlsx":  # a spreadsheet row without a value is no row (read_tables skips it)
        rows = [row for row in rows if any(row.values())]
    summary = predict_table(source, out, model_dir, BatchOptions(progress=False, workers=1))
    assert summary.stats.rows == len(rows), len(originals)
    header, got, cells = _read_output(out, out_suffix)
    assert header == [_expected(c, out_suffix) for c in COLUMNS + list(ADDED_COLUMNS)]
    assert len(got) == len(rows)
    for k, (row, values) in enumerate(zip(rows, got)):
        for j, column in enumerate(COLUMNS):
            value = "" if values[j] is None else values[j]
            assert value == _expected(row[column], out_suffix), (k, column)
            if cells and values[j] is not None:  # XLSX: text stays text; formula-like text gets a quote prefix
                assert cells[k][j].data_type == "s"
                assert bool(cells[k][j].quotePrefix) == (neutralise(row[column]) != row[column])
        score = values[len(COLUMNS)]
        if score not in (None, ""):
            assert_score(float(score))


@budget("test_table_round_trip")
@given(table_rows, st.sampled_from(SUFFIXES), st.sampled_from(SUFFIXES))
@example([{"req_id": "00123", "title": "=1+1", "description": "Greet customers, \"now\"\r\nok", "note": "-12.5"}],
         ".csv", ".xlsx")
@example([{"req_id": "", "title": "", "description": "", "note": "a\rb"}], ".jsonl", ".csv")  # found: row split in two
@example([{"req_id": "", "title": "", "description": "", "note": "\uffff"}], ".csv", ".xlsx")  # found: unreadable XLSX
@example([{"req_id": "", "title": "", "description": "", "note": "\ud800"}], ".jsonl", ".parquet")  # found: crash
def test_table_round_trip(table_dir, shipped_model_dir, cached_model, rows, in_suffix, out_suffix):
    ran("test_table_round_trip")
    round_trip(table_dir, shipped_model_dir, rows, in_suffix, out_suffix)


@pytest.mark.parametrize("out_suffix", [".csv", ".jsonl", ".xlsx"])
def test_found_lone_surrogate(table_dir, shipped_model_dir, cached_model, out_suffix):
    round_trip(table_dir, shipped_model_dir, [{"req_id": "\ud800", "title": "Cashier", "description": "Serve customers.",
                                               "note": "a\udfffb"}], ".jsonl", out_suffix)


def test_found_nul_is_not_binary(table_dir, shipped_model_dir, cached_model):
    round_trip(table_dir, shipped_model_dir, [{"req_id": "1", "title": "Cashier", "description": "", "note": "\x00"}],
               ".csv", ".csv")


def test_found_blank_first_line(table_dir):
    from servicelens.inputs.tables import open_table

    path = table_dir / f"blank{next(_tmp_names)}.csv"
    path.write_bytes(b"\nreq_id,title\n1,Cashier\n")
    with open_table(path) as reader:
        assert reader.columns == ["req_id", "title"]
        assert [row for chunk in reader.chunks(10) for row in chunk.rows] == [["1", "Cashier"]]


def test_zz_cases_run(capsys):
    """How many cases ran (this test comes last); a whole run generates at least 10,000."""
    total = sum(CASES.values())
    with capsys.disabled():
        print(f"\nfuzz cases run: {total:,} ({', '.join(f'{k[5:]} {v:,}' for k, v in CASES.items())})")
    if set(CASES) == set(BUDGET) and SCALE >= 1:
        assert total >= 10_000
