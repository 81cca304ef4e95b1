"""Helpers shared by the pruners of neural networks (MLPs and CNNs).

Which units to keep, and at which rate each pruning round stops: the same
rules for the hidden units of an MLP and the filters of a convolution, so
that ``prune_rate``, ``scope`` and ``n_iterations`` mean the same thing in
both families.
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


# Rates tried in turn by prune_rate="auto" (MLPPruner, ConvPruner).
AUTO_RATES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def prune_to_largest_rate_within_tol(session, held_out_score, floor, log):
    """Prune progressively over ``AUTO_RATES``; keep the last rate within tol.

    ``session`` prunes (and fine-tunes) with ``step(rate)``, and saves and
    brings back its network with ``snapshot()`` / ``restore(snapshot)``;
    ``held_out_score()`` scores its current network on the held-out rows;
    a rate is accepted when that score is at least ``floor``. Every rate is
    tried: a short fine-tuning round at a high learning rate can dip below
    the tolerance at one rate and recover at the next (on digits the first
    10% step of an MLP often did), so stopping at the first miss stopped far
    too early. The session ends with the network of the largest accepted
    rate (the unpruned one if none was).

    Returns
    -------
    rate : float
        The largest accepted rate, or 0.0.
    """
    accepted, accepted_rate = session.snapshot(), 0.0
    for rate in AUTO_RATES:
        session.step(rate)
        score = held_out_score()
        side = "at or above" if score >= floor else "below"
        log(
            f"auto: held-out score {score:.4f} at rate {rate:.3g} "
            f"({side} the floor {floor:.4f})"
        )
        if score >= floor:
            accepted, accepted_rate = session.snapshot(), rate
    session.restore(accepted)
    return accepted_rate
