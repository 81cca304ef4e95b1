# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # CNNs: filter pruning against a narrower network from scratch
#
# `ConvPruner` (in the optional `torch` extra: PyTorch and skorch) removes
# whole filters from the convolutions of a skorch CNN and rebuilds the layers
# smaller, then fine-tunes. This notebook prunes `DigitsCNN(32, 64)` on
# scikit-learn's digits (8x8 images) at several rates and compares it with the
# same class at the pruned widths trained from scratch with the unpruned
# network's settings. Set `QUICK = True` (or `SKPRUNE_NOTEBOOK_QUICK=1`) for a
# short run.

# %%
import os
import timeit

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split

try:
    import torch
    from skorch import NeuralNetClassifier

    from skprune.torch import ConvPruner, DigitsCNN
except ImportError as error:
    raise ImportError(
        "This notebook needs the optional torch extra (PyTorch and skorch); "
        "see the installation page of the documentation."
    ) from error

QUICK = bool(os.environ.get("SKPRUNE_NOTEBOOK_QUICK"))
EPOCHS = 5 if QUICK else 30
FINE_TUNE_EPOCHS = 2 if QUICK else 10
RATES = [0.25, 0.5, 0.75]
torch.set_num_threads(1)  # small images: more threads mostly wait

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_batch = torch.from_numpy(np.concatenate([X_test] * 2))


def make_net(channels=(32, 64)):
    return NeuralNetClassifier(
        DigitsCNN,
        module__channels=channels,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.003,
        max_epochs=EPOCHS,
        batch_size=128,
        train_split=None,
        verbose=0,
    )


def forward_speed_up(reference, model, rounds=5):
    """Forward-pass time of ``reference`` over that of ``model`` on one batch:
    the fastest of each, timed in turn for ``rounds`` rounds."""
    modules = [reference.module_.eval(), model.module_.eval()]
    best = [np.inf, np.inf]
    with torch.no_grad():
        for _ in range(rounds):
            for i, module in enumerate(modules):
                seconds = timeit.timeit(lambda m=module: m(X_batch), number=3) / 3
                best[i] = min(best[i], seconds)
    return best[0] / best[1]


torch.manual_seed(0)
net = make_net().fit(X_train, y_train)
print(f"unpruned DigitsCNN(32, 64): test accuracy {net.score(X_test, y_test):.3f}")

# %% [markdown]
# ## Pruned, and from scratch

# %%
rows = []
for rate in RATES:
    pruner = ConvPruner(
        FrozenEstimator(net),
        prune_rate=rate,
        fine_tune_epochs=FINE_TUNE_EPOCHS,
        random_state=0,
    ).fit(X_train, y_train)
    widths = tuple(after for _, after in pruner.layer_widths_.values())
    torch.manual_seed(0)
    scratch = clone(make_net(widths)).fit(X_train, y_train)
    for name, model in (
        ("filter pruning", pruner.estimator_),
        ("from scratch", scratch),
    ):
        rows.append(
            {
                "model": name,
                "prune_rate": rate,
                "filters": widths,
                "parameters": sum(p.numel() for p in model.module_.parameters()),
                "test accuracy": model.score(X_test, y_test),
                "forward speed-up": forward_speed_up(net, model),
            }
        )
table = pd.DataFrame(rows)
table.round(3)

# %% [markdown]
# ## Accuracy against size and against forward time

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
for name, group in table.groupby("model", sort=False):
    left.plot(group["parameters"], group["test accuracy"], "o-", label=name)
    right.plot(group["forward speed-up"], group["test accuracy"], "o-", label=name)
for ax in (left, right):
    ax.axhline(net.score(X_test, y_test), color="grey", ls=":", label="unpruned")
    ax.set_ylabel("test accuracy")
    ax.legend()
left.set(xscale="log", xlabel="parameters")
right.set(xlabel="forward-pass speed-up over the unpruned network")
plt.show()
