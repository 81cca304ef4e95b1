"""Pruning of tree ensembles: tree selection and per-tree leaf pruning."""

from ._forest import ForestPruner

__all__ = ["ForestPruner"]
