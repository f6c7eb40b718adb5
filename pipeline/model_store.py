"""A model is a folder: the fitted estimator, ``meta.json`` and a model card ``README.md``.

Loading checks what it loads: the sha256 of the estimator file must match ``meta.json`` and
the libraries it was made with must be compatible with this environment.

Fitted objects are pickles (protocol 5, gzip-compressed). Why not skops: the estimator holds our
own classes and sparse vocabularies, which skops would load only after the user trusts each type
by name; the sha256 check below refuses any file that is not the one the metadata describes, which
is what protects users. Why not joblib files (format 1, still read): joblib unpickles in pure
Python, which took 0.37 s for the shipped model against 0.13 s here, and every command and every
batch worker starts by loading the model.
"""
from __future__ import annotations

import gzip
import json
import os
import pickle
import platform
import shutil
import tempfile
import warnings
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

from .errors import Errors, ModelError
from .files import sha256_file, write_text_atomic

MODEL_FILE = "model.pkl.gz"
GROUPS_FILE = "groups.pkl.gz"  # the O*NET group inferrer (optional: older models have none)
GROUP_CONFIDENCE_FILE = "group_confidence.pkl.gz"  # the learned group confidence (optional, as above)
META_FILE = "meta.json"
CARD_FILE = "README.md"
FORMAT = 2
#: Format 1 kept the same objects in joblib files under these names.
_FORMAT_1_NAMES = {MODEL_FILE: "model.joblib", GROUPS_FILE: "groups.joblib"}
ONET_ATTRIBUTION = (
    "This includes information from the O*NET 29.0 Database by the U.S. Department of Labor, "
    "Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. "
    "O*NET is a trademark of USDOL/ETA."
)
#: Libraries whose version decides whether a pickled estimator loads correctly.
CHECKED_LIBRARIES = ("scikit-learn", "numpy", "spacy")


def library_versions() -> dict[str, str]:
    names = ("servicelens", "scikit-learn", "numpy", "scipy", "pandas", "joblib", "spacy")
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
    have = library_versions()
    for lib in CHECKED_LIBRARIES:
        made, now = made_with.get(lib), have.get(lib)
        if not made or made == now:
            continue
        message = Errors.E023.format(path=path, lib=lib, made=made, have=now)
        if _major_minor(made)[:1] != _major_minor(now)[:1]:
            raise ModelError(message)
        if _major_minor(made) != _major_minor(now):
            warnings.warn(message, stacklevel=3)


def save_model(estimator: Any, folder: Path, meta: dict[str, Any], card: str,
               parts: dict[str, Any] | None = None, texts: dict[str, str] | None = None) -> Path:
    """Write the model folder atomically: build it under a temporary name, then rename.

    ``parts`` are further fitted objects by file name (e.g. ``groups.pkl.gz``) and ``texts`` plain
    files (e.g. the user's labels it was trained on), all hashed like the model.
    """
    folder = Path(folder)
    if folder.exists():  # a registry never loses a model, least of all the active one
        raise ModelError(Errors.E085.format(path=folder))
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a model registry is shared
    try:
        files = {MODEL_FILE: estimator, **(parts or {})}
        for name, obj in files.items():
            dump(obj, tmp / name)
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        files = {**files, **(texts or {})}
        meta = {
            "format": FORMAT,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "libraries": library_versions(),
            **meta,
            "files": {name: sha256_file(tmp / name) for name in files},
            "attribution": ONET_ATTRIBUTION,
        }
        write_json(tmp / META_FILE, meta)
        (tmp / CARD_FILE).write_text(card, encoding="utf-8")
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def dump(obj: Any, path: Path) -> None:
    """Write one fitted object (gzip level 6: the shipped model stays a few MB)."""
    with gzip.open(path, "wb", compresslevel=6) as fh:
        pickle.dump(obj, fh, protocol=5)


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


def load_estimator(folder: Path) -> tuple[Any, dict[str, Any]]:
    """Verify and load the estimator of a model folder; return it with its metadata."""
    folder = Path(folder)
    meta = read_meta(folder)
    if meta.get("format") not in (1, FORMAT):
        raise ModelError(Errors.E024.format(path=folder, found=meta.get("format"), expected=f"1 or {FORMAT}"))
    check_libraries(folder, meta.get("libraries", {}))
    return load_part(folder, meta, MODEL_FILE), meta


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


def stored_name(meta: dict[str, Any], name: str) -> str:
    """The file that holds part ``name`` in a folder of ``meta``'s format."""
    return _FORMAT_1_NAMES.get(name, name) if meta.get("format") == 1 else name


def has_part(meta: dict[str, Any], name: str) -> bool:
    return stored_name(meta, name) in meta.get("files", {})


def load_part(folder: Path, meta: dict[str, Any], name: str) -> Any:
    """Load one fitted object of a model folder after checking its sha256 against ``meta.json``."""
    path = checked_file(folder, meta, stored_name(meta, name))
    with warnings.catch_warnings():
        # The version check already spoke; sklearn would repeat it per estimator.
        warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator.*")
        if path.suffix == ".joblib":
            return joblib.load(path)
        return pickle.loads(gzip.decompress(path.read_bytes()))
