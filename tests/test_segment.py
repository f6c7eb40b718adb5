import pytest

from servicelens.reading.segment import unit_bounds


def units(text):
    return [text[s:e] for s, e in unit_bounds(text)]


def test_bullets_of_every_kind_are_separate_units():
    text = "What you'll do:\n- Greet customers.\n* Stock shelves\n• Run the register\n1. Count cash\n2) Close up"
    assert units(text) == ["What you'll do:", "Greet customers.", "Stock shelves", "Run the register",
                           "Count cash", "Close up"]


def test_sentences_split_but_abbreviations_do_not():
    text = "Founded by Dr. Smith in the U.S. in 1990. We use e.g. Excel daily. Apply now!"
    assert units(text) == ["Founded by Dr. Smith in the U.S. in 1990.", "We use e.g. Excel daily.", "Apply now!"]


def test_short_units_are_never_lost():
    assert units("Greet customers.") == ["Greet customers."]
    assert units("Hi") == ["Hi"]


def test_scraped_lists_that_lost_their_line_breaks():
    text = "Qualifications:Juris Doctor degree;Licensed in New York.Strong writing skills"
    assert units(text) == ["Qualifications:", "Juris Doctor degree;", "Licensed in New York.", "Strong writing skills"]


def test_scraped_lists_that_lost_their_marks_too():
    # A capital glued to a lowercase word or a heading starts a unit; product names stay whole.
    text = "Job DescriptionThis role pays vendors on timeManage contracts Strong skillsAbility to lift"
    assert units(text) == ["Job Description", "This role pays vendors on time", "Manage contracts Strong skills",
                           "Ability to lift"]
    assert units("About UsWe are a bank.") == ["About Us", "We are a bank."]
    for name in ("PowerPoint", "JavaScript", "iPhone", "eBay", "QuickBooks", "LinkedIn", "macOS", "DevOps"):
        assert units(f"Use {name} daily.") == [f"Use {name} daily."]


def test_inline_bullets_split():
    assert units("Skills: • Excel • Word") == ["Skills:", "Excel", "Word"]
    # Scraped lists glue the bullet to the line before it.
    assert units("Job Responsibilities• Input bills• Support office staff.· File records") == [
        "Job Responsibilities", "Input bills", "Support office staff.", "File records"]
    assert units("Col·laborar amb l·l") == ["Col·laborar amb l·l"]  # a middle dot inside a word
    for text in ("Good at Excel✔ and Word", "Ms· Smith will train you", "Call 555·123· 4567"):
        assert units(text) == [text]
    assert units("Skills:•• Excel") == ["Skills:", "Excel"]
    assert units("Excel ✓\nWord ✓") == ["Excel ✓", "Word ✓"]


def test_offsets_index_the_text_and_units_do_not_overlap():
    text = "About us\n\nWe serve.  Really!\n\n-\n- Greet  customers.\n"
    bounds = unit_bounds(text)
    assert all(0 <= s < e <= len(text) for s, e in bounds)
    assert all(a[1] <= b[0] for a, b in zip(bounds, bounds[1:]))
    assert units(text) == ["About us", "We serve.", "Really!", "Greet  customers."]


def test_a_very_long_run_is_cut_into_readable_units():
    text = "word " * 2000
    bounds = unit_bounds(text)
    assert len(bounds) > 1 and all(e - s <= 1000 for s, e in bounds)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "- \n* \n1.", "•••"])
def test_empty_or_marker_only_text_has_no_units(text):
    assert unit_bounds(text) == []


def test_spacy_component_is_registered_and_marks_units():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("servicelens_segmenter")
    doc = nlp("About us: we serve.\n- Greet customers.\n• Run the register")
    assert [span.text for span in doc.spans["units"]] == ["About us: we serve.", "Greet customers.", "Run the register"]
    assert sum(1 for _ in doc.sents) == 3
