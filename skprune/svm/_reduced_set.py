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

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.utils import gen_batches

from ._fast_predict import pair_values
from ._kernels import SVKernel
from ._libsvm_model import SVLayout, dense_dual_coef, write_reduced_model
from ._reduce import _CHUNK_ENTRIES

SUPPORTED_KERNELS = ("rbf", "poly", "sigmoid", "linear")


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
        # In place: these (n_samples, n_vectors) blocks dominate the cost.
        K = _dot(X, Z)
        K *= -2.0
        K += x_sq[:, None]
        K += np.einsum("ij,ij->i", Z, Z)[None, :]
        np.maximum(K, 0.0, out=K)
        K *= -self.gamma
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


def construct_reduced_set(svm, reduced, kept, X_fit, w_fit, group_fit, max_iter):
    """Optimise the vectors, coefficients and intercepts of ``reduced``.

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
        L-BFGS iterations.

    Returns
    -------
    model : estimator of the same class as ``svm``
    n_iter : int
        L-BFGS iterations run.
    """
    layout = SVLayout(svm)
    new_layout = SVLayout(reduced)
    targets = _original_values(svm, layout, X_fit)
    mask = _pair_mask(layout, group_fit, len(w_fit)) * w_fit[:, None]
    total = mask.sum()
    if total <= 0:
        return reduced, 0
    # Scale: the loss is a mean squared error relative to the targets' spread.
    scale = total * max(float(np.mean(targets**2)), 1e-12)
    mask = mask / scale

    Z0 = reduced.support_vectors_
    Z0 = Z0.toarray() if sp.issparse(Z0) else np.array(Z0, dtype=np.float64)
    coef_mask = _coef_mask(new_layout)
    C0 = new_layout.pair_coef_matrix(dense_dual_coef(reduced))
    b0 = np.array(reduced._intercept_, dtype=np.float64)
    kernel = _RBFKernel(svm) if svm.kernel == "rbf" else _DotKernel(svm)
    x_sq = _row_norms_sq(X_fit)
    shapes = (Z0.shape, C0.shape, b0.shape)

    def fun(theta):
        Z, C, b = _unpack(theta, shapes)
        C = C * coef_mask
        state = {}

        def s_factory(K):
            state["residual"] = K @ C.T + b - targets
            state["R"] = mask * state["residual"]
            return state["R"] @ C

        K, grad_Z = kernel.loss_terms(X_fit, x_sq, Z, s_factory)
        R, residual = state["R"], state["residual"]
        loss = 0.5 * float(np.sum(R * residual))
        grad_C = (R.T @ K) * coef_mask
        grad_b = R.sum(axis=0)
        return loss, np.concatenate([grad_Z.ravel(), grad_C.ravel(), grad_b])

    theta0 = np.concatenate([Z0.ravel(), C0.ravel(), b0])
    result = minimize(
        fun,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter},
    )
    theta = result.x if result.fun <= fun(theta0)[0] else theta0
    Z, C, b = _unpack(theta, shapes)
    if not (np.isfinite(Z).all() and np.isfinite(C).all() and np.isfinite(b).all()):
        return reduced, int(result.nit)
    dual_coef = new_layout.dual_coef_from_pairs(C * coef_mask)
    vectors = sp.csr_matrix(Z) if sp.issparse(reduced.support_vectors_) else Z
    model = write_reduced_model(svm, kept, dual_coef, b, vectors=vectors)
    return model, int(result.nit)


def _original_values(svm, layout, X):
    """The original model's pair decision values, in row blocks of bounded size."""
    kernel = SVKernel(svm)
    dual_coef = dense_dual_coef(svm)
    all_sv = np.arange(layout.n_sv)
    values = np.empty((X.shape[0], len(layout.pairs)))
    for rows in gen_batches(X.shape[0], max(1, _CHUNK_ENTRIES // max(layout.n_sv, 1))):
        K = kernel.between(X[rows], all_sv)
        values[rows] = pair_values(layout, K, dual_coef, svm._intercept_)
    return values


def _row_norms_sq(X):
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", X, X)


def _pair_mask(layout, group, n):
    """1 where a fitting sample enters a pair's error (its two classes), else 0."""
    if not layout.is_classifier:
        return np.ones((n, 1))
    mask = np.zeros((n, len(layout.pairs)))
    for p, (i, j) in enumerate(layout.pairs):
        mask[:, p] = (group == i) | (group == j)
    return mask


def _coef_mask(layout):
    """1 where a vector enters a pair's function, (n_pairs, n_vectors)."""
    group = layout.group_of()
    mask = np.zeros((len(layout.pairs), layout.n_sv))
    for p, (i, j) in enumerate(layout.pairs):
        mask[p] = (group == i) | (group == j)
    return mask


def _unpack(theta, shapes):
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(theta[start : start + size].reshape(shape))
        start += size
    return parts
