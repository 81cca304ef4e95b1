"""Benchmark SVMPruner's ``refit="labels"`` against ``refit="coef"`` on regressors.

Problems (features standardised on the training part, missing values
imputed by its medians; targets standardised by the training mean and
standard deviation):

- ``friedman1``: ``make_friedman1(n_samples=3000, noise=1.0,
  random_state=0)``;
- ``diabetes``: ``load_diabetes()``;
- ``concrete``, ``Computers``, ``SaratogaHouses`` and ``Wage``: real
  regression sets shipped inside packages of the ``benchmark`` extra
  (``benchmarks/_common.py``), loaded in the order they ship in.

Each problem is split at random 70/30 ``--splits`` times (default 3, seeds
0, 1, ...; 1 with ``--quick``). On every split, ``SVR()`` and ``NuSVR()``
with their default parameters are fitted (timed), then pruned with
``SVMPruner(FrozenEstimator(svm), prune_rate=r, refit=refit,
random_state=0)`` for ``r`` in 0.5, 0.8, 0.9 and ``refit`` in ``"coef"``
(the default: least squares on the SVM's own predictions) and ``"labels"``
(a ``LinearSVR`` trained on the targets over the kept vectors' whitened
kernel features), each pruning timed.

Recorded: the test R^2 of the unpruned and of every pruned model, its loss
in R^2 points (x100) against the unpruned one, the vectors kept, the pruning
time over the SVM's fit time (wall-clock), and the ``ConvergenceWarning``
count; figures are means over the splits (the warnings are summed).
Results are printed and written to
``benchmarks/results/bench_svr_labels.json``. Run from the repository root::

    python benchmarks/bench_svr_labels.py           # 6 problems, 3 splits
    python benchmarks/bench_svr_labels.py --quick   # friedman1 and diabetes, 1 split

``--quick`` writes ``bench_svr_labels_quick.json``.
"""

import warnings

import numpy as np
from _common import (
    REAL_REGRESSION,
    BenchmarkParser,
    mean_over_splits,
    metadata,
    missing_packages,
    standardize,
    timed,
    write_results,
)
from _common import load as load_registered
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.svm import SVR, NuSVR

from skprune.svm import SVMPruner

RATES = [0.5, 0.8, 0.9]
REFITS = ["coef", "labels"]
MODELS = {"SVR": SVR, "NuSVR": NuSVR}
# Not in the registry: a smaller friedman1 than bench_svm's, and diabetes.
LOCAL = {
    "friedman1": lambda: make_friedman1(n_samples=3000, noise=1.0, random_state=0),
    "diabetes": lambda: load_diabetes(return_X_y=True),
}
REAL = list(REAL_REGRESSION)
PROBLEMS = [*LOCAL, *REAL]
QUICK_PROBLEMS = list(LOCAL)


def load(name):
    """``(X, y)`` of a problem, ``y`` as floats."""
    X, y = LOCAL[name]() if name in LOCAL else load_registered(name)
    return X, np.asarray(y, dtype=np.float64)


def split(X, y, seed):
    """A 70/30 split, X standardised and y scaled by the training part."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed
    )
    mean, std = y_train.mean(), y_train.std()
    X_train, X_test = standardize(X_train, X_test)
    return X_train, X_test, (y_train - mean) / std, (y_test - mean) / std


def prune(svm, rate, refit, X_train, y_train):
    """The fitted pruner, its pruning time and its convergence warnings."""
    pruner = SVMPruner(
        FrozenEstimator(svm), prune_rate=rate, refit=refit, random_state=0
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        _, prune_time = timed(pruner.fit, X_train, y_train)
    n_warnings = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return pruner, prune_time, n_warnings


def run_split(model, X_train, X_test, y_train, y_test):
    svm, fit_time = timed(model().fit, X_train, y_train)
    unpruned = svm.score(X_test, y_test)
    row = {
        "unpruned": unpruned,
        "n_sv": len(svm.support_),
        "fit_time": fit_time,
        "rates": {},
    }
    for rate in RATES:
        entry = {}
        for refit in REFITS:
            pruner, prune_time, n_warnings = prune(svm, rate, refit, X_train, y_train)
            score = pruner.score(X_test, y_test)
            entry[refit] = {
                "score": score,
                "loss_points": 100 * (unpruned - score),
                "k": int(pruner.n_units_after_),
                "prune_over_fit": prune_time / fit_time,
                "convergence_warnings": n_warnings,
            }
        row["rates"][str(rate)] = entry
    return row


def print_summary(name, model, n_train, r):
    print(
        f"{name} {model} ({n_train} training rows): unpruned R^2 "
        f"{r['unpruned']:.4f}, {r['n_sv']:.0f} vectors, fit {r['fit_time']:.2f} s"
    )
    for rate, entry in r["rates"].items():
        cells = "  ".join(
            f"{refit} {e['loss_points']:+.2f} pt lost ({e['prune_over_fit']:.1f} fits, "
            f"{e['convergence_warnings']} warnings)"
            for refit, e in entry.items()
        )
        k = entry[REFITS[0]]["k"]
        print(f"  {float(rate):.1f}: k={k:.0f}  {cells}")


def main():
    parser = BenchmarkParser(__doc__.splitlines()[0])
    parser.add_sized_argument("--splits", 3, 1, "random 70/30 splits", type=int)
    parser.add_argument("--problems", nargs="+", default=None, choices=PROBLEMS)
    args = parser.parse_args()
    if args.problems is None:
        args.problems = QUICK_PROBLEMS if args.quick else PROBLEMS
    missing = missing_packages()
    if missing and set(args.problems) & set(REAL):
        parser.error(f"the real data sets need the benchmark extra: {missing} missing")
    results = {}
    for name in args.problems:
        X, y = load(name)
        splits = [split(X, y, seed) for seed in range(args.splits)]
        results[name] = {"n_samples": len(y), "n_features": X.shape[1]}
        for model_name, model in MODELS.items():
            rows = [run_split(model, *parts) for parts in splits]
            summary = mean_over_splits(rows, summed=("convergence_warnings",))
            results[name][model_name] = summary
            print_summary(name, model_name, len(splits[0][0]), summary)
    meta = metadata(
        quick=args.quick,
        splits=args.splits,
        problems=args.problems,
        rates=RATES,
        refits=REFITS,
    )
    write_results(args, "bench_svr_labels", {"meta": meta, "results": results})


if __name__ == "__main__":
    main()
