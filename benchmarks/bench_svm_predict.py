"""Predict time of pruned SVMs: libsvm, SVMPruner's BLAS path, sklearnex, ONNX.

On the ``classification`` problem of ``bench_svm.py`` (20000 training / 5000
test samples, 30 features, ``SVC()``; ``--quick``: 3000 / 1000), the SVC is
fitted once and pruned (``refit="coef"``, ``random_state=0``, through a
``FrozenEstimator``) at ``prune_rate`` 0, 0.5, 0.8, 0.9, 0.95 and 0.98. For every
rate, the test set is predicted by:

- ``libsvm``: ``pruner.estimator_.predict`` (scikit-learn's SVC, libsvm);
- ``fast``: ``pruner.predict``, the BLAS path, with BLAS's default threads;
- ``fast_1_thread``: the same inside ``threadpool_limits(1)``;
- ``sklearnex``: scikit-learn-intelex's ``SVC`` holding the same support
  vectors, coefficients and intercept (written into its public attributes,
  which sklearnex allows for binary models), if ``sklearnex`` is installed;
- ``onnxruntime``: the skl2onnx export of ``estimator_`` (double inputs), if
  ``skl2onnx`` and ``onnxruntime`` are installed;

and the unpruned SVC's ``predict`` (libsvm), the reference of every ratio.
Each method is timed ``--repeats`` times, interleaved with the others
(round-robin), and the best time kept; every ratio is
``unpruned libsvm time / method time`` from the same run. Labels are
compared with libsvm's on the same pruned model.

Accuracy at equal predict time: ``make_pipeline(Nystroem(gamma=<the SVC's
gamma>, n_components=k), LinearSVC())`` for ``k`` the number of vectors kept
at each rate (and the unpruned count), timed in the same rounds. For every
Nystroem predict time, the best accuracy of the pruned SVMs (fast path) that
predict at most that fast is compared with the best Nystroem accuracy within
the same budget.

Targets: ``fast`` over unpruned libsvm >= 6x at rate 0, >= 15x at
0.5, >= 35x at 0.8; the pruned SVM at least as accurate as Nystroem at every
predict-time budget measured.

Run from the repository root (needs the ``benchmark`` extra for sklearnex and
ONNX)::

    python benchmarks/bench_svm_predict.py            # about 5 minutes
    python benchmarks/bench_svm_predict.py --quick    # < 1 minute

Results: ``bench_svm_predict.json`` and ``.png`` in ``--output-dir``
(``--quick``: ``bench_svm_predict_quick.*``).
"""

import warnings

import numpy as np
from _common import (
    BenchmarkParser,
    best_times,
    metadata,
    plot_rows,
    pyplot,
    save_figure,
    svm_problem,
    write_results,
)
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.kernel_approximation import Nystroem
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from skprune.svm import SVMPruner

RATES = [0.0, 0.5, 0.8, 0.9, 0.95, 0.98]
TARGETS = {0.0: 6.0, 0.5: 15.0, 0.8: 35.0}


def sklearnex_model(pruned, X, y):
    """sklearnex's SVC holding the support vectors of ``pruned`` (binary)."""
    try:
        from sklearnex.svm import SVC as AcceleratedSVC
    except ImportError:
        return None
    model = AcceleratedSVC(**pruned.get_params()).fit(X[:200], y[:200])
    # Public attributes: sklearnex rebuilds its oneDAL model from them.
    for name in ("support_", "support_vectors_", "_n_support", "dual_coef_"):
        setattr(model, name, getattr(pruned, name).copy())
    model.intercept_ = pruned.intercept_.copy()
    model._gamma = pruned._gamma
    return model


def onnx_predictor(pruned, n_features):
    """A function predicting with the skl2onnx export of ``pruned``, or None."""
    try:
        import onnxruntime
        from skl2onnx import to_onnx
        from skl2onnx.common.data_types import DoubleTensorType
    except ImportError:
        return None
    with warnings.catch_warnings():
        # The converter reads the deprecated probA_/probB_.
        warnings.simplefilter("ignore", FutureWarning)
        onx = to_onnx(
            pruned,
            initial_types=[("X", DoubleTensorType([None, n_features]))],
            options={id(pruned): {"zipmap": False}},
        )
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return lambda X: session.run(["label"], {"X": X})[0]


def single_thread(func):
    def run(X):
        with threadpool_limits(1):
            return func(X)

    return run


def run(args):
    X_train, X_test, y_train, y_test, estimator = svm_problem(
        "classification", args.quick
    )
    base = clone(estimator).fit(X_train, y_train)
    n_sv = len(base.support_)
    print(f"unpruned SVC: {n_sv} support vectors, {X_test.shape[0]} test rows")
    rows = []
    for rate in RATES:
        pruner = SVMPruner(FrozenEstimator(base), prune_rate=rate, random_state=0)
        pruner.fit(X_train, y_train)
        split = (X_train, y_train, X_test, y_test)
        rows.append(measure_rate(pruner, base, args, *split))
    return {"n_sv": n_sv, "n_test": int(X_test.shape[0]), "rates": rows}


def measure_rate(pruner, base, args, X_train, y_train, X_test, y_test):
    pruned = pruner.estimator_
    kept = len(pruned.support_)
    nystroem = make_pipeline(
        Nystroem(gamma=base._gamma, n_components=kept, random_state=0),
        LinearSVC(random_state=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        nystroem.fit(X_train, y_train)
    methods = {
        "unpruned_libsvm": base.predict,
        "libsvm": pruned.predict,
        "fast": pruner.predict,
        "fast_1_thread": single_thread(pruner.predict),
        "nystroem": nystroem.predict,
    }
    accelerated = sklearnex_model(pruned, X_train, y_train)
    if accelerated is not None:
        methods["sklearnex"] = accelerated.predict
    onnx = onnx_predictor(pruned, X_test.shape[1])
    if onnx is not None:
        methods["onnxruntime"] = onnx
    reference = pruned.predict(X_test)
    agree = {
        name: float(np.mean(func(X_test) == reference))
        for name, func in methods.items()
        if name not in ("unpruned_libsvm", "nystroem")
    }
    times = best_times(methods, args.repeats, X_test)
    row = {
        "prune_rate": pruner.prune_rate,
        "n_sv": kept,
        "accuracy": float(np.mean(reference == y_test)),
        "nystroem_accuracy": float(nystroem.score(X_test, y_test)),
        "seconds": times,
        "speedup": {
            name: times["unpruned_libsvm"] / t
            for name, t in times.items()
            if name != "unpruned_libsvm"
        },
        "label_agreement_with_libsvm": agree,
    }
    speedups = "  ".join(f"{k} {v:6.1f}x" for k, v in row["speedup"].items())
    print(
        f"rate {pruner.prune_rate:4.2f}: {kept:5d} SV, acc {row['accuracy']:.4f} "
        f"(Nystroem {row['nystroem_accuracy']:.4f}); {speedups}"
    )
    return row


def equal_time_comparison(rows):
    """At every Nystroem predict time: best pruned vs best Nystroem accuracy."""
    comparison = []
    for row in rows:
        budget = row["seconds"]["nystroem"]
        pruned = [r["accuracy"] for r in rows if r["seconds"]["fast"] <= budget]
        nystroem = [
            r["nystroem_accuracy"] for r in rows if r["seconds"]["nystroem"] <= budget
        ]
        best_pruned = max(pruned) if pruned else None
        comparison.append(
            {
                "budget_seconds": budget,
                "best_pruned_accuracy": best_pruned,
                "best_nystroem_accuracy": max(nystroem),
                "pruned_at_least_as_accurate": best_pruned is not None
                and best_pruned >= max(nystroem),
            }
        )
    return comparison


def check_targets(result):
    by_rate = {r["prune_rate"]: r for r in result["rates"]}
    targets = {
        f"fast >= {goal}x at {rate}": [
            by_rate[rate]["speedup"]["fast"],
            by_rate[rate]["speedup"]["fast"] >= goal,
        ]
        for rate, goal in TARGETS.items()
    }
    comparison = result["equal_time"]
    targets["pruned >= nystroem at every budget"] = [
        sum(c["pruned_at_least_as_accurate"] for c in comparison),
        all(c["pruned_at_least_as_accurate"] for c in comparison),
    ]
    return targets


def plot(result, path):
    plt = pyplot()
    if plt is None:
        return
    rows = result["rates"]
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    curves = [
        ("fast", "accuracy", "o-", "SVMPruner.predict (BLAS)"),
        ("libsvm", "accuracy", "s--", "pruned SVC.predict (libsvm)"),
        ("nystroem", "nystroem_accuracy", "d-", "Nystroem(k) + LinearSVC"),
    ]
    for method, key, style, label in curves:
        milliseconds = lambda r, m=method: r["seconds"][m] * 1e3  # noqa: E731
        plot_rows(ax, rows, milliseconds, key, style, label=label)
    ax.set_xscale("log")
    ax.set_xlabel(f"predict time of {result['n_test']} rows (ms, best of repeats)")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"SVC with {result['n_sv']} SV, pruned at {RATES}", fontsize=8)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def main():
    parser = BenchmarkParser(__doc__.splitlines()[0])
    parser.add_repeats(5, 3, help="interleaved timed calls of every method, best kept")
    args = parser.parse_args()
    result = run(args)
    result["equal_time"] = equal_time_comparison(result["rates"])
    result["targets"] = check_targets(result)
    result["meta"] = metadata(quick=args.quick, repeats=args.repeats)
    print("== targets")
    for target, (value, ok) in result["targets"].items():
        print(f"{target:<40} {value:8.2f} {'met' if ok else 'MISSED'}")
    write_results(args, "bench_svm_predict", result, plot)


if __name__ == "__main__":
    main()
