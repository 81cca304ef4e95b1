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
# # MLPs: neuron and weight pruning against a smaller network from scratch
#
# `MLPPruner` prunes a fitted `MLPClassifier` in two ways:
#
# - **neuron** (structured): whole hidden units go, the layers become
#   narrower, and predict gets faster;
# - **weight** (unstructured): the smallest weights are zeroed and kept at
#   zero through fine-tuning; the arrays keep their shape, so predict is not
#   faster (`compress_mlp` can store them sparse).
#
# The strongest alternative to neuron pruning is the narrower network trained
# from scratch (Liu et al., 2019, found it often as good): this notebook trains
# it at every pruned width, with the same settings as the unpruned network.
# Data: scikit-learn's digits. Set `QUICK = True` (or
# `SKPRUNE_NOTEBOOK_QUICK=1`) for a run of a few seconds.

# %%
import os
import time
import timeit
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skprune.neural_network import MLPPruner

QUICK = bool(os.environ.get("SKPRUNE_NOTEBOOK_QUICK"))
WIDTH = 64 if QUICK else 256
MAX_ITER = 60 if QUICK else 300
NEURON_RATES = [0.5, 0.75, 0.9]
WEIGHT_RATES = [0.5, 0.9]
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, stratify=y, random_state=0
)
# Predict time is measured on the test set repeated: a small network's predict
# is otherwise mostly call overhead.
X_timing = np.tile(X_test, (20, 1))


def speed_up(reference, model, rounds=5):
    """Predict time of ``reference`` over that of ``model``: the fastest call
    of each, timed in turn for ``rounds`` rounds."""
    best = {id(reference): np.inf, id(model): np.inf}
    for _ in range(rounds):
        for m in (reference, model):
            seconds = timeit.timeit(lambda m=m: m.predict(X_timing), number=1)
            best[id(m)] = min(best[id(m)], seconds)
    return best[id(reference)] / best[id(model)]


def n_params(mlp):
    return sum(np.count_nonzero(c) for c in mlp.coefs_) + sum(
        i.size for i in mlp.intercepts_
    )


start = time.perf_counter()
mlp = MLPClassifier((WIDTH, WIDTH), max_iter=MAX_ITER, random_state=0)
mlp.fit(X_train, y_train)
fit_seconds = time.perf_counter() - start
print(
    f"unpruned {mlp.hidden_layer_sizes}: test accuracy "
    f"{mlp.score(X_test, y_test):.3f}, fit {fit_seconds:.1f} s"
)

# %% [markdown]
# ## Pruned, and from scratch
#
# Each pruner starts from the fitted network (`FrozenEstimator`: no refit);
# the from-scratch network has the pruned network's widths and is trained as
# the unpruned one was.

# %%
rows = []
for method, rates in (("neuron", NEURON_RATES), ("weight", WEIGHT_RATES)):
    for rate in rates:
        start = time.perf_counter()
        pruner = MLPPruner(
            FrozenEstimator(mlp), method=method, prune_rate=rate, random_state=0
        ).fit(X_train, y_train)
        prune_seconds = time.perf_counter() - start
        candidates = {f"{method} pruning": pruner.estimator_}
        if method == "neuron":
            widths = pruner.estimator_.hidden_layer_sizes
            scratch = clone(mlp).set_params(hidden_layer_sizes=widths)
            candidates["same widths, from scratch"] = scratch.fit(X_train, y_train)
        for name, model in candidates.items():
            rows.append(
                {
                    "model": name,
                    "prune_rate": rate,
                    "hidden_layer_sizes": model.hidden_layer_sizes,
                    "parameters": n_params(model),
                    "test accuracy": model.score(X_test, y_test),
                    "accuracy change (points)": 100
                    * (model.score(X_test, y_test) - mlp.score(X_test, y_test)),
                    "predict speed-up": speed_up(mlp, model),
                    "time / unpruned fit": (
                        prune_seconds / fit_seconds if "pruning" in name else np.nan
                    ),
                }
            )
table = pd.DataFrame(rows)
table.round(3)

# %% [markdown]
# ## Accuracy against size and against predict time

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
for name, group in table.groupby("model", sort=False):
    left.plot(group["parameters"], group["test accuracy"], "o-", label=name)
    right.plot(group["predict speed-up"], group["test accuracy"], "o-", label=name)
for ax in (left, right):
    ax.axhline(mlp.score(X_test, y_test), color="grey", ls=":", label="unpruned")
    ax.set_ylabel("test accuracy")
    ax.legend()
left.set(xscale="log", xlabel="non-zero parameters")
right.set(xlabel="predict speed-up over the unpruned network")
plt.show()
