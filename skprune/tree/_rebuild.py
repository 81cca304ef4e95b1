"""Rebuild a native scikit-learn ``Tree`` that keeps only some nodes."""

import copy

import numpy as np
from sklearn.tree import BaseDecisionTree
from sklearn.tree._tree import TREE_LEAF, TREE_UNDEFINED, Tree
from sklearn.utils.validation import check_is_fitted


def preorder_kept_nodes(children_left, children_right, internal_mask):
    """Nodes of the pruned tree in depth-first, left-first order.

    This is the order in which scikit-learn numbers the nodes of a tree pruned
    with ``ccp_alpha``, so rebuilt trees compare equal array by array.
    """
    left = children_left.tolist()
    right = children_right.tolist()
    internal = internal_mask.tolist()
    order = []
    stack = [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if internal[node]:
            stack.append(right[node])
            stack.append(left[node])
    return np.asarray(order, dtype=np.intp)


def node_depths(children_left, children_right):
    """Depth of every node (parents precede children in scikit-learn trees)."""
    depth = np.zeros(len(children_left), dtype=np.intp)
    internal = np.flatnonzero(children_left != TREE_LEAF)
    for node in internal:
        depth[children_left[node]] = depth[node] + 1
        depth[children_right[node]] = depth[node] + 1
    return depth


def build_pruned_tree(tree, internal_mask, values=None):
    """A new ``Tree`` where only the nodes in ``internal_mask`` stay internal.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        The fitted tree; it is not modified.
    internal_mask : ndarray of bool of shape (tree.node_count,)
        Nodes that remain internal; every other reachable node becomes a leaf
        and its descendants are dropped. Must be closed upwards: the parent of
        an internal node is internal.
    values : ndarray of shape (tree.node_count, n_outputs, max_n_classes), \
            default=None
        Node values to store instead of the tree's own.

    Returns
    -------
    pruned : sklearn.tree._tree.Tree
    """
    state = tree.__getstate__()
    if values is None:
        values = state["values"]
    order = preorder_kept_nodes(tree.children_left, tree.children_right, internal_mask)
    new_id = np.full(tree.node_count, TREE_LEAF, dtype=np.intp)
    new_id[order] = np.arange(len(order))

    nodes = state["nodes"][order].copy()
    is_internal = internal_mask[order]
    is_leaf = ~is_internal
    nodes["left_child"] = np.where(is_internal, new_id[nodes["left_child"]], TREE_LEAF)
    nodes["right_child"] = np.where(
        is_internal, new_id[nodes["right_child"]], TREE_LEAF
    )
    nodes["feature"][is_leaf] = TREE_UNDEFINED
    nodes["threshold"][is_leaf] = TREE_UNDEFINED
    nodes["missing_go_to_left"][is_leaf] = 0

    depth = node_depths(nodes["left_child"], nodes["right_child"])
    pruned = Tree(tree.n_features, np.asarray(tree.n_classes), tree.n_outputs)
    pruned.__setstate__(
        {
            "max_depth": int(depth.max()),
            "node_count": len(order),
            "nodes": nodes,
            "values": np.ascontiguousarray(values[order]),
        }
    )
    return pruned


def descendants_mask(children_left, children_right, roots):
    """Which nodes lie strictly below one of the nodes ``roots``."""
    below = np.zeros(len(children_left), dtype=bool)
    marked = np.zeros(len(children_left), dtype=bool)
    marked[roots] = True
    # Parents precede their children: one increasing pass marks whole subtrees.
    for node in np.flatnonzero(children_left != TREE_LEAF).tolist():
        if marked[node] or below[node]:
            below[children_left[node]] = below[children_right[node]] = True
    return below


def with_tree(estimator, tree):
    """A deep copy of a fitted tree estimator whose ``tree_`` is ``tree``.

    The estimator's own ``tree_`` is never copied (it may be large): the memo
    tells ``deepcopy`` to put ``tree`` in its place.
    """
    return copy.deepcopy(estimator, memo={id(estimator.tree_): tree})


def check_fitted_tree(estimator, caller):
    """Raise unless ``estimator`` is a fitted scikit-learn tree.

    ``caller`` names the function in the messages.
    """
    if not isinstance(estimator, BaseDecisionTree):
        raise TypeError(
            f"{caller} takes a fitted DecisionTreeClassifier, "
            "DecisionTreeRegressor, ExtraTreeClassifier or ExtraTreeRegressor; "
            f"got {type(estimator).__name__}."
        )
    check_is_fitted(estimator, "tree_")
