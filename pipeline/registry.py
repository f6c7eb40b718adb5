"""Find model folders: an explicit path, ``$SERVICELENS_MODEL``, or the registry's active model."""
from __future__ import annotations

import os
from pathlib import Path

from . import paths
from .errors import Errors, ModelError
from .model_store import META_FILE, read_meta

ACTIVE_FILE = "ACTIVE"


def model_folders(root: Path | None = None) -> list[Path]:
    """Every model folder in the registry, oldest first."""
    root = paths.models_dir(root)
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if (p / META_FILE).is_file() and not p.name.startswith(".")]
    return sorted(folders, key=lambda p: (read_meta(p).get("created", ""), p.name))


def active_model(root: Path | None = None) -> Path:
    """The folder named by the registry's ``ACTIVE`` pointer, else the newest model folder."""
    root = paths.models_dir(root)
    pointer = root / ACTIVE_FILE
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        if name and (root / name / META_FILE).is_file():
            return root / name
    folders = model_folders(root)
    if not folders:
        raise ModelError(Errors.E020.format(path=root))
    return folders[-1]


def resolve_model(path: str | os.PathLike | None = None) -> Path:
    if path:
        return Path(path)
    if os.environ.get(paths.ENV_MODEL):
        return Path(os.environ[paths.ENV_MODEL])
    return active_model()
