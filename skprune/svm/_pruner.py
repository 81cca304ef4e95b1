"""SVMPruner: support-vector reduction of fitted libsvm models."""

import copy
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_regressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.svm import LinearSVC, LinearSVR
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted

from ..base import BasePruner, _estimator_has
from ..utils import (
    MAX_FIT_SAMPLES,
    TOL,
    VALIDATION_FRACTION,
    VERBOSE,
    cache_reusable,
    choose_candidate,
    floor_message,
    log_step,
    subsample_rows,
    take_rows,
)
from ._accelerated import LIBSVM_CLASSES, OneClassSVM, as_libsvm_model
from ._fast_predict import blas_threads_for, predict_as
from ._libsvm_model import SVLayout
from ._methods import (
    METHODS,
    PruningContext,
    check_precomputed_kernel,
    pruning_rules,
)
from ._reduce import CRITERIA, auto_targets, target_counts
from ._refits import REFITS


class SVMPruner(BasePruner):
    """Prune a kernel SVM by removing support vectors.

    The wrapped SVM is fitted (or taken as it is from a
    :class:`~sklearn.frozen.FrozenEstimator`), its support vectors are
    reduced, and the result is exposed as ``estimator_``: a plain
    scikit-learn SVM of the same class whose ``support_``,
    ``support_vectors_``, ``n_support_``, ``dual_coef_`` and ``intercept_``
    hold only the kept vectors. It predicts through libsvm, faster in
    proportion to the vectors removed, and pickles with no skprune code.

    ``prune_rate`` is the fraction of support vectors removed, per class for
    classifiers: class ``c`` keeps ``ceil((1 - prune_rate) * n_support_[c])``
    vectors, never fewer than one, so the rate achieved (``prune_rate_``) can
    be a little lower than asked for.

    Read more in the :ref:`User Guide <svm_pruning>`.

    Parameters
    ----------
    estimator : SVC, NuSVC, SVR, NuSVR or OneClassSVM
        The SVM to prune, with any kernel; unfitted, or fitted and wrapped in
        :class:`~sklearn.frozen.FrozenEstimator`. It is never modified.

    prune_rate : float in [0, 1) or "auto", default=0.5
        Fraction of the support vectors to remove. ``"auto"`` takes the
        largest rate whose held-out score stays within ``tol`` of the unpruned
        model's: ``validation_fraction`` of the samples is held out
        (stratified for classifiers; from the ``X`` passed to ``fit`` with a
        ``FrozenEstimator``), the SVM is fitted on the rest, and the rates
        ``1 - (1 - step)**t``, ``t = 1, 2, ...`` are tried from the highest
        down. The score is the accuracy, the R^2 or, for OneClassSVM, the
        agreement with the unpruned model.

    method : {"eliminate", "exact", "reduced_set"}, default="eliminate"
        How the support vectors are reduced:

        - ``"eliminate"``: keep a subset of the training-sample vectors,
          chosen by backward elimination with ``criterion``, with coefficients
          refitted as ``refit`` says.
        - ``"exact"``: keep only the vectors needed to reproduce the decision
          function up to rounding (Downs, Gates & Masters 2001): one
          synthesised weight vector per one-vs-one function with a linear
          kernel, a basis of each class's feature maps with a polynomial one.
          Other kernels have no exact saving (a ``UserWarning`` says so and
          the model is kept). It ignores ``prune_rate`` (``"auto"``
          included), ``criterion``, ``refit`` and ``step``.
        - ``"reduced_set"``: the elimination's model is the start; the
          vectors' positions, coefficients and intercepts are then optimised
          jointly (L-BFGS, until the loss stops improving, at most
          ``max_iter`` iterations) to match the original decision values on
          the fitting samples. Kernels "rbf", "poly", "linear" and
          "sigmoid" only.

        With ``"exact"`` (linear kernel) and ``"reduced_set"`` the kept
        ``support_vectors_`` are no longer rows of ``X``: ``support_`` then
        holds the index of the training sample each vector replaced (for
        ``"reduced_set"``, the one it started from), still grouped by class.

    criterion : {"dual_coef", "contribution"} or callable, default="dual_coef"
        Which vectors go first (lowest score removed first):

        - ``"dual_coef"``: the magnitude of the vector's dual coefficient
          (summed over the one-vs-one functions it enters). With a refit the
          coefficients are re-solved after every elimination round, so later
          rounds rank by the re-solved values.
        - ``"contribution"``: the same magnitude times the root mean square
          of the vector's kernel values over the fitting samples: the size of
          its term in the decision function where the data lie.
        - a callable ``criterion(dual_coef, kernel_norms)`` returning one
          score per vector: ``dual_coef`` has shape (n_rows, n_vectors), the
          current coefficients of the kept vectors in the layout of
          libsvm's one-vs-one ``dual_coef_``, and ``kernel_norms`` shape
          (n_vectors,), the root mean square kernel values above.

        Equal scores (e.g. the many coefficients at the bound ``|alpha| =
        C``) are ordered at random with ``random_state``.

    refit : {"coef", "labels"} or None, default="coef"
        What happens to the kept vectors:

        - ``"coef"``: backward elimination. Every round removes ``step`` of
          each class's current vectors and re-solves the kept coefficients
          and intercepts by least squares so that the reduced decision
          function matches the original one on the fitting samples, per
          one-vs-one pair on the samples of its two classes. The vectors kept
          at a higher rate are a subset of those kept at a lower one.
        - ``"labels"`` (:class:`~sklearn.svm.SVC`, :class:`~sklearn.svm.SVR`
          and :class:`~sklearn.svm.NuSVR`, ``method="eliminate"`` only): the
          same elimination chooses the vectors; their coefficients and
          intercepts are then trained on the labels by a linear SVM on the
          Nystroem-whitened kernel features of the kept vectors, the reduced
          SVM of Lee & Mangasarian (2001): per pair a
          :class:`~sklearn.svm.LinearSVC` (the SVM's ``C``, ``class_weight``
          and ``sample_weight``) for an SVC, one
          :class:`~sklearn.svm.LinearSVR` (the SVM's ``C`` and ``epsilon``;
          for a NuSVR, the width of the tube its fit found) for a regressor.
          It does not imitate the original model.
        - ``None``: the vectors are dropped, the rest is left unchanged: the
          naive baseline, much less accurate; for comparison only.

    step : float in (0, 1], default=0.25
        With a refit: the largest fraction of a class's current vectors
        removed per elimination round (1 removes all at once); smaller steps
        cost more rounds. Also spaces the candidate rates of ``"auto"``.

    ridge : float >= 0, default=1e-6
        Ridge term of the final least-squares refit, relative to the mean
        diagonal of each pair's Gram matrix (the same at every rate). Where
        a pair has fewer than two fitting samples per vector, it pulls
        towards the reduced function closest to the original in the
        kernel's norm.

    max_fit_samples : int or None, default=10_000
        The refit (and the ``"contribution"`` criterion) reads at most this
        many samples drawn at random from ``X``; ``None`` uses all. Its cost
        grows linearly with it.

    tol : float >= 0, default=0.01
        Largest drop of the held-out score allowed by ``prune_rate="auto"``
        (0.01 = one accuracy point). With accuracy, one held-out error weighs
        ``1 / n_held_out``: below that, ``tol`` allows no extra error at all.

    validation_fraction : float in (0, 1), default=0.2
        Share of the samples held out by ``prune_rate="auto"``.

    max_iter : int >= 1, default=1000
        With ``method="reduced_set"``: the cap on the L-BFGS iterations. They
        stop earlier, once the loss improved by less than 2% (relative) over
        ten iterations; a :class:`~sklearn.exceptions.ConvergenceWarning`
        says when the cap stopped them. Each iteration costs about two kernel
        blocks of the fitting samples x kept vectors.

    random_state : int, RandomState instance or None, default=None
        Tie breaking between equal scores, the fitting subsample and the
        hold-out split of ``"auto"``. The SVM's own randomness is its
        ``random_state``.

    memory : str, object with the joblib.Memory interface or None, default=None
        Cache of the fitted unpruned SVM and (with a refit, a named criterion
        and an int ``random_state``) of its elimination and factorised refit,
        memory-mapped from disk: a search over ``prune_rate`` then fits and
        factorises once per fold. The models equal those without ``memory``
        up to rounding.

    verbose : int, default=0
        At 1 or more, a progress line per stage, with its time, and with
        ``prune_rate="auto"`` the held-out score of every rate tried.

    Attributes
    ----------
    estimator_ : SVC, NuSVC, SVR, NuSVR or OneClassSVM
        The pruned SVM, an instance of the wrapped estimator's class. With a
        callable kernel it stores only the kept training rows, so its
        ``support_`` indexes those rows and ``shape_fit_`` counts them.

    n_units_before_, n_units_after_ : int
        Number of support vectors before and after pruning.

    n_params_before_, n_params_after_ : int
        Stored numbers the SVM predicts from: the support vectors' values
        (non-zeros if sparse; none for a precomputed kernel; the stored rows
        for a callable one), the dual coefficients and the intercepts.

    prune_rate_ : float
        Fraction of support vectors actually removed.

    n_iter_ : int
        Iterations of the method that built ``estimator_``: L-BFGS iterations
        (``"reduced_set"``), elimination rounds (``"eliminate"``, 1 with
        ``refit=None``), 1 for ``"exact"``; 0 when no vector was removed.

    n_features_in_ : int
        Number of features seen during fit (not defined for a callable
        kernel, like the SVM's own).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    classes_ : ndarray of shape (n_classes,)
        Class labels (classifiers only).

    See Also
    --------
    sklearn.kernel_approximation.Nystroem : Another way to a cheaper kernel
        model, with a linear model on an approximate feature map.

    Notes
    -----
    Probabilities: ``probability=True`` is deprecated in scikit-learn 1.9;
    calibrate the pruned model instead, e.g. with
    ``CalibratedClassifierCV(FrozenEstimator(pruner.estimator_))``. An SVM
    fitted with it keeps its Platt parameters (only approximately valid
    after pruning).

    Prediction: :meth:`predict`, :meth:`decision_function`, :meth:`score`
    and :meth:`score_samples` compute ``estimator_``'s results (up to
    rounding) with BLAS, faster than libsvm (see :ref:`svm_fast_predict`).

    Precomputed kernels: a refit needs the kernel between support vectors,
    so ``X`` must then be the training Gram matrix; ``"auto"`` cannot split
    one for a new fit (use a ``FrozenEstimator`` or a numeric rate).

    References
    ----------
    .. [1] C. J. C. Burges and B. Schoelkopf, "Improving the accuracy and speed
       of support vector machines", NIPS 9, 1997.
    .. [2] T. Downs, K. E. Gates and A. Masters, "Exact simplification of
       support vector solutions", JMLR 2, 2001.
    .. [3] Y.-J. Lee and O. L. Mangasarian, "RSVM: Reduced support vector
       machines", SIAM International Conference on Data Mining, 2001.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.svm import SVC
    >>> from skprune.svm import SVMPruner
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> SVC().fit(X_train, y_train).score(X_test, y_test)
    0.965...
    >>> pruner = SVMPruner(SVC(), prune_rate=0.6, random_state=0)
    >>> pruner.fit(X_train, y_train)
    SVMPruner(estimator=SVC(), prune_rate=0.6, random_state=0)
    >>> pruner.n_units_before_, pruner.n_units_after_
    (99, 40)
    >>> pruner.estimator_.n_support_
    array([20, 20], dtype=int32)
    >>> pruner.score(X_test, y_test)
    0.965...
    """

    # The scikit-learn classes themselves, which accelerated subclasses (e.g.
    # scikit-learn-intelex's, after ``patch_sklearn()``) derive from.
    _supported_estimators = LIBSVM_CLASSES

    _parameter_constraints: dict = {
        **BasePruner._parameter_constraints,
        "method": [StrOptions(set(METHODS))],
        "criterion": [StrOptions(set(CRITERIA)), callable],
        "refit": [StrOptions({name for name in REFITS if name is not None}), None],
        "step": [Interval(Real, 0, 1, closed="right")],
        "ridge": [Interval(Real, 0, None, closed="left")],
        "max_fit_samples": MAX_FIT_SAMPLES,
        "tol": TOL,
        "validation_fraction": VALIDATION_FRACTION,
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        estimator,
        *,
        prune_rate=0.5,
        method="eliminate",
        criterion="dual_coef",
        refit="coef",
        step=0.25,
        ridge=1e-6,
        max_fit_samples=10_000,
        tol=0.01,
        validation_fraction=0.2,
        max_iter=1000,
        random_state=None,
        memory=None,
        verbose=0,
    ):
        super().__init__(
            estimator, prune_rate=prune_rate, random_state=random_state, memory=memory
        )
        self.method = method
        self.criterion = criterion
        self.refit = refit
        self.step = step
        self.ridge = ridge
        self.max_fit_samples = max_fit_samples
        self.tol = tol
        self.validation_fraction = validation_fraction
        self.max_iter = max_iter
        self.verbose = verbose

    # -- checks -----------------------------------------------------------------

    def _check_estimator(self):
        base = self._base_estimator()
        if isinstance(base, (LinearSVC, LinearSVR)):
            raise TypeError(
                f"{type(self).__name__} removes support vectors, but "
                f"{type(base).__name__} (liblinear) stores a weight vector and no "
                "support vectors. Use SVC(kernel='linear') or "
                "SVR(kernel='linear') to prune a linear SVM."
            )
        super()._check_estimator()

    # -- the template method ------------------------------------------------------

    def _fit_prune(self, X, y, sample_weight):
        method, refit = pruning_rules(
            self.get_params(deep=False), self._base_estimator()
        )
        auto = self.prune_rate == "auto" and method.uses_prune_rate
        check_precomputed_kernel(
            self._base_estimator(), X, self._is_frozen(), auto, self.refit, refit
        )
        rng = check_random_state(self.random_state)
        n_samples = _num_samples(X)
        weight = np.ones(n_samples) if sample_weight is None else sample_weight
        fit_idx, val_idx = np.arange(n_samples), None
        if auto:
            fit_idx, val_idx = self._holdout_indices(
                y, n_samples, purpose="prune_rate='auto'", random_state=rng, sort=True
            )
        name = type(self._base_estimator()).__name__
        with log_step(self, f"unpruned {name}") as step:
            if self._is_frozen() or val_idx is None:
                svm = self._fit_base(X, y, sample_weight)
            else:
                svm = self._fit_base(*take_rows([X, y, sample_weight], fit_idx))
            # An accelerated model (scikit-learn-intelex) cannot hold a reduced
            # model: prune its plain scikit-learn copy.
            svm = as_libsvm_model(svm)
            step.details = f"{len(svm.support_)} support vectors"
        with blas_threads_for(len(svm.support_)):
            pruned, n_iter = self._prune(
                svm, method, refit, X, y, weight, fit_idx, val_idx, rng
            )
        # No vector removed, no iteration (whatever the method tried).
        self.n_iter_ = n_iter if len(pruned.support_) < len(svm.support_) else 0
        return svm, pruned

    def _prune(self, svm, method, refit, X, y, weight, fit_idx, val_idx, rng):
        """The pruned copy of ``svm`` and the iterations that built it."""
        if len(svm.support_) == 0:
            return copy.deepcopy(svm), 0
        if not method.uses_prune_rate:
            return method.reduce(svm)
        if val_idx is None and self.prune_rate == 0:
            return copy.deepcopy(svm), 0
        ctx = PruningContext(
            svm=svm,
            X=X,
            y=y,
            weight=weight,
            # The fitting samples: a random subsample of the fit part.
            fit_idx=subsample_rows(fit_idx, self.max_fit_samples, rng),
            rng=rng,
            cache=self._refit_cache(refit),
            log_step=partial(log_step, self),
        )
        if val_idx is not None:
            return self._prune_auto(ctx, method, refit, y, weight, val_idx)
        targets = target_counts(ctx.layout.n_support, self.prune_rate)
        if np.array_equal(targets, ctx.layout.n_support):
            return copy.deepcopy(svm), 0
        model, _, n_iter = method.candidates(ctx, refit, [targets])[0]()
        return model, n_iter

    def _refit_cache(self, refit):
        """``_call_cached`` where the refit's result can be reused, else None."""
        reusable = refit.cacheable and cache_reusable(
            self.memory,
            self.random_state,
            "the factorised refit (the SVM's fit is still cached)",
            stacklevel=6,
        )
        return self._call_cached if reusable else None

    # -- "auto" -----------------------------------------------------------------

    def _prune_auto(self, ctx, method, refit, y, weight, val_idx):
        """The smallest candidate whose held-out score is within ``tol``."""
        X_val = ctx.kernel.rows(ctx.X, val_idx)
        if sp.issparse(X_val) and not ctx.svm._sparse and not ctx.kernel.is_callable:
            # A (frozen) SVM fitted on dense data predicts from dense data only.
            X_val = X_val.toarray()
        reference = predict_as(ctx.svm, "predict", X_val)
        # A one-class model is scored by its agreement with the unpruned one.
        if y is None or isinstance(ctx.svm, OneClassSVM):
            y_val = reference
        else:
            y_val = np.asarray(_safe_indexing(y, val_idx)).ravel()
        score = partial(_metric(ctx.svm), y_val, sample_weight=weight[val_idx])
        floor = score(reference) - self.tol

        def evaluate(make):
            candidate, kept, n_iter = make()
            held_out = score(predict_as(candidate, "predict", X_val))
            self._log(floor_message(held_out, floor, f"with {len(kept)} vectors"))
            return held_out, (candidate, n_iter)

        targets = auto_targets(ctx.layout.n_support, self.step)
        # From the smallest model up, and the candidates are built lazily: the
        # first within tol is the largest rate, and the rest are never built.
        _, chosen = choose_candidate(
            method.candidates(ctx, refit, targets[::-1]),
            evaluate,
            rule="first_at_floor",
            floor=floor,
        )
        return (copy.deepcopy(ctx.svm), 0) if chosen is None else chosen

    # -- prediction ---------------------------------------------------------------

    def _predict_with(self, method, X):
        """``estimator_.<method>(X)``, by the BLAS path where it reproduces libsvm."""
        check_is_fitted(self)
        return predict_as(self.estimator_, method, X)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Accuracy (classifiers) or R^2 (regressors) of the fast :meth:`predict`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.

        y : array-like of shape (n_samples,)
            True targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            As ``estimator_.score(X, y, sample_weight=sample_weight)``.
        """
        metric = _metric(self.estimator_)
        return metric(y, self.predict(X), sample_weight=sample_weight)

    # -- sizes ------------------------------------------------------------------

    def _count_units(self, estimator):
        return len(estimator.support_)

    def _count_params(self, estimator):
        n_sv = len(estimator.support_)
        if callable(estimator.kernel):
            n_features = estimator.shape_fit_[1] if len(estimator.shape_fit_) > 1 else 1
            n_values = n_sv * n_features
        else:
            vectors = estimator.support_vectors_
            n_values = vectors.nnz if hasattr(vectors, "nnz") else vectors.size
        n_coef = SVLayout(estimator).n_rows * n_sv
        return int(n_values + n_coef + len(estimator._intercept_))


def _metric(svm):
    """R^2 for regressors, accuracy for classifiers and one-class models."""
    return r2_score if is_regressor(svm) else accuracy_score
