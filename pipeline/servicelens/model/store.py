"""A model is a folder: its fitted parts as arrays (``parts.npz``), ``meta.json`` and a card ``README.md``.

Loading a model runs no code from its folder. The parts are NumPy arrays read with
``allow_pickle=False`` and a JSON spec in ``meta.json`` naming which of servicelens' own part types
each is (:mod:`servicelens.model.linear`); nothing in a folder can name a class or a function to
call. Loading also checks what it loads: the sha256 of every file must match ``meta.json`` (a
changed or corrupted file is refused) and the libraries the model was made with must be compatible.

Folders of format 1 and 2 (servicelens 0.1.x) held pickles; they are refused with a message, never
unpickled (``servicelens-0.1.7`` ships converted to this format).
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import warnings
import zipfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from servicelens.errors import Errors, ModelError
from servicelens.files import sha256_file, write_text_atomic
from servicelens.model.linear import State

PARTS_FILE = "parts.npz"
META_FILE = "meta.json"
CARD_FILE = "README.md"
FORMAT = 3
ONET_ATTRIBUTION = (
    "This includes information from the O*NET 29.0 Database by the U.S. Department of Labor, "
    "Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. "
    "O*NET is a trademark of USDOL/ETA."
)
#: Libraries whose version decides whether the stored arrays read back as written.
CHECKED_LIBRARIES = ("numpy",)
#: Libraries whose versions a model records (``meta["libraries"]``).
RECORDED_LIBRARIES = ("servicelens", "scikit-learn", "numpy", "scipy", "pandas", "joblib", "spacy")


def library_versions(names: Sequence[str] = RECORDED_LIBRARIES) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def check_libraries(path: Path, made_with: dict[str, str]) -> None:
    """Refuse a different major version of a checked library; warn on a different minor one."""
    have = library_versions(CHECKED_LIBRARIES)  # each lookup reads package metadata: only what is checked
    for lib in CHECKED_LIBRARIES:
        made, now = made_with.get(lib), have.get(lib)
        if not made or made == now:
            continue
        message = Errors.E023.format(path=path, lib=lib, made=made, have=now)
        if _major_minor(made)[:1] != _major_minor(now)[:1]:
            raise ModelError(message)
        if _major_minor(made) != _major_minor(now):
            warnings.warn(message, stacklevel=3)


def save_model(parts: dict[str, State], folder: Path, meta: dict[str, Any], card: str,
               texts: dict[str, str] | None = None) -> Path:
    """Write the model folder atomically: build it under a temporary name, then rename.

    ``parts`` are the fitted parts by name (``scorer``, ``groups``...), each as its ``state()``;
    ``texts`` are plain files (e.g. the user's labels it was trained on), hashed like the parts.
    """
    folder = Path(folder)
    if folder.exists():  # a registry never loses a model, least of all the active one
        raise ModelError(Errors.E085.format(path=folder))
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a model registry is shared
    try:
        arrays = {f"{name}/{key}": value for name, (_, part) in parts.items() for key, value in part.items()}
        np.savez_compressed(tmp / PARTS_FILE, **arrays)
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        meta = {
            "format": FORMAT,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "libraries": library_versions(),
            **meta,
            "parts": {name: spec for name, (spec, _) in parts.items()},
            "files": {name: sha256_file(tmp / name) for name in [PARTS_FILE, *(texts or {})]},
            "attribution": ONET_ATTRIBUTION,
        }
        write_json(tmp / META_FILE, meta)
        (tmp / CARD_FILE).write_text(card, encoding="utf-8")
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def read_meta(folder: Path) -> dict[str, Any]:
    meta_path = Path(folder) / META_FILE
    if not Path(folder).is_dir():
        raise ModelError(Errors.E020.format(path=folder))
    if not meta_path.is_file():
        raise ModelError(Errors.E021.format(path=folder))
    return json.loads(meta_path.read_text(encoding="utf-8"))


def model_version(meta: dict[str, Any]) -> str:
    """The name every prediction carries: ``servicelens-0.1.1``."""
    return f"{meta.get('name', 'servicelens')}-{meta.get('version', '?')}"


def load_parts(folder: Path) -> tuple[dict[str, State], dict[str, Any]]:
    """Verify a model folder and read its parts: ``{name: (spec, arrays)}``, and its metadata."""
    folder = Path(folder)
    meta = read_meta(folder)
    if meta.get("format") != FORMAT:
        raise ModelError(Errors.E024.format(path=folder, found=meta.get("format"), expected=FORMAT))
    check_libraries(folder, meta.get("libraries", {}))
    path = checked_file(folder, meta, PARTS_FILE)
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:  # e.g. an object array, which would need pickle
        raise ModelError(Errors.E026.format(path=path, detail=str(exc)[:200])) from exc
    parts = {}
    for name, spec in (meta.get("parts") or {}).items():
        prefix = name + "/"
        parts[name] = (spec, {key[len(prefix):]: value for key, value in arrays.items() if key.startswith(prefix)})
    return parts, meta


def checked_file(folder: Path, meta: dict[str, Any], name: str) -> Path:
    """A file of a model folder whose sha256 matches ``meta.json``."""
    path = Path(folder) / name
    if not path.is_file():
        raise ModelError(Errors.E025.format(path=folder, name=name))
    expected = meta.get("files", {}).get(name)
    actual = sha256_file(path)
    if expected != actual:
        raise ModelError(Errors.E022.format(path=path, expected=expected, actual=actual))
    return path
