"""Drift between two model versions: score one table with both and say what moved.

Besides the scores and bands: with ``evidence``, how the reading changed (units read into another
section, phrases whose points changed sign, phrases that show service yet take points off); with
``tag``, how well each version separates the rows a column tags (a job board's category, say)
from the rest (AUC). Two versions on different scales each use their own bands.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from servicelens.inputs.columns import detect_columns
from servicelens.model.loaded import Model
from servicelens.inputs.tables import open_table
from servicelens.batch.chunks import MAX_CHARS, row_posting
from servicelens.errors import Errors, InputError
from servicelens.outputs.tables import cell_text

TOP_MOVERS = 10


@dataclass
class Drift:
    a: str
    b: str
    rows: int = 0
    scored: int = 0
    changed_band: int | None = 0  # None: the versions are on different scales, their bands not comparable
    mean_shift: float = 0.0  # b - a, points
    mean_abs_shift: float = 0.0
    transitions: dict[str, dict[str, int]] = field(default_factory=dict)  # band under a -> band under b -> rows
    movers: list[dict] = field(default_factory=list)  # the rows that moved most
    evidence: dict | None = None  # with ``evidence``: the reading changes ``_evidence`` counts
    tag: dict | None = None  # with ``tag``: the AUC of each version for the tagged rows

    def lines(self) -> list[str]:
        changes = [f"{a} -> {b}: {n:,}" for a, row in self.transitions.items() for b, n in row.items() if n and a != b]
        evidence, tag = self.evidence, self.tag
        banded = ("on different scales: bands compare as names only" if self.changed_band is None else
                  f"changed band: {self.changed_band:,} ({self.changed_band / max(self.scored, 1):.1%})")
        out = [f"{self.scored:,} of {self.rows:,} rows scored by both {self.a} (A) and {self.b} (B)",
               f"{banded}; mean shift B - A {self.mean_shift:+.2f} points (mean absolute {self.mean_abs_shift:.2f})",
               "band changes (rows): " + (", ".join(changes) or "none")]
        if evidence:
            out.append(f"units read into another section: {evidence['units_moved']:,} of {evidence['units']:,}; "
                       f"phrases found by both: {evidence['phrases_both']:,}, of which {evidence['changed_sign']:,} "
                       f"changed sign; phrases that show service yet take points off: A {evidence['wrong_sign_a']:,}, "
                       f"B {evidence['wrong_sign_b']:,}")
        if tag:
            out.append(f"rows tagged {tag['tag']}: {tag['tagged']:,} of {tag['rows']:,}; AUC of the score "
                       f"A {tag['auc_a']:.3f}, B {tag['auc_b']:.3f}")
        if self.movers:
            out.append(f"rows that moved most (row, id, title: {self.a} -> {self.b}):")
            out += [f"  row {m['row']}{' id ' + m['id'] if m['id'] else ''}, {m['title'] or '(no title)'}: "
                    f"{m['a']:.1f} ({m['band_a']}) -> {m['b']:.1f} ({m['band_b']}), {m['shift']:+.1f}"
                    for m in self.movers]
        return out

    def to_dict(self) -> dict:
        return dict(vars(self))


def _wrong_sign(signals) -> int:
    """Phrases shown taking points off though they show service (not negated or qualified)."""
    return sum(1 for s in signals if s.category != "negation" and s.polarity == "positive" and s.contribution < 0)


def _evidence(a: Model, b: Model, texts: list[str], titles: list[str], counts: dict) -> None:
    """Add one chunk's reading changes to ``counts``: units by their place in the text, phrases by span."""
    for text, title in zip(texts, titles):
        pa, pb = a.prepare(text, title or None), b.prepare(text, title or None)
        sections_b = {pb.original_span(i): s.section for i, s in enumerate(pb.sections)}
        for i, s in enumerate(pa.sections):
            span = pa.original_span(i)
            counts["units"] += 1
            counts["units_moved"] += span in sections_b and sections_b[span] != s.section
        ra, rb = a.score_prepared(pa), b.score_prepared(pb)
        points_b = {(s.start, s.end): s.contribution for s in rb.signals if s.start is not None}
        for s in ra.signals:
            if (s.start, s.end) in points_b and s.start is not None:
                counts["phrases_both"] += 1
                counts["changed_sign"] += (s.contribution > 0) != (points_b[(s.start, s.end)] > 0)
        counts["wrong_sign_a"] += _wrong_sign(ra.signals)
        counts["wrong_sign_b"] += _wrong_sign(rb.signals)


def _tagged(value, tag: str) -> bool:
    """Whether a cell's tags (separated by | ; or ,) include ``tag`` (case-insensitive)."""
    return tag.lower() in {t.strip().lower() for t in str(value or "").replace(";", "|").replace(",", "|").split("|")}


def diff_models(a: Model, b: Model, table: str | Path, top: int = TOP_MOVERS, chunk_rows: int = 1000,
                max_chars: int = MAX_CHARS, evidence: bool = False, tag: tuple[str, str] | None = None) -> Drift:
    """Score every row of ``table`` with ``a`` and ``b``; count band changes and find the largest moves.
    ``evidence``: also compare how each reads the postings (slower: every posting is explained);
    ``tag``: (column, value), the AUC of each version for the rows whose column holds the value."""
    from sklearn.metrics import roc_auc_score

    drift = Drift(a.version, b.version)
    transitions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[str, int] = defaultdict(int)
    tagged: list[tuple[bool, float, float]] = []
    shifts: list[float] = []
    movers: list[dict] = []
    same_rules = a.meta.get("rules") == b.meta.get("rules")
    with open_table(table, chunk_rows=chunk_rows) as reader:
        columns = detect_columns(reader.columns, str(table))
        tag_column = None
        if tag is not None:
            if tag[0] not in reader.columns:
                raise InputError(Errors.E104.format(path=table, column=tag[0], columns=", ".join(reader.columns)))
            tag_column = reader.columns.index(tag[0])
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
            if evidence:
                _evidence(a, b, [texts[i] for i in usable], [titles[i] for i in usable], counts)
            for i, x, y in zip(usable, first, second):
                x, y = round(float(x), 1), round(float(y), 1)
                k = keep[i]
                drift.scored += 1
                transitions[a.band(x)][b.band(y)] += 1
                shifts.append(y - x)
                if tag_column is not None:
                    tagged.append((_tagged(chunk.rows[k][tag_column], tag[1]), x, y))
                row_id = cell_text(chunk.rows[k][columns.id]) if columns.id is not None else ""
                movers.append({"row": chunk.first_row + k, "id": row_id[:40], "title": titles[i][:80], "a": x, "b": y,
                               "band_a": a.band(x), "band_b": b.band(y), "shift": round(y - x, 1)})
            movers = sorted((m for m in movers if m["shift"]), key=lambda m: -abs(m["shift"]))[:top]
    drift.transitions = {x: dict(row) for x, row in transitions.items()}
    drift.changed_band = (sum(n for x, row in drift.transitions.items() for y, n in row.items() if x != y)
                          if a.meta.get("scale") == b.meta.get("scale") else None)
    if evidence:
        drift.evidence = {key: counts[key] for key in ("units", "units_moved", "phrases_both", "changed_sign",
                                                        "wrong_sign_a", "wrong_sign_b")}
    if tag is not None:
        flags = np.array([t for t, _, _ in tagged], dtype=bool)
        both = 0 < flags.sum() < len(flags)
        auc = lambda j: round(float(roc_auc_score(flags, [row[j] for row in tagged])), 3) if both else float("nan")
        drift.tag = {"tag": f"{tag[0]}={tag[1]}", "rows": len(flags), "tagged": int(flags.sum()),
                     "auc_a": auc(1), "auc_b": auc(2)}
    if shifts:
        drift.mean_shift = round(float(np.mean(shifts)), 3)
        drift.mean_abs_shift = round(float(np.mean(np.abs(shifts))), 3)
    drift.movers = movers
    return drift
