import math
import pickle

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from test_tree import noisy_classification

from skprune.ensemble import ForestPruner
from skprune.tree import TreePruner


def noisy_data(n_samples=1200, random_state=0):
    return noisy_classification(n_samples, random_state)


def same_tree(a, b):
    return a.tree_.node_count == b.tree_.node_count and np.array_equal(
        a.tree_.threshold, b.tree_.threshold
    )


def kept_indices(pruned, forest):
    """Which trees of ``forest`` the pruned forest holds (by their arrays)."""
    return [
        next(i for i, tree in enumerate(forest.estimators_) if same_tree(tree, kept))
        for kept in pruned.estimators_
    ]


@pytest.fixture(scope="module")
def frozen_setup():
    X, y = noisy_data()
    X_fit, X_val, y_fit, y_val = train_test_split(X, y, random_state=0)
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X_fit, y_fit)
    return forest, X_val, y_val


@pytest.mark.parametrize("prune_rate", [0.0, 0.5, 0.8, 0.95])
def test_select_keeps_a_sub_forest_of_the_requested_size(frozen_setup, prune_rate):
    forest, X_val, y_val = frozen_setup
    pruner = ForestPruner(FrozenEstimator(forest), prune_rate=prune_rate)
    pruner.fit(X_val, y_val)
    pruned = pruner.estimator_
    n_kept = max(1, math.ceil(round((1 - prune_rate) * 30, 9)))
    assert type(pruned) is RandomForestClassifier
    assert len(pruned.estimators_) == pruned.n_estimators == n_kept
    assert pruner.n_trees_before_ == pruner.n_units_before_ == 30
    assert pruner.n_trees_after_ == pruner.n_units_after_ == n_kept
    kept = kept_indices(pruned, forest)
    assert len(set(kept)) == n_kept
    # The pruned forest is exactly the average of the kept trees.
    expected = np.mean([forest.estimators_[t].predict_proba(X_val) for t in kept], 0)
    np.testing.assert_allclose(pruned.predict_proba(X_val), expected)
    assert pruner.n_leaves_after_ == sum(
        forest.estimators_[t].get_n_leaves() for t in kept
    )


def brute_force_order(forest, X, y, n_steps):
    """Greedy forward selection by squared error, then errors, computed plainly."""
    probas = [tree.predict_proba(X) for tree in forest.estimators_]
    onehot = np.eye(probas[0].shape[1])[y]
    order = []
    for _ in range(n_steps):
        scores = []
        for t in range(len(probas)):
            if t in order:
                continue
            average = np.mean([probas[s] for s in [*order, t]], axis=0)
            errors = np.sum(average.argmax(axis=1) != y)
            scores.append((round(((average - onehot) ** 2).sum(), 9), errors, t))
        order.append(min(scores)[2])
    return order


def test_select_is_ordered_aggregation(frozen_setup):
    forest, X_val, y_val = frozen_setup
    pruner = ForestPruner(FrozenEstimator(forest), prune_rate=0.8).fit(X_val, y_val)
    expected = brute_force_order(forest, X_val, y_val, 6)
    assert sorted(kept_indices(pruner.estimator_, forest)) == sorted(expected)


def test_select_beats_random_subsets_on_the_selection_set(frozen_setup):
    # The greedy order minimises the squared error of the averaged
    # probabilities on the selection set: no random subset does better.
    forest, X_val, y_val = frozen_setup
    pruner = ForestPruner(FrozenEstimator(forest), prune_rate=0.8).fit(X_val, y_val)
    onehot = np.eye(3)[y_val]
    selected_loss = ((pruner.predict_proba(X_val) - onehot) ** 2).sum()
    rng = np.random.RandomState(0)
    random_losses = []
    for _ in range(20):
        trees = rng.choice(30, size=6, replace=False)
        average = np.mean(
            [forest.estimators_[t].predict_proba(X_val) for t in trees], axis=0
        )
        random_losses.append(((average - onehot) ** 2).sum())
    assert selected_loss < min(random_losses)


def test_select_auto_keeps_the_best_prefix(frozen_setup):
    forest, X_val, y_val = frozen_setup
    auto = ForestPruner(FrozenEstimator(forest)).fit(X_val, y_val)
    onehot = np.eye(3)[y_val]
    losses = {}
    for n_kept in range(1, 31):
        rate = 1 - n_kept / 30
        pruner = ForestPruner(FrozenEstimator(forest), prune_rate=rate)
        proba = pruner.fit(X_val, y_val).predict_proba(X_val)
        errors = np.sum(proba.argmax(axis=1) != y_val)
        losses[n_kept] = (errors, round(((proba - onehot) ** 2).sum(), 9))
    assert auto.n_trees_after_ == min(losses, key=lambda n: (*losses[n], n))


def test_select_uses_out_of_bag_rows_of_a_bootstrap_forest():
    X, y = noisy_data(600)
    forest = RandomForestClassifier(n_estimators=20, oob_score=True, random_state=0)
    pruner = ForestPruner(forest, prune_rate=0.5).fit(X, y)
    # Grown on all the rows: nothing held out.
    assert all(
        tree.tree_.weighted_n_node_samples[0] == len(y)
        for tree in pruner.estimator_.estimators_
    )
    assert not hasattr(pruner.estimator_, "oob_score_")
    assert not hasattr(pruner.estimator_, "oob_decision_function_")


def test_forest_without_bootstrap_is_grown_on_the_rest_of_a_hold_out():
    X, y = load_diabetes(return_X_y=True)
    pruner = ForestPruner(
        ExtraTreesRegressor(n_estimators=10, random_state=0),
        prune_rate=0.5,
        random_state=0,
    ).fit(X, y)
    n_grown = pruner.estimator_.estimators_[0].tree_.n_node_samples[0]
    assert n_grown == len(y) - math.ceil(0.25 * len(y))


def test_cost_complexity_prunes_every_tree_as_tree_pruner_does():
    X, y = noisy_data(600)
    forest = RandomForestClassifier(n_estimators=8, random_state=0).fit(X, y)
    pruner = ForestPruner(
        FrozenEstimator(forest), method="cost_complexity", prune_rate=0.5
    ).fit(X, y)
    assert pruner.n_trees_after_ == 8
    for tree, pruned in zip(
        forest.estimators_, pruner.estimator_.estimators_, strict=True
    ):
        expected = TreePruner(FrozenEstimator(tree), prune_rate=0.5).fit(X, y)
        assert same_tree(pruned, expected.estimator_)
    assert pruner.n_units_before_ == pruner.n_leaves_before_
    assert pruner.n_leaves_after_ <= math.ceil(0.5 * pruner.n_leaves_before_) + 8
    assert pruner.n_nodes_after_ == 2 * pruner.n_leaves_after_ - 8


def test_reduced_error_prunes_each_tree_on_its_own_out_of_bag_rows():
    X, y = noisy_data(600)
    forest = RandomForestClassifier(n_estimators=6, random_state=0)
    pruner = ForestPruner(forest, method="reduced_error").fit(X, y)
    fitted = pruner._fit_base(X, y)
    for tree, samples, pruned in zip(
        fitted.estimators_,
        fitted.estimators_samples_,
        pruner.estimator_.estimators_,
        strict=True,
    ):
        oob = np.setdiff1d(np.arange(len(y)), samples)
        # The trees of a forest classifier predict class indices.
        expected = TreePruner(
            FrozenEstimator(tree), method="reduced_error", selection="min"
        )
        expected.fit(X[oob].astype(np.float32), y[oob].astype(np.float64))
        assert same_tree(pruned, expected.estimator_)
    assert pruner.n_leaves_after_ < pruner.n_leaves_before_


def test_select_and_tree_method_combine():
    X, y = load_diabetes(return_X_y=True)
    forest = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    pruner = ForestPruner(
        FrozenEstimator(forest),
        prune_rate=0.5,
        tree_method="cost_complexity",
        tree_prune_rate=0.5,
    ).fit(X, y)
    assert pruner.n_trees_after_ == 10
    leaves = [tree.get_n_leaves() for tree in pruner.estimator_.estimators_]
    full = [tree.get_n_leaves() for tree in forest.estimators_]
    assert max(leaves) <= math.ceil(0.5 * max(full))


def test_cost_complexity_auto_picks_a_rate_by_selection_error():
    X, y = noisy_data(800)
    X_fit, X_val, y_fit, y_val = train_test_split(X, y, random_state=0)
    forest = ExtraTreesClassifier(n_estimators=10, random_state=0).fit(X_fit, y_fit)
    auto = ForestPruner(FrozenEstimator(forest), method="cost_complexity")
    auto_error = 1 - auto.fit(X_val, y_val).score(X_val, y_val)
    for rate in (0.0, 0.5, 0.9):
        pruner = ForestPruner(
            FrozenEstimator(forest), method="cost_complexity", prune_rate=rate
        )
        assert auto_error <= 1 - pruner.fit(X_val, y_val).score(X_val, y_val)


def test_frozen_forest_is_not_modified(frozen_setup):
    forest, X_val, y_val = frozen_setup
    before = pickle.dumps(forest)
    ForestPruner(FrozenEstimator(forest), method="reduced_error").fit(X_val, y_val)
    ForestPruner(FrozenEstimator(forest), prune_rate=0.5).fit(X_val, y_val)
    assert pickle.dumps(forest) == before


@pytest.mark.parametrize(
    "boosting", [GradientBoostingRegressor(), HistGradientBoostingClassifier()]
)
def test_boosting_is_refused_with_the_reason(boosting):
    X, y = noisy_data(100)
    with pytest.raises(TypeError, match="fitted to the residuals"):
        ForestPruner(boosting).fit(X, y)


def test_unfitted_frozen_forest_is_rejected():
    X, y = noisy_data(100)
    with pytest.raises(NotFittedError, match="FrozenEstimator is not fitted"):
        ForestPruner(FrozenEstimator(RandomForestClassifier())).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"method": "prune"}, "method"),
        ({"tree_method": "select"}, "tree_method"),
        ({"tree_prune_rate": 1.0}, "tree_prune_rate"),
        ({"prune_rate": -0.5}, "prune_rate"),
    ],
)
def test_invalid_parameters_are_named(params, match):
    X, y = noisy_data(100)
    with pytest.raises(ValueError, match=match):
        ForestPruner(RandomForestClassifier(n_estimators=3), **params).fit(X, y)
