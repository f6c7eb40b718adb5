"""Model folders: arrays and JSON only, checked by sha256, and nothing in a folder is ever run."""
import gzip
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from servicelens.errors import ModelError
from servicelens.files import sha256_file
from servicelens.model.linear import Linear
from servicelens.model.store import META_FILE, PARTS_FILE, load_parts, save_model

X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
LINEAR = Linear(np.array([[2.0, 1.0], [0.5, 0.0]]), np.array([1.0, -1.0]))


@pytest.fixture()
def model_dir(tmp_path):
    return save_model({"layer": LINEAR.state()}, tmp_path / "toy-0.0.1", {"name": "toy", "version": "0.0.1"}, "# toy\n")


def _rehash(folder):
    """What someone crafting a folder would do: make meta.json describe the file they put there."""
    meta = json.loads((folder / META_FILE).read_text())
    meta["files"][PARTS_FILE] = sha256_file(folder / PARTS_FILE)
    (folder / META_FILE).write_text(json.dumps(meta))


class Payload:
    """A pickle that would write a file if it were ever unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_round_trip_and_metadata(model_dir):
    parts, meta = load_parts(model_dir)
    assert meta["name"] == "toy" and meta["format"] == 3 and "CC BY 4.0" in meta["attribution"]
    assert set(meta["libraries"]) >= {"numpy", "python", "servicelens"}
    assert np.array_equal(Linear.from_state(*parts["layer"]).predict(X), LINEAR.predict(X))
    assert sorted(p.name for p in model_dir.iterdir()) == ["README.md", META_FILE, PARTS_FILE]
    assert not any(p.name.startswith(".") for p in model_dir.parent.iterdir())


def test_tampered_parts_file_is_refused(model_dir):
    with open(model_dir / PARTS_FILE, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="sha256"):
        load_parts(model_dir)


def test_a_pickle_in_place_of_the_arrays_is_refused_and_never_run(model_dir, tmp_path):
    marker = tmp_path / "ran"
    (model_dir / PARTS_FILE).write_bytes(pickle.dumps(Payload(marker)))
    _rehash(model_dir)
    with pytest.raises(ModelError, match="never pickles"):
        load_parts(model_dir)
    assert not marker.exists()


def test_an_object_array_in_the_arrays_is_refused_and_never_run(model_dir, tmp_path):
    marker = tmp_path / "ran"
    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(model_dir / PARTS_FILE, "a") as archive:
        archive.writestr("layer/evil.npy", buffer.getvalue())
    _rehash(model_dir)
    with pytest.raises(ModelError, match="never pickles"):
        load_parts(model_dir)
    assert not marker.exists()


def test_a_folder_of_servicelens_0_1_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "ran"
    folder = tmp_path / "old-0.1.7"
    folder.mkdir()
    (folder / "model.pkl.gz").write_bytes(gzip.compress(pickle.dumps(Payload(marker))))
    meta = {"format": 2, "name": "old", "version": "0.1.7", "files": {"model.pkl.gz": sha256_file(folder / "model.pkl.gz")}}
    (folder / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="never loaded: retrain"):
        load_parts(folder)
    assert not marker.exists()


def test_incompatible_numpy_major_version_is_refused(model_dir):
    meta = json.loads((model_dir / META_FILE).read_text())
    meta["libraries"]["numpy"] = "0.9.0"
    (model_dir / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="numpy 0.9.0"):
        load_parts(model_dir)


def test_other_minor_version_warns(model_dir):
    meta = json.loads((model_dir / META_FILE).read_text())
    major = meta["libraries"]["numpy"].split(".")[0]
    meta["libraries"]["numpy"] = f"{major}.0.0"
    (model_dir / META_FILE).write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="retrain"):
        load_parts(model_dir)


def test_missing_pieces(tmp_path, model_dir):
    with pytest.raises(ModelError, match="no model found"):
        load_parts(tmp_path / "nothing")
    (model_dir / PARTS_FILE).unlink()
    with pytest.raises(ModelError, match="missing"):
        load_parts(model_dir)
