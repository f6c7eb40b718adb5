from servicelens.reading.clean import clean_text, strip_html


def test_plain_text_is_unchanged():
    text = "Greet customers.\nAnswer phones."
    clean = clean_text(text)
    assert clean.text == text
    assert clean.original_span(0, 5) == (0, 5)


def test_html_tags_and_entities_are_stripped_with_offsets():
    raw = "<ul><li>Greet customers &amp; guests</li><li>Cash&nbsp;register</li></ul>"
    clean = clean_text(raw)
    assert "<" not in clean.text and "&amp;" not in clean.text
    assert "Greet customers & guests" in clean.text
    assert "Cash register" in clean.text
    i = clean.text.index("customers")
    start, end = clean.original_span(i, i + len("customers"))
    assert raw[start:end] == "customers"
    # an entity maps back to the entity it came from
    j = clean.text.index("&")
    assert raw[slice(*clean.original_span(j, j + 1))] == "&amp;"


def test_li_becomes_a_bullet_line_and_scripts_vanish():
    clean = clean_text("<p>Intro</p><script>var x = '<li>no</li>';</script><li>One</li><li>Two</li>")
    assert "var x" not in clean.text
    assert "\n• One" in clean.text and "\n• Two" in clean.text


def test_text_with_angle_brackets_that_is_not_html_is_kept():
    assert strip_html("a < b & c > d") == "a < b & c > d"


def test_control_and_invisible_characters_and_line_breaks():
    raw = "Greet\u200b customers\r\nAnswer\x00 phones\u00a0now\rBye"
    clean = clean_text(raw)
    assert clean.text == "Greet customers\nAnswer phones now\nBye"
    k = clean.text.index("phones")
    assert raw[slice(*clean.original_span(k, k + 6))] == "phones"
    assert clean.original_span(0, len(clean.text)) == (0, len(raw))
