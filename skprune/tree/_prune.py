"""Pruning a fitted tree: its pruning paths and the pruned copies.

The tree family's helpers that other families (forests) use too: a pruned copy
at a rate by cost-complexity or reduced-error pruning, with no refit and no
cross-validation (reduced-error ``"auto"`` stops by a rule on the pruning
set), and the size count of a tree. ``TreePruner`` adds the cross-validated
``"auto"`` of cost-complexity pruning on top.
"""

import copy

import numpy as np

from ..utils import n_kept
from ._node_stats import node_risk
from ._rebuild import build_pruned_tree, with_tree
from ._reduced_error import reduced_error_step
from ._weakest_link import (
    PruningPath,
    collapse_alphas,
    prune_thresholds,
    tie_broken_ranks,
)

# Alphas closer than this (relative to the root's risk) are one step of the
# path: scikit-learn's own sums differ from ours by rounding only.
_PATH_RTOL = 1e-10


def count_tree_params(estimator):
    """A feature and a threshold per internal node, the values of the leaves."""
    tree = estimator.tree_
    n_leaves = int(tree.n_leaves)
    n_internal = tree.node_count - n_leaves
    return 2 * n_internal + n_leaves * tree.n_outputs * int(tree.max_n_classes)


def training_risk(tree):
    """scikit-learn's node risk: impurity weighted by the share of samples."""
    weighted_n = tree.weighted_n_node_samples
    return weighted_n * tree.impurity / weighted_n[0]


def max_leaves(estimator, prune_rate):
    return n_kept(estimator.tree_.n_leaves, prune_rate)


def prune_to_step(estimator, path, step):
    """A pruned copy of ``estimator`` holding the subtree of path step ``step``."""
    if step < 0:
        return copy.deepcopy(estimator)
    return with_tree(
        estimator, build_pruned_tree(estimator.tree_, path.internal_mask(step))
    )


def cost_complexity_path(estimator):
    """The weakest-link path of a fitted tree, from its training impurities."""
    tree = estimator.tree_
    risk = training_risk(tree)
    return PruningPath.from_risk(
        tree.children_left,
        tree.children_right,
        risk,
        tol=_PATH_RTOL * max(risk[0], np.finfo(np.float64).tiny),
    )


def cost_complexity_prune_to_rates(estimator, prune_rates):
    """Pruned copies of a fitted tree at every rate, from one weakest-link path."""
    path = cost_complexity_path(estimator)
    return [
        prune_to_step(
            estimator, path, path.step_for_max_leaves(max_leaves(estimator, rate))
        )
        for rate in prune_rates
    ]


def reduced_error_path(estimator, X_prune, y_prune, w_prune):
    """Collapses ordered by pruning-set harm per leaf, ties by training alpha.

    Many collapses tie on the pruning set, above all at zero harm (subtrees
    whose pruning samples are classified alike either way, or that no pruning
    sample reaches): without a tie-break they form one step, and the rates
    between its ends could not be reached. Among equal harms the subtree with
    the smallest cost-complexity alpha on the training data goes first.

    Returns the path over collapse ranks and the rank of the last collapse
    that does not increase the pruning-set error.
    """
    tree = estimator.tree_
    left, right = tree.children_left, tree.children_right
    risk = node_risk(estimator, X_prune, y_prune, w_prune)
    harm = collapse_alphas(left, right, risk)
    training_alpha = collapse_alphas(left, right, training_risk(tree))
    ranks, auto_rank = tie_broken_ranks(
        left, harm, training_alpha, tol=_PATH_RTOL * max(risk[0], 1.0)
    )
    thresholds = prune_thresholds(left, right, ranks)
    return PruningPath(left, right, thresholds, tol=0.5), auto_rank


def prune_tree(
    estimator,
    method,
    prune_rate,
    X_prune=None,
    y_prune=None,
    w_prune=None,
    *,
    selection="min",
):
    """A pruned copy of a fitted tree, with no refit and no cross-validation.

    ``"cost_complexity"`` takes a numeric ``prune_rate``; ``"reduced_error"``
    prunes on ``(X_prune, y_prune, w_prune)`` (``y`` as the tree's own
    classes), and ``"auto"`` stops by the rule ``selection``: ``"min"`` is
    Quinlan's rule, ``"1se"`` the one-standard-error rule on the pruning set.
    """
    if method == "cost_complexity":
        return cost_complexity_prune_to_rates(estimator, [prune_rate])[0]
    path, auto_rank = reduced_error_path(estimator, X_prune, y_prune, w_prune)
    if prune_rate == "auto":
        step = reduced_error_step(
            estimator, path, auto_rank, X_prune, y_prune, w_prune, selection
        )
    else:
        step = path.step_for_max_leaves(max_leaves(estimator, prune_rate))
    return prune_to_step(estimator, path, step)
