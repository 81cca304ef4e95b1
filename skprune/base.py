"""The common contract of every skprune pruner."""

import copy
import math
import pickle
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Real

import joblib
import numpy as np
from joblib import Memory
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    _check_sample_weight,
    _num_samples,
    check_array,
    check_is_fitted,
    check_memory,
    has_fit_parameter,
    indexable,
)

# Warnings about a pruner's settings, not its data, are shown once per process:
# scikit-learn's searches reset the warning filters around every fit, so
# Python's own "once per location" would repeat them for every candidate.
_WARNED = set()


def _warn_once(message, category=UserWarning, stacklevel=2):
    """``warnings.warn`` that shows a given message once per process."""
    if (message, category) in _WARNED:
        return
    _WARNED.add((message, category))
    warnings.warn(message, category, stacklevel=stacklevel + 1)


class _PruneRateInterval(Interval):
    """A real interval that refuses booleans (``False`` is not a rate of 0)."""

    def is_satisfied_by(self, val):
        if isinstance(val, bool | np.bool_):
            return False
        return super().is_satisfied_by(val)


def _fit_estimator(estimator, X, y, sample_weight):
    """Fit ``estimator``; module-level so that ``joblib.Memory`` can cache it."""
    if sample_weight is None:
        return estimator.fit(X, y)
    return estimator.fit(X, y, sample_weight=sample_weight)


def _code_digest(code):
    """The bytecode and constants of ``code``, nested code objects included.

    Code objects themselves cannot be hashed by joblib, and their ``repr``
    holds a memory address that differs between processes.
    """
    consts = tuple(
        _code_digest(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts
    )
    return code.co_code, consts, code.co_names


def _callable_digests(args):
    """The code of every Python function among the parameters of ``args``.

    joblib hashes a function by its name only, so a kernel or criterion
    redefined under the same name would reuse results computed with the old
    one. The closure's values are not included.
    """
    digests = []
    for arg in args:
        if not isinstance(arg, BaseEstimator):
            continue
        for name, value in sorted(arg.get_params(deep=True).items()):
            code = getattr(value, "__code__", None)
            if code is not None:
                digests.append((name, _code_digest(code)))
    return digests


def _cache_key(func, args):
    """A digest of ``func`` (its name and code) and of ``args``."""
    return joblib.hash(
        (
            func.__module__,
            func.__qualname__,
            _code_digest(func.__code__),
            _callable_digests(args),
            args,
        )
    )


def _keyed_call(key, func, args):
    """``(key, func(*args))``; cached on ``key`` alone (see ``_call_cached``)."""
    return key, func(*args)


def _check_cv_splits(splits, param_name="cv"):
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


def _take_rows(arrays, *row_sets):
    """Every array of ``arrays`` at every set of rows, in that order.

    ``None`` (e.g. absent sample weights) stays ``None``.
    """
    return [
        None if array is None else _safe_indexing(array, rows)
        for array in arrays
        for rows in row_sets
    ]


def _estimator_has(attr):
    """Whether the pruned estimator (or, before fit, the wrapped one) has ``attr``.

    Used with ``available_if`` so that a pruner only offers the prediction
    methods its estimator offers.
    """

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


class BasePruner(MetaEstimatorMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class for pruners: fit a model, prune it, expose the native result.

    A family of pruners implements :meth:`_fit_prune` (fit the base model with
    :meth:`_fit_base`, prune a copy) and the size counts :meth:`_count_units`
    and :meth:`_count_params`. :meth:`fit` owns parameter validation, the
    (cached or frozen) base fit, the size report and the fitted attributes;
    prediction is delegated to ``estimator_``.

    Parameters
    ----------
    estimator : estimator object
        The model to prune. An unfitted estimator is cloned and fitted; a
        fitted one wrapped in :class:`~sklearn.frozen.FrozenEstimator` is
        pruned without refitting. It is never modified.

    prune_rate : float in [0, 1) or "auto"
        Fraction of the prunable units to remove; ``"auto"`` lets the method
        choose. What a unit is depends on the family.

    random_state : int, RandomState instance or None
        Randomness of the pruning itself (hold-out splits, tie breaking).

    memory : str, object with the joblib.Memory interface or None
        Cache of the fitted base model, keyed on its parameters and the
        training data, so that a search over ``prune_rate`` fits the base
        model once per fold.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "prune_rate": [
            _PruneRateInterval(Real, 0, 1, closed="left"),
            StrOptions({"auto"}),
        ],
        "random_state": ["random_state"],
        "memory": [None, str, HasMethods(["cache"])],
    }

    @abstractmethod
    def __init__(self, estimator, *, prune_rate, random_state, memory):
        self.estimator = estimator
        self.prune_rate = prune_rate
        self.random_state = random_state
        self.memory = memory

    @_fit_context(
        # the wrapped estimator is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None, sample_weight=None, **fit_params):
        """Fit the wrapped estimator and prune it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. When ``estimator`` is a ``FrozenEstimator``, the
            data the pruning criterion is evaluated on (if it needs any).

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, used by the pruning criterion and passed to the
            estimator's ``fit``. With metadata routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``), they reach
            the estimator's ``fit`` only if it requests them
            (``estimator.set_fit_request(sample_weight=True)``).

        **fit_params : dict
            Only with metadata routing enabled: metadata for the estimator's
            ``fit``, routed as it requests. Pruning fits the estimator on
            subsets of the rows, so only ``sample_weight`` can be routed; other
            metadata is refused with an error.

        Returns
        -------
        self : object
            The fitted pruner.
        """
        self._check_estimator()
        if y is None and get_tags(self).target_tags.required:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, "
                "but the target y is None."
            )
        self._weight_base_fit = self._routes_sample_weight(sample_weight, fit_params)
        X, y = indexable(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if self._is_frozen():
            self._check_frozen_data(X, y)
        unpruned, pruned = self._fit_prune(X, y, sample_weight)
        self._set_fitted_attributes(unpruned, pruned)
        return self

    def _routes_sample_weight(self, sample_weight, fit_params):
        """Whether ``sample_weight`` goes to the base estimator's ``fit``.

        Without metadata routing, weights go wherever the estimator accepts
        them (and are an error where it does not); with routing, where it
        requests them.
        """
        if not _routing_enabled():
            _raise_for_params(fit_params, self, "fit")
            if sample_weight is None or self._is_frozen():
                return False
            if not has_fit_parameter(self.estimator, "sample_weight"):
                raise ValueError(
                    f"sample_weight was given but {type(self.estimator).__name__}"
                    ".fit does not accept sample_weight."
                )
            return True
        routed = process_routing(self, "fit", sample_weight=sample_weight, **fit_params)
        if self._is_frozen():
            return False
        estimator_params = dict(routed["estimator"]["fit"])
        unsupported = sorted(set(estimator_params) - {"sample_weight"})
        if unsupported:
            raise ValueError(
                f"{type(self).__name__} routes only sample_weight to "
                f"{type(self.estimator).__name__}.fit (it fits the estimator on "
                f"subsets of the rows); got {unsupported}."
            )
        return "sample_weight" in estimator_params

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Please check :ref:`User Guide <sklearn:metadata_routing>` on how the
        routing mechanism works. The pruner consumes ``sample_weight`` itself
        (its criterion) and routes it to the wrapped estimator's ``fit`` when
        the estimator requests it; a ``FrozenEstimator`` is not refitted and
        receives nothing.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`
            encapsulating routing information.
        """
        router = MetadataRouter(owner=self).add_self_request(self)
        if not self._is_frozen():
            router.add(
                estimator=self.estimator,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        return router

    def _check_frozen_data(self, X, y):
        """Refuse data the frozen model was not fitted on, as it would.

        The pruning criterion (and any fine-tuning) reads ``X`` and ``y`` by
        position: columns in another order, or labels of another type, would
        silently prune (or fine-tune) the model on the wrong signal.
        """
        base = self._base_estimator()
        # An SVM with a callable or precomputed kernel records no feature count.
        if hasattr(base, "n_features_in_"):
            _check_feature_names(base, X, reset=False)
            _check_n_features(base, X, reset=False)
        if y is not None and is_classifier(base) and hasattr(base, "classes_"):
            _check_known_labels(base, y)

    def _log(self, message, level=1):
        """Print a progress line when the pruner's ``verbose`` reaches ``level``.

        For families with a ``verbose`` parameter (those whose pruning can
        take long); a line per round at 1, more detail above.
        """
        if getattr(self, "verbose", 0) >= level:
            print(f"[{type(self).__name__}] {message}", flush=True)

    def _set_fitted_attributes(self, unpruned, pruned):
        self.estimator_ = pruned
        self.n_units_before_ = self._count_units(unpruned)
        self.n_units_after_ = self._count_units(pruned)
        self.n_params_before_ = self._count_params(unpruned)
        self.n_params_after_ = self._count_params(pruned)
        # A model can have no unit at all (an SVR without support vectors).
        self.prune_rate_ = (
            1.0 - self.n_units_after_ / self.n_units_before_
            if self.n_units_before_
            else 0.0
        )
        # An SVM with a callable kernel, for one, records no n_features_in_.
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(pruned, name):
                setattr(self, name, getattr(pruned, name))

    def _holdout_indices(
        self, y, n_samples, *, purpose, candidates=None, min_train=1, rng=None
    ):
        """Row indices (train, held_out) of a ``validation_fraction`` hold-out.

        For families with a ``validation_fraction`` parameter. That share of
        the ``candidates`` rows (all rows by default) is held out, stratified
        by class for classifiers when every class has two samples; ``rng``
        (default: from ``random_state``) draws it. ``purpose`` names what the
        hold-out is for in the error raised when the data is too small. The
        training indices come in the order the split draws them.
        """
        if candidates is None:
            candidates = np.arange(n_samples)
        n_held_out = math.ceil(self.validation_fraction * len(candidates))
        if n_held_out < 1 or n_samples - n_held_out < min_train:
            raise ValueError(
                f"{purpose} holds out validation_fraction={self.validation_fraction}"
                f" of the samples, which needs at least one held-out and "
                f"{min_train} training sample(s); got n_samples={n_samples}."
            )
        stratify = None
        if y is not None and is_classifier(self):
            # Rejects NaN / inf targets before type_of_target casts them.
            check_array(y, ensure_2d=False, dtype=None, input_name="y")
            if type_of_target(y) in ("binary", "multiclass"):
                labels = np.ravel(y)[candidates]
                _, counts = np.unique(labels, return_counts=True)
                if counts.min() >= 2 and n_held_out >= len(counts):
                    stratify = labels
        train, held_out = train_test_split(
            candidates,
            test_size=n_held_out,
            random_state=check_random_state(self.random_state) if rng is None else rng,
            stratify=stratify,
        )
        if len(candidates) < n_samples:
            train = np.setdiff1d(np.arange(n_samples), held_out)
        return train, held_out

    def _is_frozen(self):
        return isinstance(self.estimator, FrozenEstimator)

    def _base_estimator(self):
        """The wrapped model, unwrapped from a ``FrozenEstimator``."""
        if self._is_frozen():
            return self.estimator.estimator
        return self.estimator

    def _check_estimator(self):
        """Raise a ``TypeError`` unless this family can prune ``estimator``."""
        base = self._base_estimator()
        if not isinstance(base, self._supported_estimators):
            names = ", ".join(cls.__name__ for cls in self._supported_estimators)
            raise TypeError(
                f"{type(self).__name__} prunes {names}; got estimator="
                f"{type(base).__name__}."
            )
        if self._is_frozen():
            check_is_fitted(
                base,
                msg=(
                    "The estimator wrapped in FrozenEstimator is not fitted: "
                    "fit it first, or pass the unfitted estimator to "
                    f"{type(self).__name__} to have it fitted."
                ),
            )

    def _fit_base(self, X, y, sample_weight=None):
        """The fitted, unpruned model: from the cache, frozen, or a new fit.

        The result may be shared (the frozen model, a cached object): prune a
        copy of it, never the model itself.
        """
        if self._is_frozen():
            return self.estimator.estimator
        if not getattr(self, "_weight_base_fit", True):
            # Metadata routing: the estimator did not request the weights.
            sample_weight = None
        return self._call_cached(
            _fit_estimator, clone(self.estimator), X, y, sample_weight
        )

    def _call_cached(self, func, *args, mmap_mode=None):
        """``func(*args)`` through the ``memory`` cache, if there is one.

        ``func`` must be a module-level function. ``mmap_mode`` opens the
        numpy arrays of a result cached on disk memory-mapped instead of
        reading them: large, read-only results (e.g. factorisations) cost
        nothing to load.

        On disk, the result is stored with a digest of ``func``, of ``args``
        and of the code of any function among the estimators' parameters, and
        checked against it when loaded: a damaged or copied cache file, or a
        kernel redefined under the same name, is recomputed, not reused.
        """
        if self.memory is None:
            return func(*args)
        try:
            memory = check_memory(self.memory)
            if isinstance(memory, Memory) and memory.location is not None:
                return self._call_verified(memory, func, args, mmap_mode)
            return memory.cache(func)(*args)
        except OSError as error:
            # A cache that cannot be written must not stop the fit. joblib
            # itself recomputes (and says so) when a cached result is corrupt.
            _warn_once(
                f"The memory cache {self.memory!r} could not be used ({error}); "
                "computing without it.",
                stacklevel=3,
            )
        except pickle.PicklingError:
            # e.g. a lambda kernel: joblib can neither hash nor store it.
            _warn_once(
                f"memory cannot cache {type(self._base_estimator()).__name__}: "
                "joblib cannot pickle one of its parameters (a lambda or a local "
                "function?); computing without the cache. Define such functions "
                "at module level to have them cached.",
                stacklevel=3,
            )
        return func(*args)

    @staticmethod
    def _call_verified(memory, func, args, mmap_mode):
        """``func(*args)`` cached on disk under a digest checked when loaded."""
        if mmap_mode is not None:
            # The same store, read memory-mapped (which excludes compression;
            # the other settings are kept).
            memory = Memory(
                memory.location,
                backend=memory.backend,
                mmap_mode=mmap_mode,
                verbose=0,
                backend_options=getattr(memory, "backend_options", None),
            )
        key = _cache_key(func, args)
        # joblib hashes only the digest: the arguments were hashed into it.
        stored_key, result = memory.cache(_keyed_call, ignore=["func", "args"])(
            key, func, args
        )
        if stored_key != key:
            warnings.warn(
                f"A result in the memory cache {memory.location!r} does not "
                "belong to the arguments it is stored under (a damaged or "
                "copied cache file?); recomputed without it.",
                UserWarning,
                stacklevel=4,
            )
            return func(*args)
        return result

    @abstractmethod
    def _fit_prune(self, X, y, sample_weight):
        """Fit (see :meth:`_fit_base`) and prune; return (unpruned, pruned)."""

    @abstractmethod
    def _count_units(self, estimator):
        """Number of prunable units of a fitted estimator of this family."""

    @abstractmethod
    def _count_params(self, estimator):
        """Number of stored parameters of a fitted estimator of this family."""

    def _predict_with(self, method, X):
        """``estimator_.<method>(X)``: what every prediction method returns.

        One place for a family to compute predictions another way (the SVMs'
        BLAS path) without repeating every method.
        """
        check_is_fitted(self)
        return getattr(self.estimator_, method)(X)

    @property
    def classes_(self):
        """Class labels, from the pruned estimator (classifiers only)."""
        return self.estimator_.classes_

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the pruned estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions of ``estimator_``.
        """
        return self._predict_with("predict", X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the pruned estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or list of such arrays
            Probabilities from ``estimator_.predict_proba``.
        """
        return self._predict_with("predict_proba", X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Class log-probabilities from the pruned estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes) or list of such arrays
            Log-probabilities from ``estimator_.predict_log_proba``.
        """
        return self._predict_with("predict_log_proba", X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the pruned estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        scores : ndarray
            Output of ``estimator_.decision_function``.
        """
        return self._predict_with("decision_function", X)

    @available_if(_estimator_has("score_samples"))
    def score_samples(self, X):
        """Score of the samples under the pruned model (outlier detectors).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Output of ``estimator_.score_samples``.
        """
        return self._predict_with("score_samples", X)

    @property
    def offset_(self):
        """Offset of a pruned outlier detector.

        ``decision_function(X) == score_samples(X) - offset_``.
        """
        return self.estimator_.offset_

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score of the pruned estimator (accuracy or R^2, as it defines).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            ``estimator_.score(X, y, sample_weight=sample_weight)``.
        """
        check_is_fitted(self)
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        wrapped = get_tags(self._base_estimator())
        tags.estimator_type = wrapped.estimator_type
        tags.classifier_tags = copy.deepcopy(wrapped.classifier_tags)
        tags.regressor_tags = copy.deepcopy(wrapped.regressor_tags)
        tags.target_tags = copy.deepcopy(wrapped.target_tags)
        tags.input_tags = copy.deepcopy(wrapped.input_tags)
        return tags


def _check_known_labels(estimator, y):
    """Raise a ``ValueError`` if ``y`` holds a label not in ``classes_``.

    Compared as Python objects, so that ``"1"`` is not taken for ``1`` (numpy
    would cast one to the other).
    """
    classes = estimator.classes_
    y = np.asarray(y)
    if isinstance(classes, list):  # multi-output
        columns = y.reshape(_num_samples(y), -1).T
    else:
        classes, columns = [classes], [y.ravel()]
    for known, column in zip(classes, columns, strict=False):
        known_labels = set(np.asarray(known).tolist())
        unknown = [v for v in np.unique(column).tolist() if v not in known_labels]
        if unknown:
            raise ValueError(
                f"y contains labels the frozen {type(estimator).__name__} was "
                f"not fitted on: {unknown[:5]!r}; its classes_ are "
                f"{np.asarray(known).tolist()[:10]!r}. Pass the labels it was "
                "fitted with (same values and type)."
            )
