"""ConvPruner: filter and channel pruning of skorch CNNs (optional extra)."""

import copy
import functools
import math
import pickle

import numpy as np
import pytest

from skprune._optional import TORCH_INSTALL_COMMAND

_SKIP_REASON = f"skprune.torch needs the optional extra: {TORCH_INSTALL_COMMAND}"
torch = pytest.importorskip("torch", reason=_SKIP_REASON)
skorch = pytest.importorskip("skorch", reason=_SKIP_REASON)

import torch.nn.functional as F  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from skorch import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402
from torch import nn  # noqa: E402

from skprune.torch import ConvPruner, DigitsCNN  # noqa: E402
from skprune.torch._criteria import ScoringContext, geometric_median  # noqa: E402
from skprune.torch._graph import (  # noqa: E402
    count_flops,
    rebuild,
    trace_structure,
)

# The networks are tiny: one torch thread, as more only wait on each other.
pytestmark = pytest.mark.usefixtures("single_torch_thread")


def to_images(X):
    """Digits rows (n, 64) in [0, 16] -> float32 images (n, 1, 8, 8)."""
    return (np.asarray(X) / 16).astype(np.float32).reshape(-1, 1, 8, 8)


@functools.cache
def digits_unit_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(to_images(X), y, test_size=0.3, random_state=0, stratify=y)


def small_net(module=DigitsCNN, max_epochs=4, **params):
    defaults = dict(
        module__channels=(8, 16),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.01,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    if module is not DigitsCNN:
        del defaults["module__channels"]
    return NeuralNetClassifier(module, max_epochs=max_epochs, **{**defaults, **params})


@functools.cache
def fitted_net():
    X_train, _, y_train, _ = digits_unit_split()
    torch.manual_seed(0)
    return small_net().fit(X_train, y_train)


def frozen_pruner(**params):
    """A pruner of the shared fitted net (never refitted, never modified)."""
    defaults = dict(fine_tune_epochs=0, random_state=0)
    return ConvPruner(FrozenEstimator(fitted_net()), **{**defaults, **params})


def state_of(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def forward(module, X):
    module.eval()
    with torch.no_grad():
        return module(torch.as_tensor(X))


# ------------------------------------------------------------ architecture --


def test_digits_cnn_shapes_and_structure():
    module = DigitsCNN(channels=(8, 16), n_classes=3)
    assert forward(module, digits_unit_split()[0][:7]).shape == (7, 3)
    structure = trace_structure(module)
    assert structure.prunable == ["features.0", "features.3"]
    first, second = structure.convs.values()
    assert first.in_elements is None
    assert second.in_elements is first.out_elements
    assert structure.consumers("features.0") == ["features.3"]
    assert (first.batch_norms, first.linears) == (["features.1"], [])
    assert (second.batch_norms, second.linears) == (["features.4"], ["classifier.1"])
    # A chain: every filter is its own coupled channel, one group per conv.
    groups = structure.coupled_groups()
    assert [g.convs for g in groups] == [("features.0",), ("features.3",)]
    assert [len(g.roots) for g in groups] == [8, 16]


def test_parameter_and_flop_counts_are_the_hand_computed_ones():
    X_train, _, y_train, _ = digits_unit_split()
    pruner = frozen_pruner(prune_rate=0.5).fit(X_train, y_train)

    def n_params(c1, c2):
        # conv1 + bn1 + conv2 + bn2 + linear (c2 channels of 4x4 -> 10)
        return (
            (9 * c1 + c1) + 2 * c1 + (9 * c1 * c2 + c2) + 2 * c2 + (16 * c2 * 10 + 10)
        )

    def n_flops(c1, c2):
        # 2 x multiply-adds: 8x8 outputs per filter, 4x4x c2 inputs per logit.
        return 2 * (64 * c1 * 9 + 64 * c2 * 9 * c1 + 10 * 16 * c2)

    assert (pruner.n_params_before_, pruner.n_params_after_) == (
        n_params(8, 16),
        n_params(4, 8),
    )
    assert (pruner.flops_before_, pruner.flops_after_) == (
        n_flops(8, 16),
        n_flops(4, 8),
    )
    assert pruner.layer_widths_ == {"features.0": (8, 4), "features.3": (16, 8)}
    assert (pruner.n_units_before_, pruner.n_units_after_) == (24, 12)
    assert pruner.prune_rate_ == 0.5
    module = pruner.estimator_.module_
    assert sum(p.numel() for p in module.parameters()) == n_params(4, 8)
    assert count_flops(module, torch.as_tensor(X_train[:3])) == n_flops(4, 8)


def test_rebuild_keeping_every_filter_changes_nothing():
    module = copy.deepcopy(fitted_net().module_)
    X = digits_unit_split()[1][:50]
    before = forward(module, X)
    structure = trace_structure(module)
    rebuild(
        module,
        structure,
        {
            name: torch.arange(module.get_submodule(name).out_channels)
            for name in structure.prunable
        },
    )
    torch.testing.assert_close(forward(module, X), before, rtol=0, atol=0)


def test_rebuild_equals_the_original_with_removed_channels_cut():
    """The smaller module computes what the original computes without them."""
    original = copy.deepcopy(fitted_net().module_)
    X = digits_unit_split()[1][:50]
    keep = {
        "features.0": torch.tensor([0, 2, 3, 7]),
        "features.3": torch.tensor([1, 4, 5, 9, 15]),
    }
    # The original with the removed channels zeroed where the next layers read
    # them: the second conv's input, and the flattened 4x4 blocks of the head.
    cut_conv = torch.ones(8, dtype=torch.bool)
    cut_conv[keep["features.0"]] = False
    cut_head = torch.ones(16, dtype=torch.bool)
    cut_head[keep["features.3"]] = False

    def zero_conv_input(layer, inputs):
        x = inputs[0].clone()
        x[:, cut_conv] = 0
        return (x,)

    def zero_head_input(layer, inputs):
        x = inputs[0].clone().reshape(len(inputs[0]), 16, 16)
        x[:, cut_head] = 0
        return (x.reshape(len(x), -1),)

    original.features[3].register_forward_pre_hook(zero_conv_input)
    original.classifier[1].register_forward_pre_hook(zero_head_input)
    expected = forward(original, X)

    pruned = copy.deepcopy(fitted_net().module_)
    rebuild(pruned, trace_structure(pruned), keep)
    assert pruned.features[0].out_channels == 4
    assert pruned.features[1].num_features == 4
    assert pruned.features[3].in_channels == 4
    assert pruned.features[3].out_channels == 5
    assert pruned.features[4].running_mean.shape == (5,)
    assert pruned.classifier[1].in_features == 5 * 16
    torch.testing.assert_close(forward(pruned, X), expected, rtol=1e-5, atol=1e-5)


class NestedFunctional(nn.Module):
    """Nested containers, functional activation, torch.flatten and a 2-layer head."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Sequential(nn.Conv2d(1, 6, 3), nn.BatchNorm2d(6)),
            nn.Sequential(nn.Conv2d(6, 8, 3, bias=False), nn.Dropout2d(0.1)),
        )
        self.fc1 = nn.Linear(8 * 2 * 2, 12)
        self.fc2 = nn.Linear(12, 10)

    def forward(self, X):
        x = F.relu(self.body[0](X))
        x = F.max_pool2d(F.relu(self.body[1](x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class ConvHead(nn.Module):
    """Fully convolutional: the last conv's channels are the output."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 10, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, X):
        return self.pool(self.conv2(torch.relu(self.conv1(X)))).flatten(1)


@pytest.mark.parametrize(
    "module, widths",
    [
        (NestedFunctional, {"body.0.0": (6, 3), "body.1.0": (8, 4)}),
        (ConvHead, {"conv1": (8, 4)}),
    ],
)
def test_other_sequential_architectures(module, widths):
    X_train, X_test, y_train, y_test = digits_unit_split()
    torch.manual_seed(0)
    pruner = ConvPruner(
        small_net(module, max_epochs=2), prune_rate=0.5, fine_tune_epochs=1
    ).fit(X_train, y_train)
    assert pruner.layer_widths_ == widths
    assert pruner.predict(X_test).shape == y_test.shape
    assert pruner.n_params_after_ < pruner.n_params_before_


# ----------------------------------------------------------------- criteria --


def test_l1_removes_the_filters_of_smallest_norm():
    X_train, _, y_train, _ = digits_unit_split()
    net = copy.deepcopy(fitted_net())
    with torch.no_grad():
        net.module_.features[0].weight[[1, 6]] *= 1e-3
    pruner = ConvPruner(FrozenEstimator(net), prune_rate=0.25, fine_tune_epochs=0).fit(
        X_train, y_train
    )
    kept = [0, 2, 3, 4, 5, 7]
    np.testing.assert_array_equal(
        pruner.estimator_.module_.features[0].weight.detach(),
        net.module_.features[0].weight.detach()[kept],
    )
    # The second conv keeps its 12 filters of largest L1 norm and loses the
    # input channels of the removed filters.
    weight = net.module_.features[3].weight.detach()
    largest = np.sort(np.argsort(-weight.abs().sum(dim=(1, 2, 3)).numpy())[:12])
    np.testing.assert_array_equal(
        pruner.estimator_.module_.features[3].weight.detach(),
        weight[largest][:, kept],
    )


def test_bn_scale_removes_the_channels_of_smallest_gamma():
    X_train, _, y_train, _ = digits_unit_split()
    net = copy.deepcopy(fitted_net())
    with torch.no_grad():
        net.module_.features[1].weight.copy_(torch.arange(1.0, 9.0))
        net.module_.features[1].weight[5] = -20.0  # the magnitude counts
    pruner = ConvPruner(
        FrozenEstimator(net), method="channel", prune_rate=0.5, fine_tune_epochs=0
    ).fit(X_train, y_train)
    gamma = pruner.estimator_.module_.features[1].weight.detach()
    # |gamma| = 1 ... 8 with the sixth set to 20: keep channels 4, 5, 6, 7.
    np.testing.assert_array_equal(gamma, [5.0, -20.0, 7.0, 8.0])


def test_geometric_median_scores_the_central_filter_lowest():
    conv = nn.Conv2d(1, 3, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([-1.0, 0.1, 1.0]).reshape(3, 1, 1, 1))
    module = nn.Sequential(conv, nn.Conv2d(3, 2, 1))
    context = ScoringContext(
        net=None, structure=trace_structure(module), X=None, y=None
    )
    context.__class__ = type("Context", (ScoringContext,), {"module": module})
    scores = geometric_median(context)["0"]
    assert np.argmin(scores) == 1


@pytest.mark.parametrize(
    "method, criterion",
    [
        ("filter", "l1"),
        ("filter", "l2"),
        ("filter", "geometric_median"),
        ("filter", "taylor"),
        ("channel", "bn_scale"),
        ("channel", "reconstruction"),
    ],
)
@pytest.mark.parametrize("scope", ["layer", "global"])
def test_every_criterion_keeps_accuracy_after_fine_tuning(method, criterion, scope):
    X_train, X_test, y_train, y_test = digits_unit_split()
    torch.manual_seed(0)
    pruner = frozen_pruner(
        method=method,
        criterion=criterion,
        scope=scope,
        prune_rate=0.5,
        fine_tune_epochs=2,
    ).fit(X_train, y_train)
    widths = pruner.layer_widths_
    if scope == "layer":
        assert widths == {"features.0": (8, 4), "features.3": (16, 8)}
    else:
        assert sum(after for _, after in widths.values()) == 12
        assert all(after >= 1 for _, after in widths.values())
    assert pruner.score(X_test, y_test) > fitted_net().score(X_test, y_test) - 0.05


def test_callable_criterion_chooses_the_filters():
    X_train, _, y_train, _ = digits_unit_split()

    def prefer_last(module, X, y):
        assert len(X) == len(X_train)
        return {
            name: np.arange(module.get_submodule(name).out_channels)
            for name in ("features.0", "features.3")
        }

    pruner = frozen_pruner(criterion=prefer_last, prune_rate=0.75).fit(X_train, y_train)
    np.testing.assert_array_equal(
        pruner.estimator_.module_.features[0].weight.detach(),
        fitted_net().module_.features[0].weight.detach()[[6, 7]],
    )


@pytest.mark.parametrize(
    "scores, match",
    [
        ({}, "dict mapping"),
        ({"features.0": np.ones(8), "features.3": np.ones(3)}, "3 scores"),
        ({"features.0": np.ones(8), "features.3": np.full(16, np.nan)}, "non-finite"),
    ],
)
def test_bad_callable_criterion_output_is_rejected(scores, match):
    X_train, _, y_train, _ = digits_unit_split()
    with pytest.raises(ValueError, match=match):
        frozen_pruner(criterion=lambda module, X, y: scores).fit(X_train, y_train)


# ---------------------------------------------------- fit, tune and search --


def test_pruned_net_is_a_working_skorch_net_that_pickles_and_trains_further():
    X_train, X_test, y_train, y_test = digits_unit_split()
    torch.manual_seed(0)
    pruner = frozen_pruner(prune_rate=0.5, fine_tune_epochs=2).fit(X_train, y_train)
    pruned = pruner.estimator_
    assert type(pruned) is NeuralNetClassifier
    assert isinstance(pruned.module_, DigitsCNN)
    proba = pruner.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(pruner.predict(X_test), proba.argmax(axis=1))
    np.testing.assert_array_equal(pruner.classes_, np.arange(10))
    assert pruner.score(X_test, y_test) == pruned.score(X_test, y_test)
    restored = pickle.loads(pickle.dumps(pruned))
    np.testing.assert_array_equal(restored.predict_proba(X_test), proba)
    restored_pruner = pickle.loads(pickle.dumps(pruner))
    np.testing.assert_array_equal(restored_pruner.predict_proba(X_test), proba)
    # The optimizer was rebuilt for the smaller parameters.
    n_epochs = len(pruned.history)
    pruned.partial_fit(X_train, y_train, epochs=1)
    assert len(pruned.history) == n_epochs + 1
    assert pruned.module_.features[0].out_channels == 4


def test_prune_rate_zero_is_the_unpruned_net():
    X_train, X_test, y_train, _ = digits_unit_split()
    pruner = frozen_pruner(prune_rate=0.0, fine_tune_epochs=3).fit(X_train, y_train)
    np.testing.assert_array_equal(
        pruner.predict_proba(X_test), fitted_net().predict_proba(X_test)
    )
    assert pruner.n_params_after_ == pruner.n_params_before_
    assert pruner.flops_after_ == pruner.flops_before_
    assert len(pruner.estimator_.history) == len(fitted_net().history)


def test_user_net_is_never_modified():
    X_train, X_test, y_train, _ = digits_unit_split()
    net = fitted_net()
    state, n_epochs = state_of(net.module_), len(net.history)
    proba = net.predict_proba(X_test)
    frozen_pruner(prune_rate=0.5, fine_tune_epochs=1).fit(X_train, y_train)
    for key, value in net.module_.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    assert len(net.history) == n_epochs
    np.testing.assert_array_equal(net.predict_proba(X_test), proba)
    unfitted = small_net(max_epochs=1)
    ConvPruner(unfitted, fine_tune_epochs=0).fit(X_train, y_train)
    assert not hasattr(unfitted, "module_")


def test_iterative_pruning_fine_tunes_every_round():
    X_train, X_test, y_train, y_test = digits_unit_split()
    torch.manual_seed(0)
    pruner = frozen_pruner(prune_rate=0.75, n_iterations=3, fine_tune_epochs=2).fit(
        X_train, y_train
    )
    assert pruner.layer_widths_ == {"features.0": (8, 2), "features.3": (16, 4)}
    assert len(pruner.estimator_.history) == len(fitted_net().history) + 3 * 2
    assert pruner.score(X_test, y_test) > 0.8


def test_verbose_prints_a_line_per_round(capsys):
    X_train, _, y_train, _ = digits_unit_split()
    frozen_pruner(prune_rate=0.5, n_iterations=2, verbose=1).fit(X_train, y_train)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[-1].startswith("[ConvPruner] pruned to rate 0.5: 12 filters left")


def test_learning_rate_sets_the_fine_tuning_rate():
    X_train, _, y_train, _ = digits_unit_split()
    pruner = frozen_pruner(learning_rate=0.003, fine_tune_epochs=1).fit(
        X_train, y_train
    )
    assert pruner.estimator_.optimizer_.param_groups[0]["lr"] == 0.003
    assert pruner.estimator_.lr == fitted_net().lr


def test_unfitted_net_is_fitted_then_pruned_and_regression_works():
    X_train, X_test, y_train, y_test = digits_unit_split()
    torch.manual_seed(0)
    net = NeuralNetRegressor(
        DigitsCNN,
        module__channels=(4, 8),
        module__n_classes=1,
        optimizer=torch.optim.Adam,
        lr=0.003,
        max_epochs=3,
        train_split=None,
        verbose=0,
    )

    def ink(images):  # a target the net learns in a few epochs, standardised
        return ((images.mean(axis=(1, 2, 3)) - 0.3) / 0.05).reshape(-1, 1)

    pruner = ConvPruner(net, prune_rate=0.5, fine_tune_epochs=2).fit(
        X_train, ink(X_train)
    )
    assert pruner.predict(X_test).shape == (len(X_test), 1)
    assert pruner.layer_widths_ == {"features.0": (4, 2), "features.3": (8, 4)}
    assert pruner.score(X_test, ink(X_test)) > 0.3


def test_int_random_state_makes_the_fit_repeatable_and_keeps_torch_state():
    X_train, X_test, y_train, _ = digits_unit_split()
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    pruners = [
        ConvPruner(small_net(max_epochs=1), fine_tune_epochs=1, random_state=0).fit(
            X_train, y_train
        )
        for _ in range(2)
    ]
    # (predicting draws from torch's generator: every DataLoader seeds itself)
    assert torch.equal(torch.random.get_rng_state(), state)
    np.testing.assert_array_equal(
        pruners[0].predict_proba(X_test), pruners[1].predict_proba(X_test)
    )


def test_grid_search_over_prune_rate_in_a_pipeline(tmp_path):
    X, y = load_digits(return_X_y=True)
    X, y = X[:600], y[:600]
    torch.manual_seed(0)
    pipeline = make_pipeline(
        FunctionTransformer(to_images),
        ConvPruner(small_net(max_epochs=3), fine_tune_epochs=1, memory=str(tmp_path)),
    )
    search = GridSearchCV(
        pipeline, {"convpruner__prune_rate": [0.0, 0.5, 0.75]}, cv=2
    ).fit(X, y)
    assert search.best_params_["convpruner__prune_rate"] in (0.0, 0.5, 0.75)
    assert search.cv_results_["mean_test_score"].min() > 0.5
    assert search.predict(X[:5]).shape == (5,)
    best = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(best.predict(X), search.predict(X))
    assert any(tmp_path.iterdir())  # the base nets were cached


class CountingNet(NeuralNetClassifier):
    """A skorch classifier that counts its fits (module-level: it is pickled)."""

    n_fits = 0

    def fit(self, X, y=None, **fit_params):
        type(self).n_fits += 1
        return super().fit(X, y, **fit_params)


def test_memory_fits_the_base_net_once_per_fold(tmp_path):
    X_train, _, y_train, _ = digits_unit_split()
    CountingNet.n_fits = 0
    net = CountingNet(
        DigitsCNN,
        module__channels=(4, 8),
        criterion=nn.CrossEntropyLoss,
        max_epochs=1,
        train_split=None,
        verbose=0,
    )
    pruner = ConvPruner(net, fine_tune_epochs=1, memory=str(tmp_path), random_state=0)
    GridSearchCV(pruner, {"prune_rate": [0.0, 0.5, 0.75]}, cv=2).fit(X_train, y_train)
    assert CountingNet.n_fits == 2 + 1  # one per fold, and the refit


# ----------------------------------------------------------------- bad input --


@pytest.mark.parametrize(
    "params, match",
    [
        ({"prune_rate": 1.0}, "prune_rate"),
        ({"prune_rate": -0.1}, "prune_rate"),
        ({"prune_rate": "most"}, "prune_rate"),
        ({"tol": -0.1}, "tol"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"method": "weight"}, "method"),
        ({"scope": "network"}, "scope"),
        ({"criterion": "random"}, "criterion"),
        ({"method": "filter", "criterion": "bn_scale"}, "does not apply"),
        ({"method": "channel", "criterion": "l1"}, "does not apply"),
        ({"fine_tune_epochs": -1}, "fine_tune_epochs"),
        ({"n_iterations": 0}, "n_iterations"),
        ({"learning_rate": 0.0}, "learning_rate"),
    ],
)
def test_invalid_parameters_are_named(params, match):
    X_train, _, y_train, _ = digits_unit_split()
    with pytest.raises(ValueError, match=match):
        frozen_pruner(**params).fit(X_train, y_train)


class ConcatHeight(nn.Module):
    """Concatenates two conv outputs along the height, not the channels."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 128, 10)

    def forward(self, X):
        x = torch.relu(self.conv1(X))
        return self.fc(torch.cat([x, self.conv2(x)], dim=2).flatten(1))


class Grouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.fc = nn.Linear(8 * 64, 10)

    def forward(self, X):
        return self.fc(self.grouped(self.conv1(X)).flatten(1))


class Reshaped(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 64, 10)

    def forward(self, X):
        x = self.conv(X)
        return self.fc(x.view(x.size(0), -1))


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 64, 10)

    def forward(self, X):
        x = self.conv(X)
        if x.sum() > 0:
            x = -x
        return self.fc(x.flatten(1))


class NoConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 10)

    def forward(self, X):
        return self.fc(X.flatten(1))


class ChannelScaled(nn.Module):
    """Multiplies its only convolution's output by a per-channel parameter."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.scale = nn.Parameter(torch.ones(1, 4, 1, 1))
        self.fc = nn.Linear(4 * 64, 10)

    def forward(self, X):
        return self.fc((self.conv(X) * self.scale).flatten(1))


class NoBatchNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 64, 10)

    def forward(self, X):
        return self.fc(torch.relu(self.conv(X)).flatten(1))


@pytest.mark.parametrize(
    "module, params, match",
    [
        (ConcatHeight, {}, r"cat.*'conv1', 'conv2'.*dim=2"),
        (Grouped, {}, "'grouped' has groups=2"),
        (Reshaped, {}, r"\.view\(\).*Conv2d 'conv'"),
        (DataDependent, {}, "cannot be traced"),
        (NoConv, {}, "no prunable Conv2d"),
        (
            ChannelScaled,
            {},
            "mul.*multiplies the output channels of 'conv' by the parameter 'scale'",
        ),
        (ConvHead, {"criterion": "reconstruction", "method": "channel"}, None),
        (NoBatchNorm, {"method": "channel"}, "'conv' has none"),
    ],
)
def test_unsupported_architectures_are_refused_by_name(module, params, match):
    X_train, _, y_train, _ = digits_unit_split()
    pruner = ConvPruner(small_net(module, max_epochs=1), fine_tune_epochs=0, **params)
    if match is None:  # supported: the conv whose channels are the output stays
        pruner.fit(X_train, y_train)
        assert pruner.layer_widths_ == {"conv1": (8, 4)}
        return
    with pytest.raises(ValueError, match=match):
        pruner.fit(X_train, y_train)
    assert not hasattr(pruner, "estimator_")


@pytest.mark.parametrize("max_fit_samples", [50, None])
def test_max_fit_samples_bounds_the_rows_the_criterion_sees(max_fit_samples):
    X_train, _, y_train, _ = digits_unit_split()
    seen = []

    def recording(module, X, y):
        seen.append(len(X))
        return {
            name: np.ones(m.out_channels)
            for name, m in module.named_modules()
            if isinstance(m, nn.Conv2d)
        }

    frozen_pruner(criterion=recording, max_fit_samples=max_fit_samples).fit(
        X_train, y_train
    )
    assert seen == [len(X_train) if max_fit_samples is None else 50]


def test_unsupported_estimator_unfitted_frozen_net_and_sample_weight():
    X_train, _, y_train, _ = digits_unit_split()
    with pytest.raises(TypeError, match="NeuralNetClassifier, NeuralNetRegressor"):
        ConvPruner(MLPClassifier()).fit(X_train.reshape(len(X_train), -1), y_train)
    with pytest.raises(NotFittedError, match="not fitted"):
        ConvPruner(FrozenEstimator(small_net())).fit(X_train, y_train)
    with pytest.raises(ValueError, match="sample_weight"):
        ConvPruner(small_net()).fit(
            X_train, y_train, sample_weight=np.ones(len(y_train))
        )
    with pytest.raises(ValueError, match="sample_weight"):
        frozen_pruner().fit(X_train, y_train, sample_weight=np.ones(len(y_train)))
    with pytest.raises(NotFittedError):
        ConvPruner(small_net()).predict(X_train)


def test_clone_and_params():
    pruner = ConvPruner(small_net(), method="channel", prune_rate=0.3)
    cloned = clone(pruner)
    assert cloned.get_params()["method"] == "channel"
    assert cloned.get_params()["estimator__module__channels"] == (8, 16)
    assert math.isclose(cloned.prune_rate, 0.3)


# ------------------------------------------------------ scikit-learn checks --


class TabularCNN(nn.Module):
    """A CNN over the columns of a table: the shape the common checks feed.

    ``(n, n_features)`` float64 -> ``(n, 1, n_features, 1)`` float32 images;
    global pooling makes the head independent of ``n_features``. One output
    is returned as a 1-d tensor, as 1-d regression targets are.
    """

    def __init__(self, n_outputs=3):
        super().__init__()
        self.n_outputs = n_outputs
        self.conv1 = nn.Conv2d(1, 4, (3, 1), padding=(1, 0))
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, (3, 1), padding=(1, 0))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, n_outputs)

    def forward(self, X):
        x = X.float().unsqueeze(1).unsqueeze(-1)
        x = torch.relu(self.bn(self.conv1(x)))
        out = self.fc(self.pool(torch.relu(self.conv2(x))).flatten(1))
        return out.squeeze(-1) if self.n_outputs == 1 else out


CHECKED_PRUNERS = [
    ConvPruner(
        NeuralNetClassifier(
            TabularCNN,
            criterion=nn.CrossEntropyLoss,
            max_epochs=3,
            train_split=None,
            verbose=0,
        ),
        fine_tune_epochs=1,
        random_state=0,
    ),
    ConvPruner(
        NeuralNetRegressor(
            TabularCNN,
            module__n_outputs=1,
            max_epochs=3,
            train_split=None,
            verbose=0,
        ),
        method="channel",
        criterion="reconstruction",
        fine_tune_epochs=1,
        random_state=0,
    ),
]

# ConvPruner validates its own parameters and leaves the data to the wrapped
# net, as every pruner does. skorch nets pass X and y to torch as they are,
# without scikit-learn's validation, so the checks of that validation fail
# for skorch itself; they are listed here, each with its reason.
_SKORCH_DOES_NOT_VALIDATE = (
    "skorch passes the data to torch without scikit-learn's input validation "
    "(no check_array): its error is torch's, not the one the check expects"
)
_NO_SAMPLE_WEIGHT = "skorch's fit takes no sample_weight, and neither does ConvPruner"
_NO_N_FEATURES_IN = "skorch nets do not record n_features_in_"
_SKORCH_LABELS = (
    "skorch classifiers need integer class indices 0..n_classes-1 as targets "
    "(no label encoding) and a module with as many outputs as classes"
)
_SKORCH_LIST_INPUT = (
    "skorch reads a list X as several inputs (its convention for modules with "
    "several arguments), not as rows"
)
_SKORCH_REGRESSOR_PROBA = (
    "skorch's NeuralNetRegressor has predict_proba (from NeuralNet), and a "
    "pruner offers the methods of the net it wraps"
)
_SKORCH_NO_COLUMN_WARNING = (
    "skorch regressors take (n_samples, 1) targets without the "
    "DataConversionWarning the check expects"
)
_COMMON_FAILURES = {
    "check_n_features_in": _NO_N_FEATURES_IN,
    "check_n_features_in_after_fitting": _NO_N_FEATURES_IN,
    "check_sample_weights_pandas_series": _NO_SAMPLE_WEIGHT,
    "check_sample_weights_not_an_array": _NO_SAMPLE_WEIGHT,
    "check_sample_weights_list": _NO_SAMPLE_WEIGHT,
    "check_all_zero_sample_weights_error": _NO_SAMPLE_WEIGHT,
    "check_sample_weights_shape": _NO_SAMPLE_WEIGHT,
    "check_sample_weights_not_overwritten": _NO_SAMPLE_WEIGHT,
    "check_sample_weight_equivalence_on_dense_data": _NO_SAMPLE_WEIGHT,
    "check_complex_data": _SKORCH_DOES_NOT_VALIDATE,
    "check_dtype_object": _SKORCH_DOES_NOT_VALIDATE,
    "check_estimators_empty_data_messages": _SKORCH_DOES_NOT_VALIDATE,
    "check_estimators_nan_inf": _SKORCH_DOES_NOT_VALIDATE,
    "check_estimator_sparse_tag": _SKORCH_DOES_NOT_VALIDATE,
    "check_estimator_sparse_array": _SKORCH_DOES_NOT_VALIDATE,
    "check_fit1d": _SKORCH_DOES_NOT_VALIDATE,
    "check_fit2d_predict1d": _SKORCH_DOES_NOT_VALIDATE,
}
_CLASSIFIER_FAILURES = {
    "check_classifier_data_not_an_array": _SKORCH_DOES_NOT_VALIDATE,
    # A regressor raises on sparse input; a classifier fails with torch's error.
    "check_estimator_sparse_matrix": _SKORCH_DOES_NOT_VALIDATE,
    "check_classifiers_one_label": _SKORCH_LABELS,
    "check_classifiers_one_label_sample_weights": _SKORCH_LABELS,
    "check_classifiers_classes": _SKORCH_LABELS,
    "check_classifiers_train": _SKORCH_LIST_INPUT,
    "check_classifiers_regression_target": _SKORCH_LABELS,
    "check_supervised_y_no_nan": _SKORCH_DOES_NOT_VALIDATE,
    "check_supervised_y_2d": _SKORCH_LABELS,
}
_REGRESSOR_FAILURES = {
    "check_regressors_train": _SKORCH_LIST_INPUT,
    "check_regressor_data_not_an_array": _SKORCH_DOES_NOT_VALIDATE,
    "check_regressors_no_decision_function": _SKORCH_REGRESSOR_PROBA,
    "check_supervised_y_2d": _SKORCH_NO_COLUMN_WARNING,
}


def _expected_failed_checks(pruner):
    specific = (
        _CLASSIFIER_FAILURES
        if isinstance(pruner.estimator, NeuralNetClassifier)
        else _REGRESSOR_FAILURES
    )
    return {**_COMMON_FAILURES, **specific}


@parametrize_with_checks(
    CHECKED_PRUNERS, expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
