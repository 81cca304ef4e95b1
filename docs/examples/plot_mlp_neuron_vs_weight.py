"""
=====================================================
MLP: neuron pruning vs weight pruning vs from scratch
=====================================================

Two ways to prune a multi-layer perceptron:

- **neuron** (structured) pruning removes whole hidden units: the network
  becomes narrower, so it predicts faster;
- **weight** (unstructured) pruning zeroes single weights: the network keeps
  its shape, so scikit-learn's dense predict is not faster.

Both are fine-tuned after pruning. We compare them with the same small
architecture trained from scratch, the control that Liu et al. (2019) showed
is often as good.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skprune.neural_network import MLPPruner

warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.3, stratify=y, random_state=0
)
mlp = MLPClassifier((128, 128), max_iter=100, random_state=0).fit(X_train, y_train)
X_timing = np.tile(X_test, (40, 1))


def predict_seconds(model):
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        model.predict(X_timing)
        best = min(best, time.perf_counter() - start)
    return best


base_seconds = predict_seconds(mlp)
print(f"unpruned: accuracy {mlp.score(X_test, y_test):.3f}")

# %%
# Prune at several rates
# ----------------------
# The fitted network is wrapped in ``FrozenEstimator`` so that every pruner
# starts from it without refitting.
rates = [0.5, 0.75, 0.9]
results = {"neuron": [], "weight": [], "from scratch": []}
for rate in rates:
    for method in ("neuron", "weight"):
        pruner = MLPPruner(
            FrozenEstimator(mlp), method=method, prune_rate=rate, random_state=0
        ).fit(X_train, y_train)
        results[method].append(
            (pruner.score(X_test, y_test), predict_seconds(pruner.estimator_))
        )
        if method == "neuron":
            # The same narrow architecture, trained from scratch.
            scratch = clone(pruner.estimator_).set_params(max_iter=100)
            scratch.fit(X_train, y_train)
            results["from scratch"].append(
                (scratch.score(X_test, y_test), predict_seconds(scratch))
            )

for name, values in results.items():
    accuracies = ", ".join(f"{a:.3f}" for a, _ in values)
    speedups = ", ".join(f"{base_seconds / s:.1f}x" for _, s in values)
    print(f"{name:>12}: accuracy {accuracies}; predict speed-up {speedups}")

# %%
# Accuracy and speed
# ------------------
fig, (ax_acc, ax_speed) = plt.subplots(1, 2, figsize=(9, 3.5))
for name, values in results.items():
    ax_acc.plot(rates, [a for a, _ in values], marker="o", label=name)
    ax_speed.plot(rates, [base_seconds / s for _, s in values], marker="o", label=name)
ax_acc.axhline(
    mlp.score(X_test, y_test), color="gray", linestyle="--", label="unpruned"
)
ax_acc.set(xlabel="prune_rate", ylabel="test accuracy")
ax_speed.set(xlabel="prune_rate", ylabel="predict speed-up vs unpruned")
ax_acc.legend()
fig.tight_layout()

# %%
# Neuron pruning buys speed, weight pruning only storage (stored sparse). On
# this small problem the differences in accuracy are within a fraction of a
# point, the seed-to-seed noise; ``benchmarks/bench_mlp.py`` measures them on
# a larger problem.
