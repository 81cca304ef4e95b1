"""Filter and channel pruning of convolutional networks wrapped by skorch.

This sub-package needs the optional dependencies PyTorch and skorch; from
a clone of the repository (torch pinned first, to the version CI tests)::

    pip install "torch==2.13.0" && pip install -e ".[torch]"

``import skprune`` does not import it: the rest of skprune works without them.
"""

from .._optional import TORCH_INSTALL_COMMAND

try:
    import skorch  # noqa: F401
    import torch  # noqa: F401
except ImportError as error:
    raise ImportError(
        "skprune.torch needs PyTorch and skorch, which are optional: from a "
        f"clone of the repository, install them with {TORCH_INSTALL_COMMAND}"
    ) from error

from ._modules import DigitsCNN, PrunedArchitecture
from ._pruner import ConvPruner

__all__ = ["ConvPruner", "DigitsCNN", "PrunedArchitecture"]
