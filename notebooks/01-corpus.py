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
# # 01 · The corpus: real postings read against the scale
#
# servicelens learns the score from real postings labelled against [scale v1](../docs/scale.md)
# (`data/labeled/postings_labels.jsonl`, made by helper annotators following
# `docs/labelling-guide.md`; `docs/corpus.md` says how). This notebook shows what is in it: the
# labelled score by source, how the external and internal parts relate, and how closely two
# independent passes over the same posting agree. The texts are read from the sources in
# `$SERVICELENS_POSTINGS_DIR` and `$SERVICELENS_POSTINGS_MORE_DIR`; only ids and labels are ours.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from _shared import save  # (notebooks/_shared.py: where figures go)
from servicelens import paths
from servicelens.datasets.corpus import CORPUS_FILE, read_corpus
from servicelens.evaluation.corpus_report import agreement, format_corpus, summary
from servicelens.evidence.groups import GroupRules
from servicelens.scale import BANDS

# %%
labels = read_corpus(paths.labeled_file(paths.labeled_dir(), CORPUS_FILE), GroupRules().groups)
print("\n".join(format_corpus({"summary": summary(labels), "agreement": agreement(labels)})))
frame = pd.DataFrame([{"source": l.source, "split": l.split, "score": l.cs_score, "external": l.external,
                       "internal": l.internal} for l in labels if l.usable])

# %% [markdown]
# ## The labelled score by source
#
# Each source covers the economy differently: the NHS postings are mostly care, the Armenian board
# mostly office and IT, LinkedIn a mix. Within a source the range is narrower than across the
# corpus, which is why a source left out of training is harder to rank (`docs/model.md`). The
# dotted lines are the band cut points.

# %%
order = frame.groupby("source")["score"].median().sort_values().index
fig, ax = plt.subplots(figsize=(10, 4.5))
ax.boxplot([frame.loc[frame["source"] == s, "score"] for s in order], widths=0.6, flierprops={"markersize": 3})
ax.set_xticks(range(1, len(order) + 1), [f"{s}\n({(frame['source'] == s).sum()})" for s in order], fontsize=8)
for low, _, name, _ in BANDS[:-1]:
    ax.axhline(low, ls=":", c="grey", lw=0.8)
ax.set_ylabel("labelled customer-service score")
ax.set_title("Scale v1 scores of the labelled postings, by source")
save(fig, "01-score-by-source.png")

# %% [markdown]
# ## External and internal parts
#
# The scale scores service to people outside the employer and to colleagues on the same footing;
# the score is the larger part plus a fifth of the smaller. Most postings lean one way: a nurse
# is external service, an HR business partner internal.

# %%
fig, ax = plt.subplots(figsize=(5.5, 5))
jitter = np.random.default_rng(0).uniform(-1.5, 1.5, (len(frame), 2))
ax.scatter(frame["external"] + jitter[:, 0], frame["internal"] + jitter[:, 1], s=4, alpha=0.3)
ax.set_xlabel("external part")
ax.set_ylabel("internal part")
ax.set_title("The two parts of each labelled posting")
save(fig, "01-external-vs-internal.png")
