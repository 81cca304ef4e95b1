"""Tests of SVMPruner (support-vector reduction of libsvm models)."""

import copy
import math
import os
import pickle
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import (
    make_classification,
)
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import pairwise_kernels, rbf_kernel
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR, NuSVC, NuSVR, OneClassSVM
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from skprune.model_selection import InMemoryCache
from skprune.svm import SVMPruner, _fast_predict, _reduce, _refits
from skprune.svm._kernels import SVKernel
from skprune.svm._libsvm_model import (
    SVLayout,
    check_libsvm_model,
    dense_dual_coef,
    write_reduced_model,
)
from skprune.svm._reduce import ridge_cholesky


def _all_kinds(iris_scaled, friedman_standardized):
    """(estimator, X, y) for every supported SVM class."""
    X, y = iris_scaled
    Xr, yr = friedman_standardized
    return [
        (SVC(), X, (y > 0).astype(int)),
        (SVC(), X, y),
        (NuSVC(nu=0.3), X, y),
        (SVR(), Xr, yr),
        (NuSVR(), Xr, yr),
        (OneClassSVM(nu=0.3), X, None),
    ]


def _manual_decision(svm, X):
    """Binary decision function from the public attributes, by hand."""
    K = pairwise_kernels(
        X,
        svm.support_vectors_,
        metric=svm.kernel,
        filter_params=True,
        gamma=svm._gamma,
        degree=svm.degree,
        coef0=svm.coef0,
    )
    dual_coef = svm.dual_coef_
    dual_coef = dual_coef.toarray() if sp.issparse(dual_coef) else dual_coef
    return K @ dual_coef[0] + svm.intercept_[0]


# -- behaviour ------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf", "sigmoid"])
@pytest.mark.parametrize("sparse", [False, True])
def test_pruning_kernel_blocks_match_pairwise_kernels(kernel, sparse):
    # The pruner's kernel (the prediction path's threaded blocks) against
    # scikit-learn's: 900 x ~500 values span several blocks, so that with two
    # BLAS threads they are computed by two threads.
    X, y = make_classification(n_samples=900, n_features=6, random_state=0)
    X = StandardScaler().fit_transform(X)
    svm = SVC(kernel=kernel, C=0.1, gamma=0.2, coef0=0.5).fit(X, y)
    X_in = sp.csr_matrix(X) if sparse else X
    kernel_values = SVKernel(svm)
    expected = pairwise_kernels(
        X,
        svm.support_vectors_,
        metric=kernel,
        filter_params=True,
        gamma=0.2,
        degree=svm.degree,
        coef0=0.5,
    )
    assert expected.size > _fast_predict._BLOCK_ENTRIES  # two blocks or more
    all_sv = np.arange(len(svm.support_))
    with threadpool_limits(2, user_api="blas"):
        K = kernel_values.between(X_in, all_sv)
    np.testing.assert_allclose(K, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        kernel_values.among(all_sv), expected[svm.support_], rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("prune_rate", [0.3, 0.5, 0.8, 0.95])
def test_size_follows_prune_rate_per_class(iris_scaled, prune_rate):
    X, y = iris_scaled
    pruner = SVMPruner(SVC(), prune_rate=prune_rate, random_state=0).fit(X, y)
    unpruned = SVC().fit(X, y)
    expected = [max(1, math.ceil((1 - prune_rate) * n)) for n in unpruned.n_support_]
    assert list(pruner.estimator_.n_support_) == expected
    assert pruner.n_units_before_ == len(unpruned.support_)
    assert pruner.n_units_after_ == sum(expected) == len(pruner.estimator_.support_)
    assert pruner.prune_rate_ == pytest.approx(
        1 - sum(expected) / len(unpruned.support_)
    )
    assert pruner.n_params_after_ < pruner.n_params_before_
    # support vectors x features + dual coefficients + intercepts
    n_sv = pruner.n_units_after_
    assert pruner.n_params_after_ == n_sv * X.shape[1] + 2 * n_sv + 3


@pytest.mark.parametrize("kind", range(6))
@pytest.mark.parametrize("sparse", [False, True])
def test_prune_rate_zero_is_identical(iris_scaled, friedman_standardized, kind, sparse):
    estimator, X, y = _all_kinds(iris_scaled, friedman_standardized)[kind]
    if sparse:
        X = sp.csr_matrix(X)
    unpruned = clone(estimator).fit(X, y)
    pruner = SVMPruner(estimator, prune_rate=0.0).fit(X, y)
    # The libsvm model is the same to the bit; the pruner's own (BLAS)
    # prediction path agrees with it to rounding.
    np.testing.assert_array_equal(pruner.estimator_.predict(X), unpruned.predict(X))
    if hasattr(unpruned, "decision_function"):
        np.testing.assert_array_equal(
            pruner.estimator_.decision_function(X), unpruned.decision_function(X)
        )
    _assert_same_predictions(pruner, unpruned, X, y)
    assert pruner.n_units_after_ == pruner.n_units_before_
    assert pruner.prune_rate_ == 0.0


def test_refit_coef_keeps_accuracy_at_half(synthetic_split):
    X_train, X_test, y_train, y_test = synthetic_split
    unpruned = SVC().fit(X_train, y_train)
    scores = {}
    for refit in ["coef", None]:
        pruner = SVMPruner(SVC(), prune_rate=0.5, refit=refit, random_state=0)
        scores[refit] = pruner.fit(X_train, y_train).score(X_test, y_test)
        if refit == "coef":
            agree = np.mean(pruner.predict(X_test) == unpruned.predict(X_test))
            assert agree >= 0.99
            gap = pruner.decision_function(X_test) - unpruned.decision_function(X_test)
            assert np.sqrt(np.mean(gap**2)) < 0.1
    assert scores["coef"] >= unpruned.score(X_test, y_test) - 0.005
    # Dropping without a refit is much worse: the refit is what matters.
    assert scores[None] < scores["coef"] - 0.1


@pytest.mark.parametrize("refit", ["coef", None])
def test_estimator_is_a_native_smaller_svc_that_pickles(cancer_split, refit):
    X_train, X_test, y_train, _ = cancer_split
    pruner = SVMPruner(SVC(), prune_rate=0.6, refit=refit, random_state=0)
    pruner.fit(X_train, y_train)
    svm = pruner.estimator_
    assert type(svm) is SVC
    assert len(svm.support_) < pruner.n_units_before_
    assert svm.support_vectors_.shape == (len(svm.support_), X_train.shape[1])
    assert svm.dual_coef_.shape == (1, len(svm.support_))
    # The public attributes follow scikit-learn's (negated, binary) convention.
    np.testing.assert_allclose(
        svm.decision_function(X_test), _manual_decision(svm, X_test), atol=1e-8
    )
    # support_ indexes the training samples that are support_vectors_.
    np.testing.assert_array_equal(X_train[svm.support_], svm.support_vectors_)
    np.testing.assert_array_equal(pruner.predict(X_test), svm.predict(X_test))
    restored = pickle.loads(pickle.dumps(pruner))
    np.testing.assert_array_equal(restored.predict(X_test), pruner.predict(X_test))
    check_libsvm_model(restored.estimator_)


def test_user_estimator_is_not_modified(cancer_split):
    X_train, _, y_train, _ = cancer_split
    estimator = SVC(C=2.0)
    SVMPruner(estimator, prune_rate=0.5).fit(X_train, y_train)
    assert not hasattr(estimator, "support_")
    assert estimator.get_params() == SVC(C=2.0).get_params()

    fitted = SVC().fit(X_train, y_train)
    before = copy.deepcopy(fitted.__dict__)
    for refit in ["coef", None]:
        SVMPruner(FrozenEstimator(fitted), prune_rate=0.7, refit=refit).fit(
            X_train, y_train
        )
    after = fitted.__dict__
    assert set(before) == set(after)
    for name, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[name], value)
            assert after[name].dtype == value.dtype


def test_frozen_estimator_is_pruned_without_refit(cancer_split):
    X_train, X_test, y_train, _ = cancer_split
    X_fit, X_other, y_fit, y_other = train_test_split(
        X_train, y_train, test_size=0.5, random_state=0
    )
    fitted = SVC().fit(X_fit, y_fit)
    # The frozen model is pruned with other data as the fitting samples.
    pruner = SVMPruner(FrozenEstimator(fitted), prune_rate=0.5, random_state=0)
    pruner.fit(X_other, y_other)
    assert pruner.n_units_before_ == len(fitted.support_)
    assert set(pruner.estimator_.support_) <= set(fitted.support_)
    agree = np.mean(pruner.predict(X_test) == fitted.predict(X_test))
    assert agree > 0.95


def test_calibration_of_a_pruned_model(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    X_fit, X_cal, y_fit, y_cal = train_test_split(
        X_train, y_train, test_size=0.3, random_state=0
    )
    pruner = SVMPruner(SVC(), prune_rate=0.7, random_state=0).fit(X_fit, y_fit)
    calibrated = CalibratedClassifierCV(FrozenEstimator(pruner.estimator_))
    calibrated.fit(X_cal, y_cal)
    proba = calibrated.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert calibrated.score(X_test, y_test) > 0.9


def test_predict_proba_behaves_as_on_the_wrapped_svm(iris_scaled):
    X, y = iris_scaled
    pruner = SVMPruner(SVC(), prune_rate=0.5, random_state=0)
    assert not hasattr(SVC(), "predict_proba")
    assert not hasattr(pruner, "predict_proba")
    pruner.fit(X, y)
    assert not hasattr(pruner, "predict_proba")

    with warnings.catch_warnings():
        # probability=True is deprecated in scikit-learn 1.9.
        warnings.simplefilter("ignore", FutureWarning)
        svm = SVC(probability=True, random_state=0).fit(X, y)
        same = SVMPruner(FrozenEstimator(svm), prune_rate=0.0).fit(X, y)
        pruned = SVMPruner(FrozenEstimator(svm), prune_rate=0.5, random_state=0)
        pruned.fit(X, y)
    np.testing.assert_array_equal(same.predict_proba(X), svm.predict_proba(X))
    proba = pruned.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # refit="coef" keeps the decision function, hence Platt's scaling.
    assert np.abs(proba - svm.predict_proba(X)).max() < 0.2
    np.testing.assert_allclose(pruned.predict_log_proba(X), np.log(proba))


class _CountingCache(InMemoryCache):
    """An in-memory cache that also counts the calls it answered (hits)."""

    def __init__(self):
        super().__init__()
        self.n_hits_ = 0

    def cache(self, func):
        cached = super().cache(func)

        def counted(*args, **kwargs):
            n_calls = self.n_calls_
            result = cached(*args, **kwargs)
            self.n_hits_ += self.n_calls_ == n_calls
            return result

        return counted


def test_grid_search_over_prune_rate_with_memory(cancer_split):
    X_train, _, y_train, _ = cancer_split
    cache = _CountingCache()
    search = GridSearchCV(
        SVMPruner(SVC(), random_state=0, memory=cache),
        {"prune_rate": [0.0, 0.5, 0.9]},
        cv=3,
        refit=False,
    )
    search.fit(X_train, y_train)
    # Per fold, the SVM is fitted once (three calls) and its vectors are
    # eliminated and factorised once (two calls: rate 0 needs none).
    assert cache.n_calls_ == 3 * 2
    assert cache.n_hits_ == 3 * (2 + 1)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def _pruned_at_rates(pruner, X, y, rates):
    return [clone(pruner).set_params(prune_rate=r).fit(X, y) for r in rates]


def _assert_same_models(pruners, others, rtol, atol):
    """Same kept vectors, and coefficients and intercepts equal to ``rtol``."""
    for a, b in zip(pruners, others, strict=True):
        np.testing.assert_array_equal(a.estimator_.support_, b.estimator_.support_)
        for name in ("dual_coef_", "intercept_"):
            np.testing.assert_allclose(
                getattr(a.estimator_, name),
                getattr(b.estimator_, name),
                rtol=rtol,
                atol=atol,
            )


@pytest.mark.parametrize("kind", range(6))
def test_cached_refit_gives_the_models_of_a_single_rate(
    iris_scaled, friedman_standardized, kind
):
    # With memory, one factorisation over all the vectors serves every rate;
    # without, each rate factorises only its own kept vectors.
    estimator, X, y = _all_kinds(iris_scaled, friedman_standardized)[kind]
    rates = [0.2, 0.5, 0.8, 0.95]
    direct = _pruned_at_rates(SVMPruner(estimator, random_state=0), X, y, rates)
    cache = InMemoryCache()
    cached = _pruned_at_rates(
        SVMPruner(estimator, random_state=0, memory=cache), X, y, rates
    )
    # One base fit and one factorisation for all the rates.
    assert cache.n_calls_ == 2
    _assert_same_models(direct, cached, rtol=1e-6, atol=1e-8)


def test_memory_without_random_state_caches_only_the_fit(iris_scaled):
    X, y = iris_scaled
    cache = InMemoryCache()
    with pytest.warns(UserWarning, match="random_state is an int"):
        SVMPruner(SVC(), prune_rate=0.3, memory=cache).fit(X, y)
    # Said once per process, not once per fit of a search.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SVMPruner(SVC(), prune_rate=0.6, memory=cache).fit(X, y)
    # The SVM's fit, once; no factorisation that no later fit could reuse.
    assert cache.n_calls_ == 1


def test_indefinite_kernel_cached_refit_matches_single_rate():
    # A sigmoid kernel is not positive semi-definite: the ridge found on all
    # of a pair's vectors serves every subset, cached or not.
    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_classes=4,
        weights=[0.4, 0.3, 0.2, 0.1],
        random_state=0,
    )
    X = StandardScaler().fit_transform(X)
    svm = SVC(kernel="sigmoid", gamma=0.05, coef0=0.5)
    rates = [0.33, 0.7]
    direct = _pruned_at_rates(SVMPruner(svm, random_state=0), X, y, rates)
    cached = _pruned_at_rates(
        SVMPruner(svm, random_state=0, memory=InMemoryCache()), X, y, rates
    )
    _assert_same_models(direct, cached, rtol=1e-5, atol=1e-7)


def test_refit_without_ridge_on_few_samples_stays_close():
    # ridge=0 with fewer fitting samples than vectors: the refit's system is
    # singular, and the ridge is raised until it factorises. The raised
    # system must be the original one plus the ridge (the intercept's own
    # diagonal entry included), or the refit drifts from the original model.
    X, y = make_classification(
        n_samples=400, n_features=8, n_informative=5, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    svm = SVC(C=10).fit(X, y)
    pruner = SVMPruner(
        FrozenEstimator(svm),
        prune_rate=0.2,
        ridge=0.0,
        max_fit_samples=30,
        random_state=0,
    ).fit(X, y)
    assert np.mean(pruner.predict(X) == svm.predict(X)) > 0.95


def test_ridge_cholesky_factorises_the_matrix_plus_the_ridge():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 9))
    A[:, 0] = 1.0  # an unpenalised intercept column
    M = A.T @ A  # rank 5 of 9: the first attempts fail
    factor, lam = ridge_cholesky(M.copy(), 0.0, n_free=1)
    L = np.tril(factor)
    penalty = np.diag([0.0] + [lam] * 8)
    np.testing.assert_allclose(L @ L.T, M + penalty, atol=1e-8 * np.abs(M).max())
    assert lam > 0


def test_elimination_solves_least_squares_on_the_pair_samples(iris_scaled):
    # Each round's coefficients are, per one-vs-one pair, the ridge
    # least-squares fit of the pair's decision values on the samples of its
    # two classes, with a free intercept: checked against a direct solve.
    X, y = iris_scaled
    svm = SVC(C=10).fit(X, y)
    layout = SVLayout(svm)
    kernel = SVKernel(svm)
    dual_coef = dense_dual_coef(svm)

    def equations_for(vectors):
        return _reduce.PairEquations(
            layout, kernel, X, np.ones(len(y)), y, dual_coef, svm._intercept_, vectors
        )

    path = _reduce.EliminationPath(
        layout,
        equations_for,
        kernel.among(np.arange(layout.n_sv)),
        dual_coef,
        "dual_coef",
        np.ones(layout.n_sv),
        1e-6,
        np.arange(layout.n_sv, dtype=np.float64),
    )
    every = [layout.block(c) for c in range(layout.n_groups)]
    kept = [vectors[::2] for vectors in every]
    # Equations over a part of the vectors: the ridge still uses all of them.
    path.equations = equations_for([vectors[::2] for vectors in every])
    coef = path.solve(kept)
    K = kernel.between(X, np.arange(layout.n_sv))
    values = _fast_predict.pair_values(layout, K, dual_coef, svm._intercept_)
    for p, (i, j) in enumerate(layout.pairs):
        rows = (y == i) | (y == j)
        cols = layout.pair_columns(kept, p)
        A = np.column_stack([np.ones(rows.sum()), K[np.ix_(rows, cols)]])
        # Relative to the mean squared norm of all the pair's kernel columns.
        all_cols = layout.pair_columns(every, p)
        lam = _reduce.ELIMINATION_RIDGE * np.mean(np.sum(K[rows][:, all_cols] ** 2, 0))
        penalty = np.diag([0.0] + [lam] * len(cols))
        expected = np.linalg.solve(A.T @ A + penalty, A.T @ values[rows, p])[1:]
        np.testing.assert_allclose(
            layout.pair_coef(coef, kept, p), expected, rtol=1e-6, atol=1e-8
        )


@pytest.mark.parametrize("n_fit", [150, 40])
def test_final_refit_pulls_towards_rkhs_only_where_samples_are_few(iris_scaled, n_fit):
    # Every pair's final refit is the ridge least-squares fit of its decision
    # values on its fitting samples, pulled towards zero where the pair has
    # PRIOR_MIN_SAMPLES_PER_VECTOR samples per vector (all 150 iris samples),
    # towards its RKHS solution where it has fewer (40): checked against
    # direct solves.
    X, y = iris_scaled
    svm = SVC(C=10).fit(X, y)
    layout = SVLayout(svm)
    kernel = SVKernel(svm)
    dual_coef = dense_dual_coef(svm)
    fit = np.sort(np.random.default_rng(0).permutation(len(y))[:n_fit])
    X_fit, y_fit = X[fit], y[fit]
    ridge = 1e-6
    nested = _refits.fit_nested_refit(
        svm,
        None,
        X_fit,
        np.ones(n_fit),
        y_fit,
        np.arange(layout.n_sv, dtype=np.float64),
        "dual_coef",
        0.25,
        ridge,
        None,
    )
    kept, coef, intercept = nested.at(_reduce.target_counts(layout.n_support, 0.5))
    by_vector = np.zeros_like(dual_coef)
    by_vector[:, np.concatenate(kept)] = coef
    every = [layout.block(c) for c in range(layout.n_groups)]
    K = kernel.between(X_fit, np.arange(layout.n_sv))
    gram = kernel.among(np.arange(layout.n_sv))
    values = _fast_predict.pair_values(layout, K, dual_coef, svm._intercept_)
    n_pulled = 0
    for p, (i, j) in enumerate(layout.pairs):
        rows = (y_fit == i) | (y_fit == j)
        cols = layout.pair_columns(kept, p)
        all_cols = layout.pair_columns(every, p)
        A = np.column_stack([np.ones(rows.sum()), K[np.ix_(rows, cols)]])
        lam = ridge * np.mean(np.sum(K[rows][:, all_cols] ** 2, 0))
        target = A.T @ values[rows, p]
        if rows.sum() < _reduce.PRIOR_MIN_SAMPLES_PER_VECTOR * len(all_cols):
            n_pulled += 1
            alpha = layout.pair_coef(dual_coef, every, p)
            lam_rkhs = ridge * np.mean(np.diag(gram)[all_cols])
            prior = np.linalg.solve(
                gram[np.ix_(cols, cols)] + lam_rkhs * np.eye(len(cols)),
                gram[np.ix_(cols, all_cols)] @ alpha,
            )
            target[1:] += lam * prior
        penalty = np.diag([0.0] + [lam] * len(cols))
        expected = np.linalg.solve(A.T @ A + penalty, target)
        np.testing.assert_allclose(intercept[p], expected[0], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(
            layout.pair_coef(by_vector, kept, p), expected[1:], rtol=1e-5, atol=1e-7
        )
    # Both regimes are exercised.
    assert n_pulled == (0 if n_fit == 150 else len(layout.pairs))


def test_kept_vectors_are_nested_across_rates(iris_scaled):
    X, y = iris_scaled
    pruners = _pruned_at_rates(
        SVMPruner(SVC(), random_state=0), X, y, [0.0, 0.3, 0.6, 0.9]
    )
    supports = [set(p.estimator_.support_) for p in pruners]
    for larger, smaller in zip(supports, supports[1:], strict=False):
        assert smaller < larger


def test_disk_cache_is_memory_mapped_and_matches(cancer_split, tmp_path):
    X_train, X_test, y_train, _ = cancer_split
    pruner = SVMPruner(SVC(), prune_rate=0.7, random_state=0, memory=str(tmp_path))
    first = clone(pruner).fit(X_train, y_train)
    again = clone(pruner).fit(X_train, y_train)
    direct = clone(pruner).set_params(memory=None).fit(X_train, y_train)
    np.testing.assert_array_equal(again.estimator_.support_, direct.estimator_.support_)
    np.testing.assert_allclose(
        first.decision_function(X_test), direct.decision_function(X_test), atol=1e-8
    )
    np.testing.assert_allclose(
        again.decision_function(X_test), direct.decision_function(X_test), atol=1e-8
    )
    # The pruned model owns its arrays: nothing points into the cache files.
    assert not isinstance(again.estimator_.dual_coef_, np.memmap)
    assert not isinstance(again.estimator_._dual_coef_, np.memmap)


# -- corner cases: layouts, sparse input, kernels ------------------------------


@pytest.mark.parametrize("refit", ["coef", None])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("binary", [False, True])
def test_one_vector_per_class(iris_scaled, refit, sparse, binary):
    X, y = iris_scaled
    if binary:
        y = (y > 0).astype(int)
    if sparse:
        X = sp.csr_matrix(X)
    pruner = SVMPruner(SVC(), prune_rate=0.99, refit=refit, random_state=0)
    pruner.fit(X, y)
    svm = pruner.estimator_
    assert np.all(svm.n_support_ == 1)
    check_libsvm_model(svm)
    assert sp.issparse(svm.support_vectors_) == sparse
    assert sp.issparse(svm.dual_coef_) == sparse
    prediction = svm.predict(X)
    assert set(prediction) <= set(np.unique(y))
    if binary:
        np.testing.assert_allclose(
            svm.decision_function(X), _manual_decision(svm, X), atol=1e-8
        )


@pytest.mark.parametrize("refit", ["coef", None])
def test_sparse_input_matches_dense(iris_scaled, refit):
    X, y = iris_scaled
    dense = SVMPruner(SVC(), prune_rate=0.6, refit=refit, random_state=0).fit(X, y)
    sparse = SVMPruner(SVC(), prune_rate=0.6, refit=refit, random_state=0)
    sparse.fit(sp.csr_matrix(X), y)
    np.testing.assert_array_equal(sparse.estimator_.support_, dense.estimator_.support_)
    np.testing.assert_allclose(
        sparse.decision_function(sp.csr_matrix(X)),
        dense.decision_function(X),
        atol=1e-6,
    )
    # libsvm reads every coefficient from the sparse matrix's data: none dropped.
    dual_coef = sparse.estimator_._dual_coef_
    assert dual_coef.nnz == dual_coef.shape[0] * dual_coef.shape[1]


@pytest.mark.parametrize("refit", ["coef", None])
@pytest.mark.parametrize("kind", range(6))
def test_every_svm_class_and_refit(iris_scaled, friedman_standardized, kind, refit):
    estimator, X, y = _all_kinds(iris_scaled, friedman_standardized)[kind]
    pruner = SVMPruner(estimator, prune_rate=0.5, refit=refit, random_state=0)
    pruner.fit(X, y)
    svm = pruner.estimator_
    assert type(svm) is type(estimator)
    check_libsvm_model(svm)
    assert 0 < len(svm.support_) < pruner.n_units_before_
    assert svm.n_support_.sum() == len(svm.support_)
    assert pruner.predict(X).shape == (X.shape[0],)
    if isinstance(svm, OneClassSVM):
        np.testing.assert_array_equal(svm.offset_, -svm._intercept_)
        np.testing.assert_allclose(
            pruner.score_samples(X) - pruner.offset_, pruner.decision_function(X)
        )
    if refit == "coef" and isinstance(svm, (SVR, NuSVR)):
        unpruned = clone(estimator).fit(X, y)
        assert pruner.score(X, y) > unpruned.score(X, y) - 0.05


@pytest.mark.parametrize("kernel", ["linear", "poly", "sigmoid", rbf_kernel])
def test_kernels(cancer_split, kernel):
    X_train, X_test, y_train, y_test = cancer_split
    estimator = SVC(kernel=kernel)
    unpruned = clone(estimator).fit(X_train, y_train).score(X_test, y_test)
    pruner = SVMPruner(estimator, prune_rate=0.5, random_state=0)
    pruner.fit(X_train, y_train)
    assert pruner.n_units_after_ < pruner.n_units_before_
    assert pruner.score(X_test, y_test) > unpruned - 0.05
    if callable(kernel):
        # Only the kept rows are stored, so predict evaluates fewer kernels.
        assert pruner.estimator_.shape_fit_[0] == pruner.n_units_after_


def test_precomputed_kernel(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    gram, gram_test = X_train @ X_train.T, X_test @ X_train.T
    unpruned = SVC(kernel="precomputed").fit(gram, y_train)
    pruner = SVMPruner(SVC(kernel="precomputed"), prune_rate=0.5, random_state=0)
    pruner.fit(gram, y_train)
    # The pruned model still takes kernels against all training samples.
    assert pruner.estimator_.shape_fit_ == unpruned.shape_fit_
    assert pruner.score(gram_test, y_test) > unpruned.score(gram_test, y_test) - 0.02
    # A frozen model is pruned with its training Gram matrix as X.
    frozen = SVMPruner(FrozenEstimator(unpruned), prune_rate=0.5, random_state=0)
    frozen.fit(gram, y_train)
    np.testing.assert_array_equal(frozen.predict(gram_test), pruner.predict(gram_test))


def test_sample_weight_and_class_weight(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y_train))
    pruner = SVMPruner(SVC(class_weight="balanced"), prune_rate=0.5, random_state=0)
    pruner.fit(X_train, y_train, sample_weight=weight)
    assert pruner.score(X_test, y_test) > 0.9


def test_criteria(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    calls = []

    def smallest_index_first(dual_coef, kernel_norms):
        calls.append((dual_coef.shape, kernel_norms.shape))
        return -np.arange(dual_coef.shape[1], dtype=float)

    for criterion in ["dual_coef", "contribution", smallest_index_first]:
        pruner = SVMPruner(SVC(), prune_rate=0.5, criterion=criterion, random_state=0)
        pruner.fit(X_train, y_train)
        assert pruner.score(X_test, y_test) > 0.9
    n_sv = pruner.n_units_before_
    assert calls[0] == ((1, n_sv), (n_sv,))
    # The callable's lowest scores (the last vectors) were removed first.
    kept = np.flatnonzero(
        np.isin(SVC().fit(X_train, y_train).support_, pruner.estimator_.support_)
    )
    assert kept.max() < n_sv - 1


def test_auto_prune_rate(synthetic_split, iris_scaled):
    X_train, X_test, y_train, y_test = synthetic_split
    unpruned = SVC().fit(X_train, y_train).score(X_test, y_test)
    pruner = SVMPruner(SVC(), prune_rate="auto", random_state=0).fit(X_train, y_train)
    assert pruner.prune_rate_ > 0.3
    # tol applies to the held-out fifth; the SVM is fitted on the rest.
    assert pruner.score(X_test, y_test) > unpruned - 0.03
    # Any score is within an infinite tolerance: the smallest model is taken.
    X, y = iris_scaled
    for refit in ["coef", None]:
        pruner = SVMPruner(
            SVC(), prune_rate="auto", tol=1.0, refit=refit, random_state=0
        ).fit(X, y)
        assert pruner.estimator_.n_support_.max() == 1
    outliers = SVMPruner(OneClassSVM(), prune_rate="auto", random_state=0).fit(X)
    assert outliers.n_units_after_ < outliers.n_units_before_


def test_max_fit_samples_subsample(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    pruner = SVMPruner(SVC(), prune_rate=0.5, max_fit_samples=100, random_state=0)
    pruner.fit(X_train, y_train)
    assert pruner.score(X_test, y_test) > 0.9


def test_ties_are_broken_with_random_state():
    # C small: most coefficients sit at the bound |alpha| = C and tie.
    X, y = make_classification(n_samples=200, flip_y=0.2, random_state=0)
    supports = set()
    for seed in range(4):
        pruner = SVMPruner(SVC(C=0.1), prune_rate=0.5, refit=None, random_state=seed)
        supports.add(tuple(pruner.fit(X, y).estimator_.support_))
    assert len(supports) > 1
    again = SVMPruner(SVC(C=0.1), prune_rate=0.5, refit=None, random_state=3)
    assert tuple(again.fit(X, y).estimator_.support_) in supports


# -- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, name",
    [
        ({"prune_rate": 1.0}, "prune_rate"),
        ({"prune_rate": -0.1}, "prune_rate"),
        ({"prune_rate": "all"}, "prune_rate"),
        ({"refit": "retrain"}, "refit"),
        ({"criterion": "l1"}, "criterion"),
        ({"step": 0.0}, "step"),
        ({"ridge": -1.0}, "ridge"),
        ({"max_fit_samples": 0}, "max_fit_samples"),
        ({"tol": -0.1}, "tol"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
    ],
)
def test_invalid_parameters(iris_scaled, params, name):
    X, y = iris_scaled
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        SVMPruner(SVC(), **params).fit(X, y)


@pytest.mark.parametrize("estimator", [LinearSVC(), LinearSVR()])
def test_liblinear_models_have_no_support_vectors(iris_scaled, estimator):
    X, y = iris_scaled
    with pytest.raises(TypeError, match="no support vectors"):
        SVMPruner(estimator).fit(X, y)


def test_other_estimators_are_rejected(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(TypeError, match="SVMPruner prunes SVC, NuSVC"):
        SVMPruner(LogisticRegression()).fit(X, y)


def test_not_fitted(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(NotFittedError):
        SVMPruner(SVC()).predict(X)
    with pytest.raises(NotFittedError, match="not fitted"):
        SVMPruner(FrozenEstimator(SVC())).fit(X, y)


def test_bad_criterion_output(iris_scaled):
    X, y = iris_scaled
    pruner = SVMPruner(SVC(), criterion=lambda coef, norms: np.ones(3))
    with pytest.raises(ValueError, match="criterion must return one score"):
        pruner.fit(X, y)


def test_precomputed_kernel_needs_the_gram_matrix(cancer_split):
    X_train, X_test, y_train, _ = cancer_split
    gram, gram_test = X_train @ X_train.T, X_test @ X_train.T
    fitted = SVC(kernel="precomputed").fit(gram, y_train)
    frozen = SVMPruner(FrozenEstimator(fitted), prune_rate=0.5)
    with pytest.raises(ValueError, match="training Gram matrix"):
        frozen.fit(gram_test, np.zeros(len(gram_test)))
    # Dropping alone needs no Gram matrix.
    frozen.set_params(refit=None).fit(gram_test, np.zeros(len(gram_test)))
    with pytest.raises(ValueError, match="prune_rate='auto'"):
        SVMPruner(SVC(kernel="precomputed"), prune_rate="auto").fit(gram, y_train)


def test_invalid_refit_gets_the_plain_error_listing_every_value(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(InvalidParameterError, match="'refit' parameter") as error:
        SVMPruner(SVC(), refit="svm").fit(X, y)
    message = str(error.value)
    for valid in ("'coef'", "'labels'", "None"):
        assert valid in message


def test_zero_weight_samples_are_not_matched_by_the_refit(synthetic_split):
    # The refit matches the decision function on the weighted samples: a
    # sample of weight 0 counts as if it were absent.
    X_train, _, y_train, _ = synthetic_split
    fitted = SVC().fit(X_train, y_train)
    weight = np.ones(len(y_train))
    weight[::3] = 0.0
    pruner = SVMPruner(FrozenEstimator(fitted), prune_rate=0.6, random_state=0)
    weighted = clone(pruner).fit(X_train, y_train, sample_weight=weight)
    kept = weight > 0
    subset = clone(pruner).fit(X_train[kept], y_train[kept])
    changed = clone(pruner).fit(X_train, y_train)
    np.testing.assert_array_equal(
        weighted.estimator_.support_, subset.estimator_.support_
    )
    np.testing.assert_allclose(
        weighted.estimator_.dual_coef_, subset.estimator_.dual_coef_, rtol=1e-6
    )
    # The weights matter: with all samples at weight 1 the model differs.
    assert not np.allclose(
        weighted.estimator_.dual_coef_, changed.estimator_.dual_coef_, rtol=1e-6
    )


def test_tiny_step_with_auto_is_quick_and_bounded(monkeypatch):
    X, y = make_classification(n_samples=600, random_state=0)
    start = time.perf_counter()
    pruner = SVMPruner(SVC(), prune_rate="auto", step=1e-6, random_state=0)
    pruner.fit(X, y)
    assert time.perf_counter() - start < 30
    assert pruner.n_units_after_ <= pruner.n_units_before_
    # More rounds than the bound: a clear error instead of a long run.
    monkeypatch.setattr(_reduce, "MAX_ROUNDS", 10)
    with pytest.raises(ValueError, match="step=1e-06 needs more than 10"):
        SVMPruner(SVC(), prune_rate=0.5, step=1e-6).fit(X, y)


def test_auto_targets_visit_every_distinct_count_once():
    targets = _reduce.auto_targets([40, 7], 1e-6)
    assert len(targets) == len({tuple(t) for t in targets})
    assert np.all(targets[-1] == 1)
    assert all(np.all(a >= b) for a, b in zip(targets[:-1], targets[1:], strict=True))
    assert len(_reduce.auto_targets([40, 7], 1.0)) == 1


def test_frozen_model_with_wrong_features(cancer_split):
    X_train, _, y_train, _ = cancer_split
    fitted = SVC().fit(X_train, y_train)
    with pytest.raises(ValueError, match="features"):
        SVMPruner(FrozenEstimator(fitted)).fit(X_train[:, :5], y_train)


def test_writer_refuses_inconsistent_models(cancer_split):
    X_train, _, y_train, _ = cancer_split
    svm = SVC().fit(X_train, y_train)
    n = len(svm.support_)
    kept = np.arange(0, n, 2)
    good = write_reduced_model(svm, kept, np.ones((1, len(kept))), [0.0])
    check_libsvm_model(good)
    with pytest.raises(RuntimeError, match="increasing"):
        write_reduced_model(svm, kept[::-1], np.ones((1, len(kept))), [0.0])
    with pytest.raises(RuntimeError, match="every class"):
        only_first = np.arange(svm.n_support_[0])
        write_reduced_model(svm, only_first, np.ones((1, len(only_first))), [0.0])
    with pytest.raises(RuntimeError, match="shape"):
        write_reduced_model(svm, kept, np.ones((1, len(kept) + 1)), [0.0])
    with pytest.raises(ValueError, match="not finite"):
        write_reduced_model(svm, kept, np.full((1, len(kept)), np.nan), [0.0])
    broken = copy.deepcopy(good)
    broken.support_ = broken.support_.astype(np.int64)
    with pytest.raises(RuntimeError, match=re.escape("support_ must be")):
        check_libsvm_model(broken)
    broken = copy.deepcopy(good)
    broken._dual_coef_ = np.asfortranarray(np.ones((2, len(kept)))[:1])
    broken._n_support = np.array([1, 1], dtype=np.int32)
    with pytest.raises(RuntimeError, match="_n_support"):
        check_libsvm_model(broken)


def test_failure_leaves_no_fitted_model(iris_scaled):
    X, y = iris_scaled
    pruner = SVMPruner(
        SVC(), criterion=lambda coef, norms: np.full(coef.shape[1], np.nan)
    )
    with pytest.raises(ValueError, match="non-finite"):
        pruner.fit(X, y)
    assert not hasattr(pruner, "estimator_")


def test_regressor_without_support_vectors(friedman_standardized):
    X, y = friedman_standardized
    pruner = SVMPruner(SVR(epsilon=100.0), prune_rate=0.5).fit(X, y)
    assert pruner.n_units_before_ == pruner.n_units_after_ == 0
    assert pruner.prune_rate_ == 0.0
    np.testing.assert_allclose(
        pruner.predict(X), SVR(epsilon=100.0).fit(X, y).predict(X)
    )


def test_callable_kernel_has_no_n_features_in(iris_scaled):
    X, y = iris_scaled
    pruner = SVMPruner(SVC(kernel=rbf_kernel), prune_rate=0.5, random_state=0)
    pruner.fit(X, y)
    assert not hasattr(pruner, "n_features_in_")
    assert not hasattr(pruner.estimator_, "n_features_in_")
    assert pruner.score(X, y) > 0.9


def test_feature_names_are_kept(iris_scaled):
    pd = pytest.importorskip("pandas")
    X, y = iris_scaled
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    pruner = SVMPruner(SVC(), prune_rate=0.5, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(pruner.feature_names_in_, ["a", "b", "c", "d"])
    assert pruner.n_features_in_ == 4
    np.testing.assert_array_equal(
        pruner.predict(frame), pruner.estimator_.predict(frame)
    )


def test_auto_with_a_frozen_estimator(synthetic_split):
    X_train, X_test, y_train, y_test = synthetic_split
    fitted = SVC().fit(X_train[400:], y_train[400:])
    # X holds samples the model has not seen: 80% fitting, 20% validation
    # (80 samples: one error is 1.25 points, so tol must exceed 0.0125).
    pruner = SVMPruner(
        FrozenEstimator(fitted), prune_rate="auto", tol=0.02, random_state=0
    )
    pruner.fit(X_train[:400], y_train[:400])
    assert 0 < pruner.prune_rate_ < 1
    assert pruner.n_units_before_ == len(fitted.support_)
    assert pruner.score(X_test, y_test) > fitted.score(X_test, y_test) - 0.03


# -- the fast prediction path ---------------------------------------------------


def _assert_same_predictions(pruner, svm, X, y):
    """The pruner's fast methods give what libsvm gives on ``svm``."""
    prediction = pruner.predict(X)
    expected = svm.predict(X)
    assert prediction.dtype == expected.dtype
    if is_classifier(svm) or isinstance(svm, OneClassSVM):
        np.testing.assert_array_equal(prediction, expected)
    else:
        np.testing.assert_allclose(prediction, expected, rtol=1e-10, atol=1e-10)
    for method in ("decision_function", "score_samples"):
        if hasattr(svm, method):
            np.testing.assert_allclose(
                getattr(pruner, method)(X),
                getattr(svm, method)(X),
                rtol=1e-10,
                atol=1e-10,
            )
    if y is not None:
        assert pruner.score(X, y) == pytest.approx(svm.score(X, y), abs=1e-12)


@pytest.mark.parametrize("kind", range(6))
@pytest.mark.parametrize("kernel", ["rbf", "linear", "poly", "sigmoid"])
@pytest.mark.parametrize("sparse", [False, True])
def test_fast_path_equals_libsvm(
    iris_scaled, friedman_standardized, kind, kernel, sparse
):
    estimator, X, y = _all_kinds(iris_scaled, friedman_standardized)[kind]
    estimator = clone(estimator).set_params(kernel=kernel)
    if sparse:
        X = sp.csr_matrix(X)
    pruner = SVMPruner(estimator, prune_rate=0.5, random_state=0).fit(X, y)
    assert _fast_predict.has_fast_path(pruner.estimator_)
    _assert_same_predictions(pruner, pruner.estimator_, X, y)


@pytest.mark.parametrize("shape", ["ovo", "ovr"])
@pytest.mark.parametrize("break_ties", [False, True])
def test_fast_path_multiclass_options(iris_scaled, shape, break_ties):
    X, y = iris_scaled
    estimator = SVC(decision_function_shape=shape, break_ties=break_ties, C=0.1)
    pruner = SVMPruner(estimator, prune_rate=0.5, random_state=0).fit(X, y + 5)
    if break_ties and shape == "ovo":
        for model in (pruner, pruner.estimator_):
            with pytest.raises(ValueError, match="break_ties must be False"):
                model.predict(X)
        return
    _assert_same_predictions(pruner, pruner.estimator_, X, y + 5)


@pytest.mark.parametrize(
    "intercept, label",
    # Pairs (0, 1), (0, 2), (1, 2); a positive value votes for the first class.
    [([1.0, -1.0, 1.0], 0), ([0.0, 0.0, 0.0], 2), ([-1.0, 1.0, -1.0], 0)],
)
@pytest.mark.parametrize("break_ties", [False, True])
def test_fast_path_breaks_vote_ties_as_libsvm(
    iris_scaled, intercept, label, break_ties
):
    X, y = iris_scaled
    svm = SVC(break_ties=break_ties).fit(X, y)
    # Far from every vector the RBF kernel is exactly 0: the decision values
    # are the intercepts, which make a three-way vote tie (or exact zeros,
    # which vote for the second class of a pair).
    everything = np.arange(len(svm.support_))
    tied = write_reduced_model(svm, everything, svm._dual_coef_, np.array(intercept))
    X_far = np.full((4, X.shape[1]), 1e3)
    expected = tied.predict(X_far)
    if not break_ties:
        np.testing.assert_array_equal(expected, label)
    np.testing.assert_array_equal(_fast_predict.predict(tied, X_far), expected)
    np.testing.assert_array_equal(
        _fast_predict.decision_function(tied, X_far), tied.decision_function(X_far)
    )


def test_fast_path_blocks_and_threads(synthetic_split, monkeypatch):
    X_train, X_test, y_train, _ = synthetic_split
    pruner = SVMPruner(SVC(), prune_rate=0.3, random_state=0).fit(X_train, y_train)
    expected = pruner.estimator_.decision_function(X_test)
    # Blocks of a few rows, computed by several threads or by one.
    monkeypatch.setattr(_fast_predict, "_BLOCK_ENTRIES", 7 * pruner.n_units_after_)
    for n_threads in (1, 2):
        with threadpool_limits(n_threads, user_api="blas"):
            np.testing.assert_allclose(
                pruner.decision_function(X_test), expected, rtol=1e-10, atol=1e-10
            )


def test_fast_path_precomputed_and_callable_kernels(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    gram, gram_test = X_train @ X_train.T, X_test @ X_train.T
    pruner = SVMPruner(SVC(kernel="precomputed"), prune_rate=0.5, random_state=0)
    pruner.fit(gram, y_train)
    assert _fast_predict.has_fast_path(pruner.estimator_)
    _assert_same_predictions(pruner, pruner.estimator_, gram_test, y_test)
    with pytest.raises(ValueError, match="expecting 398 features"):
        pruner.predict(gram_test[:, :10])
    # A callable kernel goes through libsvm.
    pruner = SVMPruner(SVC(kernel=rbf_kernel), prune_rate=0.5, random_state=0)
    pruner.fit(X_train, y_train)
    assert not _fast_predict.has_fast_path(pruner.estimator_)
    _assert_same_predictions(pruner, pruner.estimator_, X_test, y_test)


def test_fast_path_validates_input_as_libsvm(iris_scaled):
    X, y = iris_scaled
    pruner = SVMPruner(SVC(), prune_rate=0.5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        pruner.predict(X[:, :2])
    with pytest.raises(ValueError, match="trained on dense data"):
        pruner.predict(sp.csr_matrix(X))


# -- scikit-learn-intelex ---------------------------------------------------------


@pytest.mark.parametrize("name", ["SVC", "NuSVC", "SVR", "NuSVR"])
def test_scikit_learn_intelex_models_are_pruned(
    iris_scaled, friedman_standardized, name
):
    accelerated = pytest.importorskip("sklearnex.svm")
    plain = {"SVC": SVC, "NuSVC": NuSVC, "SVR": SVR, "NuSVR": NuSVR}[name]
    X, y = iris_scaled if name.endswith("C") else friedman_standardized
    params = {"nu": 0.3} if name == "NuSVC" else {}
    fitted = getattr(accelerated, name)(**params).fit(X, y)
    assert isinstance(fitted, plain) and type(fitted) is not plain
    # Unpruned: the plain copy predicts what the accelerated model predicts.
    pruner = SVMPruner(FrozenEstimator(fitted), prune_rate=0.0).fit(X, y)
    assert type(pruner.estimator_) is plain
    _assert_same_predictions(pruner, fitted, X, y)
    # Pruned (multi-class models refuse writes to their fitted attributes).
    pruner = SVMPruner(getattr(accelerated, name)(**params), random_state=0)
    pruner.fit(X, y)
    assert type(pruner.estimator_) is plain
    check_libsvm_model(pruner.estimator_)
    _assert_same_predictions(pruner, pruner.estimator_, X, y)
    reference = SVMPruner(plain(**params), random_state=0).fit(X, y)
    assert pruner.score(X, y) == pytest.approx(reference.score(X, y), abs=0.02)
    assert pickle.loads(pickle.dumps(pruner)).score(X, y) == pruner.score(X, y)


def test_pruning_after_patch_sklearn():
    # The failure: with scikit-learn patched before skprune is
    # imported, SVMPruner(SVC()) raised on a multi-class problem. Run in a
    # subprocess so that the patch does not leak into the other tests.
    pytest.importorskip("sklearnex")
    code = (
        "from sklearnex import patch_sklearn; patch_sklearn()\n"
        "from sklearn.datasets import load_iris\n"
        "from sklearn.svm import SVC\n"
        "from skprune.svm import SVMPruner\n"
        "X, y = load_iris(return_X_y=True)\n"
        "pruner = SVMPruner(SVC(), random_state=0).fit(X, y)\n"
        "assert type(SVC()).__module__.startswith('sklearnex')\n"
        "assert type(pruner.estimator_).__module__.startswith('sklearn.svm')\n"
        "assert pruner.score(X, y) > 0.9\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr


def test_verbose_prints_a_line_per_stage(iris_scaled, capsys):
    X, y = iris_scaled
    SVMPruner(SVC(), prune_rate=0.5, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
    SVMPruner(SVC(), prune_rate=0.5, random_state=0, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[SVMPruner] unpruned SVC:")
    assert lines[1].startswith("[SVMPruner] elimination (step=0.25) and refit of")
    SVMPruner(SVC(), prune_rate="auto", random_state=0, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("[SVMPruner] auto: held-out score") for line in lines)
