"""How well a title finds its O*NET occupation, on O*NET's own titles held out.

O*NET lists, per occupation, alternate titles and titles incumbents reported. Those that belong to
one occupation only are split into five folds by occupation (each occupation's titles spread over
the folds); the matcher is built without a fold's titles (the occupation's own title always stays)
and asked which occupation each held-out title is: top-1 and top-5 accuracy.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

FOLDS = 5
SEED = 0


def title_match_accuracy(onet_dir: Path, ratings_dir: Path) -> dict:
    from servicelens.datasets.onet import build_occupation_table, load_prior_ratings
    from servicelens.model.occupations import build_matcher

    occupations = build_occupation_table(Path(onet_dir), Path(ratings_dir))
    ratings = load_prior_ratings(Path(ratings_dir))
    pairs = [(code, t) for code, alt, rep, own in zip(occupations["code"], occupations["alternate_titles"],
                                                      occupations["reported_titles"], occupations["title"])
             for t in dict.fromkeys([*alt, *rep]) if t and t != own]
    owners: dict[str, set[str]] = {}
    for code, t in pairs:
        owners.setdefault(t.lower(), set()).add(code)
    pairs = [(code, t) for code, t in pairs if len(owners[t.lower()]) == 1]  # a title of one occupation only
    rng = np.random.default_rng(SEED)
    fold = rng.integers(0, FOLDS, len(pairs))
    top1 = top5 = 0
    for f in range(FOLDS):
        held = {t for (_, t), k in zip(pairs, fold) if k == f}
        kept = occupations.assign(alternate_titles=[[t for t in ts if t not in held] for ts in occupations["alternate_titles"]],
                                  reported_titles=[[t for t in ts if t not in held] for ts in occupations["reported_titles"]])
        matcher = build_matcher(kept, ratings)
        matcher.neighbours = 5
        test = [(code, t) for (code, t), k in zip(pairs, fold) if k == f]
        for (code, _), found in zip(test, matcher.matches([t for _, t in test])):
            codes = [matcher.codes_[i] for i, _ in found]
            top1 += codes[:1] == [code]
            top5 += code in codes
    n = len(pairs)
    return {"titles": n, "folds": FOLDS, "top1": round(top1 / n, 3), "top5": round(top5 / n, 3)}
