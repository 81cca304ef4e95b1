"""What happens to the kept vectors' coefficients: the ``refit`` rules.

A rule turns per-class targets (vectors to keep) into reduced models of the
fitted SVM described by a :class:`~._methods.PruningContext`. Its
:meth:`candidates` returns, for every target, a zero-argument callable that
builds the model only when called (``prune_rate="auto"`` evaluates the
smallest models first and stops at the first good one). Each callable returns
``(model, kept, n_iter)``: the reduced estimator, the positions of its vectors
in the original list, and the iterations that built it.

``parameters`` names the :class:`~skprune.svm.SVMPruner` parameters a rule
reads: the pruner passes exactly those to its constructor.
"""

import copy
from functools import partial

import numpy as np
from sklearn.svm import SVC, SVR, NuSVR

from ._accelerated import LIBSVM_CLASSES
from ._kernels import SVKernel
from ._libsvm_model import SVLayout, dense_dual_coef, write_reduced_model
from ._reduce import (
    EliminationPath,
    NestedRefit,
    PairEquations,
    check_elimination_rounds,
    criterion_norms,
    decision_values,
    elimination_rounds,
    keep_highest,
    score_vectors,
)
from ._relabel import relabel_pairs, relabel_regression, tube_width


class DropOnly:
    """``refit=None``: drop the lowest-scored vectors, keep the rest unchanged.

    The naive baseline, for comparison only.
    """

    parameters = ("criterion",)
    estimators = LIBSVM_CLASSES
    # Dropping reads no kernel between support vectors, and has no costly
    # result worth caching.
    needs_sv_kernel = False
    cacheable = False

    def __init__(self, criterion):
        self.criterion = criterion

    def candidates(self, ctx, target_list):
        norms = criterion_norms(
            self.criterion, ctx.kernel, ctx.X_fit, ctx.layout.n_sv, ctx.w_fit
        )
        scores = score_vectors(self.criterion, ctx.dual_coef, norms)
        return [
            partial(_drop, ctx, keep_highest(ctx.all_kept(), scores, t, ctx.tiebreak))
            for t in target_list
        ]


def _drop(ctx, kept):
    flat = np.concatenate(kept)
    model = write_reduced_model(
        ctx.svm, flat, ctx.dual_coef[:, flat], ctx.svm._intercept_
    )
    return model, flat, 1


class CoefRefit:
    """``refit="coef"``: backward elimination with least-squares refits.

    The elimination orders and the factorised refits of every reduced model
    come from one (cacheable) :func:`fit_nested_refit`; a model at any rate
    then costs one or two triangular solves per one-vs-one pair.
    """

    parameters = ("criterion", "step", "ridge")
    estimators = LIBSVM_CLASSES
    needs_sv_kernel = True

    def __init__(self, criterion, step, ridge):
        self.criterion = criterion
        self.step = step
        self.ridge = ridge

    @property
    def cacheable(self):
        # A callable criterion's hash need not follow its behaviour.
        return isinstance(self.criterion, str)

    def candidates(self, ctx, target_list):
        write = self._writer(ctx)
        smallest = np.min(np.asarray(target_list), axis=0)
        check_elimination_rounds(ctx.layout.n_support, smallest, self.step)
        nested = self._nested_refit(ctx, target_list)
        return [partial(self._model_at, ctx, nested, write, t) for t in target_list]

    def _writer(self, ctx):
        """``write(kept, dual_coef, intercept)``: the reduced model of ``kept``."""
        return partial(_write_refitted, ctx)

    def _nested_refit(self, ctx, target_list):
        """The elimination orders and the refit of every reduced model.

        A single rate without a cache factorises only the systems of its own
        kept vectors; otherwise the systems of all the vectors are factorised
        and cached (memory-mapped from a disk cache), so that every further
        rate costs only triangular solves. Both give the same model, up to
        rounding (with ``ridge > 0``).
        """
        n_leading = None
        if len(target_list) == 1 and ctx.cache is None:
            n_leading = target_list[0]
        args = (ctx.svm, ctx.kernel.gram, ctx.X_fit, ctx.w_fit, ctx.group_fit)
        args += (ctx.tiebreak, self.criterion, self.step, self.ridge, n_leading)
        with ctx.log_step(
            f"elimination (step={self.step}) and refit of {ctx.layout.n_sv} vectors"
        ) as step:
            if ctx.cache is None:
                return fit_nested_refit(*args)
            step.details = "from the cache or stored in it"
            return ctx.cache(fit_nested_refit, *args, mmap_mode="r")

    def _model_at(self, ctx, nested, write, targets):
        kept, dual_coef, intercept = nested.at(targets)
        flat = np.concatenate(kept)
        if len(flat) == ctx.layout.n_sv:
            return copy.deepcopy(ctx.svm), flat, 0
        model = write(kept, dual_coef, intercept)
        rounds = elimination_rounds(
            ctx.layout.n_support, SVLayout(model).n_support, self.step
        )
        return model, flat, rounds


def _write_refitted(ctx, kept, dual_coef, intercept):
    return write_reduced_model(ctx.svm, np.concatenate(kept), dual_coef, intercept)


class LabelsRefit(CoefRefit):
    """``refit="labels"``: the elimination's vectors, coefficients trained anew.

    A linear SVM on the labels over the whitened kernel features of the kept
    vectors (Lee & Mangasarian's reduced SVM): per one-vs-one pair for a
    classifier, once on the targets for a regressor.
    """

    estimators = (SVC, SVR, NuSVR)
    requirement = (
        "retrains the kept vectors' coefficients with a linear SVM on the "
        "labels and the SVM's C"
    )

    def _writer(self, ctx):
        # Drawn once per fit, after every other draw: it leaves them unchanged.
        seed = ctx.rng.randint(np.iinfo(np.int32).max)
        if not ctx.layout.is_classifier:
            # The tube's width depends on the unpruned model only: once per fit.
            return partial(_write_retargeted, ctx, seed, _tube_width(ctx))
        return partial(_write_relabelled, ctx, seed)


def _write_relabelled(ctx, seed, kept, dual_coef, intercept):
    """The model of ``kept`` with coefficients trained on the labels."""
    flat = np.concatenate(kept)
    with ctx.log_step(f"refit on the labels: {len(flat)} vectors"):
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
            seed,
            fallback=(by_vector, intercept),
        )
    return write_reduced_model(svm, flat, coef[:, flat], intercept)


def _tube_width(ctx):
    """The epsilon of a regressor's refit: the SVR's own, or the NuSVR fit's.

    NuSVR sets its tube's width by ``nu``: the width its fit found is taken
    from its residuals on the fitting samples.
    """
    svm = ctx.svm
    if not isinstance(svm, NuSVR):
        return svm.epsilon
    values = decision_values(
        ctx.kernel, ctx.layout, ctx.X_fit, ctx.dual_coef, svm._intercept_
    )
    return tube_width(ctx.y_fit - values[:, 0], ctx.w_fit, svm.nu)


def _write_retargeted(ctx, seed, epsilon, kept, dual_coef, intercept):
    """An SVR's or NuSVR's model of ``kept`` retrained on the targets."""
    flat = np.concatenate(kept)
    svm = ctx.svm
    with ctx.log_step(f"refit on the targets: {len(flat)} vectors"):
        coef, intercept = relabel_regression(
            ctx.kernel, flat, ctx.X_fit, ctx.y_fit, ctx.w_fit, svm.C, epsilon, seed
        )
    return write_reduced_model(svm, flat, coef[None, :], np.array([intercept]))


REFITS = {None: DropOnly, "coef": CoefRefit, "labels": LabelsRefit}


def fit_nested_refit(
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
    norms = criterion_norms(criterion, kernel, X_fit, layout.n_sv, w_fit)
    all_sv = np.arange(layout.n_sv)
    psd = svm.kernel in ("linear", "rbf") or (svm.kernel == "poly" and svm.coef0 >= 0)
    equations_for = partial(
        PairEquations,
        layout,
        kernel,
        X_fit,
        w_fit,
        group_fit,
        dual_coef,
        svm._intercept_,
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
