"""The spaCy components, registered through the package's spacy_factories entry point."""
import spacy


POSTING = ("Store Associate\nAbout us\nWe serve millions of customers.\nWhat you'll do\n"
           "- Greet customers.\n- Resolve complaints politely.\n- Stock shelves.\n"
           "We are an equal opportunity employer.")


def test_segmenter_and_sections():
    nlp = spacy.blank("en")
    nlp.add_pipe("servicelens_segmenter")
    nlp.add_pipe("servicelens_sections")
    doc = nlp(POSTING)
    labels = {span.text: span.label_ for span in doc.spans["units"]}
    assert labels["Greet customers."] == "duties"
    assert labels["We serve millions of customers."] == "about"
    assert labels["What you'll do"] == "duties_heading"
    assert labels["We are an equal opportunity employer."] == "legal"
    assert len(list(doc.sents)) == len(doc.spans["units"])


def test_customer_signals_component(shipped_model_dir):
    nlp = spacy.blank("en")
    nlp.add_pipe("customer_signals", config={"model": str(shipped_model_dir)})
    doc = nlp(POSTING)
    result = doc._.servicelens
    assert 0 <= result.cs_score <= 100
    spans = doc.spans["customer_signals"]
    assert {"service", "complaints"} <= {span.label_ for span in spans}
    # "customers" in About us is not a signal.
    assert all("millions" not in span.text for span in spans)
    for span in spans:
        assert span.start_char >= POSTING.index("What you'll do")


def test_build_nlp_matches_the_python_api(shipped_model_dir, shipped_model):
    from servicelens.spacy_components import build_nlp

    doc = build_nlp(str(shipped_model_dir))(POSTING)
    assert doc._.servicelens.cs_score == shipped_model.score(POSTING).cs_score


def test_customer_groups_component(shipped_model_dir):
    nlp = spacy.blank("en")
    nlp.add_pipe("servicelens_segmenter")
    nlp.add_pipe("servicelens_sections")
    nlp.add_pipe("customer_groups", config={"model": str(shipped_model_dir)})
    doc = nlp(POSTING)
    groups = doc._.customer_groups
    assert groups and groups[0].group == "customers" and groups[0].kind == "explicit"
    spans = doc.spans["customer_groups"]
    assert spans and all(span.label_ in {g.group for g in groups} for span in spans)
    assert all(span.start_char >= POSTING.index("What you'll do") for span in spans)


def test_groups_after_signals_reuse_the_result(shipped_model_dir):
    from servicelens.spacy_components import build_nlp

    doc = build_nlp(str(shipped_model_dir))(POSTING)
    assert doc._.customer_groups == doc._.servicelens.groups


def test_segmenter_leaves_no_text_out_of_the_units():
    # spaCy keeps a glued word ("skillsAbility") one token, so a unit starting inside it joins the one before.
    nlp = spacy.blank("en")
    nlp.add_pipe("servicelens_segmenter")
    text = "Job DescriptionThis role pays vendors on timeManage contracts Strong skillsAbility to lift"
    doc = nlp(text)
    covered = "".join(span.text for span in doc.spans["units"])
    assert [c for c in covered if c.isalnum()] == [c for c in text if c.isalnum()]
