# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Customer groups: how far to trust the confidence
#
# Each group servicelens lists comes with a confidence learned on the corpus; a group is *named*
# (batch column, figures) from 0.5. This notebook reads the figures `servicelens evaluate` stored in
# the active model's folder: the reliability of the confidence on the held-out postings, and
# precision and recall per group.

# %%
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from _shared import save
from servicelens.model.registry import resolve_model

# %%
folder = resolve_model()
groups = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["groups"]["heldout"]
print(folder.name, "held-out micro:", groups["micro"], "\nby kind:", groups["by_kind"])

# %% [markdown]
# ## Reliability
#
# For the groups listed at each confidence, the share the labels say the job serves. On the
# diagonal, a confidence of 0.7 means seven in ten such groups are served.

# %%
table = groups["reliability"]
fig, ax = plt.subplots(figsize=(5, 5))
ax.plot([0, 1], [0, 1], c="black", lw=0.8)
ax.plot([b["mean_confidence"] for b in table], [b["share_served"] for b in table], "o-")
for b in table:
    ax.annotate(f"n={b['groups']}", (b["mean_confidence"], b["share_served"]), fontsize=7,
                textcoords="offset points", xytext=(4, -10))
ax.set_xlabel("confidence shown")
ax.set_ylabel("share the labels say are served")
ax.set_title("Group confidence on the held-out postings")
save(fig, "03-reliability.png")

# %% [markdown]
# ## Per group
#
# Patients, students and parents are named well; the public, end users, customers (as opposed to
# business clients) and the rare groups are where recall is lost: the postings imply them more
# often than they name them.

# %%
per = {g: m for g, m in groups["per_group"].items() if m.get("support", 0) >= 5}
order = sorted(per, key=lambda g: per[g]["f1"])
fig, ax = plt.subplots(figsize=(8, 5))
y = np.arange(len(order))
ax.barh(y + 0.2, [per[g]["precision"] for g in order], height=0.4, label="precision")
ax.barh(y - 0.2, [per[g]["recall"] for g in order], height=0.4, label="recall")
ax.set_yticks(y, [f"{g} ({per[g]['support']})" for g in order], fontsize=8)
ax.set_xlabel("held-out precision and recall of the named groups (labelled postings in brackets)")
ax.legend(fontsize=8)
save(fig, "03-per-group.png")
