"""Where models are: the models shipped inside the package, and the user's own registry.

- **Shipped**: the models that come with servicelens, inside the installed package (the checkout's
  top-level ``models/``). Their ``ACTIVE`` file names the default model: what scores postings
  until the user chooses another. Read only.
- **The user's registry**: models the user trains, in ``--models-dir``, ``$SERVICELENS_MODELS_DIR``
  or the platform's user data folder (``paths.models_dir``), never the current folder. Its
  ``ACTIVE`` pointer, when there is one, names the active model (a shipped one or one of its own)
  and ``HISTORY.json`` keeps the activations in order (``rollback`` goes back one).

The pointer is written under a temporary name and renamed, so a reader sees the old name or the
new one, never half a file. A model folder is itself written under a temporary name and renamed
(``store.save_model``): an interrupted training leaves the active model as it was.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from servicelens import paths
from servicelens.errors import Errors, ModelError
from servicelens.files import write_text_atomic
from servicelens.model.store import META_FILE, read_meta

ACTIVE_FILE = "ACTIVE"
HISTORY_FILE = "HISTORY.json"


def shipped_dir() -> Path:
    """The shipped models: in the installed package, or the checkout's ``models/`` (editable install)."""
    inside = paths.package_dir() / "shipped_models"
    if inside.is_dir():
        return inside
    root = paths.checkout_root()
    return root / "models" if root else inside


def _folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if (p / META_FILE).is_file() and not p.name.startswith(".")]
    return sorted(folders, key=lambda p: (read_meta(p).get("created", ""), p.name))


def model_folders(root: Path | None = None) -> list[Path]:
    """The models of the user's registry, oldest first."""
    return _folders(paths.models_dir(root))


def shipped_models() -> list[Path]:
    """The models shipped with servicelens, oldest first."""
    return _folders(shipped_dir())


def default_model() -> Path:
    """The shipped model that scores until the user chooses another."""
    root = shipped_dir()
    pointer = root / ACTIVE_FILE
    name = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else ""
    if name and (root / name / META_FILE).is_file():
        return root / name
    raise ModelError(Errors.E020.format(path=root))


def active_model(root: Path | None = None) -> Path:
    """The model the user's registry names as active, else the default shipped model."""
    root = paths.models_dir(root)
    pointer = root / ACTIVE_FILE
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        for folder in (root / name, shipped_dir() / name):
            if name and (folder / META_FILE).is_file():
                return folder
    return default_model()


def resolve_model(path: str | os.PathLike | None = None, root: Path | None = None) -> Path:
    """The model to load: ``path``, else ``$SERVICELENS_MODEL``, else the active model of the
    registry at ``root`` (default: the user's)."""
    if path:
        return Path(path)
    if os.environ.get(paths.ENV_MODEL):
        return Path(os.environ[paths.ENV_MODEL])
    return active_model(root)


def find_model(name: str, root: Path | None = None, anywhere: bool = False) -> Path:
    """A model by folder name (``servicelens-0.2.0``) or version (``0.2.0``), the user's first, then
    the shipped ones; or the path of a folder of the user's registry (``anywhere``: of any folder, for
    commands that only read the model)."""
    root = paths.models_dir(root)
    if Path(name).is_dir() and (Path(name) / META_FILE).is_file():
        if not anywhere and Path(name).resolve().parent not in (root.resolve(), shipped_dir().resolve()):
            raise ModelError(Errors.E087.format(path=name, root=root))
        return Path(name)
    folders = model_folders(root) + shipped_models()
    for folder in folders:
        if name in (folder.name, read_meta(folder).get("version")):
            return folder
    raise ModelError(Errors.E081.format(path=root, name=name, names=", ".join(f.name for f in folders) or "none"))


def history(root: Path | None = None) -> list[dict]:
    """The activations in the user's registry, oldest first: ``{"name", "at", "reason"}``."""
    path = paths.models_dir(root) / HISTORY_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def activate(folder: Path, reason: str, root: Path | None = None) -> None:
    """Make ``folder`` (a model of the user's registry, or a shipped one) the active model."""
    root = paths.models_dir(root)
    entries = history(root)
    if not entries:  # the first choice: what was active before it is where a rollback goes
        entries.append({"name": active_model(root).name, "at": _now(), "reason": "active before the first change"})
    entries.append({"name": Path(folder).name, "at": _now(), "reason": reason})
    _switch(root, entries)


def rollback(root: Path | None = None) -> Path:
    """Make the model that was active before the current one active again; return it."""
    root = paths.models_dir(root)
    entries = history(root)
    current = active_model(root).name
    while entries and entries[-1]["name"] == current:
        entries.pop()
    entries = [e for e in entries if any((r / e["name"] / META_FILE).is_file() for r in (root, shipped_dir()))]
    if not entries:
        raise ModelError(Errors.E082.format(path=root, name=current))
    _switch(root, entries)
    return active_model(root)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _switch(root: Path, entries: list[dict]) -> None:
    root.mkdir(parents=True, exist_ok=True)
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
    # On the corpus' held-out part: from a full evaluation, or from a retrain's comparison.
    score = metrics.get("score", {}).get("model", {}).get("overall", {})
    corpus = metrics.get("corpus_heldout", {})
    groups = metrics.get("groups", {}).get("heldout", {}).get("micro", {})
    return {"name": folder.name, "version": meta.get("version"), "created": meta.get("created", "")[:16],
            "parent": meta.get("parent", ""), "where": "shipped" if folder.parent == shipped_dir() else "yours",
            "data": hashlib.sha256("".join(inputs).encode()).hexdigest()[:8],
            "labels": hashlib.sha256("".join(labels).encode()).hexdigest()[:8] if labels else "",
            "scale": meta.get("scale") or "O*NET", "heldout_rho": score.get("spearman", corpus.get("spearman")),
            "groups_f1": groups.get("f1", corpus.get("groups_f1")), "status": status, "refused": bool(gate) and not gate["passed"]}
