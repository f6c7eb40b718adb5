"""The model registry: model folders under ``models/``, and which one is active.

The active model is named by the ``ACTIVE`` pointer file, written under a temporary name and
renamed, so a reader sees the old name or the new one, never half a file. ``HISTORY.json`` keeps
the activations in order (``rollback`` goes back one). A model folder is itself written under a
temporary name and renamed (``model_store.save_model``): an interrupted training leaves the
active model as it was.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from . import paths
from .errors import Errors, ModelError
from .files import write_text_atomic
from .model_store import META_FILE, read_meta

ACTIVE_FILE = "ACTIVE"
HISTORY_FILE = "HISTORY.json"


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


def find_model(name: str, root: Path | None = None) -> Path:
    """A model of the registry by folder name (``servicelens-0.1.2``) or version (``0.1.2``), or a folder path."""
    root = paths.models_dir(root)
    if Path(name).is_dir() and (Path(name) / META_FILE).is_file():
        if Path(name).resolve().parent != root.resolve():
            raise ModelError(Errors.E087.format(path=name, root=root))
        return Path(name)
    folders = model_folders(root)
    for folder in folders:
        if name in (folder.name, read_meta(folder).get("version")):
            return folder
    raise ModelError(Errors.E081.format(path=root, name=name, names=", ".join(f.name for f in folders) or "none"))


def history(root: Path | None = None) -> list[dict]:
    """The activations, oldest first: ``{"name", "at", "reason"}``."""
    path = paths.models_dir(root) / HISTORY_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def pin_active(root: Path | None = None) -> Path | None:
    """Name the active model in ``ACTIVE`` if nothing does yet, so a new folder does not become it."""
    root = paths.models_dir(root)
    try:
        current = active_model(root)
    except ModelError:
        return None
    if not (root / ACTIVE_FILE).is_file() or not history(root):
        activate(current, "active before the first recorded change", root)
    return current


def activate(folder: Path, reason: str, root: Path | None = None) -> None:
    """Make ``folder`` (a model of this registry) the active model."""
    root = paths.models_dir(root)
    entries = history(root)
    entries.append({"name": Path(folder).name, "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "reason": reason})
    _switch(root, entries)


def rollback(root: Path | None = None) -> Path:
    """Make the model that was active before the current one active again; return it."""
    root = paths.models_dir(root)
    entries = history(root)
    current = active_model(root).name
    while entries and entries[-1]["name"] == current:
        entries.pop()
    entries = [e for e in entries if (root / e["name"] / META_FILE).is_file()]
    if not entries:
        raise ModelError(Errors.E082.format(path=root, name=current))
    _switch(root, entries)
    return root / entries[-1]["name"]


def _switch(root: Path, entries: list[dict]) -> None:
    # The history first: if we stop between the two writes, the pointer still names a whole model.
    write_text_atomic(root / HISTORY_FILE, json.dumps(entries, indent=1) + "\n")
    write_text_atomic(root / ACTIVE_FILE, entries[-1]["name"] + "\n")


def describe(folder: Path, active: Path | None) -> dict:
    """One line of ``servicelens models list``: version, dates, data hashes, key figures, status."""
    meta = read_meta(folder)
    metrics = meta.get("metrics") or {}
    inputs = sorted(meta.get("training", {}).get("inputs", {}).values())
    labels = sorted((meta.get("labels") or {}).get("files", {}).values())
    gate = meta.get("gate")
    if active is not None and folder.resolve() == active.resolve():
        status = "active"
    elif gate is None:
        status = "not evaluated" if meta.get("labels") else "inactive"
    else:
        status = "inactive" if gate["passed"] or gate["activated"] else "refused by the gate"
    gold = metrics.get("groups_gold", {}).get("test", {}).get("micro", {})
    return {"name": folder.name, "version": meta.get("version"), "created": meta.get("created", "")[:16],
            "parent": meta.get("parent", ""),
            "data": hashlib.sha256("".join(inputs).encode()).hexdigest()[:8],
            "labels": hashlib.sha256("".join(labels).encode()).hexdigest()[:8] if labels else "",
            "onet_rho": metrics.get("onet_heldout", {}).get("cs_score", {}).get("spearman"),
            "dev_auc": metrics.get("dev_postings", {}).get("customer_service_auc"),
            "groups_f1": gold.get("f1"), "status": status}
