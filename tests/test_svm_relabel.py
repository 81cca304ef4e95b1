"""SVMPruner(refit="labels"): the kept coefficients retrained on the labels."""

import numpy as np
import pytest
from sklearn.datasets import load_wine, make_classification
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from skprune.svm import SVMPruner
from skprune.svm._fast_predict import pair_values
from skprune.svm._libsvm_model import SVLayout, dense_dual_coef


def _inverse_sqrt(gram):
    # Computed another way than the pruner's SVD: an eigendecomposition.
    values, vectors = np.linalg.eigh(gram)
    return (vectors / np.sqrt(np.maximum(values, 1e-12))) @ vectors.T


def _linear_svm_decision(X_train, y_train, X, vectors, gamma, C, weight=None):
    """Decision values of a LinearSVC on the whitened kernel features."""
    whiten = _inverse_sqrt(rbf_kernel(vectors, vectors, gamma=gamma))
    features = rbf_kernel(X_train, vectors, gamma=gamma) @ whiten
    linear = LinearSVC(C=C).fit(features, y_train, sample_weight=weight)
    return linear.decision_function(rbf_kernel(X, vectors, gamma=gamma) @ whiten)


@pytest.mark.parametrize("class_weight", [None, {0: 3.0}])
def test_binary_refit_is_a_linear_svm_on_the_kept_vectors(class_weight):
    X, y = make_classification(n_samples=400, n_features=6, flip_y=0.1, random_state=0)
    svm = SVC(C=2.0, class_weight=class_weight).fit(X, y)
    pruner = SVMPruner(
        SVC(C=2.0, class_weight=class_weight),
        prune_rate=0.8,
        refit="labels",
        random_state=0,
    ).fit(X, y)
    reference = SVMPruner(
        SVC(C=2.0, class_weight=class_weight), prune_rate=0.8, random_state=0
    ).fit(X, y)
    pruned = pruner.estimator_
    # The same vectors as the default refit, new coefficients.
    np.testing.assert_array_equal(pruned.support_, reference.estimator_.support_)
    assert not np.allclose(pruned.dual_coef_, reference.estimator_.dual_coef_)
    weight = None if class_weight is None else np.where(y == 0, 3.0, 1.0)
    expected = _linear_svm_decision(
        X, y, X, pruned.support_vectors_, svm._gamma, 2.0, weight
    )
    decision = pruned.decision_function(X)
    np.testing.assert_allclose(decision, expected, atol=1e-3 * np.abs(expected).max())
    assert pruner.score(X, y) >= svm.score(X, y) - 0.05


def test_multiclass_refit_trains_every_pair_on_its_two_classes():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    pruner = SVMPruner(SVC(), prune_rate=0.7, refit="labels", random_state=0)
    pruned = pruner.fit(X, y).estimator_
    layout = SVLayout(pruned)
    K = rbf_kernel(X, pruned.support_vectors_, gamma=pruned._gamma)
    values = pair_values(layout, K, dense_dual_coef(pruned), pruned._intercept_)
    every = [layout.block(c) for c in range(layout.n_groups)]
    for p, (i, j) in enumerate(layout.pairs):
        rows = (y == i) | (y == j)
        vectors = pruned.support_vectors_[layout.pair_columns(every, p)]
        # libsvm's pair (i, j) is positive for class i: label i as +1.
        target = np.where(y[rows] == i, 1, -1)
        expected = _linear_svm_decision(
            X[rows], target, X, vectors, pruned._gamma, pruned.C
        )
        np.testing.assert_allclose(
            values[:, p], expected, atol=1e-3 * np.abs(expected).max()
        )
    np.testing.assert_array_equal(pruner.predict(X), pruned.predict(X))
    assert pruner.score(X, y) >= 0.95


@pytest.mark.parametrize("method", ["reduced_set", "exact"])
def test_refit_labels_needs_the_elimination(method):
    X, y = make_classification(n_samples=100, random_state=0)
    with pytest.raises(ValueError, match=f"method='{method}' does not use it"):
        SVMPruner(SVC(kernel="linear"), method=method, refit="labels").fit(X, y)


def test_precomputed_kernel_gives_the_same_refit():
    X, y = make_classification(n_samples=300, n_features=5, random_state=1)
    gamma = 0.2
    gram = rbf_kernel(X, X, gamma=gamma)
    pruners = [
        SVMPruner(SVC(kernel=kernel, gamma=gamma), refit="labels", random_state=0)
        for kernel in ("rbf", "precomputed")
    ]
    rbf = pruners[0].fit(X, y).estimator_
    precomputed = pruners[1].fit(gram, y).estimator_
    np.testing.assert_array_equal(rbf.support_, precomputed.support_)
    # The two kernels agree to rounding; LinearSVC's stopping tolerance turns
    # that into differences of about 1e-6 in the decision values.
    np.testing.assert_allclose(
        rbf.decision_function(X), precomputed.decision_function(gram), atol=1e-5
    )
