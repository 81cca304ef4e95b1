"""Where reduced-error pruning stops: Quinlan's rule and its one-standard-error form.

The reduced-error path orders the collapses of a fitted tree by their harm on
the pruning set; ``prune_rate="auto"`` picks one subtree of that path from the
pruning-set error of every subtree. The same pruning set ordered the collapses
and now judges them, so its least error is an optimistic, noisy estimate:
Quinlan's rule (the subtree of least pruning-set error) keeps every subtree
that happens to fit a few pruning samples better, and with a squared error,
where exact ties never happen, many subtrees that only fit noise survive.
Treating differences within one standard error of the least error as ties
(Breiman et al.'s rule, applied to the pruning set) prunes those too.
"""

import numpy as np

from ._node_stats import add_subtree_losses, mean_and_std_error

SELECTIONS = ("min", "1se")


def pruning_set_errors(estimator, path, X, y, sample_weight=None):
    """Mean pruning-set loss of every subtree of ``path``, and its standard error.

    Parameters
    ----------
    estimator : fitted tree
        The unpruned tree whose path ``path`` is.
    path : PruningPath
        Its reduced-error pruning path.
    X, y, sample_weight : pruning set
        ``y`` as the tree's own classes for a classifier.

    Returns
    -------
    mean, std_error : ndarray of shape (n_steps + 1,)
        Index 0 is the unpruned tree, index ``i + 1`` path step ``i``. The loss
        is the number of outputs misclassified (classifiers) or the squared
        error (regressors), weighted by ``sample_weight``; the standard error
        is that of the mean over the pruning samples.
    """
    n_samples = len(y)
    weight = np.ones(n_samples) if sample_weight is None else sample_weight
    weight = np.asarray(weight, dtype=np.float64)
    steps = np.concatenate([[-np.inf], path.alphas])
    loss_sum = np.zeros(len(steps) + 1)
    loss_sq_sum = np.zeros(len(steps) + 1)
    add_subtree_losses(
        estimator, path.thresholds, X, y, weight, steps, loss_sum, loss_sq_sum
    )
    return mean_and_std_error(loss_sum, loss_sq_sum, weight.sum(), n_samples)


def one_se_step(mean, std_error, tol=0.0):
    """Path step of the smallest subtree within one standard error of the least.

    ``mean`` and ``std_error`` come from :func:`pruning_set_errors`; the
    reference is the least error (the smallest subtree among ties, Quinlan's
    choice), and ``tol`` absorbs rounding. Returns -1 for the unpruned tree.
    """
    best = int(np.flatnonzero(mean <= mean.min() + tol).max())
    within = mean <= mean[best] + std_error[best] + tol
    return int(np.flatnonzero(within).max()) - 1


def reduced_error_step(estimator, path, auto_rank, X, y, sample_weight, selection):
    """The path step that ``prune_rate="auto"`` keeps, by the rule ``selection``.

    - ``"min"``: Quinlan's rule, collapse every subtree whose removal does not
      increase the pruning-set error (``auto_rank`` is the rank of the last
      such collapse on ``path``);
    - ``"1se"``: the smallest subtree of ``path`` whose pruning-set error is
      within one standard error of the least.
    """
    if selection not in SELECTIONS:
        raise ValueError(
            f"selection must be one of {SELECTIONS} for reduced-error pruning; "
            f"got {selection!r}."
        )
    if selection == "min":
        return path.step_for_alpha(auto_rank)
    mean, std_error = pruning_set_errors(estimator, path, X, y, sample_weight)
    # Sums of the same losses in another order differ by rounding only.
    tol = 1e-10 * max(mean.max(), np.finfo(np.float64).tiny)
    return one_se_step(mean, std_error, tol)
