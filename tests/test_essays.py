"""The origin essays' jobs: servicelens finds every group the essays say each job serves."""
import json
from pathlib import Path

import pytest

from servicelens.inputs.posting_files import read_posting

ESSAYS = Path(__file__).parent / "data" / "essays"
EXPECTED = json.loads((ESSAYS / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_group_the_essays_name_is_found(shipped_model, name):
    posting = read_posting(ESSAYS / name)
    result = shipped_model.score(posting.text, title=posting.title)
    found = {g.group: g for g in result.groups}
    missing = [g for g in EXPECTED[name] if g not in found]
    assert not missing, f"{name}: {missing} not found; found {sorted(found)}"
    for group in EXPECTED[name]:
        g = found[group]
        assert g.evidence, (name, group)
        if g.kind == "explicit":  # the words that name them, at offsets into the text as given
            assert any(e.start is not None and posting.text[e.start:e.end] == e.text for e in g.evidence)
