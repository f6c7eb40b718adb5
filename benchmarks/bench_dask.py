"""The same input through the single-machine batch path and a 2-worker local Dask cluster.

Uses the export of ``bench_batch.py`` (the dev postings repeated; written if missing). Dask never splits a CSV file
(quoted cells hold line breaks), so for Dask the same rows are also written as ``--files`` CSV
files. Both runs write CSV. Run from the checkout, with ``pip install ".[dask]"``:

    python benchmarks/bench_dask.py [--rows 1000000] [--files 20] [--workers 2] [--keep DIR]

Prints postings/s and peak RSS (whole process tree) of both, and the overhead of Dask.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import timed, write_export  # noqa: E402


def split(source: Path, folder: Path, files: int, rows: int) -> None:
    """Write ``source``'s rows as ``files`` CSV files with the same header, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    per_file = -(-rows // files)
    with open(source, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        out, writer = None, None
        for i, row in enumerate(reader):
            if i % per_file == 0:
                if out:
                    out.close()
                out = open(folder / f"part-{i // per_file:04d}.csv", "w", encoding="utf-8", newline="")
                writer = csv.writer(out)
                writer.writerow(header)
            writer.writerow(row)
        if out:
            out.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="Keep the generated inputs in this folder")
    parser.add_argument("--dask-only", action="store_true", help="Skip the single-machine run")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="servicelens-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"export-{args.rows}.csv"
    if not source.is_file():
        write_export(source, args.rows)
    parts = folder / f"export-{args.rows}-in-{args.files}"
    if not parts.is_dir():
        split(source, parts, args.files, args.rows)
    print(f"servicelens Dask benchmark: {args.rows:,} rows ({args.files} files for Dask), "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {args.workers} workers")
    cli = [sys.executable, "-m", "servicelens", "predict", "--quiet", "--workers", str(args.workers)]
    if not args.dask_only:
        single, single_rss = timed(cli + [str(source), "-o", str(folder / "single.csv")])
        print(f"  single machine: {args.rows / single:>7,.0f} postings/s ({single:,.1f} s), "
              f"peak RSS {single_rss / 2**20:,.0f} MB")
        (folder / "single.csv").unlink()
    dask, dask_rss = timed(cli + [str(parts / "part-*.csv"), "-o", str(folder / "dask.csv"), "--engine", "dask"])
    print(f"  Dask, local cluster: {args.rows / dask:>7,.0f} postings/s ({dask:,.1f} s), peak RSS {dask_rss / 2**20:,.0f} MB")
    if not args.dask_only:
        print(f"  Dask overhead on one machine: {100 * (dask / single - 1):+.0f}% time")
    shutil.rmtree(folder / "dask.csv")
    if args.keep is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
