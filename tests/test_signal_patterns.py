import pytest

from servicelens.evidence.signals import NEGATION, SignalPatterns, weight


@pytest.fixture(scope="module")
def patterns():
    return SignalPatterns()


def signals(patterns, unit):
    return patterns.find(unit)


@pytest.mark.parametrize("unit, category", [
    ("Greet customers.", "service"),
    ("Answer incoming calls and emails from customers", "service"),
    ("Provide direct patient care on a busy medical floor", "care"),
    ("Grow a book of business and meet sales quotas", "selling"),
    ("Resolve customer complaints and de-escalate difficult situations", "complaints"),
    ("Liaise with vendors and regulatory agencies", "external_comm"),
    ("Teach students algebra and geometry", "advising"),
    ("Support the sales team with proposals and pricing", "internal"),
])
def test_plain_signals(patterns, unit, category):
    found = signals(patterns, unit)
    assert category in {m.category for m in found}
    match = next(m for m in found if m.category == category)
    assert 0 <= match.start < match.end <= len(unit) and match.polarity == "positive"


@pytest.mark.parametrize("unit", [
    "No customer contact required.", "This is not a customer-facing role.", "Back-office role.",
    "The position does not involve answering phones or greeting visitors.",
])
def test_negations_lower_instead_of_raise(patterns, unit):
    found = signals(patterns, unit)
    assert all(m.polarity == "negated" for m in found)
    assert any(m.category == NEGATION for m in found)
    assert all(weight(m) == 0 for m in found)


@pytest.mark.parametrize("unit", [
    # v1 read each of these (from real postings) as "this job has no customer contact"
    "Maximise scheduling efficiency without compromising customer service.",
    "We are not satisfied unless our customers are satisfied.",
    "Regain your work-life balance with no more than 3 patients per day.",
    "Advise non-profit clients on grant compliance.",
    "Our team works hard behind the scenes to hook you up with leads.",
    "Duties include, but are not limited to, guest service standards.",
])
def test_what_is_no_negation(patterns, unit):
    assert not any(m.category == NEGATION for m in signals(patterns, unit))


def test_a_behind_the_scenes_role_is_a_negation(patterns):
    assert any(m.category == NEGATION for m in signals(patterns, "A behind-the-scenes role in our lab."))


@pytest.mark.parametrize("unit", ["Occasionally cover reception during lunch.", "May assist customers when needed."])
def test_frequency_and_modality_qualify(patterns, unit):
    found = [m for m in signals(patterns, unit) if m.category != NEGATION]
    assert found and all(m.polarity == "qualified" for m in found)
    assert all(0 < weight(m) < m.confidence for m in found)


def test_negating_one_thing_does_not_negate_another(patterns):
    found = signals(patterns, "No cold calling: all leads are inbound, and you'll close deals with new customers.")
    assert "selling" in {m.category for m in found if m.polarity == "positive"}


def test_a_posting_is_scanned_as_a_whole_but_signals_stay_in_their_unit(patterns):
    units = ["Greet customers", "No customer contact required.", "Stock shelves"]
    found = patterns.find_all(units)
    assert [m.category for m in found[0]] == ["service"] and found[0][0].end <= len(units[0])
    assert [m.category for m in found[1]] == ["negation"]
    assert found[2] == []


def test_patterns_survive_pickling(patterns):
    import pickle

    again = pickle.loads(pickle.dumps(patterns))
    assert again.version == patterns.version
    assert again.find("Greet customers.") == patterns.find("Greet customers.")
