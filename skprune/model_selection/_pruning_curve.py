"""Scores and model sizes across prune rates, fitting each fold's model once."""

import time
from numbers import Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils._param_validation import HasMethods, Integral, validate_params
from sklearn.utils.validation import _check_sample_weight, indexable

from ..base import BasePruner
from ..utils import cache_key, check_cv_splits


class InMemoryCache:
    """A ``joblib.Memory`` stand-in that keeps results in a dict.

    Results are keyed as the pruners' disk cache keys them: on the function,
    the arguments and the code of any function among the estimators'
    parameters (a kernel redefined under the same name is not a hit). A
    cached result is returned as the
    same object every time: pruners copy it before they prune. Copies of the
    cache (``clone`` deep-copies parameters) share its store, as copies of a
    ``joblib.Memory`` share its location; a pickled cache (e.g. sent to a
    worker process) starts a store of its own there.

    Attributes
    ----------
    n_calls_ : int
        Calls that missed the cache and ran the function.
    """

    def __init__(self):
        self._results = {}
        self.n_calls_ = 0

    def __deepcopy__(self, memo):
        return self

    def cache(self, func):
        """Wrap ``func`` so that repeated calls with equal arguments run once."""

        def cached(*args, **kwargs):
            key = cache_key(func, (*args, *sorted(kwargs.items())))
            if key not in self._results:
                self.n_calls_ += 1
                self._results[key] = func(*args, **kwargs)
            return self._results[key]

        return cached


def find_pruner(estimator):
    """The pruner in ``estimator``: itself, or a pipeline's final step."""
    if isinstance(estimator, BasePruner):
        return estimator
    if isinstance(estimator, Pipeline):
        return find_pruner(estimator.steps[-1][1])
    raise TypeError(
        "Expected a pruner (a skprune BasePruner) or a Pipeline ending with one; "
        f"got {type(estimator).__name__}."
    )


def _pruner_param(estimator, name):
    """Name of the pruner's parameter ``name`` as ``estimator`` routes it.

    ``"prune_rate"`` for a pruner, ``"step__prune_rate"`` for a pipeline.
    """
    if isinstance(estimator, Pipeline):
        step, last = estimator.steps[-1]
        return f"{step}__{_pruner_param(last, name)}"
    return name


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like", None],
        "prune_rates": ["array-like"],
        "groups": ["array-like", None],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "n_jobs": [Integral, None],
        "sample_weight": ["array-like", None],
        "return_train_score": ["boolean"],
    },
    prefer_skip_nested_validation=False,  # the estimator is validated when fitted
)
def pruning_curve(
    estimator,
    X,
    y=None,
    *,
    prune_rates,
    groups=None,
    cv=None,
    scoring=None,
    n_jobs=None,
    sample_weight=None,
    return_train_score=True,
):
    """Scores and model sizes of a pruner across prune rates.

    Like :func:`~sklearn.model_selection.validation_curve` over
    ``prune_rate``, but in each fold the unpruned model is fitted once and
    only pruned again for every rate: the pruner's ``memory`` is used when it
    is set, an in-memory cache otherwise.

    Parameters
    ----------
    estimator : pruner or Pipeline ending with a pruner
        Cloned for every fold; not modified.

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        Targets.

    prune_rates : array-like of shape (n_rates,)
        The prune rates to evaluate: floats in [0, 1) or ``"auto"``.

    groups : array-like of shape (n_samples,), default=None
        Group labels for group-aware cross-validation splitters.

    cv : int, cross-validation generator or iterable, default=None
        As in :func:`~sklearn.model_selection.check_cv` (5-fold by default).

    scoring : str or callable, default=None
        A single scorer, as in :func:`~sklearn.metrics.check_scoring`; None
        uses the estimator's ``score``.

    n_jobs : int, default=None
        Number of folds processed in parallel.

    sample_weight : array-like of shape (n_samples,), default=None
        Passed to the pruner's ``fit``.

    return_train_score : bool, default=True
        Also score every pruned model on its training fold (``train_scores``
        is NaN otherwise); scoring the training folds can cost more than
        pruning.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With arrays of shape (n_rates, n_folds): ``train_scores``,
        ``test_scores``, ``n_units`` and ``n_params`` (size of the pruned
        model), ``fit_times`` (seconds per fit, the cached base fit counted
        in the first rate that needed it) and ``score_times``; and
        ``prune_rates``, ``n_units_before``, ``n_params_before`` (n_folds,).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skprune.model_selection import pruning_curve
    >>> from skprune.tree import TreePruner
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> pruner = TreePruner(DecisionTreeClassifier(random_state=0))
    >>> curve = pruning_curve(pruner, X, y, prune_rates=[0.0, 0.5, 0.9], cv=3)
    >>> curve.test_scores.shape
    (3, 3)
    >>> curve.n_units.mean(axis=1).round(1)
    array([17. ,  8.7,  2. ])
    """
    rates = _check_prune_rates(prune_rates)
    find_pruner(estimator)
    X, y, groups = indexable(X, y, groups)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X)
    cv = check_cv(cv, y, classifier=is_classifier(estimator))
    scorer = check_scoring(estimator, scoring=scoring)
    folds = Parallel(n_jobs=n_jobs)(
        delayed(_fold_curve)(
            clone(estimator),
            X,
            y,
            sample_weight,
            train,
            test,
            rates,
            scorer,
            return_train_score,
        )
        for train, test in check_cv_splits(cv.split(X, y, groups))
    )
    result = Bunch(prune_rates=np.asarray(rates, dtype=object))
    for key in folds[0]:
        result[key] = np.stack([fold[key] for fold in folds], axis=-1)
    return result


def _check_prune_rates(prune_rates):
    rates = list(prune_rates)
    if not rates:
        raise ValueError("prune_rates must hold at least one rate; got none.")
    for rate in rates:
        valid_number = (
            isinstance(rate, Real) and not isinstance(rate, bool) and 0 <= rate < 1
        )
        if not (valid_number or (isinstance(rate, str) and rate == "auto")):
            raise ValueError(
                f"prune_rates must hold floats in [0, 1) or 'auto'; got {rate!r}."
            )
    return rates


def _fold_curve(
    estimator, X, y, sample_weight, train, test, rates, scorer, return_train_score
):
    """One fold: fit once (through the cache), prune and score at every rate."""
    pruner = find_pruner(estimator)
    if pruner.memory is None:
        pruner.set_params(memory=InMemoryCache())
    rate_param = _pruner_param(estimator, "prune_rate")
    X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
    y_train = None if y is None else _safe_indexing(y, train)
    y_test = None if y is None else _safe_indexing(y, test)
    fit_params = {}
    if sample_weight is not None:
        weight_param = _pruner_param(estimator, "sample_weight")
        fit_params[weight_param] = _safe_indexing(np.asarray(sample_weight), train)

    keys = ["train_scores", "test_scores", "n_units", "n_params"]
    keys += ["fit_times", "score_times"]
    fold = {key: np.empty(len(rates)) for key in keys}
    for i, rate in enumerate(rates):
        estimator.set_params(**{rate_param: rate})
        start = time.perf_counter()
        estimator.fit(X_train, y_train, **fit_params)
        fold["fit_times"][i] = time.perf_counter() - start
        start = time.perf_counter()
        fold["test_scores"][i] = scorer(estimator, X_test, y_test)
        fold["score_times"][i] = time.perf_counter() - start
        fold["train_scores"][i] = (
            scorer(estimator, X_train, y_train) if return_train_score else np.nan
        )
        fold["n_units"][i] = pruner.n_units_after_
        fold["n_params"][i] = pruner.n_params_after_
    fold["n_units_before"] = np.asarray(pruner.n_units_before_)
    fold["n_params_before"] = np.asarray(pruner.n_params_before_)
    return fold


def n_units_scorer(estimator, X=None, y=None):
    """Number of units left in the pruned model: a "scorer" for searches.

    Pass it in a ``scoring`` dict of a search to record model sizes in
    ``cv_results_`` (e.g. for
    :meth:`~skprune.inspection.PruningCurveDisplay.from_cv_results`).

    Parameters
    ----------
    estimator : fitted pruner or Pipeline ending with one
        The model whose size is reported.

    X, y : ignored
        Present for the scorer signature.

    Returns
    -------
    n_units : int
        ``n_units_after_`` of the pruner.
    """
    return find_pruner(estimator).n_units_after_


def n_params_scorer(estimator, X=None, y=None):
    """Number of parameters left in the pruned model: a "scorer" for searches.

    Parameters
    ----------
    estimator : fitted pruner or Pipeline ending with one
        The model whose size is reported.

    X, y : ignored
        Present for the scorer signature.

    Returns
    -------
    n_params : int
        ``n_params_after_`` of the pruner.
    """
    return find_pruner(estimator).n_params_after_
