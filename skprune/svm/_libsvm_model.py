"""Reading and writing the support vectors of a fitted libsvm estimator.

scikit-learn's SVC, NuSVC, SVR, NuSVR and OneClassSVM predict through libsvm
from private arrays (``support_``, ``support_vectors_``, ``_n_support``,
``_dual_coef_``, ``_intercept_``) that must agree with each other exactly: an
inconsistent model is not always caught by scikit-learn and can crash the
process inside libsvm. Every reduced model is therefore written on a deep copy
and checked by :func:`check_libsvm_model` before it is handed out.

Layout (libsvm's one-vs-one scheme). Support vectors are stored grouped by
class, in the order of ``classes_``; ``_n_support[c]`` vectors belong to class
``c``. Pair ``p`` enumerates the classes ``(i, j)``, ``i < j``, in the order
(0, 1), (0, 2), ..., (1, 2), ...; its decision function is::

    f_p(x) = sum_{s in class i} _dual_coef_[j - 1, s] K(s, x)
           + sum_{s in class j} _dual_coef_[i, s] K(s, x) + _intercept_[p]

and votes for class ``i`` when positive. Regressors and OneClassSVM have one
function over all vectors (row 0 of ``_dual_coef_``), which this module treats
as a single "class" and a single pair ``(0, 0)``.
"""

import copy

import numpy as np
import scipy.sparse as sp
from sklearn.utils import _safe_indexing

CLASSIFIER_IMPLS = ("c_svc", "nu_svc")


class SVLayout:
    """The one-vs-one structure of a fitted libsvm estimator.

    Parameters
    ----------
    estimator : fitted SVC, NuSVC, SVR, NuSVR or OneClassSVM

    Attributes
    ----------
    is_classifier : bool
    n_support : ndarray of shape (n_groups,)
        Vectors per class (classifiers) or ``[n_SV]`` (one group).
    starts : ndarray of shape (n_groups + 1,)
        Offsets of each class block in the support-vector list.
    pairs : list of (int, int)
        The decision functions, as class pairs; ``[(0, 0)]`` for one group.
    """

    def __init__(self, estimator):
        self.is_classifier = estimator._impl in CLASSIFIER_IMPLS
        n_sv = len(estimator.support_)
        if self.is_classifier:
            self.n_support = np.asarray(estimator._n_support, dtype=np.intp)
        else:
            self.n_support = np.array([n_sv], dtype=np.intp)
        self.starts = np.concatenate([[0], np.cumsum(self.n_support)])
        n_groups = len(self.n_support)
        if self.is_classifier:
            self.pairs = [
                (i, j) for i in range(n_groups) for j in range(i + 1, n_groups)
            ]
        else:
            self.pairs = [(0, 0)]

    @property
    def n_groups(self):
        return len(self.n_support)

    @property
    def n_sv(self):
        return int(self.starts[-1])

    @property
    def n_rows(self):
        """Rows of ``_dual_coef_``."""
        return max(self.n_groups - 1, 1)

    def block(self, c):
        """Indices of the vectors of class ``c``."""
        return np.arange(self.starts[c], self.starts[c + 1])

    def group_of(self):
        """Class index of every support vector."""
        return np.repeat(np.arange(self.n_groups), self.n_support)

    def pair_columns(self, kept, p):
        """Vectors of pair ``p`` among ``kept`` (a list of per-class index arrays)."""
        i, j = self.pairs[p]
        if i == j:
            return kept[i]
        return np.concatenate([kept[i], kept[j]])

    def pair_coef(self, dual_coef, kept, p):
        """Coefficients of pair ``p`` for the vectors ``pair_columns(kept, p)``.

        ``dual_coef`` is indexed by vector number (``n_rows`` x ``n_sv``).
        """
        i, j = self.pairs[p]
        if i == j:
            return dual_coef[0, kept[i]]
        return np.concatenate([dual_coef[j - 1, kept[i]], dual_coef[i, kept[j]]])

    def set_pair_coef(self, dual_coef, kept, p, coef):
        """Inverse of :meth:`pair_coef`: write ``coef`` into ``dual_coef``."""
        i, j = self.pairs[p]
        if i == j:
            dual_coef[0, kept[i]] = coef
            return
        n_i = len(kept[i])
        dual_coef[j - 1, kept[i]] = coef[:n_i]
        dual_coef[i, kept[j]] = coef[n_i:]

    def pair_coef_matrix(self, dual_coef):
        """Coefficient of every vector in every pair's function, (n_pairs, n_sv).

        Zero where a vector does not enter the pair (not of its two classes).
        """
        all_kept = [self.block(c) for c in range(self.n_groups)]
        coef = np.zeros((len(self.pairs), self.n_sv))
        for p in range(len(self.pairs)):
            coef[p, self.pair_columns(all_kept, p)] = self.pair_coef(
                dual_coef, all_kept, p
            )
        return coef


def dense_dual_coef(estimator):
    """libsvm's internal ``_dual_coef_`` as a dense float64 array."""
    dual_coef = estimator._dual_coef_
    if sp.issparse(dual_coef):
        dual_coef = dual_coef.toarray()
    return np.asarray(dual_coef, dtype=np.float64)


def callable_training_data(estimator):
    """The training rows a callable-kernel SVM evaluates its kernel against."""
    try:
        return estimator._BaseLibSVM__Xfit
    except AttributeError as exc:  # pragma: no cover - scikit-learn internals
        raise TypeError(
            f"This {type(estimator).__name__} has a callable kernel but no stored "
            "training data; this version of scikit-learn is not supported for "
            "callable kernels."
        ) from exc


def _sparse_dual_coef(dense, like):
    """``dense`` as a CSR matrix with every entry stored, as libsvm reads it.

    libsvm's sparse predict reads ``_dual_coef_.data`` as the dense row-major
    coefficient array, so explicit zeros must be kept (a plain
    ``csr_matrix(dense)`` would drop them).
    """
    n_rows, n_sv = dense.shape
    data = np.ascontiguousarray(dense.ravel(), dtype=np.float64)
    indices = np.tile(np.arange(n_sv, dtype=np.int32), n_rows)
    indptr = np.arange(0, n_rows * n_sv + 1, max(n_sv, 1), dtype=np.int32)
    if n_sv == 0:
        indptr = np.zeros(n_rows + 1, dtype=np.int32)
    return type(like)((data, indices, indptr), shape=(n_rows, n_sv))


def write_reduced_model(
    estimator,
    kept,
    dual_coef,
    intercept,
    *,
    prob_a=None,
    prob_b=None,
    fit_status=None,
    n_iter=None,
    vectors=None,
):
    """A copy of ``estimator`` that keeps only the support vectors ``kept``.

    Parameters
    ----------
    estimator : fitted libsvm estimator
        Not modified.

    kept : ndarray of int
        Strictly increasing indices into the estimator's support-vector list;
        the order keeps the vectors grouped by class.

    dual_coef : ndarray of shape (n_rows, len(kept))
        New coefficients in libsvm's internal layout (``_dual_coef_``).

    intercept : ndarray of shape (n_pairs,)
        New internal intercepts (``_intercept_``).

    prob_a, prob_b : ndarray, default=None
        New Platt-scaling parameters; the estimator's own are kept if None.

    fit_status, n_iter : default=None
        New ``fit_status_`` and ``n_iter_`` (when the coefficients come from a
        new libsvm fit); kept if None.

    vectors : ndarray or sparse matrix of shape (len(kept), n_features), default=None
        New support vectors (not training samples: synthesised or moved
        ones), dense or CSR as the estimator's own; ``support_`` then names
        the training samples ``kept``, which they replace. Not for callable
        or precomputed kernels.

    Returns
    -------
    reduced : estimator
        A checked, self-consistent libsvm estimator of the same class.
    """
    layout = SVLayout(estimator)
    kept = np.asarray(kept, dtype=np.intp)
    if kept.ndim != 1 or (len(kept) and (kept[0] < 0 or kept[-1] >= layout.n_sv)):
        raise RuntimeError("Support-vector indices out of range.")
    if np.any(np.diff(kept) <= 0):
        raise RuntimeError("Support-vector indices must be strictly increasing.")
    group = layout.group_of()[kept]
    n_support = np.bincount(group, minlength=layout.n_groups)
    if layout.is_classifier and np.any(n_support == 0):
        raise RuntimeError("A reduced classifier must keep a vector of every class.")
    # Copies: the reduced model must share no array with ``estimator`` (a
    # frozen model's ``_intercept_`` is passed as is when nothing is refitted).
    dual_coef = np.array(dual_coef, dtype=np.float64, order="C")
    intercept = np.array(intercept, dtype=np.float64, order="C").reshape(-1)
    if dual_coef.shape != (layout.n_rows, len(kept)):
        raise RuntimeError(
            f"dual_coef has shape {dual_coef.shape}, expected "
            f"{(layout.n_rows, len(kept))}."
        )
    if intercept.shape != (len(layout.pairs),):
        raise RuntimeError("intercept has the wrong shape.")
    if not (np.isfinite(dual_coef).all() and np.isfinite(intercept).all()):
        raise ValueError(
            "The refitted dual coefficients or intercepts are not finite; "
            "increase `ridge`."
        )

    reduced = copy.deepcopy(estimator)
    n_kept = len(kept)
    train_index = np.asarray(estimator.support_)[kept]
    if callable(estimator.kernel):
        # libsvm sees a precomputed kernel against the stored training rows:
        # keep only the kept vectors' rows, so that predict evaluates the
        # kernel against them alone (the speed-up), and renumber support_.
        X_fit = _safe_indexing(callable_training_data(estimator), train_index)
        reduced._BaseLibSVM__Xfit = X_fit
        reduced.shape_fit_ = (n_kept,) + tuple(estimator.shape_fit_[1:])
        train_index = np.arange(n_kept)
    reduced.support_ = np.ascontiguousarray(train_index, dtype=np.int32)

    if vectors is not None:
        if callable(estimator.kernel) or estimator.kernel == "precomputed":
            raise RuntimeError("New vectors need a kernel on feature values.")
        if vectors.shape != (n_kept, estimator.support_vectors_.shape[1]):
            raise RuntimeError("The new support vectors have the wrong shape.")
        if sp.issparse(vectors) != sp.issparse(estimator.support_vectors_):
            raise RuntimeError(
                "The new support vectors must be dense or sparse as before."
            )
    else:
        vectors = estimator.support_vectors_
        if vectors.shape[0] > 0:
            vectors = vectors[kept]
    if sp.issparse(vectors):
        vectors = type(estimator.support_vectors_)(vectors)
        vectors.sort_indices()
        vectors.data = np.asarray(vectors.data, dtype=np.float64)
        reduced.support_vectors_ = vectors
    elif vectors.shape[0] > 0:
        reduced.support_vectors_ = np.ascontiguousarray(vectors, dtype=np.float64)
    # else: precomputed / callable kernel, support_vectors_ is empty.

    if layout.is_classifier:
        reduced._n_support = np.ascontiguousarray(n_support, dtype=np.int32)
    else:
        # SVR / OneClassSVM store the vector count in every slot.
        reduced._n_support = np.full_like(estimator._n_support, n_kept)
        reduced._n_support = np.ascontiguousarray(reduced._n_support, dtype=np.int32)

    binary = layout.is_classifier and layout.n_groups == 2
    if sp.issparse(estimator._dual_coef_):
        reduced._dual_coef_ = _sparse_dual_coef(dual_coef, estimator._dual_coef_)
    else:
        reduced._dual_coef_ = dual_coef
    # The public attributes follow scikit-learn's conventions: negated for a
    # binary classifier, the internal arrays themselves otherwise.
    reduced.dual_coef_ = -reduced._dual_coef_ if binary else reduced._dual_coef_
    reduced._intercept_ = intercept
    reduced.intercept_ = -intercept if binary else intercept.copy()
    if hasattr(estimator, "offset_"):
        reduced.offset_ = -intercept
    if prob_a is not None:
        reduced._probA = np.ascontiguousarray(prob_a, dtype=np.float64)
        reduced._probB = np.ascontiguousarray(prob_b, dtype=np.float64)
    if fit_status is not None:
        reduced.fit_status_ = fit_status
    if n_iter is not None:
        reduced.n_iter_ = n_iter
    check_libsvm_model(reduced)
    return reduced


def check_libsvm_model(estimator):
    """Raise ``RuntimeError`` unless the libsvm arrays are mutually consistent.

    These are the invariants libsvm relies on without checking them; a
    violation can crash the interpreter in ``predict``.
    """
    layout = SVLayout(estimator)
    support = estimator.support_
    n_sv = len(support)
    problems = []
    if support.dtype != np.int32 or not support.flags.c_contiguous:
        problems.append("support_ must be C-contiguous int32")
    n_support = estimator._n_support
    if n_support.dtype != np.int32 or not n_support.flags.c_contiguous:
        problems.append("_n_support must be C-contiguous int32")
    if layout.is_classifier:
        if n_support.sum() != n_sv or np.any(n_support < 1):
            problems.append("_n_support must count at least one vector per class")
        if len(n_support) != len(estimator.classes_):
            problems.append("_n_support must have one entry per class")
    elif np.any(n_support != n_sv):
        problems.append("_n_support must repeat the number of vectors")
    vectors = estimator.support_vectors_
    if sp.issparse(vectors):
        if vectors.shape[0] != n_sv or vectors.format != "csr":
            problems.append("sparse support_vectors_ must be CSR with a row per vector")
    elif vectors.size > 0:
        if vectors.shape[0] != n_sv or not vectors.flags.c_contiguous:
            problems.append("support_vectors_ must be C-contiguous, a row per vector")
        if vectors.dtype != np.float64:
            problems.append("support_vectors_ must be float64")
    else:
        # Precomputed kernel (or callable): support_ indexes kernel columns.
        n_columns = estimator.shape_fit_[0]
        if n_sv and (support.min() < 0 or support.max() >= n_columns):
            problems.append("support_ must index the training samples")
    dual_coef = estimator._dual_coef_
    if sp.issparse(dual_coef):
        if dual_coef.shape != (layout.n_rows, n_sv) or dual_coef.nnz != (
            layout.n_rows * n_sv
        ):
            problems.append("sparse _dual_coef_ must store every coefficient")
        data = dual_coef.data
    else:
        if dual_coef.shape != (layout.n_rows, n_sv):
            problems.append("_dual_coef_ has the wrong shape")
        if not dual_coef.flags.c_contiguous:
            problems.append("_dual_coef_ must be C-contiguous")
        data = dual_coef
    if data.dtype != np.float64 or not np.isfinite(data).all():
        problems.append("_dual_coef_ must be finite float64")
    intercept = estimator._intercept_
    if (
        intercept.shape != (len(layout.pairs),)
        or intercept.dtype != np.float64
        or not intercept.flags.c_contiguous
        or not np.isfinite(intercept).all()
    ):
        problems.append("_intercept_ must be finite float64, one per decision function")
    if problems:
        raise RuntimeError(
            "Inconsistent reduced libsvm model (a bug in skprune): "
            + "; ".join(problems)
            + "."
        )
