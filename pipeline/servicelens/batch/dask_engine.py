"""Batch scoring on a Dask cluster: the same rows, columns and per-row errors as ``servicelens.batch.local``.

Dask partitions the input (a Parquet dataset, many CSV or JSON-lines files, globs, local paths or
any fsspec URL) and writes the output (a Parquet dataset, or one CSV file per partition). A CSV,
TSV or JSON-lines file is one partition, read by the single-machine readers, so values, encodings
and per-row problems are the same as there. Each partition is scored by :class:`~servicelens.batch.chunks.ChunkScorer`, exactly as a chunk of the
single-machine path. The model travels to each worker once, inside a worker plugin (its files,
checked against their hashes when loaded), so workers need no shared disk and no task carries it.

Dask is an optional extra: ``pip install "servicelens[dask]"``.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from servicelens.batch.local import BatchOptions, default_workers
from servicelens.inputs.columns import ColumnMap, detect_columns
from servicelens.errors import Errors, InputError, ServicelensError, Warnings
from servicelens.model.store import model_version, read_meta
from servicelens.inputs.reader import MISSING, Chunk
from servicelens.inputs.tables import open_table
from servicelens.model.registry import resolve_model
from servicelens.batch.chunks import Limits
from servicelens.outputs.tables import ADDED_COLUMNS, NUMERIC_ADDED, added_names, cell_text, neutralise

try:
    import dask
    import dask.dataframe as dd
    import fsspec
    import pandas as pd
    from distributed import Client, LocalCluster, WorkerPlugin, get_worker, progress
except ImportError as exc:  # the optional extra is not installed
    raise ServicelensError(Errors.E060) from exc

PLUGIN = "servicelens-model"
# Columns a text-table partition carries from the reader to the scorer (never written).
PROBLEM, USABLE = "__servicelens_problem__", "__servicelens_usable__"


@dataclass
class DaskSummary:
    source: str
    output: str
    model_version: str
    columns: dict
    partitions: int
    rows: int
    scored: int
    problems: dict[str, int]  # error message -> rows
    seconds: float

    def lines(self) -> list[str]:
        rate = self.rows / self.seconds if self.seconds else 0.0
        out = [f"scored {self.scored:,} of {self.rows:,} rows ({self.rows - self.scored:,} not scored) in "
               f"{self.partitions:,} partitions in {self.seconds:.1f} s, {rate:,.0f} rows/s -> {self.output} "
               f"(model {self.model_version})"]
        out += [f"  {n:,} rows: {message}" for message, n in list(self.problems.items())[:5]]
        return out


class ModelPlugin(WorkerPlugin):
    """Carries a model folder's files to each worker and loads the model there, once."""

    name = PLUGIN

    def __init__(self, folder: Path, columns: ColumnMap, limits: Limits):
        self.files = {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}
        self.columns = columns
        self.limits = limits
        self.scorer = None

    def setup(self, worker=None) -> None:
        from servicelens.model.loaded import Model
        from servicelens.batch.chunks import ChunkScorer

        folder = Path(tempfile.mkdtemp(prefix="servicelens-model-"))
        for name, data in self.files.items():
            (folder / name).write_bytes(data)
        self.scorer = ChunkScorer(Model(folder), self.columns, self.limits)  # verifies every hash
        self.files = {}
        shutil.rmtree(folder, ignore_errors=True)


def score_partition(frame, names: list[str], neutralise_text: bool, chunk_rows: int = 1000):
    """Append the scored columns to one partition (a pandas DataFrame); originals stay as they are.

    The partition is scored ``chunk_rows`` at a time, so a worker holds one chunk's Python objects,
    not a whole file's."""
    scorer = get_worker().plugins[PLUGIN].scorer
    read = PROBLEM in frame.columns  # read by our readers: each row's reading problem comes along
    original = frame.drop(columns=[PROBLEM, USABLE]) if read else frame
    added: list[list] = []
    for first in range(0, len(frame), chunk_rows):
        part = original.iloc[first:first + chunk_rows]
        rows = part.astype(object).where(part.notna(), None).to_numpy().tolist()
        n = len(rows)
        problems = frame[PROBLEM].iloc[first:first + n].fillna("").tolist() if read else [""] * n
        usable = frame[USABLE].iloc[first:first + n].tolist() if read else [True] * n
        added += scorer(Chunk(0, first + 1, rows, list(range(first + 1, first + n + 1)), problems, usable))[0]
    out = original.assign(**{name: pd.Series([row[j] for row in added], index=frame.index, dtype=_dtype(kind))
                             for j, (kind, name) in enumerate(zip(ADDED_COLUMNS, names))})
    if neutralise_text:  # CSV output: cells a spreadsheet would run as formulas become text
        for column in list(original.columns) + [names[ADDED_COLUMNS.index("top_signals")]]:
            if pd.api.types.is_string_dtype(out[column]) or out[column].dtype == object:
                out[column] = out[column].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def predict_dask(source: str, output: str, model: str | os.PathLike | None = None,
                 options: BatchOptions = BatchOptions(), scheduler: str | None = None,
                 err: TextIO | None = None) -> DaskSummary:
    """Score every row of ``source`` into ``output`` on a Dask cluster (a local one by default)."""
    err = err or sys.stderr
    source, output = str(source), str(output).rstrip("/")
    to_csv = output.lower().endswith(".csv")
    if not to_csv and not output.lower().endswith(".parquet"):
        raise InputError(Errors.E062.format(path=output))
    folder = resolve_model(model)
    version = model_version(read_meta(folder))
    started = time.perf_counter()
    frame = _read(source)
    table_columns = [c for c in frame.columns if c not in (PROBLEM, USABLE)]
    columns = detect_columns(table_columns, source, options.title_col, options.text_cols, options.id_col)
    names = added_names(options.prefix, table_columns, source)
    meta = frame._meta.drop(columns=[PROBLEM, USABLE], errors="ignore")
    meta = meta.assign(**{name: pd.Series(dtype=_dtype(kind)) for kind, name in zip(ADDED_COLUMNS, names)})
    scored = frame.map_partitions(score_partition, names, to_csv, options.chunk_rows, meta=meta)
    local = "://" not in output
    target = output + ".servicelens-tmp" if local else output  # renamed into place when complete
    if local and os.path.exists(target):
        shutil.rmtree(target)
    cluster = None if scheduler else LocalCluster(n_workers=options.workers or default_workers(),
                                                  threads_per_worker=1, processes=True, host="127.0.0.1",
                                                  dashboard_address=":0")
    with Client(scheduler or cluster) as client:
        if scheduler:
            err.write(f"servicelens: Dask dashboard at {client.dashboard_link}\n")
        client.register_plugin(ModelPlugin(folder, columns, options.limits))
        if to_csv:
            task = scored.to_csv(f"{target}/part-*.csv", index=False, compute=False)
        else:
            task = scored.to_parquet(target, write_index=False, compute=False)
        futures = client.compute(task)  # one future (Parquet) or one per file (CSV)
        if options.progress and err.isatty():
            progress(futures)
        client.gather(futures)  # raises the first error of any partition
        rows, scored_rows, problems = _tally(target, to_csv, names)
    if cluster is not None:
        cluster.close()
    if local:
        if os.path.isdir(output):
            shutil.rmtree(output)
        os.replace(target, output)
    return DaskSummary(source, output, version, columns.names(table_columns), frame.npartitions,
                       rows, scored_rows, problems, time.perf_counter() - started)


def _dtype(kind: str) -> str:
    return "float64" if kind in NUMERIC_ADDED else "string"


def _read(source: str):
    lower = source.lower().rstrip("/")
    if lower.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".jsonl", ".jsonl.gz")):
        return _read_text_tables(source)
    if lower.endswith(".parquet") or "." not in Path(lower).name:  # a file or a dataset folder
        return dd.read_parquet(source)
    raise InputError(Errors.E061.format(path=source))


def _read_text_tables(source: str):
    """CSV, TSV or JSON-lines files (a glob or URL), one partition per file, read by the
    single-machine readers: the same values, encodings and per-row problems."""
    files = fsspec.open_files(source, mode="rb")
    if not files:
        raise InputError(Errors.E001.format(path=source))
    with open_table(files[0].path, opener=files[0].open) as reader:
        columns = reader.columns
    meta = pd.DataFrame({**{c: pd.Series(dtype="string") for c in columns},
                         PROBLEM: pd.Series(dtype="string"), USABLE: pd.Series(dtype=bool)})
    return dd.from_map(_read_text_table, files, columns=columns, meta=meta)


def _read_text_table(file, columns: list[str]):
    """One file as a partition: its values as text, in the first file's columns, with each row's
    reading problem and whether it can be scored."""
    with open_table(file.path, opener=file.open) as reader:
        if reader.columns != columns and reader.format.name != "jsonl":
            raise InputError(Errors.E063.format(path=file.path, columns=", ".join(reader.columns[:10])))
        at = {name: i for i, name in reversed(list(enumerate(reader.columns)))}
        known = set(columns)
        extra = [(i, name) for i, name in enumerate(reader.columns) if name not in known]  # JSON keys
        values: dict[str, list] = {c: [] for c in columns}
        problems: list[str] = []
        usable: list[bool] = []
        for chunk in reader.chunks(5000):
            for row, problem, ok in zip(chunk.rows, chunk.problems, chunk.usable):
                for name in columns:
                    value = row[at[name]] if name in at else None
                    values[name].append(None if value is None or value is MISSING else cell_text(value))
                lost = [name for i, name in extra if row[i] is not MISSING and row[i] is not None]
                if lost and not problem:
                    problem = Warnings.W006.format(keys=", ".join(lost[:5]))
                problems.append(problem)
                usable.append(ok)
    frame = pd.DataFrame({c: pd.Series(v, dtype="string") for c, v in values.items()})
    frame[PROBLEM] = pd.Series(problems, dtype="string")
    frame[USABLE] = pd.Series(usable, dtype=bool)
    return frame


def _tally(target: str, to_csv: bool, names: list[str]) -> tuple[int, int, dict[str, int]]:
    """Rows written, rows scored and problems, read back from the output's two small columns."""
    wanted = [names[0], names[-1]]
    if to_csv:
        written = dd.read_csv(f"{target}/part-*.csv", usecols=wanted, dtype=str, keep_default_na=False,
                              na_filter=False, blocksize=None)
    else:
        written = dd.read_parquet(target, columns=wanted)
    parts = dask.compute(*[dask.delayed(_tally_part)(part, names) for part in written.to_delayed()])
    problems: Counter = Counter()
    for _, _, counts in parts:
        problems.update(counts)
    return sum(p[0] for p in parts), sum(p[1] for p in parts), dict(problems.most_common())


def _tally_part(frame, names: list[str]) -> tuple[int, int, dict[str, int]]:
    scores, errors = frame[names[0]], frame[names[-1]].fillna("")
    scored = int((scores.notna() & (scores.astype(str) != "")).sum())
    return len(frame), scored, errors[errors != ""].value_counts().to_dict()
