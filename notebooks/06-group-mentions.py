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
# # 06 · Group mentions one by one: where the customer-group figures are lost
#
# The groups issue asks for micro-F1 0.85 with precision 0.85 on the gold test half; the model
# stays near 0.76, and near 0.6 on labelled real postings, while two people labelling the same
# postings agree at 0.95-0.97. A posting's groups come from its mentions: the rules find every
# unit that names a group near a cue, and a learned confidence weighs them. So which part fails:
# finding the mentions, or telling a mention that shows service ("greet and assist shoppers") from
# one that does not ("we serve millions of customers", "experience with customers")?
#
# `data/labeled/group_mentions.jsonl` answers that: every (unit, group) the rules find in the
# labelled development postings (gold `dev` and real `dev`), 2,758 of them, labelled one by one by
# people who judged only that sentence and the job title (see data/labeled/README.md). With them
# we can measure three things:
#
# 1. how well the evidence confidence ranks mentions (`servicelens evaluate` reports this too);
# 2. the posting-level figures if every mention were judged as people judged it (the **oracle**:
#    what perfect mention judgement would give with today's rules);
# 3. what a classifier learned from those labels (context words, leave-one-family-out) reaches.
#
# About 20-30 seconds.

# %%
from collections import defaultdict
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from _shared import save  # (notebooks/_shared.py: where figures go)
from servicelens import load_model
from servicelens import paths
from servicelens.evaluation.groups import GOLD_FILE, set_metrics
from servicelens.evaluation.mentions import MENTIONS_FILE, label_index, labelled_texts, mention_report, read_mention_labels
from servicelens.files import read_jsonl
from servicelens.training.fit_groups import REAL_GROUPS_FILE
from servicelens.evidence.groups import REPORT_THRESHOLD, found_evidence, read_posting
from servicelens.datasets.dev_postings import read_dev_postings

model = load_model()
labeled = paths.labeled_dir()
dev = read_dev_postings(paths.postings_dir())
labels = read_mention_labels(labeled / MENTIONS_FILE, model.group_rules.groups)
texts = labelled_texts(read_jsonl(labeled / GOLD_FILE), dev)
print(model.version, len(labels), "labelled mentions")

# %% [markdown]
# ## 1 · The evidence confidence against the labels
#
# A mention's confidence comes from a fixed table: where it stands (duties or requirements) and
# whether a served cue stands by it (`MENTION_CONFIDENCE` in `pipeline/groups.py`).

# %%
report = mention_report(model, texts, labels)
print(f"AUC {report['auc']}, two annotators agree on served for {report['agreement']['served']:.0%} "
      f"of {report['agreement']['n']}; of the mentions that name people the job serves, people place "
      f"{report['other_group']:.0%} in another group")
for confidence, cell in report["by_confidence"].items():
    print(f"  confidence {confidence:>5}: {cell['n']:5} mentions, {cell['served']:.0%} serve the group")

# %% [markdown]
# ## 2 · Posting-level figures: the model, a learned mention classifier, and the oracle
#
# Each labelled posting's groups three ways: the model's reported groups; the groups whose
# mentions a classifier (context words around the mention, the unit's first word, section, group,
# fitted with each posting family left out: SOC major group for gold, job function for real)
# rates 0.5 or more; and the oracle, where a group the posting names is reported exactly when
# people said yes to at least one of its mentions (and a group people said a mention serves
# instead, `other`, is reported too). Groups only the title implies keep the model's
# decision in all three. (The model's group confidence was fitted on these gold `dev` postings, so
# its gold figure flatters it; the real postings were never fitted on.)

# %%
gold = {row["id"]: row for row in read_jsonl(labeled / GOLD_FILE) if row["split"] == "dev"}
real = {row["job_id"]: row for row in read_jsonl(labeled / REAL_GROUPS_FILE) if row["split"] == "dev"}
truth = {("gold", i): set(r["groups"]) for i, r in gold.items()} | {("postings_dev", i): set(r["groups"]) for i, r in real.items()}
family = {("gold", i): r["soc_major"] for i, r in gold.items()} | {("postings_dev", i): "F:" + r["function"] for i, r in real.items()}
said = label_index(labels)

WORD = re.compile(r"[a-z][a-z'-]*")
BREAK = re.compile(r"[.;:!?\n]")


def features(text: str, mentions, group: str, section: str, share: float) -> dict:
    """What the classifier sees of one unit naming one group."""
    words = WORD.findall(text.lower())
    out = {"group=" + group: 1, "section=" + section: 1, "share": share, "first=" + (words[0] if words else ""): 1,
           "first|group=" + (words[0] if words else "") + "|" + group: 1}
    for f in mentions:
        left = WORD.findall(BREAK.split(text[max(0, f.mention.start - 80):f.mention.start].lower())[-1])[-6:]
        right = WORD.findall(BREAK.split(text[f.mention.end:f.mention.end + 50].lower())[0])[:4]
        out["term=" + text[f.mention.start:f.mention.end].lower()] = 1
        out["served"] = max(out.get("served", 0), float(f.served))
        for i, w in enumerate(reversed(left)):
            out["left=" + w] = 1
            if i < 2:
                out[f"left{i}=" + w] = out[f"left|group={w}|{group}"] = 1
        for w in right:
            out["right=" + w] = 1
    for w in set(words):
        out["unit=" + w] = 0.3
    return out


items = []  # (posting, group, features, label)
reported = {}
for key in truth:
    posting = model.prepare(*texts[key])
    reported[key] = {g.group: g for g in model.groups(posting)}
    units, unit_texts, sections, found = read_posting(posting, model.group_rules, model.estimator.patterns_)
    by_unit = defaultdict(list)
    for f, e in zip(found, found_evidence(posting, units, unit_texts, found)):
        by_unit[(f.unit, f.group)].append((f, e.start))
    for (unit, group), pairs in by_unit.items():
        label = next((said[(*key, group, s)] for _, s in pairs if (*key, group, s) in said), None)
        share = sum(f.group == group for f in found) / len(found)
        items.append((key, group, features(unit_texts[unit], [f for f, _ in pairs], group, sections[unit], share), label))
print(sum(item[3] is None for item in items), "mentions without a label (the rules changed since they were labelled)")

labelled = [i for i, item in enumerate(items) if item[3] is not None]
y = np.array([items[i][3].label == "yes" for i in labelled])
fam = np.array([family[items[i][0]] for i in labelled])
probability = np.zeros(len(labelled))
for f in np.unique(fam):
    train, test = np.flatnonzero(fam != f), np.flatnonzero(fam == f)
    clf = Pipeline([("words", DictVectorizer()), ("lr", LogisticRegression(C=0.5, max_iter=5000))])
    clf.fit([items[labelled[i]][2] for i in train], y[train])
    probability[test] = clf.predict_proba([items[labelled[i]][2] for i in test])[:, 1]
print(f"mention classifier, leave one family out: AUC {roc_auc_score(y, probability):.3f}, "
      f"accuracy {((probability >= 0.5) == y).mean():.3f} on {len(y)} mentions "
      f"(people agree with each other on {report['agreement']['served']:.0%})")

# %%
classifier, oracle = defaultdict(dict), defaultdict(dict)
for i, p, yes in zip(labelled, probability, y):
    key, group = items[i][0], items[i][1]
    classifier[key][group] = max(classifier[key].get(group, 0.0), p)
    oracle[key][group] = max(oracle[key].get(group, 0.0), float(yes))
    better = items[i][3].better_group  # people said the mention serves another group: it is named
    if better:
        oracle[key][better] = 1.0


def named(key, decided: dict) -> set:
    """The model's groups, with each group the posting names decided by ``decided`` instead."""
    out = {g for g, found in reported[key].items() if found.confidence >= REPORT_THRESHOLD and g not in decided[key]}
    return out | {g for g, p in decided[key].items() if p >= 0.5}


rows = {}
for name, source in (("gold dev", "gold"), ("real dev", "postings_dev")):
    keys = [k for k in truth if k[0] == source]
    for way, pick in (("model", lambda k: {g for g, f in reported[k].items() if f.confidence >= REPORT_THRESHOLD}),
                      ("mention classifier", lambda k: named(k, classifier)),
                      ("oracle (people's mention labels)", lambda k: named(k, oracle))):
        micro = set_metrics((pick(k), truth[k]) for k in keys)["micro"]
        rows[(name, way)] = micro
        print(f"{name:9} {way:34} P {micro['precision']:.2f} R {micro['recall']:.2f} F1 {micro['f1']:.2f}")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
ways = ["model", "mention classifier", "oracle (people's mention labels)"]
for j, name in enumerate(("gold dev", "real dev")):
    left.bar(np.arange(3) + j * 0.4, [rows[(name, w)]["f1"] for w in ways], width=0.4, label=name)
left.axhline(0.85, color="grey", ls="--", lw=1)
left.set_xticks(np.arange(3) + 0.2, ["model", "mention\nclassifier", "oracle"])
left.set_ylabel("micro F1 of the posting's groups")
left.set_ylim(0, 1)
left.legend()
left.set_title("Posting-level groups (dashed: the issue's target)")
cells = report["by_confidence"]
shown = [c for c in cells if cells[c]["n"] >= 20]
right.bar(range(len(shown)), [cells[c]["served"] for c in shown], color="tab:green")
right.set_xticks(range(len(shown)), [f"{c}\n(n={cells[c]['n']})" for c in shown], fontsize=8)
right.set_xlabel("evidence confidence of a mention (the rules' table)")
right.set_ylabel("share people say serve the group")
right.set_ylim(0, 1)
right.set_title("What a mention's confidence is worth")
save(fig, "06-group-mentions.png")

# %% [markdown]
# What it tells us (servicelens-0.1.7):
#
# - **Judging mentions well would meet the target on the gold postings.** With people's mention
#   labels the gold `dev` postings reach about 0.90 precision and 0.92 recall. The rules find nearly every
#   group the gold postings serve; what is lost is the judgement of each mention.
# - **On real postings it would not.** Even the oracle stays near 0.74 F1 (recall 0.66): about a
#   quarter of the groups people name for a real posting are never found by the rules (no mention, or a mention the taxonomy's
#   terms miss), and people judging a whole posting name groups (colleagues supported, the public
#   a public body serves) that no single sentence shows.
# - **The table is poorly calibrated.** A served mention in the duties is right about two times in
#   three, not nine in ten; a mention in the requirements ("experience with patients") almost never
#   shows service, though the table gives it 0.7 or 0.35. The posting-level confidence learned on
#   the gold set already discounts requirements mentions, so the posting figures barely move when
#   the table is set to the measured values (tried: gold +0.01, real -0.01 F1, leave one family out).
# - **A classifier of context words ranks mentions much better than the table** (AUC about 0.87
#   against 0.70) but stays far from people (78% accuracy against their 92% agreement), and
#   its posting-level figures are no better than the model's. Richer context (static word
#   embeddings, boosted trees) moved it by less than 0.01 AUC in trials. The missing judgement is
#   reading what a sentence says about the job, which words and cues alone do not give.
