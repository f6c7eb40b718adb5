"""The model registry: an atomic active pointer, use, rollback, and interrupted writes."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from pipeline import model_store
from pipeline.errors import ModelError
from pipeline.model_store import save_model
from pipeline.registry import (ACTIVE_FILE, activate, active_model, find_model, history, model_folders, pin_active,
                               rollback)


def toy(root, version: str):
    estimator = Ridge().fit(np.eye(3), np.arange(3.0))
    return save_model(estimator, root / f"toy-{version}", {"name": "toy", "version": version}, "# toy\n")


def test_without_a_pointer_the_newest_is_active_until_pinned(tmp_path):
    first = toy(tmp_path, "0.0.1")
    assert active_model(tmp_path) == first
    assert pin_active(tmp_path) == first
    toy(tmp_path, "0.0.2")
    assert active_model(tmp_path) == first  # a new folder does not take over by being newest
    assert (tmp_path / ACTIVE_FILE).read_text().strip() == first.name


def test_use_and_rollback_go_back_one_activation_at_a_time(tmp_path):
    a, b, c = (toy(tmp_path, v) for v in ("0.0.1", "0.0.2", "0.0.3"))
    pin_active(tmp_path)  # c, the newest
    activate(a, "test", tmp_path)
    activate(b, "test", tmp_path)
    assert active_model(tmp_path) == b
    assert rollback(tmp_path) == a
    assert rollback(tmp_path) == c
    with pytest.raises(ModelError, match="nothing to roll back to"):
        rollback(tmp_path)
    assert [e["name"] for e in history(tmp_path)] == [c.name]


def test_find_model_by_name_or_version(tmp_path):
    a = toy(tmp_path, "0.0.1")
    assert find_model("0.0.1", tmp_path) == a == find_model("toy-0.0.1", tmp_path)
    with pytest.raises(ModelError, match="no model '9.9' in the registry"):
        find_model("9.9", tmp_path)


def test_an_interrupted_save_leaves_no_folder_and_the_active_model_intact(tmp_path, monkeypatch):
    a = toy(tmp_path, "0.0.1")
    pin_active(tmp_path)
    calls = []

    def dump(obj, path):
        calls.append(path)
        if len(calls) == 2:  # after the estimator, while writing the next part
            raise KeyboardInterrupt
        return original(obj, path)

    original = model_store.dump
    monkeypatch.setattr(model_store, "dump", dump)
    with pytest.raises(KeyboardInterrupt):
        save_model(Ridge(), tmp_path / "toy-0.0.2", {"name": "toy", "version": "0.0.2"}, "# toy\n",
                   parts={"groups.pkl.gz": Ridge()})
    assert [p.name for p in model_folders(tmp_path)] == [a.name]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".toy-0.0.2")]  # no half-written folder
    assert active_model(tmp_path) == a


def test_a_model_is_never_overwritten_and_use_stays_inside_the_registry(tmp_path):
    a = toy(tmp_path / "models", "0.0.1")
    with pytest.raises(ModelError, match="already in the registry"):
        toy(tmp_path / "models", "0.0.1")
    outside = toy(tmp_path / "elsewhere", "0.0.9")
    with pytest.raises(ModelError, match="not a model of the registry"):
        find_model(str(outside), tmp_path / "models")
    assert find_model(str(a), tmp_path / "models") == a
