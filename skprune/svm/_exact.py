"""Exact simplification of a fitted SVM: the same decision function, fewer vectors.

Two cases have an exact saving (Downs, Gates & Masters 2001):

- Linear kernel: every one-vs-one function is ``w_p . x + b_p`` with
  ``w_p = sum_s alpha_s x_s``. One synthesised vector per function reproduces
  it (two for a binary problem, where each class needs a vector).
- Polynomial kernel: the functions live in a feature space of dimension
  ``C(n_features + degree, degree)``. Within a class, vectors whose feature
  maps are linearly dependent on the others' are redundant: the class's part
  of every function it enters is re-expressed on a basis of its vectors,
  found by a pivoted Cholesky factorisation of the class's kernel matrix.

Other kernels (rbf, sigmoid, callable, precomputed) have no such saving; the
model is kept unchanged with a warning.
"""

import copy
import warnings

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp

from ._libsvm_model import SVLayout, dense_dual_coef, write_reduced_model

# Relative tolerance of the pivoted Cholesky factorisation: pivots below it
# times the largest diagonal entry are numerically dependent vectors.
_RANK_TOL = 1e-10


def exact_reduction(svm, kernel):
    """A copy of ``svm`` with the fewest vectors that keep its decision function.

    Parameters
    ----------
    svm : fitted SVC, NuSVC, SVR, NuSVR or OneClassSVM
        Not modified.

    kernel : SVKernel
        The kernel of ``svm``.

    Returns
    -------
    reduced : estimator of the same class
        Equal decision values up to rounding. ``svm``'s copy itself when no
        exact saving exists.
    """
    name = svm.kernel if isinstance(svm.kernel, str) else "callable"
    if name == "linear":
        return _linear_weight_vectors(svm)
    if name == "poly":
        return _independent_vectors(svm, kernel)
    warnings.warn(
        f"method='exact' finds no exact saving for kernel={name!r} (only "
        "'linear' and 'poly' kernels have a finite feature space); the model "
        "is kept unchanged.",
        UserWarning,
        stacklevel=4,
    )
    return copy.deepcopy(svm)


def owner_of_pairs(n_groups):
    """The class whose vector carries each one-vs-one function's weight vector.

    Pair ``(i, i + 1)`` goes to ``i`` and ``(0, n - 1)`` to ``n - 1``, so that
    every class owns at least one function (libsvm needs a vector per class);
    the others go to their first class.
    """
    pairs = [(i, j) for i in range(n_groups) for j in range(i + 1, n_groups)]
    owners = []
    for i, j in pairs:
        if n_groups > 2 and (i, j) == (0, n_groups - 1):
            owners.append(j)
        else:
            owners.append(i)
    return pairs, owners


def _linear_weight_vectors(svm):
    layout = SVLayout(svm)
    vectors = svm.support_vectors_
    dense = vectors.toarray() if sp.issparse(vectors) else np.asarray(vectors)
    dual_coef = dense_dual_coef(svm)
    weights = layout.pair_coef_matrix(dual_coef) @ dense  # (n_pairs, n_features)
    if not layout.is_classifier:
        new_vectors, group, rows = weights, [0], [None]
    elif layout.n_groups == 2:
        # Each class needs a vector: half the weight vector in each.
        new_vectors, group, rows = np.vstack([weights / 2, weights / 2]), [0, 1], None
    else:
        pairs, owners = owner_of_pairs(layout.n_groups)
        order = np.argsort(owners, kind="stable")
        new_vectors = weights[order]
        group = [owners[p] for p in order]
        rows = [pairs[p] for p in order]
    n_new = len(group)
    if n_new >= layout.n_sv or np.any(np.bincount(group) > layout.n_support):
        return copy.deepcopy(svm)
    coef = np.zeros((layout.n_rows, n_new))
    if not layout.is_classifier or layout.n_groups == 2:
        coef[0, :] = 1.0
    else:
        for v, ((i, j), c) in enumerate(zip(rows, group, strict=True)):
            # Class c's coefficient for pair (i, j) is in row j - 1 if c == i,
            # row i if c == j; 0 in its other pairs.
            coef[j - 1 if c == i else i, v] = 1.0
    kept = _representatives(layout, dual_coef, np.asarray(group))
    return write_reduced_model(
        svm, kept, coef, svm._intercept_, vectors=_like(new_vectors, vectors)
    )


def _representatives(layout, dual_coef, group):
    """A distinct original vector per new one, in its class, for ``support_``.

    The vectors of class ``c`` with the largest |dual coefficient|: then
    ``support_`` still names training samples of the right class.
    """
    magnitude = np.abs(dual_coef).sum(axis=0)
    kept = []
    for c in range(layout.n_groups):
        block = layout.block(c)
        n = int(np.sum(group == c))
        kept.append(np.sort(block[np.argsort(-magnitude[block], kind="stable")[:n]]))
    return np.concatenate(kept)


def _like(dense, vectors):
    if sp.issparse(vectors):
        out = type(vectors)(dense)
        out.sort_indices()
        return out
    return np.ascontiguousarray(dense, dtype=np.float64)


def independent_columns(gram, tol=_RANK_TOL):
    """Indices of a maximal numerically independent set of feature maps.

    Pivoted Cholesky (LAPACK ``dpstrf``) of the kernel matrix ``gram``.
    """
    if len(gram) == 0:
        return np.arange(0)
    scale = float(np.max(np.diag(gram)))
    if not np.isfinite(scale) or scale <= 0:
        return np.arange(1)
    _, piv, rank, _ = sl.lapack.dpstrf(
        np.array(gram, dtype=np.float64, order="F"), tol=tol * scale, lower=1
    )
    return np.sort(piv[: max(int(rank), 1)] - 1)


def _independent_vectors(svm, kernel):
    layout = SVLayout(svm)
    dual_coef = dense_dual_coef(svm)
    all_sv = np.arange(layout.n_sv)
    gram = kernel.among(all_sv)
    kept = []
    for c in range(layout.n_groups):
        block = layout.block(c)
        kept.append(block[independent_columns(gram[np.ix_(block, block)])])
    if sum(len(k) for k in kept) == layout.n_sv:
        return copy.deepcopy(svm)
    # The class's part of each function it enters, projected on its basis:
    # exact when the dropped vectors' feature maps lie in the basis's span.
    new_coef = np.zeros_like(dual_coef)
    for c, basis in enumerate(kept):
        block = layout.block(c)
        lhs = gram[np.ix_(basis, basis)]
        rhs = gram[np.ix_(basis, block)] @ dual_coef[:, block].T
        solution = sl.lstsq(lhs, rhs, check_finite=False)[0]
        new_coef[:, basis] = solution.T
    flat = np.concatenate(kept)
    return write_reduced_model(svm, flat, new_coef[:, flat], svm._intercept_)
