"""Tuning pruners: pruning curves and size scorers."""

from ._pruning_curve import (
    InMemoryCache,
    n_params_scorer,
    n_units_scorer,
    pruning_curve,
)

__all__ = ["InMemoryCache", "n_params_scorer", "n_units_scorer", "pruning_curve"]
