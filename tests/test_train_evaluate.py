"""Integration: train on the real O*NET tables, evaluate, and check the model folder and figures."""
import json

import numpy as np
import pytest

from servicelens import load_model
from servicelens.evaluation.run import METRICS_FILE, evaluate_model
from servicelens.model.store import CARD_FILE, META_FILE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def metrics(trained_model, labeled_dir, shared_data):
    return evaluate_model(trained_model, labeled_dir, shared_data / "postings-dev")


def test_model_folder_is_complete(trained_model):
    meta = json.loads((trained_model / META_FILE).read_text())
    assert meta["version"] == "0.0.1" and meta["seed"] == 13
    assert "CC BY 4.0" in meta["attribution"]
    assert any(name.endswith("Deal_With_External_Customers.csv") for name in meta["training"]["inputs"])
    card = (trained_model / CARD_FILE).read_text()
    assert "O*NET 29.0 Database" in card and "Deal With External Customers" in card


def test_training_is_reproducible(trained_model, labeled_dir, tmp_path):
    from servicelens.datasets.onet import read_manifest, read_tables
    from servicelens.training.train import train

    again = train(read_tables(labeled_dir), read_manifest(labeled_dir)["inputs"], tmp_path, version="0.0.1")
    texts = ["Greet customers and process returns.", "Operate the CNC lathe and inspect parts."]
    np.testing.assert_allclose(load_model(trained_model).score_table(texts), load_model(again).score_table(texts))


def test_heldout_figures_beat_the_baselines(metrics, trained_model):
    model = metrics["onet_heldout"]["cs_score"]["spearman"]
    assert model > metrics["baselines"]["keyword_share"]["cs_score"]["spearman"]
    assert model >= metrics["baselines"]["tfidf_ridge"]["cs_score"]["spearman"] - 0.01
    saved = json.loads((trained_model / METRICS_FILE).read_text())
    assert saved["onet_heldout"] == metrics["onet_heldout"]
    assert json.loads((trained_model / META_FILE).read_text())["metrics"]["model"] == "0.0.1"


def test_dev_postings_check(metrics):
    dev = metrics["dev_postings"]
    assert dev["postings"] == 1165 and dev["tagged"] == 1034
    assert dev["customer_service_auc"] > 0.75
    assert dev["mean_by_function"]["Health Care Provider"]["mean"] > dev["mean_by_function"]["Information Technology"]["mean"]
