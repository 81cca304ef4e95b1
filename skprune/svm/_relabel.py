"""Retraining the kept vectors' coefficients on the labels (``refit="labels"``).

The default refit makes the reduced decision function match the original
one; this one forgets the original coefficients and trains new ones on the
class labels, as ``Nystroem + LinearSVC`` does with random landmarks: per
one-vs-one pair, a linear SVM (squared hinge loss, the SVM's ``C``) on the
kernel features of the pair's kept vectors, whitened by the inverse square
root of their Gram matrix (Nystroem's map), so that the linear model's
penalty ``||w||^2`` is the kernel-norm penalty of the SVM. The weights map
back to dual coefficients of the kept vectors, and the model stays a libsvm
SVC (the reduced SVM of Lee & Mangasarian 2001, with the basis chosen by the
elimination instead of at random).

Measured (issue 11, ``bench_svm_reduced_set.py``, means over the splits):
more accurate than the matching refit on ten of the twelve rows at 80, 90
and 95% removed, by up to 2.4 points on ``hpc_data`` (whose untuned RBF SVM
is weaker than a linear model on Nystroem features), and less accurate on
the 20k binary problem (by up to 0.4 points). The matching refit stays the
default: it costs less (0.8-3.2 fits of the SVM against 1.0-8.4) and is the
one every other benchmark measured.
"""

import numpy as np
from scipy import linalg
from sklearn.svm import LinearSVC

# Floor of the Gram matrix's singular values in the whitening map, as in
# scikit-learn's Nystroem.
_SINGULAR_FLOOR = 1e-12


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
