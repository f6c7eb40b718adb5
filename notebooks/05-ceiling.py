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
# # 05 · How far do the words of an occupation go? The held-out ceiling of the O*NET score
#
# The foundation and signals issues ask for a held-out Spearman of 0.80 and 0.85 between the
# predicted score and O*NET's "Deal With External Customers" rating. The model reaches 0.739, and
# the TF-IDF + Ridge baseline reaches 0.72-0.73. Here we try the obvious ways past that on the
# same folds (5-fold `GroupKFold` by SOC minor group, each occupation as title + description +
# tasks) with small, fast models, to see whether the gap is the model or the information:
#
# - the text model itself: word 1-grams, 1-2-grams and character n-grams, several penalties, and
#   the rank of the rating as the target (Spearman only sees ranks);
# - more labels: predict all 24 other O*NET ratings in `onet-ratings-2020/` from the text, then
#   the score from those predictions (a second stage fitted on inner out-of-fold predictions);
# - neighbours: each task statement takes the ratings of its 20 most similar task statements of
#   the training occupations;
# - augmentation: each training occupation also presented as 4 shorter postings (title and 4-8 of
#   its tasks), as real postings are shorter than O*NET's task lists.
#
# And one reference that needs no model: how well the *true* value of the closest O*NET rating
# ranks the occupations. About a minute on two cores.

# %%
import json
import random

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import rankdata, spearmanr
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold

from _shared import save  # (notebooks/_shared.py: where figures go)
from servicelens import load_model
from servicelens.datasets import onet
from servicelens import paths
from servicelens.evaluation.run import METRICS_FILE

# %%
tables = onet.build_tables(paths.onet_dir(), paths.ratings_dir())
occupations = tables.occupations
rows = occupations.to_dict("records")
texts = [onet.occupation_posting(row) for row in rows]
y = occupations["cs_score"].to_numpy(dtype=float)
folds = list(GroupKFold(5).split(texts, y, occupations["minor_group"]))
print(f"{len(y)} occupations, {occupations['minor_group'].nunique()} minor groups")


def read_all_ratings() -> pd.DataFrame:
    """Every rating file of the ratings folder, per O*NET-SOC 2019 code (as the package joins its five)."""
    folder = paths.ratings_dir()
    crosswalk = pd.read_csv(folder / onet.CROSSWALK, sep=";", dtype=str, encoding="utf-8-sig")
    columns = {}
    for path in sorted(folder.glob("*.csv")):
        if path.name == onet.CROSSWALK:
            continue
        frame = pd.read_csv(path, dtype={"Code": str})
        value = "Context" if "Context" in frame else "Importance"
        columns[path.stem] = pd.to_numeric(frame[value], errors="coerce").groupby(frame["Code"]).mean()
    joined = crosswalk.merge(pd.DataFrame(columns), left_on="soc2010_code", right_index=True)
    return joined.groupby("soc2019_code")[list(columns)].mean().reindex(occupations["code"])


ratings = read_all_ratings()
others = ratings.drop(columns="Deal_With_External_Customers")
others = others.fillna(others.mean())
reference = {name: spearmanr(others[name], y)[0] for name in others}
print("true value of another rating vs Deal With External Customers (Spearman), best five:")
print(pd.Series(reference).sort_values(ascending=False).head().round(3).to_string())

# %% [markdown]
# Even the true "Performing for or Working Directly with the Public" rating, the closest element
# O*NET has, ranks the occupations at about 0.78 against "Deal With External Customers". A text
# model at 0.80 would have to predict the rating better than O*NET's own nearest rating does.

# %%
def word_vectorizer(ngrams=(1, 2)):
    return TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=ngrams)


def char_vectorizer():
    return TfidfVectorizer(sublinear_tf=True, min_df=3, analyzer="char_wb", ngram_range=(3, 5))


def held_out(predict) -> float:
    """Spearman of out-of-fold predictions; ``predict(train, test)`` returns the test predictions."""
    out = np.zeros(len(y))
    for train, test in folds:
        out[test] = predict(train, test)
    return float(spearmanr(out, y)[0])


def text_ridge(make_vectorizer, alpha, target=y):
    def predict(train, test):
        vectorizer = make_vectorizer()
        X = vectorizer.fit_transform([texts[i] for i in train])
        return Ridge(alpha=alpha).fit(X, target[train]).predict(vectorizer.transform([texts[i] for i in test]))
    return predict


ranks = rankdata(y) / len(y)
results = {}
for alpha in (0.1, 0.3, 1.0):
    results[f"word 1-2-grams, alpha {alpha:g}"] = held_out(text_ridge(word_vectorizer, alpha))
results["word 1-grams, alpha 1"] = held_out(text_ridge(lambda: word_vectorizer((1, 1)), 1.0))
results["character 3-5-grams, alpha 1"] = held_out(text_ridge(char_vectorizer, 1.0))
results["word 1-2-grams, rank target"] = held_out(text_ridge(word_vectorizer, 0.1, ranks))


# %%
def two_stage(train, test, alpha=0.3, alpha2=100.0):
    """Text -> the score and 24 other ratings (standardised) -> the score."""
    targets = np.column_stack([y, ((others - others.mean()) / others.std()).to_numpy()])
    vectorizer = word_vectorizer()
    X_train = vectorizer.fit_transform([texts[i] for i in train])
    inner = np.zeros((len(train), targets.shape[1]))
    for a, b in GroupKFold(5).split(train, groups=occupations["minor_group"].to_numpy()[train]):
        inner[b] = Ridge(alpha=alpha).fit(X_train[a], targets[train][a]).predict(X_train[b])
    first = Ridge(alpha=alpha).fit(X_train, targets[train])
    second = Ridge(alpha=alpha2).fit(inner, y[train])
    return second.predict(first.predict(vectorizer.transform([texts[i] for i in test])))


task_owner = np.array([i for i, row in enumerate(rows) for _ in row["tasks"]])
task_text = [task for row in rows for task in row["tasks"]]


def task_neighbours(train, test, k=20):
    """Each test task takes the similarity-weighted score of its k nearest training tasks."""
    in_train = np.isin(task_owner, train)
    in_test = np.isin(task_owner, test)
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2), stop_words="english")
    A = vectorizer.fit_transform([t for t, keep in zip(task_text, in_train) if keep])
    B = vectorizer.transform([t for t, keep in zip(task_text, in_test) if keep])
    similarity = (B @ A.T).toarray()
    nearest = np.argpartition(-similarity, k, axis=1)[:, :k]
    weight = np.take_along_axis(similarity, nearest, 1) + 1e-9
    per_task = (y[task_owner[in_train]][nearest] * weight).sum(1) / weight.sum(1)
    per_occupation = pd.Series(per_task).groupby(task_owner[in_test]).mean()
    return per_occupation.reindex(test).fillna(y[train].mean()).to_numpy()


def augmented(train, test, copies=4, seed=0):
    rng = random.Random(seed)

    def short(i):
        tasks = list(rows[i]["tasks"])
        chosen = rng.sample(tasks, min(len(tasks), rng.randint(4, 8)))
        return rows[i]["title"] + "\n" + "\n".join(f"- {t}" for t in chosen)

    docs = [texts[i] for i in train] + [short(i) for i in train for _ in range(copies)]
    target = np.concatenate([y[train], np.repeat(y[train], copies)])
    vectorizer = word_vectorizer()
    model = Ridge(alpha=0.3).fit(vectorizer.fit_transform(docs), target)
    return model.predict(vectorizer.transform([texts[i] for i in test]))


results["two stages via 24 other O*NET ratings"] = held_out(two_stage)
results["task statement neighbours (k=20)"] = held_out(task_neighbours)
results["augmented with shorter postings"] = held_out(augmented)
model = load_model()
saved = json.loads((model.path / METRICS_FILE).read_text(encoding="utf-8"))["onet_heldout"]["cs_score"]["spearman"]
results[f"{model.version} (stacked, from metrics.json)"] = saved
table = pd.Series(results).round(3).sort_values()
print(table.to_string())

# %% [markdown]
# Every variant lands between 0.67 and 0.74; the stacked model is at the top of that range. More
# labels (the two-stage model), more neighbours and more (shorter) training postings move it by
# less than 0.01. The words of an occupation's title, description and tasks carry about this much
# of its "Deal With External Customers" rating, and the rest is not in them: bicycle repairers
# (96), segmental pavers (93) and septic tank servicers (86) rate very high, nannies (23) and
# medical transcriptionists (33) low, in ways their task statements do not show.

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
colors = ["tab:orange" if name.startswith(model.version) else "tab:blue" for name in table.index]
ax.barh(table.index, table.values, color=colors)
for target, label in ((0.80, "foundation target 0.80"), (0.85, "signals target 0.85")):
    ax.axvline(target, color="grey", linestyle="--", linewidth=1)
    ax.text(target, len(table) - 0.4, label, fontsize=8, ha="right", rotation=90, va="top")
best_reference = max(reference.values())
ax.axvline(best_reference, color="tab:green", linewidth=1)
ax.text(best_reference, -0.6, "true 'Working with the Public' rating", fontsize=8, color="tab:green", ha="right")
ax.set_xlim(0.6, 0.9)
ax.set_xlabel("held-out Spearman with Deal With External Customers (5-fold GroupKFold by minor group)")
ax.tick_params(axis="y", labelsize=8)
save(fig, "05-ceiling.png")
