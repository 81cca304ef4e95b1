"""TreePruner: cost-complexity and reduced-error pruning of fitted trees."""

from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.tree import BaseDecisionTree
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _num_samples

from ..base import BasePruner
from ..utils import (
    VALIDATION_FRACTION,
    VERBOSE,
    cache_reusable,
    check_cv_splits,
    log_step,
    take_rows,
)
from ._node_scores import check_node_scores, node_score_path
from ._node_stats import (
    add_subtree_losses,
    backfit_tree,
    check_backfit_supported,
    mean_and_std_error,
)
from ._prune import (
    cost_complexity_path,
    count_tree_params,
    max_leaves,
    prune_to_step,
    prune_tree,
    training_risk,
)
from ._simplify import simplify as simplify_tree


class TreePruner(BasePruner):
    """Prune a decision tree by cost-complexity or reduced-error pruning.

    The wrapped tree is fitted (or taken as it is from a
    :class:`~sklearn.frozen.FrozenEstimator`), pruned, and exposed as
    ``estimator_``: a plain scikit-learn tree whose ``tree_`` holds only the
    kept nodes, so that it predicts, pickles and exports with no skprune code.

    ``prune_rate`` is the fraction of the tree's leaves that is removed: the
    pruned tree is the largest subtree on the method's pruning path with at
    most ``ceil((1 - prune_rate) * n_leaves)`` leaves. Whole steps of the path
    are taken and the leaf count is rounded up, so the rate achieved
    (``prune_rate_``) can exceed the one asked for, or fall short of it by less
    than one leaf; the size never grows with ``prune_rate``.

    Parameters
    ----------
    estimator : DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier \
            or ExtraTreeRegressor
        The tree to prune; unfitted, or fitted and wrapped in
        :class:`~sklearn.frozen.FrozenEstimator`. It is never modified.

    method : {"cost_complexity", "reduced_error"} or callable, \
            default="cost_complexity"
        - ``"cost_complexity"``: minimal cost-complexity (weakest-link)
          pruning (Breiman et al., 1984) of a tree grown on all of ``X``. The
          path is computed from the fitted tree, without the refit of
          ``cost_complexity_pruning_path``; ``ccp_alpha_`` reproduces the
          pruned tree with the estimator's own ``ccp_alpha``.
        - ``"reduced_error"``: reduced-error pruning (Quinlan, 1987). The tree
          is grown on ``1 - validation_fraction`` of the data; the rest is the
          pruning set. Collapsing a subtree is ranked by its harm, the
          increase of the pruning-set error (misclassifications or squared
          error) per leaf removed.
        - a callable ``method(estimator, X, y, sample_weight)``: your own
          criterion. It receives the unpruned tree (grown on all of ``X``,
          or the frozen one) and the data passed to ``fit``, and returns one
          score per node (an array of shape ``(estimator.tree_.node_count,)``;
          leaves' scores are ignored). The internal nodes with the lowest
          scores are collapsed first, a node no later than its lowest-scored
          ancestor; ties are ordered by the training cost-complexity alpha.
          ``prune_rate`` must be a number.

    prune_rate : float in [0, 1) or "auto", default="auto"
        Fraction of leaves to remove. ``"auto"``:

        - ``"cost_complexity"``: the alpha is chosen by internal
          cross-validation (``cv``, with shuffled folds) by the rule
          ``selection``. This fits ``cv`` extra trees.
        - ``"reduced_error"``: a stopping rule on the pruning-set errors of
          the subtrees of the reduced-error path, chosen by ``selection``.

    validation_fraction : float in (0, 1), default=0.25
        Share of the samples held out as the pruning set by
        ``method="reduced_error"``. Unused with a ``FrozenEstimator``: all of
        ``X`` is then the pruning set.

    backfit : bool, default=False
        After pruning, re-estimate the values, sample counts and impurities of
        all nodes on all the data passed to ``fit`` (Weka REPTree's
        backfitting): with ``"reduced_error"``, the pruning set then also
        informs the leaves. With a ``FrozenEstimator`` the values are
        re-estimated on the data passed to ``fit``.

    cv : int, cross-validation generator or iterable, default=5
        Cross-validation for ``prune_rate="auto"`` with
        ``method="cost_complexity"``. An int is a number of **shuffled**
        folds (:class:`~sklearn.model_selection.StratifiedKFold` for
        classifiers, :class:`~sklearn.model_selection.KFold` otherwise, drawn
        with ``random_state``), as rpart assigns its folds at random: real
        files are often stored in an order (by class, by date) that unshuffled
        folds turn into a distribution shift. A splitter or an iterable is
        used as given.

    selection : {"auto", "min", "1se"}, default="auto"
        How ``prune_rate="auto"`` picks the subtree of the path, from the
        cross-validated errors (``"cost_complexity"``) or the pruning-set
        errors (``"reduced_error"``) of its subtrees:

        - ``"min"``: the subtree of least error (the smallest one among
          ties). With ``"reduced_error"`` this is Quinlan's classic rule:
          collapse every subtree whose removal does not increase the
          pruning-set error.
        - ``"1se"``: the one-standard-error rule of Breiman et al. and
          rpart, the smallest subtree whose error is within one standard
          error of the least. With ``"cost_complexity"`` it trades some
          accuracy for a much smaller tree; with ``"reduced_error"`` it
          treats as ties the differences one pruning set cannot tell apart,
          which Quinlan's rule keeps as subtrees.
        - ``"auto"``: ``"min"`` for ``"cost_complexity"`` and ``"1se"`` for
          ``"reduced_error"``; :ref:`tree_measured` compares them on real
          data.

    simplify : bool, default=False
        After pruning (and backfitting), collapse every split whose leaves
        all predict the same (see :func:`simplify`): fewer nodes, the same
        ``predict``; ``predict_proba`` of a classifier then comes from the
        merged nodes.

    random_state : int, RandomState instance or None, default=None
        Controls the pruning-set split of ``"reduced_error"`` and the shuffled
        folds of the cross-validation of ``"auto"``. The tree's own
        randomness is its ``random_state``. Set it when using ``memory`` with
        ``"reduced_error"``: with None, every fit draws another split and so
        grows another tree.

    memory : str, object with the joblib.Memory interface or None, default=None
        Cache of the fitted unpruned tree, keyed on its parameters and its
        training data: a search over ``prune_rate`` then grows the tree once
        per fold and only prunes it for every rate.

    verbose : int, default=0
        Progress messages: at 1 or more, a line with the leaves before and
        after pruning and the time taken (growing the tree included).

    Attributes
    ----------
    estimator_ : estimator
        The pruned tree, an instance of the wrapped estimator's class. With
        ``"cost_complexity"`` its ``ccp_alpha`` is set to ``ccp_alpha_``.

    ccp_alpha_ : float
        Only for ``method="cost_complexity"``: a ``ccp_alpha`` that makes the
        wrapped estimator, fitted on the same data, grow this pruned tree (it
        lies inside the path interval of the chosen subtree). 0 when nothing
        is pruned. With ``simplify=True``, it grows the tree before the
        simplification (same predictions, more nodes).

    n_units_before_, n_units_after_ : int
        Number of leaves before and after pruning.

    n_params_before_, n_params_after_ : int
        Stored parameters before and after pruning: a feature and a threshold
        per internal node, a value per output and class per leaf.

    prune_rate_ : float
        Fraction of leaves actually removed.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Class labels (classifiers only).

    See Also
    --------
    sklearn.tree.DecisionTreeClassifier : Its ``ccp_alpha`` prunes with a
        given alpha, not to a size.

    References
    ----------
    .. [1] L. Breiman, J. Friedman, R. Olshen and C. Stone, "Classification and
       Regression Trees", ch. 3 and 10, 1984.
    .. [2] J. R. Quinlan, "Simplifying decision trees", International Journal
       of Man-Machine Studies, 27(3), 1987.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skprune.tree import TreePruner
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.8)
    >>> pruner.fit(X, y)
    TreePruner(estimator=DecisionTreeClassifier(random_state=0), prune_rate=0.8)
    >>> pruner.n_units_before_, pruner.n_units_after_
    (22, 4)
    >>> pruner.estimator_
    DecisionTreeClassifier(ccp_alpha=0.0163..., random_state=0)
    >>> round(pruner.score(X, y), 3)
    0.96
    """

    _supported_estimators = (BaseDecisionTree,)

    _parameter_constraints: dict = {
        **BasePruner._parameter_constraints,
        "method": [StrOptions({"cost_complexity", "reduced_error"}), callable],
        "validation_fraction": VALIDATION_FRACTION,
        "backfit": ["boolean"],
        "cv": ["cv_object"],
        "selection": [StrOptions({"auto", "min", "1se"})],
        "simplify": ["boolean"],
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        estimator,
        *,
        method="cost_complexity",
        prune_rate="auto",
        validation_fraction=0.25,
        backfit=False,
        cv=5,
        selection="auto",
        simplify=False,
        random_state=None,
        memory=None,
        verbose=0,
    ):
        super().__init__(
            estimator, prune_rate=prune_rate, random_state=random_state, memory=memory
        )
        self.method = method
        self.validation_fraction = validation_fraction
        self.backfit = backfit
        self.cv = cv
        self.selection = selection
        self.simplify = simplify
        self.verbose = verbose

    def _fit_prune(self, X, y, sample_weight):
        if self.backfit:
            check_backfit_supported(self._base_estimator())
        method = "callable method" if callable(self.method) else self.method
        with log_step(self, f"{method}, prune_rate={self.prune_rate!r}") as line:
            unpruned, pruned = self._fit_prune_tree(X, y, sample_weight)
            line.details = (
                f"{self._count_units(unpruned)} -> {self._count_units(pruned)} leaves"
            )
        return unpruned, pruned

    def _fit_prune_tree(self, X, y, sample_weight):
        if callable(self.method):
            unpruned, pruned = self._node_score_prune(X, y, sample_weight)
            self.__dict__.pop("ccp_alpha_", None)
        elif self.method == "cost_complexity":
            unpruned, pruned = self._cost_complexity_prune(X, y, sample_weight)
        else:
            unpruned, pruned = self._reduced_error_prune(X, y, sample_weight)
            # A refit with the other method must not leave its alpha behind.
            self.__dict__.pop("ccp_alpha_", None)
        if self.backfit:
            backfit_tree(pruned.tree_, pruned, X, y, sample_weight)
        if self.simplify:
            pruned = simplify_tree(pruned)
        return unpruned, pruned

    def _cost_complexity_prune(self, X, y, sample_weight):
        if self.prune_rate == "auto" and self._is_frozen():
            raise ValueError(
                "prune_rate='auto' with method='cost_complexity' chooses alpha by "
                "cross-validation, which refits the tree; a FrozenEstimator cannot "
                "be refitted. Use a numeric prune_rate, or "
                "method='reduced_error' with X as the pruning set."
            )
        tree = self._fit_base(X, y, sample_weight)
        path = cost_complexity_path(tree)
        if self.prune_rate == "auto":
            step = self._cross_validated_step(path, X, y, sample_weight)
        else:
            step = path.step_for_max_leaves(max_leaves(tree, self.prune_rate))
        ccp_alpha = path.representative_alpha(step)
        pruned = prune_to_step(tree, path, step)
        if step >= 0:
            pruned.ccp_alpha = max(pruned.ccp_alpha, ccp_alpha)
        self.ccp_alpha_ = ccp_alpha
        return tree, pruned

    def _node_score_prune(self, X, y, sample_weight):
        if self.prune_rate == "auto":
            raise ValueError(
                "prune_rate='auto' needs method='cost_complexity' or "
                "'reduced_error': a callable method ranks the nodes but gives no "
                "rule for where to stop. Use a numeric prune_rate (and tune it "
                "with GridSearchCV)."
            )
        tree = self._fit_base(X, y, sample_weight)
        scores = check_node_scores(
            self.method(tree, X, y, sample_weight), tree, self.method
        )
        path = node_score_path(tree, scores, training_risk(tree.tree_))
        step = path.step_for_max_leaves(max_leaves(tree, self.prune_rate))
        return tree, prune_to_step(tree, path, step)

    def _reduced_error_prune(self, X, y, sample_weight):
        if self._is_frozen():
            tree = self._fit_base(X, y, sample_weight)
            X_prune, y_prune, w_prune = X, y, sample_weight
        else:
            cache_reusable(
                self.memory,
                self.random_state,
                "a tree grown beside a random pruning set (method='reduced_error')",
                stacklevel=4,
            )
            X_train, X_prune, y_train, y_prune, w_train, w_prune = self._holdout(
                X, y, sample_weight
            )
            tree = self._fit_base(X_train, y_train, w_train)
        return tree, prune_tree(
            tree,
            "reduced_error",
            self.prune_rate,
            X_prune,
            y_prune,
            w_prune,
            selection=self._selection("reduced_error"),
        )

    def _selection(self, method):
        """The stopping rule of ``prune_rate="auto"`` for ``method``."""
        if self.selection != "auto":
            return self.selection
        return "1se" if method == "reduced_error" else "min"

    def _holdout(self, X, y, sample_weight):
        """Split off the pruning set, stratified for classifiers when possible."""
        train, prune = self._holdout_indices(
            y,
            _num_samples(y),
            purpose="method='reduced_error' (as a pruning set)",
        )
        return take_rows((X, y, sample_weight), train, prune)

    def _cross_validated_step(self, path, X, y, sample_weight):
        """Path step chosen by cross-validation and the ``selection`` rule.

        Each fold's tree is evaluated at one alpha per step of the full tree's
        path (rpart's geometric means); every sample is scored once, by the
        fold that held it out.
        """
        candidates = np.array(
            [-np.inf] + [path.representative_alpha(s) for s in range(len(path.alphas))]
        )
        n_samples = _num_samples(y)
        weight = np.ones(n_samples) if sample_weight is None else sample_weight
        weight = np.asarray(weight, dtype=np.float64)
        loss_sum = np.zeros(len(candidates) + 1)
        loss_sq_sum = np.zeros(len(candidates) + 1)
        for train, test in check_cv_splits(self._check_cv(y).split(X, y), "cv"):
            fold_weight = None if sample_weight is None else weight[train]
            fold_tree = self._fit_base(
                _safe_indexing(X, train), _safe_indexing(y, train), fold_weight
            )
            # A sample of the test fold ends, at a candidate alpha, in a leaf
            # of the fold tree pruned by its own weakest-link path.
            add_subtree_losses(
                fold_tree,
                cost_complexity_path(fold_tree).thresholds,
                _safe_indexing(X, test),
                _safe_indexing(y, test),
                weight[test],
                candidates,
                loss_sum,
                loss_sq_sum,
            )
        mean, std_error = mean_and_std_error(
            loss_sum, loss_sq_sum, weight.sum(), n_samples
        )
        selection = self._selection("cost_complexity")
        return _select_candidate(mean, std_error, selection) - 1

    def _check_cv(self, y):
        """The splitter of "auto": shuffled folds for an int ``cv``."""
        if not isinstance(self.cv, Integral):
            return check_cv(self.cv, y, classifier=is_classifier(self))
        rng = check_random_state(self.random_state)
        if is_classifier(self) and type_of_target(y) in ("binary", "multiclass"):
            return StratifiedKFold(self.cv, shuffle=True, random_state=rng)
        return KFold(self.cv, shuffle=True, random_state=rng)

    def _count_units(self, estimator):
        return int(estimator.tree_.n_leaves)

    def _count_params(self, estimator):
        return count_tree_params(estimator)


def _select_candidate(mean, std_error, selection):
    """Index of the chosen candidate; candidates are ordered by growing alpha.

    The largest index (the smallest tree) wins a tie.
    """
    if selection == "min":
        return int(np.flatnonzero(mean <= mean.min()).max())
    # One standard error: the smallest tree whose error is at most the least
    # error (of the largest tree among ties) plus its standard error.
    best = np.argmin(mean)
    return int(np.flatnonzero(mean <= mean[best] + std_error[best]).max())
