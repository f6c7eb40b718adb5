"""The development postings (real LinkedIn postings with job-function tags) used as a check."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from servicelens.errors import DataError, Errors

DEV_POSTINGS = "linkedin_postings_labeled.csv"


def read_dev_postings(postings_dir: Path) -> pd.DataFrame:
    path = Path(postings_dir) / DEV_POSTINGS
    if not path.is_file():
        raise DataError(Errors.E013.format(path=path))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["functions"] = frame["job_functions"].apply(lambda v: [f for f in v.split("|") if f])
    return frame
