"""Benchmark SVMPruner's ``method="reduced_set"`` against the elimination and Nystroem.

Problems (each standardised with a ``StandardScaler`` fitted on the training
part; ``SVC`` with the RBF kernel, ``gamma="scale"``):

- ``classification``: the problem of ``bench_svm.py``,
  ``make_classification(n_samples=25000, n_features=30, n_informative=10,
  n_redundant=5, flip_y=0.01, random_state=0)``, 20000 / 5000, ``SVC()``;
- ``three_class``: ``make_classification(n_samples=8000, n_features=20,
  n_informative=10, n_clusters_per_class=2, n_classes=3, random_state=0)``,
  6000 / 2000, ``SVC(C=3)`` (the problem of issue 11);
- ``digits``: ``load_digits`` (10 classes), 70/30 stratified split, ``SVC()``,
  mean over ``--splits`` random splits (default 3);
- ``breast_cancer``: ``load_breast_cancer``, 70/30 stratified split,
  ``SVC()``, mean over ``--splits`` random splits;
- ``hpc_data`` (4 classes, 4,331 rows, stored sorted by class),
  ``credit_data`` (4,454 rows, missing values) and ``mlc_churn`` (5,000
  rows): real sets shipped inside packages of the ``benchmark`` extra
  (``benchmarks/real_data.py``), loaded in the order they ship in; 70/30
  stratified split, missing values imputed by the training medians,
  ``SVC()``, mean over ``--splits`` random splits.

At ``prune_rate`` 0.8, 0.9 and 0.95, the test accuracy of:

- ``eliminate``: ``SVMPruner(FrozenEstimator(svm), prune_rate=r,
  random_state=0)``, the default method;
- ``reduced_set``: the same with ``method="reduced_set"`` (``max_iter=100``);
- ``nystroem``: ``make_pipeline(Nystroem(gamma=svm._gamma,
  n_components=k, random_state=0), LinearSVC())`` with ``k`` the vectors the
  pruner keeps, i.e. the same number of kernel evaluations per prediction;

and the pruning time (wall-clock) of both methods against the SVM's fit time.
Results are printed and written to
``benchmarks/results/bench_svm_reduced_set.json``. Run from the repository
root::

    python benchmarks/bench_svm_reduced_set.py
"""

import argparse
import datetime
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import real_data  # benchmarks/real_data.py, beside this script
import sklearn
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from skprune.svm import SVMPruner

RATES = [0.8, 0.9, 0.95]
SYNTHETIC = ["classification", "three_class"]
BUNDLED = ["digits", "breast_cancer"]
REAL = ["hpc_data", "credit_data", "mlc_churn"]
METHODS = ["eliminate", "reduced_set"]


def load_problem(name, seed):
    """(X_train, X_test, y_train, y_test, estimator) of split ``seed``."""
    if name == "classification":
        X, y = make_classification(
            n_samples=25000,
            n_features=30,
            n_informative=10,
            n_redundant=5,
            flip_y=0.01,
            random_state=0,
        )
        split = train_test_split(X, y, train_size=20000, random_state=seed)
        estimator = SVC()
    elif name == "three_class":
        X, y = make_classification(
            n_samples=8000,
            n_features=20,
            n_informative=10,
            n_clusters_per_class=2,
            n_classes=3,
            random_state=0,
        )
        split = train_test_split(X, y, train_size=6000, random_state=seed)
        estimator = SVC(C=3)
    else:
        if name in real_data.CLASSIFICATION:
            X, y, _ = real_data.load(name)
        else:
            loader = load_digits if name == "digits" else load_breast_cancer
            X, y = loader(return_X_y=True)
        split = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        estimator = SVC()
    X_train, X_test, y_train, y_test = split
    scaler = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    scaler.fit(X_train)
    return (
        scaler.transform(X_train),
        scaler.transform(X_test),
        y_train,
        y_test,
        estimator,
    )


def run_split(name, seed, max_iter):
    X_train, X_test, y_train, y_test, estimator = load_problem(name, seed)
    start = time.perf_counter()
    svm = estimator.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    row = {
        "unpruned": svm.score(X_test, y_test),
        "n_sv": len(svm.support_),
        "fit_time": fit_time,
        "rates": {},
    }
    for rate in RATES:
        entry = {}
        for method in METHODS:
            pruner = SVMPruner(
                FrozenEstimator(svm),
                prune_rate=rate,
                method=method,
                max_iter=max_iter,
                random_state=0,
            )
            start = time.perf_counter()
            pruner.fit(X_train, y_train)
            entry[method] = {
                "score": pruner.score(X_test, y_test),
                "k": int(pruner.n_units_after_),
                "prune_time": time.perf_counter() - start,
            }
        k = entry["eliminate"]["k"]
        nystroem = make_pipeline(
            Nystroem(gamma=svm._gamma, n_components=k, random_state=0), LinearSVC()
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            nystroem.fit(X_train, y_train)
        entry["nystroem"] = {"score": nystroem.score(X_test, y_test), "k": k}
        row["rates"][str(rate)] = entry
    return row


def mean_rows(rows):
    """Mean of every number over the splits (the structure of one row)."""
    first = rows[0]
    if isinstance(first, dict):
        return {key: mean_rows([r[key] for r in rows]) for key in first}
    return float(np.mean(rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument(
        "--problems",
        nargs="+",
        default=[*SYNTHETIC, *BUNDLED, *REAL],
    )
    parser.add_argument(
        "--output-dir",
        default=str(Path(__file__).parent / "results"),
        help="where the JSON goes (default: benchmarks/results)",
    )
    args = parser.parse_args()
    missing = real_data.missing_packages()
    if missing and set(args.problems) & set(REAL):
        parser.error(f"the real data sets need the benchmark extra: {missing} missing")
    results = {}
    for name in args.problems:
        small = name not in SYNTHETIC
        seeds = range(args.splits) if small else [0]
        results[name] = mean_rows([run_split(name, s, args.max_iter) for s in seeds])
        results[name]["n_splits"] = len(seeds)
        r = results[name]
        print(
            f"{name}: unpruned {r['unpruned']:.4f}, {r['n_sv']:.0f} vectors, "
            f"fit {r['fit_time']:.2f} s, {len(seeds)} split(s)"
        )
        for rate, entry in r["rates"].items():
            print(
                f"  {float(rate):.2f}: k={entry['eliminate']['k']:.0f}  "
                + "  ".join(
                    f"{m} {entry[m]['score']:.4f}"
                    + (f" ({entry[m]['prune_time']:.2f} s)" if m in METHODS else "")
                    for m in [*METHODS, "nystroem"]
                )
            )
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "max_iter": args.max_iter,
        "splits": args.splits,
    }
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "bench_svm_reduced_set.json"
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    print(f"written {out.name}")


if __name__ == "__main__":
    main()
