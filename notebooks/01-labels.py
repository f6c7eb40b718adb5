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
# # 01 · The labels: what O*NET says about customer service
#
# servicelens learns from O*NET, not from labelled postings. Each O*NET 29.0 occupation gets three
# targets on a 0-100 scale (see `pipeline/onet.py`):
#
# - `cs_score`: Work Context *Deal With External Customers* (the score a posting gets);
# - `external`: mean of *Deal With External Customers*, *Performing for or Working Directly with
#   the Public* and *Assisting and Caring for Others*;
# - `internal`: mean of *Communicating with Supervisors, Peers, or Subordinates* and *Work With
#   Work Group or Team*.
#
# This notebook looks at those labels: how they spread across SOC major groups, how external and
# internal service relate, and which occupations sit at the ends of the scale. It builds the tables
# in memory from the raw data folders (`$SERVICELENS_ONET_DIR`, `$SERVICELENS_RATINGS_DIR`).

# %%

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from _shared import boxes_by_major_group, save  # (notebooks/_shared.py: where figures go)
from servicelens.datasets import onet
from servicelens import paths
from servicelens.bands import BANDS, band


# %%
tables = onet.build_tables(paths.onet_dir(), paths.ratings_dir())
occupations = tables.occupations.assign(
    major=lambda t: t["major_group"] + " " + t["major_group"].map(onet.SOC_MAJOR_GROUPS).fillna("?"),
    band=lambda t: t["cs_score"].map(band))
print(f"{len(occupations)} rated occupations, {len(tables.sentences)} task statements")
print(occupations[list(onet.TARGETS)].describe().round(1))

# %% [markdown]
# ## Distribution of the customer-service rating by major group
#
# Boxes are the `cs_score` of the occupations in each SOC major group, sorted by median; the
# dotted lines are the band cut points (`servicelens.bands`).

# %%
fig, ax = boxes_by_major_group(occupations, "cs_score")
for name, lower in BANDS[1:]:
    ax.axhline(lower, color="grey", linestyle=":", linewidth=1)
    ax.text(1.01, lower, name, color="grey", fontsize=8, va="center", transform=ax.get_yaxis_transform())
ax.set_ylabel("cs_score: O*NET 'Deal With External Customers'")
ax.set_ylim(0, 100)
ax.set_title("O*NET customer-service rating by SOC major group (occupations per group in brackets)")
save(fig, "01-cs-by-major-group.png")

# %%
print(occupations.groupby("major")[list(onet.TARGETS)].median().round(1).sort_values("cs_score", ascending=False))

# %% [markdown]
# What it tells us: the rating follows the intuitive order (sales, protective service, personal
# care and healthcare at the top; production, computer and engineering jobs at the bottom) but the
# spread *inside* most groups is as wide as the spread between them: production runs from 4 to 87,
# transportation from 13 to 95. A model that learns only the major group (or a title's head noun)
# cannot do well; it has to read the duties.
#
# The bands are not balanced: few occupations are `core` (87.5+) and most are `moderate` or `high`.

# %%
print(occupations["band"].value_counts().reindex([name for name, _ in BANDS]))

# %% [markdown]
# ## External vs internal
#
# `external` follows `cs_score` closely (it contains it); `internal` is a different quantity:
# nearly every occupation rates communicating with colleagues and working in a team as important,
# so it sits high with a narrow spread.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for target, colour in zip(onet.TARGETS, ("tab:blue", "tab:orange", "tab:green")):
    axes[0].hist(occupations[target], bins=range(0, 101, 4), alpha=0.5, color=colour, label=target)
axes[0].set_xlabel("rating (0-100)")
axes[0].set_ylabel("occupations")
axes[0].legend()
axes[0].set_title("The three targets")
points = axes[1].scatter(occupations["external"], occupations["internal"], c=occupations["cs_score"],
                         cmap="viridis", s=10, linewidths=0, vmin=0, vmax=100)
fig.colorbar(points, ax=axes[1], label="cs_score")
gap = occupations["external"] - occupations["internal"]
for _, row in occupations.loc[gap.nsmallest(1).index.union(gap.nlargest(3).index)].iterrows():
    right = row["external"] > 60  # label on the left of points near the right edge
    axes[1].annotate(row["title"][:28], (row["external"], row["internal"]), fontsize=7, textcoords="offset points",
                     xytext=(-4, 3) if right else (4, 3), ha="right" if right else "left")
axes[1].plot([0, 100], [0, 100], color="grey", linestyle=":", linewidth=1)
axes[1].set_xlabel("external")
axes[1].set_ylabel("internal")
axes[1].set_title("External vs internal service, per occupation")
save(fig, "01-external-vs-internal.png")

# %%
print(occupations[list(onet.TARGETS)].corr(method="spearman").round(2))

# %% [markdown]
# Almost every occupation sits above the diagonal: by O*NET's ratings, serving colleagues matters
# more than serving the public for all but a few hands-on personal services (massage therapists,
# barbers, bicycle repairers). The weak rank correlation between `internal` and the other two
# targets means the `internal` score is not "a bit of customer service": it needs its own evidence
# (the `internal` signal category), and its narrow range makes it the hardest target to rank.

# %% [markdown]
# ## Examples: the most and the least customer-facing occupations

# %%
columns = ["code", "title", *onet.TARGETS]
print("Highest cs_score")
print(occupations.nlargest(12, "cs_score")[columns].to_string(index=False))
print("\nLowest cs_score")
print(occupations.nsmallest(12, "cs_score")[columns].to_string(index=False))

# %% [markdown]
# Surprises worth knowing when reading model errors later: bicycle repairers and hearing aid
# specialists rate as high as concierges (small shops where the repairer is also the counter),
# police patrol officers and bailiffs are at the very top (the public *is* their work), while the
# bottom is dominated by mining, production and machine-tending jobs rather than by office jobs.

# %%
print("Largest external - internal gap (public first)")
print(occupations.assign(gap=gap).nlargest(8, "gap")[["title", "external", "internal"]].to_string(index=False))
print("\nLargest internal - external gap (colleagues first)")
print(occupations.assign(gap=gap).nsmallest(8, "gap")[["title", "external", "internal"]].to_string(index=False))

# %% [markdown]
# ## The sentence labels
#
# The second table labels every task statement with the customer-facing Generalized Work
# Activities of its Detailed Work Activities; the sentence model learns the signal categories from
# it (`servicelens.evidence.categories.GWA_CATEGORY`). Only about a fifth of task statements carry any label,
# and `public` (the GWA behind the `service` category) is rare, which is why the learned `service`
# signal is weak and the phrase patterns carry most of it.

# %%
labels = tables.sentences[list(onet.SENTENCE_LABELS)]
print(f"task statements with any label: {(labels.sum(axis=1) > 0).mean():.0%}")
print(labels.sum().sort_values(ascending=False).rename("task statements"))
