"""Batch scoring end to end (read, score, write) on synthetic HR exports; postings/s and peak RSS.

The exports are generated from the dev postings and O*NET task statements: each row takes a real
posting's title, company and opening text and a real occupation's task statements as its duty
bullets, cut to about 300 words, so the scorer sees the mix of prose, headings and bullets it sees
in real exports. Run from the checkout:

    python benchmarks/bench_batch.py [--rows 10000 100000 1000000] [--workers 2] [--keep DIR]

Each size runs ``servicelens predict EXPORT.csv -o SCORED.csv`` as a separate process and prints
postings/s and the peak resident memory of the whole process tree (main process plus workers),
sampled from /proc. The spaCy pipeline alone (tokenizer, segmenter, sections) is timed on the
first 10,000 rows for comparison. Targets (issue "batch"): >= 2,000 postings/s at 100,000 rows on
2 cores, and peak RSS under 1 GB at 1,000,000 rows.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from servicelens import paths
from servicelens.datasets.onet import build_sentence_table
from servicelens.datasets.dev_postings import read_dev_postings

WORDS = 300


def generate(path: Path, rows: int, seed: int = 7) -> float:
    """Write a synthetic export of ``rows`` postings; return its mean words per posting.

    A posting is laid out like a real one: a real posting's opening (the company and the role),
    a "Key Responsibilities" list of a real occupation's task statements, and a real posting's
    closing (benefits, EEO text), about 300 words in all.
    """
    dev = read_dev_postings(paths.postings_dir(None))
    tasks = build_sentence_table(paths.onet_dir(None))
    by_occupation = tasks.groupby("code")["text"].apply(list).tolist()
    postings = list(zip(dev["title"], dev["company_name"], dev["location"], dev["description"]))
    rng = random.Random(seed)
    words = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["requisition_id", "job_title", "company", "location", "posted", "job_description"])
        for i in range(rows):
            title, company, location, text = rng.choice(postings)
            opening = " ".join(text.split(" ")[:rng.randint(90, 150)])
            closing = " ".join(rng.choice(postings)[3].split(" ")[-rng.randint(40, 80):])
            duties = rng.choice(by_occupation)
            bullets = "".join(f"- {task}\n" for task in rng.sample(duties, k=min(len(duties), rng.randint(7, 11))))
            body = f"{opening}\n\nKey Responsibilities:\n{bullets}\n{closing}"
            body = " ".join(body.split(" ")[:WORDS + 40])
            words += len(body.split())
            writer.writerow([f"{i:08d}", title, company, location, f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", body])
    return words / rows


class PeakRSS:
    """Peak resident memory of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int, every: float = 0.2):
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        pids, frontier = [self.pid], [self.pid]
        while frontier:
            pid = frontier.pop()
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    children = [int(c) for c in task.read_text().split()]
                except OSError:
                    continue
                pids += children
                frontier += children
        return pids

    def _rss(self) -> int:
        total = 0
        for pid in self._tree():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def timed(command: list[str]) -> tuple[float, int]:
    """Run ``command``; its wall time in seconds and the peak RSS of its process tree in bytes."""
    start = time.perf_counter()
    process = subprocess.Popen(command)
    memory = PeakRSS(process.pid)
    if process.wait() != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return time.perf_counter() - start, memory.stop()


def run_batch(source: Path, out: Path, workers: int, model: str | None) -> tuple[float, int]:
    return timed([sys.executable, "-m", "servicelens", "predict", str(source), "-o", str(out), "--quiet",
                  "--workers", str(workers)] + (["--model", model] if model else []))


def spacy_alone(source: Path, model: str | None, limit: int = 10_000) -> float:
    from servicelens.spacy_components import build_nlp
    from servicelens.model.registry import resolve_model

    with open(source, encoding="utf-8", newline="") as fh:
        texts = [row["job_description"] for row, _ in zip(csv.DictReader(fh), range(limit))]
    nlp = build_nlp(str(resolve_model(model)))
    start = time.perf_counter()
    for _ in nlp.pipe(texts, disable=["customer_signals", "customer_groups"]):
        pass
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--model", default=None)
    parser.add_argument("--keep", type=Path, default=None, help="Keep the generated exports in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="servicelens-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"servicelens batch benchmark: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, {args.workers} workers")
    for rows in args.rows:
        source = folder / f"export-{rows}.csv"
        if not source.is_file():
            words = generate(source, rows)
            print(f"  generated {rows:,} rows, {words:.0f} words per posting, "
                  f"{source.stat().st_size / 1e6:,.0f} MB")
        seconds, peak = run_batch(source, folder / f"scored-{rows}.csv", args.workers, args.model)
        print(f"  {rows:>9,} rows: {rows / seconds:>7,.0f} postings/s end to end ({seconds:,.1f} s), "
              f"peak RSS {peak / 2**20:,.0f} MB")
        (folder / f"scored-{rows}.csv").unlink()
        if rows == args.rows[0]:
            print(f"  spaCy pipeline alone (tokenizer + segmenter + sections): "
                  f"{spacy_alone(source, args.model):,.0f} postings/s on one core")
        if args.keep is None:
            source.unlink()

if __name__ == "__main__":
    main()
