"""Scoring with the shipped model: the Python API and the predict command."""
import json

import pytest
from typer.testing import CliRunner

from servicelens import load_model
from servicelens.bands import BAND_NAMES, band
from servicelens.cli.app import app
from servicelens.model.registry import default_model, shipped_dir
from tests.conftest import ROOT

EXAMPLES = ROOT / "data" / "raw" / "examples"
runner = CliRunner()


def test_models_before_the_scale_keep_their_own_bands():
    """servicelens.bands: the O*NET-anchored bands of models before 0.2 (scale v1's are in servicelens.scale)."""
    assert [band(s) for s in (0, 37.4, 37.5, 62.5, 87.5, 100)] == ["low", "low", "moderate", "high", "core", "core"]
    assert BAND_NAMES == ("low", "moderate", "high", "core")


def test_score_api(shipped_model):
    result = shipped_model.score("- Greet customers and answer their questions.\n- Process returns.",
                                 title="Retail Sales Associate")
    assert 0 <= result.cs_score <= 100 and result.band in BAND_NAMES
    assert 0 <= result.external <= 100 and 0 <= result.internal <= 100
    assert result.model_version == shipped_model.version
    assert result.groups[0].group == "customers" and result.groups[0].kind == "explicit"


def test_signal_offsets_index_the_original_text(shipped_model):
    raw = "<ul><li>Greet customers &amp; answer questions</li><li>Write SQL reports</li></ul>"
    result = shipped_model.score(raw)
    assert result.signals
    for signal in result.signals:
        assert signal.start is not None and 0 <= signal.start < signal.end <= len(raw)
        assert signal.text.split()[0] in raw[signal.start:signal.end]
        assert signal.category and signal.section in ("duties", "requirements")


def test_customer_roles_outscore_back_office_roles(shipped_model):
    store = shipped_model.score((EXAMPLES / "store-associate.txt").read_text(encoding="utf-8"))
    engineer = shipped_model.score((EXAMPLES / "backend-engineer.html").read_text(encoding="utf-8"))
    assert store.cs_score > engineer.cs_score + 5


@pytest.mark.parametrize("text, title", [
    ("Greet customers.\nAnswer phones.\nFile reports.", None),
    ((EXAMPLES / "store-associate.txt").read_text(encoding="utf-8"), None),
    ("Resolve complaints from patients and families.", "Patient Advocate"),
])
def test_base_signals_and_other_add_up_to_the_score(shipped_model, text, title):
    result = shipped_model.score(text, title=title)
    total = result.base + result.title_contribution + sum(s.contribution for s in result.signals) + result.other
    assert total == pytest.approx(result.cs_score, abs=0.05)


def test_the_base_is_the_same_for_every_posting(shipped_model):
    bases = {shipped_model.score(t).base for t in ("Greet customers.", "Operate a forklift.\nLoad trucks.")}
    assert len(bases) == 1


def test_boilerplate_does_not_move_the_score(shipped_model):
    duties = "Responsibilities:\n- Operate the CNC lathe.\n- Inspect finished parts.\n"
    about = "About us:\nWe serve millions of customers and our clients love us.\n"
    eeo = "We are an equal opportunity employer and welcome all applicants and customers.\n"
    plain = shipped_model.score(duties)
    assert shipped_model.score(about + duties + eeo).cs_score == pytest.approx(plain.cs_score, abs=0.05)


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
    model = load_model()
    assert model.path.parent == shipped_dir()  # the checkout's models/ or, installed, the package's copy
    assert model.path.name == default_model().name


def test_html_output_is_self_contained(tmp_path):
    out = tmp_path / "evidence.html"
    result = runner.invoke(app, ["predict", "--html", str(out), str(EXAMPLES / "store-associate.txt")])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<mark" in page and "service" in page and "O*NET 29.0 Database" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_version_flag():
    from servicelens import __version__
    from servicelens.model.registry import default_model

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"servicelens {__version__} (default model {default_model().name})"


def test_a_folder_is_named_as_a_folder(tmp_path):
    result = runner.invoke(app, ["predict", str(tmp_path)])
    assert result.exit_code != 0
    assert f"{tmp_path}: is a folder" in result.output + str(result.exception)


def test_label_errors_are_printed_once(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("title,description,cs_score\nCashier,Ring up sales.,120\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--labels", str(labels), "--check"])
    assert result.exit_code != 0
    printed = result.output + str(result.exception or "")  # the error handler prints the exception's message
    assert printed.count("cs_score '120' is not a number from 0 to 100") == 1, printed


def test_help_shows_defaults_examples_and_whole_lines():
    result = runner.invoke(app, ["predict", "--help"], terminal_width=80)
    for default in ("[default:\n", "250]", "100000]", "10.0]"):
        assert default.replace("\n", "") in result.output.replace("\n", "").replace(" ", "") or default in result.output
    assert "Examples:" in result.output and "servicelens predict posting.txt" in result.output
    train = runner.invoke(app, ["train", "--help"], terminal_width=80)
    assert "Parquet" in train.output and "Parque..." not in train.output and "Example" in train.output
    for command in (["evaluate"], ["report"], ["models", "use"]):
        assert "Example" in runner.invoke(app, [*command, "--help"], terminal_width=80).output, command


def test_models_diff_compares_the_reading_and_a_tag(shipped_model_dir):
    jobs = EXAMPLES / "jobs.csv"
    result = runner.invoke(app, ["models", "diff", "servicelens-0.1.7", str(shipped_model_dir), "--on", str(jobs),
                                 "--evidence", "--tag", "department=Stores", "--json"])
    assert result.exit_code == 0, result.output
    drift = json.loads(result.output)
    assert drift["changed_band"] is None  # an O*NET-scale model against a scale-v1 model
    assert drift["evidence"]["units"] > 0 and drift["evidence"]["wrong_sign_b"] == 0
    assert drift["tag"]["tagged"] >= 1 and 0 <= drift["tag"]["auc_b"] <= 1
    bad = runner.invoke(app, ["models", "diff", "servicelens-0.1.7", str(shipped_model_dir), "--on", str(jobs),
                              "--tag", "nope=Stores"])
    assert bad.exit_code != 0 and "no column 'nope'" in bad.output + str(bad.exception)
