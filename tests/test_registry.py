"""The model registry: an atomic active pointer, use, rollback, and interrupted writes."""
from __future__ import annotations

import numpy as np
import pytest

from servicelens.errors import ModelError
from servicelens.model import store as model_store
from servicelens.model.linear import Linear
from servicelens.model.registry import (ACTIVE_FILE, activate, active_model, default_model, find_model, history,
                                        model_folders, rollback, shipped_dir, shipped_models)
from servicelens.model.store import save_model


def toy(root, version: str):
    layer = Linear(np.eye(3), np.zeros(3))
    return save_model({"layer": layer.state()}, root / f"toy-{version}", {"name": "toy", "version": version}, "# toy\n")


def test_the_default_is_the_shipped_model_and_a_new_folder_never_takes_over(tmp_path):
    assert default_model() in shipped_models() and default_model().parent == shipped_dir()
    assert active_model(tmp_path) == default_model()  # an empty registry
    toy(tmp_path, "0.0.1")
    assert active_model(tmp_path) == default_model()  # a new folder does not become active by being there
    assert not (tmp_path / ACTIVE_FILE).exists()


def test_use_and_rollback_go_back_one_activation_at_a_time(tmp_path):
    a, b = (toy(tmp_path, v) for v in ("0.0.1", "0.0.2"))
    activate(a, "test", tmp_path)
    activate(b, "test", tmp_path)
    assert active_model(tmp_path) == b
    assert rollback(tmp_path) == a
    assert rollback(tmp_path) == default_model()  # what was active before the first choice
    with pytest.raises(ModelError, match="nothing to roll back to"):
        rollback(tmp_path)
    assert [e["name"] for e in history(tmp_path)] == [default_model().name]


def test_a_shipped_model_can_be_chosen_by_name(tmp_path):
    shipped = default_model()
    assert find_model(shipped.name, tmp_path) == shipped
    activate(toy(tmp_path, "0.0.1"), "test", tmp_path)
    activate(shipped, "back to the shipped one", tmp_path)
    assert active_model(tmp_path) == shipped


def test_without_any_model_the_error_names_the_flag_and_the_variable(tmp_path, monkeypatch):
    monkeypatch.setattr("servicelens.model.registry.shipped_dir", lambda: tmp_path / "no-shipped-models")
    with pytest.raises(ModelError, match="--model PATH .*SERVICELENS_MODEL.*--models-dir.*SERVICELENS_MODELS_DIR"):
        active_model(tmp_path)


def test_find_model_by_name_or_version(tmp_path):
    a = toy(tmp_path, "0.0.1")
    assert find_model("0.0.1", tmp_path) == a == find_model("toy-0.0.1", tmp_path)
    with pytest.raises(ModelError, match="no model '9.9' in the registry"):
        find_model("9.9", tmp_path)


def test_an_interrupted_save_leaves_no_folder_and_the_active_model_intact(tmp_path, monkeypatch):
    a = toy(tmp_path, "0.0.1")
    activate(a, "test", tmp_path)

    def interrupted(*args, **kwargs):  # after the arrays are written, while the metadata is
        raise KeyboardInterrupt

    monkeypatch.setattr(model_store, "write_json", interrupted)
    with pytest.raises(KeyboardInterrupt):
        toy(tmp_path, "0.0.2")
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


def test_a_fitted_model_reads_with_the_rules_it_was_fitted_with(shipped_model):
    """A retrain's fold candidates are built from the fit, not from a folder: they must read postings
    with the fit's rules, not fall back to the oldest ones because the caller's meta names none."""
    from servicelens.training.train import Fitted

    rules = shipped_model.meta["rules"]
    fitted = Fitted(shipped_model.estimator, shipped_model.inferrer, shipped_model.group_model, rules)
    candidate = fitted.model({"name": "candidate", "version": "0.0.1"})
    assert candidate.section_rules.version == shipped_model.section_rules.version == rules["sections"]
    assert candidate.group_rules.version == shipped_model.group_rules.version == rules["groups"]
