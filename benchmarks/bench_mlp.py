"""Benchmark MLPPruner: accuracy, size and predict time of pruned MLPs.

Two problems, each split 80/20 (stratified, ``random_state=0``) into a
training and a test set:

- ``digits``: ``load_digits`` (1797 x 64, pixels divided by 16), an
  ``MLPClassifier((256, 256))``;
- ``synthetic``: ``make_classification(n_samples=30000, n_features=100,
  n_informative=20, n_redundant=10, n_classes=5, random_state=0)``, an
  ``MLPClassifier((512, 512))``.

Both networks use scikit-learn's defaults otherwise (Adam, learning rate
0.001, ``max_iter=200``, ``random_state=0``); both fit their training set
perfectly. Everything runs on one BLAS thread (``threadpoolctl``), so that
times are comparable on a shared machine; times are wall-clock
(``time.perf_counter``).

For every problem, in one run:

1. **The unpruned network**: fit time, test accuracy, parameters (nonzero
   weights + intercepts) and predict time (``predict_proba`` on the test
   set).
2. **Pruned networks** at rates 0.5, 0.75 and 0.9, pruned from the fitted
   network (``FrozenEstimator``, so the pruner's fit time is pruning plus
   fine-tuning only), for each configuration of ``CONFIGS``: neuron pruning
   with each criterion (l2, taylor, activation), one-shot and in 3 rounds;
   weight pruning (global magnitude), one-shot and in 3 rounds; all with the
   pruner's defaults otherwise (``fine_tune_epochs="auto"``: a quarter of
   the unpruned network's epochs in total); and the two naive baselines the
   project started from: neuron pruning by weight norm + 5 fine-tune epochs at the
   estimator's own learning rate, without the other ingredients, and global
   magnitude weight pruning without fine-tuning. Per row: test accuracy,
   parameters, predict-time ratio unpruned / pruned (the two timed in
   alternation, median of ``--repeats``), and pruning time / unpruned fit
   time.
3. **Controls.** (a) The unpruned network fine-tuned exactly as the pruned
   ones are (``method="weight"`` with a rate that removes nothing): how much
   of the result is the fine-tuning schedule rather than pruning. (b) For
   each neuron rate, a network of the pruned ``hidden_layer_sizes`` trained
   from scratch with the same estimator parameters (Liu et al. 2019):
   accuracy, fit time and predict time; and that network fine-tuned like
   the others (the recipe of (a)), so that the pruned network is also
   compared with a from-scratch one given the same fine-tuning.
4. **prune_rate="auto"** for both methods, ``tol=0.01``, from the unfitted
   estimator: the unpruned network is fitted on 90% of the training set and
   10% are held out. Reported: the rate chosen, test accuracy, total time.
5. **Export** (``compress_mlp``) of the 90% weight-pruned network: CSR
   weight matrices and float32 weights (with float32 ``X``), predict-time
   ratio against the dense pruned network.

Targets: neuron pruning at 50% loses <= 0.5 accuracy points with
predict >= 1.8x faster; weight pruning at 90% loses <= 1 point; the pruned
network matches or beats the from-scratch one of the same size; pruning plus
fine-tuning costs less than the original fit. The targets are checked for
the default configurations (``DEFAULT_NEURON``, ``DEFAULT_WEIGHT``).

Results are printed as tables and written to ``benchmarks/results/`` as
JSON and, if matplotlib is importable, a PNG plot.

Run from the repository root::

    python benchmarks/bench_mlp.py            # both problems, ~15-20 min
    python benchmarks/bench_mlp.py --quick    # digits, fewer rows, < 1 min

``--quick`` writes ``bench_mlp_quick.json`` / ``.png``.
"""

import statistics
import time
import warnings

import numpy as np
from _common import (
    BenchmarkParser,
    load,
    metadata,
    plot_rows,
    pyplot,
    save_figure,
    timed,
    write_results,
)
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from skprune.neural_network import MLPPruner, compress_mlp

RATES = (0.5, 0.75, 0.9)
QUICK_RATES = (0.5, 0.9)
# A rate that removes nothing (every layer keeps ceil((1 - r) * n) = n) but
# runs the same fine-tuning: the control of 3a.
NO_PRUNING = 1e-12

# The pruner's defaults are method="neuron", criterion="l2", n_iterations=3,
# fine_tune_epochs="auto"; each configuration states what it changes.
CONFIGS = {
    "neuron/l2/3 rounds (default)": dict(method="neuron"),
    "neuron/l2/one-shot": dict(method="neuron", n_iterations=1),
    "neuron/taylor/3 rounds": dict(method="neuron", criterion="taylor"),
    "neuron/taylor/one-shot": dict(method="neuron", criterion="taylor", n_iterations=1),
    "neuron/activation/3 rounds": dict(method="neuron", criterion="activation"),
    "neuron/activation/one-shot": dict(
        method="neuron", criterion="activation", n_iterations=1
    ),
    "weight/global/3 rounds (default)": dict(method="weight"),
    "weight/global/one-shot": dict(method="weight", n_iterations=1),
    "naive neuron (l2, 5 epochs, lr 0.001)": dict(
        method="neuron",
        criterion="l2",
        n_iterations=1,
        fine_tune_epochs=5,
        learning_rate=0.001,
    ),
    "naive weight (no fine-tuning)": dict(
        method="weight", n_iterations=1, fine_tune_epochs=0
    ),
}
DEFAULT_NEURON = "neuron/l2/3 rounds (default)"
DEFAULT_WEIGHT = "weight/global/3 rounds (default)"
QUICK_CONFIGS = (
    DEFAULT_NEURON,
    DEFAULT_WEIGHT,
    "naive neuron (l2, 5 epochs, lr 0.001)",
)

# Digits has 360 test rows (one row is 0.28 accuracy points), so its numbers
# are means over 5 seeds (split, network initialisation, pruner); the
# synthetic problem has 6000 test rows and is run once.
PROBLEMS = {
    "digits": {"hidden_layer_sizes": (256, 256), "seeds": 5},
    "synthetic": {"hidden_layer_sizes": (512, 512), "seeds": 1},
}


# ----------------------------------------------------------------- helpers --


def split_problem(problem, seed):
    """Training and test sets; the seed sets the split (the data is fixed)."""
    X, y = load("digits" if problem == "digits" else "five_class")
    if problem == "digits":
        X = X / 16
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)


def new_mlp(hidden_layer_sizes, seed):
    return MLPClassifier(hidden_layer_sizes, random_state=seed)


def n_params(mlp):
    return int(
        sum(np.count_nonzero(c) for c in mlp.coefs_)
        + sum(b.size for b in mlp.intercepts_)
    )


def predict_seconds(model, X, min_time=0.05):
    """Seconds per ``predict_proba(X)``, looped to last at least ``min_time``."""
    _, once = timed(model.predict_proba, X)
    number = max(1, int(min_time / max(once, 1e-6)))
    start = time.perf_counter()
    for _ in range(number):
        model.predict_proba(X)
    return (time.perf_counter() - start) / number


def side_by_side(reference, model, X_ref, X_model, repeats):
    """Median predict times of two models, timed in alternation."""
    ref_times, model_times = [], []
    for _ in range(repeats):
        ref_times.append(predict_seconds(reference, X_ref))
        model_times.append(predict_seconds(model, X_model))
    return statistics.median(ref_times), statistics.median(model_times)


# --------------------------------------------------------------- the runs --


def prune_row(name, params, rate, base, base_info, data, seed, repeats):
    X_train, X_test, y_train, y_test = data
    pruner = MLPPruner(
        FrozenEstimator(base), prune_rate=rate, random_state=seed, **params
    )
    _, seconds = timed(pruner.fit, X_train, y_train)
    t_base, t_pruned = side_by_side(base, pruner.estimator_, X_test, X_test, repeats)
    accuracy = pruner.score(X_test, y_test)
    return {
        "config": name,
        "params": dict(params),
        "prune_rate": rate,
        "prune_rate_": pruner.prune_rate_,
        "hidden_layer_sizes": [
            int(h) for h in np.atleast_1d(pruner.estimator_.hidden_layer_sizes)
        ],
        "fine_tune_epochs_": pruner.fine_tune_epochs_,
        "test_accuracy": accuracy,
        "accuracy_change_points": 100 * (accuracy - base_info["test_accuracy"]),
        "n_params": pruner.n_params_after_,
        "param_ratio": pruner.n_params_after_ / base_info["n_params"],
        "predict_time_unpruned_s": t_base,
        "predict_time_s": t_pruned,
        "predict_speedup": t_base / t_pruned,
        "prune_time_s": seconds,
        "prune_time_over_fit_time": seconds / base_info["fit_time_s"],
    }, pruner


def scratch_row(pruned, base, base_info, data, seed, repeats):
    """A network of the pruned shape, trained from scratch like the unpruned one."""
    X_train, X_test, y_train, y_test = data
    scratch, seconds = timed(clone(pruned).fit, X_train, y_train)
    t_base, t_scratch = side_by_side(base, scratch, X_test, X_test, repeats)
    accuracy = scratch.score(X_test, y_test)
    tuned = MLPPruner(
        FrozenEstimator(scratch),
        method="weight",
        prune_rate=NO_PRUNING,
        random_state=seed,
    ).fit(X_train, y_train)
    return {
        "fine_tuned_test_accuracy": tuned.score(X_test, y_test),
        "hidden_layer_sizes": [
            int(h) for h in np.atleast_1d(scratch.hidden_layer_sizes)
        ],
        "test_accuracy": accuracy,
        "accuracy_change_points": 100 * (accuracy - base_info["test_accuracy"]),
        "n_params": n_params(scratch),
        "n_iter_": scratch.n_iter_,
        "fit_time_s": seconds,
        "predict_speedup": t_base / t_scratch,
    }


def auto_rows(base_params, base_info, data, seed):
    X_train, X_test, y_train, y_test = data
    rows = []
    for method in ("neuron", "weight"):
        pruner = MLPPruner(
            new_mlp(seed=seed, **base_params),
            method=method,
            prune_rate="auto",
            random_state=seed,
        )
        _, seconds = timed(pruner.fit, X_train, y_train)
        accuracy = pruner.score(X_test, y_test)
        rows.append(
            {
                "method": method,
                "tol": pruner.tol,
                "prune_rate_": pruner.prune_rate_,
                "test_accuracy": accuracy,
                "accuracy_change_points": 100 * (accuracy - base_info["test_accuracy"]),
                "n_params": pruner.n_params_after_,
                "total_time_s": seconds,
                "total_time_over_fit_time": seconds / base_info["fit_time_s"],
            }
        )
    return rows


def export_rows(weight_pruner, data, repeats):
    """CSR and float32 copies of a weight-pruned network against the dense one."""
    _, X_test, _, y_test = data
    dense = weight_pruner.estimator_
    X32 = X_test.astype(np.float32)
    rows = []
    for name, model, X in [
        ("csr (all layers)", compress_mlp(dense, max_density=1.0), X_test),
        ("float32, float32 X", compress_mlp(dense, dtype=np.float32), X32),
        ("float32, float64 X", compress_mlp(dense, dtype=np.float32), X_test),
    ]:
        t_dense, t_model = side_by_side(dense, model, X_test, X, repeats)
        rows.append(
            {
                "export": name,
                "prune_rate": weight_pruner.prune_rate,
                "test_accuracy": float(np.mean(model.predict(X) == y_test)),
                "speedup_vs_dense_pruned": t_dense / t_model,
            }
        )
    return rows


def run_problem(problem, seed, args):
    data = split_problem(problem, seed)
    X_train, X_test, y_train, y_test = data
    base_params = {"hidden_layer_sizes": PROBLEMS[problem]["hidden_layer_sizes"]}
    print(
        f"\n== {problem}, seed {seed}: {X_train.shape[0]} training rows, {base_params}",
        flush=True,
    )
    base, fit_time = timed(new_mlp(seed=seed, **base_params).fit, X_train, y_train)
    base_info = {
        "hidden_layer_sizes": list(base_params["hidden_layer_sizes"]),
        "n_train": int(X_train.shape[0]),
        "n_test": int(X_test.shape[0]),
        "n_iter_": base.n_iter_,
        "fit_time_s": fit_time,
        "train_accuracy": base.score(X_train, y_train),
        "test_accuracy": base.score(X_test, y_test),
        "n_params": n_params(base),
        "predict_time_s": statistics.median(
            predict_seconds(base, X_test) for _ in range(args.repeats)
        ),
    }
    print(
        f"unpruned: test accuracy {base_info['test_accuracy']:.4f}, "
        f"fit {fit_time:.1f} s ({base.n_iter_} epochs), {base_info['n_params']} params",
        flush=True,
    )
    configs = QUICK_CONFIGS if args.quick else tuple(CONFIGS)
    rates = QUICK_RATES if args.quick else RATES
    rows, scratch, weight_90 = [], [], None
    control, _ = prune_row(
        "fine-tuning only (no pruning)",
        dict(method="weight", scope="global"),
        NO_PRUNING,
        base,
        base_info,
        data,
        seed,
        args.repeats,
    )
    print_row(control)
    for name in configs:
        for rate in rates:
            row, pruner = prune_row(
                name, CONFIGS[name], rate, base, base_info, data, seed, args.repeats
            )
            rows.append(row)
            print_row(row)
            if name == DEFAULT_NEURON:
                scratch.append(
                    {
                        "prune_rate": rate,
                        "pruned_test_accuracy": row["test_accuracy"],
                        **scratch_row(
                            pruner.estimator_, base, base_info, data, seed, args.repeats
                        ),
                    }
                )
                print_scratch(scratch[-1])
            if name == DEFAULT_WEIGHT and rate == 0.9:
                weight_90 = pruner
    auto = [] if args.quick else auto_rows(base_params, base_info, data, seed)
    for row in auto:
        print(
            f"auto {row['method']:6s}: rate {row['prune_rate_']:.3f}, accuracy "
            f"{row['test_accuracy']:.4f} ({row['accuracy_change_points']:+.2f} pt), "
            f"{row['total_time_s']:.1f} s incl. fit on 90% "
            f"({row['total_time_over_fit_time']:.2f} x fit)",
            flush=True,
        )
    exports = [] if weight_90 is None else export_rows(weight_90, data, args.repeats)
    for row in exports:
        print(
            f"export {row['export']:20s}: {row['speedup_vs_dense_pruned']:.2f}x "
            "vs dense pruned",
            flush=True,
        )
    return {
        "unpruned": base_info,
        "fine_tuning_control": control,
        "rows": rows,
        "from_scratch": scratch,
        "auto": auto,
        "export": exports,
    }


def targets(rows, scratch):
    def find(config, rate):
        return next(
            (r for r in rows if r["config"] == config and r["prune_rate"] == rate), None
        )

    result = {}
    neuron = find(DEFAULT_NEURON, 0.5)
    if neuron:
        result["neuron_50_loss_le_0.5pt"] = neuron["accuracy_change_points"] >= -0.5
        result["neuron_50_speedup_ge_1.8"] = neuron["predict_speedup"] >= 1.8
    weight = find(DEFAULT_WEIGHT, 0.9)
    if weight:
        result["weight_90_loss_le_1pt"] = weight["accuracy_change_points"] >= -1.0
    result["pruned_ge_from_scratch"] = {
        str(s["prune_rate"]): s["pruned_test_accuracy"] >= s["test_accuracy"]
        for s in scratch
    }
    result["pruned_ge_from_scratch_fine_tuned"] = {
        str(s["prune_rate"]): s["pruned_test_accuracy"] >= s["fine_tuned_test_accuracy"]
        for s in scratch
    }
    result["prune_cheaper_than_fit"] = all(
        r["prune_time_over_fit_time"] < 1 for r in rows
    )
    return result


# ---------------------------------------------------------------- reports --


def print_row(row):
    print(
        f"{row['config']:40s} rate {row['prune_rate']:<5g} "
        f"acc {row['test_accuracy']:.4f} ({row['accuracy_change_points']:+6.2f} pt) "
        f"params {row['param_ratio']:6.1%} speed-up {row['predict_speedup']:5.2f}x "
        f"prune {row['prune_time_s']:6.1f} s "
        f"({row['prune_time_over_fit_time']:.2f} x fit)",
        flush=True,
    )


def print_scratch(row):
    print(
        f"{'  from scratch ' + str(tuple(row['hidden_layer_sizes'])):40s} "
        f"rate {row['prune_rate']:<5g} acc {row['test_accuracy']:.4f} "
        f"({row['accuracy_change_points']:+6.2f} pt) "
        f"speed-up {row['predict_speedup']:5.2f}x fit {row['fit_time_s']:.1f} s; "
        f"fine-tuned like the pruned: acc {row['fine_tuned_test_accuracy']:.4f}",
        flush=True,
    )


def plot_scratch(ax_acc, ax_speed, scratch):
    """The networks of the pruned sizes trained from scratch, if any."""
    if not scratch:
        return
    same_units = dict(marker="s", label="from scratch, same units")
    plot_rows(ax_acc, scratch, "prune_rate", "test_accuracy", "k:", **same_units)
    label = "from scratch + same fine-tuning"
    key = "fine_tuned_test_accuracy"
    plot_rows(ax_acc, scratch, "prune_rate", key, "k--", marker="^", label=label)
    plot_rows(ax_speed, scratch, "prune_rate", "predict_speedup", "k:", **same_units)


def plot(results, path):
    plt = pyplot()
    if plt is None:
        return
    problems = list(results["problems"])
    fig, axes = plt.subplots(2, len(problems), figsize=(6.5 * len(problems), 9))
    axes = np.asarray(axes).reshape(2, len(problems))
    for col, problem in enumerate(problems):
        res = results["problems"][problem]["summary"]
        base_acc = res["unpruned"]["test_accuracy"]
        ax_acc, ax_speed = axes[:, col]
        for i, config in enumerate(dict.fromkeys(r["config"] for r in res["rows"])):
            rows = [r for r in res["rows"] if r["config"] == config]
            style = ("--" if config.startswith("naive") else "-") + f"C{i}"
            line = dict(marker="o", label=config)
            plot_rows(ax_acc, rows, "prune_rate", "test_accuracy", style, **line)
            if config.startswith("neuron") or config.startswith("naive neuron"):
                plot_rows(
                    ax_speed, rows, "prune_rate", "predict_speedup", style, **line
                )
        plot_scratch(ax_acc, ax_speed, res["from_scratch"])
        ax_acc.axhline(base_acc, color="grey", label="unpruned")
        ax_acc.axhline(
            res["fine_tuning_control"]["test_accuracy"],
            color="grey",
            ls="-.",
            label="unpruned + same fine-tuning",
        )
        ax_acc.set_ylim(max(0.0, base_acc - 0.1), min(1.0, base_acc + 0.03))
        ax_acc.set_title(f"{problem}: test accuracy (mean of {res['n_seeds']} seed(s))")
        ax_acc.set_xlabel("prune_rate")
        ax_speed.axhline(1.8, color="red", ls=":", label="target 1.8x at 0.5")
        ax_speed.set_title(f"{problem}: predict speed-up vs unpruned")
        ax_speed.set_xlabel("prune_rate (hidden units)")
        ax_acc.legend(fontsize=7)
        ax_speed.legend(fontsize=7)
    save_figure(fig, path)


def run_metadata(args):
    return metadata(
        blas_threads=1,
        quick=args.quick,
        repeats=args.repeats,
        rates=list(QUICK_RATES if args.quick else RATES),
        configs={
            name: CONFIGS[name] for name in (QUICK_CONFIGS if args.quick else CONFIGS)
        },
    )


def parse_args(argv=None):
    parser = BenchmarkParser(__doc__.split("\n")[0])
    parser.add_repeats(5, help="predict timings, median kept")
    parser.add_argument("--problems", nargs="+", choices=list(PROBLEMS), default=None)
    return parser.parse_args(argv)


def summarize(runs):
    """Means (and standard deviations of the accuracies) over seeds.

    Every seed produces the same rows in the same order; numbers are
    averaged, other fields taken from the first seed.
    """

    def merge(items):
        first = items[0]
        if isinstance(first, dict):
            merged = {key: merge([item[key] for item in items]) for key in first}
            for key in STD_KEYS & set(first):
                merged[key + "_std"] = float(np.std([item[key] for item in items]))
            return merged
        if isinstance(first, list) and first and isinstance(first[0], dict):
            return [merge(list(group)) for group in zip(*items, strict=True)]
        if isinstance(first, (int, float, np.number)) and not isinstance(first, bool):
            return float(np.mean(items))
        return first

    summary = merge(runs)
    summary["n_seeds"] = len(runs)
    summary["targets"] = targets(summary["rows"], summary["from_scratch"])
    return summary


STD_KEYS = {
    "test_accuracy",
    "accuracy_change_points",
    "predict_speedup",
    "fine_tuned_test_accuracy",
}


def main(argv=None):
    args = parse_args(argv)
    problems = args.problems or (["digits"] if args.quick else list(PROBLEMS))
    start = time.perf_counter()
    results = {"metadata": run_metadata(args), "problems": {}}
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # The unpruned digits networks stop at max_iter; that is the setup.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for problem in problems:
            n_seeds = 1 if args.quick else PROBLEMS[problem]["seeds"]
            runs = [run_problem(problem, seed, args) for seed in range(n_seeds)]
            results["problems"][problem] = {
                "summary": summarize(runs),
                "per_seed": runs,
            }
    results["metadata"]["total_time_s"] = time.perf_counter() - start
    write_results(args, "bench_mlp", results, plot)
    for problem, res in results["problems"].items():
        print_summary(problem, res["summary"])
    print(f"total {results['metadata']['total_time_s']:.1f} s")


def print_summary(problem, summary):
    print(f"\n== {problem}: mean over {summary['n_seeds']} seed(s)")
    print_row(summary["fine_tuning_control"])
    for row in summary["rows"]:
        print_row(row)
    for row in summary["from_scratch"]:
        print_scratch(row)
    print(f"targets: {summary['targets']}")


if __name__ == "__main__":
    main()
