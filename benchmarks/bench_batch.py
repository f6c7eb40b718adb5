"""Batch scoring speed and memory on real postings, beside a yardstick run in the same process.

The export is the dev postings (real LinkedIn postings, title and description) repeated to the
number of rows asked for. Run from the checkout, with the dev postings where
``$SERVICELENS_POSTINGS_DIR`` (or ``--postings-dir``) says:

    python benchmarks/bench_batch.py                     # throughput at 100,000 rows, 3 rounds
    python benchmarks/bench_batch.py --memory 1000000    # peak memory of a 1,000,000-row batch
    python benchmarks/bench_batch.py --cold 7            # cold 'servicelens predict FILE', 7 runs

Throughput: each round runs ``servicelens predict EXPORT.csv -o SCORED.csv --workers 2`` as a
separate process (read, score, write, with the customer groups), then the spaCy tokenizer alone
over the same texts on one core in this process, and prints the ratio of their wall times (below
1: the whole batch on 2 workers is faster than tokenizing alone on one). The median ratio of the
rounds is the figure; a shared machine's speed drifts, a ratio within one round much less. It also
times, in this process on the first 5,000 postings, what the customer groups add to the reading and
scoring of a posting. Memory: the peak resident memory of the whole process tree (main process and
workers), sampled from /proc. Cold: the wall time of ``servicelens predict`` on one posting file,
beside the interpreter starting and exiting (``python -c pass``).
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from servicelens import paths
from servicelens.datasets.dev_postings import read_dev_postings

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw" / "examples" / "store-associate.txt"


def write_export(path: Path, rows: int, postings_dir: Path | None = None) -> int:
    """Write the dev postings, repeated, as a ``rows``-row CSV export; return its bytes."""
    dev = read_dev_postings(paths.postings_dir(postings_dir))
    postings = list(zip(dev["job_id"], dev["title"], dev["description"]))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row_id", "job_id", "title", "description"])
        for i in range(rows):
            job_id, title, text = postings[i % len(postings)]
            writer.writerow([i, job_id, title, text])
    return path.stat().st_size


def read_texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [row["description"] for row in csv.DictReader(fh)]


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
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    memory = PeakRSS(process.pid)
    if process.wait() != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return time.perf_counter() - start, memory.stop()


def run_batch(source: Path, out: Path, workers: int, model: str | None) -> tuple[float, int]:
    command = [sys.executable, "-m", "servicelens", "predict", str(source), "-o", str(out), "--quiet",
               "--workers", str(workers)] + (["--model", model] if model else [])
    try:
        return timed(command)
    finally:
        out.unlink(missing_ok=True)


def tokenizer_seconds(texts: list[str]) -> float:
    """The yardstick: spaCy's English tokenizer alone over ``texts``, on one core."""
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    start = time.perf_counter()
    for _ in tokenizer.pipe(texts, batch_size=1000):
        pass
    return time.perf_counter() - start


def groups_share(texts: list[str], titles: list[str], model_path: str | None) -> tuple[float, float]:
    """Seconds a posting takes to read and score (batch rows, groups included), and the share of
    that the customer groups take, on these postings in this process."""
    from servicelens import load_model

    model = load_model(model_path)
    start = time.perf_counter()
    prepared = [model.prepare(t, title) for t, title in zip(texts, titles)]
    model.rows(prepared)
    total = time.perf_counter() - start
    text_X = model.estimator.text_matrix([p.scorer_units() for p in prepared])
    start = time.perf_counter()
    model.group_ids_many(prepared, text_X)
    groups = time.perf_counter() - start
    return total / len(texts), groups / (total - groups)


def throughput(folder: Path, rows: int, rounds: int, workers: int, model: str | None, postings_dir) -> None:
    source = folder / f"export-{rows}.csv"
    size = write_export(source, rows, postings_dir)
    texts = read_texts(source)
    print(f"  export: {rows:,} rows of real postings, {size / 1e6:,.0f} MB")
    ratios = []
    for k in range(1, rounds + 1):
        batch, peak = run_batch(source, folder / "scored.csv", workers, model)
        yardstick = tokenizer_seconds(texts)
        ratios.append(batch / yardstick)
        print(f"  round {k}: batch on {workers} workers {batch:,.1f} s ({rows / batch:,.0f} postings/s, peak RSS "
              f"{peak / 2**20:,.0f} MB); spaCy tokenizer alone on 1 core {yardstick:,.1f} s "
              f"({rows / yardstick:,.0f} postings/s); ratio {batch / yardstick:.2f}")
    print(f"  median ratio batch / tokenizer: {statistics.median(ratios):.2f} (rounds: "
          f"{', '.join(f'{r:.2f}' for r in ratios)})")
    with open(source, encoding="utf-8", newline="") as fh:
        sample = [row for row, _ in zip(csv.DictReader(fh), range(5000))]
    per_posting, share = groups_share([r["description"] for r in sample], [r["title"] for r in sample], model)
    print(f"  in one process, 5,000 postings: {per_posting * 1000:.2f} ms a posting to read and score; the "
          f"customer groups add {share:.0%} to the rest")


def memory(folder: Path, rows: int, workers: int, model: str | None, postings_dir) -> None:
    source = folder / f"export-{rows}.csv"
    size = write_export(source, rows, postings_dir)
    seconds, peak = run_batch(source, folder / "scored.csv", workers, model)
    print(f"  {rows:,} rows ({size / 1e9:,.1f} GB): {seconds:,.0f} s, {rows / seconds:,.0f} postings/s, "
          f"peak RSS of the process tree {peak / 2**20:,.0f} MB")


def cold(runs: int, model: str | None) -> None:
    def wall(command: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start

    predict = [sys.executable, "-m", "servicelens", "predict", str(EXAMPLE)] + (["--model", model] if model else [])
    wall(predict)  # a warm-up: the first run reads the files from disk
    pairs = [(wall(predict), wall([sys.executable, "-c", "pass"])) for _ in range(runs)]
    print(f"  cold 'servicelens predict FILE': median {statistics.median(p for p, _ in pairs):.2f} s "
          f"(min {min(p for p, _ in pairs):.2f}, max {max(p for p, _ in pairs):.2f}) over {runs} runs; "
          f"'python -c pass' {statistics.median(s for _, s in pairs):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="Rows of the throughput export")
    parser.add_argument("--rounds", type=int, default=3, help="Throughput rounds (batch, then yardstick)")
    parser.add_argument("--memory", type=int, default=None, metavar="ROWS", help="Only the peak memory at ROWS rows")
    parser.add_argument("--cold", type=int, default=None, metavar="RUNS", help="Only the cold single-posting time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", default=None)
    parser.add_argument("--postings-dir", type=Path, default=None)
    args = parser.parse_args()
    print(f"servicelens batch benchmark: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {args.workers} workers")
    with tempfile.TemporaryDirectory(prefix="servicelens-bench-") as tmp:
        if args.cold:
            cold(args.cold, args.model)
        elif args.memory:
            memory(Path(tmp), args.memory, args.workers, args.model, args.postings_dir)
        else:
            throughput(Path(tmp), args.rows, args.rounds, args.workers, args.model, args.postings_dir)


if __name__ == "__main__":
    main()
