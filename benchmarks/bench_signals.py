"""Throughput of the reading, signal and group stages, the full scorer, and the spaCy pipeline alone.

Realistic postings are the dev postings (~300 words each, cut there); run from the checkout:

    python benchmarks/bench_signals.py [--postings-dir ../shared/data/postings-dev] [--n 2000]

Prints postings/s on one core for each stage, to find where the time of a batch goes
(``bench_batch.py`` has the end-to-end figures beside the spaCy tokenizer).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

from servicelens import load_model
from servicelens import paths
from servicelens.spacy_components import build_nlp
from servicelens.datasets.dev_postings import read_dev_postings


def rate(label: str, n: int, fn) -> float:
    start = time.perf_counter()
    fn()
    per_second = n / (time.perf_counter() - start)
    print(f"  {label:<44} {per_second:>8,.0f} postings/s")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings-dir", default=None)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    dev = read_dev_postings(paths.postings_dir(args.postings_dir))
    texts = [" ".join(d.split(" ")[:300]) for d in dev["description"]]
    titles = dev["title"].tolist()
    reps = -(-args.n // len(texts))
    texts, titles = (texts * reps)[:args.n], (titles * reps)[:args.n]
    words = sum(len(t.split()) for t in texts) / len(texts)

    model = load_model(args.model)
    print(f"servicelens signal benchmark: {args.n} postings, {words:.0f} words on average, model {model.version}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; one core")
    prepared = []
    rate("read: clean + segment + sections + title", args.n,
         lambda: prepared.extend(model.prepare(t, ti) for t, ti in zip(texts, titles)))
    units = [p.scorer_units() for p in prepared]
    estimator = model.estimator
    rate("signals: phrase patterns (negation, modality)", args.n,
         lambda: [estimator.patterns_.find_all(u[1:]) for u in units])
    rate("signals: patterns + sentence model", args.n, lambda: estimator.unit_evidence(units))
    rate("score: all features + final model", args.n, lambda: estimator.predict(units))
    table = rate("end to end: Model.score_table", args.n, lambda: model.score_table(texts, titles))
    groups = rate("groups: the named groups of prepared postings", args.n, lambda: model.group_ids_many(prepared))
    print(f"  {'groups add to the end-to-end time per posting':<44} {100 * table / groups:>8.0f} %")
    rate("end to end with evidence: Model.score", min(args.n, 500),
         lambda: [model.score(t, ti) for t, ti in zip(texts[:500], titles[:500])])
    nlp = build_nlp(str(model.path))
    rate("spaCy pipeline alone: tokenizer + segmenter + sections", args.n,
         lambda: list(nlp.pipe(texts, disable=["customer_signals", "customer_groups"])))
    rate("spaCy pipeline with customer_signals and groups", min(args.n, 500), lambda: list(nlp.pipe(texts[:500])))


if __name__ == "__main__":
    main()
