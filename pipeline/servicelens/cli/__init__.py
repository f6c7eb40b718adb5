"""The ``servicelens`` command: thin Typer commands over the package's plain functions."""
from servicelens.cli.app import app, main

__all__ = ["app", "main"]
