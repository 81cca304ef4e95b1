"""Turn chosen nodes of a fitted tree into leaves (R's ``tree::snip.tree``)."""

import numpy as np
from sklearn.tree._tree import TREE_LEAF
from sklearn.utils._param_validation import validate_params

from ._rebuild import (
    build_pruned_tree,
    check_fitted_tree,
    descendants_mask,
    with_tree,
)


@validate_params(
    {"estimator": [object], "nodes": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def prune_nodes(estimator, nodes):
    """Turn the given internal nodes of a fitted tree into leaves.

    Every node in ``nodes`` becomes a leaf and its subtree is dropped; the
    leaf predicts the value the node already stores (the class fractions or
    the mean of the training samples that reached it). This is R's
    ``tree::snip.tree`` (scikit-learn issue #18680). Node ids are those of
    ``estimator.tree_`` (as given by ``apply``, ``decision_path`` or
    :func:`~sklearn.tree.export_text` with ``show_weights``); the returned
    tree numbers its nodes anew.

    Parameters
    ----------
    estimator : DecisionTreeClassifier, DecisionTreeRegressor, \
            ExtraTreeClassifier or ExtraTreeRegressor
        A fitted tree. It is not modified.

    nodes : array-like of int
        Ids of internal nodes. Nodes inside the subtree of another given node
        are dropped with it. The root (0) gives a tree of one leaf, which
        predicts the training distribution (its majority class or mean).

    Returns
    -------
    pruned : estimator
        A copy of ``estimator`` whose ``tree_`` has the given nodes as
        leaves.

    Raises
    ------
    ValueError
        If an id is not an integer, is out of range or is already a leaf.

    See Also
    --------
    simplify : Collapse splits that do not change the prediction.
    TreePruner : Choose the nodes to collapse by a pruning method.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skprune.tree import prune_nodes
    >>> X, y = load_iris(return_X_y=True)
    >>> tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    >>> int(tree.get_n_leaves()), int(tree.tree_.children_left[2])
    (9, 3)
    >>> int(prune_nodes(tree, [2]).get_n_leaves())
    2
    """
    check_fitted_tree(estimator, "prune_nodes")
    tree = estimator.tree_
    nodes = _check_node_ids(nodes, tree)
    internal = tree.children_left != TREE_LEAF
    internal[nodes] = False
    internal &= ~descendants_mask(tree.children_left, tree.children_right, nodes)
    return with_tree(estimator, build_pruned_tree(tree, internal))


def _check_node_ids(nodes, tree):
    """The ids as an int array; ValueError naming the bad ones."""
    ids = np.asarray(nodes)
    if ids.size == 0:
        return ids.astype(np.intp).ravel()
    if ids.dtype.kind not in "iu":
        raise ValueError(
            f"nodes must be integer node ids of estimator.tree_; got dtype {ids.dtype}."
        )
    ids = ids.astype(np.intp).ravel()
    out_of_range = ids[(ids < 0) | (ids >= tree.node_count)]
    if out_of_range.size:
        raise ValueError(
            f"nodes {out_of_range.tolist()} are out of range: the tree has node "
            f"ids 0 to {tree.node_count - 1}."
        )
    leaves = ids[tree.children_left[ids] == TREE_LEAF]
    if leaves.size:
        raise ValueError(
            f"nodes {leaves.tolist()} are leaves already; prune_nodes takes "
            "internal nodes."
        )
    return ids
