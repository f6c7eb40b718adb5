"""What the labelled corpus holds: counts, the agreement between labelling passes, scores by the sources' own tags.

``servicelens data corpus`` prints it; the model card and ``docs/corpus.md`` quote it.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping, Sequence

import numpy as np

from servicelens.datasets.corpus import SOURCES, CorpusLabel, Pass, SourcePosting
from servicelens.scale import BAND_NAMES, band_number, combine

#: O*NET major groups (the first two digits of a SOC code) by the sector names the corpus issue lists.
SECTORS = {
    "management, business, finance": ("11", "13"), "IT and mathematics": ("15",),
    "engineering and science": ("17", "19"), "community and social service": ("21",), "legal": ("23",),
    "education": ("25",), "arts, media, sport": ("27",), "health care": ("29", "31"),
    "protective service": ("33",), "food and hospitality": ("35",), "cleaning and grounds": ("37",),
    "personal care and service": ("39",), "sales and retail": ("41",), "office and administrative": ("43",),
    "farming": ("45",), "trades and construction": ("47", "49"), "manufacturing": ("51",),
    "transport and logistics": ("53",),
}


def summary(labels: Sequence[CorpusLabel]) -> dict:
    """Counts by source and split, by band, by group (explicit and implied), by sector."""
    usable = [label for label in labels if label.usable]
    by_source = {}
    for source in SOURCES:
        rows = [label for label in labels if label.source == source]
        if rows:
            by_source[source] = {"postings": len(rows), "dev": sum(r.split == "dev" for r in rows),
                                 "heldout": sum(r.split == "heldout" for r in rows),
                                 "twice": sum(len(r.passes) > 1 for r in rows), "unusable": sum(not r.usable for r in rows)}
    sector_of = {major: name for name, majors in SECTORS.items() for major in majors}
    sectors = Counter(sector_of.get(label.family[4:6], "no O*NET match") if label.family.startswith("soc:")
                      else "no O*NET match" for label in usable)
    groups = Counter((g.id, g.kind) for label in usable for g in label.groups)
    return {
        "postings": len(labels), "usable": len(usable), "sources": by_source,
        "bands": {name: sum(label.band == k + 1 for label in usable) for k, name in enumerate(BAND_NAMES)},
        "bands_by_split": {split: {name: sum(label.band == k + 1 for label in usable if label.split == split)
                                   for k, name in enumerate(BAND_NAMES)} for split in ("dev", "heldout")},
        "groups": {g: {"explicit": groups[(g, "explicit")], "implied": groups[(g, "implied")]}
                   for g in sorted({g for g, _ in groups}, key=lambda g: -(groups[(g, "explicit")] + groups[(g, "implied")]))},
        "sectors": dict(sectors.most_common()),
        "annotators": len({p.annotator for label in labels for p in label.passes}),
    }


def _pass_score(p: Pass) -> float:
    return combine(p.external, p.internal)


def agreement(labels: Sequence[CorpusLabel]) -> dict:
    """Between the first two passes of every posting labelled twice, overall and by source."""
    from scipy.stats import spearmanr
    from sklearn.metrics import cohen_kappa_score

    def figures(pairs: list[tuple[Pass, Pass]]) -> dict:
        a = np.array([_pass_score(p) for p, _ in pairs])
        b = np.array([_pass_score(q) for _, q in pairs])
        bands_a, bands_b = [band_number(x) for x in a], [band_number(x) for x in b]
        tp = fp = fn = 0
        for p, q in pairs:
            first, second = {g.id for g in p.groups}, {g.id for g in q.groups}
            tp, fp, fn = tp + len(first & second), fp + len(second - first), fn + len(first - second)
        kappa = cohen_kappa_score(bands_a, bands_b, weights="quadratic") if len(set(bands_a + bands_b)) > 1 else None
        return {"postings": len(pairs),
                "score_spearman": round(float(spearmanr(a, b)[0]), 3) if len(pairs) > 2 else None,
                "score_mae": round(float(np.abs(a - b).mean()), 2),
                "band_exact": round(float(np.mean(np.equal(bands_a, bands_b))), 3),
                "band_kappa_quadratic": None if kappa is None else round(float(kappa), 3),
                "bands_more_than_one_apart": int(sum(abs(x - y) > 1 for x, y in zip(bands_a, bands_b))),
                "external_spearman": round(float(spearmanr([p.external for p, _ in pairs], [q.external for _, q in pairs])[0]), 3),
                "internal_spearman": round(float(spearmanr([p.internal for p, _ in pairs], [q.internal for _, q in pairs])[0]), 3),
                "groups_micro_f1": round(2 * tp / (2 * tp + fp + fn), 3) if tp + fp + fn else None}

    pairs = {label.source: [] for label in labels}
    usability = 0
    for label in labels:
        if len(label.passes) > 1:
            first, second = label.passes[:2]
            if first.unusable or second.unusable:
                usability += bool(first.unusable) != bool(second.unusable)
                continue
            pairs[label.source].append((first, second))
    everything = [pair for rows in pairs.values() for pair in rows]
    return {"overall": figures(everything), "usable_disagreements": usability,
            "by_source": {source: figures(rows) for source, rows in pairs.items() if len(rows) > 2}}


def by_tag(labels: Iterable[CorpusLabel], postings: Mapping[tuple[str, str], SourcePosting], top: int = 12) -> dict:
    """The labelled scores by the sources' own tags (LinkedIn job functions, board categories)."""
    out: dict[str, dict] = {}
    for label in labels:
        tags = postings.get((label.source, label.id))
        if not label.usable or tags is None or not tags.tags:
            continue
        for tag in tags.tags.split("|"):
            out.setdefault(label.source, {}).setdefault(tag.strip(), []).append(label.cs_score)
    return {source: {tag: {"n": len(s), "mean": round(float(np.mean(s)), 1), "median": round(float(np.median(s)), 1)}
                     for tag, s in sorted(tags.items(), key=lambda item: -np.mean(item[1])) if len(s) >= 5}
            for source, tags in out.items()}


def format_corpus(report: dict) -> list[str]:
    s = report["summary"]
    lines = [f"corpus: {s['postings']} postings ({s['usable']} usable), {s['annotators']} annotators"]
    lines.append(f"  {'source':30}{'postings':>9}{'dev':>6}{'heldout':>8}{'twice':>7}{'unusable':>9}")
    for source, c in s["sources"].items():
        lines.append(f"  {source:30}{c['postings']:>9}{c['dev']:>6}{c['heldout']:>8}{c['twice']:>7}{c['unusable']:>9}")
    lines.append("  bands: " + ", ".join(f"{name} {n}" for name, n in s["bands"].items()))
    for split, bands in s["bands_by_split"].items():
        lines.append(f"    {split}: " + ", ".join(f"{name} {n}" for name, n in bands.items()))
    lines.append("  sectors (O*NET major group of the title): " + ", ".join(f"{k} {v}" for k, v in s["sectors"].items()))
    lines.append("  groups (explicit/implied): " + ", ".join(f"{g} {c['explicit']}/{c['implied']}"
                                                          for g, c in s["groups"].items()))
    a = report["agreement"]
    lines.append(f"agreement of two independent passes ({a['overall']['postings']} postings; "
                 f"{a['usable_disagreements']} more where only one pass found the posting unusable):")
    lines.append(f"  {'':30}{'n':>5}{'rho':>7}{'MAE':>6}{'band':>6}{'kappa':>7}{'>1 band':>8}{'ext rho':>8}{'int rho':>8}{'groups F1':>10}")
    for name, f in [("all", a["overall"]), *a["by_source"].items()]:
        fmt = lambda v, spec: format(v, spec) if v is not None else "-"
        lines.append(f"  {name:30}{f['postings']:>5}{fmt(f['score_spearman'], '.3f'):>7}{f['score_mae']:>6.1f}"
                     f"{f['band_exact']:>6.2f}{fmt(f['band_kappa_quadratic'], '.3f'):>7}{f['bands_more_than_one_apart']:>8}"
                     f"{f['external_spearman']:>8.3f}{f['internal_spearman']:>8.3f}{fmt(f['groups_micro_f1'], '.3f'):>10}")
    for source, tags in (report.get("by_tag") or {}).items():
        lines.append(f"labelled score by the source's own tag ({source}): " +
                     "; ".join(f"{tag} {t['mean']:.0f} (n={t['n']})" for tag, t in tags.items()))
    return lines
