"""Benchmark TreePruner against scikit-learn's own cost-complexity pruning.

The data is a noisy ``make_classification`` problem (20 features, 10 of them
informative, 20% of the labels flipped, ``random_state=0``), split 80/20 into a
training set and a held-out test set. The trees are
``DecisionTreeClassifier(random_state=0)`` grown to purity, so they overfit and
pruning matters. Everything runs with ``n_jobs=1``; times are wall-clock
(``time.perf_counter``).

Three things are measured in one run:

1. **Pruning cost.** The time of ``TreePruner(FrozenEstimator(tree), ...).fit``
   divided by the time of fitting ``tree`` (target: <= 0.02), for
   ``method="cost_complexity"`` (the tree grown on the whole training set,
   ``prune_rate`` 0.5 and 0.9) and ``method="reduced_error"`` (the tree grown
   on 75% of the training set, the other 25% passed as ``X``, the pruning set;
   ``prune_rate`` 0.5, 0.9 and "auto"). No base fit happens inside these
   pruner fits, so the whole pruner fit is the pruning time; it is the median
   of ``--repeats`` runs. For contrast, scikit-learn's
   ``cost_complexity_pruning_path`` (which refits the tree) is timed too.

2. **Tuning cost.** ``GridSearchCV`` over 8 values of ``prune_rate`` of a
   ``TreePruner`` whose base fit is cached in a ``joblib.Memory`` (one tree per
   fold instead of one per candidate), against ``GridSearchCV`` over 8 values
   of ``ccp_alpha`` of a ``DecisionTreeClassifier``, with the same 3-fold
   splitter (target: ours <= 0.25 of scikit-learn's time, at an equal or
   better best CV score). scikit-learn's 8 alphas are what a user would take:
   ``cost_complexity_pruning_path`` on the training set, and for each of our
   prune rates the first alpha of the path whose subtree keeps at most as many
   leaves as that rate keeps (the leaves of every path step follow from the
   path: a step at ``alpha`` that lowers the total impurity by ``d`` removes
   ``d / alpha`` leaves). The time of that path is reported separately; the
   headline ratio does *not* include it in scikit-learn's time (the
   conservative choice), and a second ratio does. Both searches refit the best
   candidate on the whole training set; its test accuracy is reported. The
   reduced-error pruner is given ``random_state=0``: with the default
   ``random_state=None`` every fit draws another pruning-set split, so the
   cached tree is never reused.

3. **Size and accuracy.** Leaves and test accuracy at prune rates 0, 0.25,
   0.5, 0.75, 0.9, 0.95, 0.98 and "auto" for both methods (the trees of 1;
   cost-complexity "auto" cross-validates, so it fits the unfrozen pruner),
   against scikit-learn's best-``ccp_alpha`` tree of 2, and the trees of all
   of scikit-learn's candidate alphas refitted on the training set.

4. **"auto" on real data.** Nine real data sets shipped inside installable
   packages (``benchmarks/_common.py``: five classification, four
   regression; the ``benchmark`` extra installs them; rows kept in the order
   they ship in), outer 5-fold cross-validation (shuffled, stratified for
   classifiers, ``random_state=0``). In every outer fold, on the training
   part: scikit-learn's usual recipe, ``GridSearchCV`` over 30 ``ccp_alpha``
   values of ``cost_complexity_pruning_path`` (evenly spaced by index over
   its distinct alphas, the root excluded) with a shuffled inner 5-fold, and
   ``TreePruner(tree, random_state=0)`` with its defaults
   (``selection="min"``, shuffled folds), with ``selection="1se"``, and with
   the previous defaults (unshuffled folds, ``"1se"``); and
   ``TreePruner(tree, method="reduced_error", random_state=0)`` with its
   default rule (one standard error on the pruning set) and with
   ``selection="min"`` (Quinlan's rule). Test accuracy / R² and leaves are
   averaged over the outer folds; the cost is the CPU time
   (``time.process_time``) of the whole selection, path included, summed
   over the outer folds (one run each). Targets: the cost-complexity
   defaults within 0.01 (accuracy or R²) of the grid on every set, at a
   fraction of its cost; reduced-error "auto" against cost-complexity
   "auto", a mean accuracy gap over the classification sets of at most
   0.003, a mean R² gap over the regression sets of at most 0.01, and at
   most 3 times as many leaves on every set.

5. **simplify on real data.** On the same sets, the leaves that
   :func:`skprune.tree.simplify` removes (``keep="predict"`` and
   ``keep="values"``) from a fully grown tree, from a tree grown with
   ``min_samples_leaf=5`` and from the tree of ``"auto"``, all fitted on the
   whole set; its predictions are checked identical on the set.

Results are printed as tables and written to ``benchmarks/results/`` as JSON
(all raw times, ratios and metadata) and, if matplotlib is importable, a PNG
plot of test accuracy against the number of leaves.

Run from the repository root::

    python benchmarks/bench_tree.py               # full size, 250k samples
    python benchmarks/bench_tree.py --quick       # 20k samples, < 1 minute
    python benchmarks/bench_tree.py --n-samples 400000 --repeats 5
    python benchmarks/bench_tree.py --sections real   # only 4.

``--quick`` writes ``bench_tree_quick.json`` / ``.png`` so that a smoke test
does not overwrite the full-size results.
"""

import math
import statistics
import tempfile
import time

import numpy as np
from _common import (
    REAL_CLASSIFICATION,
    REAL_REGRESSION,
    BenchmarkParser,
    cpu_timed,
    data_info,
    describe,
    load,
    metadata,
    missing_packages,
    plot_rows,
    pyplot,
    save_figure,
    task_of,
    timed,
    write_results,
)
from joblib import Memory
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skprune.tree import TreePruner, simplify

FULL_N_SAMPLES = 250_000
QUICK_N_SAMPLES = 20_000
SEED = 0
TEST_SIZE = 0.2
VALIDATION_FRACTION = 0.25  # TreePruner's default pruning-set share

PRUNE_TIME_TARGET = 0.02
SEARCH_TIME_TARGET = 0.25
TIMED_RATES = {
    "cost_complexity": (0.5, 0.9),
    "reduced_error": (0.5, 0.9, "auto"),
}
GRID_RATES = (0.0, 0.5, 0.75, 0.9, 0.93, 0.95, 0.97, 0.99)
SIZE_RATES = (0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, "auto")
METHODS = ("cost_complexity", "reduced_error")
# The searches of 2: each method, and reduced-error with backfitting (the
# pruning set then also informs the leaves of the tree it did not grow).
SEARCHES = {
    "cost_complexity": {"method": "cost_complexity"},
    "reduced_error": {"method": "reduced_error"},
    "reduced_error+bf": {"method": "reduced_error", "backfit": True},
}
SKLEARN_ALPHA_CHOICE = (
    "for each prune rate r of our grid, the first alpha of "
    "cost_complexity_pruning_path(X_train) whose subtree has at most "
    "ceil((1 - r) * n_leaves) leaves (leaves per step = impurity drop / alpha)"
)


# ----------------------------------------------------------------- helpers --


def new_tree(**params):
    return DecisionTreeClassifier(random_state=SEED, **params)


def max_leaves(n_leaves, rate):
    """Leaves kept at ``rate``: TreePruner's rule."""
    return max(1, math.ceil(round((1 - rate) * n_leaves, 9)))


def make_data(n_samples):
    """The noisy problem, split into training and test sets."""
    X, y = load("noisy_tree", n_samples=n_samples)
    return train_test_split(X, y, test_size=TEST_SIZE, stratify=y, random_state=SEED)


def split_pruning_set(X_train, y_train):
    """Growing and pruning parts of the training set, as reduced-error uses."""
    return train_test_split(
        X_train,
        y_train,
        test_size=VALIDATION_FRACTION,
        stratify=y_train,
        random_state=SEED,
    )


# ------------------------------------------------------- 1. pruning cost --


def time_frozen_pruner(tree, method, rate, X, y, repeats):
    """Times of ``repeats`` pruner fits on a frozen tree, and the last pruner."""
    times = []
    for _ in range(repeats):
        pruner = TreePruner(FrozenEstimator(tree), method=method, prune_rate=rate)
        pruner, seconds = timed(pruner.fit, X, y)
        times.append(seconds)
    return times, pruner


def prune_time_row(method, rate, times, fit_time, pruner):
    median = statistics.median(times)
    ratio = median / fit_time
    return {
        "method": method,
        "prune_rate": rate,
        "prune_times_s": times,
        "prune_time_s": median,
        "base_fit_time_s": fit_time,
        "ratio": ratio,
        "target": PRUNE_TIME_TARGET,
        "target_met": ratio <= PRUNE_TIME_TARGET,
        "n_leaves_before": pruner.n_units_before_,
        "n_leaves_after": pruner.n_units_after_,
    }


def fit_base_trees(X_train, y_train, X_grow, y_grow):
    """The unpruned trees of both methods and their fit times."""
    tree_cc, fit_cc = timed(new_tree().fit, X_train, y_train)
    tree_re, fit_re = timed(new_tree().fit, X_grow, y_grow)
    return {
        "cost_complexity": {"tree": tree_cc, "fit_time_s": fit_cc},
        "reduced_error": {"tree": tree_re, "fit_time_s": fit_re},
    }


def bench_prune_times(bases, prune_data, repeats):
    """Ratio of pruning time to base fit time for every timed rate."""
    rows = []
    for method in METHODS:
        tree, fit_time = bases[method]["tree"], bases[method]["fit_time_s"]
        X, y = prune_data[method]
        for rate in TIMED_RATES[method]:
            times, pruner = time_frozen_pruner(tree, method, rate, X, y, repeats)
            rows.append(prune_time_row(method, rate, times, fit_time, pruner))
    return rows


def bench_sklearn_path(X_train, y_train, fit_time):
    """scikit-learn's cost_complexity_pruning_path, timed against one fit."""
    path, seconds = timed(new_tree().cost_complexity_pruning_path, X_train, y_train)
    timing = {
        "time_s": seconds,
        "base_fit_time_s": fit_time,
        "ratio": seconds / fit_time,
        "n_steps": len(path.ccp_alphas),
    }
    return path, timing


# -------------------------------------------------------- 2. tuning cost --


def path_leaves(path):
    """Number of leaves of the subtree at every step of a sklearn path."""
    drops = np.diff(path.impurities)
    alphas = path.ccp_alphas[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        removed = np.where(alphas > 0, np.rint(drops / alphas), 1.0)
    removed = np.maximum(removed, 1.0)
    removed_after = np.concatenate(([0.0], np.cumsum(removed)))
    return (1 + removed_after[-1] - removed_after).astype(int)


def sklearn_alpha_grid(path, rates):
    """The path alphas whose subtrees keep the leaves our prune rates keep."""
    leaves = path_leaves(path)
    alphas = []
    for rate in rates:
        step = int(np.flatnonzero(leaves <= max_leaves(leaves[0], rate))[0])
        alphas.append(float(path.ccp_alphas[step]))
    return alphas, leaves


def n_leaves_of(estimator):
    if isinstance(estimator, TreePruner):
        return int(estimator.n_units_after_)
    return int(estimator.get_n_leaves())


def run_search(estimator, grid, cv, data):
    """Fit a GridSearchCV and summarise its time, best CV and test scores."""
    X_train, X_test, y_train, y_test = data
    search = GridSearchCV(estimator, grid, cv=cv, n_jobs=1)
    search, seconds = timed(search.fit, X_train, y_train)
    name = next(iter(grid))
    return {
        "time_s": seconds,
        "param": name,
        "candidates": [float(value) for value in grid[name]],
        "mean_cv_scores": search.cv_results_["mean_test_score"].tolist(),
        "best_param": float(search.best_params_[name]),
        "best_cv_score": float(search.best_score_),
        "best_test_accuracy": float(search.score(X_test, y_test)),
        "best_n_leaves": n_leaves_of(search.best_estimator_),
    }, search.best_estimator_


def pruner_search(params, cv, data):
    """Our search over prune_rate with the base fit cached on disk."""
    with tempfile.TemporaryDirectory(prefix="skprune-bench-") as location:
        pruner = TreePruner(
            new_tree(),
            **params,
            random_state=SEED,
            memory=Memory(location, verbose=0),
        )
        return run_search(pruner, {"prune_rate": list(GRID_RATES)}, cv, data)[0]


def compare_search(ours, theirs, path_time):
    """Time ratios and score comparison of one of our searches to sklearn's."""
    ratio = ours["time_s"] / theirs["time_s"]
    return {
        "time_ratio": ratio,
        "time_ratio_incl_path": ours["time_s"] / (theirs["time_s"] + path_time),
        "target": SEARCH_TIME_TARGET,
        "time_target_met": ratio <= SEARCH_TIME_TARGET,
        "cv_score_diff": ours["best_cv_score"] - theirs["best_cv_score"],
        "score_target_met": ours["best_cv_score"] >= theirs["best_cv_score"],
        "test_accuracy_diff": (
            ours["best_test_accuracy"] - theirs["best_test_accuracy"]
        ),
    }


def bench_searches(data, path, path_time):
    """Our two searches and scikit-learn's, with the same splitter."""
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
    alphas, leaves = sklearn_alpha_grid(path, GRID_RATES)
    sk, sk_best = run_search(new_tree(), {"ccp_alpha": alphas}, cv, data)
    sk.update(
        alpha_choice=SKLEARN_ALPHA_CHOICE,
        path_time_s=path_time,
        path_time_included_in_time_s=False,
        path_leaves_of_candidates=[
            int(leaves[np.searchsorted(path.ccp_alphas, a, side="right") - 1])
            for a in alphas
        ],
    )
    result = {"cv": "StratifiedKFold(3, shuffle=True, random_state=0)", "sklearn": sk}
    for name, params in SEARCHES.items():
        ours = pruner_search(params, cv, data)
        ours["comparison"] = compare_search(ours, sk, path_time)
        result[name] = ours
    return result, sk_best


# ------------------------------------------------ 3. size and accuracy --


def size_row(method, rate, pruner, X_test, y_test, seconds=None):
    row = {
        "method": method,
        "prune_rate": rate,
        "n_leaves": int(pruner.n_units_after_),
        "prune_rate_achieved": float(pruner.prune_rate_),
        "test_accuracy": float(pruner.score(X_test, y_test)),
    }
    if seconds is not None:
        row["fit_time_s"] = seconds
    return row


def auto_cost_complexity_row(X_train, y_train, X_test, y_test, fit_time):
    """Cost-complexity "auto" refits the tree 5 times: fit the real pruner."""
    pruner = TreePruner(
        new_tree(), method="cost_complexity", prune_rate="auto", random_state=SEED
    )
    pruner, seconds = timed(pruner.fit, X_train, y_train)
    row = size_row("cost_complexity", "auto", pruner, X_test, y_test, seconds)
    row["fit_time_ratio"] = seconds / fit_time
    row["note"] = "unfrozen pruner: base fit + 5 cross-validation fits"
    return row


def bench_sizes(bases, prune_data, data):
    """Leaves and test accuracy of both methods at every size rate."""
    X_train, X_test, y_train, y_test = data
    rows = []
    for method in METHODS:
        X, y = prune_data[method]
        for rate in SIZE_RATES:
            if method == "cost_complexity" and rate == "auto":
                fit_time = bases[method]["fit_time_s"]
                rows.append(
                    auto_cost_complexity_row(X_train, y_train, X_test, y_test, fit_time)
                )
                continue
            frozen = FrozenEstimator(bases[method]["tree"])
            pruner = TreePruner(frozen, method=method, prune_rate=rate).fit(X, y)
            rows.append(size_row(method, rate, pruner, X_test, y_test))
    return rows


def sklearn_curve(alphas, data):
    """Leaves and test accuracy of sklearn's tree at each candidate alpha."""
    X_train, X_test, y_train, y_test = data
    points = []
    for alpha in alphas:
        tree = new_tree(ccp_alpha=alpha).fit(X_train, y_train)
        points.append(
            {
                "ccp_alpha": alpha,
                "n_leaves": int(tree.get_n_leaves()),
                "test_accuracy": float(tree.score(X_test, y_test)),
            }
        )
    return points


def sklearn_best_summary(best, search, data):
    X_test, y_test = data[1], data[3]
    return {
        "ccp_alpha": float(best.ccp_alpha),
        "n_leaves": int(best.get_n_leaves()),
        "test_accuracy": float(best.score(X_test, y_test)),
        "best_cv_score": search["best_cv_score"],
    }


# ---------------------------------------------- 4. "auto" on real data --

N_GRID_ALPHAS = 30
REAL_TARGET = 0.01
QUICK_REAL_SETS = ("penguins", "hpc_data", "concrete")


def grid_alphas(path, n_alphas):
    """``n_alphas`` of a path's distinct alphas, evenly spaced by index.

    The last alpha (the root alone) is left out, as a user would; rounding
    can make the first ones a hair below 0, which ``ccp_alpha`` refuses.
    """
    alphas = np.unique(np.maximum(path.ccp_alphas[:-1], 0.0))
    index = np.unique(np.linspace(0, len(alphas) - 1, n_alphas).round().astype(int))
    return alphas[index].tolist()


def splitter(task, n_splits, shuffle=True):
    folds = StratifiedKFold if task == "classification" else KFold
    if not shuffle:
        return folds(n_splits)
    return folds(n_splits, shuffle=True, random_state=SEED)


def sklearn_grid_fit(tree, X, y, task):
    """scikit-learn's recipe: the path, then a search over 30 of its alphas."""
    path = clone(tree).cost_complexity_pruning_path(X, y)
    grid = {"ccp_alpha": grid_alphas(path, N_GRID_ALPHAS)}
    search = GridSearchCV(clone(tree), grid, cv=splitter(task, 5), n_jobs=1)
    return search.fit(X, y).best_estimator_


# Reduced-error "auto" beside cost-complexity "auto" ("auto_min"): its
# default rule, one standard error on the pruning set, and Quinlan's.
REDUCED_ERROR_VARIANTS = {
    "reduced_error_auto": {"method": "reduced_error", "random_state": SEED},
    "reduced_error_min": {
        "method": "reduced_error",
        "selection": "min",
        "random_state": SEED,
    },
}
# Reduced-error "auto" against cost-complexity "auto": the largest mean loss
# of accuracy (classification sets) and R² (regression sets), and the largest
# ratio of mean leaves on any set.
REDUCED_ERROR_TARGETS = {"accuracy": 0.003, "r2": 0.01, "leaf_ratio": 3.0}


def auto_variants(task):
    """The TreePruner settings compared, by name."""
    return {
        "auto_min": {"random_state": SEED},
        "auto_1se": {"selection": "1se", "random_state": SEED},
        "auto_old": {"selection": "1se", "cv": splitter(task, 5, shuffle=False)},
        **REDUCED_ERROR_VARIANTS,
    }


def real_set_rows(name, n_folds):
    """Outer-CV scores, leaves and CPU times of every selector on one set."""
    (X, y), task = load(name), task_of(name)
    tree = (
        DecisionTreeClassifier(random_state=SEED)
        if task == "classification"
        else DecisionTreeRegressor(random_state=SEED)
    )
    selectors = {"grid": lambda X_, y_: sklearn_grid_fit(tree, X_, y_, task)}
    for variant, params in auto_variants(task).items():
        selectors[variant] = lambda X_, y_, p=params: TreePruner(tree, **p).fit(X_, y_)
    scores = {k: [] for k in selectors}
    leaves = {k: [] for k in selectors}
    cpu = dict.fromkeys(selectors, 0.0)
    for train, test in splitter(task, n_folds).split(X, y):
        for key, select in selectors.items():
            model, seconds = cpu_timed(select, X[train], y[train])
            cpu[key] += seconds
            scores[key].append(float(model.score(X[test], y[test])))
            leaves[key].append(n_leaves_of(model))
    return {
        **data_info(name, X, y),
        "scores": {k: float(np.mean(v)) for k, v in scores.items()},
        "fold_scores": scores,
        "mean_leaves": {k: float(np.mean(v)) for k, v in leaves.items()},
        "cpu_time_s": cpu,
        "cpu_ratio_to_grid": {k: cpu[k] / cpu["grid"] for k in selectors},
        "diff_to_grid": {
            k: float(np.mean(scores[k]) - np.mean(scores["grid"])) for k in selectors
        },
        "target": REAL_TARGET,
        "target_met": bool(
            np.mean(scores["auto_min"]) >= np.mean(scores["grid"]) - REAL_TARGET
        ),
        "diff_to_auto_min": {
            k: float(np.mean(scores[k]) - np.mean(scores["auto_min"]))
            for k in REDUCED_ERROR_VARIANTS
        },
        "leaf_ratio_to_auto_min": {
            k: float(np.mean(leaves[k]) / np.mean(leaves["auto_min"]))
            for k in REDUCED_ERROR_VARIANTS
        },
    }


def bench_real(quick):
    names = QUICK_REAL_SETS if quick else (*REAL_CLASSIFICATION, *REAL_REGRESSION)
    return [real_set_rows(name, 3 if quick else 5) for name in names]


def reduced_error_summary(rows):
    """Reduced-error "auto" against cost-complexity "auto", over all sets."""
    summary = {}
    for variant in REDUCED_ERROR_VARIANTS:
        gaps = {
            metric: [
                r["diff_to_auto_min"][variant] for r in rows if r["metric"] == metric
            ]
            for metric in ("accuracy", "r2")
        }
        ratios = [r["leaf_ratio_to_auto_min"][variant] for r in rows]
        mean_gap = {m: float(np.mean(g)) if g else None for m, g in gaps.items()}
        summary[variant] = {
            "mean_accuracy_gap": mean_gap["accuracy"],
            "mean_r2_gap": mean_gap["r2"],
            "max_leaf_ratio": float(max(ratios)),
            "targets_met": {
                m: mean_gap[m] is None or mean_gap[m] >= -REDUCED_ERROR_TARGETS[m]
                for m in ("accuracy", "r2")
            }
            | {"leaf_ratio": max(ratios) <= REDUCED_ERROR_TARGETS["leaf_ratio"]},
        }
    return {"targets": REDUCED_ERROR_TARGETS, "variants": summary}


def simplify_rows(quick):
    """Leaves removed by simplify from trees of three kinds on every set."""
    rows = []
    names = QUICK_REAL_SETS if quick else (*REAL_CLASSIFICATION, *REAL_REGRESSION)
    for name in names:
        (X, y), task = load(name), task_of(name)
        tree_class = (
            DecisionTreeClassifier
            if task == "classification"
            else DecisionTreeRegressor
        )
        trees = {
            "fully_grown": tree_class(random_state=SEED).fit(X, y),
            "min_samples_leaf_5": tree_class(min_samples_leaf=5, random_state=SEED).fit(
                X, y
            ),
            "auto": TreePruner(tree_class(random_state=SEED), random_state=SEED)
            .fit(X, y)
            .estimator_,
        }
        row = {"name": name, "task": task}
        for kind, tree in trees.items():
            simple = simplify(tree)
            exact = simplify(tree, keep="values")
            if not np.array_equal(simple.predict(X), tree.predict(X)):
                raise AssertionError(f"simplify changed predictions on {name}")
            row[kind] = {
                "leaves": int(tree.get_n_leaves()),
                "removed_predict": int(tree.get_n_leaves() - simple.get_n_leaves()),
                "removed_values": int(tree.get_n_leaves() - exact.get_n_leaves()),
            }
        rows.append(row)
    return rows


def print_simplify(rows):
    print("\n5. simplify: leaves removed (keep='predict' / keep='values')")
    kinds = ("fully_grown", "min_samples_leaf_5", "auto")
    print(f"{'data set':<16}" + "".join(f"{k:>26}" for k in kinds))
    for r in rows:
        cells = [
            f"{r[k]['leaves']}: -{r[k]['removed_predict']} / -{r[k]['removed_values']}"
            for k in kinds
        ]
        print(f"{r['name']:<16}" + "".join(f"{c:>26}" for c in cells))


def print_real(rows):
    print(
        "\n4. 'auto' on real data (outer CV mean; diff to sklearn's 30-alpha "
        "grid; mean leaves; CPU / grid's)"
    )
    keys = ("grid", "auto_min", "auto_1se", "auto_old")
    print(f"{'data set':<16}{'metric':>9}" + "".join(f"{k:>24}" for k in keys))
    for r in rows:
        cells = [f"{r['scores']['grid']:.4f} {r['mean_leaves']['grid']:6.0f}"]
        cells += [
            f"{r['diff_to_grid'][k]:+.4f} {r['mean_leaves'][k]:5.0f} "
            f"{r['cpu_ratio_to_grid'][k]:.3f}"
            for k in keys[1:]
        ]
        print(
            f"{r['name']:<16}{r['metric']:>9}"
            + "".join(f"{c:>24}" for c in cells)
            + ("" if r["target_met"] else "   <- auto misses the 0.01 target")
        )


def print_reduced_error(rows, summary):
    print(
        "\n4b. reduced-error 'auto' against cost-complexity 'auto' (outer CV "
        "mean; diff; mean leaves; leaf ratio)"
    )
    keys = tuple(REDUCED_ERROR_VARIANTS)
    print(f"{'data set':<16}{'metric':>9}" + "".join(f"{k:>28}" for k in keys))
    for r in rows:
        cells = [
            f"{r['diff_to_auto_min'][k]:+.4f} {r['mean_leaves'][k]:6.1f} "
            f"{r['leaf_ratio_to_auto_min'][k]:5.2f}x"
            for k in keys
        ]
        print(f"{r['name']:<16}{r['metric']:>9}" + "".join(f"{c:>28}" for c in cells))
    targets = summary["targets"]
    for variant, s in summary["variants"].items():
        print(
            f"{variant}: mean accuracy gap {s['mean_accuracy_gap']:+.4f} "
            f"(target >= -{targets['accuracy']}), mean R2 gap "
            f"{s['mean_r2_gap']:+.4f} (>= -{targets['r2']}), largest leaf ratio "
            f"{s['max_leaf_ratio']:.2f}x (<= {targets['leaf_ratio']}x); "
            f"met: {s['targets_met']}"
        )


# ------------------------------------------------------------- reporting --


def fmt_rate(rate):
    return rate if isinstance(rate, str) else f"{rate:g}"


def yes_no(flag):
    return "yes" if flag else "NO"


def print_prune_times(rows, path_timing):
    print("\n1. Pruning time / base fit time (FrozenEstimator, median of repeats)")
    print(
        f"{'method':<16}{'rate':>6}{'fit s':>9}{'prune ms':>10}{'ratio':>9}"
        f"{'leaves':>16}{'<=0.02':>8}"
    )
    for r in rows:
        leaves = f"{r['n_leaves_before']}->{r['n_leaves_after']}"
        print(
            f"{r['method']:<16}{fmt_rate(r['prune_rate']):>6}"
            f"{r['base_fit_time_s']:>9.2f}{1000 * r['prune_time_s']:>10.1f}"
            f"{r['ratio']:>9.4f}{leaves:>16}{yes_no(r['target_met']):>8}"
        )
    print(
        f"sklearn cost_complexity_pruning_path: {path_timing['time_s']:.2f} s "
        f"= {path_timing['ratio']:.2f} x the fit (it refits the tree)"
    )


def print_searches(searches):
    sk = searches["sklearn"]
    print("\n2. GridSearchCV, 8 candidates, " + searches["cv"])
    print(f"   sklearn ccp_alpha grid: {sk['alpha_choice']}")
    print(
        f"   sklearn path time {sk['path_time_s']:.2f} s, not included in its "
        "search time (ratio 'incl. path' adds it)"
    )
    print(
        f"{'search':<16}{'time s':>9}{'ratio':>8}{'incl.path':>11}"
        f"{'best':>8}{'cv score':>10}{'test acc':>10}{'leaves':>8}{'targets':>9}"
    )
    print(
        f"{'sklearn':<16}{sk['time_s']:>9.2f}{'':>8}{'':>11}"
        f"{sk['best_param']:>8.2g}{sk['best_cv_score']:>10.4f}"
        f"{sk['best_test_accuracy']:>10.4f}{sk['best_n_leaves']:>8}"
    )
    for method in SEARCHES:
        s, c = searches[method], searches[method]["comparison"]
        met = f"{yes_no(c['time_target_met'])}/{yes_no(c['score_target_met'])}"
        print(
            f"{method:<16}{s['time_s']:>9.2f}{c['time_ratio']:>8.3f}"
            f"{c['time_ratio_incl_path']:>11.3f}{s['best_param']:>8.3g}"
            f"{s['best_cv_score']:>10.4f}{s['best_test_accuracy']:>10.4f}"
            f"{s['best_n_leaves']:>8}{met:>9}"
        )
    print("   targets: time ratio <= 0.25 / best CV score >= sklearn's")


def print_sizes(rows, sk_best, curve):
    print("\n3. Leaves and test accuracy by prune rate")
    print(f"{'method':<16}{'rate':>6}{'leaves':>8}{'achieved':>10}{'test acc':>10}")
    for r in rows:
        print(
            f"{r['method']:<16}{fmt_rate(r['prune_rate']):>6}{r['n_leaves']:>8}"
            f"{r['prune_rate_achieved']:>10.4f}{r['test_accuracy']:>10.4f}"
        )
    print(
        f"{'sklearn best':<16}{'':>6}{sk_best['n_leaves']:>8}{'':>10}"
        f"{sk_best['test_accuracy']:>10.4f}   (ccp_alpha={sk_best['ccp_alpha']:.3g})"
    )
    print(
        "sklearn candidates (ccp_alpha: leaves, test acc): "
        + ", ".join(
            f"{p['ccp_alpha']:.2g}: {p['n_leaves']}, {p['test_accuracy']:.4f}"
            for p in curve
        )
    )


def plot(results, path):
    """Test accuracy against leaves (nothing without matplotlib)."""
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, marker in zip(METHODS, "os", strict=True):
        rows = [r for r in results["sizes"] if r["method"] == method]
        numeric = [r for r in rows if r["prune_rate"] != "auto"]
        label = f"TreePruner {method}"
        (line,) = plot_rows(
            ax, numeric, "n_leaves", "test_accuracy", marker=marker, label=label
        )
        for r in rows:
            if r["prune_rate"] == "auto":
                ax.plot(
                    r["n_leaves"],
                    r["test_accuracy"],
                    marker="*",
                    ms=14,
                    ls="",
                    color=line.get_color(),
                    label=f"{method} auto",
                )
    curve = results["sklearn_curve"]
    label = "sklearn ccp_alpha candidates"
    plot_rows(ax, curve, "n_leaves", "test_accuracy", "x", ms=9, color="k", label=label)
    best = results["sklearn_best"]
    ax.plot(
        best["n_leaves"],
        best["test_accuracy"],
        "P",
        ms=12,
        color="tab:red",
        ls="",
        label="sklearn best ccp_alpha (GridSearchCV)",
    )
    ax.set_xscale("log")
    ax.set_xlabel("number of leaves")
    ax.set_ylabel("test accuracy")
    n = results["metadata"]["n_samples"]
    ax.set_title(f"Pruned decision trees, make_classification n_samples={n}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, path, dpi=120)


# ------------------------------------------------------------------ main --


def run_metadata(args, data):
    X_train, X_test = data[0], data[1]
    return metadata(
        n_samples=args.n_samples,
        n_train=len(X_train),
        n_test=len(X_test),
        n_features=X_train.shape[1],
        data=describe("noisy_tree")["source"],
        quick=args.quick,
        repeats=args.repeats,
        n_jobs=1,
        timer="time.perf_counter",
    )


def parse_args(argv=None):
    parser = BenchmarkParser(__doc__.splitlines()[0])
    parser.add_sized_argument(
        "--n-samples", FULL_N_SAMPLES, QUICK_N_SAMPLES, "samples generated", type=int
    )
    parser.add_repeats(3, help="runs of each timed pruning (the median is kept)")
    parser.add_argument(
        "--sections",
        choices=("all", "synthetic", "real"),
        default="all",
        help="synthetic: sections 1-3; real: section 4",
    )
    return parser.parse_args(argv)


def run(args):
    results = {}
    if args.sections in ("all", "synthetic"):
        results.update(run_synthetic(args))
    missing = missing_packages()
    if args.sections == "all" and missing:
        # Sections 1-3 need no real data: say what 4-5 need, run the rest.
        results["real_data"] = results["simplify"] = f"skipped: {missing} missing"
        print(
            f"\n4-5. skipped: the real data sets need {', '.join(missing)} "
            '(pip install "skprune[benchmark]")'
        )
    elif args.sections in ("all", "real"):
        if missing:
            raise SystemExit(
                f"--sections real needs {', '.join(missing)}: "
                'pip install "skprune[benchmark]"'
            )
        results["real_data"] = bench_real(args.quick)
        print_real(results["real_data"])
        results["reduced_error_auto"] = reduced_error_summary(results["real_data"])
        print_reduced_error(results["real_data"], results["reduced_error_auto"])
        results["simplify"] = simplify_rows(args.quick)
        print_simplify(results["simplify"])
    return results


def run_synthetic(args):
    data = make_data(args.n_samples)
    X_train, _, y_train, _ = data
    X_grow, X_prune, y_grow, y_prune = split_pruning_set(X_train, y_train)
    prune_data = {
        "cost_complexity": (X_train, y_train),
        "reduced_error": (X_prune, y_prune),
    }
    bases = fit_base_trees(X_train, y_train, X_grow, y_grow)
    prune_times = bench_prune_times(bases, prune_data, args.repeats)
    path, path_timing = bench_sklearn_path(
        X_train, y_train, bases["cost_complexity"]["fit_time_s"]
    )
    print_prune_times(prune_times, path_timing)
    searches, sk_best = bench_searches(data, path, path_timing["time_s"])
    print_searches(searches)
    sizes = bench_sizes(bases, prune_data, data)
    curve = sklearn_curve(searches["sklearn"]["candidates"], data)
    best = sklearn_best_summary(sk_best, searches["sklearn"], data)
    print_sizes(sizes, best, curve)
    return {
        "metadata": run_metadata(args, data),
        "base_fit_times_s": {m: bases[m]["fit_time_s"] for m in METHODS},
        "base_n_leaves": {m: int(bases[m]["tree"].get_n_leaves()) for m in METHODS},
        "prune_times": prune_times,
        "sklearn_path": path_timing,
        "search": searches,
        "sizes": sizes,
        "sklearn_best": best,
        "sklearn_curve": curve,
    }


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    results = run(args)
    results.setdefault(
        "metadata",
        metadata(quick=args.quick, n_jobs=1, timer="time.process_time (section 4)"),
    )
    results["metadata"]["sections"] = args.sections
    results["metadata"]["total_time_s"] = time.perf_counter() - start
    stem = "bench_tree_real" if args.sections == "real" else "bench_tree"
    # Only sections 1-3 have sizes to plot.
    write_results(args, stem, results, plot if "sizes" in results else None)
    print(f"total {results['metadata']['total_time_s']:.1f} s")


if __name__ == "__main__":
    main()
