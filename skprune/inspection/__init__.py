"""Visual inspection of pruning: score and size against prune rate."""

from ._pruning_curve_display import PruningCurveDisplay

__all__ = ["PruningCurveDisplay"]
