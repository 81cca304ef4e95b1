"""Weakest-link (minimal cost-complexity) pruning computed from a fitted tree.

scikit-learn's ``cost_complexity_pruning_path`` refits the estimator and its
pruning loop rescans every node at every step (quadratic in the node count).
Here the whole path is computed in one bottom-up pass over the fitted node
arrays, for any node risk: the training impurity (cost-complexity pruning) or
the error on a pruning set (reduced-error pruning).

For a node ``t`` let ``C_t(alpha)`` be the cost ``risk + alpha * n_leaves`` of
the best pruned subtree rooted at ``t``. It is concave and piecewise linear in
``alpha``. ``t`` is collapsed into a leaf exactly when its leaf cost
``risk[t] + alpha`` is at most the cost of its children, which happens for all
``alpha`` above a single crossing point ``collapse_alpha[t]``. A node is an
internal node of the optimal subtree ``T_alpha`` iff no ancestor (nor itself)
collapses at ``alpha``, i.e. iff ``alpha < prune_threshold[t]`` where
``prune_threshold[t]`` is the smallest collapse alpha on the path from the root
to ``t``. This is the characterisation of Breiman et al. (1984, ch. 10); it is
the subtree scikit-learn's weakest-link loop returns for ``ccp_alpha``.

The children cost is kept as a max-heap of breakpoints (alpha, slope drop);
heaps are merged small-into-large, so the pass is ``O(n log^2 n)``.
"""

import heapq

import numpy as np
from sklearn.tree._tree import TREE_LEAF


def collapse_alphas(children_left, children_right, risk):
    """Alpha at which each internal node's own subtree collapses into it.

    Parameters
    ----------
    children_left, children_right : ndarray of shape (n_nodes,)
        Child indices as in ``tree_.children_left``; leaves hold ``TREE_LEAF``.
        Children must have larger indices than their parent, as in every tree
        built by scikit-learn.
    risk : ndarray of shape (n_nodes,)
        The risk of each node when it is a leaf (e.g. weighted impurity).

    Returns
    -------
    collapse_alpha : ndarray of shape (n_nodes,)
        The crossing point for internal nodes; ``-inf`` for leaves.
    """
    n_nodes = len(risk)
    collapse_alpha = np.full(n_nodes, -np.inf)
    # Cost of the best subtree for alpha above every stored breakpoint is
    # ``intercept + slope * alpha``; each breakpoint lowers the slope below it.
    intercept = np.asarray(risk, dtype=np.float64).tolist()
    slope = [1] * n_nodes
    heaps = [None] * n_nodes
    left_list = children_left.tolist()
    right_list = children_right.tolist()
    for node in range(n_nodes - 1, -1, -1):
        left, right = left_list[node], right_list[node]
        if left == TREE_LEAF:
            heaps[node] = []
            continue
        heap = _merge_heaps(heaps[left], heaps[right])
        heaps[left] = heaps[right] = None
        c = intercept[left] + intercept[right]
        s = slope[left] + slope[right]
        node_risk = intercept[node]
        while True:
            alpha = (node_risk - c) / (s - 1)
            if heap and alpha < -heap[0][0]:
                neg_breakpoint, drop = heapq.heappop(heap)
                # Step to the segment below the breakpoint, keeping C continuous.
                s += drop
                c += drop * neg_breakpoint
                continue
            break
        heapq.heappush(heap, (-alpha, s - 1))
        heaps[node] = heap
        slope[node] = 1
        collapse_alpha[node] = alpha
    return collapse_alpha


def _merge_heaps(a, b):
    if len(a) < len(b):
        a, b = b, a
    for item in b:
        heapq.heappush(a, item)
    return a


def prune_thresholds(children_left, children_right, collapse_alpha):
    """Smallest collapse alpha from the root down to each node.

    A node is internal in the optimal subtree ``T_alpha`` iff
    ``alpha < prune_threshold``; leaves get ``-inf`` (never internal).
    """
    threshold = collapse_alpha.copy()
    internal = np.flatnonzero(children_left != TREE_LEAF)
    threshold_list = threshold.tolist()
    left_list = children_left.tolist()
    right_list = children_right.tolist()
    # Parents precede their children, so one increasing pass propagates minima.
    for node in internal.tolist():
        parent_threshold = threshold_list[node]
        for child in (left_list[node], right_list[node]):
            if (
                left_list[child] != TREE_LEAF
                and threshold_list[child] > parent_threshold
            ):
                threshold_list[child] = parent_threshold
    threshold[:] = threshold_list
    threshold[children_left == TREE_LEAF] = -np.inf
    return threshold


def _last_of_groups(ordered, tol):
    """Index of the last value of each run of sorted values closer than ``tol``."""
    return np.flatnonzero(np.append(np.diff(ordered) > tol, True))


def group_within_tol(values, tol):
    """Map each value to the largest of its group of values closer than ``tol``.

    Sorted values whose successive gaps are at most ``tol`` form one group:
    floating-point noise must not split a tie.
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    last_of_group = _last_of_groups(ordered, tol)
    group_of = np.searchsorted(last_of_group, np.arange(len(values)))
    grouped = np.empty_like(ordered)
    grouped[order] = ordered[last_of_group[group_of]]
    return grouped


def tie_broken_ranks(children_left, primary, secondary, tol):
    """Collapse order by ``primary`` alpha, ties broken by ``secondary`` alpha.

    Returns, for each node, the dense rank of ``(primary, secondary)`` among
    internal nodes (``-inf`` for leaves), and the largest rank whose primary
    alpha is at most ``tol`` (-1 if none): ranks can replace alphas in
    :class:`PruningPath`.
    """
    internal = np.flatnonzero(children_left != TREE_LEAF)
    ranks = np.full(len(children_left), -np.inf)
    if len(internal) == 0:
        return ranks, -1
    first = group_within_tol(primary[internal], tol)
    second = secondary[internal]
    order = np.lexsort((second, first))
    first, second = first[order], second[order]
    changes = (np.diff(first) != 0) | (np.diff(second) != 0)
    dense = np.concatenate([[0], np.cumsum(changes)]).astype(np.float64)
    ranks[internal[order]] = dense
    not_positive = first <= tol
    cutoff = dense[not_positive].max() if not_positive.any() else -1
    return ranks, cutoff


class PruningPath:
    """The nested sequence of optimal subtrees of a fitted tree.

    Parameters
    ----------
    children_left, children_right : ndarray of shape (n_nodes,)
        Child indices of the fitted tree.
    thresholds : ndarray of shape (n_nodes,)
        Prune thresholds (see :func:`prune_thresholds`): a node is internal
        in the subtree at alpha iff its threshold is above alpha.
    tol : float
        Thresholds closer than ``tol`` are one step of the path:
        floating-point noise must not split a tie that scikit-learn would
        prune at once.

    Attributes
    ----------
    alphas : ndarray of shape (n_steps,)
        Increasing alphas at which the optimal subtree shrinks.
    n_leaves : ndarray of shape (n_steps,)
        Number of leaves of the optimal subtree for alpha in
        ``[alphas[i], alphas[i + 1])``.
    """

    def __init__(self, children_left, children_right, thresholds, tol):
        self.children_left = children_left
        self.children_right = children_right
        self.thresholds = thresholds
        internal = np.sort(thresholds[children_left != TREE_LEAF])
        n_internal = len(internal)
        # Steps: group sorted thresholds whose gaps are within ``tol``; each
        # group collapses together, and its alpha is the group's largest value.
        if n_internal:
            last_of_group = _last_of_groups(internal, tol)
            self.alphas = internal[last_of_group]
            self.n_leaves = n_internal - last_of_group
        else:
            self.alphas = np.empty(0)
            self.n_leaves = np.empty(0, dtype=np.intp)
        self.n_leaves_full = n_internal + 1

    @classmethod
    def from_risk(cls, children_left, children_right, risk, tol):
        """The weakest-link path for the node risk ``risk``."""
        alpha = collapse_alphas(children_left, children_right, risk)
        thresholds = prune_thresholds(children_left, children_right, alpha)
        return cls(children_left, children_right, thresholds, tol)

    def step_for_max_leaves(self, max_leaves):
        """Index of the first step with at most ``max_leaves`` leaves, or -1.

        -1 means that the unpruned tree already has at most ``max_leaves``.
        """
        if self.n_leaves_full <= max_leaves:
            return -1
        return int(np.flatnonzero(self.n_leaves <= max_leaves)[0])

    def step_for_alpha(self, alpha):
        """Index of the last step whose alpha is at most ``alpha``, or -1."""
        return int(np.searchsorted(self.alphas, alpha, side="right")) - 1

    def representative_alpha(self, step):
        """An alpha strictly inside step ``step``'s interval, far from its ends.

        scikit-learn recomputes the alphas with other rounding, so a value in
        the middle of ``[alphas[step], alphas[step + 1])`` reproduces this
        subtree with ``ccp_alpha`` where an end point might not. The geometric
        mean is rpart's choice; the arithmetic mean is used where an end is not
        positive, and beyond the last step the alpha is doubled.
        """
        if step < 0:
            return 0.0
        low = max(self.alphas[step], 0.0)
        if step + 1 < len(self.alphas):
            high = self.alphas[step + 1]
            if low > 0:
                return float(np.sqrt(low * high))
            return float(high / 2)
        return float(2 * low) if low > 0 else 1.0

    def internal_mask(self, step):
        """Which nodes stay internal in the subtree of step ``step``."""
        is_internal = self.children_left != TREE_LEAF
        if step < 0:
            return is_internal
        return is_internal & (self.thresholds > self.alphas[step])
