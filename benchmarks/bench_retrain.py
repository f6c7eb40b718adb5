"""The two retrains of the tests, with their before/after figures and wall time.

    python benchmarks/bench_retrain.py [--base small|shipped] [--workers N]

``small`` (the tests' base): a model trained on six O*NET major groups. ``shipped``: the shipped
model, with the full O*NET base (915 occupations), in a temporary copy of the registry. Each base
is retrained twice, as in ``tests/test_retrain.py``:

1. front-line customer-service postings from the dev set labelled ``cs_score`` 95 (a weak area:
   the base model puts them in "high");
2. 300 other dev postings labelled upside down (100 minus the base model's score), as a label
   file read on the wrong scale would be. The gate must refuse this one.

Needs the real data: $SERVICELENS_SHARED_DATA or ../shared/data.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from servicelens import load_model  # noqa: E402
from servicelens.training.labels import read_labels  # noqa: E402
from servicelens.datasets.onet import Tables, build_training_data, read_manifest, read_tables  # noqa: E402
from servicelens.datasets.dev_postings import read_dev_postings  # noqa: E402
from servicelens.model.registry import active_model, pin_active  # noqa: E402
from servicelens.training.retrain import RetrainOptions, format_comparison, retrain  # noqa: E402
from servicelens.training.train import train  # noqa: E402
from tests.conftest import shared_data_dir  # noqa: E402
from tests.test_retrain import MAJOR_GROUPS, NOT_FRONT_LINE, WEAK  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", choices=("small", "shipped"), default="small")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    data = shared_data_dir()
    work = Path(tempfile.mkdtemp(prefix="bench-retrain-"))
    try:
        labeled = work / "labeled"
        build_training_data(data / "onet-29.0", data / "onet-ratings-2020", labeled)
        registry = work / "models"
        if args.base == "small":
            tables = read_tables(labeled)
            occupations = tables.occupations[tables.occupations["major_group"].isin(MAJOR_GROUPS)].reset_index(drop=True)
            sentences = tables.sentences[tables.sentences["code"].isin(set(occupations["code"]))].reset_index(drop=True)
            occupations.to_parquet(labeled / "occupations.parquet")
            sentences.to_parquet(labeled / "sentences.parquet")
            train(Tables(occupations, sentences), read_manifest(labeled)["inputs"], registry, version="0.0.1")
        else:
            shipped = active_model(ROOT / "models")
            shutil.copytree(shipped, registry / shipped.name)
        pin_active(registry)
        dev = read_dev_postings(data / "postings-dev")
        base = load_model(active_model(registry))
        front = dev[dev["title"].str.contains(WEAK, case=False) & ~dev["title"].str.contains(NOT_FRONT_LINE, case=False)]
        others = dev[~dev["title"].str.contains(WEAK, case=False)].head(300)
        flipped = 100 - base.score_table(others["description"].tolist(), others["title"].tolist())[:, 0]
        runs = {"front-line customer service labelled 95": front.assign(cs_score=95),
                "300 postings labelled upside down": others.assign(cs_score=np.round(flipped, 1))}
        for name, rows in runs.items():
            path = work / f"{name.split()[0]}.csv"
            rows[["title", "description", "cs_score"]].to_csv(path, index=False)
            found = read_labels([path], list(base.group_rules.groups))
            start = time.perf_counter()
            result = retrain(read_tables(labeled), read_manifest(labeled)["inputs"], found.labels, found.hashes,
                             registry, base.path, labeled, RetrainOptions(n_jobs=args.workers))
            print(f"\n== {name}: {len(found.labels)} labels, base {args.base} "
                  f"({time.perf_counter() - start:.0f} s wall)")
            print("\n".join(format_comparison(result.comparison)))
            if result.activated:  # the second run is compared with the same base, as in the tests
                from servicelens.model.registry import rollback

                rollback(registry)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
