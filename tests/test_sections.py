import pytest

from servicelens.reading.sections import SectionRules, label_sections
from servicelens.reading.segment import unit_bounds


@pytest.fixture(scope="module")
def rules():
    return SectionRules()


def sections_of(text, rules):
    units = [text[s:e] for s, e in unit_bounds(text)]
    return [(u, label.section, label.heading) for u, label in zip(units, label_sections(units, rules))]


POSTING = """About Us
We are a leading grocery chain serving millions of customers every day.
What You'll Do
- Greet customers and answer questions.
- Stock shelves.
Who You Are
- 1+ years of retail experience.
Why Join
- Employee discount and 401(k) match.
We are an equal opportunity employer and consider all qualified applicants without regard to race or religion.
"""


def test_headed_posting(rules):
    labels = {u: s for u, s, h in sections_of(POSTING, rules) if not h}
    assert labels["We are a leading grocery chain serving millions of customers every day."] == "about"
    assert labels["Greet customers and answer questions."] == "duties"
    assert labels["1+ years of retail experience."] == "requirements"
    assert labels["Employee discount and 401(k) match."] == "benefits"
    assert labels[[u for u in labels if u.startswith("We are an equal")][0]] == "legal"


@pytest.mark.parametrize("heading, section", [
    ("Key Responsibilities:", "duties"), ("What you'll do", "duties"), ("Your role", "duties"),
    ("Responsibilities will include:", "duties"), ("Qualifications", "requirements"),
    ("What we're looking for:", "requirements"), ("About the company", "about"), ("Why join us?", "about"),
    ("Benefits", "benefits"), ("What we offer", "benefits"), ("Equal Opportunity Statement", "legal"),
    ("Duties and Responsibilities include, but not limited to:", "duties"),
    ("Essential functions of the job include:", "duties"), ("Responsibilities and Duties", "duties"),
    ("Qualifications include, but are not limited to, the following:", "requirements"),
    ("Essential functions of the position include, but are not limited to:", "duties"),
    ("Essential Duties and Responsibilities include, but are not limited to, the following:", "duties"),
])
def test_heading_variants(rules, heading, section):
    assert rules.heading_section(heading.rstrip(":")) == section


def test_inline_heading_and_text(rules):
    labels = sections_of("Responsibilities: greet guests at the door.\nRequirements: a valid license.", rules)
    assert [(s, h) for _, s, h in labels] == [("duties", False), ("requirements", False)]


def test_unheaded_prose(rules):
    text = ("Acme Corp is a leading provider of payroll software. The Support Specialist will answer customer "
            "calls and resolve billing issues. Must have 2 years of experience in a call center. "
            "We offer competitive pay and dental insurance.")
    labels = [s for _, s, _ in sections_of(text, rules)]
    assert labels == ["about", "duties", "requirements", "benefits"]


def test_eeo_text_is_legal_even_under_a_duties_heading(rules):
    labels = sections_of("Responsibilities\n- Greet guests.\nWe are an Equal Opportunity Employer.", rules)
    assert labels[-1][1] == "legal"


def test_about_this_role_heads_the_duties(rules):
    found = sections_of("About Us\nWe make signs.\nAbout this Role\n- Answer customer calls.\n", rules)
    assert found[1][1] == "about" and found[3] == ("Answer customer calls.", "duties", False)


def test_a_logistics_heading_with_its_value_labels_that_line_only(rules):
    found = sections_of("Reports To: Director of Operations\nPlan production runs for the plant.\n", rules)
    assert [section for _, section, _ in found] == ["other", "duties"]


def test_a_posting_always_has_duties(rules):
    # A pay line on top opens "benefits", and no heading closes it: read the units by their own cues.
    text = ("Pay Range: $40-$70/Hour\nClean patients' teeth and take x-rays.\n"
            "Educate patients on oral hygiene.\nMedical, dental and vision insurance.\n")
    found = sections_of(text, rules)
    assert [section for _, section, _ in found] == ["benefits", "duties", "duties", "benefits"]


@pytest.mark.parametrize("heading, section", [
    ("What You'll Bring", "requirements"), ("What We Need From You", "requirements"), ("Why Acme", "about"),
    ("Why Riverside Health?", "about"), ("What You'll Get", "benefits"), ("Shifts", "other"),
    ("Nature of Work", "duties"),
])
def test_headings_users_write_go_to_their_section(rules, heading, section):
    """Headings a new user's postings used (issue 22), each read as what it heads."""
    found = sections_of(f"{heading}\nThe line under the heading.\n", rules)
    assert found[0][2] and found[0][1] == section, found


def test_a_whole_eeo_paragraph_is_legal_wherever_it_stands():
    from servicelens.reading.posting import prepare

    text = ("Data Engineer\n\nResponsibilities\n- Build pipelines for the analytics team.\n\n"
            "Acme is an equal opportunity employer. We are committed to an inclusive environment for all employees "
            "and consider all qualified applicants.\n\n- Tune the warehouse.\n")
    posting = prepare(text, None, SectionRules())
    by_unit = {u: s.section for u, s in zip(posting.units, posting.sections)}
    assert by_unit["We are committed to an inclusive environment for all employees and consider all qualified "
                   "applicants."] == "legal"
    assert by_unit["Build pipelines for the analytics team."] == "duties"


def test_an_inline_about_us_line_is_not_scored():
    from servicelens.reading.posting import prepare

    posting = prepare("Restaurant Server\n\nAbout us \u2013 our bistro serves 2,000 guests a week.\n\nDuties\n"
                      "- Take orders.\n", None, SectionRules())
    line = next(u for u in posting.units if "2,000 guests" in u)
    assert posting.sections[posting.units.index(line)].section == "about"
