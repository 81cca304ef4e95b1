"""Pruning of kernel support vector machines: support-vector reduction."""

from ._pruner import SVMPruner

__all__ = ["SVMPruner"]
