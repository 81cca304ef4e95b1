"""Inference copies of fitted MLPs: float32 weights, sparse weight matrices."""

import copy
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted


@validate_params(
    {
        "estimator": [MLPClassifier, MLPRegressor],
        "dtype": [None, StrOptions({"float32", "float64"}), type],
        "max_density": [None, Interval(Real, 0, 1, closed="both")],
    },
    prefer_skip_nested_validation=True,
)
def compress_mlp(estimator, *, dtype=None, max_density=None):
    """A copy of a fitted MLP for prediction, with cheaper weight storage.

    scikit-learn's MLP predicts with ``X @ coefs_[i]`` whatever the type of
    ``coefs_[i]``, so a copy whose weights are float32 or whose sparse weight
    matrices are ``scipy.sparse`` CSR matrices predicts with the same code.
    Neither pays by itself (measurements in :ref:`mlp_pruning`, from
    ``benchmarks/bench_mlp.py``):

    - float32 weights halve the memory and make predict faster only *if*
      ``X`` is float32 too. With float64 ``X`` NumPy computes in float64:
      no gain.
    - CSR weight matrices are slower than dense ones unless nearly all the
      weights are zero: ``max_density`` says below which density a layer is
      stored sparse.

    The copy is meant for prediction only: ``partial_fit`` and ``warm_start``
    expect dense weights.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        A fitted network, e.g. ``MLPPruner(...).fit(X, y).estimator_``. It is
        not modified.

    dtype : {"float32", "float64"}, numpy dtype or None, default=None
        Type of the weights and intercepts of the copy; None keeps it.

    max_density : float in [0, 1] or None, default=None
        Weight matrices with at most this share of nonzero entries are stored
        as CSR matrices; None keeps them all dense. Only a very low density
        pays: a sparse product costs more per nonzero than a dense one.

    Returns
    -------
    compressed : MLPClassifier or MLPRegressor
        A copy of ``estimator`` with converted ``coefs_`` and ``intercepts_``,
        without solver state.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.neural_network import MLPClassifier
    >>> from skprune.neural_network import MLPPruner, compress_mlp
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> mlp = MLPClassifier((64,), max_iter=500, random_state=0)
    >>> pruner = MLPPruner(mlp, method="weight", prune_rate=0.96, random_state=0)
    >>> compact = compress_mlp(pruner.fit(X, y).estimator_, max_density=0.05)
    >>> [type(coef).__name__ for coef in compact.coefs_]  # the last layer is denser
    ['csr_matrix', 'ndarray']
    >>> bool(np.all(compact.predict(X) == pruner.predict(X)))
    True
    """
    check_is_fitted(estimator)
    skip = {"_optimizer", "_best_coefs", "_best_intercepts"}
    state = {k: v for k, v in estimator.__dict__.items() if k not in skip}
    compressed = type(estimator).__new__(type(estimator))
    compressed.__dict__.update(copy.deepcopy(state))
    coefs = [_dense(c) for c in compressed.coefs_]
    intercepts = list(compressed.intercepts_)
    if dtype is not None:
        coefs = [c.astype(dtype) for c in coefs]
        intercepts = [b.astype(dtype) for b in intercepts]
    if max_density is not None:
        coefs = [
            sp.csr_matrix(c) if np.count_nonzero(c) <= max_density * c.size else c
            for c in coefs
        ]
    compressed.coefs_ = coefs
    compressed.intercepts_ = intercepts
    compressed._best_coefs = compressed.coefs_
    compressed._best_intercepts = compressed.intercepts_
    return compressed


def _dense(matrix):
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)
