"""The demo behind ``python -m skprune``: every pruner on bundled data."""

import time

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from .tree import TreePruner

PRUNE_RATES = (0.0, 0.5, 0.8, 0.9, "auto")


def predict_seconds(estimator, X, repeats=7):
    """Best-of-``repeats`` wall time of ``estimator.predict(X)``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        estimator.predict(X)
        best = min(best, time.perf_counter() - start)
    return best


def tree_demo_rows(X_train, X_test, y_train, y_test):
    """Rows of the tree table: one per method and prune rate.

    Each method's unpruned tree is grown once and wrapped in a
    ``FrozenEstimator``, so every rate prunes the same tree. Reduced-error
    pruning grows its tree on 75% of the training data and prunes on the rest.
    Cost-complexity ``"auto"`` refits: its cross-validation needs fold trees.
    """
    base = DecisionTreeClassifier(random_state=0)
    X_grow, X_prune, y_grow, y_prune = train_test_split(
        X_train, y_train, test_size=0.25, random_state=0, stratify=y_train
    )
    setups = {
        "cost_complexity": (clone(base).fit(X_train, y_train), X_train, y_train),
        "reduced_error": (clone(base).fit(X_grow, y_grow), X_prune, y_prune),
    }
    # Many rows, so that the time of walking the tree dominates call overhead.
    X_timing = np.tile(X_test, (30, 1))
    rows = []
    for method, (unpruned, X_fit, y_fit) in setups.items():
        unpruned_seconds = predict_seconds(unpruned, X_timing)
        for rate in PRUNE_RATES:
            if method == "cost_complexity" and rate == "auto":
                pruner = TreePruner(base, prune_rate=rate).fit(X_fit, y_fit)
            else:
                pruner = TreePruner(
                    FrozenEstimator(unpruned), method=method, prune_rate=rate
                ).fit(X_fit, y_fit)
            pruned_seconds = predict_seconds(pruner.estimator_, X_timing)
            rows.append(
                {
                    "method": method,
                    "prune_rate": rate,
                    "leaves": f"{pruner.n_units_before_} -> {pruner.n_units_after_}",
                    "params": f"{pruner.n_params_before_} -> {pruner.n_params_after_}",
                    "depth": f"{unpruned.get_depth()} -> "
                    f"{pruner.estimator_.get_depth()}",
                    "accuracy": f"{unpruned.score(X_test, y_test):.3f} -> "
                    f"{pruner.score(X_test, y_test):.3f}",
                    "predict_time_ratio": pruned_seconds / unpruned_seconds,
                }
            )
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


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    print("skprune demo: load_digits (1797 samples, 64 features, 10 classes)")
    print(
        "Accuracy is on a 30% test split; predict_time_ratio is pruned / unpruned "
        "(below 1 is faster).\n"
    )
    print("TreePruner(DecisionTreeClassifier(random_state=0))")
    print(format_table(tree_demo_rows(X_train, X_test, y_train, y_test)))
    print(
        "\nreduced_error grows its tree on 75% of the training data and prunes on "
        "the rest, hence its smaller unpruned tree. A tree's predict time follows "
        "its depth, which pruning shortens less than its size."
    )
