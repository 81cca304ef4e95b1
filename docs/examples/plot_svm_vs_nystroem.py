"""
===========================================
Pruned SVC vs. Nystroem + LinearSVC
===========================================

A kernel SVM predicts in time proportional to its number of support vectors.
Three ways to make it cheaper:

- prune it with :class:`~skprune.svm.SVMPruner`, which removes support
  vectors and re-solves the coefficients of the kept ones so that the decision
  function barely changes;
- prune it with ``method="reduced_set"``, which then also moves the kept
  vectors (they need not be training samples any more) to match the decision
  function more closely, at a higher pruning cost;
- approximate the kernel with :class:`~sklearn.kernel_approximation.Nystroem`
  and train a linear model on the approximate features, with as many
  components as the pruned SVC keeps support vectors (the same number of
  kernel evaluations per prediction).
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from skprune.svm import SVMPruner

X, y = make_classification(
    n_samples=4000, n_features=20, n_informative=10, flip_y=0.05, random_state=0
)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
svc = SVC().fit(X_train, y_train)
X_timing = np.tile(X_test, (4, 1))


def predict_seconds(model):
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        model.predict(X_timing)
        best = min(best, time.perf_counter() - start)
    return best


svc_seconds = predict_seconds(svc)
print(
    f"SVC: {len(svc.support_)} support vectors, accuracy "
    f"{svc.score(X_test, y_test):.3f}"
)

# %%
# Same number of kernel evaluations
# ---------------------------------
rates = [0.5, 0.8, 0.9, 0.95]
rows = []
for rate in rates:
    pruner = SVMPruner(FrozenEstimator(svc), prune_rate=rate, random_state=0)
    pruner.fit(X_train, y_train)
    k = pruner.n_units_after_
    reduced = SVMPruner(
        FrozenEstimator(svc), prune_rate=rate, method="reduced_set", random_state=0
    ).fit(X_train, y_train)
    nystroem = make_pipeline(Nystroem(n_components=k, random_state=0), LinearSVC()).fit(
        X_train, y_train
    )
    rows.append(
        (rate, k, pruner.score(X_test, y_test), nystroem.score(X_test, y_test),
         svc_seconds / predict_seconds(pruner.estimator_),
         svc_seconds / predict_seconds(nystroem), reduced.score(X_test, y_test),
         svc_seconds / predict_seconds(reduced.estimator_))
    )  # fmt: skip
print("rate     k  pruned SVC  reduced set  Nystroem  speed-up pruned  Nystroem")
for rate, k, pruned, nys, speed_pruned, speed_nys, reduced, _ in rows:
    print(
        f"{rate:<5}{k:>5}{pruned:>12.3f}{reduced:>13.3f}{nys:>10.3f}"
        f"{speed_pruned:>16.1f}x{speed_nys:>9.1f}x"
    )

# %%
fig, (ax_k, ax_time) = plt.subplots(1, 2, figsize=(9, 3.5))
ks = [row[1] for row in rows]
ax_k.plot(ks, [row[2] for row in rows], marker="o", label="pruned SVC")
ax_k.plot(ks, [row[6] for row in rows], marker="^", label="reduced set")
ax_k.plot(ks, [row[3] for row in rows], marker="s", label="Nystroem + LinearSVC")
ax_k.axhline(svc.score(X_test, y_test), color="gray", linestyle="--", label="SVC")
ax_k.set(
    xscale="log", xlabel="kernel evaluations per sample (k)", ylabel="test accuracy"
)
ax_time.plot(
    [row[4] for row in rows], [row[2] for row in rows], marker="o", label="pruned SVC"
)
ax_time.plot(
    [row[7] for row in rows], [row[6] for row in rows], marker="^", label="reduced set"
)
ax_time.plot(
    [row[5] for row in rows],
    [row[3] for row in rows],
    marker="s",
    label="Nystroem + LinearSVC",
)
ax_time.set(xscale="log", xlabel="predict speed-up vs SVC", ylabel="test accuracy")
ax_k.legend()
fig.tight_layout()

# %%
# At the same number of kernel evaluations the pruned SVCs are the more
# accurate (the reduced set most at the highest rates), but Nystroem
# computes its kernel with BLAS while libsvm goes vector by vector: compare
# at equal predict time too (right), as ``benchmarks/bench_svm.py`` does on
# larger problems. The pruner's own ``predict`` evaluates the kernel with
# BLAS as well (see the SVM user guide).
