import json

import numpy as np
import pytest

from pipeline.errors import ModelError
from pipeline.model_store import META_FILE, MODEL_FILE, load_estimator, save_model
from sklearn.linear_model import Ridge

X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
Y = np.array([[90, 80, 70], [20, 25, 80], [85, 80, 60], [10, 15, 60]], dtype=float)


@pytest.fixture()
def model_dir(tmp_path):
    estimator = Ridge().fit(X, Y)
    return save_model(estimator, tmp_path / "toy-0.0.1", {"name": "toy", "version": "0.0.1"}, "# toy\n")


def test_round_trip_and_metadata(model_dir):
    estimator, meta = load_estimator(model_dir)
    assert meta["name"] == "toy" and "CC BY 4.0" in meta["attribution"]
    assert set(meta["libraries"]) >= {"scikit-learn", "spacy", "numpy", "python"}
    assert estimator.predict(X).shape == (4, 3)
    assert not any(p.name.startswith(".") for p in model_dir.parent.iterdir())


def test_tampered_model_file_is_refused(model_dir):
    with open(model_dir / MODEL_FILE, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="sha256"):
        load_estimator(model_dir)


def test_incompatible_library_major_version_is_refused(model_dir):
    meta = json.loads((model_dir / META_FILE).read_text())
    meta["libraries"]["scikit-learn"] = "0.24.2"
    (model_dir / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="scikit-learn 0.24.2"):
        load_estimator(model_dir)


def test_other_minor_version_warns(model_dir):
    meta = json.loads((model_dir / META_FILE).read_text())
    major = meta["libraries"]["scikit-learn"].split(".")[0]
    meta["libraries"]["scikit-learn"] = f"{major}.0.0"
    (model_dir / META_FILE).write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="retrain"):
        load_estimator(model_dir)


def test_missing_pieces(tmp_path, model_dir):
    with pytest.raises(ModelError, match="no model found"):
        load_estimator(tmp_path / "nothing")
    (model_dir / MODEL_FILE).unlink()
    with pytest.raises(ModelError, match="missing"):
        load_estimator(model_dir)


def test_format_1_folders_still_load(tmp_path):
    """Models saved before format 2 kept their fitted objects in joblib files."""
    import joblib

    from pipeline.files import sha256_file
    from pipeline.model_store import library_versions

    folder = tmp_path / "old-0.0.1"
    folder.mkdir()
    joblib.dump(Ridge().fit(X, Y), folder / "model.joblib")
    meta = {"format": 1, "name": "old", "version": "0.0.1", "libraries": library_versions(),
            "files": {"model.joblib": sha256_file(folder / "model.joblib")}}
    (folder / META_FILE).write_text(json.dumps(meta))
    estimator, loaded = load_estimator(folder)
    assert loaded["format"] == 1 and estimator.predict(X).shape == (4, 3)
