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
def onet_tables(shared_data):
    from servicelens.datasets.onet import build_tables

    return build_tables(shared_data / "onet-29.0", shared_data / "onet-ratings-2020")


@pytest.fixture(scope="session")
def knowledge(shared_data):
    """What training takes from O*NET (a few seconds)."""
    from servicelens.training.train import onet_knowledge

    return onet_knowledge(shared_data / "onet-29.0", shared_data / "onet-ratings-2020")


@pytest.fixture(scope="session")
def corpus(shared_data):
    """The labelled corpus read from the real sources: (dev + gold dev, held-out, input hashes)."""
    from servicelens.training.corpus_data import load_corpus
    from servicelens.training.train import section_rules

    return load_corpus(ROOT / "data" / "labeled", shared_data / "postings-dev", shared_data / "postings-more",
                       section_rules())


@pytest.fixture(scope="session")
def trained_model(corpus, knowledge, tmp_path_factory) -> Path:
    """A model trained as ``servicelens train`` trains one (a minute or two)."""
    from servicelens.training.train import train

    dev, _, inputs = corpus
    return train(dev, knowledge, inputs, tmp_path_factory.mktemp("models"), version="0.0.1")


@pytest.fixture(scope="session")
def shipped_models_root() -> Path:
    return ROOT / "models"


@pytest.fixture(scope="session")
def shipped_model_dir() -> Path:
    from servicelens.model.registry import active_model

    return active_model(ROOT / "models")


@pytest.fixture(scope="session")
def shipped_model(shipped_model_dir):
    from servicelens import load_model

    return load_model(shipped_model_dir)
