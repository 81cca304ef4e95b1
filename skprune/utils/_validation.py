"""Parameter constraints that several pruners share, and their checks."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions


class PruneRateInterval(Interval):
    """A real interval that refuses booleans (``False`` is not a rate of 0)."""

    def is_satisfied_by(self, val):
        if isinstance(val, bool | np.bool_):
            return False
        return super().is_satisfied_by(val)


# A rate in [0, 1) or "auto": ``prune_rate`` and ``tree_prune_rate``.
PRUNE_RATE = [PruneRateInterval(Real, 0, 1, closed="left"), StrOptions({"auto"})]

# The share of the rows held out (see ``holdout_split``).
VALIDATION_FRACTION = [Interval(Real, 0, 1, closed="neither")]

# The largest held-out score loss accepted by "auto".
TOL = [Interval(Real, 0, None, closed="left")]

# Rows a costly statistic or fit sees at most (see ``subsample_rows``).
MAX_FIT_SAMPLES = [Interval(Integral, 1, None, closed="left"), None]

VERBOSE = ["verbose"]


def check_non_negative_weights(sample_weight, pruner):
    """Raise a ``ValueError`` if ``sample_weight`` has a negative entry.

    One rule for every pruner: a criterion weighs the harm of removing a unit
    by the weights, and a negative weight turns that harm into a gain (and
    breaks least-squares refits and averaged probabilities). Zero weights are
    allowed: such rows count for nothing.
    """
    negative = np.flatnonzero(np.asarray(sample_weight) < 0)
    if len(negative):
        raise ValueError(
            f"{type(pruner).__name__} does not accept negative sample_weight: "
            f"{len(negative)} of {len(sample_weight)} weights are negative "
            f"(the first at row {negative[0]}). Give the rows to ignore a "
            "weight of 0."
        )
