"""Score posting files and write the human summary or JSON lines (the ``predict`` command's body)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, TextIO

from servicelens.errors import ServicelensError, Warnings
from servicelens.outputs.evidence_page import band_meaning, render_html
from servicelens.files import write_text_atomic
from servicelens.model.loaded import Model, Result, load_model
from servicelens.inputs.posting_files import read_posting

TOP_GROUPS = 6
#: Longest posting file read (characters); longer text is cut, with a note. A saved web page is mostly
#: markup, so this is well above a batch cell's limit; a 10 MB file would take minutes and gigabytes.
MAX_FILE_CHARS = 1_000_000


def summary(result: Result) -> str:
    """A short human-readable block: score, band, parts, the top evidence, the O*NET reference."""
    head = result.source or "<text>"
    lines = [f"{head}",
             f"  customer-service score {result.cs_score:5.1f}  ({result.band}: {band_meaning(result.band)})",
             f"  external {result.external:5.1f}   internal {result.internal:5.1f}   model {result.model_version}"]
    lines.append(f"  how: base {result.base:.1f}, title {result.title_contribution:+.1f}, "
                 f"signals {sum(s.contribution for s in result.signals):+.1f}, other text {result.other:+.1f}")
    top = result.top_signals()
    if top:
        lines.append("  top signals:")
        for signal in top:
            text = " ".join(signal.text.split())
            text = text if len(text) <= 70 else text[:67] + "..."
            qualifier = "" if signal.polarity == "positive" else f", {signal.polarity}"
            lines.append(f"    {signal.contribution:+6.1f}  {signal.category:<13} {text}  [{signal.section}{qualifier}]")
    if result.groups:
        lines.append("  customer groups:")
        for group in result.groups[:TOP_GROUPS]:
            lines.append(f"    {group.confidence:4.2f}  {group.label:<26} {group.scope:<8} {group.kind:<8} {_why(group)}")
    if result.onet:
        best = result.onet[0]
        rating = "no rating" if best.deal_with_external_customers is None else f"{best.deal_with_external_customers:.0f}"
        lines.append(f"  O*NET reference (kept apart from the score): {best.title} ({best.code}), title similarity "
                     f"{best.similarity:.2f}; O*NET's own 'Deal With External Customers' rating {rating}")
    return "\n".join(lines)


def _why(group) -> str:
    said = [" ".join(e.text.split()) for e in group.evidence if e.section not in ("title", "reading") and not e.occupation]
    if said:
        return '"' + ", ".join(dict.fromkeys(said))[:60] + '"'
    occupation = next((e.occupation for e in group.evidence if e.occupation), None)
    return f"from the title and O*NET: {occupation}" if occupation else "from the title and the posting's words"


def _cut(text: str, path, err: TextIO) -> str:
    """The first ``MAX_FILE_CHARS`` of a posting (offsets still index the text as given), cut at a
    space or before a tag, so no half tag is read as text."""
    if len(text) <= MAX_FILE_CHARS:
        return text
    err.write(f"servicelens: note: {path}: {Warnings.W008.format(limit=MAX_FILE_CHARS)}\n")
    start = MAX_FILE_CHARS - 2000
    cut = max(text.rfind(" ", start, MAX_FILE_CHARS), text.rfind("\n", start, MAX_FILE_CHARS),
              text.rfind("<", start, MAX_FILE_CHARS))
    return text[:cut if cut > 0 else MAX_FILE_CHARS]


def predict_files(files: Iterable[str | os.PathLike], model_path: str | os.PathLike | None,
                  as_json: bool, out: TextIO, err: TextIO, html_path: str | os.PathLike | None = None) -> int:
    """Score each file; a file that fails gets a message naming it and the others still run.

    With ``html_path``, also write one self-contained HTML page with the evidence highlighted.
    Returns the number of files that could not be scored.
    """
    model: Model = load_model(model_path)
    failures = 0
    scored = []
    for i, path in enumerate(files):
        try:
            posting = read_posting(path)
            text = _cut(posting.text, path, err)
            prepared = model.prepare(text, posting.title)
            result = model.score_prepared(prepared, source=str(Path(path)))
        except ServicelensError as exc:
            failures += 1
            err.write(f"servicelens: error: {exc}\n")
            continue
        if html_path:
            scored.append((prepared, result))
        if as_json:
            out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        else:
            out.write(("\n" if i else "") + summary(result) + "\n")
    if html_path:
        write_text_atomic(Path(html_path), render_html(scored, model.version))
    return failures
