"""Helpers shared by the pruners of neural networks (MLPs and CNNs).

Which units to keep, and at which rate each pruning round stops: the same
rules for the hidden units of an MLP and the filters of a convolution, so
that ``prune_rate``, ``scope`` and ``n_iterations`` mean the same thing in
both families.
"""

import math

import numpy as np


def cubic_schedule(final_rate, n_iterations):
    """Rates after each round, Zhu & Gupta (2017) with initial sparsity 0."""
    return [
        final_rate * (1 - (1 - t / n_iterations) ** 3)
        for t in range(1, n_iterations + 1)
    ]


def n_to_keep(n_units, rate):
    """Units kept out of ``n_units`` at ``rate``: at least one."""
    # Rounded first so that e.g. (1 - 0.7) * 100 keeps 30 units, not 31.
    return max(1, math.ceil(round((1 - rate) * n_units, 9)))


def top(scores, n_keep):
    """Indices of the ``n_keep`` highest scores (stable: ties keep the first)."""
    if n_keep >= len(scores):
        return np.arange(len(scores))
    order = np.argsort(-scores, kind="stable")
    return np.sort(order[:n_keep])


def global_top(scores, n_keep):
    """Per array, the indices of the ``n_keep`` highest scores over all arrays.

    Each array keeps at least its best entry, so no layer is emptied.
    """
    best = [int(np.argmax(s)) for s in scores]
    flat = np.concatenate(scores)
    offsets = np.cumsum([0] + [len(s) for s in scores])
    forced = np.array([o + b for o, b in zip(offsets, best, strict=False)])
    rest = np.setdiff1d(np.arange(len(flat)), forced)
    n_rest = max(0, n_keep - len(forced))
    order = rest[np.argsort(-flat[rest], kind="stable")][:n_rest]
    kept = np.sort(np.concatenate([forced, order]))
    return [
        kept[(kept >= lo) & (kept < hi)] - lo
        for lo, hi in zip(offsets[:-1], offsets[1:], strict=True)
    ]
