"""ForestPruner: select the trees of a random forest, or prune their leaves."""

import copy

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _num_samples

from ..base import BasePruner
from ..tree._prune import (
    cost_complexity_prune_to_rates,
    count_tree_params,
    prune_tree,
)
from ..utils import (
    AUTO_RATES,
    PRUNE_RATE,
    VALIDATION_FRACTION,
    VERBOSE,
    choose_candidate,
    log_step,
    n_kept,
    take_rows,
)
from ._selection import FlatOutputs, OutputLoss, forest_loss, ordered_aggregation

_BOOSTING = (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
# Shared leaf-pruning rates tried by ``prune_rate="auto"`` with
# ``method="cost_complexity"``.
_AUTO_LEAF_RATES = (0.0, *AUTO_RATES)


class ForestPruner(BasePruner):
    """Prune a random forest: keep its best trees, or prune every tree.

    The wrapped forest is fitted (or taken as it is from a
    :class:`~sklearn.frozen.FrozenEstimator`), pruned, and exposed as
    ``estimator_``: a plain forest of the same class holding the kept, pruned
    trees, which predicts, pickles and exports with no skprune code.

    The pruning decisions are taken on the **selection set**: with a fitted
    forest of bootstrap trees, each tree's out-of-bag rows (no data is held
    out); without bootstrap (``ExtraTrees*`` by default), a held-out
    ``validation_fraction`` of the data, the forest being grown on the rest;
    with a ``FrozenEstimator``, all of the ``X`` passed to ``fit``.

    Parameters
    ----------
    estimator : RandomForestClassifier, RandomForestRegressor, \
            ExtraTreesClassifier or ExtraTreesRegressor
        The forest to prune; unfitted, or fitted and wrapped in
        :class:`~sklearn.frozen.FrozenEstimator`. It is never modified.
        Gradient-boosted ensembles are refused (see Notes).

    method : {"select", "cost_complexity", "reduced_error"}, default="select"
        - ``"select"``: ensemble pruning. The trees are ordered by ordered
          aggregation (Martínez-Muñoz, Hernández-Lobato & Suárez, 2009):
          starting from none, the tree whose addition gives the sub-forest
          the least selection-set squared error of its averaged
          probabilities (predictions, for regressors) is added next (ties
          broken by the error count); the first ``1 - prune_rate`` of the
          order are kept. ``prune_rate`` is the
          fraction of **trees** removed.
        - ``"cost_complexity"``: every tree pruned by weakest-link pruning
          of its own training impurities to ``1 - prune_rate`` of its
          leaves.
        - ``"reduced_error"``: every tree pruned by reduced-error pruning,
          on its own out-of-bag rows (or the held-out rows / ``X``); a tree
          without any such row is pruned by cost-complexity instead (kept
          whole with ``"auto"``). ``prune_rate`` is the fraction of each
          tree's **leaves** removed.

    prune_rate : float in [0, 1) or "auto", default="auto"
        Fraction of the units of ``method`` to remove. ``"auto"``:
        ``"select"`` keeps the prefix of the order with the least
        selection-set error (ties: the least squared error of the averaged
        outputs, then the fewest trees); ``"cost_complexity"`` takes the rate among
        0, 0.1, ..., 0.9, 0.95 (the same for every tree) with the least
        selection-set error of the forest; ``"reduced_error"`` applies
        Quinlan's rule to every tree.

    tree_method : {"cost_complexity", "reduced_error"} or None, default=None
        With ``method="select"``, also prune the leaves of the kept trees by
        this method, at ``tree_prune_rate``.

    tree_prune_rate : float in [0, 1) or "auto", default=0.5
        Fraction of the leaves of every kept tree removed by
        ``tree_method`` (``"auto"`` as for ``prune_rate``).

    validation_fraction : float in (0, 1), default=0.25
        Share of the samples held out as the selection set when the trees
        are not bootstrapped (so have no out-of-bag rows).

    random_state : int, RandomState instance or None, default=None
        Controls the held-out split. The forest's own randomness is its
        ``random_state``. Set it when using ``memory`` with a forest without
        bootstrap: with None, every fit holds out other rows and so grows
        another forest.

    memory : str, object with the joblib.Memory interface or None, default=None
        Cache of the fitted unpruned forest, keyed on its parameters and its
        training data: a search over ``prune_rate`` grows the forest once per
        fold.

    verbose : int, default=0
        Progress messages: at 1 or more, a line for the fitted forest and one
        for its pruning, with sizes and the time taken.

    Attributes
    ----------
    estimator_ : estimator
        The pruned forest, an instance of the wrapped estimator's class; its
        ``n_estimators`` is the number of kept trees. Out-of-bag attributes
        (``oob_score_``, ...) describe the unpruned forest and are removed.

    n_units_before_, n_units_after_ : int
        Trees (``method="select"``) or leaves over all trees (the other
        methods) before and after pruning.

    n_trees_before_, n_trees_after_ : int
        Number of trees before and after pruning.

    n_leaves_before_, n_leaves_after_ : int
        Leaves over all trees before and after pruning.

    n_nodes_before_, n_nodes_after_ : int
        Nodes over all trees before and after pruning.

    n_params_before_, n_params_after_ : int
        Stored parameters over all trees: a feature and a threshold per
        internal node, a value per output and class per leaf.

    prune_rate_ : float
        Fraction of the units actually removed.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Class labels (classifiers only).

    See Also
    --------
    skprune.tree.TreePruner : Prune a single decision tree.

    Notes
    -----
    Gradient boosting (``GradientBoosting*``, ``HistGradientBoosting*``) is
    refused: each tree there is fitted to the residuals of the trees before
    it, so removing or shrinking one tree shifts the target of all the later
    ones, and no tree is redundant the way an averaged tree is. Tune
    ``n_estimators`` (or use early stopping) and ``max_leaf_nodes`` instead.

    References
    ----------
    .. [1] G. Martínez-Muñoz, D. Hernández-Lobato and A. Suárez, "An analysis
       of ensemble pruning techniques based on ordered aggregation", IEEE
       Transactions on Pattern Analysis and Machine Intelligence, 31(2), 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skprune.ensemble import ForestPruner
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=50, random_state=0)
    >>> pruner = ForestPruner(forest, prune_rate=0.8).fit(X, y)
    >>> pruner.n_trees_before_, pruner.n_trees_after_
    (50, 10)
    >>> pruner.estimator_
    RandomForestClassifier(n_estimators=10, random_state=0)
    """

    _supported_estimators = (
        RandomForestClassifier,
        RandomForestRegressor,
        ExtraTreesClassifier,
        ExtraTreesRegressor,
    )

    _parameter_constraints: dict = {
        **BasePruner._parameter_constraints,
        "method": [StrOptions({"select", "cost_complexity", "reduced_error"})],
        "tree_method": [StrOptions({"cost_complexity", "reduced_error"}), None],
        "tree_prune_rate": list(PRUNE_RATE),
        "validation_fraction": VALIDATION_FRACTION,
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        estimator,
        *,
        method="select",
        prune_rate="auto",
        tree_method=None,
        tree_prune_rate=0.5,
        validation_fraction=0.25,
        random_state=None,
        memory=None,
        verbose=0,
    ):
        super().__init__(
            estimator, prune_rate=prune_rate, random_state=random_state, memory=memory
        )
        self.method = method
        self.tree_method = tree_method
        self.tree_prune_rate = tree_prune_rate
        self.validation_fraction = validation_fraction
        self.verbose = verbose

    def _check_estimator(self):
        if isinstance(self._base_estimator(), _BOOSTING):
            raise TypeError(
                f"ForestPruner does not prune {type(self._base_estimator()).__name__}:"
                " each boosted tree is fitted to the residuals of the trees before"
                " it, so removing or shrinking one changes what all the later ones"
                " correct. Tune n_estimators (or early stopping) and"
                " max_leaf_nodes instead."
            )
        super()._check_estimator()

    def _fit_prune(self, X, y, sample_weight):
        name = type(self._base_estimator()).__name__
        with log_step(self, f"unpruned {name}") as line:
            forest, selection_set = self._fit_with_selection_set(X, y, sample_weight)
            line.details = (
                f"{len(forest.estimators_)} trees, {_total(forest, 'n_leaves')} leaves"
            )
        with log_step(self, f"{self.method}, prune_rate={self.prune_rate!r}") as line:
            pruned = self._prune_forest(forest, selection_set)
            line.details = (
                f"{len(pruned.estimators_)} trees, "
                f"{_total(pruned, 'n_leaves')} leaves left"
            )
        return forest, pruned

    def _prune_forest(self, forest, selection_set):
        trees = list(forest.estimators_)
        if self.method == "select":
            kept = self._select_trees(forest, selection_set)
            trees = [trees[t] for t in kept]
            selection_set = selection_set.restricted_to(kept)
            leaf_method, leaf_rate = self.tree_method, self.tree_prune_rate
        else:
            leaf_method, leaf_rate = self.method, self.prune_rate
        if leaf_method is not None:
            trees = _prune_leaves(trees, selection_set, leaf_method, leaf_rate)
        else:
            trees = copy.deepcopy(trees)
        return _with_trees(forest, trees)

    def _fit_with_selection_set(self, X, y, sample_weight):
        """The fitted forest and the rows each tree is judged on."""
        if self._is_frozen():
            forest = self._fit_base(X, y, sample_weight)
            return forest, SelectionSet.on_all_rows(forest, X, y, sample_weight)
        if self._base_estimator().bootstrap:
            forest = self._fit_base(X, y, sample_weight)
            return forest, SelectionSet.out_of_bag(forest, X, y, sample_weight)
        train, held_out = self._holdout_indices(
            y,
            _num_samples(y),
            purpose="A forest without bootstrap (as a selection set)",
        )
        X_train, X_held, y_train, y_held, w_train, w_held = take_rows(
            (X, y, sample_weight), train, held_out
        )
        forest = self._fit_base(X_train, y_train, w_train)
        return forest, SelectionSet.on_all_rows(forest, X_held, y_held, w_held)

    def _select_trees(self, forest, selection_set):
        """Indices of the kept trees, by ordered aggregation."""
        n_trees = len(forest.estimators_)
        if self.prune_rate == "auto":
            n_steps = n_trees
        else:
            n_steps = n_kept(n_trees, self.prune_rate)
        order, losses = ordered_aggregation(
            selection_set.flat_outputs(), selection_set.loss, n_steps
        )
        n_trees_kept = n_steps
        if self.prune_rate == "auto":
            # The least error; among equal errors, the least squared error
            # of the averaged probabilities (more trees, smoother averages).
            n_trees_kept = int(np.lexsort((losses[:, 1], losses[:, 0]))[0]) + 1
        return np.sort(order[:n_trees_kept])

    def _set_fitted_attributes(self, unpruned, pruned):
        super()._set_fitted_attributes(unpruned, pruned)
        for when, forest in (("before", unpruned), ("after", pruned)):
            setattr(self, f"n_trees_{when}_", len(forest.estimators_))
            setattr(self, f"n_leaves_{when}_", _total(forest, "n_leaves"))
            setattr(self, f"n_nodes_{when}_", _total(forest, "node_count"))

    def _count_units(self, estimator):
        if self.method == "select":
            return len(estimator.estimators_)
        return _total(estimator, "n_leaves")

    def _count_params(self, estimator):
        return sum(count_tree_params(tree) for tree in estimator.estimators_)


def _prune_leaves(trees, selection_set, method, rate):
    """Every tree pruned by ``method``; "auto" as documented in ForestPruner."""
    if method == "reduced_error":
        return [
            _reduced_error_prune(tree, rate, selection_set.rows_of(t))
            for t, tree in enumerate(trees)
        ]
    if rate != "auto":
        return [prune_tree(tree, method, rate) for tree in trees]
    # One weakest-link path per tree, then the forest at every shared rate.
    per_tree = [cost_complexity_prune_to_rates(t, _AUTO_LEAF_RATES) for t in trees]

    def evaluate(k):
        pruned = [rates[k] for rates in per_tree]
        return selection_set.forest_loss(pruned), pruned

    # Every rate costs one pass of the selection set, so all are compared;
    # ties go to the larger rate: the smaller forest.
    _, best = choose_candidate(range(len(_AUTO_LEAF_RATES)), evaluate, rule="least")
    return best


def _reduced_error_prune(tree, rate, pruning_set):
    """Reduced-error pruning of one tree on its own pruning set.

    A tree that no row may judge (all rows in its bootstrap sample) gives
    reduced-error pruning nothing to compare: it is pruned by cost-complexity
    to the same rate, or, with "auto", kept whole.
    """
    if len(pruning_set[1]):
        return prune_tree(tree, "reduced_error", rate, *pruning_set)
    if rate == "auto":
        return copy.deepcopy(tree)
    return prune_tree(tree, "cost_complexity", rate)


def _total(forest, attribute):
    return int(sum(getattr(tree.tree_, attribute) for tree in forest.estimators_))


def _with_trees(forest, trees):
    """A deep copy of ``forest`` holding ``trees`` (not copied again)."""
    pruned = copy.deepcopy(forest, memo={id(forest.estimators_): list(trees)})
    pruned.n_estimators = len(trees)
    # Out-of-bag estimates describe the unpruned forest.
    for name in ("oob_score_", "oob_decision_function_", "oob_prediction_"):
        pruned.__dict__.pop(name, None)
    return pruned


class SelectionSet:
    """The rows each tree of a forest is judged on, with their targets.

    ``mask[t, i]`` says whether row ``i`` may judge tree ``t`` (out-of-bag
    rows; every row of a held-out set).
    """

    def __init__(self, forest, X, y, sample_weight, mask):
        self.forest = forest
        # The forest's own conversion (float32, CSR, its NaN policy and
        # feature checks), so that the trees can skip theirs.
        self.X = forest._validate_X_predict(X)
        self.y = y
        self.sample_weight = sample_weight
        self.mask = mask
        self.loss = OutputLoss(forest, y, sample_weight)

    @classmethod
    def on_all_rows(cls, forest, X, y, sample_weight):
        mask = np.ones((len(forest.estimators_), _num_samples(X)), dtype=bool)
        return cls(forest, X, y, sample_weight, mask)

    @classmethod
    def out_of_bag(cls, forest, X, y, sample_weight):
        n_samples = _num_samples(X)
        mask = np.ones((len(forest.estimators_), n_samples), dtype=bool)
        for t, in_bag in enumerate(forest.estimators_samples_):
            mask[t, in_bag] = False
        return cls(forest, X, y, sample_weight, mask)

    def restricted_to(self, trees):
        """The same rows for the trees of index ``trees`` only."""
        subset = copy.copy(self)
        subset.mask = self.mask[trees]
        return subset

    def flat_outputs(self, trees=None):
        """Outputs of ``trees`` (default: the forest's) on their rows."""
        trees = self.forest.estimators_ if trees is None else trees
        return FlatOutputs(trees, self.X, self.mask, self.loss)

    def forest_loss(self, trees):
        """Selection loss of the forest of ``trees`` (per-row averages)."""
        return forest_loss(self.flat_outputs(trees), self.loss)

    def rows_of(self, tree_index):
        """The pruning set ``(X, y, sample_weight)`` of one tree.

        ``y`` is encoded as the trees' own classes (class indices).
        """
        rows = np.flatnonzero(self.mask[tree_index])
        weight = None if self.sample_weight is None else self.loss.weight[rows]
        return self.X[rows], self.loss.tree_targets[rows], weight
