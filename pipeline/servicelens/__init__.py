"""servicelens: how much of this job is customer service, and who are its customers?

Importing the package is cheap; the heavy parts load when ``load_model`` is called.
"""
from __future__ import annotations

__version__ = "0.2.0"
__all__ = ["__version__", "load_model"]


def load_model(path=None):
    """Load a model folder (default: ``$SERVICELENS_MODEL`` or the registry's active model)."""
    from servicelens.model.loaded import load_model as _load

    return _load(path)
