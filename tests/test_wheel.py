"""The installed tool works anywhere: build the wheel, install it into a fresh virtual environment,
and from an empty folder score a posting file and a small CSV with the shipped model.

The new environment sees this one's installed packages after its own (a path file), so nothing is
downloaded; the wheel is built without build isolation for the same reason (the test extra brings
the setuptools it needs).
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLES = ROOT / "data" / "raw" / "examples"


def run(*command, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``bin`` folder of a fresh environment with the wheel installed."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy without build leftovers of the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                                 ".pytest_cache", "notebooks", "tests"))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", root / "dist", source, cwd=root)
    wheel = next((root / "dist").glob("servicelens-*.whl"))
    venv.EnvBuilder(with_pip=False).create(root / "env")
    bin_dir = root / "env" / "bin"
    # Install first, then add the path file: with it in place, pip would find the servicelens this
    # environment has (installed, not editable, in CI) and call the wheel already satisfied.
    run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "--no-deps", "--no-index", wheel,
        cwd=root)
    site_dir = Path(run(bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                        cwd=root).stdout.strip())
    here = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site_dir / "dependencies.pth").write_text("".join(f"{p}\n" for p in here), encoding="utf-8")
    return bin_dir


def test_the_wheel_scores_from_an_empty_folder(installed, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    where = run(installed / "python", "-c", "import servicelens, sys; print(servicelens.__file__)", cwd=empty)
    assert str(installed.parent) in where.stdout  # the installed copy, not the checkout
    posting = empty / "posting.txt"
    posting.write_text((EXAMPLES / "store-associate.txt").read_text(encoding="utf-8"), encoding="utf-8")
    one = run(installed / "servicelens", "predict", posting, cwd=empty)
    assert "customer-service score" in one.stdout
    table = empty / "jobs.csv"
    table.write_text((EXAMPLES / "jobs.csv").read_text(encoding="utf-8"), encoding="utf-8")
    run(installed / "servicelens", "predict", table, "-o", empty / "scored.csv", "--quiet", cwd=empty)
    with open(empty / "scored.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and any(r["cs_score"] for r in rows)
    api = run(installed / "python", "-c", "import servicelens; print(servicelens.load_model().version)", cwd=empty)
    assert api.stdout.strip().startswith("servicelens-")
    version = run(installed / "servicelens", "--version", cwd=empty)
    assert "servicelens" in version.stdout and "model" in version.stdout
    assert run(installed / "python", "-c", "import pipeline", cwd=empty, check=False).returncode != 0
