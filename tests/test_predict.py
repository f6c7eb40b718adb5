"""Scoring with the shipped model: the Python API and the predict command."""
import json

import pytest
from typer.testing import CliRunner

from pipeline import load_model
from pipeline.bands import BAND_NAMES, band
from pipeline.cli import app
from tests.conftest import ROOT

EXAMPLES = ROOT / "data" / "raw" / "examples"
runner = CliRunner()


def test_bands_follow_the_documented_cut_points():
    assert [band(s) for s in (0, 37.4, 37.5, 62.5, 87.5, 100)] == ["low", "low", "moderate", "high", "core", "core"]
    assert BAND_NAMES == ("low", "moderate", "high", "core")


def test_score_api(shipped_model):
    result = shipped_model.score("- Greet customers and answer their questions.\n- Process returns.",
                                 title="Retail Sales Associate")
    assert 0 <= result.cs_score <= 100 and result.band in BAND_NAMES
    assert 0 <= result.external <= 100 and 0 <= result.internal <= 100
    assert result.model_version == shipped_model.version
    assert not hasattr(result, "groups")  # groups arrive with their own issue; no placeholder


def test_signal_offsets_index_the_original_text(shipped_model):
    raw = "<ul><li>Greet customers &amp; answer questions</li><li>Write SQL reports</li></ul>"
    result = shipped_model.score(raw)
    assert result.signals
    for signal in result.signals:
        assert signal.start is not None and 0 <= signal.start < signal.end <= len(raw)
        assert signal.text.split()[0] in raw[signal.start:signal.end]


def test_customer_roles_outscore_back_office_roles(shipped_model):
    store = shipped_model.score((EXAMPLES / "store-associate.txt").read_text(encoding="utf-8"))
    engineer = shipped_model.score((EXAMPLES / "backend-engineer.html").read_text(encoding="utf-8"))
    assert store.cs_score > engineer.cs_score + 5


def test_contributions_and_base_add_up(shipped_model):
    result = shipped_model.score("Greet customers.\nAnswer phones.\nFile reports.")
    units = shipped_model.estimator.explain(["Greet customers.", "Answer phones.", "File reports."])
    assert result.base == pytest.approx(units[0][0], abs=0.01)
    assert result.cs_score == pytest.approx(min(100, max(0, units[0][0] + units[1][:, 0].sum())), abs=0.06)


def test_predict_command_summary_and_json():
    files = [str(EXAMPLES / name) for name in ("store-associate.txt", "admitting-nurse.json")]
    result = runner.invoke(app, ["predict", *files])
    assert result.exit_code == 0, result.output
    assert "customer-service score" in result.output and "store-associate.txt" in result.output
    result = runner.invoke(app, ["predict", "--json", *files])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 2 and {"cs_score", "band", "external", "internal", "signals"} <= set(rows[0])
    assert rows[1]["title"] == "Registered Nurse - Admissions"


def test_bad_files_are_named_and_the_others_still_scored(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x00\x01\x02PNG\x00" * 10)
    good = EXAMPLES / "store-associate.txt"
    result = runner.invoke(app, ["predict", "--json", str(empty), str(good), str(binary)])
    assert result.exit_code == 1
    assert "empty.txt: file is empty" in result.stderr
    assert "image.txt: looks like a binary file" in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_a_missing_model_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["predict", "--model", str(tmp_path / "none"), str(EXAMPLES / "store-associate.txt")])
    assert result.exit_code != 0
    assert "no model found" in str(result.exception) + result.output


def test_load_model_default_is_the_shipped_model(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("SERVICELENS_MODEL", raising=False)
    assert load_model().path.parent.name == "models"
