"""Ordered aggregation: order the trees of a forest by greedy forward selection."""

import numpy as np
from sklearn.base import is_classifier

from ..tree._node_stats import _as_2d, _encode_classes


class OutputLoss:
    """The loss of averaged tree outputs on a selection set.

    A tree's output is what a forest averages: its class probabilities
    (every output's side by side) for classifiers, its predictions for
    regressors. A row that no tree judges is predicted by the prior (class
    frequencies, or the mean target).
    """

    def __init__(self, forest, y, sample_weight):
        n_samples = len(y)
        self.weight = (
            np.ones(n_samples)
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float64)
        )
        self.classifier = is_classifier(forest)
        if self.classifier:
            self.codes = _encode_classes(forest, y)
            n_classes = np.atleast_1d(forest.n_classes_)
            self.blocks = np.concatenate([[0], np.cumsum(n_classes)])
            self.targets = self._one_hot()
            # The trees of a forest classifier are grown on class indices.
            self.tree_targets = self.codes.astype(np.float64).reshape(np.shape(y))
        else:
            self.targets = _as_2d(y).astype(np.float64)
            self.tree_targets = np.asarray(y, dtype=np.float64)
        self.prior = np.average(self.targets, axis=0, weights=self.weight)

    def _one_hot(self):
        onehot = np.zeros((len(self.codes), self.blocks[-1]))
        for k in range(self.codes.shape[1]):
            seen = self.codes[:, k] >= 0
            onehot[np.flatnonzero(seen), self.blocks[k] + self.codes[seen, k]] = 1.0
        return onehot

    def tree_output(self, tree, X):
        """The output of one tree on validated ``X``, shape (n_rows, n_cells)."""
        if self.classifier:
            proba = tree.predict_proba(X, check_input=False)
            return np.hstack(proba) if isinstance(proba, list) else proba
        return tree.predict(X, check_input=False).reshape(X.shape[0], -1)

    def row_losses(self, total, count, rows):
        """Weighted losses of the rows ``rows`` given sums of ``count`` outputs.

        ``total`` has shape (n_entries, n_cells), ``count`` and ``rows``
        (n_entries,). Returns the primary loss (errors for classifiers,
        squared error for regressors) and the squared error of the averaged
        outputs (probabilities for classifiers), each of shape (n_entries,).
        """
        covered = count > 0
        average = total / np.where(covered, count, 1.0)[:, None]
        if not covered.all():
            average[~covered] = self.prior
        weight = self.weight[rows]
        residual = average - self.targets[rows]
        squared = np.einsum("ij,ij->i", residual, residual) * weight
        if not self.classifier:
            return squared, squared
        wrong = np.zeros(len(rows), dtype=bool)
        for k in range(len(self.blocks) - 1):
            block = average[:, self.blocks[k] : self.blocks[k + 1]]
            wrong |= _argmax(block) != self.codes[rows, k]
        return wrong * weight, squared


def _argmax(block):
    """``block.argmax(axis=1)``, fast for two columns (first index on ties)."""
    if block.shape[1] == 2:
        return (block[:, 1] > block[:, 0]).astype(np.intp)
    return block.argmax(axis=1)


class FlatOutputs:
    """The outputs of every tree on the rows that may judge it, end to end.

    ``tree[e]``, ``row[e]`` and ``output[e]`` describe entry ``e``: only
    (tree, row) pairs of the selection mask are stored, so out-of-bag
    selection costs a third of a dense array.
    """

    def __init__(self, trees, X, mask, loss):
        self.n_trees, self.n_rows = mask.shape
        tree_ids, rows, outputs = [], [], []
        for t, tree in enumerate(trees):
            judged = np.flatnonzero(mask[t])
            tree_ids.append(np.full(len(judged), t))
            rows.append(judged)
            outputs.append(loss.tree_output(tree, X[judged]) if len(judged) else None)
        n_cells = next((o.shape[1] for o in outputs if o is not None), 1)
        self.tree = np.concatenate(tree_ids)
        self.row = np.concatenate(rows)
        self.output = np.concatenate(
            [np.empty((0, n_cells)) if o is None else o for o in outputs]
        )

    def sums(self, entries=None):
        """Sum and count of the outputs of ``entries`` (default all) per row."""
        entries = slice(None) if entries is None else entries
        total = np.zeros((self.n_rows, self.output.shape[1]))
        np.add.at(total, self.row[entries], self.output[entries])
        count = np.bincount(self.row[entries], minlength=self.n_rows)
        return total, count.astype(np.float64)


def forest_loss(flat, loss):
    """Primary selection loss of the forest of all the trees of ``flat``."""
    total, count = flat.sums()
    return loss.row_losses(total, count, np.arange(flat.n_rows))[0].sum()


def ordered_aggregation(flat, loss, n_steps):
    """Greedy forward selection of trees by the loss of their average.

    At each step, the tree whose addition gives the sub-forest the least
    squared error of its averaged outputs is added (ties: the fewest errors,
    then the lower index). Only the rows a candidate may judge change, so a
    candidate is scored by the change of the loss on its own rows.

    Why the squared error and not the error count, for classifiers: the
    error count is a step function of the selection-set rows, with many
    ties, which the greedy steps overfit (hardly better than a random choice
    of trees in ``benchmarks/bench_forest.py``, see
    :ref:`ensemble_pruning`); the squared error (Brier score) is smooth and
    proper.

    Parameters
    ----------
    flat : FlatOutputs
        Outputs of every tree on its selection rows.
    loss : OutputLoss
        Scores averaged outputs.
    n_steps : int
        Number of trees to order.

    Returns
    -------
    order : ndarray of shape (n_steps,)
        Tree indices in the order they were added.
    losses : ndarray of shape (n_steps, 2)
        Primary (errors for classifiers) and squared-error losses of the
        sub-forest of the first ``i + 1`` trees.
    """
    all_rows = np.arange(flat.n_rows)
    total = np.zeros((flat.n_rows, flat.output.shape[1]))
    count = np.zeros(flat.n_rows)
    chosen = np.zeros(flat.n_trees, dtype=bool)
    tree, row, output = flat.tree, flat.row, flat.output
    order, losses = [], []
    for _ in range(n_steps):
        now_first, now_second = loss.row_losses(total, count, all_rows)
        new_first, new_second = loss.row_losses(
            total[row] + output, count[row] + 1, row
        )
        first = now_first.sum() + np.bincount(
            tree, new_first - now_first[row], minlength=flat.n_trees
        )
        second = now_second.sum() + np.bincount(
            tree, new_second - now_second[row], minlength=flat.n_trees
        )
        first[chosen] = second[chosen] = np.inf
        best = int(np.lexsort((np.arange(flat.n_trees), first, second))[0])
        entries = tree == best
        np.add.at(total, row[entries], output[entries])
        count[row[entries]] += 1
        chosen[best] = True
        order.append(best)
        losses.append((first[best], second[best]))
        # The chosen tree is no candidate any more: drop its entries.
        tree, row, output = tree[~entries], row[~entries], output[~entries]
    return np.asarray(order, dtype=np.intp), np.asarray(losses)
