"""Every location servicelens reads or writes, in one side-effect-free place.

Nothing here touches the disk at import time; each function resolves a path when called.
Third-party data is read from folders the user points at (option or environment variable),
defaulting to ``data/raw/`` under the working directory.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_ONET_DIR = "SERVICELENS_ONET_DIR"
ENV_RATINGS_DIR = "SERVICELENS_RATINGS_DIR"
ENV_POSTINGS_DIR = "SERVICELENS_POSTINGS_DIR"
ENV_POSTINGS_MORE_DIR = "SERVICELENS_POSTINGS_MORE_DIR"
ENV_LABELED_DIR = "SERVICELENS_LABELED_DIR"
ENV_MODELS_DIR = "SERVICELENS_MODELS_DIR"
ENV_MODEL = "SERVICELENS_MODEL"
ENV_FIGURES_DIR = "SERVICELENS_FIGURES_DIR"

_PACKAGE_DIR = Path(__file__).resolve().parent


def checkout_root() -> Path | None:
    """The source checkout this package was imported from, if any (editable installs, tests):
    the package sits in ``pipeline/servicelens`` under the folder that holds ``pyproject.toml``."""
    root = _PACKAGE_DIR.parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def raw_dir() -> Path:
    return Path("data") / "raw"


def onet_dir(explicit: str | os.PathLike | None = None) -> Path:
    """O*NET 29.0 text release folder (``Occupation Data.txt``, ``Task Statements.txt``...)."""
    return Path(explicit) if explicit else _from_env(ENV_ONET_DIR, raw_dir() / "onet-29.0")


def ratings_dir(explicit: str | os.PathLike | None = None) -> Path:
    """O*NET per-element ratings folder (``Deal_With_External_Customers.csv``...)."""
    return Path(explicit) if explicit else _from_env(ENV_RATINGS_DIR, raw_dir() / "onet-ratings-2020")


def postings_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Development postings folder (``linkedin_postings_labeled.csv``)."""
    return Path(explicit) if explicit else _from_env(ENV_POSTINGS_DIR, raw_dir() / "postings-dev")


def postings_more_dir(explicit: str | os.PathLike | None = None) -> Path:
    """More real postings from public job boards (``nhs_jobs_2020.csv``...), the corpus' other sources."""
    return Path(explicit) if explicit else _from_env(ENV_POSTINGS_MORE_DIR, raw_dir() / "postings-more")


def labeled_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The labelled data: the corpus, the gold set, the challenge sets (the checkout's ``data/labeled``)."""
    return Path(explicit) if explicit else _from_env(ENV_LABELED_DIR, Path("data") / "labeled")


def models_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The user's model registry: ``explicit`` (``--models-dir``), else ``$SERVICELENS_MODELS_DIR``,
    else ``models`` in the platform's user data folder (never the current folder)."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_MODELS_DIR):
        return Path(os.environ[ENV_MODELS_DIR]).expanduser()
    from platformdirs import user_data_path

    return user_data_path("servicelens", appauthor=False) / "models"


def package_dir() -> Path:
    """The installed ``servicelens`` package folder."""
    return _PACKAGE_DIR


def figures_dir() -> Path:
    """Where the notebooks write their figures: the checkout's ``docs/figures`` unless told otherwise."""
    return _from_env(ENV_FIGURES_DIR, (checkout_root() or Path.cwd()) / "docs" / "figures")


def resource(name: str) -> Path:
    """A data file shipped inside the package (pattern files, taxonomies)."""
    return _PACKAGE_DIR / "resources" / name


def labeled_file(labeled_dir: Path, name: str) -> Path | None:
    """A labelled file the project made: in the labelled folder, else the checkout's ``data/labeled/``."""
    for folder in (Path(labeled_dir), checkout_root() and checkout_root() / "data" / "labeled"):
        if folder and (folder / name).is_file():
            return folder / name
    return None
