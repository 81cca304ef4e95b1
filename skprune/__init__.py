"""skprune: prune fitted scikit-learn models behind plain fit/predict."""

from .base import BasePruner
from .neural_network import MLPPruner
from .svm import SVMPruner
from .tree import TreePruner

__version__ = "0.1.0.dev0"

__all__ = ["BasePruner", "MLPPruner", "SVMPruner", "TreePruner", "__version__"]
