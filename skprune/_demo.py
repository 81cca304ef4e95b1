"""The demo behind ``python -m skprune``: every pruner on bundled data."""

import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from ._optional import torch_extra_installed
from .neural_network import MLPPruner
from .svm import SVMPruner
from .tree import TreePruner


def predict_seconds(estimator, X, repeats=7):
    """Best-of-``repeats`` wall time of ``estimator.predict(X)``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        estimator.predict(X)
        best = min(best, time.perf_counter() - start)
    return best


class Timer:
    """Predict time of pruned models relative to one unpruned model.

    The two are timed in turn, best of several rounds each, so that a load
    spike on a shared machine hits both alike.
    """

    def __init__(self, unpruned, X_timing, rounds=3):
        self.unpruned = unpruned
        self.X_timing = X_timing
        self.rounds = rounds

    def ratio(self, estimator):
        pruned_best = unpruned_best = float("inf")
        for _ in range(self.rounds):
            unpruned_best = min(
                unpruned_best, predict_seconds(self.unpruned, self.X_timing, 3)
            )
            pruned_best = min(pruned_best, predict_seconds(estimator, self.X_timing, 3))
        return pruned_best / unpruned_best


def timing_rows(data, repeat):
    """The test rows repeated, so that the models' own work dominates."""
    return np.concatenate([data[1]] * repeat)


def pruned_row(method, rate, unpruned, pruner, data, timer):
    """One table row: sizes, accuracies and predict-time ratio of a pruner."""
    _, X_test, _, y_test = data
    return {
        "method": method,
        "prune_rate": rate,
        "units": f"{pruner.n_units_before_} -> {pruner.n_units_after_}",
        "params": f"{pruner.n_params_before_} -> {pruner.n_params_after_}",
        "accuracy": f"{unpruned.score(X_test, y_test):.3f} -> "
        f"{pruner.score(X_test, y_test):.3f}",
        "predict_time_ratio": timer.ratio(pruner.estimator_),
    }


def tree_rows(data):
    """Each method's tree is grown once and pruned at every rate.

    Reduced-error pruning grows its tree on 75% of the training data and
    prunes on the rest. Cost-complexity ``"auto"`` refits: its
    cross-validation needs one tree per fold.
    """
    X_train, _, y_train, _ = data
    base = DecisionTreeClassifier(random_state=0)
    X_grow, X_prune, y_grow, y_prune = train_test_split(
        X_train, y_train, test_size=0.25, random_state=0, stratify=y_train
    )
    setups = {
        "cost_complexity": (clone(base).fit(X_train, y_train), X_train, y_train),
        "reduced_error": (clone(base).fit(X_grow, y_grow), X_prune, y_prune),
    }
    rows = []
    for method, (unpruned, X_fit, y_fit) in setups.items():
        timer = Timer(unpruned, timing_rows(data, 10))
        for rate in (0.0, 0.5, 0.8, 0.9, "auto"):
            if method == "cost_complexity" and rate == "auto":
                pruner = TreePruner(base, prune_rate=rate)
            else:
                pruner = TreePruner(
                    FrozenEstimator(unpruned), method=method, prune_rate=rate
                )
            pruner.fit(X_fit, y_fit)
            rows.append(pruned_row(method, rate, unpruned, pruner, data, timer))
    return rows


def _demo_forest(data):
    """One random forest: its best trees kept, or every tree pruned.

    The forest is fitted once (kept in an in-memory cache) and every pruner
    judges its trees on their out-of-bag rows.
    """
    from sklearn.ensemble import RandomForestClassifier

    from .ensemble import ForestPruner
    from .model_selection import InMemoryCache

    X_train, _, y_train, _ = data
    forest = RandomForestClassifier(n_estimators=100, random_state=0)
    cache = InMemoryCache()
    # prune_rate=0 with a leaf method: the fitted forest itself, now cached.
    unpruned = ForestPruner(
        forest, method="cost_complexity", prune_rate=0.0, memory=cache
    )
    unpruned = unpruned.fit(X_train, y_train).estimator_
    timer = Timer(unpruned, timing_rows(data, 5))
    rows = []
    for method, rates in (("select", (0.5, 0.8, "auto")), ("cost_complexity", (0.5,))):
        for rate in rates:
            pruner = ForestPruner(forest, method=method, prune_rate=rate, memory=cache)
            pruner.fit(X_train, y_train)
            rows.append(pruned_row(method, rate, unpruned, pruner, data, timer))
    return rows


def svm_rows(data):
    """One RBF SVC, reduced to fewer support vectors at every rate."""
    X_train, _, y_train, _ = data
    unpruned = SVC().fit(X_train, y_train)
    timer = Timer(unpruned, timing_rows(data, 5))
    rows = []
    for rate in (0.0, 0.5, 0.8, 0.9):
        pruner = SVMPruner(FrozenEstimator(unpruned), prune_rate=rate, random_state=0)
        pruner.fit(X_train, y_train)
        rows.append(pruned_row("dual_coef", rate, unpruned, pruner, data, timer))
    return rows


def mlp_rows(data):
    """One MLP, pruned by hidden units and by weights, then fine-tuned."""
    X_train, _, y_train, _ = data
    with warnings.catch_warnings():
        # The demo trains briefly; convergence is not the point.
        warnings.simplefilter("ignore", ConvergenceWarning)
        unpruned = MLPClassifier((128, 128), max_iter=200, random_state=0)
        unpruned.fit(X_train, y_train)
    # Many rows: a small network's predict is otherwise mostly call overhead.
    timer = Timer(unpruned, timing_rows(data, 40))
    rows = []
    for method, rates in (("neuron", (0.0, 0.5, 0.75, 0.9)), ("weight", (0.9,))):
        for rate in rates:
            pruner = MLPPruner(
                FrozenEstimator(unpruned),
                method=method,
                prune_rate=rate,
                random_state=0,
            )
            pruner.fit(X_train, y_train)
            rows.append(pruned_row(method, rate, unpruned, pruner, data, timer))
    return rows


def _as_images(X):
    """Rows of 64 pixels in [0, 1] as the float32 8x8 images a CNN takes."""
    return X.astype(np.float32).reshape(-1, 1, 8, 8)


def cnn_rows(data):
    """A small skorch CNN, its filters removed and fine-tuned (torch extra)."""
    import torch
    from skorch import NeuralNetClassifier

    from .torch import ConvPruner, DigitsCNN

    X_train, X_test, y_train, y_test = data
    images = (_as_images(X_train), _as_images(X_test), y_train, y_test)
    torch.manual_seed(0)
    unpruned = NeuralNetClassifier(
        DigitsCNN,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.003,
        max_epochs=15,
        batch_size=256,
        train_split=None,
        verbose=0,
    ).fit(images[0], y_train)
    timer = Timer(unpruned, timing_rows(images, 10))
    rows = []
    for rate in (0.0, 0.5, 0.75):
        pruner = ConvPruner(
            FrozenEstimator(unpruned),
            prune_rate=rate,
            fine_tune_epochs=5,
            random_state=0,
        )
        pruner.fit(images[0], y_train)
        rows.append(pruned_row("filter (l1)", rate, unpruned, pruner, images, timer))
    return rows


def format_table(rows):
    """A plain-text table of ``rows`` (a list of dicts with the same keys)."""
    columns = list(rows[0])
    cells = [
        [f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        for row in rows
    ]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells
    ]
    return "\n".join(lines)


SECTIONS = (
    (
        "TreePruner(DecisionTreeClassifier(random_state=0)); units = leaves",
        tree_rows,
        "reduced_error grows its tree on 75% of the training data and prunes on "
        "the rest. A tree's predict time follows its depth and scikit-learn's "
        "input checks, so pruning shrinks a tree more than it speeds it up.",
    ),
    (
        "ForestPruner(RandomForestClassifier(100)); units = trees (select) or "
        "leaves (cost_complexity)",
        _demo_forest,
        "select keeps the trees whose average errs least on the out-of-bag rows "
        "(ordered aggregation): fewer trees predict proportionally faster. "
        "cost_complexity halves every tree's leaves: smaller, barely faster.",
    ),
    (
        "SVMPruner(SVC()); units = support vectors",
        svm_rows,
        "The kept vectors' coefficients are re-solved to match the unpruned "
        "decision function; predict time falls with the number of vectors.",
    ),
    (
        "MLPPruner(MLPClassifier((128, 128))); units = hidden units (neuron) "
        "or weights (weight)",
        mlp_rows,
        "Neuron pruning makes the layers narrower (faster); weight pruning zeroes "
        "weights in arrays of the same shape (smaller when stored sparse, not "
        "faster). Both are fine-tuned after pruning.",
    ),
)

CNN_SECTION = (
    "ConvPruner(skorch NeuralNetClassifier(DigitsCNN)); units = conv filters",
    cnn_rows,
    "Filters are removed from every Conv2d, and the layers rebuilt smaller "
    "(with their BatchNorm and the Linear head); the net is then fine-tuned. "
    "Predict goes through skorch, whose per-batch overhead caps the speed-up.",
)


def main():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities to [0, 1], as SVMs and MLPs need
    data = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    print("skprune demo: load_digits (1797 samples, 64 features, 10 classes)")
    print(
        "Accuracy is on a 30% test split; predict_time_ratio is pruned / "
        "unpruned (below 1 is faster)."
    )
    sections = SECTIONS + ((CNN_SECTION,) if torch_extra_installed() else ())
    for title, make_rows, note in sections:
        print(f"\n{title}")
        print(format_table(make_rows(data)))
        print(note)
    if not torch_extra_installed():
        print(
            "\nCNN filter pruning (skprune.torch.ConvPruner) needs the optional "
            'torch extra, pip install "skprune[torch]"; it is then shown here too.'
        )
