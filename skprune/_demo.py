"""The demo behind ``python -m skprune``: every pruner on bundled data.

Every model and pruner is seeded, so two runs print the same tables except
the figures that carry a time unit (``s``, or ``x`` for a ratio of times).
What is timed, and how often, is printed in the header.
"""

import argparse
import sys
import textwrap
import time
import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

# threadpoolctl is a dependency of scikit-learn itself.
from threadpoolctl import threadpool_limits

from ._optional import TORCH_INSTALL_COMMAND, torch_extra_installed
from .neural_network import MLPPruner
from .svm import SVMPruner
from .tree import TreePruner

# Each model is called this many times per timing round; the fastest call counts.
CALLS_PER_ROUND = 3

# A speed-up closer to 1 than this factor is within what timing one model
# twice gives on a busy machine: it is printed as "~1x", not as a result.
NOISE_BAND = 1.25

# A row that loses more test accuracy than this is marked, and its method's
# explanation printed under the table.
NOTABLE_LOSS = 0.01
LOSS_MARK = " *"


def fastest_call(predict, X, calls):
    """Wall time of the fastest of ``calls`` calls of ``predict(X)``."""
    best = float("inf")
    for _ in range(calls):
        start = time.perf_counter()
        predict(X)
        best = min(best, time.perf_counter() - start)
    return best


class PredictTimer:
    """Speed-ups of predict functions over a reference model's ``predict``.

    The reference and the candidates are timed in turn, ``rounds`` rounds of
    :data:`CALLS_PER_ROUND` calls each, and the fastest call of each kept: a
    load spike on a shared machine then hits all alike, and only one of the
    many calls has to run undisturbed.
    """

    def __init__(self, reference, X_timing, rounds):
        self.reference = reference
        self.X_timing = X_timing
        self.rounds = rounds

    def speedups(self, predicts):
        """Reference time over each of ``predicts``' time (above 1 is faster)."""
        calls = [self.reference.predict, *predicts]
        best = [float("inf")] * len(calls)
        for _ in range(self.rounds):
            for i, predict in enumerate(calls):
                seconds = fastest_call(predict, self.X_timing, CALLS_PER_ROUND)
                best[i] = min(best[i], seconds)
        return [best[0] / seconds for seconds in best[1:]]


def timed(func, *args):
    """``func(*args)`` and its wall time in seconds."""
    start = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - start


def format_speedup(speedup):
    """``"4.8x"``, or ``"~1x"`` where the ratio is within timing noise."""
    if 1 / NOISE_BAND < speedup < NOISE_BAND:
        return "~1x"
    return f"{speedup:.1f}x"


def format_cost(prune_seconds, fit_seconds):
    """Pruning time in fits of the unpruned model, e.g. ``"0.05x fit"``."""
    return f"{prune_seconds / fit_seconds:.2f}x fit"


class Baseline:
    """An unpruned model, its fit time, test accuracy and predict timer.

    Parameters
    ----------
    model : estimator
        The fitted unpruned model.

    fit_seconds : float
        Wall time of its fit: the unit of the pruners' cost.

    data : tuple
        ``(X_train, X_test, y_train, y_test)``.

    timer : PredictTimer
        Times predict functions against ``model.predict``.
    """

    def __init__(self, model, fit_seconds, data, timer):
        self.model = model
        self.fit_seconds = fit_seconds
        self.data = data
        self.timer = timer
        self.accuracy = model.score(data[1], data[3])


def estimator_predict(pruner):
    """The pruned native model's own ``predict``."""
    return pruner.estimator_.predict


# column -> how to get the pruned predict function from a fitted pruner
DEFAULT_SPEED_COLUMNS = {"predict speed-up": estimator_predict}


class Demo:
    """Settings of one demo run, its progress lines and its tables.

    Parameters
    ----------
    quick : bool
        Fewer prune rates, shorter trainings and fewer timing rounds.

    rounds : int
        Timing rounds (see :class:`PredictTimer`).

    out : file object
        Where the tables and progress lines go.
    """

    def __init__(self, quick=False, rounds=5, out=None):
        self.quick = quick
        self.rounds = rounds
        self.out = sys.stdout if out is None else out

    def rates(self, full, quick):
        """``quick`` under ``--quick``, else ``full``."""
        return quick if self.quick else full

    def say(self, message):
        print(message, file=self.out, flush=True)

    def say_paragraph(self, text):
        """``text`` wrapped to a terminal's width, continued lines indented."""
        self.say(textwrap.fill(text, width=88, subsequent_indent="  "))

    @contextmanager
    def step(self, what):
        """Print ``what``, then how long it took, on one progress line."""
        print(f"  {what} ...", end="", file=self.out, flush=True)
        start = time.perf_counter()
        yield
        print(f" {time.perf_counter() - start:.2f} s", file=self.out, flush=True)

    def baseline(self, name, estimator, fit_data, data, timing_repeat):
        """Fit ``estimator`` (timed) and wrap it as a :class:`Baseline`.

        The test rows are repeated ``timing_repeat`` times for the predict
        timings, so that the models' own work dominates the call overhead.
        """
        with self.step(f"fitting the unpruned {name}"):
            model, fit_seconds = timed(estimator.fit, *fit_data)
        X_timing = np.concatenate([data[1]] * timing_repeat)
        return Baseline(
            model, fit_seconds, data, PredictTimer(model, X_timing, self.rounds)
        )

    def prune_row(self, label, pruner, fit_data, baseline, speed_columns=None):
        """Fit ``pruner`` (timed alone), time its predict, return its table row."""
        speed_columns = speed_columns or DEFAULT_SPEED_COLUMNS
        method, rate = label
        _, prune_seconds = timed(pruner.fit, *fit_data)
        with self.step(
            f"{method} prune_rate={rate}: pruned in {prune_seconds:.3f} s; "
            "timing predict"
        ):
            speeds = speed_cells(pruner, baseline.timer, speed_columns)
        _, X_test, _, y_test = baseline.data
        accuracy = pruner.score(X_test, y_test)
        loses = baseline.accuracy - accuracy > NOTABLE_LOSS
        return {
            "method": method,
            "prune_rate": rate if isinstance(rate, str) else f"{rate:.2f}",
            "units": f"{pruner.n_units_before_} -> {pruner.n_units_after_}",
            "params": f"{pruner.n_params_before_} -> {pruner.n_params_after_}",
            "test accuracy": f"{baseline.accuracy:.3f} -> {accuracy:.3f}"
            + (LOSS_MARK if loses else ""),
            "prune cost": format_cost(prune_seconds, baseline.fit_seconds),
            **speeds,
        }


def speed_cells(pruner, timer, speed_columns):
    """Each speed column's cell: the timed speed-up, or ``"same model"``.

    A column whose predict is the unpruned model's own (nothing removed,
    predicted by ``estimator_``) is not timed: the ratio would be noise.
    """
    same_size = pruner.n_params_after_ == pruner.n_params_before_
    to_time = {
        column: get_predict(pruner)
        for column, get_predict in speed_columns.items()
        if not (same_size and get_predict is estimator_predict)
    }
    speedups = dict(zip(to_time, timer.speedups(list(to_time.values())), strict=True))
    return {
        column: format_speedup(speedups[column]) if column in speedups else "same model"
        for column in speed_columns
    }


def tree_rows(data, demo):
    """Each method's tree is grown once, then pruned at every rate.

    Reduced-error pruning grows its tree on 75% of the training data and
    prunes on the rest. Cost-complexity ``"auto"`` is not given the fitted
    tree: its cross-validation grows one tree per fold, and its cost counts
    them.
    """
    X_train, _, y_train, _ = data
    base = DecisionTreeClassifier(random_state=0)
    X_grow, X_prune, y_grow, y_prune = train_test_split(
        X_train, y_train, test_size=0.25, random_state=0, stratify=y_train
    )
    # A tree predicts in microseconds: more rows, or the ratio is call overhead
    # (but short calls, which a busy machine interrupts less often).
    timing_repeat = 5
    setups = {
        "cost_complexity": (
            demo.baseline("tree", clone(base), (X_train, y_train), data, timing_repeat),
            (X_train, y_train),
            demo.rates((0.0, 0.5, 0.8, "auto"), (0.0, 0.8, "auto")),
        ),
        "reduced_error": (
            demo.baseline(
                "tree on 75%", clone(base), (X_grow, y_grow), data, timing_repeat
            ),
            (X_prune, y_prune),
            demo.rates((0.0, 0.5, "auto"), ("auto",)),
        ),
    }
    rows = []
    for method, (baseline, fit_data, rates) in setups.items():
        for rate in rates:
            if method == "cost_complexity" and rate == "auto":
                pruner = TreePruner(base, prune_rate=rate, random_state=0)
            else:
                pruner = TreePruner(
                    FrozenEstimator(baseline.model),
                    method=method,
                    prune_rate=rate,
                    random_state=0,
                )
            rows.append(demo.prune_row((method, rate), pruner, fit_data, baseline))
    return rows


def forest_rows(data, demo):
    """One random forest: its best trees kept, or every tree pruned.

    The pruners share the forest through an in-memory cache, filled before
    the timed fits, and judge its trees on their out-of-bag rows.
    """
    from .ensemble import ForestPruner
    from .model_selection import InMemoryCache

    X_train, _, y_train, _ = data
    forest = RandomForestClassifier(n_estimators=100, random_state=0)
    baseline = demo.baseline("forest", clone(forest), (X_train, y_train), data, 2)
    cache = InMemoryCache()
    with demo.step("caching a fitted forest for the pruners"):
        # prune_rate=0 with a leaf method: the forest itself, now cached.
        ForestPruner(
            forest, method="cost_complexity", prune_rate=0.0, memory=cache
        ).fit(X_train, y_train)
    rows = []
    select_rates = demo.rates((0.5, 0.8, "auto"), (0.8,))
    for method, rates in (("select", select_rates), ("cost_complexity", (0.5,))):
        for rate in rates:
            pruner = ForestPruner(
                forest, method=method, prune_rate=rate, random_state=0, memory=cache
            )
            label = (method, rate)
            rows.append(demo.prune_row(label, pruner, (X_train, y_train), baseline))
    return rows


def svm_rows(data, demo):
    """One RBF SVC, reduced to fewer support vectors at every rate.

    Each rate is timed twice against ``SVC.predict``: the pruned native
    ``estimator_`` (libsvm), and the pruner's own ``predict`` (BLAS).
    """
    X_train, _, y_train, _ = data
    baseline = demo.baseline("SVC", SVC(), (X_train, y_train), data, 2)
    speed_columns = {
        "speed-up: estimator_ (libsvm)": estimator_predict,
        "speed-up: SVMPruner.predict (BLAS)": lambda pruner: pruner.predict,
    }
    rows = []
    for rate in demo.rates((0.0, 0.5, 0.8, 0.9), (0.0, 0.9)):
        pruner = SVMPruner(
            FrozenEstimator(baseline.model), prune_rate=rate, random_state=0
        )
        label = ("eliminate", rate)
        rows.append(
            demo.prune_row(label, pruner, (X_train, y_train), baseline, speed_columns)
        )
    return rows


def mlp_rows(data, demo):
    """One MLP, pruned by hidden units and by weights, then fine-tuned."""
    X_train, _, y_train, _ = data
    # The quick demo trains briefly: convergence is not its point.
    mlp = MLPClassifier((128, 128), max_iter=demo.rates(200, 50), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Many rows: a small network's predict is otherwise mostly call overhead.
        baseline = demo.baseline("MLPClassifier", mlp, (X_train, y_train), data, 20)
    rows = []
    neuron_rates = demo.rates((0.0, 0.5, 0.75, 0.9), (0.75,))
    for method, rates in (("neuron", neuron_rates), ("weight", (0.9,))):
        for rate in rates:
            pruner = MLPPruner(
                FrozenEstimator(baseline.model),
                method=method,
                prune_rate=rate,
                random_state=0,
            )
            label = (method, rate)
            rows.append(demo.prune_row(label, pruner, (X_train, y_train), baseline))
    return rows


def as_images(X):
    """Rows of 64 pixels in [0, 1] as the float32 images a CNN takes."""
    return X.astype(np.float32).reshape(-1, 1, 8, 8)


@contextmanager
def one_torch_thread(torch):
    """One torch thread: the nets are tiny, more threads only wait."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n_threads)


def cnn_rows(data, demo):
    """A small skorch CNN, its filters removed and fine-tuned (torch extra)."""
    import torch
    from skorch import NeuralNetClassifier

    from .torch import ConvPruner, DigitsCNN

    X_train, X_test, y_train, y_test = data
    images = (as_images(X_train), as_images(X_test), y_train, y_test)
    train_images = (images[0], y_train)
    # skorch draws the initial weights and the batches from torch's generator.
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        DigitsCNN,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.003,
        max_epochs=demo.rates(15, 5),
        batch_size=128,
        train_split=None,
        verbose=0,
    )
    rows = []
    with one_torch_thread(torch):
        baseline = demo.baseline("DigitsCNN", net, train_images, images, 1)
        for rate in demo.rates((0.0, 0.5, 0.75), (0.75,)):
            pruner = ConvPruner(
                FrozenEstimator(baseline.model),
                prune_rate=rate,
                fine_tune_epochs=5,
                random_state=0,
            )
            label = ("filter", rate)
            rows.append(demo.prune_row(label, pruner, train_images, baseline))
    return rows


def format_table(rows):
    """A plain-text table of ``rows`` (a list of dicts with the same keys)."""
    columns = list(rows[0])
    cells = [[str(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in cells
    ]
    return "\n".join(lines)


def loss_notes(rows, reasons):
    """The reason of every method with a row that lost over a point."""
    losing = dict.fromkeys(
        row["method"] for row in rows if row["test accuracy"].endswith(LOSS_MARK)
    )
    return [f"* {method}: {reasons[method]}" for method in losing]


class Section:
    """One family of the demo: its title, rows, what it buys and why it loses.

    Parameters
    ----------
    title : str
        First line of the section.

    make_rows : callable
        ``make_rows(data, demo)`` returns the table rows.

    note : str
        What the rows show, printed under the table.

    loss_reasons : dict
        method -> why its rows lose accuracy, printed when one loses over a
        point.
    """

    def __init__(self, title, make_rows, note, loss_reasons):
        self.title = title
        self.make_rows = make_rows
        self.note = note
        self.loss_reasons = loss_reasons


SECTIONS = {
    "tree": Section(
        "TreePruner(DecisionTreeClassifier(random_state=0)); units = leaves",
        tree_rows,
        "What it buys: a smaller tree to store and read. reduced_error grows its "
        "tree on 75% of the training data and prunes on the rest. A tree's "
        "predict time follows its depth and scikit-learn's input checks, so "
        "pruning shrinks a tree more than it speeds it up (see the tree guide). "
        'Cost: cost_complexity "auto" is given the unfitted tree, as a user '
        "would: it grows its own and one per cross-validation fold, and its cost "
        "counts them all; reduced_error's is in fits of its tree grown on 75%.",
        {
            "cost_complexity": "a fixed prune_rate trades accuracy for size; "
            'prune_rate="auto" picks the size by cross-validation instead.',
            "reduced_error": "it decides each collapse on the pruning set alone, "
            "here a quarter of the training rows spread over 10 classes, so a "
            "few rows decide every collapse. With little data, prefer "
            'method="cost_complexity" with prune_rate="auto", which '
            "cross-validates on all of it.",
        },
    ),
    "forest": Section(
        "ForestPruner(RandomForestClassifier(100, random_state=0)); units = trees "
        "(select) or leaves (cost_complexity)",
        forest_rows,
        "What it buys: select keeps the trees whose average errs least on the "
        "out-of-bag rows (ordered aggregation), and fewer trees predict "
        "proportionally faster. cost_complexity halves every tree's leaves: "
        "smaller, barely faster. Cost: the pruners find the fitted forest in a "
        "cache, and their fit includes that lookup (a hash of the training "
        "data).",
        {
            "select": 'too few trees for this data; prune_rate="auto" keeps the '
            "number of trees with the least out-of-bag error.",
            "cost_complexity": "halving every tree's leaves cut what the forest "
            "needed; a lower prune_rate keeps more.",
        },
    ),
    "svm": Section(
        "SVMPruner(SVC()); units = support vectors",
        svm_rows,
        "What it buys: the kept vectors' coefficients are re-solved to match the "
        "unpruned decision function, so accuracy holds while estimator_ "
        "(still a plain SVC, predicting through libsvm) gets faster with fewer "
        "vectors. The pruner's own predict computes the same labels with "
        "BLAS kernel blocks, faster still, even at prune_rate 0. Accuracy is "
        "the pruner's predict (estimator_'s labels, up to rounding).",
        {
            "eliminate": "too few vectors left for this data; "
            'prune_rate="auto" takes the highest rate whose held-out accuracy '
            "stays within tol of the unpruned model's.",
        },
    ),
    "mlp": Section(
        "MLPPruner(MLPClassifier((128, 128), random_state=0)); units = hidden "
        "units (neuron) or weights (weight)",
        mlp_rows,
        "What it buys: neuron pruning makes the layers narrower (faster); weight "
        "pruning zeroes weights in arrays of the same shape (smaller when stored "
        "sparse, not faster). Both are fine-tuned after pruning.",
        {
            "neuron": "too few hidden units left for the default fine-tuning "
            '(fine_tune_epochs="auto", a quarter of the training epochs) to '
            "recover; more fine_tune_epochs recover more, or "
            'prune_rate="auto" stops within tol of the unpruned score.',
            "weight": "too few weights left; a lower prune_rate, or more "
            "fine_tune_epochs.",
        },
    ),
    "cnn": Section(
        "ConvPruner(skorch NeuralNetClassifier(DigitsCNN)); units = conv filters",
        cnn_rows,
        "What it buys: filters are removed from every Conv2d, and the layers "
        "rebuilt smaller (with their BatchNorm and the Linear head); the net is "
        "then fine-tuned. Predict goes through skorch, whose per-batch "
        "overhead caps the speed-up.",
        {
            "filter": "the short fine-tuning of the demo does not recover all; "
            "more fine_tune_epochs or n_iterations (gradual pruning) do better.",
        },
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
            "Prune trees, a random forest, an SVM, an MLP and (with the torch "
            "extra) a CNN on scikit-learn's digits data, and print size, test "
            "accuracy, the cost of pruning (in fits of the unpruned model) and "
            "the predict speed-up. Everything is seeded: two runs differ only "
            "in the timed figures (in s, or x for a ratio of times)."
        ),
    )
    parser.add_argument(
        "families",
        nargs="*",
        metavar="FAMILY",
        help=f"families to show, among {', '.join(SECTIONS)}, each once "
        "(default: all that are installed)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer prune rates, shorter trainings and 3 timing rounds",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="timing rounds: each model's predict is called 3 times a round, "
        "unpruned and pruned in turn, and the fastest call kept (default: 5, "
        "or 3 with --quick)",
    )
    args = parser.parse_args(argv)
    unknown = [f for f in args.families if f not in SECTIONS]
    if unknown:
        parser.error(
            f"unknown family {unknown[0]!r}; choose from {', '.join(SECTIONS)}"
        )
    if args.rounds is None:
        args.rounds = 3 if args.quick else 5
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def header(rounds):
    """What the tables show, what was timed and how often: one paragraph each."""
    return [
        "skprune demo: load_digits (1797 samples, 64 features, 10 classes); "
        "every model and pruner is seeded.",
        "test accuracy: on a 30% test split, unpruned -> pruned; * marks a loss "
        "of over a point, explained under the table.",
        "prune cost: one run of the pruner's fit, in fits of the unpruned model "
        "(one run too). The pruners get the fitted model frozen, so their fit is "
        "the pruning (and any fine-tuning) alone; the exceptions are said under "
        "their tables.",
        "predict speed-up: unpruned predict time / pruned, each the fastest of "
        f"{rounds} rounds of {CALLS_PER_ROUND} calls, in turn, on repeated test "
        "rows, timed apart from the pruning. ~1x: within timing noise; same "
        "model: nothing removed, not timed.",
        "Models run on one thread. Figures in s or x (a ratio of times) vary "
        "from run to run, the rest repeats exactly.",
    ]


def run(families, demo):
    """Print every family's table and notes, then the footer."""
    X, y = load_scaled_digits()
    data = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    start = time.perf_counter()
    with threadpool_limits(1):
        # The data sets are small: more BLAS threads only wait on each other.
        for family in families:
            section = SECTIONS[family]
            demo.say(f"\n{section.title}")
            rows = section.make_rows(data, demo)
            demo.say(format_table(rows))
            demo.say_paragraph(section.note)
            for note in loss_notes(rows, section.loss_reasons):
                demo.say_paragraph(note)
    demo.say(f"\nThe tables took {time.perf_counter() - start:.1f} s.")


def load_scaled_digits():
    """Digits with pixel intensities in [0, 1], as SVMs and MLPs need."""
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def main(argv=None):
    """Run the demo; ``argv`` as on the command line (default: ``sys.argv``)."""
    args = parse_args(argv)
    torch_ok = torch_extra_installed()
    # A family named twice is shown once, in the order first named.
    families = list(dict.fromkeys(args.families)) or [
        f for f in SECTIONS if f not in NEEDS_TORCH or torch_ok
    ]
    if not torch_ok and NEEDS_TORCH & set(families):
        print(TORCH_HINT, file=sys.stderr)
        return 2
    demo = Demo(quick=args.quick, rounds=args.rounds)
    for paragraph in header(args.rounds):
        demo.say_paragraph(paragraph)
    run(families, demo)
    if not torch_ok and not args.families:
        demo.say("\n" + TORCH_HINT)
    return 0
