"""Mechanics every pruner family shares, for skprune's own use.

- ``_cache``: the verified ``memory`` cache of the base fit (``call_cached``).
- ``_split``: the one hold-out split (``holdout_split``), row subsets and
  subsampling.
- ``_rates``: the one keep-count rule (``n_kept``) and pruning schedules.
- ``_log``: progress lines (``log``, ``log_step``) and ``warn_once``.
- ``_validation``: parameter constraints shared by several pruners, and the
  one rule for negative sample weights.
- ``_auto``: ``prune_rate="auto"`` as candidate rates and a rule
  (``choose_candidate``), and the progressive walk of the neural networks.

Nothing here is public API.
"""

from ._auto import (
    AUTO_RATES,
    choose_candidate,
    floor_message,
    prune_progressively,
)
from ._cache import cache_key, cache_reusable, call_cached, fit_estimator
from ._log import log, log_step, warn_once
from ._rates import cubic_schedule, n_kept
from ._split import (
    check_cv_splits,
    holdout_split,
    subsample_rows,
    take_rows,
)
from ._validation import (
    MAX_FIT_SAMPLES,
    PRUNE_RATE,
    TOL,
    VALIDATION_FRACTION,
    VERBOSE,
    PruneRateInterval,
    check_non_negative_weights,
)

__all__ = [
    "AUTO_RATES",
    "MAX_FIT_SAMPLES",
    "PRUNE_RATE",
    "TOL",
    "VALIDATION_FRACTION",
    "VERBOSE",
    "PruneRateInterval",
    "cache_key",
    "cache_reusable",
    "call_cached",
    "check_cv_splits",
    "check_non_negative_weights",
    "choose_candidate",
    "cubic_schedule",
    "fit_estimator",
    "floor_message",
    "holdout_split",
    "log",
    "log_step",
    "n_kept",
    "prune_progressively",
    "subsample_rows",
    "take_rows",
    "warn_once",
]
