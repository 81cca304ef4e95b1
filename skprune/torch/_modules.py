"""Ready-made small convolutional networks, so that demos need no download."""

import copy

from torch import nn


class DigitsCNN(nn.Module):
    """A small CNN for the 8x8 images of :func:`~sklearn.datasets.load_digits`.

    ``Conv(in -> c1, 3x3, padding 1) - BatchNorm - ReLU - Conv(c1 -> c2, 3x3,
    padding 1) - BatchNorm - ReLU - MaxPool(2) - Flatten - Linear(c2 * s * s ->
    n_classes)`` with ``s = image_size // 2``. It returns logits: use it with
    ``criterion=torch.nn.CrossEntropyLoss`` (skorch then applies the softmax in
    ``predict_proba``).

    The widths are parameters so that the same architecture, narrower, can be
    trained from scratch and compared with a pruned network (Liu et al. 2019).

    Parameters
    ----------
    channels : tuple of two int, default=(32, 64)
        Output channels (filters) of the two convolutions.

    n_classes : int, default=10
        Number of outputs.

    in_channels : int, default=1
        Channels of the input images.

    image_size : int, default=8
        Height and width of the (square) input images; even.

    Examples
    --------
    Digits come as rows of 64 pixel values in [0, 16]; the network wants
    ``float32`` images of shape ``(n, 1, 8, 8)``:

    >>> import numpy as np
    >>> import torch
    >>> from sklearn.datasets import load_digits
    >>> from skprune.torch import DigitsCNN
    >>> X, y = load_digits(return_X_y=True)
    >>> images = (X / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    >>> module = DigitsCNN(channels=(8, 16))
    >>> module(torch.from_numpy(images[:5])).shape
    torch.Size([5, 10])
    """

    def __init__(self, channels=(32, 64), n_classes=10, in_channels=1, image_size=8):
        super().__init__()
        c1, c2 = channels
        side = image_size // 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, kernel_size=3, padding=1),
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, kernel_size=3, padding=1),
            nn.BatchNorm2d(c2),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c2 * side * side, n_classes),
        )

    def forward(self, X):
        return self.classifier(self.features(X))


class PrunedArchitecture:
    """The ``module`` of a pruned skorch net: builds the smaller architecture.

    skorch builds ``module_`` by calling ``module`` (a class, or any
    callable) when the net is initialised -- by ``fit``, ``initialize`` or a
    clone's ``fit``. A pruned module has no class of its own (its class's
    ``__init__`` would build the unpruned widths), so :class:`ConvPruner`
    sets the pruned net's ``module`` to this callable, which returns a fresh
    copy of the pruned module with its parameters re-initialised (each layer's
    ``reset_parameters``, under torch's current random state). Refitting or
    cloning ``estimator_`` then trains the small network from scratch, and
    ``initialize`` rebuilds it, instead of the unpruned architecture.

    Parameters
    ----------
    module : torch.nn.Module
        The pruned module. A copy is kept, re-initialised, as the template:
        no trained weight is stored twice.

    Notes
    -----
    Parameters of a layer without ``reset_parameters`` (an ``nn.Parameter``
    held by a custom module directly) keep the values they had when pruned.

    A pickled net stores the template module itself, not this class, so
    that it unpickles with torch and skorch alone: its ``module`` is then
    the (re-initialised) pruned module instance, which skorch uses as it
    is. Copies (``clone``) keep the class.
    """

    def __init__(self, module):
        self.module = _reinitialised(copy.deepcopy(module))

    def __call__(self):
        return _reinitialised(copy.deepcopy(self.module))

    def __repr__(self):
        return f"PrunedArchitecture({type(self.module).__name__})"

    def __deepcopy__(self, memo):
        new = type(self).__new__(type(self))
        new.module = copy.deepcopy(self.module, memo)
        return new

    def __reduce__(self):
        # Unpickled as a copy of the template: no skprune import needed to
        # load a pruned net (see Notes).
        return (copy.deepcopy, (self.module,))


def _reinitialised(module):
    """``module`` with every layer's parameters (and BatchNorm statistics) reset."""
    for layer in module.modules():
        if callable(getattr(layer, "reset_parameters", None)):
            layer.reset_parameters()
    return module
