"""
====================================================
Keeping the best trees of a random forest
====================================================

A random forest averages many trees; a few of them, well chosen, often do
as well. :class:`~skprune.ensemble.ForestPruner` with ``method="select"``
orders the trees by ordered aggregation on their out-of-bag rows and keeps
the first ones. Here we compare its accuracy and predict time, against the
number of trees kept, with trees drawn at random.
"""

# %%
# A forest on noisy data
# ----------------------
# 20% of the labels are flipped. The forest is fitted once: an in-memory
# cache hands the same fitted forest to every pruner.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from skprune.ensemble import ForestPruner
from skprune.model_selection import InMemoryCache

X, y = make_classification(
    n_samples=3000, n_features=20, n_informative=8, flip_y=0.2, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
forest = RandomForestClassifier(n_estimators=100, random_state=0)
cache = InMemoryCache()
# prune_rate=0 with a leaf method returns the whole fitted forest (and caches it).
full = ForestPruner(forest, method="cost_complexity", prune_rate=0.0, memory=cache)
full = full.fit(X_train, y_train).estimator_


def predict_seconds(model, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(X_test)
        best = min(best, time.perf_counter() - start)
    return best


# %%
# Selected against random trees
# -----------------------------
# For every number of trees kept, the selected sub-forest and the mean of 5
# sub-forests drawn at random from the same fitted forest.
rng = np.random.RandomState(0)
kept, selected, drawn, seconds = [], [], [], []
for prune_rate in [0.0, 0.5, 0.7, 0.8, 0.9, 0.95]:
    pruner = ForestPruner(forest, prune_rate=prune_rate, memory=cache)
    pruner.fit(X_train, y_train)
    pruned = pruner.estimator_
    n_kept = pruner.n_trees_after_
    random_scores = []
    for _ in range(5):
        trees = rng.choice(len(full.estimators_), size=n_kept, replace=False)
        probabilities = np.mean(
            [full.estimators_[t].predict_proba(X_test) for t in trees], axis=0
        )
        random_scores.append(np.mean(full.classes_[probabilities.argmax(1)] == y_test))
    kept.append(n_kept)
    selected.append(pruner.score(X_test, y_test))
    drawn.append(np.mean(random_scores))
    seconds.append(predict_seconds(pruned))
    print(
        f"{n_kept:4d} trees: selected {selected[-1]:.3f}, random {drawn[-1]:.3f}, "
        f"predict {1000 * seconds[-1]:.1f} ms"
    )

# %%
# Accuracy and predict time against trees kept
# --------------------------------------------
fig, (ax_score, ax_time) = plt.subplots(1, 2, figsize=(9, 3.5))
ax_score.plot(kept, selected, "o-", label="selected (ordered aggregation)")
ax_score.plot(kept, drawn, "s--", label="drawn at random (mean of 5)")
ax_score.set_xlabel("trees kept")
ax_score.set_ylabel("test accuracy")
ax_score.legend()
ax_time.plot(kept, 1000 * np.array(seconds), "o-")
ax_time.set_xlabel("trees kept")
ax_time.set_ylabel("predict time (ms)")
fig.tight_layout()

# %%
# Predict time falls in proportion to the trees kept. The selected trees
# hold the accuracy of the whole forest longer than trees drawn at random;
# ``benchmarks/bench_forest.py`` measures this on real data sets.
