"""Benchmark SVMPruner against the unpruned SVM and Nystroem + a linear model.

Three problems, each standardised with a ``StandardScaler`` fitted on the
training part:

- ``classification``: ``make_classification(n_samples=25000, n_features=30,
  n_informative=10, n_redundant=5, flip_y=0.01, random_state=0)``, 20000
  training / 5000 test samples, ``SVC()`` (RBF, ``gamma="scale"``);
- ``digits``: ``load_digits`` (10 classes), 70/30 stratified split, ``SVC()``;
  with 540 test samples one sample is 0.19 points, so every number is the
  mean over ``--digits-splits`` (default 5) random splits;
- ``regression``: ``make_friedman1(n_samples=10000, noise=1.0,
  random_state=0)``, 8000 / 2000, targets standardised, ``SVR()``.

For every problem, in one run:

1. The unpruned SVM: fit time, predict time on the test set, test score
   (accuracy, or R^2 for the regression).
2. ``SVMPruner`` at ``prune_rate`` 0, 0.5, 0.8, 0.9 and 0.95 for each
   ``refit`` strategy (``"coef"``, ``None``; the stored results also hold
   ``"svm"``, a retrain of an SVC on the kept vectors) with the default
   ``criterion="dual_coef"``, and with ``criterion="contribution"`` for
   ``"coef"`` and ``None``: support vectors kept, test score, predict time of
   ``estimator_`` and its speed-up over the unpruned SVM, and the pruning time
   (wall-clock and CPU) divided by the unpruned fit time. The pruner wraps
   the fitted SVM in ``FrozenEstimator``, so its ``fit`` is the pruning alone
   (the kernel blocks, the elimination path, the refit and the libsvm model
   rebuild).
3. ``make_pipeline(Nystroem(gamma=<the SVM's gamma>, n_components=k),
   LinearSVC())`` (``Ridge()`` for the regression) with ``k`` the number of
   vectors ``refit="coef"`` keeps at each rate: the same number of kernel
   evaluations per prediction.
4. ``prune_rate="auto"`` (``refit="coef"``, default ``tol=0.01``): an
   unfrozen pruner, so the SVM is refitted on 80% of the training set and the
   other 20% chooses the rate; chosen rate, test score and total time.

Predict times are the best of ``--repeats`` calls (wall-clock,
``time.perf_counter``); the pruning CPU time is ``time.process_time`` (all
threads). libsvm fits and predicts on one core; the pruner's NumPy/BLAS
kernels may use more (threads: see ``meta`` in the JSON).

Targets checked: at 50% pruning the score loss is <= 0.3 points
with predict >= 1.9x faster; at 80% the loss is <= 1 point; the pruned SVM is
at least as accurate as Nystroem at the same k for k up to 20% of the
original vectors (rates >= 0.8); the pruning costs at most the SVM's fit.

Results are printed and written to ``benchmarks/results/bench_svm.json`` and,
if matplotlib is importable, ``bench_svm.png``: score against the share of
vectors kept (top), predict speed-up and pruning time / fit time against the
rate (middle), and score against the predict speed-up (bottom). Equal k is
not equal predict time: libsvm evaluates its kernel one pair of vectors at a
time, Nystroem with BLAS, so at equal k Nystroem predicts 2-5x faster on the
classification problems. Run from the repository root::

    python benchmarks/bench_svm.py            # full size, about 5 minutes
    python benchmarks/bench_svm.py --quick    # smaller problems, < 1 minute
    python benchmarks/bench_svm.py --plot-only benchmarks/results/bench_svm.json

``--quick`` writes ``bench_svm_quick.*`` so that a smoke test does not
overwrite the full results.
"""

import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
from _common import (
    BenchmarkParser,
    best_time,
    cpu_timed,
    metadata,
    plot_rows,
    pyplot,
    save_figure,
    svm_problem,
    timed,
    write_results,
)
from joblib import Memory
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_info

from skprune.svm import SVMPruner

RATES = [0.0, 0.5, 0.8, 0.9, 0.95]
REFITS = ["coef", None]


def timed_fit(estimator, X, y):
    """Wall-clock and CPU seconds of ``estimator.fit(X, y)``."""
    (_, cpu), wall = timed(cpu_timed, estimator.fit, X, y)
    return wall, cpu


def run_problem(name, args, memory):
    """Every measurement of one problem, averaged over its splits."""
    n_splits = args.digits_splits if name == "digits" else 1
    splits = [run_split(name, args, memory, seed) for seed in range(n_splits)]
    result = _average(splits)
    result["n_splits"] = n_splits
    if n_splits > 1:
        result["splits"] = splits
        print(f"\n== {name}: mean over {n_splits} splits")
        _print_runs(result)
    result["targets"] = check_targets(result)
    return result


def _average(values):
    """Element-wise mean of equally shaped dicts / lists of numbers."""
    first = values[0]
    if isinstance(first, dict):
        return {key: _average([v[key] for v in values]) for key in first}
    if isinstance(first, list):
        return [_average(list(items)) for items in zip(*values, strict=True)]
    if isinstance(first, bool) or not isinstance(first, (int, float)):
        return first
    return float(np.mean(values))


def _print_runs(result):
    print(
        f"{'refit':>6} {'criterion':>12} {'rate':>5} {'n_SV':>7} {'score':>7} "
        f"{'loss':>7} {'speedup':>7} {'prune/fit':>9}"
    )
    for run in result["runs"]:
        print(
            f"{run['refit']!s:>6} {run['criterion']:>12} {run['prune_rate']:5.2f} "
            f"{run['n_sv']:7.1f} {run['score']:7.4f} {run['score_loss']:+7.4f} "
            f"{run['speedup']:7.2f} {run['prune_over_fit_wall']:9.3f}"
        )
    for ny in result["nystroem"]:
        print(
            f"nystroem k={ny['n_components']:7.1f} (rate {ny['prune_rate']:.2f}): "
            f"score {ny['score']:.4f}, speedup {ny['speedup']:.2f}"
        )


def run_split(name, args, memory, seed):
    X_train, X_test, y_train, y_test, estimator = svm_problem(name, args.quick, seed)
    print(
        f"\n== {name} (split {seed}): {X_train.shape[0]} train x "
        f"{X_train.shape[1]} features, {X_test.shape[0]} test, {estimator!r}"
    )
    base = clone(estimator)
    fit_wall, fit_cpu = timed_fit(base, X_train, y_train)
    base_predict = best_time(base.predict, args.repeats, X_test)
    base_score = base.score(X_test, y_test)
    n_sv = len(base.support_)
    print(
        f"unpruned: {n_sv} support vectors, fit {fit_wall:.2f} s, predict "
        f"{base_predict * 1e3:.1f} ms, score {base_score:.4f}"
    )
    # Warm the cache for the unfrozen pruners.
    cached = SVMPruner(clone(estimator), prune_rate=0.0, memory=memory)
    cached.fit(X_train, y_train)

    runs = []
    configs = [(refit, "dual_coef") for refit in REFITS]
    configs += [("coef", "contribution"), (None, "contribution")]
    header = (
        f"{'refit':>6} {'criterion':>12} {'rate':>5} {'n_SV':>6} {'score':>7} "
        f"{'loss':>7} {'speedup':>7} {'prune/fit':>9}"
    )
    print(header)
    for refit, criterion in configs:
        for rate in RATES:
            if criterion != "dual_coef" and rate == 0:
                continue
            pruner = SVMPruner(FrozenEstimator(base))
            pruner.set_params(
                prune_rate=rate, refit=refit, criterion=criterion, random_state=0
            )
            wall, cpu = timed_fit(pruner, X_train, y_train)
            pruned = pruner.estimator_
            predict = best_time(pruned.predict, args.repeats, X_test)
            score = pruned.score(X_test, y_test)
            run = {
                "refit": refit,
                "criterion": criterion,
                "prune_rate": rate,
                "n_sv": len(pruned.support_),
                "score": score,
                "score_loss": base_score - score,
                "predict_time": predict,
                "speedup": base_predict / predict,
                "prune_time_wall": wall,
                "prune_time_cpu": cpu,
                "prune_over_fit_wall": wall / fit_wall,
                "prune_over_fit_cpu": cpu / fit_cpu,
            }
            runs.append(run)
            print(
                f"{refit!s:>6} {criterion:>12} {rate:5.2f} {run['n_sv']:6d} "
                f"{score:7.4f} {run['score_loss']:+7.4f} {run['speedup']:7.2f} "
                f"{run['prune_over_fit_wall']:9.3f}"
            )

    nystroem = []
    for run in runs:
        if run["refit"] != "coef" or run["criterion"] != "dual_coef":
            continue
        if run["prune_rate"] == 0:
            continue
        k = run["n_sv"]
        linear = LinearSVC(random_state=0) if is_classifier(base) else Ridge()
        model = make_pipeline(
            Nystroem(gamma=base._gamma, n_components=k, random_state=0), linear
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            wall, _ = timed_fit(model, X_train, y_train)
        predict = best_time(model.predict, args.repeats, X_test)
        score = model.score(X_test, y_test)
        nystroem.append(
            {
                "n_components": k,
                "prune_rate": run["prune_rate"],
                "score": score,
                "predict_time": predict,
                "speedup": base_predict / predict,
                "fit_time": wall,
            }
        )
        print(
            f"nystroem k={k:5d} (rate {run['prune_rate']:.2f}): score {score:.4f}, "
            f"speedup {base_predict / predict:.2f}, pruned SVC {run['score']:.4f}"
        )

    auto = SVMPruner(clone(estimator), prune_rate="auto", random_state=0)
    wall, cpu = timed_fit(auto, X_train, y_train)
    auto_result = {
        "prune_rate_": auto.prune_rate_,
        "n_sv": auto.n_units_after_,
        "n_sv_before": auto.n_units_before_,
        "score": auto.score(X_test, y_test),
        "time_wall": wall,
        "time_over_fit_wall": wall / fit_wall,
    }
    print(
        f"auto: prune_rate_={auto.prune_rate_:.3f} ({auto.n_units_before_} -> "
        f"{auto.n_units_after_}), score {auto_result['score']:.4f}, "
        f"{wall:.2f} s (fit on 80% + pruning)"
    )
    return {
        "description": repr(estimator),
        "n_train": int(X_train.shape[0]),
        "n_test": int(X_test.shape[0]),
        "n_features": int(X_train.shape[1]),
        "metric": "accuracy" if is_classifier(base) else "r2",
        "base": {
            "n_sv": n_sv,
            "fit_time_wall": fit_wall,
            "fit_time_cpu": fit_cpu,
            "predict_time": base_predict,
            "score": base_score,
        },
        "runs": runs,
        "nystroem": nystroem,
        "auto": auto_result,
    }


def check_targets(result):
    runs, nystroem = result["runs"], result["nystroem"]
    coef = {
        r["prune_rate"]: r
        for r in runs
        if r["refit"] == "coef" and r["criterion"] == "dual_coef"
    }
    at_half, at_80 = coef[0.5], coef[0.8]
    targets = {
        "loss_at_0.5 <= 0.003": [at_half["score_loss"], at_half["score_loss"] <= 0.003],
        "speedup_at_0.5 >= 1.9": [at_half["speedup"], at_half["speedup"] >= 1.9],
        "loss_at_0.8 <= 0.01": [at_80["score_loss"], at_80["score_loss"] <= 0.01],
    }
    for ny in nystroem:
        # "k up to 20% of the original vectors": rates 0.8 and above (k is
        # rounded up per class, so 0.8 keeps a hair over 20%).
        if ny["prune_rate"] >= 0.8:
            ours = coef[ny["prune_rate"]]["score"]
            key = (
                f"pruned >= nystroem at {ny['prune_rate']} (k={ny['n_components']:.0f})"
            )
            targets[key] = [
                ours - ny["score"],
                ours >= ny["score"],
            ]
    worst = max(r["prune_over_fit_wall"] for r in coef.values())
    targets["prune_time <= fit_time (coef, all rates)"] = [worst, worst <= 1.0]
    return targets


def plot(results, path):
    plt = pyplot()
    if plt is None:
        return
    names = list(results["problems"])
    fig, axes = plt.subplots(3, len(names), figsize=(5 * len(names), 12), squeeze=False)
    for col, name in enumerate(names):
        plot_problem(axes[:, col], name, results["problems"][name])
    save_figure(fig, path)


def runs_of(problem, refit, criterion="dual_coef"):
    return [
        r
        for r in problem["runs"]
        if r["refit"] == refit and r["criterion"] == criterion
    ]


def plot_problem(axes, name, problem):
    """Score against vectors kept, speed-ups, and score against speed-up."""
    base, ny = problem["base"], problem["nystroem"]
    n_sv = base["n_sv"]
    black = dict(color="k", label="Nystroem(k) + linear")
    coef_scores = [r["score"] for r in problem["runs"] if r["refit"] == "coef"]
    low = min(coef_scores + [r["score"] for r in ny])
    ylim = (max(low - 0.02, base["score"] - 0.2), base["score"] + 0.01)

    ax = axes[0]
    for refit, style in [("coef", "o-"), ("svm", "s--"), (None, "^:")]:
        rows = runs_of(problem, refit)
        label = f"SVMPruner refit={refit!r}"
        plot_rows(ax, rows, lambda r: r["n_sv"] / n_sv, "score", style, label=label)
    rows = runs_of(problem, "coef", "contribution")
    label = "refit='coef', criterion='contribution'"
    plot_rows(ax, rows, lambda r: r["n_sv"] / n_sv, "score", "x-", label=label)
    plot_rows(ax, ny, lambda r: r["n_components"] / n_sv, "score", "d-", **black)
    ax.set_xlabel("support vectors (or components) kept / unpruned")
    ax.set_title(f"{name}: {problem['description']}, {n_sv} SV")

    ax = axes[1]
    rows = runs_of(problem, "coef")
    plot_rows(ax, rows, "prune_rate", "speedup", "o-", label="pruned SVM speed-up")
    plot_rows(ax, ny, "prune_rate", "speedup", "d-", color="k", label="Nystroem")
    pruned = [r for r in rows if r["prune_rate"] > 0]
    label = "pruning time / SVM fit time"
    plot_rows(ax, pruned, "prune_rate", "prune_over_fit_wall", "v--", label=label)
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("prune_rate")

    # Equal predict time: libsvm evaluates kernels one pair at a time,
    # Nystroem with BLAS, so equal k is not equal time.
    ax = axes[2]
    plot_rows(ax, rows, "speedup", "score", "o-", label="SVMPruner refit='coef'")
    plot_rows(ax, ny, "speedup", "score", "d-", **black)
    ax.set_xlabel("predict speed-up over the unpruned SVM")

    for ax in axes[[0, 2]]:
        ax.axhline(base["score"], color="grey", lw=0.8, label="unpruned")
        ax.set_ylim(*ylim)
        ax.set_xscale("log")
        ax.set_ylabel(problem["metric"])
    for ax in axes:
        ax.legend(fontsize=7)


def main():
    parser = BenchmarkParser(__doc__.splitlines()[0])
    parser.add_repeats(3, 2)
    parser.add_sized_argument(
        "--digits-splits",
        5,
        2,
        "random train/test splits of digits to average",
        type=int,
    )
    parser.add_argument(
        "--problems", nargs="+", default=["classification", "digits", "regression"]
    )
    parser.add_argument(
        "--plot-only",
        metavar="JSON",
        help="redraw the plot of a results file (written next to it) and exit",
    )
    args = parser.parse_args()
    if args.plot_only:
        path = Path(args.plot_only)
        plot(json.loads(path.read_text()), path.with_suffix(".png"))
        return
    results = {
        "meta": metadata(
            quick=args.quick,
            repeats=args.repeats,
            blas=[
                {k: lib.get(k) for k in ("internal_api", "version", "num_threads")}
                for lib in threadpool_info()
            ],
        ),
        "problems": {},
    }
    with tempfile.TemporaryDirectory() as cache:
        memory = Memory(cache, verbose=0)
        for name in args.problems:
            results["problems"][name] = run_problem(name, args, memory)
    print("\n== targets")
    for name, problem in results["problems"].items():
        for target, (value, ok) in problem["targets"].items():
            print(f"{name:>14} {target:<45} {value:+.4f} {'met' if ok else 'MISSED'}")
    write_results(args, "bench_svm", results, plot)


if __name__ == "__main__":
    main()
