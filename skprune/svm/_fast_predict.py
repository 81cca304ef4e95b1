"""Prediction of fitted libsvm models with kernel blocks computed by BLAS.

libsvm's ``predict`` and ``decision_function`` evaluate the kernel one support
vector and one sample at a time. The same decision values come from a block
of kernel values (samples x support vectors), computed with one matrix
product per block of rows, times the dual coefficients; measured in
``benchmarks/bench_svm.py`` this is several times faster than libsvm on the
same model. The functions here reproduce, on top of those values, exactly
what scikit-learn does with libsvm's: the one-vs-one vote and its
tie-breaking, the sign flip of binary classifiers, the ``"ovr"`` shape,
``break_ties`` and the class labels.

Only the kernels libsvm computes from the feature values are handled
(``"linear"``, ``"poly"``, ``"rbf"``, ``"sigmoid"``) and ``"precomputed"``
(whose kernel values are the input's own columns); a callable kernel is left
to libsvm (:func:`has_fast_path`).
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from sklearn.utils import gen_batches
from sklearn.utils.extmath import row_norms, safe_sparse_dot
from sklearn.utils.multiclass import _ovr_decision_function

from ._accelerated import OneClassSVM
from ._libsvm_model import SVLayout, dense_dual_coef
from ._reduce import blas_thread_count, pair_values, single_blas_thread, vote

# Kernel blocks are computed in row chunks of about this many entries (8 MB
# per thread): memory stays bounded for any number of rows. Measured on the
# benchmark problem, 2**18 to 2**22 entries perform within noise of each other
# and 2**16 or less clearly worse (Python overhead per block).
_BLOCK_ENTRIES = 2**20

_FAST_KERNELS = ("linear", "poly", "rbf", "sigmoid", "precomputed")


def has_fast_path(svm):
    """Whether :func:`libsvm_decision_values` reproduces ``svm``'s libsvm values."""
    return not callable(svm.kernel) and svm.kernel in _FAST_KERNELS


def libsvm_decision_values(svm, X):
    """libsvm's raw decision values of a fitted ``svm`` at the samples ``X``.

    Parameters
    ----------
    svm : fitted SVC, NuSVC, SVR, NuSVR or OneClassSVM
        With a kernel accepted by :func:`has_fast_path`.

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Validated as ``svm`` validates it (same errors).

    Returns
    -------
    values : ndarray of shape (n_samples, n_pairs)
        One column per one-vs-one pair ``(i, j)``, in libsvm's order,
        positive for class ``i`` (before scikit-learn's sign flip of binary
        classifiers); one column for regressors and one-class models.
    """
    X = svm._validate_for_predict(X)
    layout = SVLayout(svm)
    kernel = _KernelBlocks(svm)
    dual_coef = dense_dual_coef(svm)
    values = np.empty((X.shape[0], len(layout.pairs)))

    def fill(rows):
        K = kernel.between(X[rows])
        values[rows] = pair_values(layout, K, dual_coef, svm._intercept_)

    batch = max(1, _BLOCK_ENTRIES // max(layout.n_sv, 1))
    batches = list(gen_batches(X.shape[0], batch))
    n_threads = min(blas_thread_count(), len(batches))
    if n_threads == 1:
        for rows in batches:
            fill(rows)
        return values
    # The element-wise kernel transform (exp, tanh, power) is single-threaded
    # in NumPy and costs more than the product: blocks go to as many threads
    # as BLAS may use (NumPy releases the GIL), each running BLAS on one.
    with single_blas_thread(), ThreadPoolExecutor(n_threads) as executor:
        list(executor.map(fill, batches))
    return values


def decision_function(svm, X):
    """``svm.decision_function(X)`` computed by :func:`libsvm_decision_values`."""
    values = libsvm_decision_values(svm, X)
    if not SVLayout(svm).is_classifier:
        return values.ravel()
    n_classes = len(svm.classes_)
    if n_classes == 2:
        # scikit-learn flips the sign so that positive means classes_[1].
        return -values.ravel()
    if svm.decision_function_shape == "ovr":
        return _ovr_decision_function(values < 0, -values, n_classes)
    return values


def predict(svm, X):
    """``svm.predict(X)`` computed by :func:`libsvm_decision_values`."""
    layout = SVLayout(svm)
    if not layout.is_classifier:
        values = libsvm_decision_values(svm, X)[:, 0]
        if isinstance(svm, OneClassSVM):
            # libsvm: +1 when the value is strictly positive.
            return np.where(values > 0, 1, -1).astype(np.intp)
        return values
    if svm.break_ties and svm.decision_function_shape == "ovo":
        raise ValueError(
            "break_ties must be False when decision_function_shape is 'ovo'"
        )
    if svm.break_ties and svm.decision_function_shape == "ovr" and layout.n_groups > 2:
        index = np.argmax(decision_function(svm, X), axis=1)
    else:
        index = vote(layout, libsvm_decision_values(svm, X))
    return svm.classes_.take(index)


class _KernelBlocks:
    """Kernel between blocks of samples and the support vectors of ``svm``.

    What does not depend on the samples (the vectors, transposed for the
    product, and their squared norms for the RBF kernel) is prepared once.
    """

    def __init__(self, svm):
        self.kernel = svm.kernel
        self.gamma = svm._gamma
        self.degree = svm.degree
        self.coef0 = svm.coef0
        if self.kernel == "precomputed":
            self.columns = np.asarray(svm.support_)
            return
        vectors = svm.support_vectors_
        if sp.issparse(vectors) and vectors.shape[0] * vectors.shape[1] <= 2**22:
            # A sparse x dense product is much faster than sparse x sparse.
            vectors = vectors.toarray()
        self.vectors_t = vectors.T
        if self.kernel == "rbf":
            self.vector_sq_norms = row_norms(vectors, squared=True)

    def between(self, X):
        """Dense kernel values (n_rows, n_sv) between the rows ``X`` and the vectors."""
        if self.kernel == "precomputed":
            return np.asarray(X[:, self.columns], dtype=np.float64)
        K = safe_sparse_dot(X, self.vectors_t, dense_output=True)
        K = np.asarray(K, dtype=np.float64)
        if self.kernel == "linear":
            return K
        if self.kernel == "rbf":
            # ||x - v||^2 = ||x||^2 - 2 x.v + ||v||^2, clipped at 0 against
            # rounding; libsvm sums the squared differences directly, which
            # agrees to rounding.
            K *= -2.0
            K += row_norms(X, squared=True)[:, None]
            K += self.vector_sq_norms
            np.maximum(K, 0.0, out=K)
            K *= -self.gamma
            return np.exp(K, out=K)
        K *= self.gamma
        K += self.coef0
        if self.kernel == "poly":
            return np.power(K, self.degree, out=K)
        return np.tanh(K, out=K)
