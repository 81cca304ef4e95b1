"""Support-vector reduction: selection criteria, elimination path, refit.

The reduced decision function keeps a subset of the support vectors with new
coefficients. Two least-squares problems are solved, each per one-vs-one pair
(see :mod:`._libsvm_model` for the layout):

- While eliminating vectors, the kept coefficients ``w`` minimise the distance
  to the original function in the kernel's own (RKHS) norm,
  ``||sum_s alpha_s K(s, .) - sum_k w_k K(k, .)||^2``, whose normal equations
  ``K_kk w = K_ks alpha`` need only the kernel between support vectors (they
  make the reduced function interpolate the original one at the kept vectors).
  Matching the function on training samples at every round instead needs the
  samples x vectors Gram matrix over *all* vectors, whose cost (n_samples x
  n_SV^2) exceeds libsvm's own fit on large problems. Measured here, the two
  paths end within 0.1 accuracy points on a 20000 x 30 binary problem (the
  sample path a little better at 50%, the RKHS path at 90%); on digits the
  sample path was 0.1 to 1 point better at 80-90%.
- The final coefficients and the intercept are then refitted by weighted least
  squares so that the reduced function matches the original on the fitting
  samples (Burges & Schoelkopf's reduced-set idea), with a small ridge that
  pulls towards the RKHS solution where the samples leave them undetermined.
"""

import contextlib
import math

import numpy as np
import scipy.linalg as sl
from sklearn.utils import gen_batches
from threadpoolctl import ThreadpoolController

# Kernel blocks are computed in row chunks of about this many entries (32 MB).
_CHUNK_ENTRIES = 2**22

# Below this matrix size, BLAS threads cost more than they save: many small
# per-pair solves ran up to 8x slower with 2 threads on a busy 2-core machine.
_MIN_THREADED_SIZE = 1500
_controller = None


def blas_threads_for(size):
    """A context limiting BLAS to one thread for operations on small matrices."""
    global _controller
    if size >= _MIN_THREADED_SIZE:
        return contextlib.nullcontext()
    if _controller is None:
        # Scanning the loaded libraries takes milliseconds: do it once.
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


# -- selection criteria -----------------------------------------------------
# A criterion scores the vectors still kept; the lowest scores are removed
# first. ``dual_coef`` is (n_rows, n_kept) in libsvm's layout, holding the
# current (possibly refitted) coefficients; ``kernel_norms`` is the root mean
# square of K(v, x) over the fitting samples x, for every kept vector v.


def dual_coef_criterion(dual_coef, kernel_norms):
    """|dual coefficient| (summed over the one-vs-one functions it enters)."""
    return np.abs(dual_coef).sum(axis=0)


def contribution_criterion(dual_coef, kernel_norms):
    """|dual coefficient| x RMS of the vector's kernel over the data.

    The size of the term the vector adds to the decision function where the
    data lie: a vector far from the data counts little even with a large
    coefficient.
    """
    return np.abs(dual_coef).sum(axis=0) * kernel_norms


CRITERIA = {
    "dual_coef": dual_coef_criterion,
    "contribution": contribution_criterion,
}


def score_vectors(criterion, dual_coef, kernel_norms):
    """Apply a named or callable criterion and check its output."""
    func = CRITERIA[criterion] if isinstance(criterion, str) else criterion
    scores = np.asarray(func(dual_coef, kernel_norms), dtype=np.float64)
    if scores.shape != (dual_coef.shape[1],):
        raise ValueError(
            "criterion must return one score per support vector, an array of "
            f"shape ({dual_coef.shape[1]},); got shape {scores.shape}."
        )
    if not np.isfinite(scores).all():
        raise ValueError("criterion returned non-finite scores.")
    return scores


# -- selection ----------------------------------------------------------------


def target_counts(n_support, prune_rate):
    """Vectors to keep per class: ``ceil((1 - prune_rate) * n)``, at least 1."""
    return np.array(
        [max(1, math.ceil(round((1 - prune_rate) * n, 9))) for n in n_support],
        dtype=np.intp,
    )


def drop_lowest(kept, scores, targets, step, tiebreak):
    """Remove the lowest-scored vectors of every class above its target.

    ``scores`` and ``tiebreak`` are indexed by vector number; ties (e.g. the
    many coefficients at the bound ``|alpha| = C``) are broken by the random
    ``tiebreak`` keys. ``step`` is the largest fraction of a class's current
    vectors removed at once (1 removes everything above the target).
    """
    new_kept = []
    for c, index in enumerate(kept):
        n_drop = len(index) - targets[c]
        if n_drop > 0:
            n_drop = min(n_drop, max(1, math.ceil(step * len(index))))
            order = np.lexsort((tiebreak[index], scores[index]))
            index = np.sort(index[order[n_drop:]])
        new_kept.append(index)
    return new_kept


# -- linear algebra -------------------------------------------------------------


def ridge_solve(gram, rhs, ridge, *, prior=None, n_free=0):
    """Solve ``(gram + lam D) w = rhs + lam D prior`` for symmetric PSD ``gram``.

    ``lam = ridge * mean(diag)`` over the penalised entries; ``D`` is the
    identity except for the last ``n_free`` (unpenalised, e.g. intercept)
    entries. Retries with a larger ridge when the Cholesky factorisation fails
    (an indefinite or numerically singular kernel), then falls back on a
    least-squares solve. ``gram`` must be C-contiguous; it is overwritten.
    """
    n = gram.shape[0]
    n_pen = n - n_free
    if n_pen == 0:
        return sl.lstsq(gram, rhs, check_finite=False)[0]
    diag = np.arange(n_pen)
    original_diag = gram[diag, diag].copy()
    scale = float(np.mean(original_diag))
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    prior = np.zeros(n_pen) if prior is None else prior
    lam = ridge * scale
    for _ in range(4):
        gram[diag, diag] = original_diag + lam
        b = np.array(rhs, dtype=np.float64)
        b[:n_pen] += lam * prior
        # LAPACK's dposv in place on the transposed (Fortran-ordered) view of
        # the symmetric matrix: no copy of a matrix that can take gigabytes,
        # and no scipy wrapper overhead on the many small per-pair solves.
        _, w, info = sl.lapack.dposv(gram.T, b, lower=1, overwrite_a=1, overwrite_b=1)
        if info == 0 and np.isfinite(w).all():
            return w
        # The factorisation overwrote one triangle; the other is intact.
        gram[...] = np.tril(gram) + np.tril(gram, -1).T
        lam = max(lam * 100, 1e-10 * scale)
    gram[diag, diag] = original_diag + lam
    b = np.array(rhs, dtype=np.float64)
    b[:n_pen] += lam * prior
    return sl.lstsq(gram, b, check_finite=False)[0]


# -- kernel statistics over the fitting samples --------------------------------


def decision_stats(kernel, X, layout, dual_coef, intercept, sample_weight):
    """Original decision values on ``X`` and the weighted RMS kernel norms.

    Parameters
    ----------
    kernel : SVKernel
    X : prepared samples
    layout : SVLayout
    dual_coef : ndarray of shape (n_rows, n_sv)
    intercept : ndarray of shape (n_pairs,)
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    values : ndarray of shape (n_samples, n_pairs)
        The internal decision function of every pair (libsvm's sign).
    kernel_norms : ndarray of shape (n_sv,)
    """
    n_samples = kernel.n_samples(X)
    n_sv = layout.n_sv
    all_sv = np.arange(n_sv)
    values = np.empty((n_samples, len(layout.pairs)))
    sq_sums = np.zeros(n_sv)
    batch = max(1, _CHUNK_ENTRIES // max(n_sv, 1))
    for rows in gen_batches(n_samples, batch):
        K = kernel.between(kernel.rows(X, np.arange(rows.start, rows.stop)), all_sv)
        values[rows] = pair_values(layout, K, dual_coef, intercept)
        sq_sums += sample_weight[rows] @ (K * K)
    total = max(float(sample_weight.sum()), np.finfo(np.float64).tiny)
    return values, np.sqrt(sq_sums / total)


def pair_values(layout, K, dual_coef, intercept, kept=None):
    """Decision values of every pair from kernel columns ``K``.

    ``K`` holds the columns of the vectors ``kept`` (all by default; sorted,
    hence grouped by class) and ``dual_coef`` their coefficients,
    (n_rows, len(kept)).
    """
    if not layout.is_classifier:
        return (K @ dual_coef[0] + intercept[0])[:, None]
    group = layout.group_of() if kept is None else layout.group_of()[kept]
    bounds = np.searchsorted(group, np.arange(layout.n_groups + 1))
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
    rows = np.arange(values.shape[0])
    for p, (i, j) in enumerate(layout.pairs):
        winner = np.where(values[:, p] > 0, i, j)
        np.add.at(votes, (rows, winner), 1)
    return np.argmax(votes, axis=1)


# -- the elimination path -------------------------------------------------------


class EliminationPath:
    """Backward elimination of support vectors in the RKHS norm.

    Parameters
    ----------
    layout : SVLayout
    gram_sv : ndarray of shape (n_sv, n_sv)
        Kernel between all support vectors.
    dual_coef : ndarray of shape (n_rows, n_sv)
        The original coefficients.
    criterion : str or callable
    kernel_norms : ndarray of shape (n_sv,)
    ridge : float
    tiebreak : ndarray of shape (n_sv,)
        Random keys that break ties between equal scores.
    """

    def __init__(
        self, layout, gram_sv, dual_coef, criterion, kernel_norms, ridge, tiebreak
    ):
        self.layout = layout
        self.gram_sv = gram_sv
        self.dual_coef = dual_coef
        self.criterion = criterion
        self.kernel_norms = kernel_norms
        self.ridge = ridge
        self.tiebreak = tiebreak
        # The right-hand side K_{k,s} alpha depends only on the kept vector k:
        # compute it once per pair for every vector of the pair.
        # Class blocks are contiguous: slices, not copies, of the Gram matrix.
        blocks = [
            slice(layout.starts[c], layout.starts[c + 1])
            for c in range(layout.n_groups)
        ]
        self._rhs = []
        for i, j in layout.pairs:
            rhs = np.zeros(layout.n_sv)
            if i == j:
                rhs[:] = gram_sv @ dual_coef[0]
            else:
                a_i = dual_coef[j - 1, blocks[i]]
                a_j = dual_coef[i, blocks[j]]
                for c in (i, j):
                    rhs[blocks[c]] = (
                        gram_sv[blocks[c], blocks[i]] @ a_i
                        + gram_sv[blocks[c], blocks[j]] @ a_j
                    )
            self._rhs.append(rhs)

    def run(self, targets, step, record=False):
        """Eliminate down to ``targets`` vectors per class.

        Returns
        -------
        steps : list of (kept, dual_coef)
            ``kept`` is a list of per-class index arrays and ``dual_coef``
            (n_rows, n_sv) the RKHS coefficients, zero for removed vectors.
            Only the last step unless ``record``; the first recorded step is
            the unpruned model.
        """
        layout = self.layout
        kept = [layout.block(c) for c in range(layout.n_groups)]
        largest = max(
            len(layout.pair_columns(kept, p)) for p in range(len(layout.pairs))
        )
        with blas_threads_for(largest):
            return self._run(kept, targets, step, record)

    def _run(self, kept, targets, step, record):
        layout = self.layout
        coef = self.dual_coef.copy()
        steps = [(kept, coef)] if record else []
        while any(len(kept[c]) > targets[c] for c in range(layout.n_groups)):
            flat = np.concatenate(kept)
            scores = np.zeros(layout.n_sv)
            scores[flat] = score_vectors(
                self.criterion, coef[:, flat], self.kernel_norms[flat]
            )
            kept = drop_lowest(kept, scores, targets, step, self.tiebreak)
            coef = self.solve(kept)
            if record:
                steps.append((kept, coef))
        if not record:
            steps.append((kept, coef))
        return steps

    def solve(self, kept):
        """RKHS-optimal coefficients of the vectors ``kept``, per pair."""
        layout = self.layout
        coef = np.zeros_like(self.dual_coef)
        for p in range(len(layout.pairs)):
            cols = layout.pair_columns(kept, p)
            gram = self.gram_sv[np.ix_(cols, cols)]
            w = ridge_solve(gram, self._rhs[p][cols], self.ridge)
            layout.set_pair_coef(coef, kept, p, w)
        return coef


# -- the refit on data ------------------------------------------------------------


def refit_on_data(
    kernel,
    X,
    sample_weight,
    group,
    layout,
    kept,
    prior_coef,
    dual_coef,
    intercept,
    ridge,
    values=None,
):
    """Least-squares coefficients and intercepts matching the original on ``X``.

    For a classifier, pair ``(i, j)`` is fitted on the samples of classes
    ``i`` and ``j`` (``group`` holds each sample's class index, -1 for none),
    as libsvm trained it; regressors and one-class models use every sample.
    The ridge pulls the coefficients towards ``prior_coef``; a pair without
    fitting samples keeps ``prior_coef`` and the original ``intercept``.

    The targets are the original decision values (``dual_coef``,
    ``intercept``) on ``X``: given as ``values`` (n_samples, n_pairs), or
    computed on the way from the same kernel blocks, which then span all
    support vectors instead of the kept ones (one pass over ``X``, not two).

    Returns
    -------
    dual_coef : ndarray of shape (n_rows, n_kept)
    intercept : ndarray of shape (n_pairs,)
    """
    flat = np.concatenate(kept)
    position = np.full(layout.n_sv, -1)
    position[flat] = np.arange(len(flat))
    local_kept = [position[index] for index in kept]
    n_pairs = len(layout.pairs)
    pair_cols = [layout.pair_columns(local_kept, p) for p in range(n_pairs)]
    # Normal equations per pair; the last row/column is the intercept's.
    lhs = [np.zeros((len(c) + 1, len(c) + 1)) for c in pair_cols]
    rhs = [np.zeros(len(c) + 1) for c in pair_cols]
    columns = flat if values is not None else np.arange(layout.n_sv)
    batch = max(1, _CHUNK_ENTRIES // max(len(columns), 1))
    new_coef = np.zeros((layout.n_rows, len(flat)))
    new_intercept = np.array(intercept, dtype=np.float64)
    with blas_threads_for(max(len(c) for c in pair_cols)):
        for rows in gen_batches(kernel.n_samples(X), batch):
            K = kernel.between(
                kernel.rows(X, np.arange(rows.start, rows.stop)), columns
            )
            if values is None:
                chunk_values = pair_values(layout, K, dual_coef, intercept)
                K = K[:, flat]
            else:
                chunk_values = values[rows]
            for p, (i, j) in enumerate(layout.pairs):
                sel = slice(None)
                if layout.is_classifier:
                    in_pair = (group[rows] == i) | (group[rows] == j)
                    if not in_pair.all():
                        sel = np.flatnonzero(in_pair)
                A = K[sel] if n_pairs == 1 else K[np.ix_(sel, pair_cols[p])]
                if A.shape[0]:
                    _add_rows(
                        lhs[p],
                        rhs[p],
                        A,
                        sample_weight[rows][sel],
                        chunk_values[sel, p],
                    )
        for p in range(n_pairs):
            prior = layout.pair_coef(prior_coef, kept, p)
            n = len(prior)
            if lhs[p][n, n] <= 0:
                layout.set_pair_coef(new_coef, local_kept, p, prior)
                continue
            solution = ridge_solve(lhs[p], rhs[p], ridge, prior=prior, n_free=1)
            layout.set_pair_coef(new_coef, local_kept, p, solution[:n])
            new_intercept[p] = solution[n]
    return new_coef, new_intercept


def _add_rows(lhs, rhs, A, weight, target):
    """Add weighted rows ``[A, 1] -> target`` to the normal equations."""
    n = A.shape[1]
    # B.T @ B with B = sqrt(w) A lets NumPy use a symmetric rank-k update
    # (half the flops of a general product).
    B = A * np.sqrt(weight)[:, None]
    lhs[:n, :n] += B.T @ B
    Aw = A.T @ weight
    lhs[n, :n] += Aw
    lhs[:n, n] += Aw
    lhs[n, n] += weight.sum()
    rhs[:n] += A.T @ (weight * target)
    rhs[n] += weight @ target
