"""The notebooks run top to bottom on the real data and write their figures, so they never rot.

Each notebook (jupytext percent format, a plain Python script) runs in a subprocess from the
checkout root with the data folders pointed at ../shared/data and its figures sent to a temporary
folder. None of them fits a model: they read the active model and the figures stored beside it.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
#: notebook -> the figures it writes (the README links the rendered copies in docs/figures/).
FIGURES = {
    "01-corpus.py": ["01-score-by-source.png", "01-external-vs-internal.png"],
    "02-score.py": ["02-predicted-vs-labelled.png", "02-by-source.png"],
    "03-groups.py": ["03-reliability.png", "03-per-group.png"],
}
MAX_FIGURE_BYTES = 150_000
HEADER = "# ---\n# jupyter:\n#   jupytext:\n#     formats: py:percent\n"


def test_every_notebook_is_listed_and_in_percent_format():
    found = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.py"))
    assert found == sorted(FIGURES), "add the notebook and its figures to FIGURES"
    for name in found:
        text = (NOTEBOOKS / name).read_text(encoding="utf-8")
        assert text.startswith(HEADER), f"{name}: not a jupytext percent-format notebook"
        assert "\n# %%" in text
    assert not list(NOTEBOOKS.glob("*.ipynb")), "commit the .py notebooks only"


def test_rendered_figures_are_in_docs():
    for name in (f for figures in FIGURES.values() for f in figures):
        path = ROOT / "docs" / "figures" / name
        assert path.is_file(), f"{path} missing: run the notebook that writes it"
        assert path.stat().st_size < MAX_FIGURE_BYTES, f"{path} is too large for the repository"


@pytest.mark.integration
@pytest.mark.parametrize("notebook", sorted(FIGURES))
def test_notebook_runs_on_the_real_data(notebook, shared_data, tmp_path):
    figures = tmp_path / "figures"
    env = {**os.environ,
           "SERVICELENS_FIGURES_DIR": str(figures),
           "SERVICELENS_ONET_DIR": str(shared_data / "onet-29.0"),
           "SERVICELENS_RATINGS_DIR": str(shared_data / "onet-ratings-2020"),
           "SERVICELENS_POSTINGS_DIR": str(shared_data / "postings-dev"),
           "SERVICELENS_POSTINGS_MORE_DIR": str(shared_data / "postings-more"),
           "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(NOTEBOOKS / notebook)], cwd=ROOT, env=env, check=False,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{notebook} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    for name in FIGURES[notebook]:
        path = figures / name
        assert path.is_file() and path.stat().st_size > 5_000, f"{notebook} did not write {name}"
        assert path.stat().st_size < MAX_FIGURE_BYTES, f"{name} is {path.stat().st_size} bytes"
