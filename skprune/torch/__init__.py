"""Filter and channel pruning of convolutional networks wrapped by skorch.

This sub-package needs the optional dependencies PyTorch and skorch::

    pip install "skprune[torch]"

``import skprune`` does not import it: the rest of skprune works without them.
"""

try:
    import skorch  # noqa: F401
    import torch  # noqa: F401
except ImportError as error:
    raise ImportError(
        "skprune.torch needs PyTorch and skorch, which are optional: install "
        'them with pip install "skprune[torch]" (or pip install torch skorch).'
    ) from error

from ._modules import DigitsCNN
from ._pruner import ConvPruner

__all__ = ["ConvPruner", "DigitsCNN"]
