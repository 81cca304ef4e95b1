"""Per-node statistics of a fitted tree on a data set."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.class_weight import compute_sample_weight


def _as_2d(y):
    y = np.asarray(y)
    return y.reshape(-1, 1) if y.ndim == 1 else y


def _encode_classes(estimator, y):
    """Class index of every target in each output; -1 for unseen classes."""
    y = _as_2d(y)
    classes = estimator.classes_ if estimator.n_outputs_ > 1 else [estimator.classes_]
    codes = np.empty(y.shape, dtype=np.intp)
    for k, output_classes in enumerate(classes):
        index = np.searchsorted(output_classes, y[:, k]).clip(
            0, len(output_classes) - 1
        )
        codes[:, k] = np.where(output_classes[index] == y[:, k], index, -1)
    return codes


def path_losses(estimator, X, y):
    """Loss of predicting each node's value for each sample passing through it.

    Returns the pairs (sample, node) of ``decision_path`` and the loss of the
    pair: the number of outputs misclassified (classifiers) or the squared
    error summed over outputs (regressors).
    """
    indicator = estimator.decision_path(X).tocoo()
    samples, nodes = indicator.row, indicator.col
    value = estimator.tree_.value
    if is_classifier(estimator):
        codes = _encode_classes(estimator, y)
        predicted = value.argmax(axis=2)
        loss = (predicted[nodes] != codes[samples]).sum(axis=1)
    else:
        residual = value[nodes, :, 0] - _as_2d(y).astype(np.float64)[samples]
        loss = (residual**2).sum(axis=1)
    return samples, nodes, loss.astype(np.float64)


def add_subtree_losses(
    estimator, thresholds, X, y, weight, steps, loss_sum, loss_sq_sum
):
    """Add the losses on ``(X, y)`` of the subtrees at ``steps`` to sums.

    ``thresholds`` are the prune thresholds of a path of ``estimator``, and
    ``steps`` an ascending array of values on that path's scale. At step ``a``
    a sample ends in the first node of its decision path whose prune threshold
    is at most ``a``; a node is thus the end for ``a`` in
    ``[threshold[node], threshold[parent])``. The weighted losses and squared
    losses are added to the difference arrays ``loss_sum`` and ``loss_sq_sum``
    (``len(steps) + 1`` entries), so that one pass over the decision paths
    serves every step; :func:`mean_and_std_error` sums them.
    """
    parent_threshold = _parent_thresholds(estimator.tree_, thresholds)
    samples, nodes, loss = path_losses(estimator, X, y)
    low = np.searchsorted(steps, thresholds[nodes], side="left")
    high = np.searchsorted(steps, parent_threshold[nodes], side="left")
    weighted = loss * weight[samples]
    np.add.at(loss_sum, low, weighted)
    np.add.at(loss_sum, high, -weighted)
    np.add.at(loss_sq_sum, low, weighted * loss)
    np.add.at(loss_sq_sum, high, -weighted * loss)


def mean_and_std_error(loss_sum, loss_sq_sum, total_weight, n_samples):
    """Mean loss of every step and its standard error, from the difference arrays.

    The standard error is that of the weighted mean over ``n_samples``
    samples; the last entry of the difference arrays is dropped.
    """
    mean = np.cumsum(loss_sum)[:-1] / total_weight
    mean_sq = np.cumsum(loss_sq_sum)[:-1] / total_weight
    std_error = np.sqrt(np.maximum(mean_sq - mean**2, 0.0) / n_samples)
    return mean, std_error


def _parent_thresholds(tree, thresholds):
    """Each node's parent's prune threshold; ``inf`` for the root."""
    parent = np.full(tree.node_count, np.inf)
    internal = np.flatnonzero(tree.children_left >= 0)
    parent[tree.children_left[internal]] = thresholds[internal]
    parent[tree.children_right[internal]] = thresholds[internal]
    return parent


def node_risk(estimator, X, y, sample_weight=None):
    """Weighted loss of each node if it were a leaf, on data ``(X, y)``."""
    samples, nodes, loss = path_losses(estimator, X, y)
    if sample_weight is not None:
        loss = loss * np.asarray(sample_weight, dtype=np.float64)[samples]
    return np.bincount(nodes, weights=loss, minlength=estimator.tree_.node_count)


_CLASSIFICATION_IMPURITY = {"gini", "entropy", "log_loss"}
_REGRESSION_IMPURITY = {"squared_error", "friedman_mse", "poisson"}


def check_backfit_supported(estimator):
    """Raise a ValueError if the leaf values cannot be re-estimated."""
    supported = _CLASSIFICATION_IMPURITY | _REGRESSION_IMPURITY
    if estimator.criterion not in supported:
        raise ValueError(
            f"backfit=True supports criterion in {sorted(supported)}; the "
            f"estimator has criterion={estimator.criterion!r}."
        )


def backfit_tree(tree, estimator, X, y, sample_weight=None):
    """Re-estimate every node's value, sample counts and impurity on ``(X, y)``.

    Modifies ``tree`` (a pruned copy) in place. Weighting follows the
    estimator's fit: sample weights times class weights for classifiers.
    Nodes that no sample reaches keep their old statistics.
    """
    y = _as_2d(y)
    n_samples = y.shape[0]
    weight = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight)
    weight = weight.astype(np.float64)
    indicator = estimator.decision_path(X).tocsc()
    state = tree.__getstate__()
    nodes, values = state["nodes"], state["values"].copy()

    if is_classifier(estimator):
        if getattr(estimator, "class_weight", None) is not None:
            weight = weight * compute_sample_weight(estimator.class_weight, y)
        counts = np.zeros_like(values)
        codes = _encode_classes(estimator, y)
        for k in range(y.shape[1]):
            # one-hot weighted targets summed over the samples of every node
            onehot = np.zeros((n_samples, values.shape[2]))
            seen = codes[:, k] >= 0
            onehot[np.flatnonzero(seen), codes[seen, k]] = weight[seen]
            counts[:, k, :] = indicator.T @ onehot
        totals = counts.sum(axis=2, keepdims=True)
        reached = totals[:, 0, 0] > 0
        fractions = counts[reached] / totals[reached]
        values[reached] = fractions
        impurity = _classification_impurity(fractions, estimator.criterion)
    else:
        y = y.astype(np.float64)
        weighted_sum = indicator.T @ (y * weight[:, None])
        weighted_sq = indicator.T @ (y**2 * weight[:, None])
        totals = indicator.T @ weight
        reached = totals > 0
        mean = weighted_sum[reached] / totals[reached, None]
        values[reached, :, 0] = mean
        if estimator.criterion == "poisson":
            impurity = _poisson_impurity(indicator, y, weight, mean, reached, totals)
        else:
            variance = weighted_sq[reached] / totals[reached, None] - mean**2
            impurity = variance.mean(axis=1)

    nodes = nodes.copy()
    nodes["n_node_samples"][reached] = indicator.getnnz(axis=0)[reached]
    nodes["weighted_n_node_samples"][reached] = (indicator.T @ weight)[reached]
    nodes["impurity"][reached] = impurity
    state.update(nodes=nodes, values=values)
    tree.__setstate__(state)


def _classification_impurity(fractions, criterion):
    """Impurity averaged over outputs, as scikit-learn's criteria compute it."""
    if criterion == "gini":
        per_output = 1.0 - (fractions**2).sum(axis=2)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(fractions > 0, fractions * np.log2(fractions), 0.0)
        per_output = -terms.sum(axis=2)
    return per_output.mean(axis=1)


def _poisson_impurity(indicator, y, weight, mean, reached, totals):
    """Half Poisson deviance, as ``criterion="poisson"`` computes it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y_log_y = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    sum_y_log_y = (indicator.T @ (y_log_y * weight[:, None]))[reached]
    sum_y = mean * totals[reached, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mean = np.log(np.where(mean > 0, mean, 1.0))
    deviance = (sum_y_log_y - sum_y * log_mean) / totals[reached, None]
    return deviance.mean(axis=1)
