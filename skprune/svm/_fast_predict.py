"""Prediction of fitted libsvm models with kernel blocks computed by BLAS.

libsvm's ``predict`` and ``decision_function`` evaluate the kernel one support
vector and one sample at a time. The same decision values come from a block
of kernel values (samples x support vectors), computed with one matrix
product per block of rows, times the dual coefficients: several times faster
than libsvm on the same model (see :ref:`svm_fast_predict`). The functions
here reproduce, on top of those values, exactly what scikit-learn does with
libsvm's: the one-vs-one vote and its tie-breaking, the sign flip of binary
classifiers, the ``"ovr"`` shape, ``break_ties`` and the class labels.

Only the kernels libsvm computes from the feature values are handled
(``"linear"``, ``"poly"``, ``"rbf"``, ``"sigmoid"``) and ``"precomputed"``
(whose kernel values are the input's own columns); a callable kernel is left
to libsvm (:func:`has_fast_path`, :func:`predict_as`).
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from sklearn.utils import gen_batches
from sklearn.utils.extmath import row_norms, safe_sparse_dot
from sklearn.utils.multiclass import _ovr_decision_function
from threadpoolctl import ThreadpoolController

from ._accelerated import OneClassSVM
from ._libsvm_model import SVLayout, dense_dual_coef

# Kernel blocks are computed in row chunks of about this many entries (2 MB
# per thread): memory stays bounded for any number of rows. Smaller blocks pay
# Python's overhead per block; larger ones leave the CPU cache between the
# product and the element-wise pass.
_BLOCK_ENTRIES = 2**18

# Below this matrix size, BLAS threads cost more than they save (many small
# per-pair solves contend for the cores).
_MIN_THREADED_SIZE = 1500
_controller = None

_FAST_KERNELS = ("linear", "poly", "rbf", "sigmoid", "precomputed")


def _blas_controller():
    global _controller
    if _controller is None:
        # Scanning the loaded libraries takes milliseconds: do it once.
        _controller = ThreadpoolController()
    return _controller


def blas_threads_for(size):
    """A context limiting BLAS to one thread for operations on small matrices."""
    if size >= _MIN_THREADED_SIZE:
        return contextlib.nullcontext()
    return single_blas_thread()


def single_blas_thread():
    """A context limiting BLAS to one thread."""
    return _blas_controller().limit(limits=1, user_api="blas")


def blas_thread_count():
    """The threads BLAS may use now (its default, or a ``threadpool_limits``)."""
    libraries = _blas_controller().select(user_api="blas").info()
    counts = [info["num_threads"] for info in libraries]
    return max(1, min(counts, default=1))


def pair_values(layout, K, dual_coef, intercept):
    """Decision values of every pair from the kernel columns ``K`` of all vectors.

    ``dual_coef`` holds the vectors' coefficients, (n_rows, n_sv).
    """
    if not layout.is_classifier:
        return (K @ dual_coef[0] + intercept[0])[:, None]
    bounds = layout.starts
    # Per class block, one product gives that block's part of every pair.
    partial = [
        K[:, bounds[c] : bounds[c + 1]] @ dual_coef[:, bounds[c] : bounds[c + 1]].T
        for c in range(layout.n_groups)
    ]
    values = np.empty((K.shape[0], len(layout.pairs)))
    for p, (i, j) in enumerate(layout.pairs):
        values[:, p] = partial[i][:, j - 1] + partial[j][:, i] + intercept[p]
    return values


def vote(layout, values):
    """libsvm's one-vs-one vote: class index per sample (first maximum wins)."""
    votes = np.zeros((values.shape[0], layout.n_groups), dtype=np.intp)
    for p, (i, j) in enumerate(layout.pairs):
        # A value of exactly 0 votes for j, as in libsvm.
        positive = values[:, p] > 0
        votes[:, i] += positive
        votes[:, j] += ~positive
    # argmax returns the first maximum: ties go to the lower class index.
    return np.argmax(votes, axis=1)


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
    kernel = KernelBlocks.of_support_vectors(svm)
    dual_coef = dense_dual_coef(svm)
    values = np.empty((X.shape[0], len(layout.pairs)))

    def fill(rows):
        K = kernel.between(X[rows])
        values[rows] = pair_values(layout, K, dual_coef, svm._intercept_)

    map_row_blocks(fill, X.shape[0], layout.n_sv)
    return values


def map_row_blocks(fill, n_rows, n_columns):
    """Call ``fill(rows)`` on row slices of about ``_BLOCK_ENTRIES`` entries.

    The element-wise kernel transform (exp, tanh, power) is single-threaded
    in NumPy and costs more than the product: blocks go to as many threads as
    BLAS may use (NumPy releases the GIL), each running BLAS on one.
    """
    batch = max(1, _BLOCK_ENTRIES // max(n_columns, 1))
    batches = list(gen_batches(n_rows, batch))
    n_threads = min(blas_thread_count(), len(batches))
    if n_threads <= 1:
        for rows in batches:
            fill(rows)
        return
    with single_blas_thread(), ThreadPoolExecutor(n_threads) as executor:
        list(executor.map(fill, batches))


def predict_as(svm, method, X):
    """``svm.<method>(X)``, computed by BLAS where that reproduces libsvm.

    The one place that chooses between the two paths: ``"predict"``,
    ``"decision_function"`` and ``"score_samples"`` take the BLAS path when
    :func:`has_fast_path`; anything else (probabilities, callable kernels)
    goes through libsvm.
    """
    if not has_fast_path(svm):
        return getattr(svm, method)(X)
    if method == "predict":
        return predict(svm, X)
    if method == "decision_function":
        return decision_function(svm, X)
    if method == "score_samples":
        return decision_function(svm, X) + svm.offset_
    return getattr(svm, method)(X)


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


class KernelBlocks:
    """Kernel between blocks of samples and a fixed set of vectors.

    Every kernel is an element-wise function of one matrix product between
    the samples and the vectors, each augmented with columns so that the
    product already holds the function's argument: ``gamma x.v + coef0``
    (poly, sigmoid) or ``-gamma ||x - v||^2 = 2 gamma x.v - gamma ||x||^2 -
    gamma ||v||^2`` (rbf). One pass of the element-wise function follows,
    instead of several passes over the block. The vectors' side is prepared
    once.

    Parameters
    ----------
    kernel : {"linear", "poly", "rbf", "sigmoid"}
    vectors : {ndarray, sparse matrix} of shape (n_vectors, n_features)
    gamma, degree, coef0 : float
        The fitted kernel parameters (``_gamma`` of a libsvm estimator).
    """

    def __init__(self, kernel, vectors, gamma, degree, coef0):
        self.kernel = kernel
        self.degree = degree
        if sp.issparse(vectors) and vectors.shape[0] * vectors.shape[1] <= 2**22:
            # A sparse x dense product is much faster than sparse x sparse.
            vectors = vectors.toarray()
        n_vectors = vectors.shape[0]
        if kernel == "linear":
            self.scale, extra = 1.0, []
        elif kernel == "rbf":
            self.scale = 2.0 * gamma
            extra = [np.ones(n_vectors), -gamma * row_norms(vectors, squared=True)]
            self.gamma = gamma
        else:
            self.scale, extra = gamma, [np.full(n_vectors, float(coef0))]
        self.vectors_t = _with_columns(vectors, extra).T

    @classmethod
    def of_support_vectors(cls, svm):
        """The kernel blocks of a fitted libsvm estimator's support vectors."""
        if svm.kernel == "precomputed":
            return _PrecomputedColumns(svm.support_)
        return cls(svm.kernel, svm.support_vectors_, svm._gamma, svm.degree, svm.coef0)

    def between(self, X):
        """Dense kernel values (n_rows, n_vectors) between ``X`` and the vectors."""
        n_rows = X.shape[0]
        if self.kernel == "linear":
            extra = []
        elif self.kernel == "rbf":
            extra = [-self.gamma * row_norms(X, squared=True), np.ones(n_rows)]
        else:
            extra = [np.ones(n_rows)]
        K = safe_sparse_dot(
            _with_columns(X, extra, scale=self.scale),
            self.vectors_t,
            dense_output=True,
        )
        K = np.asarray(K, dtype=np.float64)
        if self.kernel == "rbf":
            # The argument is -gamma ||x - v||^2 <= 0; rounding can make it
            # a hair positive for x == v. libsvm sums the squared differences
            # directly, which agrees to rounding.
            np.minimum(K, 0.0, out=K)
            return np.exp(K, out=K)
        if self.kernel == "poly":
            return np.power(K, self.degree, out=K)
        if self.kernel == "sigmoid":
            return np.tanh(K, out=K)
        return K

    def all_rows(self, X):
        """:meth:`between` on all the rows of ``X``, block by block, threaded."""
        K = np.empty((X.shape[0], self.vectors_t.shape[1]))

        def fill(rows):
            K[rows] = self.between(X[rows])

        map_row_blocks(fill, X.shape[0], K.shape[1])
        return K


class _PrecomputedColumns:
    """:class:`KernelBlocks` of ``kernel="precomputed"``: columns of the input."""

    def __init__(self, columns):
        self.columns = np.asarray(columns)

    def between(self, X):
        return np.asarray(X[:, self.columns], dtype=np.float64)


def _with_columns(M, columns, scale=1.0):
    """``[scale * M, columns...]``, dense or CSR as ``M``."""
    if sp.issparse(M):
        blocks = [M * scale] + [sp.csr_matrix(c[:, None]) for c in columns]
        return sp.hstack(blocks, format="csr")
    out = np.empty((M.shape[0], M.shape[1] + len(columns)))
    np.multiply(M, scale, out=out[:, : M.shape[1]])
    for k, column in enumerate(columns):
        out[:, M.shape[1] + k] = column
    return out
