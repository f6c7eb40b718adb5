"""Batch scoring on a Dask cluster gives the single-machine output, row for row."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from servicelens.batch.local import BatchOptions, predict_table  # noqa: E402
from servicelens.batch.dask_engine import predict_dask  # noqa: E402
from servicelens.outputs.tables import ADDED_COLUMNS  # noqa: E402
from tests.test_batch import ROWS, write_csv  # noqa: E402


def _postings(n: int) -> list[dict]:
    return [dict(ROWS[i % len(ROWS)], req_id=f"{i:05d}") for i in range(n)]


def test_local_cluster_matches_the_single_machine_path(tmp_path, shipped_model_dir):
    rows = _postings(36)
    for part in range(3):  # a multi-file input, read as a glob
        write_csv(tmp_path / f"jobs-{part}.csv", rows[12 * part:12 * (part + 1)])
    write_csv(tmp_path / "all.csv", rows)
    predict_table(tmp_path / "all.csv", tmp_path / "single.parquet", shipped_model_dir,
                  BatchOptions(progress=False, workers=1))
    summary = predict_dask(str(tmp_path / "jobs-*.csv"), str(tmp_path / "dask.parquet"), shipped_model_dir,
                           BatchOptions(progress=False, workers=2))
    assert summary.partitions == 3 and summary.rows == 36 and summary.scored == 36 - 36 // len(ROWS)
    single = pd.read_parquet(tmp_path / "single.parquet")
    dask = pd.read_parquet(tmp_path / "dask.parquet").reset_index(drop=True)
    assert list(dask.columns) == list(single.columns) == list(ROWS[0]) + list(ADDED_COLUMNS)
    assert len(dask) == len(single) == 36
    for column in single.columns:
        if column in ("cs_score", "cs_external", "cs_internal"):
            np.testing.assert_allclose(dask[column].to_numpy(float), single[column].to_numpy(float),
                                       atol=1e-9, equal_nan=True)
        else:
            assert _text(dask[column]) == _text(single[column]), column
    assert not (tmp_path / "dask.parquet.servicelens-tmp").exists()


def test_csv_output_is_one_file_per_partition_with_formulas_neutralised(tmp_path, shipped_model_dir):
    rows = _postings(20)
    rows[4]["req_id"] = '=HYPERLINK("http://x")'
    for part in range(2):
        write_csv(tmp_path / f"jobs-{part}.csv", rows[10 * part:10 * (part + 1)])
    out = tmp_path / "scored.csv"
    predict_dask(str(tmp_path / "jobs-*.csv"), str(out), shipped_model_dir, BatchOptions(progress=False, workers=1))
    parts = sorted(out.glob("part-*.csv"))
    assert len(parts) == 2
    table = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in parts])
    assert len(table) == 20 and table["req_id"].tolist()[:3] == ["00000", "00001", "00002"]
    assert "'=HYPERLINK" in (tmp_path / "scored.csv" / parts[0].name).read_text(encoding="utf-8")


def test_text_files_are_read_like_the_single_machine_path(tmp_path, shipped_model_dir):
    """Ragged CSV lines and bad JSON lines are kept with a per-row error; encodings are detected."""
    (tmp_path / "a.csv").write_text('id,title,description\n007,Cashier,Serve customers.\n008,Nurse,Care;x,extra\n',
                                    encoding="utf-8")
    (tmp_path / "b.csv").write_bytes("id,title,description\n009,Caf\u00e9 Barista,Greet guests.\n".encode("cp1252"))
    out = tmp_path / "out.parquet"
    summary = predict_dask(str(tmp_path / "*.csv"), str(out), shipped_model_dir, BatchOptions(progress=False, workers=1))
    table = pd.read_parquet(out).reset_index(drop=True)
    assert table["id"].tolist() == ["007", "008", "009"] and table["title"][2] == "Caf\u00e9 Barista"
    assert "fields where the header has 3" in table["error"][1] and pd.isna(table["cs_score"][1])
    assert summary.rows == 3 and summary.scored == 2
    assert "__servicelens_problem__" not in table.columns
    (tmp_path / "c.jsonl").write_text('{"id": 1, "title": "Cashier", "text": "Serve customers."}\n{broken\n',
                                      encoding="utf-8")
    predict_dask(str(tmp_path / "c.jsonl"), str(tmp_path / "j.parquet"), shipped_model_dir,
                 BatchOptions(progress=False, workers=1))
    jsonl = pd.read_parquet(tmp_path / "j.parquet").reset_index(drop=True)
    assert jsonl["id"].tolist()[0] == "1" and jsonl["error"][1].startswith("invalid JSON")


def _text(column) -> list[str]:
    return column.astype(object).fillna("").astype(str).tolist()
