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
# # SVMs: `SVMPruner` against Nystroem + `LinearSVC`
#
# A kernel SVM predicts in time proportional to its number of support
# vectors. Two ways to make it cheaper:
#
# - prune it with `SVMPruner`, which removes support vectors and re-solves
#   the kept ones' coefficients so that the decision function barely changes;
# - approximate the kernel with `Nystroem` and train a linear model on the
#   approximate features, with `k` components (`k` kernel evaluations per
#   prediction, as an SVM with `k` support vectors).
#
# This notebook compares them at equal size (kept vectors = components) and
# at equal predict time, on scikit-learn's digits and on a harder generated
# 3-class problem, then tunes `prune_rate` with `GridSearchCV` (`memory` set:
# the SVC is fitted once per fold). Set `QUICK = True` (or
# `SKPRUNE_NOTEBOOK_QUICK=1`) for a run of a few seconds.

# %%
import os
import tempfile
import timeit

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from joblib import Memory
from sklearn.datasets import load_digits, make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from skprune.inspection import PruningCurveDisplay
from skprune.model_selection import n_units_scorer
from skprune.svm import SVMPruner

QUICK = bool(os.environ.get("SKPRUNE_NOTEBOOK_QUICK"))
N_GENERATED = 1_500 if QUICK else 6_000
RATES = [0.0, 0.5, 0.8, 0.9, 0.95]

X_digits, y_digits = load_digits(return_X_y=True)
DATASETS = {
    "digits": (X_digits / 16.0, y_digits),
    "3-class": make_classification(
        n_samples=N_GENERATED,
        n_features=20,
        n_informative=10,
        n_classes=3,
        n_clusters_per_class=2,
        flip_y=0.03,
        random_state=0,
    ),
}


# %%
def speed_up(reference, model, X, rounds=5):
    """Predict time of ``reference`` over that of ``model``: the fastest call
    of each, timed in turn for ``rounds`` rounds (so that a load spike on the
    machine hits both alike)."""
    best = {id(reference): np.inf, id(model): np.inf}
    for _ in range(rounds):
        for m in (reference, model):
            best[id(m)] = min(
                best[id(m)], timeit.timeit(lambda m=m: m.predict(X), number=1)
            )
    return best[id(reference)] / best[id(model)]


def compare(name, X, y):
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    svc = SVC().fit(X_train, y_train)
    rows = []
    for rate in RATES:
        pruner = SVMPruner(FrozenEstimator(svc), prune_rate=rate, random_state=0)
        pruner.fit(X_train, y_train)
        k = pruner.n_units_after_
        nystroem = make_pipeline(
            Nystroem(n_components=k, random_state=0), LinearSVC()
        ).fit(X_train, y_train)
        for method, model in (("SVMPruner", pruner.estimator_), ("Nystroem", nystroem)):
            rows.append(
                {
                    "data": name,
                    "prune_rate": rate,
                    "method": method,
                    "kernel evaluations (k)": k,
                    "test accuracy": model.score(X_test, y_test),
                    "speed-up over the SVC": speed_up(svc, model, X_test),
                }
            )
    return rows


table = pd.DataFrame(
    [row for name, data in DATASETS.items() for row in compare(name, *data)]
)
table.round(3)

# %% [markdown]
# ## Accuracy at equal size and at equal predict time
#
# Left: accuracy against the number of kernel evaluations per prediction.
# Right: accuracy against the speed-up over the unpruned SVC (libsvm's
# predict for the pruned SVC; Nystroem's transform and a dot product).

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
for row_axes, (name, group) in zip(
    axes, table.groupby("data", sort=False), strict=True
):
    for method, marker in (("SVMPruner", "o-"), ("Nystroem", "s--")):
        part = group[group["method"] == method]
        row_axes[0].plot(
            part["kernel evaluations (k)"], part["test accuracy"], marker, label=method
        )
        row_axes[1].plot(
            part["speed-up over the SVC"], part["test accuracy"], marker, label=method
        )
    row_axes[0].set(
        title=name, xscale="log", xlabel="kernel evaluations (k)", ylabel="accuracy"
    )
    row_axes[1].set(
        title=name, xlabel="predict speed-up over the unpruned SVC", ylabel="accuracy"
    )
    row_axes[0].legend()
    row_axes[1].legend()
plt.show()

# %% [markdown]
# ## Tuning `prune_rate` in a search
#
# With `memory`, the search fits the SVC once per fold and caches the
# factorised refit; every rate is then cheap. The curve shows the mean
# cross-validated accuracy and the vectors left.

# %%
X, y = DATASETS["3-class"]
X = StandardScaler().fit_transform(X)
with tempfile.TemporaryDirectory() as cache:
    search = GridSearchCV(
        SVMPruner(SVC(), random_state=0, memory=Memory(cache, verbose=0)),
        {"prune_rate": RATES},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring={"accuracy": "accuracy", "n_units": n_units_scorer},
        refit="accuracy",
    ).fit(X, y)
PruningCurveDisplay.from_cv_results(search.cv_results_, score_name="accuracy")
print("best prune_rate:", search.best_params_["prune_rate"])
