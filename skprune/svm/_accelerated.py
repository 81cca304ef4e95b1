"""Fitted SVMs of accelerated subclasses as plain scikit-learn libsvm models.

scikit-learn-intelex (``sklearnex.patch_sklearn()``) replaces ``SVC``,
``NuSVC``, ``SVR`` and ``NuSVR`` with subclasses fitted and evaluated by
oneDAL. Their fitted attributes follow libsvm's layout, but a multi-class
model refuses any assignment to them ("Cannot manually assign to fitted
attributes in multi-class models"), so a reduced model cannot be written
into one. The pruner therefore copies such a model into the scikit-learn
class it derives from, with libsvm's dtypes; that model predicts exactly as
the accelerated one (to rounding) and is what gets pruned.
"""

import copy

import numpy as np

# Not from sklearn.svm, whose names patch_sklearn() replaces by its own
# classes: these are the scikit-learn classes whatever the import order.
from sklearn.svm._classes import SVC, SVR, NuSVC, NuSVR, OneClassSVM

from ._libsvm_model import CLASSIFIER_IMPLS

LIBSVM_CLASSES = (SVC, NuSVC, SVR, NuSVR, OneClassSVM)

# The fitted state of a libsvm model besides its arrays (copied as they are).
_STATE = (
    "n_features_in_",
    "feature_names_in_",
    "classes_",
    "class_weight_",
    "_gamma",
    "_sparse",
    "shape_fit_",
    "fit_status_",
    "n_iter_",
    "_num_iter",
    "_effective_probability",
    "offset_",
)


def plain_class(svm):
    """The scikit-learn SVM class ``svm`` is an instance of, or derives from."""
    for cls in type(svm).__mro__:
        if cls in LIBSVM_CLASSES:
            return cls
    raise TypeError(f"{type(svm).__name__} is not a libsvm estimator.")


def is_accelerated(svm):
    """Whether ``svm`` is an instance of a subclass (e.g. sklearnex's)."""
    return type(svm) is not plain_class(svm)


def as_libsvm_model(svm):
    """``svm`` itself if it is a plain scikit-learn SVM, else a plain copy.

    The copy has the same hyper-parameters (those the plain class knows),
    support vectors, coefficients and intercepts, in the dtypes and memory
    layout libsvm reads.
    """
    if not is_accelerated(svm):
        return svm
    cls = plain_class(svm)
    names = cls._get_param_names()
    plain = cls(**{k: v for k, v in svm.get_params(deep=False).items() if k in names})
    for name in _STATE:
        if hasattr(svm, name):
            setattr(plain, name, copy.deepcopy(getattr(svm, name)))
    n_sv = len(svm.support_)
    plain.support_ = np.ascontiguousarray(svm.support_, dtype=np.int32)
    if plain._impl in CLASSIFIER_IMPLS:
        n_support = svm._n_support
    else:
        # libsvm's regressors and one-class models repeat the vector count.
        n_support = [n_sv, n_sv]
    plain._n_support = np.ascontiguousarray(n_support, dtype=np.int32)
    plain.support_vectors_ = _float64(svm.support_vectors_)
    for name in ("_dual_coef_", "dual_coef_", "_intercept_", "intercept_"):
        setattr(plain, name, _float64(getattr(svm, name)))
    for name in ("_probA", "_probB"):
        value = getattr(svm, name, None)
        setattr(plain, name, _float64(np.empty(0) if value is None else value))
    if not hasattr(plain, "_effective_probability"):
        plain._effective_probability = svm.probability
    return plain


def _float64(array):
    if hasattr(array, "toarray"):
        array = array.copy()
        array.data = np.asarray(array.data, dtype=np.float64)
        return array
    return np.ascontiguousarray(array, dtype=np.float64)
