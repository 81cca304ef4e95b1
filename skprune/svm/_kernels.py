"""Kernel values of a fitted libsvm estimator, computed with NumPy/BLAS.

libsvm evaluates its kernel one pair of vectors at a time; the pruner needs
whole blocks (samples x support vectors, support vectors x support vectors),
which the prediction path's :class:`._fast_predict.KernelBlocks` computes
with BLAS from the fitted ``_gamma``, ``degree`` and ``coef0``, in threaded
row blocks.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import _safe_indexing, check_array
from sklearn.utils.validation import _num_samples, validate_data

from ._fast_predict import KernelBlocks
from ._libsvm_model import callable_training_data


class SVKernel:
    """Kernel between samples and the support vectors of ``estimator``.

    Parameters
    ----------
    estimator : fitted libsvm estimator

    gram : ndarray of shape (n_train, n_train), default=None
        For ``kernel="precomputed"``: the training Gram matrix, needed for the
        kernel between support vectors (:meth:`among`).
    """

    def __init__(self, estimator, gram=None):
        self.estimator = estimator
        self.gram = gram
        kernel = estimator.kernel
        self.is_callable = callable(kernel)
        self.is_precomputed = not self.is_callable and kernel == "precomputed"
        if self.is_callable:
            self._train_rows = callable_training_data(estimator)

    def prepare(self, X):
        """``X`` in the form the kernel is evaluated on (validated, CSR or dense).

        Feature values are checked against the fitted SVM (count and names),
        which ``reset=False`` leaves untouched: a frozen SVM may have been
        fitted on other data.
        """
        if self.is_callable:
            return X
        if self.is_precomputed:
            X = check_array(X, dtype=np.float64)
            n_train = self.estimator.shape_fit_[0]
            if X.shape[1] != n_train:
                raise ValueError(
                    "With kernel='precomputed', X must hold kernel values against "
                    f"the {n_train} training samples; got X.shape[1]={X.shape[1]}."
                )
            return X
        return validate_data(
            self.estimator, X, reset=False, accept_sparse="csr", dtype=np.float64
        )

    def n_samples(self, X):
        return _num_samples(X)

    def rows(self, X, index):
        """Rows ``index`` of a prepared ``X``."""
        return _safe_indexing(X, index)

    def between(self, X, sv):
        """Kernel between the rows of a prepared ``X`` and support vectors ``sv``.

        Returns a dense float64 array of shape (n_samples, len(sv)).
        """
        estimator = self.estimator
        if self.is_precomputed:
            return np.array(X[:, estimator.support_[sv]], dtype=np.float64)
        if self.is_callable:
            vectors = _safe_indexing(self._train_rows, estimator.support_[sv])
            return _dense(estimator.kernel(X, vectors))
        return self._named(X, estimator.support_vectors_[sv])

    def among(self, sv):
        """Kernel between the support vectors ``sv`` (square, dense)."""
        estimator = self.estimator
        if self.is_precomputed:
            index = estimator.support_[sv]
            return np.array(self.gram[np.ix_(index, index)], dtype=np.float64)
        if self.is_callable:
            vectors = _safe_indexing(self._train_rows, estimator.support_[sv])
            return _dense(estimator.kernel(vectors, vectors))
        vectors = estimator.support_vectors_[sv]
        return self._named(vectors, vectors)

    def _named(self, X, Y):
        estimator = self.estimator
        blocks = KernelBlocks(
            estimator.kernel, Y, estimator._gamma, estimator.degree, estimator.coef0
        )
        return blocks.all_rows(X)


def _dense(K):
    if sp.issparse(K):
        K = K.toarray()
    return np.asarray(K, dtype=np.float64)
