"""The evidence page and the batch report: what they say, and how they look in a real browser.

The browser check runs when Debian's Chromium is installed (``apt-get install chromium``) and is
skipped otherwise. Set ``SERVICELENS_SCREENSHOTS`` to a folder to keep the screenshots and look
at them.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from servicelens.cli.app import app
from tests.conftest import ROOT

EXAMPLES = ROOT / "data" / "raw" / "examples"
runner = CliRunner()


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pages")
    files = [str(EXAMPLES / n) for n in ("store-associate.txt", "admitting-nurse.json", "backend-engineer.html")]
    result = runner.invoke(app, ["predict", *files, "--html", str(out / "evidence.html")])
    assert result.exit_code == 0, result.output
    export = pd.concat([pd.read_csv(EXAMPLES / "jobs.csv", dtype=str)] * 4, ignore_index=True)  # titles repeat
    export.to_csv(out / "export.csv", index=False)
    result = runner.invoke(app, ["predict", str(out / "export.csv"), "-o", str(out / "scored.csv"), "--quiet",
                                 "--report", str(out / "report.html")])
    assert result.exit_code == 0, result.output
    return {"evidence": out / "evidence.html", "report": out / "report.html"}


def test_the_evidence_page_has_an_index_and_underlines_group_evidence(pages):
    page = pages["evidence"].read_text(encoding="utf-8")
    assert page.count('href="#posting-') == 3  # an index of the postings on the page
    assert re.search(r'<u[^>]*class="group"', page) or 'class="group"' in page
    assert "O*NET reference" in page and "kept apart from the score" in page
    assert "Parents and families" in page and "parents_families" not in page.split("<style")[0]


def test_the_report_names_groups_by_label_and_aggregates_titles(pages):
    page = pages["report"].read_text(encoding="utf-8")
    assert "Internal teams" in page and ">internal_teams<" not in page
    table = page[page.index("Most customer-facing titles"):page.index("Least customer-facing titles")]
    titles = re.findall(r"<tr><td>([^<]+)</td>", table)
    assert titles and len(titles) == len(set(titles))  # each title once, with its count
    assert "spread within the title" in table
    assert "customer-service score" in page and ">rows<" in page  # the histogram's axis titles


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("name", ["evidence", "report"])
def test_the_pages_render_in_a_headless_browser(pages, name, tmp_path):
    from matplotlib.image import imread

    keep = os.environ.get("SERVICELENS_SCREENSHOTS")
    shot = (Path(keep) if keep else tmp_path) / f"{name}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,2400", f"--screenshot={shot}", pages[name].as_uri()],
                   capture_output=True, timeout=120, check=True)
    pixels = imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.shape[1] == 1280
    assert pixels[..., :3].std() > 0.05  # something is drawn, not a blank page
    inked = (pixels[..., :3].mean(axis=2) < 0.5).mean(axis=1)  # dark pixels per row: text and bars
    assert (inked > 0).mean() > 0.3, "most of the page is empty"
