"""Tests of SVMPruner's methods "exact" and "reduced_set" (issue #11)."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import check_grad
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.svm import SVC, SVR, NuSVC, NuSVR, OneClassSVM

from skprune.svm import SVMPruner
from skprune.svm._exact import owner_of_pairs
from skprune.svm._libsvm_model import SVLayout, check_libsvm_model
from skprune.svm._reduce import elimination_rounds
from skprune.svm._reduced_set import construct_reduced_set


def _outputs(model, X):
    if hasattr(model, "decision_function"):
        return model.decision_function(X)
    return model.predict(X)


def _kinds(iris_scaled, friedman_raw, kernel):
    X, y = iris_scaled
    Xr, yr = friedman_raw
    return [
        (SVC(kernel=kernel), X, y),
        (SVC(kernel=kernel), X, (y > 0).astype(int)),
        (NuSVC(kernel=kernel, nu=0.3), X, y),
        (SVR(kernel=kernel), Xr, yr),
        (NuSVR(kernel=kernel), Xr, yr),
        (OneClassSVM(kernel=kernel, nu=0.3), X, None),
    ]


# -- method="exact" ---------------------------------------------------------------


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("kernel", ["linear", "poly"])
@pytest.mark.parametrize("kind", range(6))
def test_exact_keeps_the_decision_function(
    iris_scaled, friedman_raw, kernel, kind, sparse
):
    estimator, X, y = _kinds(iris_scaled, friedman_raw, kernel)[kind]
    if sparse:
        X = sp.csr_matrix(X)
    unpruned = clone(estimator).fit(X, y)
    pruner = SVMPruner(estimator, method="exact").fit(X, y)
    svm = pruner.estimator_
    assert type(svm) is type(estimator)
    assert pruner.n_units_after_ <= pruner.n_units_before_
    if pruner.n_units_after_ < pruner.n_units_before_:
        check_libsvm_model(svm)
    expected = _outputs(unpruned, X)
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(_outputs(svm, X), expected, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(_outputs(pruner, X), expected, rtol=0, atol=1e-6 * scale)
    restored = pickle.loads(pickle.dumps(pruner))
    np.testing.assert_allclose(_outputs(restored, X), _outputs(pruner, X))


def test_exact_linear_keeps_one_vector_per_function(iris_scaled):
    X, y = iris_scaled
    pruner = SVMPruner(SVC(kernel="linear"), method="exact").fit(X, y)
    assert pruner.n_units_after_ == 3
    binary = SVMPruner(SVC(kernel="linear"), method="exact")
    binary.fit(X, (y > 0).astype(int))
    assert binary.n_units_after_ == 2


@pytest.mark.parametrize("n_groups", [3, 4, 5, 7])
def test_every_class_owns_a_function(n_groups):
    pairs, owners = owner_of_pairs(n_groups)
    assert set(owners) == set(range(n_groups))
    assert all(c in pair for pair, c in zip(pairs, owners, strict=True))


def test_exact_poly_drops_dependent_vectors(friedman_raw):
    # degree 3 on 10 features without coef0: a 220-dimensional feature space.
    X, y = friedman_raw
    pruner = SVMPruner(SVR(kernel="poly"), method="exact").fit(X, y)
    assert pruner.n_units_before_ > 220
    assert pruner.n_units_after_ == 220
    # The kept vectors are training samples.
    np.testing.assert_array_equal(
        pruner.estimator_.support_vectors_, X[pruner.estimator_.support_]
    )


@pytest.mark.parametrize("kernel", ["rbf", "sigmoid", rbf_kernel])
def test_exact_warns_and_keeps_other_kernels(iris_scaled, kernel):
    X, y = iris_scaled
    name = "callable" if callable(kernel) else kernel
    with pytest.warns(UserWarning, match=f"kernel='{name}'"):
        pruner = SVMPruner(SVC(kernel=kernel), method="exact").fit(X, y)
    assert pruner.n_units_after_ == pruner.n_units_before_


def test_exact_ignores_prune_rate(iris_scaled):
    X, y = iris_scaled
    a = SVMPruner(SVC(kernel="linear"), method="exact", prune_rate=0.0).fit(X, y)
    b = SVMPruner(SVC(kernel="linear"), method="exact", prune_rate="auto").fit(X, y)
    assert a.n_units_after_ == b.n_units_after_ == 3
    # "auto" holds nothing out with "exact": the SVM is fitted on all of X.
    np.testing.assert_allclose(a.decision_function(X), b.decision_function(X))


# -- method="reduced_set" -----------------------------------------------------------


def test_reduced_set_beats_elimination_on_digits(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    svm = SVC().fit(X_train, y_train)
    unpruned = svm.score(X_test, y_test)
    scores = {}
    for method in ["eliminate", "reduced_set"]:
        pruner = SVMPruner(
            FrozenEstimator(svm), prune_rate=0.9, method=method, random_state=0
        )
        pruner.fit(X_train, y_train)
        scores[method] = pruner.score(X_test, y_test)
        check_libsvm_model(pruner.estimator_)
    assert scores["reduced_set"] >= unpruned - 0.015
    assert scores["reduced_set"] > scores["eliminate"] + 0.02


@pytest.mark.parametrize("kernel", ["rbf", "poly", "linear", "sigmoid"])
@pytest.mark.parametrize("kind", range(6))
def test_reduced_set_every_class_and_kernel(iris_scaled, friedman_raw, kernel, kind):
    estimator, X, y = _kinds(iris_scaled, friedman_raw, kernel)[kind]
    if kernel == "sigmoid":
        estimator.set_params(gamma=0.01)
    pruner = SVMPruner(estimator, prune_rate=0.7, method="reduced_set", max_iter=30)
    pruner.set_params(random_state=0).fit(X, y)
    svm = pruner.estimator_
    assert type(svm) is type(estimator)
    check_libsvm_model(svm)
    assert pruner.n_units_after_ < pruner.n_units_before_
    # The BLAS path and libsvm agree on the moved vectors.
    np.testing.assert_allclose(_outputs(pruner, X), _outputs(svm, X), atol=1e-8)
    # support_ names the training samples the vectors started from.
    assert svm.support_.max() < X.shape[0]


def test_reduced_set_does_not_worsen_the_fit(iris_scaled):
    X, y = iris_scaled
    base = SVMPruner(SVC(), prune_rate=0.8, random_state=0).fit(X, y)
    moved = SVMPruner(SVC(), prune_rate=0.8, method="reduced_set", random_state=0)
    moved.fit(X, y)
    target = SVC().fit(X, y).decision_function(X)
    error = [np.mean((m.decision_function(X) - target) ** 2) for m in (base, moved)]
    assert error[1] <= error[0]


def test_reduced_set_sparse_input(iris_scaled):
    X, y = iris_scaled
    pruner = SVMPruner(SVC(), prune_rate=0.7, method="reduced_set", random_state=0)
    pruner.fit(sp.csr_matrix(X), y)
    assert sp.issparse(pruner.estimator_.support_vectors_)
    check_libsvm_model(pruner.estimator_)
    np.testing.assert_allclose(
        pruner.decision_function(sp.csr_matrix(X)),
        pruner.estimator_.decision_function(sp.csr_matrix(X)),
        atol=1e-8,
    )


def test_reduced_set_with_auto(iris_scaled):
    X, y = iris_scaled
    pruner = SVMPruner(
        SVC(), prune_rate="auto", method="reduced_set", max_iter=20, random_state=0
    )
    pruner.fit(X, y)
    assert pruner.n_units_after_ < pruner.n_units_before_


@pytest.mark.parametrize("kernel", ["precomputed", rbf_kernel])
def test_reduced_set_refuses_kernels_without_feature_values(iris_scaled, kernel):
    X, y = iris_scaled
    if kernel == "precomputed":
        X = X @ X.T
    with pytest.raises(ValueError, match="method='reduced_set'.*method='eliminate'"):
        SVMPruner(SVC(kernel=kernel), method="reduced_set").fit(X, y)


@pytest.mark.parametrize("kernel", ["rbf", "poly", "linear", "sigmoid"])
def test_reduced_set_gradient(iris_scaled, kernel, monkeypatch):
    """The analytic gradient of the loss matches finite differences."""
    import skprune.svm._reduced_set as module

    X, y = iris_scaled
    svm = SVC(kernel=kernel, gamma=0.1).fit(X, y)
    reduced = SVMPruner(FrozenEstimator(svm), prune_rate=0.8, random_state=0)
    reduced = reduced.fit(X, y).estimator_
    kept = np.flatnonzero(np.isin(svm.support_, reduced.support_))
    captured = {}

    def capture(fun, theta0, **kwargs):
        captured["fun"], captured["theta0"] = fun, theta0
        raise RuntimeError("captured")

    monkeypatch.setattr(module, "minimize", capture)

    def objective(dtype):
        # Finite differences need double precision; the fits use single.
        monkeypatch.setattr(module, "_DTYPE", dtype)
        with pytest.raises(RuntimeError, match="captured"):
            construct_reduced_set(svm, reduced, kept, X, np.ones(len(y)), y, max_iter=1)
        return captured["fun"], captured["theta0"]

    fun, theta0 = objective(np.float64)
    error = check_grad(lambda t: fun(t)[0], lambda t: fun(t)[1], theta0, epsilon=1e-7)
    assert error < 1e-4 * max(1.0, np.linalg.norm(fun(theta0)[1]))
    assert SVLayout(reduced).n_sv == len(kept)
    single, _ = objective(np.float32)
    rng = np.random.default_rng(0)
    theta = theta0 + 0.1 * rng.standard_normal(theta0.shape)
    (loss, grad), (loss32, grad32) = fun(theta), single(theta)
    assert loss32 == pytest.approx(loss, rel=1e-4)
    assert np.linalg.norm(grad32 - grad) <= 1e-4 * np.linalg.norm(grad)


def test_n_iter_counts_the_iterations_of_the_method(iris_scaled):
    X, y = iris_scaled
    unpruned = SVC().fit(X, y)

    def n_iter(**params):
        return SVMPruner(SVC(), random_state=0, **params).fit(X, y).n_iter_

    eliminated = SVMPruner(SVC(), prune_rate=0.8, random_state=0).fit(X, y)
    rounds = elimination_rounds(
        unpruned.n_support_, eliminated.estimator_.n_support_, 0.25
    )
    assert eliminated.n_iter_ == rounds > 1
    assert n_iter(prune_rate=0.8, step=1.0) == 1
    assert n_iter(prune_rate=0.8, refit=None) == 1
    assert n_iter(prune_rate=0.0) == 0
    assert 1 <= n_iter(prune_rate=0.8, method="reduced_set", max_iter=5) <= 5
    assert SVMPruner(SVC(kernel="linear"), method="exact").fit(X, y).n_iter_ == 1
    # No exact saving with an RBF kernel: nothing removed, no iteration.
    with pytest.warns(UserWarning, match="no exact saving"):
        assert n_iter(method="exact") == 0
