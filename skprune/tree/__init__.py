"""Pruning of decision trees: cost-complexity and reduced-error."""

from ._pruner import TreePruner

__all__ = ["TreePruner"]
