"""The stopping rules of reduced-error pruning's prune_rate="auto"."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_friedman1
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skprune.tree import TreePruner
from skprune.tree._prune import prune_to_step, prune_tree, reduced_error_path
from skprune.tree._reduced_error import (
    one_se_step,
    pruning_set_errors,
    reduced_error_step,
)


def grown_and_pruning_sets(task, random_state=0):
    """A fully grown tree on noisy data and a separate pruning set."""
    if task == "classification":
        X, y = make_classification(
            n_samples=1200,
            n_features=8,
            n_informative=4,
            n_classes=3,
            flip_y=0.2,
            random_state=random_state,
        )
        tree = DecisionTreeClassifier(random_state=0)
    else:
        X, y = make_friedman1(n_samples=1200, noise=2.0, random_state=random_state)
        tree = DecisionTreeRegressor(random_state=0)
    X_grow, X_prune, y_grow, y_prune = train_test_split(X, y, random_state=0)
    return tree.fit(X_grow, y_grow), X_prune, y_prune


def losses(estimator, X, y):
    """Per-sample loss of a tree: misclassification or squared error."""
    prediction = estimator.predict(X)
    if isinstance(estimator, DecisionTreeClassifier):
        return (prediction != y).astype(np.float64)
    return (prediction - y) ** 2


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("weighted", [False, True])
def test_pruning_set_errors_are_the_pruned_trees_errors(task, weighted):
    tree, X, y = grown_and_pruning_sets(task)
    weight = np.random.RandomState(0).uniform(0.5, 2, len(y)) if weighted else None
    path, _ = reduced_error_path(tree, X, y, weight)
    mean, std_error = pruning_set_errors(tree, path, X, y, weight)

    assert len(mean) == len(path.alphas) + 1
    for step in (-1, 0, len(path.alphas) // 2, len(path.alphas) - 1):
        loss = losses(prune_to_step(tree, path, step), X, y)
        w = np.ones(len(y)) if weight is None else weight
        expected_mean = np.average(loss, weights=w)
        expected_var = np.average(loss**2, weights=w) - expected_mean**2
        assert mean[step + 1] == pytest.approx(expected_mean, rel=1e-9)
        assert std_error[step + 1] == pytest.approx(np.sqrt(expected_var / len(y)))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_min_is_the_smallest_subtree_of_least_pruning_set_error(task):
    tree, X, y = grown_and_pruning_sets(task)
    path, auto_rank = reduced_error_path(tree, X, y, None)
    mean, _ = pruning_set_errors(tree, path, X, y)

    step = reduced_error_step(tree, path, auto_rank, X, y, None, "min")
    errors = [losses(prune_to_step(tree, path, s), X, y).mean() for s in (-1, step)]
    # No pruning-set error increase at the chosen tree, and none smaller on the path.
    assert errors[1] <= errors[0]
    assert mean[step + 1] == pytest.approx(mean.min(), rel=1e-9)
    assert np.all(mean[step + 2 :] > mean.min() * (1 + 1e-9))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_one_se_prunes_more_within_one_standard_error(task):
    tree, X, y = grown_and_pruning_sets(task)
    pruned = {
        selection: TreePruner(
            FrozenEstimator(tree), method="reduced_error", selection=selection
        ).fit(X, y)
        for selection in ("min", "1se")
    }
    quinlan_loss = losses(pruned["min"].estimator_, X, y)
    one_se_error = losses(pruned["1se"].estimator_, X, y).mean()

    # Noisy data: Quinlan's rule keeps subtrees the one-standard-error rule cuts.
    assert pruned["1se"].n_units_after_ < pruned["min"].n_units_after_
    assert quinlan_loss.mean() <= one_se_error
    limit = quinlan_loss.mean() + quinlan_loss.std() / np.sqrt(len(y))
    assert one_se_error <= limit * (1 + 1e-9)


def test_one_se_step_takes_the_smallest_subtree_within_the_band():
    mean = np.array([0.30, 0.20, 0.20, 0.24, 0.26, 0.40])
    std_error = np.array([0.01, 0.05, 0.05, 0.05, 0.05, 0.05])
    # The least error is at indices 1 and 2 (ties: the smaller tree, 2); its
    # band reaches 0.25, so index 3 (path step 2) is the smallest inside.
    assert one_se_step(mean, std_error) == 2
    assert one_se_step(mean, np.zeros_like(mean)) == 1


@pytest.mark.parametrize("selection", ["min", "1se"])
def test_ties_are_pruned(selection):
    tree, X, _ = grown_and_pruning_sets("classification")
    # Every pruning label is the root's class: the root alone makes no error,
    # as many subtrees do, and the smallest of the tied subtrees wins.
    y = np.full(len(X), tree.classes_[np.argmax(tree.tree_.value[0, 0])])
    pruner = TreePruner(
        FrozenEstimator(tree), method="reduced_error", selection=selection
    ).fit(X, y)
    assert pruner.n_units_after_ == 1


def test_auto_selection_resolves_per_method():
    X, y = make_friedman1(n_samples=600, noise=2.0, random_state=0)
    tree = DecisionTreeRegressor(random_state=0)

    def leaves(**params):
        return TreePruner(tree, random_state=0, **params).fit(X, y).n_units_after_

    assert leaves(method="reduced_error") == leaves(
        method="reduced_error", selection="1se"
    )
    assert leaves(method="cost_complexity") == leaves(
        method="cost_complexity", selection="min"
    )


def test_selection_leaves_numeric_prune_rates_alone():
    tree, X, y = grown_and_pruning_sets("regression")
    trees = [
        TreePruner(
            FrozenEstimator(tree),
            method="reduced_error",
            prune_rate=0.6,
            selection=selection,
        ).fit(X, y)
        for selection in ("min", "1se")
    ]
    np.testing.assert_array_equal(
        trees[0].estimator_.tree_.children_left,
        trees[1].estimator_.tree_.children_left,
    )


def test_reduced_error_auto_is_deterministic_with_random_state():
    X, y = make_classification(n_samples=800, flip_y=0.2, random_state=0)

    def fitted():
        return TreePruner(
            DecisionTreeClassifier(random_state=0),
            method="reduced_error",
            random_state=0,
        ).fit(X, y)

    first, second = fitted().estimator_.tree_, fitted().estimator_.tree_
    assert first.node_count == second.node_count
    np.testing.assert_array_equal(first.threshold, second.threshold)
    np.testing.assert_array_equal(first.value, second.value)


def test_invalid_selection_is_rejected():
    X, y = make_classification(n_samples=100, random_state=0)
    pruner = TreePruner(
        DecisionTreeClassifier(random_state=0),
        method="reduced_error",
        selection="median",
    )
    with pytest.raises(ValueError, match="selection"):
        pruner.fit(X, y)

    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="selection must be one of"):
        prune_tree(tree, "reduced_error", "auto", X, y, selection="median")
