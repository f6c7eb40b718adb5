"""Score posting files and write the human summary or JSON lines (the ``predict`` command's body)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, TextIO

from .errors import ServicelensError
from .predict import Model, Result, load_model
from .read import read_posting


def summary(result: Result) -> str:
    """A short human-readable block: score, band, parts and the top evidence."""
    head = result.source or "<text>"
    lines = [f"{head}",
             f"  customer-service score {result.cs_score:5.1f}  ({result.band})",
             f"  external {result.external:5.1f}   internal {result.internal:5.1f}   model {result.model_version}"]
    if result.signals:
        lines.append("  top evidence:")
        for signal in result.signals:
            text = " ".join(signal.text.split())
            text = text if len(text) <= 90 else text[:87] + "..."
            lines.append(f"    {signal.contribution:+6.1f}  {text}")
    return "\n".join(lines)


def predict_files(files: Iterable[str | os.PathLike], model_path: str | os.PathLike | None,
                  as_json: bool, out: TextIO, err: TextIO) -> int:
    """Score each file; a file that fails gets a message naming it and the others still run.

    Returns the number of files that could not be scored.
    """
    model: Model = load_model(model_path)
    failures = 0
    for i, path in enumerate(files):
        try:
            posting = read_posting(path)
            result = model.score(posting.text, title=posting.title, source=str(Path(path)))
        except ServicelensError as exc:
            failures += 1
            err.write(f"servicelens: error: {exc}\n")
            continue
        if as_json:
            out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        else:
            out.write(("\n" if i else "") + summary(result) + "\n")
    return failures
