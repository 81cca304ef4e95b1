"""Which channels of a CNN can be removed, and the smaller CNN without them.

The module is traced with :func:`torch.fx.symbolic_trace`. Every output
channel of a ``Conv2d`` (``groups=1``) is an *element* of a union-find, and
every tensor of the graph carries the elements of its channel dimension (or
nothing: the input image, the output of a Linear, ...). Operations that tie
channels together join their elements into one *coupled channel*:

- an element-wise addition (residual shortcut), subtraction or product of two
  tensors joins channel ``c`` of one with channel ``c`` of the other;
- a concatenation along the channels lays the operands' elements side by
  side (nothing is joined, but the consumer sees both convolutions);
- a depthwise convolution carries its input's elements to its output;
- BatchNorm2d, activations, pooling and dropout act channel by channel;
- ``nn.Flatten`` / ``torch.flatten(x, 1)`` (after global average pooling or
  not) and a spatial ``mean`` hand the channels to a Linear layer, where
  channel ``c`` owns ``H * W`` consecutive input features.

A coupled channel is removed as a whole, from every layer that produces,
normalises or reads it, or not at all. Channels that reach the module's
output, or are combined with a tensor skprune does not track (the input
image, a parameter read directly), are never removed. Anything else that
sees a channel -- a grouped (not depthwise) convolution, a reshape, a layer
called twice -- is refused with a ``ValueError`` that names it, rather than
guessed at.
"""

import operator
from dataclasses import dataclass, field

import numpy as np
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


# Element-wise operations of two tensors: channel c of the result mixes
# channel c of each operand, so their channels are removed together.
_COMBINING_FUNCTIONS = {
    operator.add,
    operator.iadd,
    operator.sub,
    operator.isub,
    operator.mul,
    operator.imul,
    torch.add,
    torch.sub,
    torch.mul,
}
_COMBINING_METHODS = {"add", "add_", "sub", "sub_", "mul", "mul_"}
_CONCAT_FUNCTIONS = {torch.cat, torch.concat, torch.concatenate}
_MEAN_FUNCTIONS = {torch.mean}


@dataclass
class ConvLayer:
    """A Conv2d of the traced module and the channels it reads and writes.

    Attributes
    ----------
    name : str
        Qualified name of the module (``"features.0"``).
    in_elements : ndarray of int or None
        The coupled-channel elements of its input channels (None: the input
        image, or channels nothing can prune).
    out_elements : ndarray of int
        The elements of its output channels: new ones for a convolution
        with ``groups=1``, its input's for a depthwise convolution.
    depthwise : bool
        ``groups == in_channels``: each output channel reads one input
        channel, so input and output channels are removed together.
    batch_norms : list of str
        BatchNorm2d modules normalising exactly this layer's output channels.
    linears : list of str
        Linear modules reading exactly this layer's output channels, flattened.
    reaches_output : bool
        None of its filters can be removed (they reach the module's output,
        or are tied to channels that cannot be removed).
    """

    name: str
    in_elements: object
    out_elements: object
    depthwise: bool = False
    batch_norms: list = field(default_factory=list)
    linears: list = field(default_factory=list)
    reaches_output: bool = False


@dataclass
class CoupledGroup:
    """Convolutions whose filters are tied together, and their coupled channels.

    Attributes
    ----------
    convs : tuple of str
        The prunable convolutions of the group, in execution order.
    roots : list of int
        One entry per coupled channel that can be removed.
    members : dict of int to list of (str, int)
        For each coupled channel, the (convolution, filter index) pairs
        producing it.
    """

    convs: tuple
    roots: list
    members: dict


class _UnionFind:
    """Disjoint sets of channel elements, with path halving."""

    def __init__(self):
        self.parent = []

    def new(self, n):
        start = len(self.parent)
        self.parent.extend(range(start, start + n))
        return np.arange(start, start + n)

    def find(self, element):
        parent = self.parent
        while parent[element] != element:
            parent[element] = parent[parent[element]]
            element = parent[element]
        return element

    def union(self, a, b):
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


@dataclass
class _Channels:
    """What a tensor of the graph carries: its channels' elements."""

    elements: object
    flat: bool = False


@dataclass
class Structure:
    """The convolutions of a module, in execution order, and their couplings."""

    convs: dict
    batch_norms: dict = field(default_factory=dict)
    linears: dict = field(default_factory=dict)
    union_find: _UnionFind = field(default_factory=_UnionFind)
    pinned: set = field(default_factory=set)

    def root(self, element):
        """The coupled channel of ``element``."""
        return self.union_find.find(int(element))

    def is_pinned(self, element):
        return self.root(element) in self.pinned

    @property
    def prunable(self):
        """Names of the convolutions some of whose filters can be removed."""
        return [name for name, conv in self.convs.items() if not conv.reaches_output]

    def consumers(self, name):
        """Convolutions reading exactly the output channels of convolution ``name``."""
        out = self.convs[name].out_elements
        return [c.name for c in self.convs.values() if c.in_elements is out]

    def coupled_groups(self):
        """The :class:`CoupledGroup` s of the prunable convolutions.

        Two convolutions are in one group when a coupled channel has filters
        of both (a residual stage, for one); a plain chain has one group per
        convolution.
        """
        members = {}
        for name in self.prunable:
            for index, element in enumerate(self.convs[name].out_elements):
                root = self.root(element)
                if root not in self.pinned:
                    members.setdefault(root, []).append((name, index))
        owner = {name: name for name in self.prunable}

        def find(name):
            while owner[name] != name:
                name = owner[name]
            return name

        for pairs in members.values():
            first = find(pairs[0][0])
            for name, _ in pairs[1:]:
                owner[find(name)] = first
        order = {name: i for i, name in enumerate(self.prunable)}
        groups = {}
        for root, pairs in members.items():
            groups.setdefault(find(pairs[0][0]), []).append(root)
        result = []
        for roots in groups.values():
            convs = sorted({n for r in roots for n, _ in members[r]}, key=order.get)
            result.append(
                CoupledGroup(tuple(convs), roots, {r: members[r] for r in roots})
            )
        return sorted(result, key=lambda group: order[group.convs[0]])

    def kept_filters(self, removed):
        """Per prunable convolution, the filters kept when ``removed`` go.

        ``removed`` is a set of coupled channels (roots).
        """
        return {
            name: torch.as_tensor(
                self._kept_positions(self.convs[name].out_elements, removed),
                dtype=torch.long,
            )
            for name in self.prunable
        }

    def removed_channels(self, keep):
        """The coupled channels removed by ``keep``; ``ValueError`` if partial.

        ``keep`` maps convolution names to the indices of the filters they
        keep (all of them for a name it lacks).
        """
        removed = set()
        for name, kept in keep.items():
            out = self.convs[name].out_elements
            dropped = np.setdiff1d(np.arange(len(out)), np.asarray(kept))
            for index in dropped:
                root = self.root(out[index])
                if root in self.pinned:
                    raise ValueError(
                        f"Filter {index} of the Conv2d {name!r} cannot be "
                        "removed: its channel reaches the module's output or "
                        "a tensor ConvPruner does not track."
                    )
                removed.add(root)
        for name in self.prunable:
            out = self.convs[name].out_elements
            kept = set(np.asarray(keep.get(name, np.arange(len(out)))).tolist())
            for index, element in enumerate(out):
                if index in kept and self.root(element) in removed:
                    raise ValueError(
                        f"Filter {index} of the Conv2d {name!r} is coupled to "
                        "removed channels (by an addition, a depthwise "
                        "convolution or a shared consumer): coupled channels "
                        "are removed together or not at all."
                    )
        return removed

    def _kept_positions(self, elements, removed):
        """Positions in ``elements`` whose coupled channel is not removed."""
        return np.array(
            [i for i, e in enumerate(elements) if self.root(e) not in removed],
            dtype=np.int64,
        )


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
            "modules whose forward is a fixed graph of layers (no "
            "data-dependent control flow)."
        ) from error
    tracer = _Tracer(graph_module)
    for node in graph_module.graph.nodes:
        tracer.visit(node)
    structure = tracer.finish()
    if not structure.prunable and tracer.parameter_ties:
        raise ValueError(
            f"{tracer.parameter_ties[0]} (the module {type(module).__name__} "
            "has no other prunable Conv2d layer). Use a layer for the product "
            "(e.g. a BatchNorm2d, whose scale ConvPruner shrinks with the "
            "channels)."
        )
    if not structure.prunable:
        raise ValueError(
            f"The module {type(module).__name__} has no prunable Conv2d layer: "
            "ConvPruner removes the filters of Conv2d layers whose output goes "
            "to other Conv2d layers or, flattened, to a Linear layer, and not "
            "to the module's output."
        )
    return structure


class _Tracer:
    """Walks the fx graph once, tagging each node with its :class:`_Channels`."""

    def __init__(self, graph_module):
        self.graph_module = graph_module
        self.structure = Structure(convs={})
        self.channels = {}
        self.called = set()
        self.pinned_elements = []
        # Operations that tie channels to a parameter, for the error message
        # when they leave no layer to prune.
        self.parameter_ties = []

    def visit(self, node):
        if node.op in ("placeholder", "get_attr"):
            if node.op == "get_attr":
                _check_no_direct_parameter_use(node, self.graph_module)
            self.channels[node] = None
            return
        tracked = [n for n in node.all_input_nodes if self.channels.get(n) is not None]
        self.tracked = tracked
        if node.op == "output":
            for n in tracked:
                self.pinned_elements.extend(self.channels[n].elements)
            return
        if node.op == "call_function" and node.target in _CONCAT_FUNCTIONS:
            self.channels[node] = self._concat(node, tracked)
        elif _is_combining(node):
            self.channels[node] = self._combine(node, tracked)
        elif len(tracked) > 1:
            raise ValueError(
                f"{_describe(node, self.graph_module)} combines the outputs of "
                f"several layers ({_quoted(self._names(tracked))}) in a way "
                "ConvPruner does not understand: supported are element-wise "
                "addition, subtraction and product, and torch.cat along the "
                "channels."
            )
        else:
            source = self.channels[tracked[0]] if tracked else None
            if node.op == "call_module":
                self.channels[node] = self._module(node, source)
            else:
                self.channels[node] = self._function(node, source)

    def finish(self):
        structure = self.structure
        structure.pinned = {structure.root(e) for e in self.pinned_elements}
        for conv in structure.convs.values():
            conv.batch_norms = [
                name
                for name, elements in structure.batch_norms.items()
                if elements is conv.out_elements
            ]
            conv.linears = [
                name
                for name, elements in structure.linears.items()
                if elements is conv.out_elements
            ]
            conv.reaches_output = conv.depthwise or all(
                structure.is_pinned(e) for e in conv.out_elements
            )
        return structure

    def _names(self, nodes):
        producers = []
        for n in nodes:
            elements = self.channels[n].elements
            producers += [
                c.name
                for c in self.structure.convs.values()
                if not c.depthwise
                and len(elements)
                and np.isin(elements, c.out_elements).any()
            ]
        return list(dict.fromkeys(producers)) or [n.name for n in nodes]

    def _combine(self, node, tracked):
        """Element-wise operation: the operands' channels are coupled."""
        if not tracked:
            return None
        first = self.channels[tracked[0]]
        for other in tracked[1:]:
            channels = self.channels[other]
            if (
                channels.flat != first.flat
                or channels.elements.shape != first.elements.shape
            ):
                raise ValueError(
                    f"{_describe(node, self.graph_module)} combines tensors of "
                    f"different channels ({_quoted(self._names(tracked))}); "
                    "ConvPruner couples channels of equal count only."
                )
            for a, b in zip(first.elements, channels.elements, strict=True):
                self.structure.union_find.union(int(a), int(b))
        untracked = [n for n in node.all_input_nodes if self.channels.get(n) is None]
        if untracked:
            # Combined with the input image, a parameter, ...: those channels
            # cannot lose an entry, so neither can these.
            self.pinned_elements.extend(first.elements)
            self._note_parameter_tie(node, tracked, untracked)
        return first

    def _note_parameter_tie(self, node, tracked, untracked):
        parameters = [n.target for n in untracked if n.op == "get_attr"]
        if not parameters:
            return
        name = str(getattr(node.target, "__name__", node.target))
        verb, preposition = ("combines", "with")
        if "mul" in name:
            verb, preposition = ("multiplies", "by")
        self.parameter_ties.append(
            f"{_describe(node, self.graph_module)} {verb} the output channels of "
            f"{_quoted(self._names(tracked))} {preposition} the parameter "
            f"{_quoted(parameters)}, which ties every channel to its entry of the "
            "parameter; ConvPruner does not shrink parameters used outside a "
            "layer, so it cannot remove those channels"
        )

    def _concat(self, node, tracked):
        tensors = node.args[0]
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
        if not tracked:
            return None
        if dim != 1 or any(self.channels.get(t) is None for t in tensors):
            raise ValueError(
                f"{_describe(node, self.graph_module)} concatenates the output "
                f"of {_quoted(self._names(tracked))} along dim={dim} or with "
                "a tensor whose channels ConvPruner does not track; it "
                "handles concatenation of Conv2d outputs along the channels "
                "(dim=1) only."
            )
        parts = [self.channels[t] for t in tensors]
        if any(part.flat for part in parts):
            raise _unsupported(
                _describe(node, self.graph_module), "flat", self._names(tracked)
            )
        return _Channels(np.concatenate([part.elements for part in parts]))

    def _module(self, node, source):
        """The channels of the output of ``module`` called on ``source``."""
        name = node.target
        module = self.graph_module.get_submodule(name)
        if name in self.called:
            raise ValueError(
                f"The module {name!r} is called more than once in forward; "
                "ConvPruner cannot prune a shared layer."
            )
        self.called.add(name)
        structure = self.structure
        if type(module) is nn.Conv2d:
            return self._conv(name, module, source)
        if source is None:
            # Nothing prunable flows in: this layer is left as it is.
            return None
        if type(module) is nn.BatchNorm2d and not source.flat:
            structure.batch_norms[name] = source.elements
            return source
        if type(module) is nn.Linear and source.flat:
            structure.linears[name] = source.elements
            return None
        if type(module) is nn.Flatten and not source.flat:
            if module.start_dim == 1 and module.end_dim == -1:
                return _Channels(source.elements, flat=True)
        if isinstance(module, _CHANNELWISE_MODULES):
            return source
        raise _unsupported(
            f"The module {name!r} ({type(module).__name__})",
            source,
            self._names(self.tracked),
        )

    def _conv(self, name, module, source):
        if source is not None and source.flat:
            raise _unsupported(
                f"The Conv2d {name!r}", source, self._names(self.tracked)
            )
        in_elements = None if source is None else source.elements
        if module.groups == 1:
            out = self.structure.union_find.new(module.out_channels)
            self.structure.convs[name] = ConvLayer(name, in_elements, out)
            return _Channels(out)
        if source is None:
            return None
        if module.groups != module.in_channels:
            raise ValueError(
                f"The Conv2d {name!r} has groups={module.groups} with "
                f"in_channels={module.in_channels} (a grouped convolution): "
                "its channels are tied group by group, which ConvPruner does "
                "not handle; depthwise (groups=in_channels) and groups=1 "
                "convolutions are supported."
            )
        # Depthwise: output channel c * k + j reads input channel c alone.
        multiplier = module.out_channels // module.in_channels
        out = np.repeat(in_elements, multiplier)
        self.structure.convs[name] = ConvLayer(name, in_elements, out, depthwise=True)
        return _Channels(out)

    def _function(self, node, source):
        """The channels of the output of a function or method call node."""
        if source is None:
            return None
        if node.op == "call_function" and node.target in _CHANNELWISE_FUNCTIONS:
            return source
        if node.op == "call_method" and node.target in _CHANNELWISE_METHODS:
            return source
        if node.op == "call_method" and node.target in _SHAPE_METHODS:
            # Integers, not tensors: what they feed is judged by its own inputs.
            return None
        if not source.flat and _is_flatten_from_dim_1(node):
            return _Channels(source.elements, flat=True)
        if not source.flat and _is_spatial_mean(node):
            keepdim = node.kwargs.get("keepdim", False) or (
                len(node.args) > 2 and node.args[2]
            )
            return _Channels(source.elements, flat=not keepdim)
        raise _unsupported(
            _describe(node, self.graph_module),
            source,
            self._names(self.tracked),
        )


def _is_combining(node):
    if node.op == "call_function":
        return node.target in _COMBINING_FUNCTIONS
    return node.op == "call_method" and node.target in _COMBINING_METHODS


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


def _is_spatial_mean(node):
    """``x.mean((2, 3))``: global average pooling, one feature per channel."""
    is_mean = (node.op == "call_function" and node.target in _MEAN_FUNCTIONS) or (
        node.op == "call_method" and node.target == "mean"
    )
    if not is_mean:
        return False
    dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
    if not isinstance(dims, list | tuple):
        return False
    return sorted(dims) in ([2, 3], [-2, -1])


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


def _quoted(names):
    return ", ".join(repr(name) for name in names)


def _unsupported(what, source, producers):
    shape = "flattened output" if source.flat else "output channels"
    names = _quoted(producers)
    return ValueError(
        f"{what} receives the {shape} of the Conv2d {names}, and ConvPruner "
        "cannot tell which of its inputs a removed filter feeds. Supported "
        "between a Conv2d and its consumers: BatchNorm2d, element-wise "
        "activations, pooling, dropout, additions (residual shortcuts), "
        "torch.cat along the channels, depthwise Conv2d, then another Conv2d "
        "or nn.Flatten / torch.flatten(x, 1) / x.mean((2, 3)) followed by a "
        "Linear."
    )


def rebuild(module, structure, keep):
    """Replace, in place, the layers of ``module`` by smaller copies.

    ``keep`` maps the name of a prunable convolution to the (sorted) indices
    of the filters it keeps (all of them for a name it lacks). Coupled
    channels go together: a removed filter takes its coupled channel out of
    every convolution, BatchNorm and Linear that produces or reads it, and a
    ``keep`` that removes part of a coupled channel is a ``ValueError``.
    Kept weights, biases and running statistics are copied unchanged, so the
    smaller module computes exactly what the larger one computes with the
    removed channels cut from every consumer.
    """
    removed = structure.removed_channels(keep)
    if not removed:
        return

    def positions(elements):
        if elements is None:
            return None
        kept = structure._kept_positions(elements, removed)
        return None if len(kept) == len(elements) else torch.as_tensor(kept)

    for name, elements in structure.batch_norms.items():
        kept = positions(elements)
        if kept is not None:
            _replace(module, name, _sliced_batch_norm(module, name, kept))
    for name, elements in structure.linears.items():
        kept = positions(elements)
        if kept is not None:
            linear = module.get_submodule(name)
            new = _sliced_linear(linear, kept, n_channels=len(elements))
            _replace(module, name, new)
    for conv in structure.convs.values():
        in_keep, out_keep = positions(conv.in_elements), positions(conv.out_elements)
        if in_keep is not None or out_keep is not None:
            old = module.get_submodule(conv.name)
            _replace(
                module,
                conv.name,
                _sliced_conv(old, in_keep, out_keep, depthwise=conv.depthwise),
            )


def _sliced_conv(conv, in_keep, out_keep, *, depthwise=False):
    weight = conv.weight
    if out_keep is not None:
        weight = weight[out_keep]
    groups = 1
    if depthwise:
        # Each filter reads its own input channel: the weight's second axis is
        # 1 and the kept input channels become the groups.
        groups = conv.in_channels if in_keep is None else len(in_keep)
        in_channels = groups
    else:
        if in_keep is not None:
            weight = weight[:, in_keep]
        in_channels = weight.shape[1]
    new = nn.Conv2d(
        in_channels,
        weight.shape[0],
        kernel_size=conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=groups,
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
