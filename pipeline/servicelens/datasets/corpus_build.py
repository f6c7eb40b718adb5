"""How the corpus was drawn, split and assembled: the procedure behind ``postings_labels.jsonl``.

A maintainers' module (it needs the training extras: pandas, scikit-learn), run once per corpus
version; users only read the result (:mod:`servicelens.datasets.corpus`). Every step is a plain
function of the source files, so the sample and the split can be checked by running it again:

1. **Pool**: every posting of the seven sources, its title matched to O*NET titles (word TF-IDF over
   O*NET's titles, alternate titles and reported titles) for an occupation family (the SOC broad
   occupation, ``29-114``; the normalised title when no O*NET title matches at cosine 0.5).
2. **Split keys**: occupation family; employer (within a source, for employers with more than one
   posting; the Google and City of Los Angeles files are one employer each, so for them the
   employer cannot be a key and leave-one-source-out tests the employer instead); near-duplicate
   cluster (cosine >= 0.9 between word TF-IDF vectors of the cleaned texts).
3. **Split**: a key is held out when the sha256 of ``SALT + key`` falls below ``HELD_OUT``. A
   posting is drawn only when its family and its employer fall on the same side, and a
   near-duplicate cluster keeps its majority side, so no family, employer or cluster straddles.
   The salt was chosen, before any label existed, as the one of 40 that gave every source a
   held-out part of at least a quarter.
4. **Sample**: one posting per near-duplicate cluster, then per source a quota spread over strata
   (the source's own category where it has a useful one, else the O*NET major group) in proportion
   to the square root of their sizes, round-robin over titles inside a stratum.
5. **Batches** of 50 for the annotators (``docs/labelling-guide.md``), and a second pass of 66
   postings per source; **assembly** of their files into the corpus rows.
6. **Span review**: a span that holds neither a taxonomy term nor a word for people
   (``corpus.NAMES_PEOPLE``) went to a reviewer, who kept it, replaced it by the words of the same
   line that name the people, or found none (the span is dropped; a group left without spans is
   ``implied``). Each changed group records its reviewer.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from servicelens.datasets.corpus import SOURCES, score_label
from servicelens.reading.clean import clean_text
from servicelens.scale import SCALE_VERSION

SALT, HELD_OUT = "scale-v1-37:", 0.35
SEED = 20261207
#: Postings drawn per source (the dev postings: all that are eligible).
QUOTA = {"postings_dev": 10 ** 6, "nhs_jobs_2020": 1150, "cityofla_job_bulletins": 330, "uk_civil_service_jobs": 250,
         "google_job_skills_2018": 320, "linkedin_education_jobs_2025": 300, "armenia_careercenter_2004": 300}
#: Sources whose own category is the stratum (the others: the O*NET major group of the title).
OWN_STRATUM = ("google_job_skills_2018", "uk_civil_service_jobs")
EMPLOYER = {"postings_dev": "company_name", "nhs_jobs_2020": "employer", "uk_civil_service_jobs": "department",
            "linkedin_education_jobs_2025": "company", "armenia_careercenter_2004": "company"}
SECOND_PASS_PER_SOURCE = 66
BATCH = 50
TEXT_CAP = 12_000
PROCEDURE = "p1"


def read_pool(dev_dir: Path, more_dir: Path) -> pd.DataFrame:
    """Every posting of every source: source, id, title, raw text, employer, category."""
    frames = []
    for name, spec in SOURCES.items():
        path = Path(dev_dir if spec.folder == "dev" else more_dir) / spec.file
        d = pd.read_csv(path, dtype=str, keep_default_na=False)
        frames.append(pd.DataFrame({"source": name, "id": d[spec.id], "title": d[spec.title], "text": d[spec.text],
                                    "employer": d[EMPLOYER[name]] if name in EMPLOYER else name,
                                    "category": d[spec.tags] if spec.tags and name in OWN_STRATUM else ""}))
    return pd.concat(frames, ignore_index=True)


def normalise_title(title: str) -> str:
    """A title without grades, bands, hours, contract words, parentheses or what follows a dash."""
    t = title.lower()
    t = re.sub(r"\bwith verification\b", " ", t)
    t = re.sub(r"\(.*?\)|\[.*?\]", " ", t)
    t = re.sub(r"\bband\s*\d+[a-z]?\b|\bgrade\s*\w+\b|\b(ft|pt|full[- ]time|part[- ]time|bank|fixed[- ]term|permanent|"
               r"temporary|nights?|days?)\b", " ", t)
    t = re.split(r"\s[-–|:]\s|,", t)[0]
    return " ".join(re.sub(r"[^a-z ]+", " ", t).split())


def match_onet(titles: list[str], onet_dir: Path) -> tuple[list[str], list[float]]:
    """Each title's nearest O*NET occupation code (word TF-IDF cosine over O*NET's own titles)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    tables = [("Occupation Data.txt", "Title"), ("Alternate Titles.txt", "Alternate Title"),
              ("Sample of Reported Titles.txt", "Reported Job Title")]
    rows = []
    for name, column in tables:
        d = pd.read_csv(Path(onet_dir) / name, sep="\t", dtype=str)
        rows += list(zip(d["O*NET-SOC Code"], d[column]))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    matrix = vectorizer.fit_transform([t for _, t in rows])
    codes = np.array([c for c, _ in rows])
    sims = (vectorizer.transform(titles) @ matrix.T).tocsr()
    best, similarity = [], []
    for r in range(sims.shape[0]):
        lo, hi = sims.indptr[r], sims.indptr[r + 1]
        if hi == lo:
            best.append("")
            similarity.append(0.0)
            continue
        best.append(codes[sims.indices[lo:hi][np.argmax(sims.data[lo:hi])]])
        similarity.append(float(sims.data[lo:hi].max()))
    return best, similarity


def near_duplicate_clusters(texts: list[str], threshold: float = 0.9) -> np.ndarray:
    """A cluster id per text: texts joined when their word TF-IDF vectors have cosine >= threshold."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    X = TfidfVectorizer(min_df=2, max_df=0.3, sublinear_tf=True, dtype=np.float32).fit_transform(texts)
    rows, cols = [], []
    for lo in range(0, X.shape[0], 1500):
        S = (X[lo:lo + 1500] @ X.T).tocoo()
        keep = (S.data >= threshold) & (S.row + lo != S.col)
        rows += (S.row[keep] + lo).tolist()
        cols += S.col[keep].tolist()
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(texts)))
    return connected_components(graph, directed=False)[1]


def side(key: str) -> str:
    digest = int(hashlib.sha256((SALT + key).encode()).hexdigest(), 16)
    return "heldout" if digest % 1000 < HELD_OUT * 1000 else "dev"


def employer_key(source: str, employer: str) -> str:
    return f"{source}:" + " ".join(re.sub(r"[^a-z0-9 ]", " ", employer.lower()).split())


def split_pool(pool: pd.DataFrame, onet_dir: Path) -> pd.DataFrame:
    """The pool with its split keys, its side and whether it may be drawn (steps 1-3)."""
    p = pool.copy()
    p["clean"] = [clean_text(t).text for t in p["text"]]
    p["ntitle"] = [normalise_title(t) for t in p["title"]]
    p["onet"], p["onet_sim"] = match_onet(p["ntitle"].tolist(), onet_dir)
    p["family"] = np.where(p["onet_sim"] >= 0.5, "soc:" + p["onet"].str[:6], "title:" + p["ntitle"])
    p["emp"] = [employer_key(s, e) for s, e in zip(p["source"], p["employer"])]
    counts = p["emp"].value_counts()
    one_employer = ~p["source"].isin(EMPLOYER)
    p["emp_binding"] = ~one_employer & p["emp"].map(counts).gt(1) & p["employer"].str.strip().ne("")
    p["dup"] = near_duplicate_clusters(p["clean"].tolist())
    p["split"] = p["family"].map(side)
    employer_side = np.where(p["emp_binding"], p["emp"].map(side), p["split"])
    p["eligible"] = p["split"] == employer_side
    for _, g in p[p["eligible"]].groupby("dup"):
        if g["split"].nunique() > 1:
            majority = g["split"].value_counts().idxmax()
            p.loc[g.index[g["split"] != majority], "eligible"] = False
    return p


def draw_sample(p: pd.DataFrame) -> pd.DataFrame:
    """Step 4: one posting per cluster, then the quotas spread over strata."""
    p = p.assign(r=np.random.default_rng(SEED).random(len(p)))
    eligible = p[p["eligible"]].sort_values("r").drop_duplicates("dup")
    eligible = eligible.assign(major=np.where(eligible["onet_sim"] >= 0.5, eligible["onet"].str[:2], "xx"))
    picked = []
    for source, g in eligible.groupby("source"):
        quota = min(QUOTA[source], len(g))
        key = "category" if source in OWN_STRATUM else "major"
        g = g.assign(title_rank=g.groupby([key, "ntitle"]).cumcount()).sort_values(["title_rank", "r"])
        sizes = g[key].value_counts()
        alloc = np.sqrt(sizes) / np.sqrt(sizes).sum() * quota
        take = np.minimum(sizes, np.floor(alloc)).astype(int)
        while take.sum() < quota:  # the rest to strata with room, largest shortfall first
            room = sizes - take
            for s in (alloc - take).where(room > 0).sort_values(ascending=False).index[: quota - take.sum()]:
                take[s] += 1
        picked += [g[g[key] == s].head(n) for s, n in take.items()]
    sample = pd.concat(picked).sample(frac=1, random_state=11).reset_index(drop=True)
    return sample.assign(key=sample["source"] + ":" + sample["id"])


def second_pass(sample: pd.DataFrame) -> pd.DataFrame:
    """The postings labelled twice: 66 per source, at random."""
    again = pd.concat([g.sample(min(len(g), SECOND_PASS_PER_SOURCE), random_state=5) for _, g in sample.groupby("source")])
    return again.sample(frac=1, random_state=3)


def write_batches(rows: pd.DataFrame, prefix: str, out_dir: Path) -> dict[str, list[str]]:
    """Batch files as the annotators read them: key, title, cleaned text cut at ``TEXT_CAP``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for b in range(0, len(rows), BATCH):
        name = f"{prefix}-{b // BATCH + 1:03d}"
        with open(out_dir / f"{name}.txt", "w", encoding="utf-8") as fh:
            for i, r in enumerate(rows.iloc[b:b + BATCH].itertuples(), 1):
                text = clean_text(r.text).text.strip()
                cut = ""
                if len(text) > TEXT_CAP:
                    cut = f"\n[... the text goes on for {len(text) - TEXT_CAP} more characters, not shown]"
                    text = text[:TEXT_CAP]
                fh.write(f"=== POSTING {i} | key: {r.key} ===\nTITLE: {r.title}\nTEXT:\n{text}{cut}\n"
                         f"=== END OF POSTING {i} ===\n\n")
        manifest[name] = rows.iloc[b:b + BATCH]["key"].tolist()
    return manifest


# -- assembly ----------------------------------------------------------------------------------------

def locate(quote: str, title: str, raw: str) -> dict | None:
    """Where an annotator's quote is: in the cleaned text (mapped back to the published text), else
    in the title; ``None`` when it is in neither."""
    clean = clean_text(raw)
    at = clean.text.find(quote)
    if at >= 0:
        start, end = clean.original_span(at, at + len(quote))
        return {"field": "text", "start": start, "end": end}
    at = title.find(quote)
    return {"field": "title", "start": at, "end": at + len(quote)} if at >= 0 else None


def read_pass(line: dict, annotator: str, labelled_at: str, title: str, raw: str) -> dict:
    """One annotator's label as the corpus stores it: quotes become spans."""
    out = {"annotator": annotator, "labelled_at": labelled_at, "note": line.get("note", "")}
    if line.get("unusable"):
        return {**out, "unusable": line["unusable"]}
    groups = []
    for g in line.get("groups", []):
        entry = {"id": g["id"], "kind": g["kind"]}
        if g["kind"] == "explicit":
            entry["spans"] = [s for s in (locate(q, title, raw) for q in g.get("quotes", [])) if s]
        groups.append(entry)
    return {**out, "external": line["external"], "internal": line["internal"], "groups": groups}


def adopt(passes: list[dict]) -> tuple[str, dict]:
    """The labels a row carries: the first pass, or, when three passes exist (two more than one band
    apart and a third to decide), the median parts and the groups at least two passes name."""
    usable = [p for p in passes if not p.get("unusable")]
    if len(passes) < 3 or len(usable) < 3:
        return "first pass", passes[0]
    external = float(np.median([p["external"] for p in usable]))
    internal = float(np.median([p["internal"] for p in usable]))
    votes: dict[str, list[dict]] = {}
    for p in usable:
        for g in p["groups"]:
            votes.setdefault(g["id"], []).append(g)
    groups = []
    for gid, named in votes.items():
        if len(named) >= 2:
            explicit = [g for g in named if g["kind"] == "explicit"]
            groups.append({"id": gid, "kind": "explicit", "spans": explicit[0]["spans"]} if explicit
                          else {"id": gid, "kind": "implied"})
    return "median of three passes", {"external": external, "internal": internal, "groups": groups}


def assemble(sample: pd.DataFrame, label_files: Iterable[Path]) -> list[dict]:
    """The corpus rows: the sample's keys, split and split keys, with every pass of the annotators'
    files (``<batch>.<annotator>.jsonl``) and the adopted labels."""
    by_key = sample.set_index("key")
    passes: dict[str, list[dict]] = {}
    for path in sorted(label_files, key=lambda p: (p.name.split(".")[0][:2], p.name)):
        annotator = path.name.split(".")[1]
        when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
        for text in path.read_text(encoding="utf-8").splitlines():
            if text.strip():
                line = json.loads(text)
                row = by_key.loc[line["key"]]
                passes.setdefault(line["key"], []).append(read_pass(line, annotator, when, row["title"], row["text"]))
    rows = []
    for key, row in by_key.iterrows():
        if key not in passes:
            continue
        adopted, label = adopt(passes[key])
        out = {"source": row["source"], "id": row["id"], "split": row["split"],
               "split_keys": {"family": row["family"], "employer": _employer_hash(row), "cluster": int(row["dup"])},
               "scale": SCALE_VERSION, "procedure": PROCEDURE, "adopted": adopted}
        if label.get("unusable"):
            out["unusable"] = label["unusable"]
        else:
            score, band = score_label(label["external"], label["internal"])
            out.update(external=label["external"], internal=label["internal"], cs_score=score, band=band,
                       groups=label["groups"])
        out["passes"] = passes[key]
        rows.append(out)
    return rows


def _employer_hash(row) -> str | None:
    """The employer key, hashed (the corpus names no employer); ``None`` for a one-employer source and
    for a posting whose source gives no employer."""
    if row["source"] not in EMPLOYER or not str(row["employer"]).strip():
        return None
    return "e:" + hashlib.sha256(row["emp"].encode()).hexdigest()[:12]


def review_spans(rows: list[dict], items: list[dict], decisions: list[dict], reviewer: str,
                 postings: dict) -> int:
    """Apply a span review (step 6) to the assembled rows; return how many spans changed.

    ``items[k]`` names a span (posting key, pass, group, ``[field, start, end]``) and its line;
    ``decisions[k]`` is the reviewer's ``keep``, ``replace`` (with ``quote``, words of that line) or
    ``none``. ``postings`` are the sources' postings (``corpus.read_sources``)."""
    by_key = {f"{r['source']}:{r['id']}": r for r in rows}
    changed = 0
    for item, decision in zip(items, decisions):
        row = by_key[item["key"]]
        group = next(g for g in row["passes"][item["pass"]]["groups"] if g["id"] == item["group"])
        group["reviewed"] = reviewer  # kept spans too: a reviewer read them as naming the people
        if decision["decision"] == "keep":
            continue
        old = {"field": item["span"][0], "start": item["span"][1], "end": item["span"][2]}
        spans = [s for s in group["spans"] if s != old]
        if decision["decision"] == "replace":
            found = _near(decision["quote"], postings[(row["source"], row["id"])], old)
            if found is not None and found not in spans:
                spans.append(found)
        group["spans"] = spans
        if not spans:
            group["kind"] = "implied"
            group.pop("spans")
        changed += 1
    for row in rows:  # the adopted labels are the first pass's, unless three passes were combined
        if row["adopted"] == "first pass" and not row.get("unusable"):
            row["groups"] = row["passes"][0]["groups"]
    return changed


def _near(quote: str, posting, old: dict) -> dict | None:
    """The span of ``quote`` nearest to ``old`` in the same field of ``posting``."""
    if old["field"] == "title":
        at = posting.title.find(quote)
        return {"field": "title", "start": at, "end": at + len(quote)} if at >= 0 else None
    clean = clean_text(posting.text)
    best = None
    at = clean.text.find(quote)
    while at >= 0:
        start, end = clean.original_span(at, at + len(quote))
        if best is None or abs(start - old["start"]) < abs(best["start"] - old["start"]):
            best = {"field": "text", "start": start, "end": end}
        at = clean.text.find(quote, at + 1)
    return best
