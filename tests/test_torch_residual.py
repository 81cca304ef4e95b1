"""ConvPruner on coupled channels: residual, concatenated and depthwise layers."""

import copy
import functools
import pickle

import numpy as np
import pytest

from skprune._optional import TORCH_INSTALL_COMMAND

_SKIP_REASON = f"skprune.torch needs the optional extra: {TORCH_INSTALL_COMMAND}"
torch = pytest.importorskip("torch", reason=_SKIP_REASON)
skorch = pytest.importorskip("skorch", reason=_SKIP_REASON)

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from skorch import NeuralNetClassifier  # noqa: E402
from torch import nn  # noqa: E402

from skprune.torch import ConvPruner  # noqa: E402
from skprune.torch._graph import rebuild, trace_structure  # noqa: E402

# The networks are tiny: one torch thread, as more only wait on each other.
pytestmark = pytest.mark.usefixtures("single_torch_thread")


class BasicBlock(nn.Module):
    """ResNet's basic block; a 1x1 stride-s convolution shortcut when shapes change."""

    def __init__(self, c_in, c_mid, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_mid, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_mid)
        self.conv2 = nn.Conv2d(c_mid, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                nn.BatchNorm2d(c_out),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """Stem, two identity blocks, one stride-2 block, GAP and a 2-layer head."""

    def __init__(self, a=8, b1=8, b2=8, c=16, d=16, n_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(1, a, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(a)
        self.layer1 = nn.Sequential(BasicBlock(a, b1, a), BasicBlock(a, b2, a))
        self.layer2 = nn.Sequential(BasicBlock(a, c, d, stride=2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(d, 12)
        self.fc2 = nn.Linear(12, n_classes)

    def forward(self, X):
        x = torch.relu(self.bn(self.stem(X)))
        x = self.layer2(self.layer1(x))
        x = torch.flatten(self.pool(x), 1)
        return self.fc2(torch.relu(self.fc1(x)))


def resnet_params(a, b1, b2, c, d):
    """Hand-computed parameters of SmallResNet (convs without bias)."""
    return (
        (9 * a + 2 * a)  # stem + bn
        + (9 * a * b1 + 2 * b1 + 9 * b1 * a + 2 * a)  # layer1.0
        + (9 * a * b2 + 2 * b2 + 9 * b2 * a + 2 * a)  # layer1.1
        + (9 * a * c + 2 * c + 9 * c * d + 2 * d + a * d + 2 * d)  # layer2.0
        + (d * 12 + 12 + 12 * 10 + 10)  # head
    )


class Concatenated(nn.Module):
    """Two branches concatenated along the channels, then a spatial mean head."""

    def __init__(self):
        super().__init__()
        self.left = nn.Conv2d(1, 6, 3, padding=1)
        self.right = nn.Conv2d(1, 4, 5, padding=2)
        self.merge = nn.Conv2d(10, 8, 3, padding=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, X):
        x = torch.cat([torch.relu(self.left(X)), torch.relu(self.right(X))], dim=1)
        return self.fc(torch.relu(self.merge(x)).mean((2, 3)))


class Depthwise(nn.Module):
    """A MobileNet-style separable block: depthwise (multiplier 2) then 1x1."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.depthwise = nn.Conv2d(8, 16, 3, padding=1, groups=8)
        self.bn2 = nn.BatchNorm2d(16)
        self.pointwise = nn.Conv2d(16, 12, 1)
        self.fc = nn.Linear(12 * 64, 10)

    def forward(self, X):
        x = torch.relu(self.bn1(self.conv(X)))
        x = torch.relu(self.bn2(self.depthwise(x)))
        return self.fc(torch.relu(self.pointwise(x)).flatten(1))


def randomised(module, seed=0):
    """``module`` with random BatchNorm statistics and affine parameters."""
    generator = torch.Generator().manual_seed(seed)
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm2d):
            n = layer.num_features
            with torch.no_grad():
                layer.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                layer.bias.copy_(torch.randn(n, generator=generator))
                layer.running_mean.copy_(torch.randn(n, generator=generator))
                layer.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
    return module.eval()


def images(n=20, seed=0):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def with_removed_channels_zeroed(module, structure, removed):
    """A copy of ``module`` whose removed channels are zero wherever produced.

    Every Conv2d and BatchNorm2d output has its removed channels set to zero,
    so that what reads them (additions, concatenations, convolutions, the
    head) sees nothing of them: what the rebuilt module computes without them.
    """
    copied = copy.deepcopy(module)
    outputs = {name: conv.out_elements for name, conv in structure.convs.items()}
    outputs.update(structure.batch_norms)
    for name, elements in outputs.items():
        cut = torch.tensor([structure.root(e) in removed for e in elements])

        def zero(layer, inputs, output, cut=cut):
            output = output.clone()
            output[:, cut] = 0
            return output

        copied.get_submodule(name).register_forward_hook(zero)
    return copied


def remove_some(structure, every=3):
    """Every ``every``-th coupled channel of each group, never all of one."""
    removed = set()
    for group in structure.coupled_groups():
        removed.update(group.roots[1::every])
    return removed


def test_resnet_channels_are_coupled_across_the_shortcuts():
    structure = trace_structure(SmallResNet())
    groups = {g.convs: len(g.roots) for g in structure.coupled_groups()}
    assert groups == {
        # The identity shortcuts tie the stem to the blocks' second convs.
        ("stem", "layer1.0.conv2", "layer1.1.conv2"): 8,
        ("layer1.0.conv1",): 8,
        ("layer1.1.conv1",): 8,
        ("layer2.0.conv1",): 16,
        # The 1x1 stride-2 shortcut is added to the block's second conv.
        ("layer2.0.conv2", "layer2.0.shortcut.0"): 16,
    }
    assert structure.linears == {"fc1": structure.convs["layer2.0.conv2"].out_elements}
    assert structure.convs["layer1.0.conv1"].batch_norms == ["layer1.0.bn1"]


@pytest.mark.parametrize("module", [SmallResNet, Concatenated, Depthwise])
def test_rebuild_equals_the_original_with_removed_channels_zeroed(module):
    torch.manual_seed(0)
    original = randomised(module())
    structure = trace_structure(original)
    removed = remove_some(structure)
    assert removed
    expected = with_removed_channels_zeroed(original, structure, removed)(images())
    pruned = copy.deepcopy(original)
    rebuild(pruned, structure, structure.kept_filters(removed))
    assert sum(p.numel() for p in pruned.parameters()) < sum(
        p.numel() for p in original.parameters()
    )
    torch.testing.assert_close(pruned(images()), expected, rtol=1e-5, atol=1e-5)


def test_concatenation_and_depthwise_layers_lose_the_matching_inputs():
    module = Concatenated()
    structure = trace_structure(module)
    keep = {"left": torch.tensor([0, 2, 5]), "right": torch.tensor([1, 3])}
    rebuild(module, structure, keep)
    assert module.merge.in_channels == 5
    assert module.fc.in_features == 8  # merge's channels reach fc: kept whole

    module = Depthwise()
    structure = trace_structure(module)
    assert structure.prunable == ["conv", "pointwise"]
    rebuild(module, structure, {"conv": torch.tensor([0, 3, 4])})
    assert (module.depthwise.in_channels, module.depthwise.out_channels) == (3, 6)
    assert module.depthwise.groups == 3
    assert module.bn2.num_features == 6
    assert module.pointwise.in_channels == 6


def test_partial_removal_of_a_coupled_channel_is_refused():
    module = SmallResNet()
    structure = trace_structure(module)
    with pytest.raises(ValueError, match="Filter 0 of the Conv2d 'layer1.0.conv2'"):
        rebuild(module, structure, {"stem": torch.arange(1, 8)})


class AddsTheImage(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 1, 3, padding=1)
        self.conv2 = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 64, 10)

    def forward(self, X):
        return self.fc(self.conv2(self.conv1(X) + X).flatten(1))


def test_channels_added_to_the_input_are_kept():
    structure = trace_structure(AddsTheImage())
    assert structure.prunable == ["conv2"]


class Multiplied(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 64, 10)

    def forward(self, X):
        x = self.conv(X)
        return self.fc(torch.matmul(x, x).flatten(1))


class LinearOnMaps(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.proj = nn.Linear(8, 8)
        self.fc = nn.Linear(4 * 64, 10)

    def forward(self, X):
        return self.fc(self.proj(self.conv(X)).flatten(1))


@pytest.mark.parametrize(
    "module, match",
    [
        (Multiplied, r"The operation matmul .* Conv2d 'conv'"),
        (LinearOnMaps, r"The module 'proj' \(Linear\) .* Conv2d 'conv'"),
    ],
)
def test_unsupported_layers_are_refused_by_name(module, match):
    with pytest.raises(ValueError, match=match):
        trace_structure(module())


# ------------------------------------------------------------- with skorch --


def to_images(X):
    return (np.asarray(X) / 16).astype(np.float32).reshape(-1, 1, 8, 8)


@functools.cache
def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(to_images(X), y, test_size=0.3, random_state=0, stratify=y)


def resnet_net(**params):
    defaults = dict(
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.01,
        batch_size=64,
        max_epochs=3,
        train_split=None,
        verbose=0,
    )
    return NeuralNetClassifier(SmallResNet, **{**defaults, **params})


@functools.cache
def fitted_resnet():
    X_train, _, y_train, _ = digits_split()
    torch.manual_seed(0)
    return resnet_net().fit(X_train, y_train)


def test_pruned_resnet_parameters_are_the_hand_computed_ones():
    X_train, X_test, y_train, y_test = digits_split()
    pruner = ConvPruner(
        FrozenEstimator(fitted_resnet()), prune_rate=0.5, fine_tune_epochs=0
    ).fit(X_train, y_train)
    assert pruner.n_params_before_ == resnet_params(8, 8, 8, 16, 16)
    assert pruner.n_params_after_ == resnet_params(4, 4, 4, 8, 8)
    module = pruner.estimator_.module_
    assert sum(p.numel() for p in module.parameters()) == resnet_params(4, 4, 4, 8, 8)
    assert (pruner.n_units_before_, pruner.n_units_after_) == (88, 44)
    assert pruner.layer_widths_["layer2.0.shortcut.0"] == (16, 8)
    assert pruner.predict(X_test).shape == y_test.shape


@pytest.mark.parametrize(
    "method, criterion, scope",
    [
        ("filter", "l1", "layer"),
        ("filter", "l2", "global"),
        ("filter", "geometric_median", "layer"),
        ("filter", "taylor", "layer"),
        ("channel", "bn_scale", "global"),
        ("channel", "reconstruction", "layer"),
    ],
)
def test_every_criterion_prunes_a_resnet(method, criterion, scope):
    X_train, X_test, y_train, y_test = digits_split()
    pruner = ConvPruner(
        FrozenEstimator(fitted_resnet()),
        method=method,
        criterion=criterion,
        scope=scope,
        prune_rate=0.5,
        fine_tune_epochs=2,
        n_iterations=2,
        random_state=0,
    ).fit(X_train, y_train)
    assert pruner.n_params_after_ < pruner.n_params_before_
    assert 0.3 < pruner.prune_rate_ < 0.7
    # The base net (3 epochs) scores about 0.85.
    assert pruner.score(X_test, y_test) > 0.7


# ------------------------------------------------------- stays pruned --


def test_pruned_net_refits_clones_and_initialises_as_the_pruned_architecture():
    X_train, X_test, y_train, y_test = digits_split()
    pruner = ConvPruner(
        FrozenEstimator(fitted_resnet()), prune_rate=0.5, fine_tune_epochs=1
    ).fit(X_train, y_train)
    pruned = pruner.estimator_
    n_small = pruner.n_params_after_

    def n_params(net):
        return sum(p.numel() for p in net.module_.parameters())

    trained = {k: v.clone() for k, v in pruned.module_.state_dict().items()}
    clone(pruned).fit(X_train, y_train, epochs=1)
    fresh = clone(pruned).initialize()
    assert n_params(fresh) == n_small
    # Freshly initialised, not the pruned weights.
    assert not torch.equal(fresh.module_.stem.weight, trained["stem.weight"])
    pruned.initialize()
    assert n_params(pruned) == n_small
    refitted = clone(pruned).fit(X_train, y_train)
    assert n_params(refitted) == n_small
    assert refitted.score(X_test, y_test) > 0.5
    assert "module__" not in " ".join(pruned.get_params())


def test_pruned_net_pickles_without_skprune_and_stays_small():
    X_train, _, y_train, _ = digits_split()
    pruner = ConvPruner(
        FrozenEstimator(fitted_resnet()), prune_rate=0.5, fine_tune_epochs=0
    ).fit(X_train, y_train)
    data = pickle.dumps(pruner.estimator_)
    assert b"skprune" not in data
    loaded = pickle.loads(data)
    np.testing.assert_array_equal(
        loaded.predict_proba(X_train[:20]),
        pruner.estimator_.predict_proba(X_train[:20]),
    )
    loaded.initialize()
    n_params = sum(p.numel() for p in loaded.module_.parameters())
    assert n_params == pruner.n_params_after_


# ------------------------------------------------------------------ auto --


def test_auto_prune_rate_is_the_largest_rate_within_tol(capsys):
    X_train, _, y_train, _ = digits_split()
    base = fitted_resnet()

    def auto(tol, verbose=0):
        return ConvPruner(
            FrozenEstimator(base),
            prune_rate="auto",
            tol=tol,
            fine_tune_epochs=0,
            random_state=0,
            verbose=verbose,
        ).fit(X_train, y_train)

    anything = auto(1.0, verbose=1)
    lines = [line for line in capsys.readouterr().out.splitlines() if "auto:" in line]
    assert len(lines) == 10  # every rate is tried
    # 95% of every group of filters, rounded up to keep at least one.
    assert anything.n_units_after_ < 0.1 * anything.n_units_before_
    strict, middle = auto(0.0), auto(0.1)
    assert strict.prune_rate_ <= middle.prune_rate_ <= anything.prune_rate_
    # The chosen network is within tol of the unpruned one on the held-out rows.
    _, X_val, _, y_val = middle._holdout(X_train, y_train)
    assert middle.score(X_val, y_val) >= base.score(X_val, y_val) - 0.1
    assert middle.estimator_.module_ is not None


def test_auto_fits_the_base_net_on_the_rest_and_fine_tunes():
    X_train, X_test, y_train, y_test = digits_split()
    torch.manual_seed(0)
    pruner = ConvPruner(
        resnet_net(max_epochs=2),
        prune_rate="auto",
        tol=0.05,
        fine_tune_epochs=1,
        validation_fraction=0.2,
        random_state=0,
    ).fit(X_train, y_train)
    assert 0 <= pruner.prune_rate_ < 1
    assert pruner.predict(X_test).shape == y_test.shape
