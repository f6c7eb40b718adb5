"""Options several commands share: where the data, the models and the registry are."""
from __future__ import annotations

import typer

from servicelens import paths

OnetDir = typer.Option(None, "--onet-dir", help=f"O*NET 29.0 text release [env {paths.ENV_ONET_DIR}; default data/raw/onet-29.0]")
RatingsDir = typer.Option(None, "--ratings-dir", help=f"O*NET rating CSVs [env {paths.ENV_RATINGS_DIR}; default data/raw/onet-ratings-2020]")
LabeledDir = typer.Option(None, "--labeled-dir", help=f"Labelled data: the corpus, the gold set ... [env {paths.ENV_LABELED_DIR}; default data/labeled]")
PostingsDir = typer.Option(None, "--postings-dir", help=f"Dev postings [env {paths.ENV_POSTINGS_DIR}; default data/raw/postings-dev]")
PostingsMoreDir = typer.Option(None, "--postings-more-dir", help="More real postings from public job boards "
                               f"[env {paths.ENV_POSTINGS_MORE_DIR}; default data/raw/postings-more]")
ModelOpt = typer.Option(None, "--model", help=f"Model folder [env {paths.ENV_MODEL}; default: the active model]")
ModelsDir = typer.Option(None, "--models-dir", "--registry", help="Your model registry: where models you train go "
                         f"[env {paths.ENV_MODELS_DIR}; default: your user data folder]")
