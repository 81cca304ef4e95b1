"""Retraining the kept vectors' coefficients on the labels (``refit="labels"``).

The default refit makes the reduced decision function match the original
one; this one forgets the original coefficients and trains new ones on the
labels, as ``Nystroem`` followed by a linear SVM does with random landmarks:
a linear SVM on the kernel features of the kept vectors, whitened by the
inverse square root of their Gram matrix (Nystroem's map), so that the
linear model's penalty ``||w||^2`` is the kernel-norm penalty of the SVM. The
weights map back to dual coefficients of the kept vectors, and the model
stays a libsvm model (the reduced SVM of Lee & Mangasarian 2001, with the
basis chosen by the elimination instead of at random).

- Classifiers (:func:`relabel_pairs`): per one-vs-one pair, a
  :class:`~sklearn.svm.LinearSVC` (squared hinge loss, the SVM's ``C``) on
  the fitting samples of the pair's two classes.
- Regressors (:func:`relabel_regression`): one :class:`~sklearn.svm.LinearSVR`
  with the epsilon-insensitive loss of libsvm's SVR, its ``C`` and its
  ``epsilon`` (for NuSVR, which has none, the width of the tube its fit
  found, estimated from its residuals and ``nu``).

It does not imitate the original model, so it can be more accurate than the
matching refit where the SVM is not the best model for the data; the SVM
user guide has the measurements.
"""

import numpy as np
from scipy import linalg
from sklearn.svm import LinearSVC, LinearSVR

# Floor of the Gram matrix's singular values in the whitening map, as in
# scikit-learn's Nystroem.
_SINGULAR_FLOOR = 1e-12
# The epsilon-insensitive loss's dual coordinate descent needs more passes
# than liblinear's default on whitened kernel features.
_MAX_ITER = 10_000


def whitening_map(gram):
    """``gram^{-1/2}`` (singular values floored), the Nystroem feature map."""
    U, S, Vt = linalg.svd(gram, full_matrices=False)
    S = np.maximum(S, _SINGULAR_FLOOR)
    return (U / np.sqrt(S)) @ Vt


def relabel_pairs(layout, kernel, kept, X_fit, group_fit, w_fit, C, seed, fallback):
    """Coefficients and intercepts of the kept vectors trained on the labels.

    Parameters
    ----------
    layout : SVLayout
        Of a classifier.
    kernel : SVKernel
    kept : list of ndarray
        Per class, the kept vector numbers.
    X_fit : array-like
        The fitting samples (``kernel.rows`` of ``X``).
    group_fit : ndarray of shape (n_fit,)
        Class index of every fitting sample (-1: a label the SVM lacks).
    w_fit : ndarray of shape (n_fit,)
        Non-negative sample weights, class weights included.
    C : float
        The linear SVM's ``C``.
    seed : int
        ``random_state`` of the linear SVMs.
    fallback : tuple of (ndarray, ndarray)
        ``(dual_coef, intercept)`` for a pair whose fitting samples do not
        hold both of its classes: dual coefficients by vector number,
        ``(n_rows, n_sv)``, and intercepts ``(n_pairs,)``.

    Returns
    -------
    dual_coef : ndarray of shape (n_rows, n_sv)
        By vector number; zero outside ``kept``.
    intercept : ndarray of shape (n_pairs,)
        libsvm's internal intercepts: pair ``(i, j)``'s value ``K @ coef +
        intercept`` is positive for class ``i``.
    """
    flat = np.concatenate(kept)
    K = kernel.between(X_fit, flat)
    # Column of every vector number in K.
    column = np.empty(layout.n_sv, dtype=np.intp)
    column[flat] = np.arange(len(flat))
    gram = kernel.among(flat)
    fallback_coef, fallback_intercept = fallback
    coef = np.zeros((layout.n_rows, layout.n_sv))
    intercept = np.array(fallback_intercept, dtype=np.float64)
    for p, (i, j) in enumerate(layout.pairs):
        vectors = layout.pair_columns(kept, p)
        rows = np.flatnonzero(((group_fit == i) | (group_fit == j)) & (w_fit > 0))
        if len(np.unique(group_fit[rows])) < 2:
            pair_coef = layout.pair_coef(fallback_coef, kept, p)
        else:
            cols = column[vectors]
            whiten = whitening_map(gram[np.ix_(cols, cols)])
            features = K[np.ix_(rows, cols)] @ whiten.T
            # +1 is class i: libsvm's positive side of pair (i, j).
            target = np.where(group_fit[rows] == i, 1, -1)
            linear = LinearSVC(C=C, random_state=seed)
            linear.fit(features, target, sample_weight=w_fit[rows])
            pair_coef = whiten.T @ linear.coef_[0]
            intercept[p] = linear.intercept_[0]
        layout.set_pair_coef(coef, kept, p, pair_coef)
    return coef, intercept


def relabel_regression(kernel, kept, X_fit, y_fit, w_fit, C, epsilon, seed):
    """Coefficients and intercept of the kept vectors trained on the targets.

    Parameters
    ----------
    kernel : SVKernel
    kept : ndarray of int
        The kept vector numbers.
    X_fit : array-like
        The fitting samples (``kernel.rows`` of ``X``).
    y_fit : ndarray of shape (n_fit,)
        Their targets.
    w_fit : ndarray of shape (n_fit,)
        Non-negative sample weights.
    C, epsilon : float
        The linear SVM's ``C`` and the width of its insensitive tube.
    seed : int
        ``random_state`` of the linear SVM.

    Returns
    -------
    coef : ndarray of shape (len(kept),)
        Dual coefficients of the kept vectors.
    intercept : float
        libsvm's internal intercept: the model's value is ``K @ coef +
        intercept``.
    """
    rows = np.flatnonzero(w_fit > 0)
    whiten = whitening_map(kernel.among(kept))
    features = kernel.between(kernel.rows(X_fit, rows), kept) @ whiten.T
    # liblinear penalises the intercept like a weight: centre the targets so
    # that a large mean is not shrunk towards zero.
    centre = _weighted_quantile(y_fit[rows], w_fit[rows], 0.5)
    linear = LinearSVR(
        C=C,
        epsilon=epsilon,
        loss="epsilon_insensitive",
        random_state=seed,
        max_iter=_MAX_ITER,
    )
    linear.fit(features, y_fit[rows] - centre, sample_weight=w_fit[rows])
    return whiten.T @ linear.coef_, float(linear.intercept_[0]) + centre


def tube_width(residuals, weight, nu):
    """The epsilon of a NuSVR fit, from its residuals on the fitting samples.

    At most a fraction ``nu`` of the samples lie outside nu-SVR's tube, and
    the free support vectors lie on its edge: its width is about the
    ``1 - nu`` weighted quantile of the absolute residuals.
    """
    return _weighted_quantile(np.abs(residuals), weight, 1.0 - nu)


def _weighted_quantile(values, weight, q):
    order = np.argsort(values)
    cumulative = np.cumsum(weight[order])
    position = np.searchsorted(cumulative, q * cumulative[-1])
    return float(values[order[min(position, len(order) - 1)]])
