import json

import pytest

from servicelens.errors import InputError
from servicelens.inputs.posting_files import read_posting


def test_text_markdown_and_html_are_read_as_given(tmp_path):
    for name, body in [("a.txt", "Greet customers."), ("b.md", "# Role\n- Greet"), ("c.html", "<p>Greet</p>")]:
        (tmp_path / name).write_text(body, encoding="utf-8")
        assert read_posting(tmp_path / name).text == body


def test_json_posting_fields(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"Title": "Nurse", "description": "Care for patients."}), encoding="utf-8")
    posting = read_posting(path)
    assert posting.title == "Nurse" and posting.text == "Care for patients."


@pytest.mark.parametrize("content, fragment", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])
def test_bad_files_name_the_file(tmp_path, content, fragment):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=fragment) as info:
        read_posting(path)
    assert "bad.txt" in str(info.value)


def test_json_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON"):
        read_posting(bad)
    no_text = tmp_path / "no_text.json"
    no_text.write_text(json.dumps({"title": "x"}), encoding="utf-8")
    with pytest.raises(InputError, match="description"):
        read_posting(no_text)


def test_missing_and_unsupported(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_posting(tmp_path / "nope.txt")
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="unsupported"):
        read_posting(tmp_path / "x.pdf")


def test_encodings(tmp_path):
    text = "Café – “greet” customers"
    for encoding, name in [("utf-8-sig", "a.txt"), ("utf-16", "b.txt"), ("cp1252", "c.txt")]:
        (tmp_path / name).write_bytes(text.encode(encoding))
        assert read_posting(tmp_path / name).text == text
