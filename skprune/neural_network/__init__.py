"""Pruning of multi-layer perceptrons: weights and hidden units, with fine-tuning."""

from ._export import compress_mlp
from ._pruner import MLPPruner

__all__ = ["MLPPruner", "compress_mlp"]
