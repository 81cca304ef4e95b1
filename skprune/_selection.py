"""Helpers shared by the pruners of neural networks (MLPs and CNNs).

Which units to keep: the same rules for the hidden units of an MLP and the
filters of a convolution, so that ``scope`` means the same thing in both
families. (Rates, schedules and "auto" live in :mod:`skprune.utils`.)
"""

import numpy as np


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
