"""The demo behind ``python -m skprune``: every pruner on bundled data."""

import argparse
import sys
import time
import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from ._optional import TORCH_INSTALL_COMMAND, torch_extra_installed
from .neural_network import MLPPruner
from .svm import SVMPruner
from .tree import TreePruner


def predict_seconds(estimator, X, repeats=3):
    """Best-of-``repeats`` wall time of ``estimator.predict(X)``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        estimator.predict(X)
        best = min(best, time.perf_counter() - start)
    return best


class Timer:
    """Predict time of pruned models relative to one unpruned model.

    The two are timed in turn, ``rounds`` rounds of 3 calls each, and the
    fastest call of each kept: a load spike on a shared machine then hits
    both alike, and only one of the many calls has to run undisturbed.
    """

    calls_per_round = 3

    def __init__(self, unpruned, X_timing, rounds=5):
        self.unpruned = unpruned
        self.X_timing = X_timing
        self.rounds = rounds

    def ratio(self, estimator):
        pruned_best = unpruned_best = float("inf")
        for _ in range(self.rounds):
            unpruned_best = min(
                unpruned_best,
                predict_seconds(self.unpruned, self.X_timing, self.calls_per_round),
            )
            pruned_best = min(
                pruned_best,
                predict_seconds(estimator, self.X_timing, self.calls_per_round),
            )
        return pruned_best / unpruned_best


def timing_rows(data, repeat):
    """The test rows repeated, so that the models' own work dominates."""
    return np.concatenate([data[1]] * repeat)


class Demo:
    """Settings of one demo run, and its progress lines.

    Parameters
    ----------
    quick : bool
        Fewer prune rates and a shorter CNN training.

    rounds : int
        Timing rounds (see :class:`Timer`).

    out : file object
        Where the tables and progress lines go.
    """

    def __init__(self, quick=False, rounds=5, out=None):
        self.quick = quick
        self.rounds = rounds
        self.out = sys.stdout if out is None else out

    def rates(self, full, quick):
        return quick if self.quick else full

    def timer(self, unpruned, X_timing):
        return Timer(unpruned, X_timing, rounds=self.rounds)

    def say(self, message):
        print(message, file=self.out, flush=True)

    @contextmanager
    def step(self, what):
        """Print ``what``, then how long it took, on one progress line."""
        print(f"  {what} ...", end="", file=self.out, flush=True)
        start = time.perf_counter()
        yield
        print(f" {time.perf_counter() - start:.2f} s", file=self.out, flush=True)


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


def prune_and_time(demo, rows, label, pruner, fit_data, row_args):
    """Fit ``pruner`` on ``fit_data``, time it, and append its table row."""
    method, rate = label
    with demo.step(f"{method} prune_rate={rate}: prune and time"):
        pruner.fit(*fit_data)
        rows.append(pruned_row(method, rate, pruner=pruner, **row_args))


def tree_rows(data, demo):
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
    with demo.step("growing the unpruned trees"):
        setups = {
            "cost_complexity": (clone(base).fit(X_train, y_train), X_train, y_train),
            "reduced_error": (clone(base).fit(X_grow, y_grow), X_prune, y_prune),
        }
    rows = []
    for method, (unpruned, X_fit, y_fit) in setups.items():
        # A tree predicts in microseconds: many rows, or the ratio is noise.
        row_args = dict(unpruned=unpruned, data=data)
        row_args["timer"] = demo.timer(unpruned, timing_rows(data, 50))
        for rate in demo.rates((0.0, 0.5, 0.8, 0.9, "auto"), (0.0, 0.8, "auto")):
            if method == "cost_complexity" and rate == "auto":
                pruner = TreePruner(base, prune_rate=rate)
            else:
                pruner = TreePruner(
                    FrozenEstimator(unpruned), method=method, prune_rate=rate
                )
            prune_and_time(demo, rows, (method, rate), pruner, (X_fit, y_fit), row_args)
    return rows


def _demo_forest(data, demo):
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
    with demo.step("fitting RandomForestClassifier(100)"):
        # prune_rate=0 with a leaf method: the fitted forest itself, now cached.
        unpruned = ForestPruner(
            forest, method="cost_complexity", prune_rate=0.0, memory=cache
        )
        unpruned = unpruned.fit(X_train, y_train).estimator_
    row_args = dict(unpruned=unpruned, data=data)
    row_args["timer"] = demo.timer(unpruned, timing_rows(data, 5))
    rows = []
    select_rates = demo.rates((0.5, 0.8, "auto"), (0.8,))
    for method, rates in (("select", select_rates), ("cost_complexity", (0.5,))):
        for rate in rates:
            pruner = ForestPruner(forest, method=method, prune_rate=rate, memory=cache)
            label = (method, rate)
            prune_and_time(demo, rows, label, pruner, (X_train, y_train), row_args)
    return rows


def svm_rows(data, demo):
    """One RBF SVC, reduced to fewer support vectors at every rate."""
    X_train, _, y_train, _ = data
    with demo.step("fitting SVC()"):
        unpruned = SVC().fit(X_train, y_train)
    row_args = dict(unpruned=unpruned, data=data)
    row_args["timer"] = demo.timer(unpruned, timing_rows(data, 5))
    rows = []
    for rate in demo.rates((0.0, 0.5, 0.8, 0.9), (0.0, 0.8)):
        pruner = SVMPruner(FrozenEstimator(unpruned), prune_rate=rate, random_state=0)
        label = ("dual_coef", rate)
        prune_and_time(demo, rows, label, pruner, (X_train, y_train), row_args)
    return rows


def mlp_rows(data, demo):
    """One MLP, pruned by hidden units and by weights, then fine-tuned."""
    X_train, _, y_train, _ = data
    with warnings.catch_warnings(), demo.step("training MLPClassifier((128, 128))"):
        # The demo trains briefly; convergence is not the point.
        warnings.simplefilter("ignore", ConvergenceWarning)
        unpruned = MLPClassifier((128, 128), max_iter=200, random_state=0)
        unpruned.fit(X_train, y_train)
    # Many rows: a small network's predict is otherwise mostly call overhead.
    row_args = dict(unpruned=unpruned, data=data)
    row_args["timer"] = demo.timer(unpruned, timing_rows(data, 40))
    rows = []
    neuron_rates = demo.rates((0.0, 0.5, 0.75, 0.9), (0.0, 0.75))
    for method, rates in (("neuron", neuron_rates), ("weight", (0.9,))):
        for rate in rates:
            pruner = MLPPruner(
                FrozenEstimator(unpruned),
                method=method,
                prune_rate=rate,
                random_state=0,
            )
            label = (method, rate)
            prune_and_time(demo, rows, label, pruner, (X_train, y_train), row_args)
    return rows


def _as_images(X):
    """Rows of 64 pixels in [0, 1] as the float32 8x8 images a CNN takes."""
    return X.astype(np.float32).reshape(-1, 1, 8, 8)


def cnn_rows(data, demo):
    """A small skorch CNN, its filters removed and fine-tuned (torch extra)."""
    import torch
    from skorch import NeuralNetClassifier

    from .torch import ConvPruner, DigitsCNN

    X_train, X_test, y_train, y_test = data
    images = (_as_images(X_train), _as_images(X_test), y_train, y_test)
    torch.manual_seed(0)
    epochs = demo.rates(15, 5)
    with demo.step(f"training DigitsCNN for {epochs} epochs"):
        unpruned = NeuralNetClassifier(
            DigitsCNN,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=0.003,
            max_epochs=epochs,
            batch_size=256,
            train_split=None,
            verbose=0,
        ).fit(images[0], y_train)
    row_args = dict(unpruned=unpruned, data=images)
    row_args["timer"] = demo.timer(unpruned, timing_rows(images, 10))
    rows = []
    for rate in demo.rates((0.0, 0.5, 0.75), (0.0, 0.5)):
        pruner = ConvPruner(
            FrozenEstimator(unpruned),
            prune_rate=rate,
            fine_tune_epochs=demo.rates(5, 2),
            random_state=0,
        )
        label = ("filter (l1)", rate)
        prune_and_time(demo, rows, label, pruner, (images[0], y_train), row_args)
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


# family -> (title, rows function, note printed under the table)
SECTIONS = {
    "tree": (
        "TreePruner(DecisionTreeClassifier(random_state=0)); units = leaves",
        tree_rows,
        "reduced_error grows its tree on 75% of the training data and prunes on "
        "the rest. A tree's predict time follows its depth and scikit-learn's "
        "input checks, so pruning shrinks a tree more than it speeds it up.",
    ),
    "forest": (
        "ForestPruner(RandomForestClassifier(100)); units = trees (select) or "
        "leaves (cost_complexity)",
        _demo_forest,
        "select keeps the trees whose average errs least on the out-of-bag rows "
        "(ordered aggregation): fewer trees predict proportionally faster. "
        "cost_complexity halves every tree's leaves: smaller, barely faster.",
    ),
    "svm": (
        "SVMPruner(SVC()); units = support vectors",
        svm_rows,
        "The kept vectors' coefficients are re-solved to match the unpruned "
        "decision function; predict time falls with the number of vectors.",
    ),
    "mlp": (
        "MLPPruner(MLPClassifier((128, 128))); units = hidden units (neuron) "
        "or weights (weight)",
        mlp_rows,
        "Neuron pruning makes the layers narrower (faster); weight pruning zeroes "
        "weights in arrays of the same shape (smaller when stored sparse, not "
        "faster). Both are fine-tuned after pruning.",
    ),
    "cnn": (
        "ConvPruner(skorch NeuralNetClassifier(DigitsCNN)); units = conv filters",
        cnn_rows,
        "Filters are removed from every Conv2d, and the layers rebuilt smaller "
        "(with their BatchNorm and the Linear head); the net is then fine-tuned. "
        "Predict goes through skorch, whose per-batch overhead caps the speed-up.",
    ),
}

# Families whose section needs an optional extra.
NEEDS_TORCH = {"cnn"}

TORCH_HINT = (
    "CNN filter pruning (skprune.torch.ConvPruner) needs the optional torch "
    f"extra: {TORCH_INSTALL_COMMAND} (from a clone); it is then shown here too."
)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m skprune",
        description=(
            "Prune trees, an SVM, an MLP and (with the torch extra) a CNN on "
            "scikit-learn's digits data, and print size, test accuracy and "
            "predict time before and after."
        ),
    )
    parser.add_argument(
        "families",
        nargs="*",
        metavar="FAMILY",
        help=f"families to show, among {', '.join(SECTIONS)} (default: all "
        "that are installed)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer prune rates and a shorter CNN training (about a third of the time)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="timing rounds: each model is called 3 times a round, pruned and "
        "unpruned in turn, and the fastest call kept (default: 5)",
    )
    args = parser.parse_args(argv)
    unknown = [f for f in args.families if f not in SECTIONS]
    if unknown:
        parser.error(
            f"unknown family {unknown[0]!r}; choose from {', '.join(SECTIONS)}"
        )
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv=None):
    """Run the demo; ``argv`` as on the command line (default: ``sys.argv``)."""
    args = parse_args(argv)
    torch_ok = torch_extra_installed()
    families = list(args.families) or [
        f for f in SECTIONS if f not in NEEDS_TORCH or torch_ok
    ]
    if not torch_ok and NEEDS_TORCH & set(args.families):
        print(TORCH_HINT, file=sys.stderr)
        return 2
    demo = Demo(quick=args.quick, rounds=args.rounds)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities to [0, 1], as SVMs and MLPs need
    data = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    demo.say("skprune demo: load_digits (1797 samples, 64 features, 10 classes)")
    demo.say(
        "Accuracy is on a 30% test split; predict_time_ratio is pruned / "
        "unpruned time (below 1 is faster), the fastest of "
        f"{args.rounds * Timer.calls_per_round} calls each, timed in turn."
    )
    for family in families:
        title, make_rows, note = SECTIONS[family]
        demo.say(f"\n{title}")
        rows = make_rows(data, demo)
        demo.say(format_table(rows))
        demo.say(note)
    if not torch_ok and not args.families:
        demo.say("\n" + TORCH_HINT)
    return 0
