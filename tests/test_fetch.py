"""The O*NET download path, exercised against a local file URL (tests never touch the network)."""
import io
import zipfile

import pandas as pd

from servicelens.datasets.fetch import fetch_onet
from servicelens.datasets.onet import CROSSWALK, load_ratings

WORK_CONTEXT = """O*NET-SOC Code\tTitle\tElement ID\tElement Name\tScale ID\tCategory\tData Value
41-2031.00\tRetail Salespersons\t4.C.1.b.1.f\tDeal With External Customers\tCX\tn/a\t4.92
41-2031.00\tRetail Salespersons\t4.C.1.b.1.e\tWork With Work Group or Team\tCX\tn/a\t3.50
51-4041.00\tMachinists\t4.C.1.b.1.f\tDeal With External Customers\tCX\tn/a\t1.40
51-4041.00\tMachinists\t4.C.1.b.1.e\tWork With Work Group or Team\tCX\tn/a\t3.00
51-4041.00\tMachinists\t4.C.1.b.1.f\tDeal With External Customers\tCXP\t1\t40.0
"""
WORK_ACTIVITIES = "O*NET-SOC Code\tTitle\tElement ID\tElement Name\tScale ID\tData Value\n" + "".join(
    f"{code}\t{title}\t{element}\tx\t{scale}\t{value}\n"
    for code, title in [("41-2031.00", "Retail Salespersons"), ("51-4041.00", "Machinists")]
    for element in ("4.A.4.a.8", "4.A.4.a.5", "4.A.4.a.2")
    for scale, value in (("IM", 3.0), ("LV", 4.0)))


def test_fetch_unpacks_the_release_and_derives_ratings(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("db_29_0_text/Work Context.txt", WORK_CONTEXT)
        zf.writestr("db_29_0_text/Work Activities.txt", WORK_ACTIVITIES)
        zf.writestr("db_29_0_text/Occupation Data.txt", "O*NET-SOC Code\tTitle\tDescription\n")
    archive = tmp_path / "release.zip"
    archive.write_bytes(buffer.getvalue())

    onet_dir, ratings_dir = tmp_path / "onet", tmp_path / "ratings"
    fetch_onet(onet_dir, ratings_dir, url=archive.as_uri())

    assert (onet_dir / "Occupation Data.txt").is_file()
    assert (ratings_dir / CROSSWALK).is_file()
    ratings = load_ratings(ratings_dir)
    assert ratings.loc["41-2031.00", "cs_score"] == round((4.92 - 1) / 4 * 100)
    assert ratings.loc["51-4041.00", "cs_score"] == 10
    assert ratings.loc["51-4041.00", "internal"] == (50 + 50) / 2
    assert isinstance(ratings, pd.DataFrame) and len(ratings) == 2
