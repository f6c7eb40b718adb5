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
# # 02 · The score on postings it never saw
#
# The active model scores the corpus' held-out postings (a split by occupation family, employer
# and near-duplicate text: `docs/corpus.md`); `servicelens evaluate` prints the same figures with
# the baselines beside them. Here: predicted against labelled scores, and how the model ranks
# postings within each source, with and without that source in training (leave one source out,
# from the figures `servicelens evaluate` stored in the model folder).

# %%
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from _shared import save
from servicelens import load_model, paths
from servicelens.model.registry import resolve_model
from servicelens.training.corpus_data import load_corpus

# %%
model = load_model()
_, heldout, _ = load_corpus(paths.labeled_dir(), paths.postings_dir(), paths.postings_more_dir(), model.section_rules,
                            with_gold=False)
predicted = np.clip(model.scores([model.prepare(t, title) for t, title in zip(heldout.texts, heldout.titles)]), 0, 100)
print(f"{model.version}: {len(heldout)} held-out postings")

# %% [markdown]
# ## Predicted against labelled
#
# Points on the diagonal are right; the shaded squares are the bands. The model is stretched to
# the labels' spread, so it reaches both ends of the scale, but a posting that says little about
# its work lands near the middle.

# %%
fig, ax = plt.subplots(figsize=(5.5, 5.5))
for low in (20, 40, 60, 80):
    ax.axhline(low, c="lightgrey", lw=0.8)
    ax.axvline(low, c="lightgrey", lw=0.8)
ax.scatter(heldout.targets[:, 0], predicted[:, 0], s=5, alpha=0.4)
ax.plot([0, 100], [0, 100], c="black", lw=0.8)
ax.set_xlabel("labelled score (scale v1)")
ax.set_ylabel("predicted score")
ax.set_title(f"{model.version} on the held-out postings")
save(fig, "02-predicted-vs-labelled.png")

# %% [markdown]
# ## By source, and with the source left out
#
# Within one source the postings are more alike, so Spearman is lower than over the whole
# held-out part. Leaving a source out of training costs most where a source is unlike the others
# (the City of Los Angeles bulletins, the 2025 education postings).

# %%
metrics = json.loads((resolve_model() / "metrics.json").read_text(encoding="utf-8"))["score"]
within = {s: m["spearman"] for s, m in metrics["model"]["by_source"].items()}
loso = {s: m["model"]["spearman"] for s, m in metrics.get("leave_one_source_out", {}).items()}
sources = sorted(within, key=within.get)
fig, ax = plt.subplots(figsize=(8, 4))
y = np.arange(len(sources))
ax.barh(y + 0.2, [within[s] for s in sources], height=0.4, label="trained with the source's dev postings")
ax.barh(y - 0.2, [loso.get(s, np.nan) for s in sources], height=0.4, label="source left out of training")
ax.set_yticks(y, sources, fontsize=8)
ax.axvline(0.8, ls=":", c="grey")
ax.set_xlabel("Spearman with the labelled score (held-out postings of the source)")
ax.legend(fontsize=8, loc="lower right")
save(fig, "02-by-source.png")
