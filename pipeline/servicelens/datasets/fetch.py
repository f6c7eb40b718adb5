"""Download the official O*NET release for users with internet (tests use a local file URL).

The 29.0 text release (https://www.onetcenter.org/database.html) carries the occupations, tasks,
DWAs and titles, and also ``Work Context.txt`` and ``Work Activities.txt``. From those two the
rating files the table builder reads are derived, with 2019 codes (an identity crosswalk), on the
same 0-100 scale O*NET OnLine publishes: (rating - 1) / 4 * 100 for the 1-5 scales CX and IM.
"""
from __future__ import annotations

import io
import shutil
import urllib.request
import zipfile
from pathlib import Path

import pandas as pd

from servicelens.errors import DataError, Errors
from servicelens.datasets.onet import CROSSWALK, RATINGS

ONET_URL = "https://www.onetcenter.org/dl_files/database/db_29_0_text.zip"
#: rating key -> (O*NET file, element ID, scale ID)
RATING_SOURCES = {
    "deal_external": ("Work Context.txt", "4.C.1.b.1.f", "CX"),
    "public": ("Work Activities.txt", "4.A.4.a.8", "IM"),
    "caring": ("Work Activities.txt", "4.A.4.a.5", "IM"),
    "comm_internal": ("Work Activities.txt", "4.A.4.a.2", "IM"),
    "work_group": ("Work Context.txt", "4.C.1.b.1.e", "CX"),
}


def download(url: str, timeout: float = 120.0) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (user-run command)
            return response.read()
    except OSError as exc:
        raise DataError(Errors.E030.format(url=url, detail=exc)) from exc


def extract_release(archive: bytes, onet_dir: Path) -> None:
    """Unpack the ``.txt`` files of the release zip into ``onet_dir`` (flattened)."""
    onet_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for info in zf.infolist():
            if info.filename.endswith(".txt"):
                with zf.open(info) as src, open(onet_dir / Path(info.filename).name, "wb") as dst:
                    shutil.copyfileobj(src, dst)


def derive_ratings(onet_dir: Path, ratings_dir: Path) -> list[Path]:
    """Write the per-element rating CSVs (and an identity crosswalk) from the release's ratings."""
    ratings_dir.mkdir(parents=True, exist_ok=True)
    frames: dict[str, pd.DataFrame] = {}
    written, codes = [], set()
    for key, (source, element, scale) in RATING_SOURCES.items():
        path = onet_dir / source
        if not path.is_file():
            raise DataError(Errors.E010.format(path=onet_dir, name=source))
        if source not in frames:
            frames[source] = pd.read_csv(path, sep="\t", dtype={"O*NET-SOC Code": str})
        frame = frames[source]
        rows = frame[(frame["Element ID"] == element) & (frame["Scale ID"] == scale)]
        value = ((rows["Data Value"].astype(float) - 1.0) / 4.0 * 100.0).round().astype(int)
        name, column = RATINGS[key]
        out = pd.DataFrame({column: value.values, "Code": rows["O*NET-SOC Code"].values,
                            "Occupation": rows.get("Title", pd.Series([""] * len(rows))).values})
        out.to_csv(ratings_dir / name, index=False)
        written.append(ratings_dir / name)
        codes.update(out["Code"])
    crosswalk = pd.DataFrame({"soc2010_code": sorted(codes), "soc2010_title": "",
                              "soc2019_code": sorted(codes), "soc2019_title": ""})
    crosswalk.to_csv(ratings_dir / CROSSWALK, sep=";", index=False)
    return written + [ratings_dir / CROSSWALK]


def fetch_onet(onet_dir: Path, ratings_dir: Path, url: str = ONET_URL) -> list[Path]:
    """Download the release into ``onet_dir`` and derive the rating files into ``ratings_dir``."""
    extract_release(download(url), onet_dir)
    return derive_ratings(onet_dir, ratings_dir)
