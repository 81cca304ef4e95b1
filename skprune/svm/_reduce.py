"""Support-vector reduction: selection criteria, elimination path, refit.

The reduced decision function keeps a subset of the support vectors with new
coefficients, chosen per one-vs-one pair (see :mod:`._libsvm_model` for the
layout) by weighted least squares on the decision values over the fitting
samples (Burges & Schoelkopf's reduced-set idea): per pair, on the samples
of its two classes, as libsvm trained it; regressors and one-class models use
every sample. The normal equations of a pair over its vectors (the intercept
first) are accumulated in one pass over the samples; every subset of vectors
is a principal block of them. A search over rates needs them for all the
vectors; a single rate only for those its first elimination round keeps
(the first round ranks the original coefficients and solves nothing).

- While eliminating vectors, the kept coefficients are re-solved on those
  equations after every round, with a ridge of ``ELIMINATION_RIDGE`` towards
  zero. Re-solving them in the kernel's own (RKHS) norm instead,
  ``||sum_s alpha_s K(s, .) - sum_k w_k K(k, .)||^2``, needs no pass over the
  samples but ranked the vectors worse on most of the benchmark problems.
- The final coefficients and the intercept are then refitted on the same
  equations with the smaller ``ridge``. Where a pair has fewer than
  ``PRIOR_MIN_SAMPLES_PER_VECTOR`` fitting samples per vector, the ridge
  pulls towards the RKHS solution, which holds the coefficients that the
  samples leave undetermined; elsewhere it pulls towards zero, as the rounds'
  does. A pair without any fitting sample keeps the RKHS solution throughout.

The elimination treats every class alike whatever the target, so the vectors
kept at increasing rates are nested: one survival order per class serves every
rate. Ordered that way, with ridges that do not depend on the subset, both
problems of a rate are leading blocks of one system per pair, and one Cholesky
factorisation of that system serves every rate (:class:`NestedRefit`).
"""

import math

import numpy as np
import scipy.linalg as sl
from sklearn.utils import gen_batches

from ..utils import n_kept
from ._fast_predict import blas_threads_for, pair_values

# Kernel blocks are computed in row chunks of about this many entries (32 MB).
_CHUNK_ENTRIES = 2**22

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
        [n_kept(n, prune_rate) for n in n_support],
        dtype=np.intp,
    )


# Ridge of the elimination rounds' least-squares solves, relative to the mean
# diagonal of a pair's normal equations: large enough that near-singular
# equations (about as many vectors as fitting samples) do not rank the vectors
# by noise, small enough not to pull them all alike.
ELIMINATION_RIDGE = 1e-4

# Fitting samples per vector from which a pair's final refit is pulled towards
# zero instead of the RKHS solution: with fewer samples than that, the samples
# leave some coefficients undetermined and the RKHS solution holds them. The
# pull costs a Cholesky factorisation as large as the refit's, so it is only
# paid where samples are few.
PRIOR_MIN_SAMPLES_PER_VECTOR = 2

# Elimination rounds allowed: every round re-solves every pair, so a tiny
# ``step`` (one vector per round) on thousands of vectors would run for many
# minutes; the default step needs a few dozen rounds at most.
MAX_ROUNDS = 300


def n_removed_per_round(n, step):
    """Vectors an elimination round removes from a class of ``n``.

    The ``step`` fraction, at least one, never the last one.
    """
    return min(n - 1, max(1, math.ceil(step * n)))


def elimination_rounds(n_support, targets, step):
    """Rounds :meth:`EliminationPath.orders` takes to reach ``targets``."""
    counts = np.asarray(n_support, dtype=np.intp).copy()
    rounds = 0
    while True:
        rounds += 1
        for c, n in enumerate(counts):
            counts[c] = n - n_removed_per_round(n, step)
        if np.all(counts <= targets) or rounds > MAX_ROUNDS:
            return rounds


def check_elimination_rounds(n_support, targets, step):
    """Refuse a ``step`` that needs more than ``MAX_ROUNDS`` elimination rounds."""
    rounds = elimination_rounds(n_support, targets, step)
    if rounds > MAX_ROUNDS:
        raise ValueError(
            f"step={step} needs more than {MAX_ROUNDS} elimination rounds to "
            f"prune these {int(np.sum(n_support))} support vectors (each round "
            "re-solves every one-vs-one pair). Use a larger step, such as the "
            "default 0.25."
        )


def auto_targets(n_support, step):
    """The distinct per-class targets of ``prune_rate="auto"``, largest first.

    The candidate rates are ``1 - (1 - step)**t``, ``t = 1, 2, ...``, down to
    one vector per class. Only the ``t`` at which some class's count changes
    are visited (a tiny ``step`` would otherwise mean millions of rates).
    """
    n_support = np.asarray(n_support, dtype=np.intp)
    if step >= 1:
        return [np.ones_like(n_support)]
    log_keep = math.log1p(-step)
    ts = {1}
    for n in n_support:
        # The count of a class of n vectors drops to k at the first t with
        # (1 - step)**t <= k / n.
        for k in range(1, int(n)):
            ts.add(max(1, math.ceil(math.log(k / n) / log_keep)))
    targets = []
    for t in sorted(ts):
        counts = target_counts(n_support, 1 - (1 - step) ** t)
        if not targets or not np.array_equal(counts, targets[-1]):
            targets.append(counts)
    if not np.all(targets[-1] == 1):
        targets.append(np.ones_like(n_support))
    return targets


def keep_highest(kept, scores, targets, tiebreak):
    """Keep the ``targets[c]`` highest-scored vectors of every class.

    ``scores`` and ``tiebreak`` are indexed by vector number; ties (e.g. the
    many coefficients at the bound ``|alpha| = C``) are broken by the random
    ``tiebreak`` keys.
    """
    new_kept = []
    for c, index in enumerate(kept):
        n_drop = len(index) - targets[c]
        if n_drop > 0:
            order = np.lexsort((tiebreak[index], scores[index]))
            index = np.sort(index[order[n_drop:]])
        new_kept.append(index)
    return new_kept


# -- linear algebra -------------------------------------------------------------


def ridge_scale(diagonal):
    """The scale the ridge is relative to: the mean of a Gram diagonal."""
    scale = float(np.mean(diagonal)) if len(diagonal) else 1.0
    return scale if np.isfinite(scale) and scale > 0 else 1.0


def ridge_cholesky(gram, lam, n_free=0):
    """Cholesky factor of ``gram + lam D``, and the ``lam`` used.

    ``D`` is the identity except for the first ``n_free`` (unpenalised, e.g.
    intercept) entries. ``lam`` grows (x100, from at least 1e-10 of the mean
    diagonal) until the factorisation succeeds: a kernel can be numerically
    singular or, for a callable or sigmoid kernel, indefinite. ``gram`` must
    be C-contiguous and symmetric; it is overwritten, and the factor returned
    shares its memory: only the factor's lower triangle is meaningful.
    """
    n = gram.shape[0]
    diag = np.arange(n)
    # The whole diagonal is kept: a failed factorisation overwrites the
    # diagonal entries it reached, the unpenalised ones included.
    original_diag = gram[diag, diag].copy()
    penalty = (diag >= n_free).astype(np.float64)
    floor = 1e-10 * ridge_scale(original_diag[n_free:])
    for _ in range(20):
        gram[diag, diag] = original_diag + lam * penalty
        # LAPACK's dpotrf in place on the transposed (Fortran-ordered) view
        # of the symmetric matrix: no copy of a matrix that can take
        # gigabytes.
        factor, info = sl.lapack.dpotrf(gram.T, lower=1, overwrite_a=1, clean=0)
        if info == 0 and np.isfinite(np.diag(factor)).all():
            return factor, lam
        # A failed factorisation overwrote one triangle; the other is intact.
        gram[...] = np.tril(gram) + np.tril(gram, -1).T
        lam = max(lam * 100, floor)
    raise np.linalg.LinAlgError(  # pragma: no cover - lam dominates by then
        "The least-squares system of the support-vector refit could not be "
        "factorised; its Gram matrix is not finite."
    )


def cholesky_solve(factor, rhs):
    """Solve ``L L^T x = rhs`` for a lower Cholesky factor ``L``."""
    return sl.cho_solve((factor, True), rhs, check_finite=False)


def ridge_solve(gram, rhs, lam):
    """Solve ``(gram + lam I) w = rhs`` (symmetric ``gram``, overwritten)."""
    factor, _ = ridge_cholesky(gram, lam)
    return cholesky_solve(factor, rhs)


# -- kernel statistics over the fitting samples --------------------------------


def criterion_norms(criterion, kernel, X, n_sv, sample_weight):
    """The ``kernel_norms`` a criterion is given: ones for ``"dual_coef"``.

    ``"dual_coef"`` ignores them: it spares the pass over the samples.
    """
    if criterion == "dual_coef":
        return np.ones(n_sv)
    return kernel_norms(kernel, X, n_sv, sample_weight)


def kernel_norms(kernel, X, n_sv, sample_weight):
    """Weighted root mean square of ``K(x, v)`` over the samples ``X``, per vector."""
    sq_sums = np.zeros(n_sv)
    batch = max(1, _CHUNK_ENTRIES // max(n_sv, 1))
    for rows in gen_batches(kernel.n_samples(X), batch):
        K = kernel.between(
            kernel.rows(X, np.arange(rows.start, rows.stop)), np.arange(n_sv)
        )
        sq_sums += sample_weight[rows] @ (K * K)
    total = max(float(sample_weight.sum()), np.finfo(np.float64).tiny)
    return np.sqrt(sq_sums / total)


def decision_values(kernel, layout, X, dual_coef, intercept):
    """A model's pair decision values at the samples ``X``, in row blocks.

    Blocks of about ``_CHUNK_ENTRIES`` kernel values: the kernel between all
    the fitting samples and all the vectors may not fit in memory.
    """
    n_samples = kernel.n_samples(X)
    all_sv = np.arange(layout.n_sv)
    values = np.empty((n_samples, len(layout.pairs)))
    for rows in gen_batches(n_samples, max(1, _CHUNK_ENTRIES // max(layout.n_sv, 1))):
        K = kernel.between(kernel.rows(X, np.arange(rows.start, rows.stop)), all_sv)
        values[rows] = pair_values(layout, K, dual_coef, intercept)
    return values


class PairEquations:
    """Normal equations of every pair's least-squares match on the samples.

    For pair ``p``, ``lhs[p]`` and ``rhs[p]`` are the weighted normal
    equations of ``[1, K(x, s)] -> f_p(x)`` over the pair's fitting samples
    ``x``, for the pair's vectors ``s = columns[p]`` among ``vectors`` (in
    vector order) and the intercept first. A principal block of them is the
    system of a subset of those vectors. ``lhs[p]`` is None for a pair
    without any fitting sample; ``n_rows[p]`` counts the pair's fitting
    samples of positive weight. ``diagonal[p]`` holds the diagonal entries of
    *all* the pair's vectors, whatever ``vectors``: the ridge is relative to
    their mean, so that it does not depend on the vectors covered.

    Parameters
    ----------
    vectors : list of ndarray, default=None
        Per class, the sorted vector numbers to cover (all by default).
    """

    def __init__(
        self,
        layout,
        kernel,
        X_fit,
        w_fit,
        group_fit,
        dual_coef,
        intercept,
        vectors=None,
    ):
        every = [layout.block(c) for c in range(layout.n_groups)]
        vectors = every if vectors is None else vectors
        n_pairs = len(layout.pairs)
        self.columns = [layout.pair_columns(vectors, p) for p in range(n_pairs)]
        # The diagonal entries of the vectors not covered are summed on the
        # side (those of the covered ones are in ``lhs``).
        others = [
            np.setdiff1d(layout.pair_columns(every, p), self.columns[p])
            for p in range(n_pairs)
        ]
        other_diagonal = [np.zeros(len(o)) for o in others]
        lhs = [np.zeros((len(c) + 1, len(c) + 1)) for c in self.columns]
        rhs = [np.zeros(len(c) + 1) for c in self.columns]
        self.n_rows = np.zeros(n_pairs, dtype=np.intp)
        batch = max(1, _CHUNK_ENTRIES // max(layout.n_sv, 1))
        for rows in gen_batches(kernel.n_samples(X_fit), batch):
            K = kernel.between(
                kernel.rows(X_fit, np.arange(rows.start, rows.stop)),
                np.arange(layout.n_sv),
            )
            values = pair_values(layout, K, dual_coef, intercept)
            weight = w_fit[rows]
            for p, (i, j) in enumerate(layout.pairs):
                sel = slice(None)
                if layout.is_classifier:
                    in_pair = (group_fit[rows] == i) | (group_fit[rows] == j)
                    if not in_pair.any():
                        continue
                    if not in_pair.all():
                        sel = np.flatnonzero(in_pair)
                K_pair = K[sel]
                self.n_rows[p] += np.count_nonzero(weight[sel] > 0)
                _add_rows(
                    lhs[p],
                    rhs[p],
                    K_pair[:, _as_slice(self.columns[p])],
                    weight[sel],
                    values[sel, p],
                )
                if len(others[p]):
                    other_diagonal[p] += weight[sel] @ np.square(K_pair[:, others[p]])
        self.diagonal = [
            np.concatenate([np.diag(a)[1:], o])
            for a, o in zip(lhs, other_diagonal, strict=True)
        ]
        self.lhs = [a if a[0, 0] > 0 else None for a in lhs]
        self.rhs = rhs

    def ridge(self, p, relative):
        """``relative`` times the mean diagonal over all of pair ``p``'s vectors."""
        return relative * ridge_scale(self.diagonal[p])

    def block(self, p, vectors):
        """The system of pair ``p`` for ``vectors`` (intercept first): a copy."""
        position = np.searchsorted(self.columns[p], vectors)
        if not np.array_equal(self.columns[p][position], vectors):
            raise ValueError("vectors outside those the equations cover.")
        index = np.concatenate([[0], position + 1])
        lhs = np.ascontiguousarray(self.lhs[p][np.ix_(index, index)])
        return lhs, self.rhs[p][index]


# -- the elimination order ------------------------------------------------------


class EliminationPath:
    """Backward elimination of support vectors, re-solved on the samples.

    Parameters
    ----------
    layout : SVLayout
    equations_for : callable
        ``equations_for(vectors)`` returns the :class:`PairEquations` of the
        per-class vector numbers ``vectors``. :meth:`orders` calls it once,
        after the first round (which ranks the original coefficients), for
        the vectors the later rounds and the refit can need.
    gram_sv : ndarray of shape (n_sv, n_sv)
        Kernel between all support vectors.
    dual_coef : ndarray of shape (n_rows, n_sv)
        The original coefficients.
    criterion : str or callable
    kernel_norms : ndarray of shape (n_sv,)
    ridge : float
        Ridge of the RKHS solves (the prior of the refit, and the
        elimination of a pair without fitting samples).
    tiebreak : ndarray of shape (n_sv,)
        Random keys that break ties between equal scores.
    psd : bool, default=True
        Whether the kernel is positive semi-definite. If not (sigmoid,
        callable, precomputed), the ridge of each pair is first raised until
        all of the pair's vectors factorise: by eigenvalue interlacing, every
        subset then factorises with that same ridge, whichever subsets a
        search or a single rate uses.
    """

    def __init__(
        self,
        layout,
        equations_for,
        gram_sv,
        dual_coef,
        criterion,
        kernel_norms,
        ridge,
        tiebreak,
        psd=True,
    ):
        self.layout = layout
        self.equations_for = equations_for
        self.equations = None
        self.gram_sv = gram_sv
        self.dual_coef = dual_coef
        self.criterion = criterion
        self.kernel_norms = kernel_norms
        self.tiebreak = tiebreak
        all_kept = [layout.block(c) for c in range(layout.n_groups)]
        # The ridge is relative to the mean kernel diagonal over *all* the
        # vectors of a pair, not only the kept ones: then it is the same for
        # every subset, which lets one factorisation serve nested subsets.
        diagonal = np.diag(gram_sv)
        self.lam = []
        for p in range(len(layout.pairs)):
            cols = layout.pair_columns(all_kept, p)
            lam = ridge * ridge_scale(diagonal[cols])
            if not psd:
                lam = ridge_cholesky(gram_sv[np.ix_(cols, cols)], lam)[1]
            self.lam.append(lam)
        # The right-hand side K_{k,s} alpha depends only on the kept vector k:
        # compute it once per pair for every vector of the pair.
        # Class blocks are contiguous: slices, not copies, of the Gram matrix.
        blocks = [
            slice(layout.starts[c], layout.starts[c + 1])
            for c in range(layout.n_groups)
        ]
        self.rhs = []
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
            self.rhs.append(rhs)

    def orders(self, targets, step, n_leading=None):
        """Every class's vectors, in the order they survive the elimination.

        Every round removes the lowest-scored ``step`` of each class's
        current vectors (at least one, never the last one) and re-solves the
        kept coefficients, until no class has more than ``targets[c]``
        vectors left. A class's order lists its survivors, then the removed
        vectors from the last removed to the first. Rounds treat all classes
        alike whatever their target, so the orders of a run to smaller
        targets extend those of a run to larger ones: the first ``t`` vectors
        of class ``c`` are the ones kept with a target of ``t``, for any
        ``t >= targets[c]``.

        The least-squares equations (:attr:`equations`) cover the vectors
        kept after the first round and, with ``n_leading`` (vectors per
        class), the first ``n_leading[c]`` of every class's order; without
        it, all the vectors.

        Returns
        -------
        orders : list of ndarray
            Per class, its vector numbers in survival order.
        """
        layout = self.layout
        kept = [layout.block(c) for c in range(layout.n_groups)]
        removed = [[] for _ in kept]
        coef = self.dual_coef
        largest = max(len(layout.pair_columns(kept, p)) for p in range(len(self.lam)))
        with blas_threads_for(largest):
            while True:
                flat = np.concatenate(kept)
                scores = np.zeros(layout.n_sv)
                scores[flat] = score_vectors(
                    self.criterion, coef[:, flat], self.kernel_norms[flat]
                )
                for c, index in enumerate(kept):
                    n_drop = n_removed_per_round(len(index), step)
                    order = np.lexsort((self.tiebreak[index], scores[index]))
                    removed[c].append(index[order[:n_drop]])
                    kept[c] = np.sort(index[order[n_drop:]])
                if self.equations is None:
                    covered = _covered_vectors(layout, kept, removed, n_leading)
                    self.equations = self.equations_for(covered)
                if all(len(k) <= t for k, t in zip(kept, targets, strict=True)):
                    break
                coef = self.solve(kept)
        return [
            np.concatenate([k] + [r[::-1] for r in reversed(rem)])
            for k, rem in zip(kept, removed, strict=True)
        ]

    def solve(self, kept):
        """Coefficients of the vectors ``kept`` matching the pairs on the samples.

        A pair without fitting samples takes its RKHS-optimal coefficients.
        """
        layout = self.layout
        equations = self.equations
        coef = np.zeros_like(self.dual_coef)
        for p in range(len(layout.pairs)):
            cols = layout.pair_columns(kept, p)
            if equations.lhs[p] is None:
                w = self.rkhs_solve(cols, p)
            else:
                lhs, rhs = equations.block(p, cols)
                lam = equations.ridge(p, ELIMINATION_RIDGE)
                factor, _ = ridge_cholesky(lhs, lam, n_free=1)
                w = cholesky_solve(factor, rhs)[1:]
            layout.set_pair_coef(coef, kept, p, w)
        return coef

    def rkhs_solve(self, cols, p):
        """Coefficients of pair ``p``'s vectors ``cols`` closest in the RKHS norm."""
        gram = self.gram_sv[np.ix_(cols, cols)]
        return ridge_solve(gram, self.rhs[p][cols], self.lam[p])


def _covered_vectors(layout, kept, removed, n_leading):
    """The vectors the equations must cover after the first round.

    The later rounds use the vectors kept, and a refit of the first
    ``n_leading[c]`` vectors of each order also the best-ranked of those the
    first round removed (an order lists them last removed first); without
    ``n_leading``, every vector.
    """
    if n_leading is None:
        return [layout.block(c) for c in range(layout.n_groups)]
    covered = []
    for c, survivors in enumerate(kept):
        first_round = removed[c][0][::-1]
        extra = first_round[: max(0, int(n_leading[c]) - len(survivors))]
        covered.append(np.sort(np.concatenate([survivors, extra])))
    return covered


def pair_order(layout, orders, p):
    """The vectors of pair ``p`` in one survival order.

    A vector at position ``q`` of its class's order (of ``n_c`` vectors) is
    kept at prune rate ``r`` if ``q < ceil((1 - r) n_c)``, i.e. if
    ``q / n_c < 1 - r``: sorted by ``q / n_c``, the vectors kept at any rate
    are a leading block of the pair's order.
    """
    i, j = layout.pairs[p]
    if i == j:
        return orders[i]
    keys = np.concatenate([np.arange(len(orders[c])) / len(orders[c]) for c in (i, j)])
    return np.concatenate([orders[i], orders[j]])[np.argsort(keys, kind="stable")]


# -- the refit on data ------------------------------------------------------------


class NestedRefit:
    """Reduced models for every prefix of the survival orders, factorised once.

    For every one-vs-one pair (all of it, or its first ``n_leading``
    vectors), up to two factorisations are computed once:

    - the RKHS solve of :class:`EliminationPath`, whose solution is the prior
      the refit is pulled towards, for a pair with fewer than
      ``PRIOR_MIN_SAMPLES_PER_VECTOR`` fitting samples per vector (the others
      are pulled towards zero);
    - the weighted least-squares fit of the coefficients and the intercept
      that makes the reduced decision function match the original on the
      fitting samples (Burges & Schoelkopf's reduced-set idea): per pair, on
      the samples of its two classes, as libsvm trained it; regressors and
      one-class models use every sample.

    Their variables are ordered as the pair's survival order (the intercept
    first), and the ridge is the same for every subset. The system of the
    vectors kept at a prune rate is then a leading block, and the Cholesky
    factor of a leading block is the leading block of the Cholesky factor:
    a model at any rate costs one or two triangular solves per pair. Fitted with
    all the vectors, this is what a search over ``prune_rate`` caches.

    Parameters
    ----------
    path : EliminationPath
        With the pairs' equations on the fitting samples.
    orders : list of ndarray
        Per class, its vectors in survival order (:meth:`EliminationPath.orders`).
    intercept : ndarray of shape (n_pairs,)
        The original intercepts.
    ridge : float
    n_leading : ndarray of shape (n_groups,), default=None
        Vectors per class the factorisations cover (all by default): a
        single rate needs only its kept vectors.
    """

    def __init__(self, path, orders, intercept, ridge, n_leading=None):
        layout = path.layout
        self.layout = layout
        self.orders = orders
        self.intercept = np.asarray(intercept, dtype=np.float64)
        n_pairs = len(layout.pairs)
        n_leading = layout.n_support if n_leading is None else n_leading
        # Per pair, the vectors the factorisations cover, in survival order.
        self.columns = [
            pair_order(layout, orders, p)[: self._pair_size(n_leading, p)]
            for p in range(n_pairs)
        ]
        with blas_threads_for(max(len(c) for c in self.columns)):
            self._factor_priors(path)
            self._factor_refits(path.equations, ridge)

    def _pair_size(self, counts, p):
        i, j = self.layout.pairs[p]
        return int(counts[i] if i == j else counts[i] + counts[j])

    def _factor_priors(self, path):
        """Factorise the RKHS solve of every pair that needs it as a prior.

        A pair with ``PRIOR_MIN_SAMPLES_PER_VECTOR`` fitting samples per
        vector has no prior (None): its refit is pulled towards zero.
        """
        self.prior_factors, self.prior_rhs = [], []
        equations = path.equations
        for p, cols in enumerate(self.columns):
            n_vectors = len(equations.diagonal[p])
            if (
                equations.lhs[p] is not None
                and equations.n_rows[p] >= PRIOR_MIN_SAMPLES_PER_VECTOR * n_vectors
            ):
                self.prior_factors.append(None)
                self.prior_rhs.append(None)
                continue
            gram = path.gram_sv[np.ix_(cols, cols)]
            self.prior_factors.append(ridge_cholesky(gram, path.lam[p])[0])
            self.prior_rhs.append(path.rhs[p][cols])

    def _factor_refits(self, equations, ridge):
        """Factorise every pair's equations, reordered as its survival order.

        The ridge is relative to the diagonal over *all* the pair's vectors,
        so that it is the same for every subset.
        """
        self.refit_factors, self.refit_rhs, self.refit_lam = [], [], []
        for p, cols in enumerate(self.columns):
            if equations.lhs[p] is None:
                # No fitting sample of the pair's classes: keep the prior.
                self.refit_factors.append(None)
                self.refit_lam.append(0.0)
                self.refit_rhs.append(None)
                continue
            lhs, rhs = equations.block(p, cols)
            factor, lam = ridge_cholesky(lhs, equations.ridge(p, ridge), n_free=1)
            self.refit_factors.append(factor)
            self.refit_lam.append(lam)
            self.refit_rhs.append(rhs)

    def at(self, targets):
        """The reduced model keeping ``targets[c]`` vectors of every class.

        Returns
        -------
        kept : list of ndarray
            Per class, the kept vector numbers (sorted).
        dual_coef : ndarray of shape (n_rows, n_kept)
            Coefficients of the kept vectors, in vector-number order.
        intercept : ndarray of shape (n_pairs,)
        """
        layout = self.layout
        pairs = zip(self.orders, targets, strict=True)
        kept = [np.sort(order[:t]) for order, t in pairs]
        coef = np.zeros((layout.n_rows, layout.n_sv))
        intercept = self.intercept.copy()
        for p in range(len(layout.pairs)):
            positions = self._positions(kept, p)
            vectors = self.columns[p][positions]
            prior = None
            if self.prior_factors[p] is not None:
                prior = _solve_at(self.prior_factors[p], self.prior_rhs[p], positions)
            factor = self.refit_factors[p]
            if factor is None:
                solution = prior
            else:
                # The intercept is variable 0, the vectors follow.
                positions = np.concatenate([[0], positions + 1])
                b = self.refit_rhs[p].copy()
                if prior is not None:
                    b[positions[1:]] += self.refit_lam[p] * prior
                solution = _solve_at(factor, b, positions)
                intercept[p] = solution[0]
                solution = solution[1:]
            _set_pair_coef_by_vector(layout, coef, p, vectors, solution)
        flat = np.concatenate(kept)
        return kept, coef[:, flat], intercept

    def _positions(self, kept, p):
        """Positions of pair ``p``'s kept vectors in its factorised order."""
        position = np.full(self.layout.n_sv, -1)
        position[self.columns[p]] = np.arange(len(self.columns[p]))
        positions = np.sort(position[self.layout.pair_columns(kept, p)])
        if positions[0] < 0:
            raise ValueError("targets exceed the vectors this refit was built for.")
        return positions


def _solve_at(factor, rhs, positions):
    """Solve the factorised system restricted to the variables ``positions``.

    ``factor`` is the lower Cholesky factor ``L`` of a matrix ``M``. A leading
    block of ``M`` is factorised by the leading block of ``L``; any other
    principal sub-matrix is rebuilt as ``L[S] L[S]^T`` and factorised anew.
    """
    size = len(positions)
    if positions[-1] == size - 1:
        return cholesky_solve(factor[:size, :size], rhs[:size])
    rows = np.tril(factor[: positions[-1] + 1, : positions[-1] + 1])[positions]
    factor = ridge_cholesky(np.ascontiguousarray(rows @ rows.T), 0.0)[0]
    return cholesky_solve(factor, rhs[positions])


def _set_pair_coef_by_vector(layout, coef, p, vectors, values):
    """Write pair ``p``'s coefficients of ``vectors`` into ``coef`` (n_rows, n_sv)."""
    i, j = layout.pairs[p]
    if i == j:
        coef[0, vectors] = values
        return
    in_i = layout.group_of()[vectors] == i
    coef[j - 1, vectors[in_i]] = values[in_i]
    coef[i, vectors[~in_i]] = values[~in_i]


def _as_slice(index):
    """``index`` as a slice if it is a contiguous range: a view, not a copy."""
    if len(index) and index[-1] - index[0] == len(index) - 1:
        # Sorted and distinct (vector numbers), so contiguous.
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def _add_rows(lhs, rhs, A, weight, target):
    """Add weighted rows ``[1, A] -> target`` to the normal equations."""
    # B.T @ B with B = sqrt(w) A lets NumPy use a symmetric rank-k update
    # (half the flops of a general product). Unit weights (the usual case)
    # spare a copy of the block.
    B = A if np.all(weight == 1.0) else A * np.sqrt(weight)[:, None]
    lhs[1:, 1:] += B.T @ B
    Aw = A.T @ weight
    lhs[0, 1:] += Aw
    lhs[1:, 0] += Aw
    lhs[0, 0] += weight.sum()
    rhs[1:] += A.T @ (weight * target)
    rhs[0] += weight @ target
