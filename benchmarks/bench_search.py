"""What tuning ``prune_rate`` costs: cached search vs. base fits vs. naive search.

For every pruner family, on one data set per family (trees: a noisy
100k-sample problem; SVMs: an RBF SVC on 8k samples; MLPs: a (64,) network
on digits, neuron pruning with its default fine-tuning), the script
measures side by side in one run (``n_jobs=1``, ``time.perf_counter``):

- ``base_fit_5``: five fits of the unpruned model on 4/5 of the data (what a
  5-fold search cannot avoid), timed before and after the searches, the
  faster of the two kept;
- ``cached``: ``GridSearchCV`` over 10 prune rates, 5-fold, ``refit=False``,
  with the base fit cached in a ``joblib.Memory`` on disk (a new one for
  each run; the faster of two runs);
- ``naive``: the same search without ``memory`` (one base fit per candidate
  and fold);
- ``curve``: :func:`skprune.model_selection.pruning_curve` over the same rates
  and folds (in-memory cache; no train scores, as in the searches; the
  faster of two runs, interleaved with those of ``cached``).

Ratios reported: ``cached / base_fit_5`` (target <= 1.5), ``naive / cached``
(target >= 5) and ``curve / cached`` (target <= 1). Scoring the candidates is
part of any search, pruned or not, and for SVMs it alone can exceed the 1.5
budget (libsvm's predict on a test fold costs about 0.35 of a fit): the
search's own ``score_time`` (summed over candidates and folds) is reported,
and ``cached / (base_fit_5 + score)`` is the search's cost over the work no
pruner can avoid. The naive search is the
slow part of the run; ``--quick`` shrinks the data (2,000 / 600 / 600
samples, a 30-iteration MLP) for a smoke test of the script: at that size
the fits take milliseconds and the ratios measure overheads, not the method.

Run from the repository root::

    python benchmarks/bench_search.py            # full size
    python benchmarks/bench_search.py --quick    # small data, about 1 minute

Results go to ``bench_search.json`` in ``--output-dir`` (default
``benchmarks/results``; ``--quick``: ``bench_search_quick.json``; a run of
some ``--families`` only appends their names, e.g. ``bench_search_svm.json``).
"""

import tempfile
import warnings

import numpy as np
from _common import BenchmarkParser, load, metadata, timed, write_results
from joblib import Memory
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from skprune.model_selection import pruning_curve
from skprune.neural_network import MLPPruner
from skprune.svm import SVMPruner
from skprune.tree import TreePruner

RATES = [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.85, 0.9, 0.95]


def tree_family(quick):
    """A noisy classification problem and a tree pruner."""
    X, y = load("search_tree", n_samples=2_000 if quick else None)
    return TreePruner(DecisionTreeClassifier(random_state=0), random_state=0), X, y


def svm_family(quick):
    """A noisy classification problem and an RBF SVC pruner."""
    X, y = load("search_svm", n_samples=600 if quick else None)
    return SVMPruner(SVC(), random_state=0), StandardScaler().fit_transform(X), y


def mlp_family(quick):
    """Digits and a neuron pruner of a one-hidden-layer MLP."""
    X, y = load("digits")
    if quick:
        X, y = X[:600], y[:600]
    # max_iter is a budget: the fit stops there unconverged (warnings muted).
    mlp = MLPClassifier((64,), max_iter=30 if quick else 300, random_state=0)
    return MLPPruner(mlp, random_state=0), X / 16.0, y


FAMILIES = {"tree": tree_family, "svm": svm_family, "mlp": mlp_family}


def time_base_fits(pruner, X, y, cv):
    """Five plain fits of the unpruned model, one per training fold."""
    total = 0.0
    for train, _ in cv.split(X, y):
        _, seconds = timed(clone(pruner.estimator).fit, X[train], y[train])
        total += seconds
    return total


def time_search(pruner, X, y, cv, memory):
    search = GridSearchCV(
        clone(pruner).set_params(memory=memory),
        {"prune_rate": RATES},
        cv=cv,
        refit=False,
    )
    _, seconds = timed(search.fit, X, y)
    results = search.cv_results_
    score_seconds = float(np.sum(results["mean_score_time"]) * cv.get_n_splits())
    return seconds, results["mean_test_score"], score_seconds


def bench_family(name, make_family, quick):
    pruner, X, y = make_family(quick)
    cv = KFold(5, shuffle=True, random_state=0)
    # Timed before and after the searches, the faster kept: the machine is
    # shared, and a load spike during one measurement would skew the ratio.
    base_fit_5_before = time_base_fits(pruner, X, y, cv)
    # The cached search and the pruning curve, which differ by a few percent
    # at most, are each timed twice, interleaved, and the faster run kept.
    cached_runs, curve_runs = [], []
    for _ in range(2):
        with tempfile.TemporaryDirectory(prefix="skprune-bench-") as location:
            cached_runs.append(
                time_search(pruner, X, y, cv, Memory(location, verbose=0))
            )
        curve_runs.append(
            timed(
                pruning_curve,
                pruner,
                X,
                y,
                prune_rates=RATES,
                cv=cv,
                return_train_score=False,
            )
        )
    cached, cached_scores, score_seconds = min(cached_runs, key=lambda r: r[0])
    curve, curve_seconds = min(curve_runs, key=lambda r: r[1])
    naive, naive_scores, _ = time_search(pruner, X, y, cv, None)
    base_fit_5 = min(base_fit_5_before, time_base_fits(pruner, X, y, cv))
    return {
        "family": name,
        "estimator": repr(pruner),
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "seconds": {
            "base_fit_5": base_fit_5,
            "base_fit_5_before_searches": base_fit_5_before,
            "cached_search": cached,
            "naive_search": naive,
            "pruning_curve": curve_seconds,
            "cached_search_scoring": score_seconds,
        },
        "ratios": {
            "cached_over_base_fits": cached / base_fit_5,
            "cached_over_base_fits_and_scoring": cached / (base_fit_5 + score_seconds),
            "naive_over_cached": naive / cached,
            "curve_over_cached": curve_seconds / cached,
        },
        "targets_met": {
            "cached_over_base_fits<=1.5": cached / base_fit_5 <= 1.5,
            "naive_over_cached>=5": naive / cached >= 5,
            "curve_over_cached<=1": curve_seconds <= cached,
        },
        # Caching must not change results: the same scores either way.
        "max_score_difference": float(
            max(
                np.max(np.abs(cached_scores - naive_scores)),
                np.max(np.abs(curve.test_scores.mean(axis=1) - cached_scores)),
            )
        ),
    }


def print_row(row):
    s, r = row["seconds"], row["ratios"]
    print(
        f"{row['family']:<8}{row['n_samples']:>9}{s['base_fit_5']:>10.2f}"
        f"{s['cached_search']:>10.2f}{s['naive_search']:>10.2f}"
        f"{s['pruning_curve']:>10.2f}{r['cached_over_base_fits']:>10.2f}"
        f"{r['naive_over_cached']:>10.1f}{r['curve_over_cached']:>10.2f}"
        f"{r['cached_over_base_fits_and_scoring']:>10.2f}"
        f"{row['max_score_difference']:>10.1e}"
    )


def main(argv=None):
    parser = BenchmarkParser(__doc__.split("\n")[0])
    parser.add_argument(
        "--families", nargs="*", default=list(FAMILIES), choices=list(FAMILIES)
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"GridSearchCV over {len(RATES)} prune rates, 5-fold, n_jobs=1")
    print(
        f"{'family':<8}{'samples':>9}{'5 fits':>10}{'cached':>10}{'naive':>10}"
        f"{'curve':>10}{'c/fits':>10}{'n/c':>10}{'curve/c':>10}"
        f"{'c/(f+s)':>10}{'score d':>10}"
    )
    rows = []
    for name in args.families:
        rows.append(bench_family(name, FAMILIES[name], args.quick))
        print_row(rows[-1])
    print("targets: cached/fits <= 1.5, naive/cached >= 5, curve/cached <= 1")
    stem = "bench_search"
    if sorted(args.families) != sorted(FAMILIES):
        # A run of some families does not overwrite the results of all.
        stem += "_" + "_".join(args.families)
    meta = metadata(
        quick=args.quick, rates=RATES, cv="KFold(5, shuffle=True, random_state=0)"
    )
    write_results(args, stem, {"meta": meta, "families": rows})


if __name__ == "__main__":
    main()
