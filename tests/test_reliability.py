"""Regression tests for inputs that once gave silent wrong models or odd errors."""

import glob
import os
import shutil
import warnings

import numpy as np
import pytest
import sklearn
from joblib import Memory
from sklearn.datasets import make_classification, make_regression
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skprune.model_selection import pruning_curve
from skprune.neural_network import MLPPruner
from skprune.svm import SVMPruner
from skprune.tree import TreePruner


def _frozen_pruners(X, y):
    """A pruner of every core family around a model fitted on (X, y)."""
    mlp = MLPClassifier((16,), max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp.fit(X, y)
    return [
        TreePruner(
            FrozenEstimator(DecisionTreeClassifier(random_state=0).fit(X, y)),
            method="reduced_error",
            prune_rate=0.5,
        ),
        SVMPruner(FrozenEstimator(SVC().fit(X, y)), prune_rate=0.5, random_state=0),
        MLPPruner(
            FrozenEstimator(mlp), prune_rate=0.5, fine_tune_epochs=1, random_state=0
        ),
    ]


@pytest.mark.parametrize("family", range(3))
def test_frozen_model_refuses_other_feature_count(iris_scaled, family):
    X, y = iris_scaled
    pruner = _frozen_pruners(X, y)[family]
    with pytest.raises(ValueError, match="X has 3 features, but .* expecting 4"):
        pruner.fit(X[:, :3], y)


@pytest.mark.parametrize("family", range(3))
def test_frozen_model_refuses_reordered_columns(iris_scaled, family):
    pd = pytest.importorskip("pandas")
    X, y = iris_scaled
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    pruner = _frozen_pruners(frame, y)[family]
    with pytest.raises(ValueError, match="feature names should match"):
        pruner.fit(frame[["d", "c", "b", "a"]], y)
    # The same columns in the order fitted are fine.
    pruner.fit(frame, y)


@pytest.mark.parametrize("family", range(3))
def test_frozen_model_refuses_labels_of_another_type(iris_scaled, family):
    X, y = iris_scaled
    pruner = _frozen_pruners(X, y)[family]
    # "1" is not 1: numpy would compare them as equal strings.
    with pytest.raises(ValueError, match="labels the frozen .* was not fitted on"):
        pruner.fit(X, y.astype(str))
    with pytest.raises(ValueError, match=r"not fitted on: \[7\]"):
        pruner.fit(X, np.where(y == 2, 7, y))
    # A subset of the known classes is fine.
    keep = y < 2
    assert pruner.fit(X[keep], y[keep]).estimator_ is not None


def test_frozen_regressor_accepts_any_target():
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    frozen = FrozenEstimator(DecisionTreeRegressor(random_state=0).fit(X, y))
    pruner = TreePruner(frozen, method="reduced_error", prune_rate=0.5)
    pruner.fit(X, y + 1000)
    # Pruned to the rate asked for, not collapsed to the root by the shift.
    assert pruner.n_units_before_ == 100
    assert 1 < pruner.n_units_after_ <= 50


@pytest.mark.parametrize("cv", [[], "consumed"])
def test_empty_or_consumed_cv_is_refused(iris_scaled, cv):
    X, y = iris_scaled
    if cv == "consumed":
        cv = ((train, test) for train, test in [])
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), cv=cv)
    with pytest.raises(ValueError, match="cv gave no train/test split"):
        pruner.fit(X, y)
    with pytest.raises(ValueError, match="cv gave no train/test split"):
        pruning_curve(pruner, X, y, prune_rates=[0.5], cv=[])


def test_generator_cv_is_refused_once_consumed(iris_scaled):
    X, y = iris_scaled
    splits = iter([(np.arange(0, 150, 2), np.arange(1, 150, 2))])
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), cv=splits)
    pruner.fit(X, y)
    # check_cv turned the generator into a list the first time; a second fit
    # of the same pruner gets nothing from it.
    with pytest.raises(ValueError, match="already consumed"):
        TreePruner(DecisionTreeClassifier(random_state=0), cv=splits).fit(X, y)


def test_pruning_curve_checks_sample_weight_length(iris_scaled):
    X, y = iris_scaled
    pruner = TreePruner(DecisionTreeClassifier(random_state=0))
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(3,\)"):
        pruning_curve(pruner, X, y, prune_rates=[0.5], sample_weight=np.ones(3))


@pytest.mark.parametrize("rate", [False, True, np.False_])
def test_boolean_prune_rate_is_refused(iris_scaled, rate):
    X, y = iris_scaled
    with pytest.raises(ValueError, match="'prune_rate' parameter of TreePruner"):
        TreePruner(DecisionTreeClassifier(), prune_rate=rate).fit(X, y)
    with pytest.raises(ValueError, match="prune_rates must hold floats"):
        pruning_curve(TreePruner(DecisionTreeClassifier()), X, y, prune_rates=[rate])


def test_refit_none_shares_no_array_with_the_frozen_model(iris_scaled):
    X, y = iris_scaled
    svm = SVC().fit(X, y)
    intercept = svm._intercept_.copy()
    pruner = SVMPruner(FrozenEstimator(svm), prune_rate=0.5, refit=None).fit(X, y)
    for name in ("_intercept_", "intercept_", "_dual_coef_", "dual_coef_"):
        assert not np.shares_memory(
            getattr(pruner.estimator_, name), getattr(svm, name)
        )
    pruner.estimator_._intercept_ += 1.0
    np.testing.assert_array_equal(svm._intercept_, intercept)


def test_settings_warning_shown_once_per_search(iris_scaled, tmp_path):
    X, y = iris_scaled
    pruner = TreePruner(
        DecisionTreeClassifier(random_state=0),
        method="reduced_error",
        memory=str(tmp_path),
    )
    search = GridSearchCV(pruner, {"prune_rate": [0.2, 0.4, 0.6, 0.8]}, cv=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    messages = [w for w in caught if "memory has no effect" in str(w.message)]
    assert len(messages) == 1


def _linear(a, b):
    return a @ b.T


def test_redefined_kernel_is_not_served_from_the_cache(tmp_path):
    global _linear
    X, y = make_classification(n_samples=120, random_state=0)
    first = SVMPruner(SVC(kernel=_linear), prune_rate=0.0, memory=str(tmp_path))
    first.fit(X, y)
    original = _linear

    def _linear(a, b):  # same name, another kernel
        return (a @ b.T + 1.0) ** 2

    try:
        second = SVMPruner(SVC(kernel=_linear), prune_rate=0.0, memory=str(tmp_path))
        second.fit(X, y)
    finally:
        _linear = original
    fresh = SVC(kernel=lambda a, b: (a @ b.T + 1.0) ** 2).fit(X, y)
    assert second.n_units_before_ == len(fresh.support_)
    assert second.n_units_before_ != first.n_units_before_


def test_lambda_kernel_with_memory_computes_without_the_cache(tmp_path):
    X, y = make_classification(n_samples=80, random_state=0)
    pruner = SVMPruner(
        SVC(kernel=lambda a, b: a @ b.T), prune_rate=0.5, memory=str(tmp_path)
    )
    with pytest.warns(UserWarning, match="joblib cannot pickle"):
        pruner.fit(X, y)
    assert pruner.n_units_after_ < pruner.n_units_before_


def test_swapped_cache_file_is_recomputed(tmp_path):
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    memory = Memory(str(tmp_path), verbose=0)
    small = SVMPruner(SVR(), prune_rate=0.0, memory=memory).fit(X[:100], y[:100])
    full = SVMPruner(SVR(), prune_rate=0.0, memory=memory).fit(X, y)
    outputs = sorted(glob.glob(str(tmp_path / "**" / "output.pkl"), recursive=True))
    assert len(outputs) == 2
    # Both entries now hold the same result: one of them is not its own.
    source = max(outputs, key=os.path.getmtime)
    for output in outputs:
        if output != source:
            shutil.copy(source, output)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again_small = SVMPruner(SVR(), prune_rate=0.0, memory=memory)
        again_small.fit(X[:100], y[:100])
        again_full = SVMPruner(SVR(), prune_rate=0.0, memory=memory).fit(X, y)
    assert any("does not belong" in str(w.message) for w in caught)
    assert again_small.n_units_before_ == small.n_units_before_
    assert again_full.n_units_before_ == full.n_units_before_


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def _weights(y):
    weight = np.ones(len(y))
    weight[y == 0] = 20.0
    return weight


def test_routing_on_sends_weights_only_where_requested(iris_scaled, routing):
    X, y = iris_scaled
    weight = _weights(y)
    tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    with pytest.raises(Exception, match="set_fit_request"):
        TreePruner(tree, prune_rate=0.0).fit(X, y, sample_weight=weight)
    requested = TreePruner(
        DecisionTreeClassifier(max_depth=2, random_state=0).set_fit_request(
            sample_weight=True
        ),
        prune_rate=0.0,
    ).fit(X, y, sample_weight=weight)
    refused = TreePruner(
        DecisionTreeClassifier(max_depth=2, random_state=0).set_fit_request(
            sample_weight=False
        ),
        prune_rate=0.0,
    ).fit(X, y, sample_weight=weight)
    weighted = DecisionTreeClassifier(max_depth=2, random_state=0)
    weighted.fit(X, y, sample_weight=weight)
    unweighted = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(
        requested.estimator_.tree_.value, weighted.tree_.value
    )
    np.testing.assert_array_equal(
        refused.estimator_.tree_.value, unweighted.tree_.value
    )


def test_routing_on_through_a_pipeline(iris_scaled, routing):
    X, y = iris_scaled
    weight = _weights(y)
    pipe = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        TreePruner(
            DecisionTreeClassifier(max_depth=2, random_state=0).set_fit_request(
                sample_weight=True
            ),
            prune_rate=0.0,
        ).set_fit_request(sample_weight=True),
    )
    pipe.fit(X, y, sample_weight=weight)
    weighted = DecisionTreeClassifier(max_depth=2, random_state=0)
    weighted.fit(StandardScaler().fit_transform(X), y, sample_weight=weight)
    np.testing.assert_array_equal(pipe[-1].estimator_.tree_.value, weighted.tree_.value)


def test_routing_refuses_metadata_other_than_sample_weight(iris_scaled, routing):
    X, y = iris_scaled
    with pytest.raises(TypeError, match="not routed to any object"):
        TreePruner(DecisionTreeClassifier()).fit(X, y, groups=np.zeros(len(y)))


def test_routing_off_refuses_extra_fit_params(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        TreePruner(DecisionTreeClassifier()).fit(X, y, check_input=True)
    # sample_weight still reaches the estimator without routing.
    weight = _weights(y)
    pruner = TreePruner(
        DecisionTreeClassifier(max_depth=2, random_state=0), prune_rate=0.0
    ).fit(X, y, sample_weight=weight)
    weighted = DecisionTreeClassifier(max_depth=2, random_state=0)
    weighted.fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(pruner.estimator_.tree_.value, weighted.tree_.value)
