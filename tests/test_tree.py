import math
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    make_classification,
    make_friedman1,
    make_multilabel_classification,
)
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
    export_text,
)

from skprune.tree import TreePruner
from skprune.tree._pruner import _cost_complexity_path

NODE_FIELDS = [
    "left_child",
    "right_child",
    "feature",
    "threshold",
    "impurity",
    "n_node_samples",
    "weighted_n_node_samples",
]


def noisy_classification(n_samples=1500, random_state=0):
    return make_classification(
        n_samples=n_samples,
        n_features=10,
        n_informative=5,
        n_classes=3,
        flip_y=0.2,
        random_state=random_state,
    )


def assert_same_tree(tree_a, tree_b):
    """Same nodes, numbered alike, with the same values."""
    state_a, state_b = tree_a.__getstate__(), tree_b.__getstate__()
    assert state_a["node_count"] == state_b["node_count"]
    assert state_a["max_depth"] == state_b["max_depth"]
    for field in NODE_FIELDS:
        np.testing.assert_array_equal(state_a["nodes"][field], state_b["nodes"][field])
    np.testing.assert_array_equal(state_a["values"], state_b["values"])


def _regression_data():
    return make_friedman1(n_samples=1200, noise=1.0, random_state=0)


def _multioutput_classification_data():
    return make_multilabel_classification(n_samples=800, n_classes=3, random_state=0)


def _weighted_data():
    X, y = noisy_classification(1000, random_state=1)
    weight = np.random.RandomState(0).randint(1, 4, size=len(y)).astype(float)
    return X, y, weight


CCP_CASES = {
    "classifier": (DecisionTreeClassifier(random_state=0), noisy_classification),
    "entropy": (
        DecisionTreeClassifier(criterion="entropy", random_state=0),
        noisy_classification,
    ),
    "best_first": (
        DecisionTreeClassifier(max_leaf_nodes=150, random_state=0),
        noisy_classification,
    ),
    "extra_tree": (ExtraTreeClassifier(random_state=0), noisy_classification),
    "regressor": (DecisionTreeRegressor(random_state=0), _regression_data),
    "extra_regressor": (ExtraTreeRegressor(random_state=0), _regression_data),
    "multioutput": (
        DecisionTreeClassifier(random_state=0),
        _multioutput_classification_data,
    ),
}


@pytest.mark.parametrize("case", CCP_CASES)
@pytest.mark.parametrize("prune_rate", [0.0, 0.1, 0.3, 0.5, 0.75, 0.9, 0.99])
def test_cost_complexity_matches_sklearn_ccp_alpha(case, prune_rate):
    estimator, make_data = CCP_CASES[case]
    X, y = make_data()
    pruner = TreePruner(estimator, prune_rate=prune_rate).fit(X, y)

    reference = clone(estimator).set_params(ccp_alpha=pruner.ccp_alpha_).fit(X, y)
    assert_same_tree(pruner.estimator_.tree_, reference.tree_)
    np.testing.assert_array_equal(pruner.predict(X), reference.predict(X))
    # The native estimator carries the alpha that reproduces it.
    refit = clone(pruner.estimator_).fit(X, y)
    assert_same_tree(refit.tree_, pruner.estimator_.tree_)


def test_cost_complexity_with_sample_weight_matches_sklearn():
    X, y, weight = _weighted_data()
    estimator = DecisionTreeClassifier(random_state=0)
    for prune_rate in (0.3, 0.7, 0.95):
        pruner = TreePruner(estimator, prune_rate=prune_rate)
        pruner.fit(X, y, sample_weight=weight)
        reference = clone(estimator).set_params(ccp_alpha=pruner.ccp_alpha_)
        reference.fit(X, y, sample_weight=weight)
        assert_same_tree(pruner.estimator_.tree_, reference.tree_)


def test_path_matches_sklearn_pruning_path():
    """Every subtree of sklearn's path is a step of ours, with the same alphas."""
    X, y = noisy_classification()
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    ours = _cost_complexity_path(tree)
    theirs = tree.cost_complexity_pruning_path(X, y).ccp_alphas
    distinct = theirs[1:][np.diff(theirs) > 1e-12]
    distinct = np.append(distinct, theirs[-1])
    np.testing.assert_allclose(ours.alphas, np.unique(distinct), rtol=1e-9)


@pytest.mark.parametrize("method", ["cost_complexity", "reduced_error"])
def test_size_bound_and_monotone_in_prune_rate(method):
    X, y = noisy_classification()
    n_leaves = []
    for prune_rate in np.linspace(0, 0.99, 12):
        pruner = TreePruner(
            DecisionTreeClassifier(random_state=0),
            method=method,
            prune_rate=prune_rate,
            random_state=0,
        ).fit(X, y)
        limit = math.ceil(round((1 - prune_rate) * pruner.n_units_before_, 9))
        assert pruner.n_units_after_ <= limit
        assert pruner.estimator_.get_n_leaves() == pruner.n_units_after_
        assert pruner.prune_rate_ == 1 - pruner.n_units_after_ / pruner.n_units_before_
        n_leaves.append(pruner.n_units_after_)
    assert all(a >= b for a, b in zip(n_leaves, n_leaves[1:], strict=False))
    assert n_leaves[0] > 4 * n_leaves[-1]


@pytest.mark.parametrize("method", ["cost_complexity", "reduced_error"])
def test_prune_rate_zero_keeps_the_tree(method):
    X, y = noisy_classification()
    pruner = TreePruner(
        DecisionTreeClassifier(max_leaf_nodes=100, random_state=0),
        method=method,
        prune_rate=0.0,
        random_state=0,
    ).fit(X, y)
    assert pruner.n_units_after_ == pruner.n_units_before_
    assert pruner.prune_rate_ == 0.0
    if method == "cost_complexity":
        assert pruner.ccp_alpha_ == 0.0
        unpruned = DecisionTreeClassifier(max_leaf_nodes=100, random_state=0).fit(X, y)
        assert_same_tree(pruner.estimator_.tree_, unpruned.tree_)
        np.testing.assert_array_equal(
            pruner.predict_proba(X), unpruned.predict_proba(X)
        )


def test_pruned_estimator_is_a_working_native_tree(tmp_path):
    X, y = load_breast_cancer(return_X_y=True)
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.7)
    pruner.fit(X, y)
    tree = pruner.estimator_
    assert type(tree) is DecisionTreeClassifier
    n_leaves = tree.get_n_leaves()
    assert tree.tree_.node_count == 2 * n_leaves - 1
    assert tree.apply(X).max() < tree.tree_.node_count
    assert tree.decision_path(X).shape == (len(X), tree.tree_.node_count)
    assert export_text(tree).count("class:") == n_leaves
    np.testing.assert_allclose(tree.feature_importances_.sum(), 1.0)
    depth = tree.get_depth()
    assert depth == tree.tree_.max_depth
    assert depth == tree.decision_path(X).sum(axis=1).max() - 1

    restored = pickle.loads(pickle.dumps(tree))
    np.testing.assert_array_equal(restored.predict_proba(X), tree.predict_proba(X))
    assert_same_tree(restored.tree_, tree.tree_)


def test_plot_tree_on_pruned_tree():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.tree import plot_tree

    X, y = load_iris(return_X_y=True)
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.5)
    pruner.fit(X, y)
    annotations = plot_tree(pruner.estimator_)
    node_boxes = [a for a in annotations if "samples =" in a.get_text()]
    assert len(node_boxes) == pruner.estimator_.tree_.node_count
    plt.close("all")


def classic_reduced_error_pruning(tree, X, y):
    """Quinlan's bottom-up rule, written as a plain recursion for reference.

    Returns the set of nodes that stay internal.
    """
    left, right = tree.tree_.children_left, tree.tree_.children_right
    node_of_sample = tree.decision_path(X).toarray().astype(bool)
    predicted = tree.classes_[tree.tree_.value[:, 0, :].argmax(axis=1)]

    def prune(node):
        """(pruning-set errors, internal nodes) of the pruned subtree at node."""
        reached = node_of_sample[:, node]
        as_leaf = np.sum(predicted[node] != y[reached])
        if left[node] == -1:
            return as_leaf, set()
        left_errors, left_internal = prune(left[node])
        right_errors, right_internal = prune(right[node])
        if as_leaf <= left_errors + right_errors:
            return as_leaf, set()
        return left_errors + right_errors, {node} | left_internal | right_internal

    return prune(0)[1]


def test_reduced_error_auto_is_the_classic_rule():
    X, y = noisy_classification(2000, random_state=3)
    X_grow, X_prune, y_grow, y_prune = train_test_split(X, y, random_state=0)
    tree = DecisionTreeClassifier(random_state=0).fit(X_grow, y_grow)
    pruner = TreePruner(FrozenEstimator(tree), method="reduced_error")
    pruner.fit(X_prune, y_prune)

    expected_internal = classic_reduced_error_pruning(tree, X_prune, y_prune)
    assert pruner.n_units_after_ == len(expected_internal) + 1
    assert 1 < pruner.n_units_after_ < pruner.n_units_before_
    # Same subtree: the same samples end in the same original nodes.
    kept_internal = sorted(expected_internal)
    original_paths = tree.decision_path(X_prune).toarray()[:, kept_internal]
    pruned_paths = pruner.estimator_.decision_path(X_prune).toarray()
    assert original_paths.sum() == (pruned_paths.sum(axis=1) - 1).sum()


def test_reduced_error_auto_minimises_pruning_set_error():
    X, y = noisy_classification(2000, random_state=4)
    X_grow, X_prune, y_grow, y_prune = train_test_split(X, y, random_state=0)
    tree = FrozenEstimator(DecisionTreeClassifier(random_state=0).fit(X_grow, y_grow))

    def pruning_set_errors(prune_rate):
        pruner = TreePruner(tree, method="reduced_error", prune_rate=prune_rate)
        return np.sum(pruner.fit(X_prune, y_prune).predict(X_prune) != y_prune)

    auto_errors = pruning_set_errors("auto")
    for prune_rate in (0.0, 0.2, 0.5, 0.8, 0.95):
        assert auto_errors <= pruning_set_errors(prune_rate)


def test_reduced_error_regression_reduces_holdout_error():
    X, y = make_friedman1(n_samples=3000, noise=3.0, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    unpruned = DecisionTreeRegressor(random_state=0).fit(X_train, y_train)
    pruner = TreePruner(
        DecisionTreeRegressor(random_state=0),
        method="reduced_error",
        backfit=True,
        random_state=0,
    ).fit(X_train, y_train)
    assert pruner.n_units_after_ < 0.5 * unpruned.get_n_leaves()
    assert pruner.score(X_test, y_test) > unpruned.score(X_test, y_test)


def cross_validated_step_by_refitting(estimator, X, y, cv):
    """The 1-SE choice, computed the slow way: refit every fold at every alpha."""
    full_path = _cost_complexity_path(clone(estimator).fit(X, y))
    candidates = [0.0] + [
        full_path.representative_alpha(s) for s in range(len(full_path.alphas))
    ]
    losses = np.zeros((len(y), len(candidates)))
    for train, test in cv.split(X, y):
        for j, alpha in enumerate(candidates):
            fold_tree = clone(estimator).set_params(ccp_alpha=alpha)
            fold_tree.fit(X[train], y[train])
            losses[test, j] = fold_tree.predict(X[test]) != y[test]
    mean = losses.mean(axis=0)
    std_error = losses.std(axis=0) / np.sqrt(len(y))
    best = np.argmin(mean)
    within = np.flatnonzero(mean <= mean[best] + std_error[best])
    return candidates[within.max()]


def test_cost_complexity_auto_matches_refitting_cross_validation():
    X, y = noisy_classification(600, random_state=5)
    estimator = DecisionTreeClassifier(random_state=0)
    cv = KFold(4, shuffle=True, random_state=0)
    pruner = TreePruner(estimator, prune_rate="auto", cv=cv).fit(X, y)
    expected_alpha = cross_validated_step_by_refitting(estimator, X, y, cv)
    assert pruner.ccp_alpha_ == pytest.approx(expected_alpha)
    assert 1 < pruner.n_units_after_ < pruner.n_units_before_


@pytest.mark.parametrize(
    "estimator, make_data",
    [
        (DecisionTreeClassifier(random_state=0), noisy_classification),
        (
            DecisionTreeClassifier(
                criterion="entropy", class_weight="balanced", random_state=0
            ),
            noisy_classification,
        ),
        (DecisionTreeClassifier(criterion="log_loss", random_state=0), load_iris),
        (DecisionTreeRegressor(random_state=0), _regression_data),
        (DecisionTreeRegressor(criterion="poisson", random_state=0), load_diabetes),
        (DecisionTreeClassifier(random_state=0), _multioutput_classification_data),
    ],
)
def test_backfit_on_training_data_reproduces_the_tree(estimator, make_data):
    X, y = (
        make_data(return_X_y=True)
        if make_data in (load_iris, load_diabetes)
        else (make_data())
    )
    weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    tree = clone(estimator).fit(X, y, sample_weight=weight)
    pruner = TreePruner(FrozenEstimator(tree), prune_rate=0.0, backfit=True)
    pruner.fit(X, y, sample_weight=weight)
    state_a = pruner.estimator_.tree_.__getstate__()
    state_b = tree.tree_.__getstate__()
    for field in ["n_node_samples", "weighted_n_node_samples"]:
        np.testing.assert_allclose(state_a["nodes"][field], state_b["nodes"][field])
    np.testing.assert_allclose(
        state_a["nodes"]["impurity"], state_b["nodes"]["impurity"], atol=1e-9
    )
    np.testing.assert_allclose(state_a["values"], state_b["values"], atol=1e-12)


def test_backfit_re_estimates_leaves_on_all_data():
    X, y = noisy_classification(1200, random_state=6)
    pruner = TreePruner(
        DecisionTreeClassifier(random_state=0),
        method="reduced_error",
        backfit=True,
        random_state=0,
    ).fit(X, y)
    tree = pruner.estimator_
    leaves = tree.apply(X)
    for leaf in np.unique(leaves)[:10]:
        frequencies = np.bincount(y[leaves == leaf], minlength=3) / np.sum(
            leaves == leaf
        )
        np.testing.assert_allclose(tree.tree_.value[leaf, 0], frequencies)
    assert tree.tree_.n_node_samples[0] == len(y)


def test_backfit_rejects_unsupported_criterion():
    X, y = _regression_data()
    pruner = TreePruner(
        DecisionTreeRegressor(criterion="absolute_error", max_depth=4),
        prune_rate=0.5,
        backfit=True,
    )
    with pytest.raises(ValueError, match="backfit=True supports criterion"):
        pruner.fit(X, y)


def test_frozen_estimator_is_pruned_without_refit_or_change():
    X, y = noisy_classification()
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    state_before = pickle.dumps(tree)
    frozen = FrozenEstimator(tree)
    pruner = TreePruner(frozen, prune_rate=0.5).fit(X[:10], y[:10])
    assert pickle.dumps(tree) == state_before
    assert pruner.estimator_ is not tree
    assert pruner.n_units_before_ == tree.get_n_leaves()
    assert pruner.n_units_after_ <= math.ceil(tree.get_n_leaves() / 2)


@pytest.mark.parametrize("method", ["cost_complexity", "reduced_error"])
def test_user_estimator_is_not_modified(method):
    X, y = noisy_classification()
    estimator = DecisionTreeClassifier(max_depth=8, random_state=0)
    params = estimator.get_params()
    TreePruner(estimator, method=method, prune_rate=0.5).fit(X, y)
    assert not hasattr(estimator, "tree_")
    assert estimator.get_params() == params


class CountingTree(DecisionTreeClassifier):
    """A tree that counts its fits, to see what the cache saves."""

    n_fits = 0

    def fit(self, X, y, sample_weight=None, check_input=True):
        type(self).n_fits += 1
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


@pytest.mark.parametrize("method", ["cost_complexity", "reduced_error"])
def test_memory_fits_the_base_tree_once_per_fold(tmp_path, method):
    X, y = noisy_classification(600)
    grid = {"treepruner__prune_rate": [0.0, 0.3, 0.6, 0.9]}

    def count_fits(memory):
        CountingTree.n_fits = 0
        pruner = TreePruner(
            CountingTree(random_state=0), method=method, random_state=0, memory=memory
        )
        search = GridSearchCV(make_pipeline(StandardScaler(), pruner), grid, cv=3)
        search.fit(X, y)
        return CountingTree.n_fits, search

    n_fits_cached, cached = count_fits(str(tmp_path))
    n_fits_plain, plain = count_fits(None)
    assert n_fits_cached == 3 + 1  # one per fold, one for the refit
    assert n_fits_plain == 3 * 4 + 1
    np.testing.assert_allclose(
        cached.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )


def test_grid_search_over_prune_rate_in_a_pipeline():
    X, y = noisy_classification()
    pipeline = make_pipeline(
        StandardScaler(), TreePruner(DecisionTreeClassifier(random_state=0))
    )
    search = GridSearchCV(pipeline, {"treepruner__prune_rate": [0.0, 0.5, 0.9]}, cv=3)
    search.fit(X, y)
    rates = search.cv_results_["param_treepruner__prune_rate"]
    scores = search.cv_results_["mean_test_score"]
    # On noisy labels a pruned tree generalises better than the full one.
    assert scores[list(rates).index(0.0)] < scores.max()
    assert search.best_estimator_[-1].n_units_after_ < (
        search.best_estimator_[-1].n_units_before_
    )


def test_feature_names_are_kept():
    pd = pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True, as_frame=True)
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.5)
    pruner.fit(X, y)
    np.testing.assert_array_equal(pruner.feature_names_in_, X.columns)
    assert isinstance(X, pd.DataFrame)
    with pytest.warns(UserWarning, match="feature names"):
        pruner.predict(X.to_numpy())


@pytest.mark.parametrize(
    "params, match",
    [
        ({"prune_rate": -0.1}, "prune_rate"),
        ({"prune_rate": 1.0}, "prune_rate"),
        ({"prune_rate": float("nan")}, "prune_rate"),
        ({"prune_rate": "half"}, "prune_rate"),
        ({"method": "pessimistic"}, "method"),
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"backfit": "yes"}, "backfit"),
        ({"memory": 3}, "memory"),
    ],
)
def test_invalid_parameters_are_named(params, match):
    X, y = load_iris(return_X_y=True)
    pruner = TreePruner(DecisionTreeClassifier(), **params)
    with pytest.raises(ValueError, match=match):
        pruner.fit(X, y)


def test_non_tree_estimator_is_rejected():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match="TreePruner prunes BaseDecisionTree"):
        TreePruner(LogisticRegression()).fit(X, y)


def test_frozen_unfitted_estimator_is_rejected():
    X, y = load_iris(return_X_y=True)
    pruner = TreePruner(FrozenEstimator(DecisionTreeClassifier()), prune_rate=0.5)
    with pytest.raises(NotFittedError, match="FrozenEstimator is not fitted"):
        pruner.fit(X, y)


def test_frozen_estimator_with_cross_validated_alpha_is_rejected():
    X, y = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier().fit(X, y)
    with pytest.raises(ValueError, match="cannot be refitted"):
        TreePruner(FrozenEstimator(tree), prune_rate="auto").fit(X, y)


def test_too_few_samples_for_the_pruning_set():
    pruner = TreePruner(DecisionTreeClassifier(), method="reduced_error")
    with pytest.raises(ValueError, match="validation_fraction=0.25.*n_samples=1"):
        pruner.fit([[0.0, 1.0]], [0])


def test_non_finite_input_is_rejected_by_the_tree():
    X, y = load_iris(return_X_y=True)
    X = X.copy()
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        TreePruner(DecisionTreeClassifier(), prune_rate=0.5).fit(X, y)
    X[0, 0] = np.nan
    # Trees with the best splitter support missing values; the pruner follows.
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.5)
    assert pruner.fit(X, y).predict(X[:1]).shape == (1,)


def test_predict_before_fit_and_wrong_feature_count():
    X, y = load_iris(return_X_y=True)
    pruner = TreePruner(DecisionTreeClassifier(), prune_rate=0.5)
    with pytest.raises(NotFittedError):
        pruner.predict(X)
    pruner.fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        pruner.predict(X[:, :3])


def test_regressor_pruner_is_a_regressor():
    from sklearn.base import is_classifier, is_regressor

    X, y = load_diabetes(return_X_y=True)
    pruner = TreePruner(DecisionTreeRegressor(random_state=0), prune_rate=0.5)
    assert is_regressor(pruner) and not is_classifier(pruner)
    assert not hasattr(pruner, "predict_proba")
    assert pruner.fit(X, y).score(X, y) > 0.5


def test_reduced_error_rates_between_ties_are_reachable():
    """Collapses that tie on the pruning set are ordered by training alpha.

    Without the tie-break, every zero-harm collapse is one step of the path
    and rates such as 0.5-0.8 all give the same tree.
    """
    X, y = noisy_classification(4000, random_state=7)
    sizes = {}
    for prune_rate in (0.5, 0.6, 0.7, 0.8):
        pruner = TreePruner(
            DecisionTreeClassifier(random_state=0),
            method="reduced_error",
            prune_rate=prune_rate,
            random_state=0,
        ).fit(X, y)
        limit = math.ceil(round((1 - prune_rate) * pruner.n_units_before_, 9))
        assert 0.9 * limit <= pruner.n_units_after_ <= limit
        sizes[prune_rate] = pruner.n_units_after_
    assert len(set(sizes.values())) == 4


def test_reduced_error_warns_when_memory_cannot_work(tmp_path):
    X, y = load_iris(return_X_y=True)
    pruner = TreePruner(
        DecisionTreeClassifier(), method="reduced_error", memory=str(tmp_path)
    )
    with pytest.warns(UserWarning, match="Set random_state"):
        pruner.fit(X, y)


def test_refit_with_reduced_error_drops_ccp_alpha():
    X, y = load_iris(return_X_y=True)
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.5)
    assert hasattr(pruner.fit(X, y), "ccp_alpha_")
    pruner.set_params(method="reduced_error", random_state=0)
    assert not hasattr(pruner.fit(X, y), "ccp_alpha_")
