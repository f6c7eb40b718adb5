from servicelens.reading.posting import prepare
from servicelens.rules import Units, compile_rule
from servicelens.reading.sections import SectionRules

RULES = SectionRules()


def test_a_short_first_line_is_the_title():
    posting = prepare("Store Associate\n\nResponsibilities:\n- Greet customers.", None, RULES)
    assert posting.title == "Store Associate" and posting.title_unit == 0
    assert posting.scorer_units() == ["Store Associate", "Greet customers."]


def test_no_title_from_a_sentence_a_bullet_or_a_heading():
    for text in ("Greet customers and answer their questions.\nStock shelves.",
                 "- Greet customers\n- Stock shelves", "Responsibilities:\n- Greet customers"):
        assert prepare(text, None, RULES).title_unit is None


def test_a_given_title_wins():
    posting = prepare("Store Associate\n- Greet customers", "Cashier", RULES)
    assert posting.title == "Cashier" and posting.title_unit is None


def test_original_offsets_of_units_through_html():
    raw = "<p>Cashier</p><ul><li>Greet <b>customers</b> &amp; guests</li></ul>"
    posting = prepare(raw, None, RULES)
    k = posting.scored[0]
    start, end = posting.original_span(k)
    assert raw[start:end].startswith("Greet") and raw[start:end].endswith("guests")


def test_units_map_matches_back_and_never_across_units():
    joined = Units(["greet customers", "customers", "call"])
    pattern = compile_rule(r"customers\s+call|customers", "test")
    assert list(joined.finditer(pattern)) == [(0, 6, 15), (1, 0, 9)]
