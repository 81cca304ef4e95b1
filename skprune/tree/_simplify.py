"""Lossless simplification of a fitted tree: merge leaves that predict alike."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.tree._tree import TREE_LEAF
from sklearn.utils._param_validation import StrOptions, validate_params

from ._rebuild import build_pruned_tree, check_fitted_tree, with_tree


@validate_params(
    {"estimator": [object], "keep": [StrOptions({"predict", "values"})]},
    prefer_skip_nested_validation=True,
)
def simplify(estimator, *, keep="predict"):
    """Collapse every split whose leaves all make the same prediction.

    A split is useless for ``predict`` when every leaf below it predicts the
    same class (classifiers) or the same value (regressors): such subtrees
    are collapsed into one leaf, bottom-up, so that chains of useless splits
    disappear too (scikit-learn issue #25612). The result is a plain tree of
    the estimator's class whose ``predict`` is identical to the original's on
    every input, with fewer nodes.

    Parameters
    ----------
    estimator : DecisionTreeClassifier, DecisionTreeRegressor, \
            ExtraTreeClassifier or ExtraTreeRegressor
        A fitted tree. It is not modified.

    keep : {"predict", "values"}, default="predict"
        What must stay identical:

        - ``"predict"``: the predicted class or value. For a classifier, a
          collapsed leaf keeps the class fractions of the node it was, so
          ``predict_proba`` changes on the samples that reach it (it becomes
          the fractions of all the training samples of the merged leaves).
        - ``"values"``: the stored leaf values, so ``predict_proba`` is
          identical too; only leaves with equal values are merged, which
          removes fewer splits from a classifier. For a regressor both are
          the same.

    Returns
    -------
    simplified : estimator
        A copy of ``estimator`` whose ``tree_`` has the useless splits
        removed.

    See Also
    --------
    prune_nodes : Turn chosen nodes into leaves.
    TreePruner : Prune a tree to a size, with ``simplify=True`` to apply
        this function after pruning.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skprune.tree import simplify
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> tree = DecisionTreeClassifier(min_samples_leaf=10, random_state=0)
    >>> tree.fit(X, y)
    DecisionTreeClassifier(min_samples_leaf=10, random_state=0)
    >>> simple = simplify(tree)
    >>> int(tree.get_n_leaves()), int(simple.get_n_leaves())
    (11, 5)
    >>> bool(np.array_equal(simple.predict(X), tree.predict(X)))
    True
    """
    check_fitted_tree(estimator, "simplify")
    tree = estimator.tree_
    key, values = _node_keys(estimator, keep)
    merges_fractions = is_classifier(estimator) and keep == "predict"
    # A merged classifier node keeps its own class fractions: a split stays
    # where rounding would make them predict another class than its leaves.
    uniform = _uniform_subtrees(
        tree.children_left, tree.children_right, key, check_own=merges_fractions
    )
    if not merges_fractions:
        values = _values_of_uniform_nodes(tree, uniform, values)
    internal = (tree.children_left != TREE_LEAF) & (uniform < 0)
    return with_tree(estimator, build_pruned_tree(tree, internal, values=values))


def _class_keys(value):
    """One integer per node for its predicted classes (over all outputs)."""
    classes = value.argmax(axis=2)
    return np.unique(classes, axis=0, return_inverse=True)[1].ravel()


def _node_keys(estimator, keep):
    """Integer per node: equal keys mean equal predictions; and node values."""
    values = estimator.tree_.value
    if is_classifier(estimator) and keep == "predict":
        return _class_keys(values), values
    flat = values.reshape(len(values), -1)
    return np.unique(flat, axis=0, return_inverse=True)[1].ravel(), values.copy()


def _uniform_subtrees(children_left, children_right, key, check_own):
    """The common key of all the leaves below each node, or -1 if they differ.

    With ``check_own``, a node is uniform only if its own key also matches.
    """
    uniform = np.where(children_left == TREE_LEAF, key, -1).tolist()
    left, right = children_left.tolist(), children_right.tolist()
    own = key.tolist()
    # Children have larger indices than their parent: a reverse pass sees
    # both children before the node.
    for node in range(len(left) - 1, -1, -1):
        if left[node] == TREE_LEAF:
            continue
        common = uniform[left[node]]
        if common >= 0 and common == uniform[right[node]]:
            if not check_own or own[node] == common:
                uniform[node] = common
    return np.asarray(uniform, dtype=np.intp)


def _values_of_uniform_nodes(tree, uniform, values):
    """Give every uniform node the exact value of its leaves.

    A node's own value is an average over its samples (a median for
    ``absolute_error``); when all its leaves hold one value, that value is
    stored as is, so the merged leaf predicts bit for bit the same.
    """
    is_leaf = tree.children_left == TREE_LEAF
    value_of_key = {}
    for node in np.flatnonzero(is_leaf & (uniform >= 0)).tolist():
        value_of_key.setdefault(int(uniform[node]), values[node])
    for node in np.flatnonzero(~is_leaf & (uniform >= 0)).tolist():
        values[node] = value_of_key[int(uniform[node])]
    return values
