"""Batch-score a table: read in chunks -> score chunks (worker processes) -> write parts -> join.

The output is built in a run folder beside it (``.OUT.servicelens-run/``): one part per finished
chunk, each written to a temporary name and renamed, then a small stats file that marks the chunk
done. At the end the parts are joined into a temporary file that is renamed to the output name, so
an interrupted run never leaves half a file under that name, and ``resume`` picks up from the
finished chunks.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterator, TextIO

from servicelens.inputs.columns import ColumnMap, detect_columns
from servicelens.errors import Errors, InputError
from servicelens.model.store import model_version, read_meta
from servicelens.inputs.reader import STDIO, Chunk, TableFormat, table_format
from servicelens.inputs.tables import open_table
from servicelens.model.registry import resolve_model
from servicelens.batch.chunks import CHUNK_ROWS, MAX_CHARS, ROW_SECONDS, ChunkScorer, ChunkStats, Limits
from servicelens.outputs.tables import XLSX_MAX_ROWS, TableWriter, added_names

RUN_SUFFIX = ".servicelens-run"
_MANIFEST = "run.json"


@dataclass(frozen=True)
class BatchOptions:
    title_col: str | None = None
    text_cols: tuple[str, ...] = ()
    id_col: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    input_format: str | None = None  # standard input's format (csv, tsv, jsonl); None: from its first bytes
    workers: int | None = None  # None: every core this process may use
    chunk_rows: int = CHUNK_ROWS
    max_chars: int = MAX_CHARS
    row_seconds: float | None = ROW_SECONDS
    prefix: str = ""
    resume: bool = False
    progress: bool = True

    @property
    def limits(self) -> Limits:
        return Limits(self.max_chars, self.row_seconds)


@dataclass
class BatchSummary:
    source: str
    output: str
    model_version: str
    columns: dict
    stats: ChunkStats = field(default_factory=ChunkStats)
    resumed_rows: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        s = self.stats
        rate = (s.rows - self.resumed_rows) / self.seconds if self.seconds else 0.0
        out = [f"scored {s.scored:,} of {s.rows:,} rows ({s.rows - s.scored:,} not scored) in {self.seconds:.1f} s, "
               f"{rate:,.{0 if rate >= 10 else 1}f} rows/s -> {self.output} (model {self.model_version})"]
        if self.resumed_rows:
            out.append(f"  {self.resumed_rows:,} rows came from the interrupted run")
        for row, line, row_id, message in s.problems[:5]:
            where = f"row {row:,} (line {line:,}" + (f", id {row_id}" if row_id else "") + ")"
            out.append(f"  {where}: {message}")
        if len(s.problems) > 5:
            out.append("  ... every row's problem is in the 'error' column")
        return out


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def predict_table(source: str | os.PathLike, output: str | os.PathLike, model: str | os.PathLike | None = None,
                  options: BatchOptions = BatchOptions(), err: TextIO | None = None,
                  out: Any = None) -> BatchSummary:
    """Score every row of the table ``source`` into ``output`` (``-``: CSV on ``out``/stdout)."""
    source, output = str(source), str(output)
    _check(options)
    out_format = table_format(output)
    if output == STDIO and out_format.name != "csv":
        raise InputError(Errors.E052.format(path=output, format=out_format.suffix))
    if options.resume and STDIO in (source, output):
        raise InputError(Errors.E051)
    folder = resolve_model(model)
    version = model_version(read_meta(folder))
    started = time.perf_counter()
    fmt = TableFormat(options.input_format) if options.input_format else None
    with open_table(source, fmt, encoding=options.encoding, delimiter=options.delimiter,
                    chunk_rows=options.chunk_rows) as reader:
        columns = detect_columns(reader.columns, source, options.title_col, options.text_cols, options.id_col)
        added = added_names(options.prefix, reader.columns, source)
        if out_format.name == "xlsx" and (reader.total_rows or 0) >= XLSX_MAX_ROWS:
            raise InputError(Errors.E048.format(path=output, limit=XLSX_MAX_ROWS - 1, rows=reader.total_rows))
        schema = _arrow_schema(source) if reader.format.name == "parquet" and out_format.name == "parquet" else None
        # A CSV in, a CSV out: the output keeps the input's delimiter (a ';' file stays a ';' file).
        same_dialect = reader.delimiter if reader.format.name == out_format.name == "csv" else None
        writer = TableWriter(out_format, reader.columns, added, delimiter=same_dialect, arrow_schema=schema)
        summary = BatchSummary(source, output, version, columns.names(reader.columns))
        spec = _ScorerSpec(str(folder), columns, options.limits, writer)
        if output == STDIO:
            stream = out or sys.stdout.buffer
            stream.write(writer.header())
            for _, part, stats in _scored_parts(reader, spec, options, lambda index: False, err):
                stream.write(part)
                summary.stats.add(stats)
            stream.flush()
        else:
            run = RunFolder(Path(output), _manifest(source, reader, version, columns, options, out_format))
            run.start(options.resume, err)
            summary.stats, summary.resumed_rows = run.finished_stats()
            try:
                for index, part, stats in _scored_parts(reader, spec, options, run.done, err):
                    run.write(index, part, stats)
                    summary.stats.add(stats)
            except InputError:
                run.discard_if_empty()  # a file refused at its first rows leaves nothing behind
                raise
            if out_format.name == "xlsx" and summary.stats.rows >= XLSX_MAX_ROWS:
                raise InputError(Errors.E048.format(path=output, limit=XLSX_MAX_ROWS - 1, rows=summary.stats.rows))
            run.finish(writer)
    summary.seconds = time.perf_counter() - started
    return summary


def _check(options: BatchOptions) -> None:
    for option, value, minimum in (("workers", options.workers, 1), ("chunk-rows", options.chunk_rows, 1),
                                   ("max-chars", options.max_chars, 100), ("row-seconds", options.row_seconds, 0.01)):
        if value is not None and value < minimum:
            raise InputError(Errors.E053.format(option=option, minimum=minimum, value=value))


def _arrow_schema(source: str):
    import pyarrow.parquet as pq

    return pq.read_schema(source)


# -- scoring, in this process or in worker processes ----------------------------------------------

@dataclass(frozen=True)
class _ScorerSpec:
    """What a worker process needs to build its scorer (sent once, when the worker starts)."""

    model: str
    columns: ColumnMap
    limits: Limits
    writer: TableWriter

    def build(self) -> _PartMaker:
        from servicelens.model.loaded import Model

        return _PartMaker(ChunkScorer(Model(Path(self.model)), self.columns, self.limits), self.writer)


@dataclass
class _PartMaker:
    scorer: ChunkScorer
    writer: TableWriter

    def __call__(self, chunk: Chunk) -> tuple[bytes, ChunkStats]:
        added, stats = self.scorer(chunk)
        return self.writer.part(chunk, added), stats


_worker: _PartMaker | None = None  # one per worker process: the model is loaded once, not per chunk


def _start_worker(spec: _ScorerSpec) -> None:
    global _worker
    _worker = spec.build()


def _work(chunk: Chunk) -> tuple[bytes, ChunkStats]:
    assert _worker is not None, "worker not started"
    return _worker(chunk)


def _scored_parts(reader, spec: _ScorerSpec, options: BatchOptions, done, err: TextIO | None
                  ) -> Iterator[tuple[int, bytes, ChunkStats]]:
    """``(chunk index, part, stats)`` of every chunk not yet done, in input order."""
    chunks = (c for c in reader.chunks(options.chunk_rows) if not done(c.index))
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    workers = min(options.workers or default_workers(), 64)
    progress = _Progress(reader, options.progress, err)
    try:
        if second is None or workers == 1:
            make = spec.build()
            for chunk in chain([first] + ([second] if second else []), chunks):
                part, stats = make(chunk)
                progress.advance(stats.rows)
                yield chunk.index, part, stats
            return
        # At most two chunks per worker are in flight: memory stays flat however long the input.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker,
                                 initargs=(spec,)) as pool:
            pending: deque[tuple[int, Future]] = deque()

            def oldest() -> tuple[int, bytes, ChunkStats]:
                index, future = pending.popleft()
                part, stats = future.result()
                progress.advance(stats.rows)
                return index, part, stats

            try:
                for chunk in chain([first, second], chunks):
                    pending.append((chunk.index, pool.submit(_work, chunk)))
                    while len(pending) >= 2 * workers:
                        yield oldest()
                while pending:
                    yield oldest()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        progress.close()


class _Progress:
    """Progress, rate and ETA on stderr, when it is a terminal: in rows when the table says how many
    it has (XLSX, Parquet), else in the share of the input's bytes read (a CSV or JSON-lines file),
    else rows and rate alone (standard input). The total is never guessed from rows so far."""

    def __init__(self, reader, enabled: bool, err: TextIO | None):
        stream = err or sys.stderr
        self._reader = reader
        self._bar = None
        self._rows = 0
        self._by_bytes = reader.total_rows is None and reader.fraction_read() is not None
        if enabled and stream.isatty():
            from tqdm import tqdm

            if self._by_bytes:
                self._bar = tqdm(total=100.0, unit="% of input", file=stream, dynamic_ncols=True, smoothing=0.1,
                                 bar_format="{l_bar}{bar}| {n:.0f}% of the input read [{elapsed}<{remaining}{postfix}]")
            else:
                self._bar = tqdm(total=reader.total_rows, unit=" rows", unit_scale=True, file=stream,
                                 dynamic_ncols=True, smoothing=0.1)

    def advance(self, rows: int) -> None:
        if self._bar is None:
            return
        self._rows += rows
        if self._by_bytes:
            self._bar.update(100.0 * (self._reader.fraction_read() or 0.0) - self._bar.n)
            self._bar.set_postfix_str(f"{self._rows:,} rows", refresh=True)
        else:
            self._bar.update(rows)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# -- the run folder ---------------------------------------------------------------------------------

def _manifest(source: str, reader, version: str, columns: ColumnMap, options: BatchOptions, out_format) -> dict:
    stat = os.stat(source)
    return {"input": {"path": str(Path(source).resolve()), "bytes": stat.st_size, "modified_ns": stat.st_mtime_ns},
            "model": version,
            "options": {"columns": columns.names(reader.columns), "chunk_rows": options.chunk_rows,
                        "max_chars": options.max_chars, "prefix": options.prefix, "format": out_format.suffix,
                        "encoding": reader.encoding, "delimiter": reader.delimiter}}


class RunFolder:
    """The parts of one output being built, and what they were built from."""

    def __init__(self, output: Path, manifest: dict):
        self.output = output
        self.path = output.with_name(f".{output.name}{RUN_SUFFIX}")
        self.manifest = manifest

    def start(self, resume: bool, err: TextIO | None) -> None:
        manifest_path = self.path / _MANIFEST
        if resume:
            if not manifest_path.is_file():
                raise InputError(Errors.E050.format(path=self.output))
            before = json.loads(manifest_path.read_text(encoding="utf-8"))
            for key, what in (("input", "the input file"), ("model", "the model"), ("options", "the options")):
                if before.get(key) != self.manifest[key]:
                    raise InputError(Errors.E049.format(path=self.output, detail=what))
            return
        if self.path.exists():
            shutil.rmtree(self.path)
            if err is not None:
                err.write(f"servicelens: discarded the unfinished earlier run of {self.output}\n")
        self.path.mkdir(parents=True)
        (self.path / _MANIFEST).write_text(json.dumps(self.manifest, indent=1), encoding="utf-8")

    def _part(self, index: int) -> Path:
        return self.path / f"part-{index:07d}"

    def done(self, index: int) -> bool:
        return self._part(index).with_suffix(".json").is_file()

    def write(self, index: int, part: bytes, stats: ChunkStats) -> None:
        target = self._part(index)
        for path, data in ((target, part), (target.with_suffix(".json"), json.dumps(stats.to_dict()).encode())):
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # the stats file, written last, marks the chunk done

    def finished_stats(self) -> tuple[ChunkStats, int]:
        total = ChunkStats()
        for stats_file in sorted(self.path.glob("part-*.json")):
            total.add(ChunkStats.from_dict(json.loads(stats_file.read_text(encoding="utf-8"))))
        return total, total.rows

    def finish(self, writer: TableWriter) -> None:
        """Join the parts into a temporary file beside the output and rename it into place."""
        parts = sorted(p for p in self.path.glob("part-*") if p.suffix == "")
        tmp = self.output.with_name(f".{self.output.name}.tmp")
        try:
            writer.assemble(parts, tmp)
            os.replace(tmp, self.output)
        except BaseException:
            tmp.unlink(missing_ok=True)  # the finished parts stay, for --resume
            raise
        shutil.rmtree(self.path)

    def discard_if_empty(self) -> None:
        """Remove a run folder that holds no finished chunk (the input failed before any was scored)."""
        if self.path.is_dir() and not any(self.path.glob("part-*")):
            shutil.rmtree(self.path, ignore_errors=True)


__all__ = ["BatchOptions", "BatchSummary", "predict_table", "RunFolder"]
