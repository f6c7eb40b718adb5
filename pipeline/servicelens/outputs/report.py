"""One self-contained HTML page about a scored table (``servicelens report`` / ``predict --report``).

The table is read in chunks, so the page can be made for millions of rows: score histogram, share
of rows per band, customer-group frequencies (external vs internal), the most and least
customer-facing titles (each title once: its postings, mean score, band and spread), rows with
errors, the model version and the O*NET attribution. Charts are inline SVG: the page needs no
network and no other file.
"""
from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from servicelens import bands, scale
from servicelens.inputs.columns import detect_columns
from servicelens.errors import Errors, InputError
from servicelens.files import write_text_atomic
from servicelens.evidence.groups import GroupRules
from servicelens.outputs.evidence_page import _CSS
from servicelens.model.store import ONET_ATTRIBUTION
from servicelens.inputs.tables import open_table
from servicelens.outputs.tables import ADDED_COLUMNS, cell_text

BINS = 20
SHOWN_TITLES = 15
#: Titles kept for the title tables; past this many distinct titles, titles seen once are dropped.
MAX_TITLES = 200_000
SHOWN_ERRORS = 50
_BAR = "#4c78a8"
_SCOPE_COLOURS = {"external": "#f58518", "internal": "#54a24b"}


@dataclass
class TableSummary:
    """What the report shows, gathered chunk by chunk."""

    rows: int = 0
    scored: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * BINS)
    bands: Counter = field(default_factory=Counter)
    groups: Counter = field(default_factory=Counter)
    versions: Counter = field(default_factory=Counter)
    titles: dict = field(default_factory=dict)  # title -> [postings, sum, sum of squares, min, max]
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, id, error)
    error_rows: int = 0
    total_score: float = 0.0

    def add(self, row: int, score: float | None, band: str, groups: str, version: str, error: str,
            title: str, row_id: str) -> None:
        self.rows += 1
        if version:
            self.versions[version] += 1
        if error:
            self.error_rows += 1
            if len(self.errors) < SHOWN_ERRORS:
                self.errors.append((row, row_id, error))
        if score is None:
            return
        self.scored += 1
        self.total_score += score
        self.histogram[min(int(score / (100 / BINS)), BINS - 1)] += 1
        self.bands[band] += 1
        self.groups.update(g for g in groups.split(";") if g)
        stats = self.titles.get(title or "(no title)")
        if stats is None:
            if len(self.titles) >= MAX_TITLES:  # memory stays bounded on exports of millions of distinct titles
                self.titles = {k: v for k, v in self.titles.items() if v[0] > 1}
            stats = self.titles[title or "(no title)"] = [0, 0.0, 0.0, math.inf, -math.inf]
        stats[0] += 1
        stats[1] += score
        stats[2] += score * score
        stats[3], stats[4] = min(stats[3], score), max(stats[4], score)

    def title_table(self, n: int = SHOWN_TITLES, top: bool = True) -> list[tuple[str, int, float, float, float, float]]:
        """The ``n`` titles of highest (or lowest) mean score: title, postings, mean, sd, min, max."""
        rows = []
        for title, (count, total, squares, low, high) in self.titles.items():
            mean = total / count
            rows.append((title, count, mean, math.sqrt(max(squares / count - mean * mean, 0.0)), low, high))
        rows.sort(key=lambda r: (-r[2] if top else r[2], -r[1], r[0]))
        return rows[:n]


def summarise_table(path: str | os.PathLike, prefix: str = "") -> TableSummary:
    """Read a scored table (any format ``predict`` writes) into a :class:`TableSummary`."""
    summary = TableSummary()
    with open_table(path) as reader:
        names = {name: prefix + name for name in ADDED_COLUMNS}
        missing = [n for n in ("cs_score", "cs_band", "error") if names[n] not in reader.columns]
        if missing:
            raise InputError(Errors.E054.format(path=path, names=", ".join(names[n] for n in missing)))
        at = {name: reader.columns.index(column) for name, column in names.items() if column in reader.columns}
        original = [c for c in reader.columns if c not in names.values()]
        try:
            columns = detect_columns(original, str(path))
            title_at = reader.columns.index(original[columns.title]) if columns.title is not None else None
            id_at = reader.columns.index(original[columns.id]) if columns.id is not None else None
        except InputError:
            title_at = id_at = None
        for chunk in reader.chunks(5000):
            for k, row in enumerate(chunk.rows):
                text = {name: cell_text(row[i]) for name, i in at.items()}
                score = float(text["cs_score"]) if text["cs_score"] else None
                summary.add(chunk.first_row + k, score, text["cs_band"], text.get("customer_groups", ""),
                            text.get("model_version", ""), text["error"],
                            " ".join(cell_text(row[title_at]).split())[:120] if title_at is not None else "",
                            cell_text(row[id_at])[:40] if id_at is not None else "")
    return summary


def write_report(scored: str | os.PathLike, out: str | os.PathLike, prefix: str = "") -> Path:
    summary = summarise_table(scored, prefix)
    out = Path(out)
    write_text_atomic(out, render_report(summary, Path(scored).name))
    return out


# -- rendering ------------------------------------------------------------------------------------------

def _bars(values: list[tuple[str, float, str]], width: int = 640, bar_height: int = 20, label_width: int = 190,
          suffix: str = "") -> str:
    """A horizontal bar chart as inline SVG: (label, value, colour) per bar."""
    top = max((v for _, v, _ in values), default=0) or 1
    height = bar_height * len(values) + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value, colour) in enumerate(values):
        y = i * bar_height + 2
        length = (width - label_width - 80) * value / top
        shown = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
        out.append(f'<text x="{label_width - 6}" y="{y + 14}" font-size="12" text-anchor="end">{escape(label)}</text>'
                   f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{bar_height - 6}" fill="{colour}"/>'
                   f'<text x="{label_width + length + 4:.1f}" y="{y + 14}" font-size="12">{shown}{suffix}</text>')
    out.append("</svg>")
    return "".join(out)


def _histogram(counts: list[int], width: int = 680, height: int = 260) -> str:
    """Vertical bars of the score distribution (0-100 in equal bins) as inline SVG, with both axes
    ticked and titled."""
    top = max(counts) or 1
    left, plot_w, plot_h = 70, width - 90, height - 70
    bin_w = plot_w / len(counts)
    y0 = 10 + plot_h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="histogram of customer-service scores">']
    for i, count in enumerate(counts):
        h = plot_h * count / top
        out.append(f'<rect x="{left + i * bin_w + 1:.1f}" y="{y0 - h:.1f}" width="{bin_w - 2:.1f}" '
                   f'height="{h:.1f}" fill="{_BAR}"><title>{i * 100 // len(counts)}-{(i + 1) * 100 // len(counts)}: '
                   f'{count:,} rows</title></rect>')
    for tick in range(0, 101, 10):
        x = left + plot_w * tick / 100
        out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + 4}" stroke="#999"/>'
                   f'<text x="{x:.1f}" y="{y0 + 16}" font-size="11" text-anchor="middle">{tick}</text>')
    for k in range(5):
        value = top * k / 4
        y = y0 - plot_h * k / 4
        out.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#999"/>'
                   f'<text x="{left - 7}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{value:,.0f}</text>')
    out.append(f'<line x1="{left}" y1="{y0}" x2="{left + plot_w}" y2="{y0}" stroke="#999"/>'
               f'<line x1="{left}" y1="10" x2="{left}" y2="{y0}" stroke="#999"/>'
               f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" font-size="12" text-anchor="middle">'
               f'customer-service score (bins of {100 // len(counts)})</text>'
               f'<text x="14" y="{10 + plot_h / 2:.1f}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 14 {10 + plot_h / 2:.1f})">rows</text></svg>')
    return "".join(out)


def render_report(summary: TableSummary, name: str) -> str:
    scored = summary.scored or 1
    rules = GroupRules()
    names, meaning = (scale.BAND_NAMES, scale.BAND_MEANING) if set(summary.bands) <= set(scale.BAND_NAMES) \
        else (bands.BAND_NAMES, bands.BAND_MEANING)
    band_bars = [(b, 100 * summary.bands[b] / scored, _BAR) for b in reversed(names)]
    info = lambda g: rules.groups.get(g)
    group_share = [(info(g).label if info(g) else g, 100 * count / scored,
                    _SCOPE_COLOURS.get(info(g).scope if info(g) else "", "#999"))
                   for g, count in summary.groups.most_common()]
    versions = ", ".join(f"{escape(v)} ({n:,} rows)" for v, n in summary.versions.most_common()) or "unknown"
    mean = summary.total_score / scored if summary.scored else 0.0
    band_of = scale.band if names == scale.BAND_NAMES else bands.band

    def titles(top: bool) -> str:
        return "".join(f'<tr><td>{escape(t)}</td><td class="num">{n:,}</td><td class="num">{m:.1f}</td><td>{band_of(m)}</td>'
                       f'<td class="num">{(f"{lo:.0f}-{hi:.0f} (sd {sd:.1f})" if n > 1 else "-")}</td></tr>'
                       for t, n, m, sd, lo, hi in summary.title_table(top=top))

    head = '<tr><th>title</th><th>postings</th><th>mean score</th><th>band</th><th>spread within the title</th></tr>'
    errors = "".join(f'<tr><td class="num">{r:,}</td><td>{escape(i)}</td><td>{escape(e)}</td></tr>'
                     for r, i, e in summary.errors)
    more = (f'<p class="muted">Showing the first {len(summary.errors)} of {summary.error_rows:,} rows with a '
            f"problem; the 'error' column of the table has every one.</p>") if summary.error_rows > len(summary.errors) else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>servicelens report: {escape(name)}</title>
<style>{_CSS}</style></head><body>
<h1>servicelens report: {escape(name)}</h1>
<p>{summary.rows:,} rows; {summary.scored:,} scored; {summary.error_rows:,} with a problem noted.
Mean customer-service score {mean:.1f}. Model: {versions}.</p>
<h2>Score distribution</h2>{_histogram(summary.histogram)}
<p class="muted">How much of each job is serving people, 0-100 (servicelens scale: docs/scale.md).</p>
<h2>Bands</h2>{_bars(band_bars, suffix=" %")}
<table>{"".join(f"<tr><td>{b}</td><td>{escape(meaning[b])}</td></tr>" for b in reversed(names))}</table>
<h2>Customer groups</h2>
<p class="muted">Share of scored rows naming each group; orange: outside the employer, green: inside it.</p>
{_bars(group_share, suffix=" %") if group_share else "<p>No customer groups were named.</p>"}
<h2>Most customer-facing titles</h2><p class="muted">Each title once, by the mean score of its postings.</p>
<table>{head}{titles(True)}</table>
<h2>Least customer-facing titles</h2><table>{head}{titles(False)}</table>
<h2>Rows with problems</h2>
{f'<table><tr><th>row</th><th>id</th><th>problem</th></tr>{errors}</table>{more}' if errors else "<p>None.</p>"}
<p class="muted">{escape(ONET_ATTRIBUTION)}</p>
</body></html>
"""
