"""User-facing error messages, in one place (after spaCy's ``errors.py``)."""
from __future__ import annotations


class ServicelensError(Exception):
    """An error the user can act on; the CLI prints its message without a traceback."""


class InputError(ServicelensError):
    """A posting file or table that cannot be read."""


class DataError(ServicelensError):
    """Training data that is missing or malformed."""


class ModelError(ServicelensError):
    """A model folder that is missing, incomplete, tampered with or incompatible."""


class Errors:
    E001 = "{path}: file not found"
    E002 = "{path}: file is empty"
    E003 = "{path}: looks like a binary file, not a text posting"
    E004 = "{path}: cannot decode the text (tried UTF-8, UTF-16 and cp1252)"
    E005 = "{path}: unsupported file type '{suffix}' (expected one of {expected})"
    E006 = "{path}: invalid JSON: {detail}"
    E007 = "{path}: JSON posting needs a 'description' (or 'text') field; found {fields}"
    E008 = "{path}: the posting has no text after cleaning"
    E010 = ("{path}: missing O*NET file '{name}'. Point --onet-dir / $SERVICELENS_ONET_DIR at the "
            "O*NET 29.0 text release, or run 'servicelens data fetch' to download it")
    E011 = ("{path}: missing O*NET rating file '{name}'. Point --ratings-dir / $SERVICELENS_RATINGS_DIR "
            "at the per-element ratings folder")
    E012 = "{path}: column '{column}' not found (columns: {columns})"
    E013 = "{path}: training table not found; run 'servicelens data build' first"
    E020 = "{path}: no model found. Pass --model PATH or train one with 'servicelens train'"
    E021 = "{path}: model folder has no meta.json"
    E022 = ("{path}: sha256 of the model file does not match meta.json (expected {expected}, got {actual}); "
            "the file was modified or corrupted, refusing to load it")
    E023 = ("{path}: model was made with {lib} {made}, this environment has {have}; "
            "retrain it or install a compatible version")
    E024 = "{path}: unsupported model format {found} (this servicelens reads format {expected})"
    E025 = "{path}: model file '{name}' is missing"
    E030 = "download failed for {url}: {detail}"
