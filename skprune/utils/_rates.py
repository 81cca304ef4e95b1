"""What a prune rate keeps, and the rates a pruning schedule goes through."""

import math


def n_kept(n_units, prune_rate):
    """Units kept out of ``n_units`` at ``prune_rate``: ``ceil((1 - r) n)``, >= 1.

    The one rounding rule of every family, so that a rate keeps as many leaves,
    support vectors, neurons or filters of a given count.
    """
    # Rounded first so that e.g. (1 - 0.7) * 100 keeps 30 units, not 31.
    return max(1, math.ceil(round((1 - prune_rate) * n_units, 9)))


def cubic_schedule(final_rate, n_iterations):
    """Rates after each round, Zhu & Gupta (2017) with initial sparsity 0."""
    return [
        final_rate * (1 - (1 - t / n_iterations) ** 3)
        for t in range(1, n_iterations + 1)
    ]
