"""Drift between two model versions: score one table with both and say what moved."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from servicelens.bands import BAND_NAMES, band
from servicelens.inputs.columns import detect_columns
from servicelens.model.loaded import Model
from servicelens.inputs.tables import open_table
from servicelens.batch.chunks import MAX_CHARS, row_posting
from servicelens.outputs.tables import cell_text

TOP_MOVERS = 10


@dataclass
class Drift:
    a: str
    b: str
    rows: int = 0
    scored: int = 0
    changed_band: int = 0
    mean_shift: float = 0.0  # b - a, points
    mean_abs_shift: float = 0.0
    transitions: dict[str, dict[str, int]] = field(default_factory=dict)  # band under a -> band under b -> rows
    movers: list[dict] = field(default_factory=list)  # the rows that moved most

    def lines(self) -> list[str]:
        changes = [f"{a} -> {b}: {n:,}" for a, row in self.transitions.items() for b, n in row.items() if n and a != b]
        out = [f"{self.scored:,} of {self.rows:,} rows scored by both {self.a} (A) and {self.b} (B)",
               f"changed band: {self.changed_band:,} ({self.changed_band / max(self.scored, 1):.1%}); "
               f"mean shift B - A {self.mean_shift:+.2f} points (mean absolute {self.mean_abs_shift:.2f})",
               "band changes (rows): " + (", ".join(changes) or "none")]
        if self.movers:
            out.append(f"rows that moved most (row, id, title: {self.a} -> {self.b}):")
            out += [f"  row {m['row']}{' id ' + m['id'] if m['id'] else ''}, {m['title'] or '(no title)'}: "
                    f"{m['a']:.1f} ({m['band_a']}) -> {m['b']:.1f} ({m['band_b']}), {m['shift']:+.1f}"
                    for m in self.movers]
        return out

    def to_dict(self) -> dict:
        return dict(vars(self))


def diff_models(a: Model, b: Model, table: str | Path, top: int = TOP_MOVERS, chunk_rows: int = 1000,
                max_chars: int = MAX_CHARS) -> Drift:
    """Score every row of ``table`` with ``a`` and ``b``; count band changes and find the largest moves."""
    drift = Drift(a.version, b.version, transitions={x: {y: 0 for y in BAND_NAMES} for x in BAND_NAMES})
    shifts: list[float] = []
    movers: list[dict] = []
    same_rules = a.meta.get("rules") == b.meta.get("rules")
    with open_table(table, chunk_rows=chunk_rows) as reader:
        columns = detect_columns(reader.columns, str(table))
        for chunk in reader.chunks(chunk_rows):
            drift.rows += len(chunk.rows)
            keep, titles, texts = [], [], []
            for k, row in enumerate(chunk.rows):
                title, text, _ = row_posting(row, columns, max_chars)
                if chunk.usable[k] and (text.strip() or title):
                    keep.append(k)
                    titles.append(title)
                    texts.append(text)
            prepared = [a.prepare(text, title or None) for text, title in zip(texts, titles)]
            usable = [i for i, p in enumerate(prepared) if p.bounds or p.title]
            if not usable:
                continue
            first = a.scores([prepared[i] for i in usable])[:, 0]
            second_input = [prepared[i] for i in usable] if same_rules else \
                [b.prepare(texts[i], titles[i] or None) for i in usable]
            second = b.scores(second_input)[:, 0]
            for i, x, y in zip(usable, first, second):
                x, y = round(float(x), 1), round(float(y), 1)
                k = keep[i]
                drift.scored += 1
                drift.transitions[band(x)][band(y)] += 1
                shifts.append(y - x)
                row_id = cell_text(chunk.rows[k][columns.id]) if columns.id is not None else ""
                movers.append({"row": chunk.first_row + k, "id": row_id[:40], "title": titles[i][:80], "a": x, "b": y,
                               "band_a": band(x), "band_b": band(y), "shift": round(y - x, 1)})
            movers = sorted((m for m in movers if m["shift"]), key=lambda m: -abs(m["shift"]))[:top]
    drift.changed_band = sum(n for x, row in drift.transitions.items() for y, n in row.items() if x != y)
    if shifts:
        drift.mean_shift = round(float(np.mean(shifts)), 3)
        drift.mean_abs_shift = round(float(np.mean(np.abs(shifts))), 3)
    drift.movers = movers
    return drift
