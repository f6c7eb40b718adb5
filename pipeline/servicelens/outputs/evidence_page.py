"""A self-contained HTML page showing postings with their evidence highlighted by category."""
from __future__ import annotations

from html import escape

from servicelens import bands, scale
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
mark.group{background:none;border-bottom:3px solid #3a86ff;border-radius:0} nav a{margin-right:1rem}
table{border-collapse:collapse;margin-top:.8rem;font-size:.9rem} td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums} .muted{color:#777;font-size:.85rem}
"""


def band_meaning(name: str) -> str:
    """What a band says, on the scale (models before 0.2: the O*NET-anchored bands)."""
    return scale.BAND_MEANING.get(name) or bands.BAND_MEANING.get(name, "")


def _highlighted(posting: PreparedPosting, result: Result) -> str:
    """The cleaned posting text with each signal wrapped in a <mark> of its category colour, and each
    explicit customer group's evidence underlined."""
    text = posting.clean.text
    marks = []
    for signal in result.signals:
        if signal.unit is None:
            continue
        unit_start, unit_end = posting.bounds[signal.unit]
        at = text.find(signal.text, unit_start, unit_end)
        if at >= 0:
            title = f"{signal.category} ({signal.polarity}), {signal.contribution:+.1f} points, {signal.section}"
            marks.append((at, at + len(signal.text), f'class="{signal.polarity}" style="background:'
                          f'{COLOURS.get(signal.category, "#eee")}" title="{escape(title)}"'))
    for group in result.groups:
        for evidence in group.evidence if group.kind == "explicit" else ():
            if evidence.unit is None or evidence.section in ("title", "reading"):
                continue
            unit_start, unit_end = posting.bounds[evidence.unit]
            at = text.find(evidence.text, unit_start, unit_end)
            if at >= 0:
                marks.append((at, at + len(evidence.text), f'class="group" title="{escape(group.label)} '
                              f'({group.confidence:.2f})"'))
    out, cursor = [], 0
    for start, end, attributes in sorted(marks, key=lambda m: (m[0], -m[1])):
        if start < cursor:
            continue  # overlapping marks: the first one is shown
        out.append(escape(text[cursor:start]))
        out.append(f"<mark {attributes}>{escape(text[start:end])}</mark>")
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def _one(posting: PreparedPosting, result: Result, anchor: str) -> str:
    rows = "".join(
        f"<tr><td class=num>{s.contribution:+.1f}</td><td><span class=tag style='background:{COLOURS.get(s.category)}'>"
        f"{escape(s.category)}</span></td><td>{escape(s.text[:120])}</td><td>{escape(s.section)}</td>"
        f"<td>{escape(s.polarity)}</td><td class=num>{s.confidence:.2f}</td></tr>" for s in result.signals)

    groups = "".join(
        f"<tr><td class=num>{g.confidence:.2f}</td><td>{escape(g.label)}</td><td>{g.scope}</td><td>{g.kind}</td>"
        f"<td>{escape('; '.join(dict.fromkeys(e.occupation and 'O*NET: ' + e.occupation or e.text for e in g.evidence)))}</td></tr>"
        for g in result.groups)
    onet = "".join(f"<tr><td>{escape(o.code)}</td><td>{escape(o.title)}</td><td class=num>{o.similarity:.2f}</td>"
                   f"<td class=num>{'-' if o.deal_with_external_customers is None else f'{o.deal_with_external_customers:.0f}'}</td></tr>"
                   for o in result.onet)
    onet_table = (f"<h3>O*NET reference <span class=muted>(kept apart from the score)</span></h3><table><tr><th>code</th>"
                  f"<th>occupation</th><th>title similarity</th><th>O*NET Deal With External Customers</th></tr>{onet}</table>"
                  ) if onet else ""
    groups_table = (f"<h3>Customer groups</h3><table><tr><th>confidence</th><th>group</th><th>scope</th><th>found</th>"
                    f"<th>evidence</th></tr>{groups}</table>") if groups else ""
    return f"""<h2 id="{anchor}">{escape(result.source or result.title or 'posting')}</h2>
<p class=score><b>{result.cs_score:.1f}</b> / 100 &mdash; <b>{result.band}</b>
<span class=muted>({escape(band_meaning(result.band))})</span><br>
external {result.external:.1f} &middot; internal {result.internal:.1f} &middot;
base {result.base:.1f}, title {result.title_contribution:+.1f}, signals {sum(s.contribution for s in result.signals):+.1f},
other text {result.other:+.1f}</p>
<div class=posting>{_highlighted(posting, result)}</div>
<table><tr><th>points</th><th>category</th><th>evidence</th><th>section</th><th>polarity</th><th>confidence</th></tr>{rows}</table>
{groups_table}{onet_table}"""


def render_html(items: list[tuple[PreparedPosting, Result]], model_version: str) -> str:
    legend = "".join(f"<span style='background:{COLOURS[c]}'>{escape(c)}: {escape(CATEGORY_LABELS[c])}</span>"
                     for c in CATEGORIES) + f"<span style='background:{COLOURS['negation']}'>negation</span>"
    body = "".join(_one(p, r, f"posting-{k}") for k, (p, r) in enumerate(items, 1))
    index = "" if len(items) < 2 else "<nav><b>Postings:</b> " + " ".join(
        f'<a href="#posting-{k}">{escape(r.source or r.title or f"posting {k}")} ({r.cs_score:.0f})</a>'
        for k, (_, r) in enumerate(items, 1)) + "</nav>"
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>servicelens</title>
<style>{_CSS}</style></head><body><h1>servicelens: customer-facing evidence</h1>
{index}<div class=legend>{legend}<span class=tag style="border-bottom:3px solid #3a86ff">customer group named</span></div>{body}
<p class=muted>Model {escape(model_version)}. Faded marks are qualified (occasional, optional); struck-through marks are negated.
<br>{escape(ONET_ATTRIBUTION)}</p></body></html>"""
