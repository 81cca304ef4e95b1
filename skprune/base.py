"""The common contract of every skprune pruner."""

import copy
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.frozen import FrozenEstimator
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    has_fit_parameter,
    indexable,
)

from .utils import (
    PRUNE_RATE,
    call_cached,
    check_non_negative_weights,
    fit_estimator,
    holdout_split,
    log,
)


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
        "prune_rate": list(PRUNE_RATE),
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
            estimator's ``fit``. Negative weights are refused (a pruning
            criterion weighs the harm of removing a unit by them); zero
            weights are allowed. With metadata routing enabled
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
            check_non_negative_weights(sample_weight, self)
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
        """Print a progress line when ``verbose`` reaches ``level`` (see ``log``)."""
        log(self, message, level)

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

    def _holdout_indices(self, y, n_samples, **options):
        """Row indices (train, held_out) of a ``validation_fraction`` hold-out.

        :func:`~skprune.utils.holdout_split` with this pruner's
        ``validation_fraction``, stratified for classifiers, drawn with
        ``random_state`` unless ``options`` give another.
        """
        options.setdefault("random_state", self.random_state)
        return holdout_split(
            y,
            n_samples,
            fraction=self.validation_fraction,
            stratify=is_classifier(self),
            **options,
        )

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
            fit_estimator, clone(self.estimator), X, y, sample_weight
        )

    def _call_cached(self, func, *args, mmap_mode=None):
        """``func(*args)`` through the ``memory`` cache (see ``call_cached``)."""
        return call_cached(
            self.memory,
            func,
            *args,
            mmap_mode=mmap_mode,
            model_name=type(self._base_estimator()).__name__,
        )

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
