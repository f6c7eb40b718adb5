"""What servicelens knows from O*NET: the occupation table and the task-sentence table.

Models from 0.2 learn the score from the labelled corpus; O*NET gives them knowledge: the
occupation a title matches (with its ratings: the title prior and the O*NET reference) and task
statements labelled with work activities (the sentence model's categories). Models before 0.2 were
fitted to these ratings. Ratings on a 0-100 scale (O*NET OnLine, release 24.2, O*NET-SOC 2010 codes),
joined to O*NET 29.0 occupations (O*NET-SOC 2019 codes) through the official crosswalk.
Where several 2010 codes map to one 2019 code, their ratings are averaged.

The rating columns:
- ``cs_score``  = Deal With External Customers (Work Context 4.C.1.b.1.f, ``Context``).
- ``external``  = mean of Deal With External Customers, Performing for or Working Directly with
  the Public (4.A.4.a.8, Importance) and Assisting and Caring for Others (4.A.4.a.5, Importance).
- ``internal``  = mean of Communicating with Supervisors, Peers, or Subordinates (4.A.4.a.2,
  Importance) and Work With Work Group or Team (Work Context 4.C.1.b.1.e, ``Context``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from servicelens.errors import DataError, Errors

ONET_FILES = {
    "occupations": "Occupation Data.txt",
    "tasks": "Task Statements.txt",
    "task_dwas": "Tasks to DWAs.txt",
    "alt_titles": "Alternate Titles.txt",
    "reported_titles": "Sample of Reported Titles.txt",
}
CROSSWALK = "onet_soc_2010_to_2019_crosswalk.csv"

#: rating file -> value column
RATINGS = {
    "deal_external": ("Deal_With_External_Customers.csv", "Context"),
    "public": ("Performing_for_or_Working_Directly_with_the_Public.csv", "Importance"),
    "caring": ("Assisting_and_Caring_for_Others.csv", "Importance"),
    "comm_internal": ("Communicating_with_Supervisors_Peers_or_Subordinates.csv", "Importance"),
    "work_group": ("Work_With_Work_Group_or_Team.csv", "Context"),
}
EXTERNAL_PARTS = ("deal_external", "public", "caring")
INTERNAL_PARTS = ("comm_internal", "work_group")
TARGETS = ("cs_score", "external", "internal")

#: Generalized Work Activity element ID -> sentence label. A task is labelled with a GWA when any
#: of its Detailed Work Activities belongs to it (the DWA ID starts with the GWA element ID).
GWA_LABELS = {
    "4.A.4.a.8": "public",
    "4.A.4.a.5": "caring",
    "4.A.4.a.3": "outside",
    "4.A.4.a.6": "selling",
    "4.A.4.a.7": "conflict",
    "4.A.4.a.4": "relationships",
    "4.A.4.b.6": "advising",
    "4.A.4.b.3": "teaching",
    "4.A.4.a.2": "internal",
}
SENTENCE_LABELS = tuple(GWA_LABELS.values())

@dataclass(frozen=True)
class Tables:
    occupations: pd.DataFrame
    sentences: pd.DataFrame


def _read_onet(onet_dir: Path, key: str) -> pd.DataFrame:
    path = onet_dir / ONET_FILES[key]
    if not path.is_file():
        raise DataError(Errors.E010.format(path=onet_dir, name=ONET_FILES[key]))
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3, encoding="utf-8")


def _read_rating(ratings_dir: Path, key: str) -> pd.Series:
    name, column = RATINGS[key]
    path = ratings_dir / name
    if not path.is_file():
        raise DataError(Errors.E011.format(path=ratings_dir, name=name))
    frame = pd.read_csv(path, dtype={"Code": str})
    if column not in frame or "Code" not in frame:
        raise DataError(Errors.E012.format(path=path, column=column, columns=list(frame.columns)))
    return frame.groupby("Code")[column].mean().rename(key)


def input_files(onet_dir: Path, ratings_dir: Path) -> list[Path]:
    """Every third-party file the tables are built from (hashed into model metadata)."""
    files = [onet_dir / name for name in ONET_FILES.values()]
    files += [ratings_dir / name for name, _ in RATINGS.values()] + [ratings_dir / CROSSWALK]
    return files


def load_ratings(ratings_dir: Path) -> pd.DataFrame:
    """Ratings per O*NET-SOC 2019 code: the 2010 ratings joined through the crosswalk and averaged."""
    path = ratings_dir / CROSSWALK
    if not path.is_file():
        raise DataError(Errors.E011.format(path=ratings_dir, name=CROSSWALK))
    crosswalk = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig")[["soc2010_code", "soc2019_code"]]
    ratings = pd.concat([_read_rating(ratings_dir, key) for key in RATINGS], axis=1)
    joined = crosswalk.merge(ratings, left_on="soc2010_code", right_index=True, how="inner")
    by_2019 = joined.groupby("soc2019_code")[list(RATINGS)].mean()
    out = pd.DataFrame(index=by_2019.index)
    out["cs_score"] = by_2019["deal_external"]
    out["external"] = by_2019[list(EXTERNAL_PARTS)].mean(axis=1, skipna=True)
    out["internal"] = by_2019[list(INTERNAL_PARTS)].mean(axis=1, skipna=True)
    out.index.name = "code"
    return out.dropna(subset=["cs_score"]).round(3)


def rating_files(ratings_dir: Path) -> list[Path]:
    """Every per-element rating file of the ratings folder (not the crosswalk), in name order."""
    files = sorted(p for p in Path(ratings_dir).glob("*.csv") if p.name != CROSSWALK)
    if not files:
        raise DataError(Errors.E011.format(path=ratings_dir, name="*.csv"))
    return files


def load_prior_ratings(ratings_dir: Path) -> pd.DataFrame:
    """Every rating of the folder per O*NET-SOC 2019 code (0-100; a work context's ``Context``, a work
    activity's ``Importance``), columns named by file, joined through the crosswalk and averaged."""
    path = Path(ratings_dir) / CROSSWALK
    if not path.is_file():
        raise DataError(Errors.E011.format(path=ratings_dir, name=CROSSWALK))
    crosswalk = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig")[["soc2010_code", "soc2019_code"]]
    columns = {}
    for file in rating_files(ratings_dir):
        frame = pd.read_csv(file, dtype={"Code": str})
        value = "Context" if "Context" in frame else "Importance"
        if value not in frame or "Code" not in frame:
            raise DataError(Errors.E012.format(path=file, column="Context or Importance", columns=list(frame.columns)))
        columns[file.stem] = pd.to_numeric(frame[value], errors="coerce").groupby(frame["Code"]).mean()
    ratings = pd.DataFrame(columns)
    joined = crosswalk.merge(ratings, left_on="soc2010_code", right_index=True, how="inner")
    return joined.groupby("soc2019_code")[list(columns)].mean().rename_axis("code")


def build_sentence_table(onet_dir: Path) -> pd.DataFrame:
    """One row per O*NET 29.0 task statement with 0/1 columns per customer-facing GWA label."""
    tasks = _read_onet(onet_dir, "tasks")
    links = _read_onet(onet_dir, "task_dwas")
    links["gwa"] = links["DWA ID"].str.extract(r"^(4\.A\.\d\.[a-z]\.\d+)", expand=False)
    links = links[links["gwa"].isin(list(GWA_LABELS))]
    flags = pd.crosstab(links["Task ID"], links["gwa"]).clip(upper=1)
    table = tasks.rename(columns={"O*NET-SOC Code": "code", "Task ID": "task_id", "Task": "text",
                                  "Task Type": "task_type"})[["code", "task_id", "text", "task_type"]]
    table = table.merge(flags, left_on="task_id", right_index=True, how="left")
    for gwa, label in GWA_LABELS.items():
        table[label] = table[gwa].fillna(0).astype("int8") if gwa in table else 0
    table["has_dwa"] = table["task_id"].isin(set(_read_onet(onet_dir, "task_dwas")["Task ID"]))
    table["group"] = table["code"].str[:4]
    return table[["code", "group", "task_id", "task_type", "text", "has_dwa", *SENTENCE_LABELS]] \
        .reset_index(drop=True)


def build_occupation_table(onet_dir: Path, ratings_dir: Path) -> pd.DataFrame:
    """One row per O*NET 29.0 occupation with ratings: text fields, tasks, titles and targets."""
    occupations = _read_onet(onet_dir, "occupations").rename(
        columns={"O*NET-SOC Code": "code", "Title": "title", "Description": "description"})
    tasks = _read_onet(onet_dir, "tasks")
    alt = _read_onet(onet_dir, "alt_titles")
    reported = _read_onet(onet_dir, "reported_titles")
    task_lists = tasks.groupby("O*NET-SOC Code")["Task"].agg(list).rename("tasks")
    alt_lists = alt.groupby("O*NET-SOC Code")["Alternate Title"].agg(list).rename("alternate_titles")
    rep_lists = reported.groupby("O*NET-SOC Code")["Reported Job Title"].agg(list).rename("reported_titles")
    table = (occupations.merge(load_ratings(ratings_dir), left_on="code", right_index=True, how="inner")
             .merge(task_lists, left_on="code", right_index=True, how="left")
             .merge(alt_lists, left_on="code", right_index=True, how="left")
             .merge(rep_lists, left_on="code", right_index=True, how="left"))
    for column in ("tasks", "alternate_titles", "reported_titles"):
        table[column] = table[column].apply(lambda v: v if isinstance(v, list) else [])
    table["major_group"] = table["code"].str[:2]
    table["minor_group"] = table["code"].str[:4]
    columns = ["code", "title", "description", "tasks", "alternate_titles", "reported_titles",
               "major_group", "minor_group", *TARGETS]
    return table[columns].sort_values("code").reset_index(drop=True)


def build_tables(onet_dir: Path, ratings_dir: Path) -> Tables:
    return Tables(build_occupation_table(onet_dir, ratings_dir), build_sentence_table(onet_dir))


