"""Importance scores of hidden units.

A criterion is a function ``criterion(estimator, X, y, sample_weight)`` that
returns one array of non-negative scores per hidden layer (shape
``(n_units_l,)``, higher = more important). ``X`` is a float array (or
sparse matrix) of at most ``max_fit_samples`` training rows of positive
weight, ``y`` the matching targets as passed to ``fit``. The pruning loop only
ranks these scores, so a new criterion is a new function in ``CRITERIA``, nothing else.
"""

import numpy as np
from sklearn.neural_network._base import DERIVATIVES

from ._network import forward, output_deltas, targets_of


def _weighted_mean(values, sample_weight):
    if sample_weight is None:
        return values.mean(axis=0)
    return sample_weight @ values / sample_weight.sum()


def l2_criterion(estimator, X, y, sample_weight):
    """Euclidean norm of a unit's incoming and outgoing weights together.

    Data-free. For ReLU networks a unit's weights can be rescaled (in by
    ``c``, out by ``1 / c``) without changing the function, so this score is
    only a proxy. Still, after fine-tuning it was the best of the three
    criteria in our benchmarks.
    """
    coefs = estimator.coefs_
    return [
        np.sqrt(np.sum(coefs[i] ** 2, axis=0) + np.sum(coefs[i + 1] ** 2, axis=1))
        for i in range(len(coefs) - 1)
    ]


def activation_criterion(estimator, X, y, sample_weight):
    """Mean absolute activation of a unit on the data.

    Units that are (almost) never active, such as dead ReLUs, score lowest;
    removing the units below a threshold is removing the lowest-scoring ones.
    """
    activations = forward(estimator, X)
    return [_weighted_mean(np.abs(a), sample_weight) for a in activations[1:-1]]


def taylor_criterion(estimator, X, y, sample_weight):
    """First-order Taylor estimate of the loss change when a unit is removed.

    Per sample, setting activation ``a`` to 0 changes the loss by about
    ``-a * dL/da``; the score is the mean of its absolute value over the data
    (Molchanov et al. 2017). The absolute value is taken per sample: summed
    first, the products cancel at a trained optimum.
    """
    activations = forward(estimator, X)
    targets = targets_of(estimator, y, activations[-1].dtype)
    delta = output_deltas(activations, targets, None)
    coefs = estimator.coefs_
    scores = [None] * (len(coefs) - 1)
    derivative = DERIVATIVES[estimator.activation]
    for i in range(len(coefs) - 1, 0, -1):
        grad = delta @ coefs[i].T  # dL/da of hidden layer i, per sample
        scores[i - 1] = _weighted_mean(np.abs(grad * activations[i]), sample_weight)
        derivative(activations[i], grad)
        delta = grad
    return scores


CRITERIA = {
    "l2": l2_criterion,
    "activation": activation_criterion,
    "taylor": taylor_criterion,
}
