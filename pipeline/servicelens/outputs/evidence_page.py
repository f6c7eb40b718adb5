"""A self-contained HTML page showing postings with their evidence highlighted by category."""
from __future__ import annotations

from html import escape

from servicelens.bands import BAND_MEANING
from servicelens.evidence.categories import CATEGORIES, CATEGORY_LABELS
from servicelens.model.store import ONET_ATTRIBUTION
from servicelens.model.loaded import Result
from servicelens.reading.posting import PreparedPosting

COLOURS = {"service": "#ffd166", "care": "#f4978e", "selling": "#90be6d", "complaints": "#f9844a",
           "external_comm": "#4cc9f0", "advising": "#b5a8ff", "internal": "#c9c9c9", "negation": "#ff5d5d"}
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:60rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.15rem;margin-top:2.5rem;border-top:1px solid #ddd;padding-top:1rem}
.score{font-size:1.1rem} .legend span,.tag{display:inline-block;padding:.1rem .45rem;margin:.15rem;border-radius:.3rem;font-size:.85rem}
.posting{white-space:pre-wrap;line-height:1.55;background:#fafafa;border:1px solid #eee;padding:1rem;border-radius:.4rem}
mark{border-radius:.2rem;padding:0 .1rem} mark.qualified{opacity:.55} mark.negated{text-decoration:line-through}
table{border-collapse:collapse;margin-top:.8rem;font-size:.9rem} td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums} .muted{color:#777;font-size:.85rem}
"""


def _highlighted(posting: PreparedPosting, result: Result) -> str:
    """The cleaned posting text with each signal wrapped in a <mark> of its category colour."""
    text = posting.clean.text
    marks = []
    for signal in result.signals:
        if signal.unit is None:
            continue
        unit_start, unit_end = posting.bounds[signal.unit]
        at = text.find(signal.text, unit_start, unit_end)
        if at >= 0:
            marks.append((at, at + len(signal.text), signal))
    out, cursor = [], 0
    for start, end, signal in sorted(marks, key=lambda m: (m[0], -m[1])):
        if start < cursor:
            continue  # overlapping signals: the first one is shown
        out.append(escape(text[cursor:start]))
        title = f"{signal.category} ({signal.polarity}), {signal.contribution:+.1f} points, {signal.section}"
        out.append(f'<mark class="{signal.polarity}" style="background:{COLOURS.get(signal.category, "#eee")}" '
                   f'title="{escape(title)}">{escape(text[start:end])}</mark>')
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def _one(posting: PreparedPosting, result: Result) -> str:
    rows = "".join(
        f"<tr><td class=num>{s.contribution:+.1f}</td><td><span class=tag style='background:{COLOURS.get(s.category)}'>"
        f"{escape(s.category)}</span></td><td>{escape(s.text[:120])}</td><td>{escape(s.section)}</td>"
        f"<td>{escape(s.polarity)}</td><td class=num>{s.confidence:.2f}</td></tr>" for s in result.signals)

    groups = "".join(
        f"<tr><td class=num>{g.confidence:.2f}</td><td>{escape(g.label)}</td><td>{g.scope}</td><td>{g.kind}</td>"
        f"<td>{escape('; '.join(dict.fromkeys(e.occupation and 'O*NET: ' + e.occupation or e.text for e in g.evidence)))}</td></tr>"
        for g in result.groups)
    groups_table = (f"<h3>Customer groups</h3><table><tr><th>confidence</th><th>group</th><th>scope</th><th>found</th>"
                    f"<th>evidence</th></tr>{groups}</table>") if groups else ""
    return f"""<h2>{escape(result.source or result.title or 'posting')}</h2>
<p class=score><b>{result.cs_score:.1f}</b> / 100 &mdash; <b>{result.band}</b>
<span class=muted>({escape(BAND_MEANING[result.band])})</span><br>
external {result.external:.1f} &middot; internal {result.internal:.1f} &middot;
base {result.base:.1f}, title {result.title_contribution:+.1f}, signals {sum(s.contribution for s in result.signals):+.1f},
other text {result.other:+.1f}</p>
<div class=posting>{_highlighted(posting, result)}</div>
<table><tr><th>points</th><th>category</th><th>evidence</th><th>section</th><th>polarity</th><th>confidence</th></tr>{rows}</table>
{groups_table}"""


def render_html(items: list[tuple[PreparedPosting, Result]], model_version: str) -> str:
    legend = "".join(f"<span style='background:{COLOURS[c]}'>{escape(c)}: {escape(CATEGORY_LABELS[c])}</span>"
                     for c in CATEGORIES) + f"<span style='background:{COLOURS['negation']}'>negation</span>"
    body = "".join(_one(p, r) for p, r in items)
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>servicelens</title>
<style>{_CSS}</style></head><body><h1>servicelens: customer-facing evidence</h1>
<div class=legend>{legend}</div>{body}
<p class=muted>Model {escape(model_version)}. Faded marks are qualified (occasional, optional); struck-through marks are negated.
<br>{escape(ONET_ATTRIBUTION)}</p></body></html>"""
