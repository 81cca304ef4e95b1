"""Pruning by a user's per-node scores: ``TreePruner(method=<callable>)``."""

import numpy as np
from sklearn.tree._tree import TREE_LEAF

from ._weakest_link import (
    PruningPath,
    collapse_alphas,
    prune_thresholds,
    tie_broken_ranks,
)


def node_score_path(estimator, scores, training_risk):
    """The pruning path that collapses the lowest-scored internal nodes first.

    Collapsing a node removes its whole subtree, so a node goes no later than
    its lowest-scored ancestor (the subtrees stay nested, as on a
    cost-complexity path). Equal scores are ordered by the training
    cost-complexity alpha, so that every leaf count between two tied
    collapses stays reachable.

    Parameters
    ----------
    estimator : fitted decision tree
    scores : ndarray of shape (node_count,)
        One score per node; those of leaves are ignored.
    training_risk : ndarray of shape (node_count,)
        The tree's node risk on its training data, for the tie-break.

    Returns
    -------
    path : PruningPath
    """
    tree = estimator.tree_
    left, right = tree.children_left, tree.children_right
    training_alpha = collapse_alphas(left, right, training_risk)
    ranks, _ = tie_broken_ranks(left, scores, training_alpha, tol=0.0)
    return PruningPath(left, right, prune_thresholds(left, right, ranks), tol=0.5)


def check_node_scores(scores, estimator, scorer):
    """``scores`` as a float array of one finite value per internal node."""
    tree = estimator.tree_
    name = getattr(scorer, "__name__", repr(scorer))
    try:
        scores = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"method={name} must return one number per node of the tree; "
            f"got {type(scores).__name__} ({error})."
        ) from error
    if scores.shape != (tree.node_count,):
        raise ValueError(
            f"method={name} must return an array of shape (node_count,) = "
            f"({tree.node_count},), one score per node of estimator.tree_; "
            f"got shape {scores.shape}."
        )
    internal = tree.children_left != TREE_LEAF
    if not np.isfinite(scores[internal]).all():
        raise ValueError(
            f"method={name} returned NaN or infinite scores for internal nodes; "
            "every internal node needs a finite score (leaves' scores are "
            "ignored)."
        )
    return scores
