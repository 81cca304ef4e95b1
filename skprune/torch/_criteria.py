"""Importance scores of the filters (output channels) of convolutions.

Each criterion maps a :class:`ScoringContext` to a dict ``{conv name: scores}``
over the prunable convolutions, one float64 array of length ``out_channels``
each; higher is more important, the lowest are removed. Filter criteria look
at a convolution's own filters, channel criteria at what the channel
contributes downstream (to its BatchNorm, or to the next layer's output).
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils import _safe_indexing, gen_batches
from skorch.utils import to_tensor

from ._graph import evaluation_mode

# Scoring passes go through the data in batches of this many rows.
_BATCH_SIZE = 256


@dataclass
class ScoringContext:
    """What a criterion may look at: the network being pruned and some data."""

    net: object
    structure: object
    X: object
    y: object

    @property
    def module(self):
        return self.net.module_

    def batches(self):
        """``(X, y)`` tensor batches of the scoring rows."""
        n_samples = len(self.X)
        for rows in gen_batches(n_samples, _BATCH_SIZE):
            X = to_tensor(_safe_indexing(self.X, rows), device=self.net.device)
            y = None if self.y is None else _safe_indexing(self.y, rows)
            yield X, None if y is None else to_tensor(y, device=self.net.device)


def _filter_weights(context, name):
    """The filters of convolution ``name`` as rows, float64."""
    weight = context.module.get_submodule(name).weight.detach()
    return weight.reshape(weight.shape[0], -1).double().cpu().numpy()


def l1_norm(context):
    """Sum of |w| over each filter (Li et al. 2017)."""
    return {
        name: np.abs(_filter_weights(context, name)).sum(axis=1)
        for name in context.structure.prunable
    }


def l2_norm(context):
    """Euclidean norm of each filter."""
    return {
        name: np.linalg.norm(_filter_weights(context, name), axis=1)
        for name in context.structure.prunable
    }


def geometric_median(context):
    """Summed distance of each filter to the layer's other filters (He et al. 2019).

    A filter near the geometric median of its layer is well replaced by the
    others: it gets a low score whatever its norm.
    """
    scores = {}
    for name in context.structure.prunable:
        filters = _filter_weights(context, name)
        squared = (filters**2).sum(axis=1)
        gram = filters @ filters.T
        distances = np.sqrt(np.maximum(squared[:, None] + squared[None] - 2 * gram, 0))
        scores[name] = distances.sum(axis=1)
    return scores


def taylor(context):
    """First-order Taylor estimate of the loss change per filter (Molchanov 2019).

    Per batch, ``(sum of w * dL/dw over the filter's parameters)^2``: its
    weights and bias and the scale and shift of its BatchNorms; averaged over
    the batches. The network is in evaluation mode (running statistics, no
    dropout).
    """
    module, structure = context.module, context.structure
    groups = {
        name: _filter_parameters(module, structure, name) for name in structure.prunable
    }
    scores = {
        name: np.zeros(module.get_submodule(name).out_channels)
        for name in structure.prunable
    }
    n_batches = 0
    with evaluation_mode(module):
        for X, y in context.batches():
            module.zero_grad(set_to_none=True)
            with torch.enable_grad():
                loss = context.net.get_loss(module(X), y, X=X, training=False)
                loss.backward()
            for name, params in groups.items():
                contribution = sum(
                    (p.detach() * p.grad).reshape(p.shape[0], -1).sum(dim=1)
                    for p in params
                    if p.grad is not None
                )
                scores[name] += (contribution.double() ** 2).cpu().numpy()
            n_batches += 1
        module.zero_grad(set_to_none=True)
    return {name: s / max(n_batches, 1) for name, s in scores.items()}


def _filter_parameters(module, structure, name):
    """Parameters indexed by the filters of convolution ``name`` (first axis)."""
    conv = module.get_submodule(name)
    params = [conv.weight] + ([conv.bias] if conv.bias is not None else [])
    for bn_name in structure.convs[name].batch_norms:
        bn = module.get_submodule(bn_name)
        if bn.affine:
            params += [bn.weight, bn.bias]
    return params


def batch_norm_scale(context):
    """|gamma| of the BatchNorm after each convolution (Liu et al. 2017).

    Network slimming: a channel whose BatchNorm scale is small contributes
    little after normalisation, whatever its filter's norm.
    """
    module, scores = context.module, {}
    for name in context.structure.prunable:
        affine = [
            module.get_submodule(bn)
            for bn in context.structure.convs[name].batch_norms
            if module.get_submodule(bn).affine
        ]
        if not affine:
            raise ValueError(
                f"criterion='bn_scale' scores the channels of a Conv2d by the "
                f"scale of the BatchNorm2d that follows it, and the Conv2d "
                f"{name!r} has none (with affine=True); use "
                "criterion='reconstruction' instead."
            )
        scores[name] = np.abs(affine[0].weight.detach().double().cpu().numpy())
    return scores


def reconstruction(context):
    """Squared contribution of each channel to the next layers' outputs.

    For channel ``c`` feeding a Conv2d or (flattened) a Linear layer, the
    mean over samples of ``||W[:, c] * x_c||^2``: the reconstruction error of
    that layer's output when channel ``c`` alone is removed (the first step of
    ThiNet, Luo et al. 2017). It sees what reaches the next layer -- after
    BatchNorm, activation and pooling -- and how much the next layer uses it.
    A coupled channel (residual shortcut, concatenation) adds up what it
    contributes to every layer that reads it.
    """
    module, structure = context.module, context.structure
    consumers = {
        conv.name: conv.in_elements
        for conv in structure.convs.values()
        if conv.in_elements is not None
    }
    consumers.update(structure.linears)
    consumer_inputs = {}
    hooks = [
        module.get_submodule(name).register_forward_hook(
            _store_input(consumer_inputs, name)
        )
        for name in consumers
    ]
    by_channel = {}
    n_samples = 0
    try:
        with evaluation_mode(module), torch.no_grad():
            for X, _ in context.batches():
                module(X)
                for name, elements in consumers.items():
                    layer = module.get_submodule(name)
                    values = _contributions(layer, consumer_inputs[name], len(elements))
                    for element, value in zip(elements, values, strict=True):
                        root = structure.root(element)
                        by_channel[root] = by_channel.get(root, 0.0) + value
                n_samples += len(X)
    finally:
        for hook in hooks:
            hook.remove()
    n_samples = max(n_samples, 1)
    return {
        name: np.array(
            [
                by_channel.get(structure.root(e), 0.0) / n_samples
                for e in structure.convs[name].out_elements
            ]
        )
        for name in structure.prunable
    }


def _store_input(store, name):
    def hook(layer, inputs, output):
        store[name] = inputs[0]

    return hook


def _contributions(layer, x, n_channels):
    """Summed squared contribution of each input channel of ``layer`` over a batch."""
    if isinstance(layer, torch.nn.Linear):
        x = x.reshape(len(x), n_channels, -1)
        weight = layer.weight.reshape(layer.out_features, n_channels, -1)
        out = torch.einsum("ncb,ocb->nco", x, weight)
        return out.pow(2).sum(dim=(0, 2)).double().cpu().numpy()
    if layer.groups == 1:
        # One group per input channel: channel c is convolved with W[:, c] alone.
        weight = layer.weight.transpose(0, 1).reshape(-1, 1, *layer.weight.shape[2:])
    else:
        # Depthwise: each filter already reads one input channel.
        weight = layer.weight
    if layer.padding_mode != "zeros":
        x = F.pad(x, layer._reversed_padding_repeated_twice, mode=layer.padding_mode)
        padding = 0
    else:
        padding = layer.padding
    out = F.conv2d(
        x, weight, None, layer.stride, padding, layer.dilation, groups=n_channels
    )
    out = out.reshape(len(x), n_channels, -1).pow(2).sum(dim=(0, 2))
    return out.double().cpu().numpy()


FILTER_CRITERIA = {
    "l1": l1_norm,
    "l2": l2_norm,
    "geometric_median": geometric_median,
    "taylor": taylor,
}
CHANNEL_CRITERIA = {
    "bn_scale": batch_norm_scale,
    "reconstruction": reconstruction,
}
# Criteria that need data (and, for "taylor", targets).
DATA_CRITERIA = {"taylor", "reconstruction"}
