"""The evaluation's figures as text: what ``servicelens evaluate`` prints and the model card quotes."""
from __future__ import annotations

from servicelens.evaluation.mentions import format_mentions


def _f(value, spec: str = ".3f") -> str:
    return format(value, spec) if isinstance(value, (int, float)) and value == value else "-"


def _score_row(name: str, m: dict) -> str:
    return (f"  {name:30}{m['postings']:>6}{_f(m['spearman']):>8}{_f(m.get('band_accuracy'), '.2f'):>7}"
            f"{_f(m.get('band_kappa')):>7}{_f(m.get('mae'), '.1f'):>6}{_f(m.get('external_spearman')):>8}"
            f"{_f(m.get('internal_spearman')):>8}")


def format_metrics(metrics: dict) -> list[str]:
    lines = []
    score = metrics.get("score")
    if score:
        lines.append("Score on the corpus' held-out postings (trained on the development split):")
        lines.append(f"  {'':30}{'n':>6}{'rho':>8}{'band':>7}{'kappa':>7}{'MAE':>6}{'ext rho':>8}{'int rho':>8}")
        lines.append(_score_row("model", score["model"]["overall"]))
        for name, block in score["baselines"].items():
            lines.append(_score_row(name, block["overall"]))
        lead = score["model"].get("versus_tfidf_ridge")
        if lead:
            lines.append(f"  model rho interval {lead['interval']}; lead over tfidf_ridge {lead['lead']:+.3f} "
                         f"(95% bootstrap {lead['lead_interval']})")
        lines.append("  by source (model):")
        for source, m in score["model"]["by_source"].items():
            lines.append(_score_row("  " + source, m))
        loso = score.get("leave_one_source_out")
        if loso:
            lines.append("  leave one source out (fitted without the source, tested on its held-out postings):")
            for source, block in loso.items():
                lines.append(_score_row("  " + source, block["model"]) + f"   tfidf_ridge rho {_f(block['tfidf_ridge']['spearman'])}")
        parts = score.get("parts", {})
        for part, spread in parts.items():
            lines.append(f"  {part} part: predicted p10-p90 {spread['predicted']['p10']:.0f}-{spread['predicted']['p90']:.0f} "
                         f"(sd {spread['predicted']['sd']:.1f}); labelled {spread['labelled']['p10']:.0f}-"
                         f"{spread['labelled']['p90']:.0f} (sd {spread['labelled']['sd']:.1f})")
    tags = metrics.get("tags")
    if tags:
        for name in ("customer_service", "customer_facing"):
            if name in tags:
                t = tags[name]
                lines.append(f"LinkedIn tags, {name.replace('_', ' ')} vs the rest ({t['positives']} of {tags['postings']}): "
                             f"AUC model {t['model']['auc']:.3f} {t['model']['interval']}, labels {t['labels']['auc']:.3f} "
                             f"{t['labels']['interval']}")
    groups = metrics.get("groups")
    if groups:
        g = groups["heldout"]
        lines.append(f"Customer groups on the held-out postings ({g['postings']}): micro P/R/F1 "
                     f"{g['micro']['precision']:.2f}/{g['micro']['recall']:.2f}/{g['micro']['f1']:.2f}; "
                     + "; ".join(f"{k} {v['precision']:.2f}/{v['recall']:.2f}/{v['f1']:.2f}" for k, v in g["by_kind"].items()))
        for name, block in groups.items():
            if name.startswith("heldout_"):
                lines.append(f"  {name[8:]}: micro P/R/F1 {block['micro']['precision']:.2f}/{block['micro']['recall']:.2f}/"
                             f"{block['micro']['f1']:.2f}")
        lines.append("  by source: " + ", ".join(f"{s} {m['f1']:.2f}" for s, m in g["by_source"].items()))
        lines.append("  per group (P/R/F1, support): " + ", ".join(
            f"{k} {v['precision']:.2f}/{v['recall']:.2f}/{v['f1']:.2f} ({v['support']})" for k, v in g["per_group"].items()))
        lines.append("  reliability (confidence -> share served): " + ", ".join(
            f"{b['from']:.2f}-{b['to']:.2f}: {b['mean_confidence']:.2f} -> {b['share_served']:.2f} (n={b['groups']})"
            for b in g["reliability"]))
        for name, t in groups.get("tags", {}).items():
            lines.append(f"  {name} ({t['postings']} LinkedIn postings): model {t['model']:.0%}, labels {t['labels']:.0%}")
    for key, label in (("groups_gold", "model; its groups learn from the dev half"),
                       ("groups_gold_servicelens-0.1.7", "servicelens-0.1.7; its confidence learned from the dev half")):
        gold = metrics.get(key)
        if gold:
            lines.append(f"Gold set P/R/F1 ({label}): " + "; ".join(f"{split} {b['micro']['precision']:.2f}/{b['micro']['recall']:.2f}/"
                                                            f"{b['micro']['f1']:.2f}" for split, b in gold.items()))
    match = metrics.get("onet_match")
    if match:
        lines.append(f"Title -> O*NET occupation on {match['titles']:,} O*NET titles held out ({match['folds']} folds): "
                     f"top-1 {match['top1']:.3f}, top-5 {match['top5']:.3f}")
    sections = metrics.get("sections")
    if sections:
        lines.append(f"Sections on {sections['lines']} labelled lines ({sections['half']} half): accuracy {sections['accuracy']:.2f}, "
                     f"scored-or-not {sections['scored_or_not_accuracy']:.2f}; " + ", ".join(
                         f"{s} {_f(v['recall'], '.2f')}/{_f(v['precision'], '.2f')}" for s, v in sections["per_section"].items())
                     + " (recall/precision)")
    statements = metrics.get("statements")
    if statements:
        lines.append("Real statements, what the model adds: " + "; ".join(
            f"{s} ({v['statements']}): {v['mean_points']:+.1f} points, signals {v['signals']}" for s, v in statements.items()))
    challenge = metrics.get("signals_challenge")
    if challenge:
        lines.append(f"Composed signal challenge set: exact category set on {challenge['exact_match']:.0%} of "
                     f"{challenge['units']} units; " + ", ".join(f"{p} {v['exact']:.0%}" for p, v in challenge["by_polarity"].items()))
    lines.extend(format_mentions(metrics.get("groups_mentions")))
    user = metrics.get("user_heldout")
    if user:
        lines.append(f"Your held-out labels ({user['postings']}): " + ", ".join(f"{k} {v}" for k, v in user.items() if k != "postings"))
    return lines
