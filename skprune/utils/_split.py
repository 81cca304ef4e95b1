"""Rows: the hold-out split, row subsets of several arrays, CV splits."""

import math

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array


def holdout_split(
    y,
    n_samples,
    *,
    fraction,
    stratify,
    random_state,
    purpose,
    candidates=None,
    min_train=1,
    sort=False,
):
    """Row indices ``(train, held_out)`` of a hold-out of ``fraction`` of the rows.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
        Targets; read only when ``stratify`` is true.

    n_samples : int
        Number of rows.

    fraction : float in (0, 1)
        The pruner's ``validation_fraction``: ``ceil(fraction * len(candidates))``
        rows are held out.

    stratify : bool
        Stratify by class (for classifiers), when ``y`` is binary or
        multiclass, every class has two rows among the candidates and there
        are at least as many held-out rows as classes.

    random_state : int, RandomState instance or None
        Draws the split.

    purpose : str
        What the hold-out is for, named in the error raised when there are
        too few rows.

    candidates : ndarray of int or None, default=None
        The rows that may be held out (e.g. those of positive weight); all
        rows by default. The rows that are not candidates all go to ``train``.

    min_train : int, default=1
        Fewest training rows accepted.

    sort : bool, default=False
        Sort both index arrays. Otherwise both come in the order the split
        draws them (a model fitted on them then sees the rows in that order),
        except that ``train`` is sorted when ``candidates`` leaves rows out.

    Returns
    -------
    train, held_out : ndarray of int
    """
    if candidates is None:
        candidates = np.arange(n_samples)
    n_held_out = math.ceil(fraction * len(candidates))
    if n_held_out < 1 or n_samples - n_held_out < min_train:
        raise ValueError(
            f"{purpose} holds out validation_fraction={fraction}"
            f" of the samples, which needs at least one held-out and "
            f"{min_train} training sample(s); got n_samples={n_samples}."
        )
    labels = None
    if stratify and y is not None:
        labels = _stratification_labels(y, candidates, n_held_out)
    train, held_out = train_test_split(
        candidates,
        test_size=n_held_out,
        random_state=check_random_state(random_state),
        stratify=labels,
    )
    if len(candidates) < n_samples:
        train = np.setdiff1d(np.arange(n_samples), held_out)
    if sort:
        return np.sort(train), np.sort(held_out)
    return train, held_out


def _stratification_labels(y, candidates, n_held_out):
    """The class labels of ``candidates``, or None when a stratified split fails."""
    # Rejects NaN / inf targets before type_of_target casts them.
    check_array(y, ensure_2d=False, dtype=None, input_name="y")
    if type_of_target(y) not in ("binary", "multiclass"):
        return None
    labels = np.ravel(y)[candidates]
    _, counts = np.unique(labels, return_counts=True)
    if counts.min() >= 2 and n_held_out >= len(counts):
        return labels
    return None


def take_rows(arrays, *row_sets):
    """Every array of ``arrays`` at every set of rows, in that order.

    ``None`` (e.g. absent sample weights) stays ``None``.
    """
    return [
        None if array is None else _safe_indexing(array, rows)
        for array in arrays
        for rows in row_sets
    ]


def check_cv_splits(splits, param_name="cv"):
    """The (train, test) pairs of ``splits`` as a list; at least one.

    An empty list, or a generator already consumed (``check_cv`` turns an
    iterable into a list on first use), gives no split at all: cross-validating
    nothing would silently choose a default. scikit-learn's searches raise too.
    """
    splits = list(splits)
    if not splits:
        raise ValueError(
            f"{param_name} gave no train/test split (an empty list, or a "
            "generator that was already consumed?). Pass an int, a "
            "cross-validation splitter, or a list of (train, test) index arrays."
        )
    return splits


def subsample_rows(rows, max_samples, random_state):
    """At most ``max_samples`` of ``rows``, drawn without replacement, sorted.

    ``rows`` is an array of row indices or a number of rows; ``max_samples``
    None keeps them all. Used where a statistic (a criterion, a least-squares
    fit) is stable long before all the rows are seen.
    """
    if isinstance(rows, int | np.integer):
        rows = np.arange(rows)
    if max_samples is None or len(rows) <= max_samples:
        return rows
    rng = check_random_state(random_state)
    return np.sort(rng.choice(rows, max_samples, replace=False))
