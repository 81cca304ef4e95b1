# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Trees: `TreePruner` against scikit-learn's `ccp_alpha` search
#
# A fully grown decision tree overfits; pruning it back is the usual cure.
# scikit-learn's recipe is a `GridSearchCV` over `ccp_alpha` values taken from
# `cost_complexity_pruning_path`, which refits the tree for every candidate and
# fold. `TreePruner` grows the tree once per fold (with `memory`) and prunes
# it to every `prune_rate` from the fitted tree's arrays.
#
# This notebook runs both searches with the same number of candidates on two
# data sets, then compares the search time, the chosen tree's size, its test
# accuracy and its predict time, and plots accuracy against size and against
# predict time. Set `QUICK = True` (or the environment variable
# `SKPRUNE_NOTEBOOK_QUICK=1`) for a run of a few seconds.

# %%
import os
import tempfile
import time
import timeit

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from joblib import Memory
from sklearn.datasets import load_digits, make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.tree import DecisionTreeClassifier

from skprune.inspection import PruningCurveDisplay
from skprune.model_selection import n_units_scorer
from skprune.tree import TreePruner

QUICK = bool(os.environ.get("SKPRUNE_NOTEBOOK_QUICK"))
N_NOISY = 3_000 if QUICK else 30_000
RATES = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]

DATASETS = {
    "digits": load_digits(return_X_y=True),
    "noisy": make_classification(
        n_samples=N_NOISY, n_features=20, n_informative=8, flip_y=0.2, random_state=0
    ),
}

# %% [markdown]
# ## The two searches
#
# Same folds, same number of candidates. scikit-learn's candidates are spread
# evenly (by index) over the path of a tree grown on the whole training set;
# computing that path is part of its cost.


# %%
def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def predict_seconds(model, X):
    """Fastest of 7 calls of ``model.predict(X)``."""
    return min(timeit.repeat(lambda: model.predict(X), number=1, repeat=7))


def search_both(X_train, y_train, cv):
    tree = DecisionTreeClassifier(random_state=0)
    scoring = {"accuracy": "accuracy", "n_units": n_units_scorer}
    with tempfile.TemporaryDirectory() as cache:
        pruner = TreePruner(tree, memory=Memory(cache, verbose=0))
        ours = GridSearchCV(
            pruner, {"prune_rate": RATES}, cv=cv, scoring=scoring, refit="accuracy"
        )
        ours_seconds, _ = timed(lambda: ours.fit(X_train, y_train))

    def sklearn_recipe():
        path = tree.cost_complexity_pruning_path(X_train, y_train)
        index = np.linspace(0, len(path.ccp_alphas) - 2, len(RATES)).astype(int)
        search = GridSearchCV(tree, {"ccp_alpha": path.ccp_alphas[index]}, cv=cv)
        return search.fit(X_train, y_train)

    theirs_seconds, theirs = timed(sklearn_recipe)
    return (ours, ours_seconds), (theirs, theirs_seconds)


def compare(name, X, y):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    (ours, ours_s), (theirs, theirs_s) = search_both(X_train, y_train, cv)
    ours_auto_s, auto = timed(
        lambda: TreePruner(DecisionTreeClassifier(random_state=0)).fit(X_train, y_train)
    )
    models = {
        "TreePruner, GridSearchCV over prune_rate": (ours.best_estimator_, ours_s),
        'TreePruner, prune_rate="auto"': (auto, ours_auto_s),
        "scikit-learn, GridSearchCV over ccp_alpha": (theirs.best_estimator_, theirs_s),
    }
    rows = []
    for method, (model, seconds) in models.items():
        tree = getattr(model, "estimator_", model)
        rows.append(
            {
                "data": name,
                "method": method,
                "tuning time (s)": seconds,
                "time / scikit-learn's": seconds / theirs_s,
                "leaves": tree.get_n_leaves(),
                "test accuracy": model.score(X_test, y_test),
                "predict time (ms)": 1e3 * predict_seconds(tree, X_test),
            }
        )
    return rows, ours, (X_train, X_test, y_train, y_test)


results, searches = [], {}
for name, (X, y) in DATASETS.items():
    rows, search, split = compare(name, X, y)
    results += rows
    searches[name] = (search, split)
table = pd.DataFrame(results)
table.round(3)

# %% [markdown]
# ## Accuracy and size against the prune rate
#
# The search's own `cv_results_`: mean cross-validated accuracy (with one
# standard deviation) and leaves left, per prune rate.

# %%
fig, axes = plt.subplots(1, len(searches), figsize=(11, 4), constrained_layout=True)
for ax, (name, (search, _)) in zip(axes, searches.items(), strict=True):
    PruningCurveDisplay.from_cv_results(
        search.cv_results_, score_name="accuracy", ax=ax
    )
    ax.set_title(name)

# %% [markdown]
# ## Accuracy against predict time
#
# The tree grown on each training set, pruned at every rate (a
# `FrozenEstimator` is pruned without refitting), against the trees that
# scikit-learn grows with the same `ccp_alpha` values (one fit each): the
# same trees, at a fraction of the cost. Predict time is measured on the test
# set repeated 50 times. A tree's predict time follows its depth and
# scikit-learn's input checks: pruning shrinks a tree far more than it speeds
# it up.

# %%
fig, axes = plt.subplots(1, len(searches), figsize=(11, 4), constrained_layout=True)


def prune_every_rate(tree, X_train, y_train):
    return [
        TreePruner(FrozenEstimator(tree), prune_rate=r).fit(X_train, y_train)
        for r in RATES
    ]


def refit_at_alphas(alphas, X_train, y_train):
    return [
        DecisionTreeClassifier(random_state=0, ccp_alpha=a).fit(X_train, y_train)
        for a in alphas
    ]


for ax, (name, (_, split)) in zip(axes, searches.items(), strict=True):
    X_train, X_test, y_train, y_test = split
    X_timing = np.tile(X_test, (50, 1))
    seconds, full = timed(
        lambda s=split: DecisionTreeClassifier(random_state=0).fit(s[0], s[2])
    )
    prune_seconds, pruned = timed(
        lambda f=full, s=split: prune_every_rate(f, s[0], s[2])
    )
    alphas = [p.ccp_alpha_ for p in pruned]
    refit_seconds, refitted = timed(
        lambda a=alphas, s=split: refit_at_alphas(a, s[0], s[2])
    )
    ax.plot(
        [1e3 * predict_seconds(p.estimator_, X_timing) for p in pruned],
        [p.score(X_test, y_test) for p in pruned],
        "o",
        label=f"TreePruner: 1 fit + {prune_seconds / seconds:.1f} fits' time",
    )
    ax.plot(
        [1e3 * predict_seconds(t, X_timing) for t in refitted],
        [t.score(X_test, y_test) for t in refitted],
        "x",
        markersize=10,
        label=f"scikit-learn ccp_alpha: {refit_seconds / seconds:.1f} fits' time",
    )
    ax.set(title=name, xlabel="predict time, 50 x test set (ms)", ylabel="accuracy")
    ax.legend()
plt.show()
