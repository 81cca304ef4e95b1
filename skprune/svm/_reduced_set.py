"""Reduced-set construction: move the kept vectors, not only their coefficients.

Starting from a reduced model of the elimination (kept training samples and
refitted coefficients), the vectors' positions, their coefficients and the
intercepts are optimised jointly by L-BFGS on the squared error between the
reduced and the original decision values over the fitting samples (Burges
1996; Schoelkopf et al. 1999). Per one-vs-one pair ``p`` the error is taken on
the samples of its two classes, as libsvm trained it; a vector of class ``c``
enters every pair ``(c, j)``, so its one position serves all of them.

Writing ``C`` for the (n_pairs, n_vectors) coefficient matrix (zero where a
vector is not in a pair), ``K`` for the kernel between the fitting samples
``X`` and the vectors ``Z`` and ``R`` for the weighted residuals
(n_samples, n_pairs), the loss is ``sum(R * (K C^T + b - T)) / 2`` and

- ``dL/dC = R^T K`` (masked to the pairs' vectors), ``dL/db = sum(R)``;
- with ``S = R C`` (n_samples, n_vectors), the gradient with respect to ``Z``
  is ``-2 gamma (diag(sum_x G) Z - G^T X)`` with ``G = K * S`` for the rbf
  kernel, and ``gamma (S * k'(u))^T X`` for a kernel ``k(u)``,
  ``u = gamma <z, x> + coef0``, of the dot product (linear, poly, sigmoid).
"""

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils.extmath import row_norms

from ._fast_predict import blas_threads_for
from ._kernels import SVKernel
from ._libsvm_model import SVLayout, dense_dual_coef, write_reduced_model
from ._reduce import decision_values

SUPPORTED_KERNELS = ("rbf", "poly", "sigmoid", "linear")

# The stopping rule: relative improvement of the loss over _WINDOW iterations.
DEFAULT_TOL = 0.02
_WINDOW = 10
# Fitting samples of the first, cheaper L-BFGS stage.
COARSE_SAMPLES = 3000
# Rows of the fitting samples per block of the loss's computation.
_ROW_BLOCK = 512
# Precision of the loss's kernel blocks where it reproduces double precision
# (see _precise_enough); their sums over blocks are in double.
_DTYPE = np.float32
# Largest relative difference of the loss and gradient at the start between
# _DTYPE and double precision for _DTYPE to be used.
_PRECISION = 1e-3
# L-BFGS's history: at most this many stored numbers (32 MB), and between
# SciPy's default number of updates and _MAX_HISTORY.
_HISTORY_ENTRIES = 2**22
_MIN_HISTORY = 10
_MAX_HISTORY = 40


class _DotKernel:
    """``k(u)``, ``u = gamma <z, x> + coef0``, and its derivative."""

    def __init__(self, svm):
        self.name = svm.kernel
        self.gamma = 1.0 if self.name == "linear" else float(svm._gamma)
        self.coef0 = 0.0 if self.name == "linear" else float(svm.coef0)
        self.degree = svm.degree

    def values_and_slopes(self, X, Z):
        u = self.gamma * _dot(X, Z) + self.coef0
        if self.name == "linear":
            return u, np.ones_like(u)
        if self.name == "poly":
            low = u ** (self.degree - 1)
            return low * u, self.degree * low
        t = np.tanh(u)
        return t, 1.0 - t * t

    def loss_terms(self, X, x_sq, Z, S_factory):
        K, slope = self.values_and_slopes(X, Z)
        S = S_factory(K)
        G = S * slope
        return K, self.gamma * _t_dot(G, X)


class _RBFKernel:
    def __init__(self, svm):
        self.gamma = float(svm._gamma)

    def loss_terms(self, X, x_sq, Z, S_factory):
        # In place, and with the scalings on the small operands: these
        # (n_samples, n_vectors) blocks dominate the cost.
        gamma = self.gamma
        K = _dot(X, (2.0 * gamma) * Z)
        K -= (gamma * x_sq)[:, None]
        K -= (gamma * np.einsum("ij,ij->i", Z, Z))[None, :]
        np.minimum(K, 0.0, out=K)
        np.exp(K, out=K)
        G = S_factory(K)
        G *= K
        grad = -2.0 * self.gamma * (G.sum(axis=0)[:, None] * Z - _t_dot(G, X))
        return K, grad


def _dot(X, Z):
    """``X @ Z.T`` for a dense or sparse ``X`` and a dense ``Z``, dense."""
    return np.asarray(X @ Z.T)


def _t_dot(G, X):
    """``G.T @ X`` for a dense ``G`` and a dense or sparse ``X``, dense."""
    if sp.issparse(X):
        return np.asarray((X.T @ G).T)
    return G.T @ X


def construct_reduced_set(
    svm,
    reduced,
    kept,
    X_fit,
    w_fit,
    group_fit,
    max_iter,
    *,
    tol=DEFAULT_TOL,
    coarse_samples=COARSE_SAMPLES,
    random_state=0,
):
    """Optimise the vectors, coefficients and intercepts of ``reduced``.

    The L-BFGS runs first on a random subsample of ``coarse_samples`` fitting
    samples, whose iterations are cheaper, then on all of them from where the
    subsample left it. Each stage stops when its loss improved by less than
    ``tol`` (relative) over its last ``_WINDOW`` iterations; ``max_iter`` caps
    the iterations of both stages together, and a
    :class:`~sklearn.exceptions.ConvergenceWarning` says when it was reached.

    Parameters
    ----------
    svm : fitted libsvm estimator
        The original model, whose decision values are the targets.
    reduced : fitted libsvm estimator
        A reduced model of ``svm`` (its vectors are the starting positions;
        ``support_`` keeps naming the training samples they started from).
    kept : ndarray of int
        Positions of ``reduced``'s vectors in ``svm``'s vector list.
    X_fit : ndarray or CSR matrix of shape (n_fit, n_features)
    w_fit : ndarray of shape (n_fit,)
        Non-negative sample weights.
    group_fit : ndarray of shape (n_fit,)
        Class index of every fitting sample (-1 for none); ignored for
        regressors and one-class models.
    max_iter : int
        Largest number of L-BFGS iterations, both stages together.
    tol : float, default=DEFAULT_TOL
        Relative improvement of the loss over ``_WINDOW`` iterations below
        which a stage stops.
    coarse_samples : int or None, default=COARSE_SAMPLES
        Size of the first stage's subsample; ``None`` (or at least
        ``n_fit``) skips that stage.
    random_state : int, RandomState instance or None, default=0
        Draws the first stage's subsample.

    Returns
    -------
    model : estimator of the same class as ``svm``
    n_iter : int
        L-BFGS iterations run, both stages together.
    """
    layout = SVLayout(svm)
    new_layout = SVLayout(reduced)
    targets = decision_values(
        SVKernel(svm), layout, X_fit, dense_dual_coef(svm), svm._intercept_
    )
    weight = _pair_mask(layout, group_fit, len(w_fit)) * w_fit[:, None]
    if weight.sum() <= 0:
        return reduced, 0
    kernel = _RBFKernel(svm) if svm.kernel == "rbf" else _DotKernel(svm)
    pair_index = _PairIndex(new_layout)
    exact = _Objective(kernel, X_fit, targets, weight, pair_index, reduced, np.float64)
    theta0 = exact.start()
    start = exact(theta0)
    full = exact.with_dtype(_DTYPE)
    if not _precise_enough(full(theta0), start):
        full = exact
    stages = [full]
    n_fit = X_fit.shape[0]
    if coarse_samples is not None and n_fit > coarse_samples:
        rng = check_random_state(random_state)
        rows = np.sort(rng.choice(n_fit, coarse_samples, replace=False))
        stages.insert(0, full.on_rows(rows))

    theta, n_iter, converged = theta0, 0, True
    # The blocks are (samples x kept vectors): too small for BLAS threads to
    # pay for their synchronisation.
    with blas_threads_for(len(kept)):
        for objective in stages:
            if n_iter >= max_iter:
                converged = False
                break
            theta, nit, converged = _minimize(objective, theta, max_iter - n_iter, tol)
            n_iter += nit
        if exact(theta)[0] > start[0]:
            theta = theta0
    if not converged:
        warnings.warn(
            f"The reduced set's L-BFGS reached max_iter={max_iter} before its "
            f"loss improved by less than {tol:g} (relative) over {_WINDOW} "
            "iterations; increase max_iter for a closer match.",
            ConvergenceWarning,
            stacklevel=2,
        )
    Z, dual_coef, b = full.unpack(theta)
    if not all(np.isfinite(part).all() for part in (Z, dual_coef, b)):
        return reduced, n_iter
    vectors = sp.csr_matrix(Z) if sp.issparse(reduced.support_vectors_) else Z
    model = write_reduced_model(svm, kept, dual_coef, b, vectors=vectors)
    return model, n_iter


class _Objective:
    """The weighted squared error of the reduced decision values, and its gradient.

    ``theta`` packs the vectors ``Z``, their coefficients in libsvm's
    ``dual_coef_`` layout (one per pair a vector enters: fewer unknowns than
    the pair matrix ``C``, which L-BFGS's own cost grows with) and the
    intercepts ``b``.
    """

    def __init__(self, kernel, X, targets, weight, pair_index, reduced, dtype):
        self.kernel = kernel
        self.X = X
        self.targets = targets
        self.weight = weight
        self.pair_index = pair_index
        self.reduced = reduced
        self.dtype = dtype
        # The rbf kernel depends on differences only: centred samples (and
        # vectors) keep single precision from losing the distances to a large
        # offset of the features.
        centre = isinstance(kernel, _RBFKernel) and not sp.issparse(X)
        self._shift = np.asarray(X.mean(axis=0)) if centre else 0.0
        X_work = X - self._shift if centre else X
        self._X = X_work.astype(dtype, copy=False)
        self._x_sq = row_norms(X_work, squared=True).astype(dtype)
        self._targets = targets.astype(dtype)
        # A mean squared error relative to the targets' spread, so that the
        # loss (and the stopping rule) do not depend on the data's scale.
        scale = weight.sum() * max(float(np.mean(targets**2)), 1e-12)
        self._weight = (weight / scale).astype(dtype)
        self.shapes = (
            reduced.support_vectors_.shape,
            pair_index.dual_shape,
            reduced._intercept_.shape,
        )

    def _like(self, rows=slice(None), dtype=None):
        return _Objective(
            self.kernel,
            self.X[rows],
            self.targets[rows],
            self.weight[rows],
            self.pair_index,
            self.reduced,
            self.dtype if dtype is None else dtype,
        )

    def on_rows(self, rows):
        """The same objective on the fitting samples ``rows``."""
        return self._like(rows=rows)

    def with_dtype(self, dtype):
        """The same objective with its blocks computed in ``dtype``."""
        return self._like(dtype=dtype)

    def start(self):
        """``theta`` of the reduced model."""
        reduced = self.reduced
        Z = reduced.support_vectors_
        Z = Z.toarray() if sp.issparse(Z) else np.asarray(Z, dtype=np.float64)
        b = np.asarray(reduced._intercept_, dtype=np.float64)
        return np.concatenate([Z.ravel(), dense_dual_coef(reduced).ravel(), b])

    def unpack(self, theta):
        parts, start = [], 0
        for shape in self.shapes:
            size = int(np.prod(shape))
            parts.append(theta[start : start + size].reshape(shape))
            start += size
        return parts

    def __call__(self, theta):
        Z, dual_coef, b = self.unpack(theta)
        C = self.pair_index.to_pairs(dual_coef)
        loss, grad_Z = 0.0, np.zeros_like(Z)
        grad_C, grad_b = np.zeros_like(C), np.zeros_like(b)
        Z = (Z - self._shift).astype(self.dtype)
        C, b = C.astype(self.dtype), b.astype(self.dtype)
        # Row blocks that stay in the CPU cache: the elementwise passes over
        # (samples x vectors) arrays, not the products, dominate the cost.
        for rows in gen_batches(self._X.shape[0], _ROW_BLOCK):
            state = {}

            def s_factory(K, rows=rows, state=state):
                residual = K @ C.T
                residual += b
                residual -= self._targets[rows]
                state["residual"] = residual
                state["R"] = self._weight[rows] * residual
                return state["R"] @ C

            K, block_grad_Z = self.kernel.loss_terms(
                self._X[rows], self._x_sq[rows], Z, s_factory
            )
            R = state["R"]
            loss += 0.5 * float(np.vdot(R.astype(np.float64), state["residual"]))
            grad_Z += block_grad_Z
            grad_C += R.T @ K
            grad_b += R.sum(axis=0)
        grad_dual = self.pair_index.to_dual(grad_C)
        return loss, np.concatenate([grad_Z.ravel(), grad_dual.ravel(), grad_b])


class _RelativeImprovement:
    """L-BFGS callback: stop once the loss improved by less than ``tol``
    (relative) over the last ``window`` iterations.

    A window, not one step: single L-BFGS steps can gain little before a
    longer one gains much.
    """

    def __init__(self, tol, window=_WINDOW):
        self.tol = tol
        self.window = window
        self.history = []
        self.stopped = False

    def __call__(self, intermediate_result):
        loss = intermediate_result.fun
        self.history.append(loss)
        if len(self.history) > self.window:
            gain = self.history[-1 - self.window] - loss
            if gain <= self.tol * abs(loss):
                self.stopped = True
                raise StopIteration


def _minimize(objective, theta, max_iter, tol):
    """L-BFGS from ``theta``: ``(theta, iterations, converged)``."""
    stop = _RelativeImprovement(tol)
    result = minimize(
        objective,
        theta,
        jac=True,
        method="L-BFGS-B",
        callback=stop,
        options={"maxiter": max_iter, "maxcor": _history_size(theta.size)},
    )
    # L-BFGS's own tests (a vanishing gradient or step) also mean convergence.
    converged = stop.stopped or (result.success and result.nit < max_iter)
    return result.x, int(result.nit), converged


def _precise_enough(result, exact):
    """Whether a ``(loss, gradient)`` matches the double-precision one."""
    (loss, grad), (exact_loss, exact_grad) = result, exact
    loss_close = abs(loss - exact_loss) <= _PRECISION * abs(exact_loss)
    grad_gap = np.linalg.norm(grad - exact_grad)
    return loss_close and grad_gap <= _PRECISION * np.linalg.norm(exact_grad)


def _history_size(n_params):
    """L-BFGS's number of stored updates: as many as fit the history budget.

    A longer history converges in fewer iterations on small problems (few
    vectors in few dimensions), but L-BFGS-B's own work per iteration grows
    with it times the number of parameters.
    """
    fit = _HISTORY_ENTRIES // (2 * max(n_params, 1))
    return int(np.clip(fit, _MIN_HISTORY, _MAX_HISTORY))


def _pair_mask(layout, group, n):
    """1 where a fitting sample enters a pair's error (its two classes), else 0."""
    if not layout.is_classifier:
        return np.ones((n, 1))
    mask = np.zeros((n, len(layout.pairs)))
    for p, (i, j) in enumerate(layout.pairs):
        mask[:, p] = (group == i) | (group == j)
    return mask


class _PairIndex:
    """Where libsvm's ``dual_coef_`` entries sit in the pair matrix ``C``.

    ``C`` is (n_pairs, n_vectors), zero where a vector is not in a pair;
    every non-zero is one entry of ``dual_coef_`` (n_rows, n_vectors).
    """

    def __init__(self, layout):
        self.dual_shape = (layout.n_rows, layout.n_sv)
        self.shape = (len(layout.pairs), layout.n_sv)
        # Numbered from 1, so that the zeros of C mark the absent entries.
        numbered = np.arange(1.0, layout.n_rows * layout.n_sv + 1.0)
        matrix = layout.pair_coef_matrix(numbered.reshape(self.dual_shape))
        self.pair, self.vector = np.nonzero(matrix)
        self.flat = matrix[self.pair, self.vector].astype(np.intp) - 1

    def to_pairs(self, dual_coef):
        C = np.zeros(self.shape)
        C[self.pair, self.vector] = dual_coef.ravel()[self.flat]
        return C

    def to_dual(self, pair_values):
        """Inverse of :meth:`to_pairs` (and its adjoint, for gradients)."""
        dual = np.zeros(self.dual_shape[0] * self.dual_shape[1])
        dual[self.flat] = pair_values[self.pair, self.vector]
        return dual.reshape(self.dual_shape)
