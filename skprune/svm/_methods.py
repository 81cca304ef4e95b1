"""How the support vectors are reduced: the ``method`` objects.

Every method states the :class:`~skprune.svm.SVMPruner` parameters it reads
(``parameters``, passed to its constructor and nothing else), the ``refit``
rules it combines with (``refits``) and the kernels it handles (``kernels``,
None for all); the pruner checks them once, before any fit.

A method with ``uses_prune_rate`` builds candidate models for per-class
targets from a :class:`PruningContext` and a refit rule (see
:mod:`._refits`); one without it reduces the fitted SVM in one go.
"""

from functools import partial

import numpy as np
from sklearn.utils import _safe_indexing

from ._exact import exact_reduction
from ._kernels import SVKernel
from ._libsvm_model import SVLayout, dense_dual_coef
from ._reduced_set import SUPPORTED_KERNELS, construct_reduced_set
from ._refits import REFITS


class Elimination:
    """``method="eliminate"``: keep a subset of the training-sample vectors."""

    parameters = ()
    refits = (None, "coef", "labels")
    kernels = None
    uses_prune_rate = True

    def candidates(self, ctx, refit, target_list):
        return refit.candidates(ctx, target_list)


class ReducedSet:
    """``method="reduced_set"``: move the eliminated model's vectors.

    The positions, coefficients and intercepts of the elimination's reduced
    model are optimised jointly by L-BFGS (see :mod:`._reduced_set`).
    """

    parameters = ("max_iter",)
    refits = (None, "coef")
    kernels = SUPPORTED_KERNELS
    kernel_requirement = (
        "moves the support vectors in feature space, which needs a kernel on "
        "feature values with a known gradient"
    )
    uses_prune_rate = True

    def __init__(self, max_iter):
        self.max_iter = max_iter

    def candidates(self, ctx, refit, target_list):
        eliminated = refit.candidates(ctx, target_list)
        return [partial(self._move, ctx, make) for make in eliminated]

    def _move(self, ctx, make):
        reduced, kept, n_iter = make()
        if len(kept) == ctx.layout.n_sv:
            return reduced, kept, n_iter
        with ctx.log_step(
            f"reduced set: {len(kept)} vectors moved (max_iter={self.max_iter})"
        ):
            model, n_lbfgs = construct_reduced_set(
                ctx.svm,
                reduced,
                kept,
                ctx.X_fit,
                ctx.w_fit,
                ctx.group_fit,
                self.max_iter,
                # No refit rule that draws from ctx.rng goes with this method.
                random_state=ctx.rng,
            )
        # Without an L-BFGS step, the elimination built the model.
        return model, kept, n_lbfgs or n_iter


class Exact:
    """``method="exact"``: the fewest vectors that keep the decision function.

    It has no rate to choose: ``prune_rate`` (``"auto"`` included) and the
    refit rule are not used.
    """

    parameters = ()
    refits = (None, "coef")
    kernels = None
    uses_prune_rate = False

    def reduce(self, svm):
        """The reduced copy of ``svm`` and its iteration count (one pass)."""
        return exact_reduction(svm, SVKernel(svm)), 1


METHODS = {"eliminate": Elimination, "exact": Exact, "reduced_set": ReducedSet}


def pruning_rules(params, svm):
    """The method and refit objects of ``params``, checked against each other.

    Each is built from the parameters it declares, and nothing else.

    Parameters
    ----------
    params : dict
        The pruner's parameters (``get_params(deep=False)``).
    svm : libsvm estimator
        The SVM to prune, fitted or not.
    """
    method_name, refit_name = params["method"], params["refit"]
    method, refit = METHODS[method_name], REFITS[refit_name]
    if refit_name not in method.refits:
        raise ValueError(
            f"refit={refit_name!r} sets the coefficients of the vectors the "
            f"elimination keeps; method={method_name!r} does not use it. Use "
            "method='eliminate'."
        )
    if not isinstance(svm, refit.estimators):
        names = [cls.__name__ for cls in refit.estimators]
        needed = " or ".join([", ".join(names[:-1]), names[-1]] if names[1:] else names)
        raise ValueError(
            f"refit={refit_name!r} {refit.requirement}: it needs an {needed}, "
            f"got {type(svm).__name__}. Use refit='coef'."
        )
    kernel = svm.kernel
    if method.kernels is not None and (
        callable(kernel) or kernel not in method.kernels
    ):
        name = "a callable" if callable(kernel) else repr(kernel)
        raise ValueError(
            f"method={method_name!r} {method.kernel_requirement} "
            f"({', '.join(method.kernels)}); got kernel={name}. Use "
            "method='eliminate'."
        )
    return _build(method, params), _build(refit, params)


def check_precomputed_kernel(svm, X, frozen, auto, refit_name, refit):
    """A precomputed kernel can neither be split nor refitted without its Gram.

    Raised before any fit. ``frozen``: whether ``svm`` is fitted already;
    ``auto``: whether part of the samples is held out.
    """
    if callable(svm.kernel) or svm.kernel != "precomputed":
        return
    if auto and not frozen:
        raise ValueError(
            "prune_rate='auto' holds out part of the samples and fits the SVM "
            "on the rest, which a precomputed kernel does not allow (the "
            "pruned model must accept kernels against all training samples). "
            "Use a numeric prune_rate, or wrap the fitted SVM in "
            "FrozenEstimator."
        )
    if frozen and refit.needs_sv_kernel:
        n_train = svm.shape_fit_[0]
        shape = getattr(X, "shape", None)
        if shape is None or tuple(shape[:2]) != (n_train, n_train):
            raise ValueError(
                f"refit={refit_name!r} with kernel='precomputed' needs the kernel "
                "between the support vectors: pass the training Gram matrix, "
                f"of shape ({n_train}, {n_train}), as X; got X of shape "
                f"{shape}. refit=None needs no Gram matrix."
            )


def _build(rule, params):
    return rule(**{name: params[name] for name in rule.parameters})


class PruningContext:
    """What the pruning of one fitted SVM needs, computed once.

    Attributes
    ----------
    svm : fitted libsvm estimator
        The unpruned model (shared: never modified).
    layout : SVLayout
    kernel : SVKernel
    X : array-like
        All the samples, in the form the kernel is evaluated on.
    X_fit, w_fit, group_fit : array-like, ndarray, ndarray
        The fitting samples (the refit matches the decision function on
        them), their weights and their class indices (-1 for a label the
        SVM lacks; zeros for regressors and one-class models).
    y_fit : ndarray of float or None
        The fitting samples' targets (regressors with ``y`` only).
    dual_coef : ndarray of shape (n_rows, n_sv)
        The original coefficients, dense.
    tiebreak : ndarray of shape (n_sv,)
        Random keys that break ties between equal scores.
    rng : RandomState
        For the draws of a refit rule, after those above.
    cache : callable or None
        ``cache(func, *args, mmap_mode=None)``: ``func(*args)`` through the
        pruner's ``memory``; None where a result cannot be reused.
    log_step : callable
        ``log_step(what)``: a context that times a stage and reports it
        (:func:`skprune.utils.log_step` bound to the pruner).
    """

    def __init__(self, *, svm, X, y, weight, fit_idx, rng, cache, log_step):
        self.svm = svm
        self.layout = SVLayout(svm)
        self.kernel = SVKernel(svm)
        self.X = self.kernel.prepare(X)
        if self.kernel.is_precomputed:
            # The training Gram matrix: the kernel between support vectors.
            self.kernel.gram = self.X
        self.X_fit = self.kernel.rows(self.X, fit_idx)
        self.w_fit = weight[fit_idx]
        self.group_fit = _class_index(svm, self.layout, y, fit_idx)
        self.y_fit = _targets(self.layout, y, fit_idx)
        self.dual_coef = dense_dual_coef(svm)
        self.tiebreak = rng.permutation(self.layout.n_sv).astype(np.float64)
        self.rng = rng
        self.cache = cache
        self.log_step = log_step

    def all_kept(self):
        """Every vector, per class."""
        return [self.layout.block(c) for c in range(self.layout.n_groups)]


def _targets(layout, y, index):
    """The float targets of the samples ``index`` (regressors with ``y`` only)."""
    if layout.is_classifier or y is None:
        return None
    return np.asarray(_safe_indexing(y, index), dtype=np.float64).ravel()


def _class_index(svm, layout, y, index):
    """Class index of the samples ``index`` (-1 for labels the SVM lacks)."""
    if not layout.is_classifier or y is None:
        return np.zeros(len(index), dtype=np.intp)
    labels = np.asarray(_safe_indexing(y, index)).ravel()
    classes = svm.classes_
    position = np.clip(np.searchsorted(classes, labels), 0, len(classes) - 1)
    return np.where(classes[position] == labels, position, -1)
