"""SVMPruner: support-vector reduction of fitted libsvm models."""

import copy
import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.svm import SVC, LinearSVC, LinearSVR
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data

from ..base import BasePruner, _estimator_has
from ..utils import cache_reusable
from . import _fast_predict
from ._accelerated import LIBSVM_CLASSES, OneClassSVM, as_libsvm_model
from ._exact import exact_reduction
from ._kernels import SVKernel
from ._libsvm_model import (
    SVLayout,
    dense_dual_coef,
    write_reduced_model,
)
from ._reduce import (
    CRITERIA,
    EliminationPath,
    NestedRefit,
    PairEquations,
    auto_targets,
    blas_threads_for,
    check_elimination_rounds,
    elimination_rounds,
    keep_highest,
    kernel_norms,
    pair_values,
    score_vectors,
    target_counts,
    vote,
)
from ._reduced_set import SUPPORTED_KERNELS, construct_reduced_set
from ._relabel import relabel_pairs


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

    Parameters
    ----------
    estimator : SVC, NuSVC, SVR, NuSVR or OneClassSVM
        The SVM to prune, with any kernel; unfitted, or fitted and wrapped in
        :class:`~sklearn.frozen.FrozenEstimator`. It is never modified.

    prune_rate : float in [0, 1) or "auto", default=0.5
        Fraction of the support vectors to remove. ``"auto"`` takes the
        largest rate whose held-out score stays within ``tol`` of the unpruned
        model's: ``validation_fraction`` of the samples is held out
        (stratified for classifiers), the SVM is fitted on the rest, and the
        candidate rates are ``1 - (1 - step)**t``, ``t = 1, 2, ...`` (with
        ``refit="coef"`` all from one elimination and factorisation), tried
        from the highest down. The score is the accuracy (classifiers), the
        R^2 (regressors) or, for OneClassSVM, the share of held-out samples
        on which the pruned and unpruned models agree. With a
        ``FrozenEstimator`` the split is made in the ``X`` passed to ``fit``.

    method : {"eliminate", "exact", "reduced_set"}, default="eliminate"
        How the support vectors are reduced:

        - ``"eliminate"``: keep a subset of the training-sample vectors,
          chosen by backward elimination with ``criterion``, with coefficients
          refitted as ``refit`` says.
        - ``"exact"``: keep only the vectors needed to reproduce the decision
          function up to rounding (Downs, Gates & Masters 2001), whatever
          ``prune_rate`` (which it ignores, ``"auto"`` included: nothing is
          held out), as well as ``criterion``, ``refit`` and ``step``. With a
          linear kernel each one-vs-one function becomes one synthesised
          vector, its weight vector ``w = sum_s alpha_s x_s`` (two vectors
          for a binary problem, one for a regressor or one-class model);
          with a polynomial kernel, the vectors of a class whose feature maps
          are linearly dependent on the others' (in the feature space of
          dimension ``C(n_features + degree, degree)``) are dropped and the
          coefficients re-solved. Other kernels have no exact saving: a
          ``UserWarning`` names the kernel and the model is kept unchanged.
        - ``"reduced_set"``: the vectors need not be training samples. The
          elimination's reduced model is the starting point; the vectors'
          positions, their coefficients and the intercepts are then
          optimised jointly (L-BFGS, at most ``max_iter`` iterations) to
          match the original decision values on the fitting samples
          (``max_fit_samples``), per one-vs-one pair on the samples of its
          two classes. A vector of class ``c`` enters every pair ``(c, j)``
          with one position. Kernels "rbf", "poly", "linear" and "sigmoid"
          only (a callable or precomputed kernel is refused).

        With ``"exact"`` (linear kernel) and ``"reduced_set"`` the kept
        ``support_vectors_`` are no longer rows of ``X``: ``support_`` then
        holds the index of the training sample each vector replaced (for
        ``"reduced_set"``, the one it started from), still grouped by class.

    criterion : {"dual_coef", "contribution"} or callable, default="dual_coef"
        Which vectors go first (lowest score removed first):

        - ``"dual_coef"``: the magnitude of the vector's dual coefficient
          (summed over the one-vs-one functions it enters). With
          ``refit="coef"`` the coefficients are re-solved after every
          elimination step, so later steps rank by the re-solved values.
        - ``"contribution"``: the same magnitude times the root mean square
          of the vector's kernel values over the fitting samples, i.e. the
          size of its term in the decision function where the data lie.
          It removes isolated vectors (e.g. mislabelled samples at the bound)
          first.
        - a callable ``criterion(dual_coef, kernel_norms)`` returning one
          score per vector: ``dual_coef`` has shape (n_rows, n_vectors), the
          current coefficients of the kept vectors in the layout of
          libsvm's one-vs-one ``dual_coef_``, and ``kernel_norms`` shape
          (n_vectors,), the root mean square kernel values above.

        Equal scores (e.g. the many coefficients at the bound ``|alpha| =
        C``) are ordered at random with ``random_state``.

        Which works best: with ``refit="coef"``, ``"dual_coef"`` was as good
        or better at 80% and above on the three problems of
        ``benchmarks/bench_svm.py`` (up to 0.9 points better on digits);
        ``"contribution"`` was at most 0.6 points better at 50%, with a
        narrow RBF kernel and noisy labels. With ``refit=None``,
        ``"contribution"`` does less damage (27 instead of 37 points lost at
        80% on a noisy binary problem), but dropping without a refit is poor
        whatever the criterion.

    refit : {"coef", "labels"} or None, default="coef"
        What happens to the kept vectors:

        - ``"coef"``: backward elimination with refitted coefficients.
          Every round removes ``step`` of the current vectors of each class
          and re-solves the kept coefficients and intercept(s) by least
          squares so that the reduced decision function matches the original
          one on the fitting samples (per one-vs-one pair, on the samples of
          its two classes; ridge 1e-4); the final coefficients are fitted the
          same way with the smaller ``ridge``. Where a pair has fewer than
          two fitting samples per vector, which can leave its coefficients
          undetermined, that ridge pulls them towards the reduced function
          closest to the original in the kernel's norm. The rounds shrink
          every class alike whatever the rate, so the vectors kept at a
          higher rate are a subset of those kept at a lower one.
        - ``"labels"`` (:class:`~sklearn.svm.SVC` only): the same
          elimination chooses the vectors, then their coefficients and the
          intercepts are trained anew on the class labels, per one-vs-one
          pair on the fitting samples of its two classes, by a
          :class:`~sklearn.svm.LinearSVC` (squared hinge, the SVM's ``C``,
          its ``class_weight`` and ``sample_weight``) on the kernel features
          of the pair's kept vectors whitened as by
          :class:`~sklearn.kernel_approximation.Nystroem`: the reduced SVM
          of Lee & Mangasarian (2001) with the vectors as its basis. It
          does not imitate the original model, so it can be more accurate
          than it where the SVM is not the best model for the data
          (``hpc_data``); see the SVM user guide for the measurements.
        - ``None``: the vectors are dropped, the rest is left unchanged: the
          naive baseline, much less accurate (chance level at 80% on a
          3-class problem); for comparison only.

        ``refit="svm"`` (retraining the SVM on the kept vectors) was withdrawn
        (issue #11): it fell below chance level at 80% on a 3-class problem, and
        even retraining on the free vectors first lost 4.4 points where
        ``"coef"`` (eliminating in the kernel's norm, as it did then) lost
        0.4. It raises an error that points to ``"coef"``.

    step : float in (0, 1], default=0.25
        With ``refit="coef"`` or ``"labels"``: the largest fraction of a
        class's current vectors removed per elimination round (1 removes all
        at once).
        Smaller steps cost more rounds and help little below 0.25 in our
        measurements. Also spaces the candidate rates of ``"auto"``.

    ridge : float >= 0, default=1e-6
        Ridge term of the final least-squares refit (and of the kernel-norm
        solution it is pulled towards where samples are few), relative to
        the mean diagonal of its Gram matrix over all of a pair's vectors (so
        that it is the same at every rate). The elimination rounds use a
        fixed, larger 1e-4, which ranked the vectors best in our
        measurements.

    max_fit_samples : int or None, default=10_000
        With ``refit="coef"`` (and the ``"contribution"`` criterion), the
        decision function is matched on at most this many samples drawn at
        random from ``X`` (weighted by ``sample_weight``); ``refit="labels"``
        trains on them. ``None`` uses all.
        The cost of the refit grows linearly with it.

    tol : float >= 0, default=0.01
        Largest drop of the held-out score allowed by ``prune_rate="auto"``
        (0.01 = one accuracy point). With accuracy, one held-out error weighs
        ``1 / n_held_out``: below that, ``tol`` allows no extra error at all.

    validation_fraction : float in (0, 1), default=0.2
        Share of the samples held out by ``prune_rate="auto"``.

    max_iter : int >= 1, default=100
        With ``method="reduced_set"``: the L-BFGS iterations. Each costs
        about two kernel blocks of ``max_fit_samples`` x kept vectors.

    random_state : int, RandomState instance or None, default=None
        Tie breaking between equal scores, the fitting subsample and the
        hold-out split of ``"auto"``. The SVM's own randomness is its
        ``random_state``.

    memory : str, object with the joblib.Memory interface or None, default=None
        Cache of the fitted unpruned SVM, keyed on its parameters and its
        training data, and (``refit="coef"`` or ``"labels"``, named
        criteria) of its elimination order and of the factorised refit of
        all its vectors, from which a model at any rate takes one or two
        triangular solves per one-vs-one pair (``"labels"`` still trains its
        linear SVMs at every rate). A search over ``prune_rate`` then fits
        and factorises once per fold. The factorisation takes about
        ``n_SV^2`` floats per pair, twice that for a pair with fewer than two
        fitting samples per vector (more than pruning at one rate needs); it
        is memory-mapped from a disk cache. It is only cached with
        an integer ``random_state``, which fixes the fitting subsample and
        the tie breaking; otherwise the pruner warns and every rate is
        refitted in full. The models are the same as without ``memory`` up
        to rounding (with ``ridge > 0``: without a ridge, a singular system
        is regularised by a ridge that depends on its size).

    verbose : int, default=0
        Progress messages: at 1 or more, a line per stage (the fit of the
        unpruned SVM, the elimination and refit of its vectors, each with its
        time), and with ``prune_rate="auto"`` the held-out score of every
        rate tried. The elimination runs inside one (cacheable) function, so
        its rounds are not reported one by one.

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
        Iterations of the method that built ``estimator_``: the L-BFGS
        iterations of ``method="reduced_set"``, the elimination rounds of
        ``"eliminate"`` (1 with ``refit=None``), 1 for ``"exact"``; 0 when no
        vector was removed.

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
    Probabilities: ``probability=True`` is deprecated in scikit-learn 1.9.
    Calibrate the pruned model instead, e.g.
    ``CalibratedClassifierCV(FrozenEstimator(pruner.estimator_))`` fitted on
    held-out data. If the wrapped SVM was fitted with ``probability=True``,
    ``predict_proba`` works as on the SVM itself, from its Platt parameters
    (kept, and only approximately valid, with ``refit="coef"``, which
    preserves the decision function; stale with ``None`` and
    ``"labels"``).

    Prediction: :meth:`predict`, :meth:`decision_function`, :meth:`score`
    and :meth:`score_samples` evaluate the kernel in blocks with BLAS
    instead of libsvm's loop over vectors and samples: several times faster
    (``benchmarks/bench_svm_predict.py``), with ``estimator_``'s results up
    to rounding (the same one-vs-one votes and tie-breaking, ``break_ties``,
    ``decision_function_shape``). ``predict_proba`` and callable kernels go
    through ``estimator_`` (libsvm).

    Precomputed kernels: the kernel between support vectors is needed by
    ``refit="coef"`` and ``"labels"``, so ``X`` must then be the training Gram
    matrix (always true when the pruner fits the SVM itself). ``"auto"``
    cannot split a precomputed kernel for a new fit: use a
    ``FrozenEstimator``, or a numeric ``prune_rate``.

    Cost: ``refit="coef"`` computes the kernel between support vectors and
    every pair's least-squares equations over its vectors (n_SV^2 memory
    each; for a single rate, only the vectors left after the first
    elimination round) in one pass over ``max_fit_samples`` samples
    (n_samples x n_SV^2 operations), then a Cholesky factorisation per
    elimination round and one-vs-one pair. ``benchmarks/bench_svm.py``
    compares this with the SVM's own ``fit``: 0.74 to 3.1 times its cost on
    the problems measured. With ``memory``, the first rate also factorises
    the refit of all the vectors; every further rate then costs almost
    nothing: ``benchmarks/bench_search.py`` measures a search.
    ``refit="labels"`` adds, at every rate, one linear SVM per pair on the
    pair's fitting samples and kept vectors.

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
        "method": [StrOptions({"eliminate", "exact", "reduced_set"})],
        "criterion": [StrOptions(set(CRITERIA)), callable],
        "refit": [StrOptions({"coef", "labels"}), None],
        "step": [Interval(Real, 0, 1, closed="right")],
        "ridge": [Interval(Real, 0, None, closed="left")],
        "max_fit_samples": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
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
        max_iter=100,
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

    def _validate_params(self):
        if isinstance(self.refit, str) and self.refit == "svm":
            raise InvalidParameterError(
                "The 'refit' parameter of SVMPruner must be 'coef' or None; "
                "refit='svm' was withdrawn: retraining the SVM on the kept "
                "vectors keeps mostly bound vectors on the wrong side of the "
                "margin and fell below chance level at 80% on a 3-class "
                "problem. Use refit='coef' (the default)."
            )
        super()._validate_params()

    def _check_estimator(self):
        base = self._base_estimator()
        if isinstance(base, (LinearSVC, LinearSVR)):
            raise TypeError(
                f"{type(self).__name__} removes support vectors, but "
                f"{type(base).__name__} (liblinear) stores a weight vector and no "
                "support vectors. Use SVC(kernel='linear') or "
                "SVR(kernel='linear') to prune a linear SVM."
            )
        if self.refit == "labels":
            self._check_refit_labels(base)
        super()._check_estimator()

    def _check_refit_labels(self, base):
        if not isinstance(base, SVC):
            raise ValueError(
                "refit='labels' retrains the kept vectors' coefficients with a "
                "linear SVM on the class labels and the SVM's C: it needs an SVC, "
                f"got {type(base).__name__}. Use refit='coef'."
            )
        if self.method != "eliminate":
            raise ValueError(
                "refit='labels' sets the coefficients of the vectors the "
                f"elimination keeps; method={self.method!r} does not use it. Use "
                "method='eliminate'."
            )

    def _check_kernel_inputs(self, X):
        """Errors about kernels that must come before any fit."""
        base = self._base_estimator()
        if self.method == "reduced_set" and (
            callable(base.kernel) or base.kernel not in SUPPORTED_KERNELS
        ):
            name = "a callable" if callable(base.kernel) else repr(base.kernel)
            raise ValueError(
                f"method='reduced_set' moves the support vectors in feature space, "
                f"which needs a kernel on feature values with a known gradient "
                f"({', '.join(SUPPORTED_KERNELS)}); got kernel={name}. Use "
                "method='eliminate'."
            )
        if callable(base.kernel) or base.kernel != "precomputed":
            return
        if self.prune_rate == "auto" and not self._is_frozen():
            raise ValueError(
                "prune_rate='auto' holds out part of the samples and fits the SVM "
                "on the rest, which a precomputed kernel does not allow (the "
                "pruned model must accept kernels against all training samples). "
                "Use a numeric prune_rate, or wrap the fitted SVM in "
                "FrozenEstimator."
            )
        if self._is_frozen() and self.refit is not None:
            n_train = base.shape_fit_[0]
            shape = getattr(X, "shape", None)
            if shape is None or tuple(shape[:2]) != (n_train, n_train):
                raise ValueError(
                    f"refit={self.refit!r} with kernel='precomputed' needs the kernel "
                    "between the support vectors: pass the training Gram matrix, "
                    f"of shape ({n_train}, {n_train}), as X; got X of shape "
                    f"{shape}. refit=None needs no Gram matrix."
                )

    # -- the template method ------------------------------------------------------

    def _fit_prune(self, X, y, sample_weight):
        self._check_kernel_inputs(X)
        rng = check_random_state(self.random_state)
        n_samples = _num_samples(X)
        weight = (
            np.ones(n_samples)
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float64)
        )
        if self._auto():
            fit_idx, val_idx = self._holdout(y, n_samples, rng)
        else:
            fit_idx, val_idx = np.arange(n_samples), None
        start = time.perf_counter()
        if self._is_frozen() or val_idx is None:
            svm = self._fit_base(X, y, sample_weight)
        else:
            svm = self._fit_base(
                _safe_indexing(X, fit_idx),
                None if y is None else _safe_indexing(y, fit_idx),
                None if sample_weight is None else weight[fit_idx],
            )
        # An accelerated model (scikit-learn-intelex) cannot hold a reduced
        # model: prune its plain scikit-learn copy.
        svm = as_libsvm_model(svm)
        self._log(
            f"unpruned {type(svm).__name__}: {len(svm.support_)} support vectors "
            f"({time.perf_counter() - start:.2f} s)"
        )
        self._lbfgs_iter = 0
        with blas_threads_for(len(svm.support_)):
            pruned = self._prune(svm, X, y, weight, fit_idx, val_idx, rng)
        self.n_iter_ = self._iterations(svm, pruned)
        return svm, pruned

    def _iterations(self, svm, pruned):
        """``n_iter_``: the iterations of the method that built ``pruned``."""
        before, after = SVLayout(svm), SVLayout(pruned)
        if after.n_sv == before.n_sv:
            return 0
        if self.method == "exact":
            return 1
        if self.method == "reduced_set" and self._lbfgs_iter:
            return self._lbfgs_iter
        if self.refit is None:
            return 1
        return elimination_rounds(before.n_support, after.n_support, self.step)

    def _auto(self):
        # "exact" has no rate to choose.
        return self.prune_rate == "auto" and self.method != "exact"

    def _prune(self, svm, X, y, weight, fit_idx, val_idx, rng):
        layout = SVLayout(svm)
        if layout.n_sv == 0:
            return copy.deepcopy(svm)
        if self.method == "exact":
            return exact_reduction(svm, SVKernel(svm))
        if self.prune_rate != "auto" and self.prune_rate == 0:
            return copy.deepcopy(svm)
        kernel = SVKernel(svm)
        X = self._prepare_X(svm, kernel, X)
        y_arr = None if y is None else np.asarray(y)
        if kernel.is_precomputed and self.refit is not None:
            kernel.gram = X
        # Fitting samples: a random subsample of the fit part.
        if self.max_fit_samples is not None and len(fit_idx) > self.max_fit_samples:
            fit_idx = np.sort(rng.choice(fit_idx, self.max_fit_samples, replace=False))
        tiebreak = rng.permutation(layout.n_sv).astype(np.float64)
        # Drawn last, and only when used: the other refits' draws are unchanged.
        seed = rng.randint(np.iinfo(np.int32).max) if self.refit == "labels" else None
        ctx = _Context(
            svm=svm,
            layout=layout,
            kernel=kernel,
            X_fit=kernel.rows(X, fit_idx),
            # A negative weight (SVC accepts them) would make the
            # least-squares system indefinite: such samples are not matched.
            w_fit=np.clip(weight[fit_idx], 0.0, None),
            group_fit=_class_index(svm, layout, y_arr, fit_idx),
            dual_coef=dense_dual_coef(svm),
            tiebreak=tiebreak,
            seed=seed,
        )
        if self._auto():
            return self._prune_auto(ctx, X, y_arr, weight, val_idx)
        targets = target_counts(layout.n_support, self.prune_rate)
        if np.array_equal(targets, layout.n_support):
            return copy.deepcopy(svm)
        return self._candidates(ctx, [targets])[0]()[0]

    def _prepare_X(self, svm, kernel, X):
        if kernel.is_callable or kernel.is_precomputed:
            return kernel.prepare(X)
        # Feature count and names are checked against the fitted SVM (the
        # frozen one may have been fitted on other data); reset=False leaves
        # it untouched.
        return validate_data(svm, X, reset=False, accept_sparse="csr", dtype=np.float64)

    # -- candidates -----------------------------------------------------------------

    def _candidates(self, ctx, target_list):
        """Lazily built pruned models for each per-class target in order.

        Returns a list of zero-argument callables (the costly refit of a
        candidate only runs when "auto" evaluates it) that return the pruned
        estimator and the positions of its vectors in the original list.
        """
        if self.method == "reduced_set":
            makers = self._elimination_candidates(ctx, target_list)
            return [_bind(self._reduced_set, ctx, make) for make in makers]
        return self._elimination_candidates(ctx, target_list)

    def _reduced_set(self, ctx, make):
        start = time.perf_counter()
        reduced, kept = make()
        if len(kept) == ctx.layout.n_sv:
            return reduced, kept
        model, self._lbfgs_iter = construct_reduced_set(
            ctx.svm, reduced, kept, ctx.X_fit, ctx.w_fit, ctx.group_fit, self.max_iter
        )
        self._log(
            f"reduced set: {len(kept)} vectors moved "
            f"(max_iter={self.max_iter}): {time.perf_counter() - start:.2f} s"
        )
        return model, kept

    def _elimination_candidates(self, ctx, target_list):
        if self.refit is not None:
            smallest = np.min(np.asarray(target_list), axis=0)
            check_elimination_rounds(ctx.layout.n_support, smallest, self.step)
            nested = self._nested_refit(ctx, target_list)
            refit = self._refit_labels if self.refit == "labels" else self._refit_coef
            return [_bind(refit, ctx, nested, t) for t in target_list]
        scores = score_vectors(self.criterion, ctx.dual_coef, self._kernel_norms(ctx))
        makers = []
        for targets in target_list:
            kept = keep_highest(ctx.all_kept(), scores, targets, ctx.tiebreak)
            makers.append(_bind(self._drop_only, ctx, kept))
        return makers

    def _nested_refit(self, ctx, target_list):
        """The elimination orders and the refit of every reduced model.

        A single rate without a usable cache factorises only the systems of
        its own kept vectors. Otherwise the systems of all the vectors are
        factorised, and cached in ``memory`` (with the numpy arrays
        memory-mapped on disk): every other rate then costs one or two triangular
        solves per one-vs-one pair. Both give the same model, up to rounding
        (with ``ridge > 0``).
        """
        # A callable criterion's hash need not follow its behaviour, and
        # without an int random_state every fit draws new tie-breaking keys:
        # neither can be served from the cache.
        cacheable = isinstance(self.criterion, str) and cache_reusable(
            self.memory,
            self.random_state,
            "the factorised refit (the SVM's fit is still cached)",
            stacklevel=6,
        )
        n_leading = None
        if len(target_list) == 1 and not cacheable:
            n_leading = target_list[0]
        args = (
            ctx.svm,
            ctx.kernel.gram,
            ctx.X_fit,
            ctx.w_fit,
            ctx.group_fit,
            ctx.tiebreak,
            self.criterion,
            self.step,
            self.ridge,
            n_leading,
        )
        start = time.perf_counter()
        if cacheable:
            nested = self._call_cached(_fit_nested_refit, *args, mmap_mode="r")
        else:
            nested = _fit_nested_refit(*args)
        self._log(
            f"elimination (step={self.step}) and refit of "
            f"{ctx.layout.n_sv} vectors: {time.perf_counter() - start:.2f} s"
            + (" (from the cache or stored in it)" if cacheable else "")
        )
        return nested

    def _kernel_norms(self, ctx):
        # "dual_coef" ignores them: spare the pass over the fitting samples.
        if self.criterion == "dual_coef":
            return np.ones(ctx.layout.n_sv)
        return ctx.kernel_norms()

    def _drop_only(self, ctx, kept):
        flat = np.concatenate(kept)
        reduced = write_reduced_model(
            ctx.svm, flat, ctx.dual_coef[:, flat], ctx.svm._intercept_
        )
        return reduced, flat

    def _refit_coef(self, ctx, nested, targets):
        kept, dual_coef, intercept = nested.at(targets)
        flat = np.concatenate(kept)
        if len(flat) == ctx.layout.n_sv:
            return copy.deepcopy(ctx.svm), flat
        return write_reduced_model(ctx.svm, flat, dual_coef, intercept), flat

    def _refit_labels(self, ctx, nested, targets):
        """The vectors the elimination keeps, coefficients trained on the labels."""
        kept, dual_coef, intercept = nested.at(targets)
        flat = np.concatenate(kept)
        if len(flat) == ctx.layout.n_sv:
            return copy.deepcopy(ctx.svm), flat
        start = time.perf_counter()
        by_vector = np.zeros((ctx.layout.n_rows, ctx.layout.n_sv))
        by_vector[:, flat] = dual_coef
        svm = ctx.svm
        class_weight = svm.class_weight_[np.maximum(ctx.group_fit, 0)]
        coef, intercept = relabel_pairs(
            ctx.layout,
            ctx.kernel,
            kept,
            ctx.X_fit,
            ctx.group_fit,
            ctx.w_fit * class_weight,
            svm.C,
            ctx.seed,
            fallback=(by_vector, intercept),
        )
        self._log(
            f"refit on the labels: {len(flat)} vectors "
            f"({time.perf_counter() - start:.2f} s)"
        )
        return write_reduced_model(svm, flat, coef[:, flat], intercept), flat

    # -- "auto" -----------------------------------------------------------------

    def _holdout(self, y, n_samples, rng):
        return self._holdout_indices(
            y, n_samples, purpose="prune_rate='auto'", random_state=rng, sort=True
        )

    def _prune_auto(self, ctx, X, y, weight, val_idx):
        layout = ctx.layout
        X_val = ctx.kernel.rows(X, val_idx)
        K_val = _kernel_rows(ctx.kernel, X_val, layout.n_sv)
        w_val = weight[val_idx]
        y_val = None if y is None else _safe_indexing(y, val_idx)
        reference = _predict(ctx.svm, layout, K_val)
        reference_score = _score(ctx.svm, reference, y_val, w_val, reference)
        targets = auto_targets(layout.n_support, self.step)
        makers = self._candidates(ctx, targets[::-1])
        # From the smallest model up: the first within tol is the largest rate.
        for make in makers:
            candidate, kept = make()
            if self.method == "reduced_set":
                # The vectors moved: their kernel columns are new.
                K_kept = _kernel_rows(SVKernel(candidate), X_val, len(kept))
            else:
                K_kept = K_val[:, kept]
            prediction = _predict(candidate, SVLayout(candidate), K_kept)
            score = _score(ctx.svm, prediction, y_val, w_val, reference)
            floor = reference_score - self.tol
            side = "at or above" if score >= floor else "below"
            self._log(
                f"auto: held-out score {score:.4f} with {len(kept)} vectors "
                f"({side} the floor {floor:.4f})"
            )
            if score >= floor:
                return candidate
        return copy.deepcopy(ctx.svm)

    # -- prediction ---------------------------------------------------------------

    def _predict_with(self, method, X):
        """``estimator_.<method>(X)``, by the BLAS path where it reproduces libsvm.

        The kernel is evaluated in blocks with BLAS (see ``_fast_predict``),
        several times faster than libsvm's loop over vectors and samples,
        with the same results; ``estimator_`` stays the plain libsvm model.
        Probabilities and callable kernels go through libsvm.
        """
        check_is_fitted(self)
        if not _fast_predict.has_fast_path(self.estimator_):
            return getattr(self.estimator_, method)(X)
        if method == "score_samples":
            decision = _fast_predict.decision_function(self.estimator_, X)
            return decision + self.offset_
        if method in ("decision_function", "predict"):
            return getattr(_fast_predict, method)(self.estimator_, X)
        return getattr(self.estimator_, method)(X)

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
        metric = accuracy_score if is_classifier(self.estimator_) else r2_score
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


class _Context:
    """What the pruning of one fitted SVM needs, computed once on demand."""

    def __init__(
        self, svm, layout, kernel, X_fit, w_fit, group_fit, dual_coef, tiebreak, seed
    ):
        self.svm = svm
        self.layout = layout
        self.kernel = kernel
        self.X_fit = X_fit
        self.w_fit = w_fit
        self.group_fit = group_fit
        self.dual_coef = dual_coef
        self.tiebreak = tiebreak
        self.seed = seed
        self._norms = None

    def all_kept(self):
        return [self.layout.block(c) for c in range(self.layout.n_groups)]

    def kernel_norms(self):
        """RMS kernel value of every vector over the fitting samples."""
        if self._norms is None:
            self._norms = kernel_norms(
                self.kernel, self.X_fit, self.layout.n_sv, self.w_fit
            )
        return self._norms


def _fit_nested_refit(
    svm, gram, X_fit, w_fit, group_fit, tiebreak, criterion, step, ridge, n_leading
):
    """Eliminate ``svm``'s vectors and factorise the refits of the reduced models.

    Module-level, on plain arguments, so that ``joblib.Memory`` can cache it.
    ``n_leading`` (vectors per class, or None for all) bounds the reduced
    models the result can produce.
    """
    layout = SVLayout(svm)
    kernel = SVKernel(svm, gram=gram)
    dual_coef = dense_dual_coef(svm)
    if criterion == "dual_coef":
        # It ignores the norms: spare the pass over the fitting samples.
        norms = np.ones(layout.n_sv)
    else:
        norms = kernel_norms(kernel, X_fit, layout.n_sv, w_fit)
    all_sv = np.arange(layout.n_sv)
    psd = svm.kernel in ("linear", "rbf") or (svm.kernel == "poly" and svm.coef0 >= 0)

    def equations_for(vectors):
        return PairEquations(
            layout,
            kernel,
            X_fit,
            w_fit,
            group_fit,
            dual_coef,
            svm._intercept_,
            vectors=vectors,
        )

    path = EliminationPath(
        layout,
        equations_for,
        kernel.among(all_sv),
        dual_coef,
        criterion,
        norms,
        ridge,
        tiebreak,
        psd=psd,
    )
    ones = np.ones(layout.n_groups, dtype=np.intp)
    orders = path.orders(ones if n_leading is None else n_leading, step, n_leading)
    return NestedRefit(path, orders, svm._intercept_, ridge, n_leading=n_leading)


def _bind(func, *args):
    return lambda: func(*args)


def _class_index(svm, layout, y, index):
    """Class index of the samples ``index`` (-1 for labels the SVM lacks)."""
    if not layout.is_classifier or y is None:
        return np.zeros(len(index), dtype=np.intp)
    labels = np.asarray(_safe_indexing(y, index)).ravel()
    classes = svm.classes_
    position = np.clip(np.searchsorted(classes, labels), 0, len(classes) - 1)
    return np.where(classes[position] == labels, position, -1)


def _kernel_rows(kernel, X, n_sv):
    return kernel.between(X, np.arange(n_sv))


def _predict(svm, layout, K):
    """Predictions of a libsvm model from kernel columns of its vectors."""
    values = pair_values(layout, K, dense_dual_coef(svm), svm._intercept_)
    if layout.is_classifier:
        return vote(layout, values)
    if isinstance(svm, OneClassSVM):
        return np.where(values[:, 0] > 0, 1, -1)
    return values[:, 0]


def _score(svm, prediction, y, sample_weight, reference):
    if is_classifier(svm):
        return accuracy_score(
            np.asarray(y).ravel(), svm.classes_[prediction], sample_weight=sample_weight
        )
    if isinstance(svm, OneClassSVM):
        return accuracy_score(reference, prediction, sample_weight=sample_weight)
    return r2_score(np.asarray(y).ravel(), prediction, sample_weight=sample_weight)
