"""Benchmark ForestPruner: tree selection and per-tree pruning of random forests.

For every data set, an outer cross-validation (5 shuffled folds, stratified
for classifiers, ``random_state=0``; 3 with ``--quick``) fits one
``RandomForestClassifier`` / ``RandomForestRegressor(n_estimators=200,
random_state=0, n_jobs=1)`` per fold on the training part (held in a
:class:`skprune.model_selection.InMemoryCache`, so every variant prunes that
same forest) and measures on the test part, side by side:

- ``full``: the unpruned forest;
- ``select_0.8``: ``ForestPruner(method="select", prune_rate=0.8)``, ordered
  aggregation on the out-of-bag rows, 40 of the 200 trees kept;
- ``random_0.8``: 40 trees drawn at random (the mean of 5 draws), the
  baseline a selection must beat;
- ``select_auto``: the prefix of the order with the least out-of-bag error;
- ``cc_0.5``: every tree pruned by cost-complexity to half its leaves;
- ``rep_auto``: every tree pruned by reduced-error pruning on its own
  out-of-bag rows (Quinlan's rule);
- ``select_0.8+cc_0.5``: both.
- ``scratch_0.5``: the anchor for ``cc_0.5``, what a user would do instead
  of pruning: the same forest grown small from scratch, with
  ``max_leaf_nodes`` set to half the unpruned trees' median leaf count
  (about half the nodes).

Reported per variant: the test score (accuracy, or R²) minus the full
forest's, the share of nodes kept, the predict-time speed-up (``n_jobs=1``;
the test rows repeated to at least 20,000; best of ``--repeats`` calls of
each model, the full forest and the variant timed in turn) and the pruning
time over the forest's fit time. Numbers are averaged over the folds.

Targets: ``select_0.8`` at most 0.5 pt (0.005) below the full
forest and at least 3.5x faster; ``cc_0.5`` at most 0.5 pt below with half
the nodes; ``select_0.8`` above ``random_0.8``. Also reported: whether
``cc_0.5`` beats ``scratch_0.5``.

Data: real sets shipped inside packages (``benchmarks/_common.py``, the
``benchmark`` extra), rows in the order they ship in, and a noisy
``make_classification`` problem (5,000 x 20, ``flip_y=0.2``).

Run from the repository root::

    python benchmarks/bench_forest.py            # all sets, 5 folds
    python benchmarks/bench_forest.py --quick    # 2 sets, 3 folds, 50 trees

Writes ``bench_forest.json`` (``bench_forest_quick.json`` with ``--quick``)
to ``--output-dir`` (default ``benchmarks/results``).
"""

import time

import numpy as np
from _common import (
    BenchmarkParser,
    best_times,
    data_info,
    load,
    mean_over_splits,
    metadata,
    missing_packages,
    task_of,
    timed,
    write_results,
)
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.model_selection import KFold, StratifiedKFold

from skprune.ensemble import ForestPruner
from skprune.model_selection import InMemoryCache

SEED = 0
N_TREES = 200
QUICK_N_TREES = 50
N_RANDOM_DRAWS = 5
MIN_TIMING_ROWS = 20_000
SETS = ("noisy_synthetic", "hpc_data", "credit_data", "mlc_churn", "OJ", "Computers")
QUICK_SETS = ("noisy_synthetic", "OJ")
VARIANTS = {
    "select_0.8": {"method": "select", "prune_rate": 0.8},
    "select_auto": {"method": "select", "prune_rate": "auto"},
    "cc_0.5": {"method": "cost_complexity", "prune_rate": 0.5},
    "rep_auto": {"method": "reduced_error", "prune_rate": "auto"},
    "select_0.8+cc_0.5": {
        "method": "select",
        "prune_rate": 0.8,
        "tree_method": "cost_complexity",
        "tree_prune_rate": 0.5,
    },
}
TARGETS = {"max_loss": 0.005, "min_select_speedup": 3.5}


class FitRecorder(InMemoryCache):
    """An ``InMemoryCache`` that keeps the result and seconds of every call it ran.

    The first pruner fitted on a fold fits the forest through the cache: the
    recorder hands that very forest, and its fit time, to the comparison, so
    that every variant prunes the forest that is scored as the full one.
    """

    def __init__(self):
        super().__init__()
        self.runs_ = []

    def cache(self, func):
        cached = super().cache(func)

        def call(*args, **kwargs):
            n_calls = self.n_calls_
            result, seconds = timed(cached, *args, **kwargs)
            if self.n_calls_ > n_calls:
                self.runs_.append((result, seconds))
            return result

        return call


def speedup(full, pruned, X, repeats):
    """Predict time of ``full`` over ``pruned``, timed in turn."""
    times = best_times({"full": full.predict, "pruned": pruned.predict}, repeats, X)
    return times["full"] / times["pruned"]


def random_subset_score(forest, n_kept, X, y, rng):
    """Test score of a forest of ``n_kept`` trees drawn at random."""
    scores = []
    for _ in range(N_RANDOM_DRAWS):
        subset = clone(forest)
        trees = rng.choice(len(forest.estimators_), size=n_kept, replace=False)
        subset.__dict__.update(
            {k: v for k, v in forest.__dict__.items() if k.endswith("_")}
        )
        subset.estimators_ = [forest.estimators_[t] for t in trees]
        subset.n_estimators = n_kept
        scores.append(subset.score(X, y))
    return float(np.mean(scores))


def scratch_row(forest, full, X_train, y_train, X_test, y_test, X_timing, repeats):
    """The forest grown small from scratch: half the median leaf count."""
    median_leaves = np.median([tree.tree_.n_leaves for tree in full.estimators_])
    small = clone(forest).set_params(max_leaf_nodes=max(2, int(median_leaves // 2)))
    small.fit(X_train, y_train)
    n_nodes = sum(tree.tree_.node_count for tree in small.estimators_)
    return {
        "score_diff": small.score(X_test, y_test) - full.score(X_test, y_test),
        "node_share": n_nodes / sum(tree.tree_.node_count for tree in full.estimators_),
        "speedup": speedup(full, small, X_timing, repeats),
    }


def prune_variants(forest, X_train, y_train):
    """The fitted forest, its fit time, and every variant's pruner and time."""
    cache = FitRecorder()
    pruners = {}
    for variant, params in VARIANTS.items():
        pruner = ForestPruner(forest, memory=cache, **params)
        n_runs = len(cache.runs_)
        _, seconds = timed(pruner.fit, X_train, y_train)
        # The forest's fit, run by the first pruner only, is no pruning time.
        seconds -= sum(run_seconds for _, run_seconds in cache.runs_[n_runs:])
        pruners[variant] = pruner, seconds
    ((full, fit_time),) = cache.runs_
    return full, fit_time, pruners


def fold_rows(name, X, y, task, train, test, n_trees, repeats, rng):
    forest = (
        RandomForestClassifier if task == "classification" else RandomForestRegressor
    )(n_estimators=n_trees, random_state=SEED, n_jobs=1)
    X_train, y_train = X[train], y[train]
    X_test, y_test = X[test], y[test]
    full, fit_time, pruners = prune_variants(forest, X_train, y_train)
    full_score = full.score(X_test, y_test)
    n_rows = int(np.ceil(MIN_TIMING_ROWS / len(test)))
    X_timing = np.concatenate([X_test] * n_rows)
    rows = {
        "full": {"score": full_score, "fit_time_s": fit_time},
        "random_0.8": {
            "score_diff": random_subset_score(full, n_trees // 5, X_test, y_test, rng)
            - full_score
        },
    }
    rows["scratch_0.5"] = scratch_row(
        forest, full, X_train, y_train, X_test, y_test, X_timing, repeats
    )
    for variant, (pruner, prune_time) in pruners.items():
        rows[variant] = {
            "score_diff": pruner.score(X_test, y_test) - full_score,
            "trees_kept": pruner.n_trees_after_,
            "node_share": pruner.n_nodes_after_ / pruner.n_nodes_before_,
            "speedup": speedup(full, pruner.estimator_, X_timing, repeats),
            "prune_time_ratio": prune_time / fit_time,
        }
    return rows


def bench_set(name, n_folds, n_trees, repeats):
    (X, y), task = load(name), task_of(name)
    folds = (StratifiedKFold if task == "classification" else KFold)(
        n_folds, shuffle=True, random_state=SEED
    )
    rng = np.random.RandomState(SEED)
    fold_results = [
        fold_rows(name, X, y, task, train, test, n_trees, repeats, rng)
        for train, test in folds.split(X, y)
    ]
    summary = mean_over_splits(fold_results)
    select, cc = summary["select_0.8"], summary["cc_0.5"]
    return {
        **data_info(name, X, y),
        "summary": summary,
        "folds": fold_results,
        "targets_met": {
            "select_0.8_loss": select["score_diff"] >= -TARGETS["max_loss"],
            "select_0.8_speedup": select["speedup"] >= TARGETS["min_select_speedup"],
            "select_beats_random": select["score_diff"]
            > summary["random_0.8"]["score_diff"],
            "cc_0.5_loss": cc["score_diff"] >= -TARGETS["max_loss"],
            "cc_0.5_half_nodes": cc["node_share"] <= 0.5 + 1e-9 + 0.01,
            "cc_0.5_beats_scratch": cc["score_diff"]
            >= summary["scratch_0.5"]["score_diff"],
        },
    }


def print_set(result):
    s = result["summary"]
    print(
        f"\n{result['name']} ({result['metric']}; n={result['n_samples']}): "
        f"full {s['full']['score']:.4f}, forest fit {s['full']['fit_time_s']:.2f} s"
    )
    print(
        f"{'variant':<20}{'diff':>9}{'trees':>7}{'nodes':>8}{'speed-up':>10}"
        f"{'prune/fit':>11}"
    )
    print(f"{'random_0.8':<20}{s['random_0.8']['score_diff']:>+9.4f}")
    r = s["scratch_0.5"]
    print(
        f"{'scratch_0.5':<20}{r['score_diff']:>+9.4f}{'all':>7}"
        f"{r['node_share']:>8.3f}{r['speedup']:>10.2f}"
    )
    for variant in VARIANTS:
        r = s[variant]
        print(
            f"{variant:<20}{r['score_diff']:>+9.4f}{r['trees_kept']:>7.0f}"
            f"{r['node_share']:>8.3f}{r['speedup']:>10.2f}{r['prune_time_ratio']:>11.3f}"
        )
    missed = [k for k, met in result["targets_met"].items() if not met]
    print("targets missed: " + (", ".join(missed) if missed else "none"))


def parse_args(argv=None):
    parser = BenchmarkParser(__doc__.splitlines()[0])
    parser.add_repeats(5, help="predict timings per model (best kept)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    missing = missing_packages()
    if missing:
        raise SystemExit(
            f"the real data sets need {', '.join(missing)}: "
            'pip install "skprune[benchmark]"'
        )
    start = time.perf_counter()
    n_trees = QUICK_N_TREES if args.quick else N_TREES
    n_folds = 3 if args.quick else 5
    results = []
    for name in QUICK_SETS if args.quick else SETS:
        results.append(bench_set(name, n_folds, n_trees, args.repeats))
        print_set(results[-1])
    meta = metadata(
        quick=args.quick,
        n_trees=n_trees,
        n_folds=n_folds,
        repeats=args.repeats,
        n_jobs=1,
        timer="time.perf_counter",
        targets=TARGETS,
        total_time_s=time.perf_counter() - start,
    )
    write_results(args, "bench_forest", {"metadata": meta, "sets": results})


if __name__ == "__main__":
    main()
