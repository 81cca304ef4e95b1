"""Which channels of a CNN can be removed, and the smaller CNN without them.

The module is traced with :func:`torch.fx.symbolic_trace`. Every tensor of the
graph is tagged with the convolution whose output channels it carries (its
*source*), or with nothing (the input image, the output of a Linear, ...).
Removing filter ``f`` of a convolution is safe when every operation that sees
its channels either acts channel by channel (BatchNorm2d, activations,
pooling, dropout), reads them as input channels (a Conv2d), or flattens them
into a Linear, where channel ``f`` owns ``H * W`` consecutive input features.
Anything else that sees those channels -- an addition of two branches, a
concatenation, a grouped convolution, a reshape -- is refused with a
``ValueError`` that names it, rather than guessed at.
"""

import operator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import fx, nn

# Modules and functions that act on each channel on its own: a channel's
# output depends only on that channel, so removing it removes nothing else.
_CHANNELWISE_MODULES = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Hardtanh,
    nn.Softplus,
    nn.Dropout,
    nn.Dropout2d,
    nn.AlphaDropout,
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
    nn.Identity,
)
_CHANNELWISE_FUNCTIONS = {
    F.relu,
    F.relu6,
    F.leaky_relu,
    F.elu,
    F.selu,
    F.gelu,
    F.silu,
    F.mish,
    F.hardswish,
    F.hardtanh,
    F.softplus,
    F.dropout,
    F.dropout2d,
    F.max_pool2d,
    F.avg_pool2d,
    F.adaptive_avg_pool2d,
    F.adaptive_max_pool2d,
    torch.relu,
    torch.sigmoid,
    torch.tanh,
    F.sigmoid,
    F.tanh,
}
_CHANNELWISE_METHODS = {"relu", "relu_", "sigmoid", "tanh", "contiguous"}
_SHAPE_METHODS = {"size", "dim"}


@dataclass
class ConvLayer:
    """A Conv2d of the traced module and what depends on its output channels.

    Attributes
    ----------
    name : str
        Qualified name of the module (``"features.0"``).
    producer : str or None
        The convolution whose output channels are this one's input channels
        (None: the input image, or channels nothing can prune).
    batch_norms : list of str
        BatchNorm2d modules normalising this layer's output channels.
    linears : list of str
        Linear modules reading this layer's output channels, flattened.
    reaches_output : bool
        The module returns these channels: they cannot be removed.
    """

    name: str
    producer: str | None
    batch_norms: list = field(default_factory=list)
    linears: list = field(default_factory=list)
    reaches_output: bool = False


@dataclass
class Structure:
    """The convolutions of a module, in execution order, and their dependents."""

    convs: dict

    @property
    def prunable(self):
        """Names of the convolutions whose filters can be removed."""
        return [name for name, conv in self.convs.items() if not conv.reaches_output]

    def consumers(self, name):
        """Convolutions reading the output channels of convolution ``name``."""
        return [c.name for c in self.convs.values() if c.producer == name]


def trace_structure(module):
    """The :class:`Structure` of ``module``; ``ValueError`` if it is unsafe.

    Raises
    ------
    ValueError
        When the module cannot be traced, when it has no prunable Conv2d, or
        when the channels of a Conv2d reach an operation whose dependence on
        them is not understood (the error names it).
    """
    try:
        graph_module = fx.symbolic_trace(module)
    except Exception as error:
        raise ValueError(
            f"The module {type(module).__name__} cannot be traced with "
            f"torch.fx ({type(error).__name__}: {error}); ConvPruner prunes "
            "modules whose forward is a fixed chain of layers, such as an "
            "nn.Sequential."
        ) from error
    structure = Structure(convs={})
    sources = {}
    called = set()
    for node in graph_module.graph.nodes:
        inputs = [arg for arg in node.all_input_nodes if sources.get(arg) is not None]
        if node.op == "output":
            for source in inputs:
                structure.convs[sources[source][1]].reaches_output = True
            continue
        if node.op in ("placeholder", "get_attr"):
            sources[node] = None
            if node.op == "get_attr":
                _check_no_direct_parameter_use(node, graph_module)
            continue
        if len(inputs) > 1:
            raise ValueError(
                f"{_describe(node, graph_module)} combines the outputs of several "
                f"layers ({', '.join(str(sources[n][1]) for n in inputs)}), as a "
                "residual addition or a concatenation does: the channels removed "
                "from one would have to be removed from the other. ConvPruner "
                "handles chains of layers only."
            )
        source = sources[inputs[0]] if inputs else None
        if node.op == "call_module":
            if node.target in called:
                raise ValueError(
                    f"The module {node.target!r} is called more than once in "
                    "forward; ConvPruner cannot prune a shared layer."
                )
            called.add(node.target)
            sources[node] = _module_source(
                node, graph_module.get_submodule(node.target), source, structure
            )
        else:
            sources[node] = _function_source(node, source, graph_module)
    if not structure.prunable:
        raise ValueError(
            f"The module {type(module).__name__} has no prunable Conv2d layer: "
            "ConvPruner removes the filters of Conv2d layers whose output goes "
            "to another Conv2d or, flattened, to a Linear layer."
        )
    return structure


def _module_source(node, module, source, structure):
    """The source of the output of ``module`` called on a tensor of ``source``."""
    kind, producer = source if source is not None else (None, None)
    name = node.target
    if type(module) is nn.Conv2d:
        if module.groups != 1:
            raise ValueError(
                f"The Conv2d {name!r} has groups={module.groups} (a grouped or "
                "depthwise convolution): its input and output channels are tied "
                "group by group, which ConvPruner does not handle."
            )
        if kind == "flat":
            raise _unsupported(f"The Conv2d {name!r}", "flattened", producer)
        structure.convs[name] = ConvLayer(name, producer)
        return ("channels", name)
    if source is None:
        # Nothing prunable flows in: this layer is left as it is.
        return None
    if type(module) is nn.BatchNorm2d and kind == "channels":
        structure.convs[producer].batch_norms.append(name)
        return source
    if type(module) is nn.Linear and kind == "flat":
        structure.convs[producer].linears.append(name)
        return None
    if type(module) is nn.Flatten and kind == "channels":
        if module.start_dim == 1 and module.end_dim == -1:
            return ("flat", producer)
    if isinstance(module, _CHANNELWISE_MODULES):
        return source
    raise _unsupported(f"The module {name!r} ({type(module).__name__})", kind, producer)


def _function_source(node, source, graph_module):
    """The source of the output of a function or method call node."""
    if source is None:
        return None
    kind, producer = source
    if node.op == "call_function" and node.target in _CHANNELWISE_FUNCTIONS:
        return source
    if node.op == "call_method" and node.target in _CHANNELWISE_METHODS:
        return source
    if node.op == "call_method" and node.target in _SHAPE_METHODS:
        # Integers, not tensors: what they feed is judged by its own inputs.
        return None
    if kind == "channels" and _is_flatten_from_dim_1(node):
        return ("flat", producer)
    raise _unsupported(_describe(node, graph_module), kind, producer)


def _is_flatten_from_dim_1(node):
    """``torch.flatten(x, 1)`` or ``x.flatten(1)``: whole feature maps per sample."""
    is_flatten = (node.op == "call_function" and node.target is torch.flatten) or (
        node.op == "call_method" and node.target == "flatten"
    )
    if not is_flatten:
        return False
    start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
    end = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
    return start == 1 and end == -1


def _check_no_direct_parameter_use(node, graph_module):
    # A layer whose weights forward also reads directly (x @ self.fc.weight)
    # cannot be rebuilt smaller behind forward's back.
    owner = node.target.rpartition(".")[0]
    if owner and isinstance(
        graph_module.get_submodule(owner), nn.Conv2d | nn.BatchNorm2d | nn.Linear
    ):
        raise ValueError(
            f"forward reads the parameter {node.target!r} directly; ConvPruner "
            "can only rebuild layers that are called as modules."
        )


def _describe(node, graph_module):
    if node.op == "call_module":
        module = graph_module.get_submodule(node.target)
        return f"The module {node.target!r} ({type(module).__name__})"
    if node.op == "call_method":
        return f"The call .{node.target}() (node {node.name!r})"
    target = getattr(node.target, "__name__", str(node.target))
    if node.target in (operator.add, operator.iadd, torch.add):
        target = "addition"
    return f"The operation {target} (node {node.name!r})"


def _unsupported(what, kind, producer):
    shape = "flattened output" if kind == "flat" else "output channels"
    return ValueError(
        f"{what} receives the {shape} of the Conv2d {producer!r}, and ConvPruner "
        "cannot tell which of its inputs a removed filter feeds. Supported "
        "between a Conv2d and its consumers: BatchNorm2d, element-wise "
        "activations, pooling, dropout, then another Conv2d (groups=1) or "
        "nn.Flatten / torch.flatten(x, 1) followed by a Linear."
    )


def rebuild(module, structure, keep):
    """Replace, in place, the layers of ``module`` by smaller copies.

    ``keep`` maps the name of a convolution to the (sorted) indices of the
    filters it keeps; the convolutions reading its channels, its BatchNorms
    and the Linear layers reading them flattened lose the matching inputs.
    Kept weights, biases and running statistics are copied unchanged, so the
    smaller module computes exactly what the larger one computes with the
    removed filters' outputs cut from every consumer.
    """
    for conv in structure.convs.values():
        in_keep = keep.get(conv.producer) if conv.producer is not None else None
        out_keep = keep.get(conv.name)
        old = module.get_submodule(conv.name)
        if out_keep is not None:
            for name in conv.batch_norms:
                _replace(module, name, _sliced_batch_norm(module, name, out_keep))
            for name in conv.linears:
                linear = module.get_submodule(name)
                _replace(
                    module,
                    name,
                    _sliced_linear(linear, out_keep, n_channels=old.out_channels),
                )
        if in_keep is not None or out_keep is not None:
            _replace(module, conv.name, _sliced_conv(old, in_keep, out_keep))


def _sliced_conv(conv, in_keep, out_keep):
    weight = conv.weight
    if out_keep is not None:
        weight = weight[out_keep]
    if in_keep is not None:
        weight = weight[:, in_keep]
    new = nn.Conv2d(
        weight.shape[1],
        weight.shape[0],
        kernel_size=conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        bias=conv.bias is not None,
        padding_mode=conv.padding_mode,
        device=weight.device,
        dtype=weight.dtype,
    )
    with torch.no_grad():
        new.weight.copy_(weight)
        if conv.bias is not None:
            bias = conv.bias if out_keep is None else conv.bias[out_keep]
            new.bias.copy_(bias)
    _copy_grad_flags(conv, new)
    return new


def _sliced_batch_norm(module, name, keep):
    bn = module.get_submodule(name)
    new = nn.BatchNorm2d(
        len(keep),
        eps=bn.eps,
        momentum=bn.momentum,
        affine=bn.affine,
        track_running_stats=bn.track_running_stats,
        device=bn.weight.device if bn.affine else None,
        dtype=bn.weight.dtype if bn.affine else None,
    )
    with torch.no_grad():
        if bn.affine:
            new.weight.copy_(bn.weight[keep])
            new.bias.copy_(bn.bias[keep])
        if bn.track_running_stats:
            new.running_mean.copy_(bn.running_mean[keep])
            new.running_var.copy_(bn.running_var[keep])
            new.num_batches_tracked.copy_(bn.num_batches_tracked)
    new.train(bn.training)
    _copy_grad_flags(bn, new)
    return new


def _sliced_linear(linear, keep, *, n_channels):
    # Flattening (N, C, H, W) lays out channel c as features c*H*W ... (c+1)*H*W-1.
    block, remainder = divmod(linear.in_features, n_channels)
    if remainder:
        raise ValueError(
            f"The Linear layer has in_features={linear.in_features}, not a "
            f"multiple of the {n_channels} channels flattened into it."
        )
    columns = (keep[:, None] * block + torch.arange(block)).reshape(-1)
    weight = linear.weight[:, columns]
    new = nn.Linear(
        weight.shape[1],
        linear.out_features,
        bias=linear.bias is not None,
        device=weight.device,
        dtype=weight.dtype,
    )
    with torch.no_grad():
        new.weight.copy_(weight)
        if linear.bias is not None:
            new.bias.copy_(linear.bias)
    _copy_grad_flags(linear, new)
    return new


def _copy_grad_flags(old, new):
    for (_, old_param), (_, new_param) in zip(
        old.named_parameters(), new.named_parameters(), strict=True
    ):
        new_param.requires_grad_(old_param.requires_grad)
    new.train(old.training)


def _replace(module, name, new):
    parent_name, _, child = name.rpartition(".")
    parent = module.get_submodule(parent_name) if parent_name else module
    setattr(parent, child, new)


def count_flops(module, sample):
    """Floating-point operations of the Conv2d and Linear layers, per sample.

    A multiply-add counts as two operations; activations, normalisation and
    pooling are not counted (they are a few percent in small CNNs). Measured
    by one forward pass of ``sample`` (a batch of one, or more: the count is
    divided by the batch size) in evaluation mode.
    """
    macs = []

    def count(layer, inputs, output):
        if isinstance(layer, nn.Conv2d):
            per_output = layer.in_channels // layer.groups * layer.weight[0, 0].numel()
        else:
            per_output = layer.in_features
        macs.append(output.numel() * per_output)

    hooks = [
        layer.register_forward_hook(count)
        for layer in module.modules()
        if isinstance(layer, nn.Conv2d | nn.Linear)
    ]
    try:
        with evaluation_mode(module), torch.no_grad():
            module(sample)
    finally:
        for hook in hooks:
            hook.remove()
    return 2 * sum(macs) // len(sample)


class evaluation_mode:
    """Context manager: ``module`` in eval mode, its training flags restored after.

    Scoring passes must neither update BatchNorm running statistics nor drop
    units at random.
    """

    def __init__(self, module):
        self.module = module

    def __enter__(self):
        self.flags = [(m, m.training) for m in self.module.modules()]
        self.module.eval()
        return self.module

    def __exit__(self, *exc_info):
        for m, flag in self.flags:
            m.training = flag
