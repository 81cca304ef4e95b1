"""SVM quality: the reduced set's stopping rule, ``refit="labels"`` for SVR/NuSVR."""

import warnings

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.svm import SVC, SVR, LinearSVR, NuSVC, NuSVR, OneClassSVM

from skprune.svm import SVMPruner, _reduced_set
from skprune.svm._kernels import SVKernel
from skprune.svm._libsvm_model import SVLayout, dense_dual_coef
from skprune.svm._reduce import decision_values
from skprune.svm._reduced_set import construct_reduced_set
from skprune.svm._relabel import relabel_regression, tube_width


def _reduced_set_inputs(X, y, prune_rate):
    """The arguments of ``construct_reduced_set`` from the default elimination."""
    svm = SVC(C=2.0).fit(X, y)
    pruner = SVMPruner(SVC(C=2.0), prune_rate=prune_rate, random_state=0)
    reduced = pruner.fit(X, y).estimator_
    position = {sample: i for i, sample in enumerate(svm.support_)}
    kept = np.array([position[sample] for sample in reduced.support_])
    group = np.searchsorted(svm.classes_, y)
    return svm, reduced, kept, np.ones(len(y)), group


def _loss(svm, model, X):
    return np.mean((model.decision_function(X) - svm.decision_function(X)) ** 2)


def test_reduced_set_stops_on_its_loss_before_the_cap(noisy_300):
    X, y = noisy_300
    svm, reduced, kept, weight, group = _reduced_set_inputs(X, y, 0.8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model, n_iter = construct_reduced_set(
            svm, reduced, kept, X, weight, group, max_iter=5000, tol=1e-2
        )
    assert 10 < n_iter < 5000
    # A looser rule stops earlier; a stricter one runs longer and fits closer.
    _, n_iter_loose = construct_reduced_set(
        svm, reduced, kept, X, weight, group, max_iter=5000, tol=1e-1
    )
    assert n_iter_loose < n_iter
    assert _loss(svm, model, X) < _loss(svm, reduced, X)


def test_reduced_set_history_is_longer_for_fewer_parameters(noisy_300, monkeypatch):
    """Small problems keep a long L-BFGS history; large ones SciPy's default."""
    history = _reduced_set._history_size
    assert history(5_000) == 40
    assert history(400_000) == 10
    sizes = [history(n) for n in (1, 10_000, 60_000, 200_000, 10**7)]
    assert sizes == sorted(sizes, reverse=True)
    X, y = noisy_300
    svm, reduced, kept, weight, group = _reduced_set_inputs(X, y, 0.8)
    passed = {}
    minimize = _reduced_set.minimize

    def spy(fun, theta, **kwargs):
        passed["maxcor"], passed["size"] = kwargs["options"]["maxcor"], theta.size
        return minimize(fun, theta, **kwargs)

    monkeypatch.setattr(_reduced_set, "minimize", spy)
    construct_reduced_set(svm, reduced, kept, X, weight, group, max_iter=5)
    assert passed["maxcor"] == history(passed["size"])


@pytest.mark.parametrize("offset", [0.0, 100.0, 1e4])
def test_reduced_set_is_not_hurt_by_an_offset_of_the_features(offset):
    """Single precision must not lose the rbf distances to a large offset."""
    X, y = make_classification(n_samples=400, n_features=8, random_state=0)
    X = X + offset
    svm = SVC(gamma=0.1).fit(X, y)
    params = dict(prune_rate=0.9, random_state=0)
    start = SVMPruner(FrozenEstimator(svm), **params).fit(X, y)
    moved = SVMPruner(FrozenEstimator(svm), method="reduced_set", **params)
    moved.fit(X, y)
    assert _loss(svm, moved.estimator_, X) < 0.5 * _loss(svm, start.estimator_, X)


@pytest.mark.parametrize(
    "offset, precision, dtype",
    [(0.0, 1e-3, np.float32), (1e4, 1e-3, np.float32), (0.0, 0.0, np.float64)],
)
def test_reduced_set_falls_back_to_double_precision(
    offset, precision, dtype, monkeypatch
):
    """Single precision where it matches double at the start (rbf centred)."""
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    X = X + offset
    svm = SVC(gamma=0.1).fit(X, y)
    pruner = SVMPruner(FrozenEstimator(svm), prune_rate=0.9, random_state=0)
    reduced = pruner.fit(X, y).estimator_
    kept = np.flatnonzero(np.isin(svm.support_, reduced.support_))
    used = []
    minimize = _reduced_set.minimize

    def spy(fun, theta, **kwargs):
        used.append(fun.dtype)
        return minimize(fun, theta, **kwargs)

    monkeypatch.setattr(_reduced_set, "minimize", spy)
    monkeypatch.setattr(_reduced_set, "_PRECISION", precision)
    construct_reduced_set(
        svm, reduced, kept, X, np.ones(len(y)), y, max_iter=3, tol=0.0
    )
    assert used == [dtype]


def test_reduced_set_warns_when_the_cap_is_hit(noisy_300):
    X, y = noisy_300
    svm, reduced, kept, weight, group = _reduced_set_inputs(X, y, 0.8)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        _, n_iter = construct_reduced_set(
            svm, reduced, kept, X, weight, group, max_iter=3, tol=0.0
        )
    assert n_iter == 3


def test_reduced_set_coarse_stage_counts_in_the_cap(noisy_600):
    X, y = noisy_600
    svm, reduced, kept, weight, group = _reduced_set_inputs(X, y, 0.8)
    with pytest.warns(ConvergenceWarning):
        _, n_iter = construct_reduced_set(
            svm, reduced, kept, X, weight, group, 7, tol=0.0, coarse_samples=200
        )
    assert n_iter == 7
    model, _ = construct_reduced_set(
        svm, reduced, kept, X, weight, group, 5000, tol=1e-2, coarse_samples=200
    )
    assert _loss(svm, model, X) < _loss(svm, reduced, X)


def test_pruner_reports_the_reduced_set_iterations(noisy_300):
    X, y = noisy_300
    pruner = SVMPruner(
        SVC(C=2.0), prune_rate=0.8, method="reduced_set", max_iter=3, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        pruner.fit(X, y)
    assert pruner.n_iter_ == 3


def _direct_values(model, X):
    """``K @ dual_coef + intercept``, computed without libsvm."""
    K = rbf_kernel(X, model.support_vectors_, gamma=model._gamma)
    return K @ model.dual_coef_[0] + model.intercept_[0]


@pytest.mark.parametrize("estimator", [SVR(C=5.0, epsilon=0.2), NuSVR(C=5.0)])
def test_svr_labels_refit_is_a_valid_libsvm_model(friedman_standardized, estimator):
    X, y = friedman_standardized
    pruner = SVMPruner(estimator, prune_rate=0.8, refit="labels", random_state=0)
    pruner.fit(X, y)
    reference = SVMPruner(estimator, prune_rate=0.8, random_state=0).fit(X, y)
    pruned = pruner.estimator_
    # The elimination's vectors, new coefficients.
    np.testing.assert_array_equal(pruned.support_, reference.estimator_.support_)
    assert not np.allclose(pruned.dual_coef_, reference.estimator_.dual_coef_)
    assert pruned.support_.dtype == np.int32
    assert pruned.dual_coef_.shape == (1, len(pruned.support_))
    np.testing.assert_allclose(pruned.predict(X), _direct_values(pruned, X))
    np.testing.assert_allclose(pruner.predict(X), pruned.predict(X))
    assert pruner.score(X, y) > 0.8


def test_svr_labels_refit_is_a_linear_svr_on_the_kept_vectors(friedman_standardized):
    X, y = friedman_standardized
    svr = SVR(C=5.0, epsilon=0.2).fit(X, y)
    pruner = SVMPruner(svr, prune_rate=0.8, refit="labels", random_state=0)
    pruned = pruner.fit(X, y).estimator_
    # The same model computed another way: eigendecomposition for the
    # whitening, the median taken by numpy.
    vectors = pruned.support_vectors_
    values, basis = np.linalg.eigh(rbf_kernel(vectors, vectors, gamma=svr._gamma))
    whiten = (basis / np.sqrt(np.maximum(values, 1e-12))) @ basis.T
    features = rbf_kernel(X, vectors, gamma=svr._gamma) @ whiten
    centre = np.median(y)
    linear = LinearSVR(C=5.0, epsilon=0.2, random_state=0, max_iter=10_000)
    expected = linear.fit(features, y - centre).predict(features) + centre
    np.testing.assert_allclose(pruned.predict(X), expected, atol=2e-2)


def test_svr_labels_refit_does_not_shrink_a_large_mean(friedman_standardized):
    X, y = friedman_standardized
    kept = np.arange(40)
    svr = SVR(C=5.0).fit(X, y)
    kernel = SVKernel(svr)
    weight = np.ones(len(y))
    coef, intercept = relabel_regression(kernel, kept, X, y, weight, 5.0, 0.1, 0)
    shifted_coef, shifted_intercept = relabel_regression(
        kernel, kept, X, y + 1e4, weight, 5.0, 0.1, 0
    )
    np.testing.assert_allclose(shifted_coef, coef, atol=1e-6)
    assert shifted_intercept == pytest.approx(intercept + 1e4)


def test_tube_width_is_the_weighted_quantile_of_the_residuals():
    residuals = np.concatenate([np.arange(1.0, 101.0), -np.arange(1.0, 101.0)])
    weight = np.ones(200)
    assert tube_width(residuals, weight, nu=0.1) == 90.0
    # Weight on the large residuals moves the quantile up.
    heavy = np.where(np.abs(residuals) > 50, 3.0, 1.0)
    assert tube_width(residuals, heavy, nu=0.1) > 90.0


def test_nusvr_tube_width_leaves_about_nu_outside(friedman_standardized):
    X, y = friedman_standardized
    nusvr = NuSVR(nu=0.3, C=5.0).fit(X, y)
    residuals = y - nusvr.predict(X)
    epsilon = tube_width(residuals, np.ones(len(y)), nusvr.nu)
    outside = np.mean(np.abs(residuals) > epsilon + 1e-9)
    assert outside <= nusvr.nu
    assert np.mean(np.abs(residuals) >= epsilon - 1e-9) >= nusvr.nu - 0.05


@pytest.mark.parametrize("estimator", [NuSVC(), OneClassSVM()])
def test_refit_labels_is_refused_without_a_c_and_labels(estimator):
    X, y = make_classification(n_samples=100, random_state=0)
    with pytest.raises(ValueError, match="needs an SVC, SVR or NuSVR"):
        SVMPruner(estimator, refit="labels").fit(X, y)


@pytest.mark.parametrize("estimator", [SVR(), NuSVR()])
def test_refit_labels_is_accepted_for_regressors(friedman_standardized, estimator):
    X, y = friedman_standardized
    pruner = SVMPruner(estimator, prune_rate=0.5, refit="labels", random_state=0)
    assert pruner.fit(X, y).n_units_after_ < pruner.n_units_before_


def test_reduced_set_loss_in_row_blocks_is_the_whole_loss(noisy_600, monkeypatch):
    X, y = noisy_600
    svm, reduced, kept, weight, group = _reduced_set_inputs(X, y, 0.8)
    layout = SVLayout(svm)
    objective = _reduced_set._Objective(
        _reduced_set._RBFKernel(svm),
        X,
        decision_values(
            SVKernel(svm), layout, X, dense_dual_coef(svm), svm._intercept_
        ),
        _reduced_set._pair_mask(layout, group, len(y)) * weight[:, None],
        _reduced_set._PairIndex(SVLayout(reduced)),
        reduced,
        # Comparisons to 1e-10 need the blocks in double precision.
        np.float64,
    )
    theta = objective.start()
    theta = theta + 0.01 * np.random.RandomState(0).standard_normal(theta.shape)
    monkeypatch.setattr(_reduced_set, "_ROW_BLOCK", 128)
    assert X.shape[0] > 128
    loss, grad = objective(theta)
    error = check_grad(
        lambda t: objective(t)[0], lambda t: objective(t)[1], theta, epsilon=1e-7
    )
    assert error < 1e-5 * max(1.0, np.linalg.norm(grad))
    monkeypatch.setattr(_reduced_set, "_ROW_BLOCK", X.shape[0])
    whole_loss, whole_grad = objective(theta)
    assert loss == pytest.approx(whole_loss, rel=1e-10)
    np.testing.assert_allclose(grad, whole_grad, rtol=1e-8, atol=1e-12)
