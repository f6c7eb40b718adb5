"""Shared fixtures. Unit tests use tiny synthetic postings; integration tests use ../shared/data.

The real data is found through $SERVICELENS_SHARED_DATA or ``../shared/data`` beside the checkout.
When it is missing, integration tests skip on a developer machine and fail under CI (``$CI`` set).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    return Path(os.environ.get("SERVICELENS_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "onet-29.0").is_dir():
        message = f"real data not found at {path} (set SERVICELENS_SHARED_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def labeled_dir(shared_data, tmp_path_factory) -> Path:
    from servicelens.datasets.onet import build_training_data

    out = tmp_path_factory.mktemp("labeled")
    build_training_data(shared_data / "onet-29.0", shared_data / "onet-ratings-2020", out)
    return out


@pytest.fixture(scope="session")
def trained_model(labeled_dir, tmp_path_factory) -> Path:
    from servicelens.datasets.onet import read_manifest, read_tables
    from servicelens.training.train import train

    out = tmp_path_factory.mktemp("models")
    return train(read_tables(labeled_dir), read_manifest(labeled_dir)["inputs"], out, version="0.0.1")


@pytest.fixture(scope="session")
def shipped_model_dir() -> Path:
    from servicelens.model.registry import active_model

    return active_model(ROOT / "models")


@pytest.fixture(scope="session")
def shipped_model(shipped_model_dir):
    from servicelens import load_model

    return load_model(shipped_model_dir)
