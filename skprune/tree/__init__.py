"""Pruning of decision trees: cost-complexity, reduced-error, simplification."""

from ._prune_nodes import prune_nodes
from ._pruner import TreePruner
from ._simplify import simplify

__all__ = ["TreePruner", "prune_nodes", "simplify"]
