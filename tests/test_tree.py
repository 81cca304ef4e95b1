import math
import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    make_classification,
    make_friedman1,
    make_multilabel_classification,
)
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, train_test_split
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
    export_text,
)

from skprune.tree import TreePruner, prune_nodes, simplify
from skprune.tree._prune import cost_complexity_path
from skprune.tree._weakest_link import collapse_alphas

NODE_FIELDS = [
    "left_child",
    "right_child",
    "feature",
    "threshold",
    "impurity",
    "n_node_samples",
    "weighted_n_node_samples",
]


def noisy_classification(n_samples=1500, random_state=0):
    return make_classification(
        n_samples=n_samples,
        n_features=10,
        n_informative=5,
        n_classes=3,
        flip_y=0.2,
        random_state=random_state,
    )


def assert_same_tree(tree_a, tree_b):
    """Same nodes, numbered alike, with the same values."""
    state_a, state_b = tree_a.__getstate__(), tree_b.__getstate__()
    assert state_a["node_count"] == state_b["node_count"]
    assert state_a["max_depth"] == state_b["max_depth"]
    for field in NODE_FIELDS:
        np.testing.assert_array_equal(state_a["nodes"][field], state_b["nodes"][field])
    np.testing.assert_array_equal(state_a["values"], state_b["values"])


def _regression_data():
    return make_friedman1(n_samples=1200, noise=1.0, random_state=0)


def _multioutput_classification_data():
    return make_multilabel_classification(n_samples=800, n_classes=3, random_state=0)


def _weighted_data():
    X, y = noisy_classification(1000, random_state=1)
    weight = np.random.RandomState(0).randint(1, 4, size=len(y)).astype(float)
    return X, y, weight


CCP_CASES = {
    "classifier": (DecisionTreeClassifier(random_state=0), noisy_classification),
    "entropy": (
        DecisionTreeClassifier(criterion="entropy", random_state=0),
        noisy_classification,
    ),
    "best_first": (
        DecisionTreeClassifier(max_leaf_nodes=150, random_state=0),
        noisy_classification,
    ),
    "extra_tree": (ExtraTreeClassifier(random_state=0), noisy_classification),
    "regressor": (DecisionTreeRegressor(random_state=0), _regression_data),
    "extra_regressor": (ExtraTreeRegressor(random_state=0), _regression_data),
    "multioutput": (
        DecisionTreeClassifier(random_state=0),
        _multioutput_classification_data,
    ),
}


@pytest.mark.parametrize("case", CCP_CASES)
@pytest.mark.parametrize("prune_rate", [0.0, 0.1, 0.3, 0.5, 0.75, 0.9, 0.99])
def test_cost_complexity_matches_sklearn_ccp_alpha(case, prune_rate):
    estimator, make_data = CCP_CASES[case]
    X, y = make_data()
    pruner = TreePruner(estimator, prune_rate=prune_rate).fit(X, y)

    reference = clone(estimator).set_params(ccp_alpha=pruner.ccp_alpha_).fit(X, y)
    assert_same_tree(pruner.estimator_.tree_, reference.tree_)
    np.testing.assert_array_equal(pruner.predict(X), reference.predict(X))
    # The native estimator carries the alpha that reproduces it.
    refit = clone(pruner.estimator_).fit(X, y)
    assert_same_tree(refit.tree_, pruner.estimator_.tree_)


def test_cost_complexity_with_sample_weight_matches_sklearn():
    X, y, weight = _weighted_data()
    estimator = DecisionTreeClassifier(random_state=0)
    for prune_rate in (0.3, 0.7, 0.95):
        pruner = TreePruner(estimator, prune_rate=prune_rate)
        pruner.fit(X, y, sample_weight=weight)
        reference = clone(estimator).set_params(ccp_alpha=pruner.ccp_alpha_)
        reference.fit(X, y, sample_weight=weight)
        assert_same_tree(pruner.estimator_.tree_, reference.tree_)


def test_path_matches_sklearn_pruning_path():
    """Every subtree of sklearn's path is a step of ours, with the same alphas."""
    X, y = noisy_classification()
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    ours = cost_complexity_path(tree)
    theirs = tree.cost_complexity_pruning_path(X, y).ccp_alphas
    distinct = theirs[1:][np.diff(theirs) > 1e-12]
    distinct = np.append(distinct, theirs[-1])
    np.testing.assert_allclose(ours.alphas, np.unique(distinct), rtol=1e-9)


@pytest.mark.parametrize("method", ["cost_complexity", "reduced_error"])
def test_size_bound_and_monotone_in_prune_rate(method):
    X, y = noisy_classification()
    n_leaves = []
    for prune_rate in np.linspace(0, 0.99, 12):
        pruner = TreePruner(
            DecisionTreeClassifier(random_state=0),
            method=method,
            prune_rate=prune_rate,
            random_state=0,
        ).fit(X, y)
        limit = math.ceil(round((1 - prune_rate) * pruner.n_units_before_, 9))
        assert pruner.n_units_after_ <= limit
        assert pruner.estimator_.get_n_leaves() == pruner.n_units_after_
        assert pruner.prune_rate_ == 1 - pruner.n_units_after_ / pruner.n_units_before_
        n_leaves.append(pruner.n_units_after_)
    assert all(a >= b for a, b in zip(n_leaves, n_leaves[1:], strict=False))
    assert n_leaves[0] > 4 * n_leaves[-1]


@pytest.mark.parametrize("method", ["cost_complexity", "reduced_error"])
def test_prune_rate_zero_keeps_the_tree(method):
    X, y = noisy_classification()
    pruner = TreePruner(
        DecisionTreeClassifier(max_leaf_nodes=100, random_state=0),
        method=method,
        prune_rate=0.0,
        random_state=0,
    ).fit(X, y)
    assert pruner.n_units_after_ == pruner.n_units_before_
    assert pruner.prune_rate_ == 0.0
    if method == "cost_complexity":
        assert pruner.ccp_alpha_ == 0.0
        unpruned = DecisionTreeClassifier(max_leaf_nodes=100, random_state=0).fit(X, y)
        assert_same_tree(pruner.estimator_.tree_, unpruned.tree_)
        np.testing.assert_array_equal(
            pruner.predict_proba(X), unpruned.predict_proba(X)
        )


def test_pruned_estimator_is_a_working_native_tree(tmp_path):
    X, y = load_breast_cancer(return_X_y=True)
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.7)
    pruner.fit(X, y)
    tree = pruner.estimator_
    assert type(tree) is DecisionTreeClassifier
    n_leaves = tree.get_n_leaves()
    assert tree.tree_.node_count == 2 * n_leaves - 1
    assert tree.apply(X).max() < tree.tree_.node_count
    assert tree.decision_path(X).shape == (len(X), tree.tree_.node_count)
    assert export_text(tree).count("class:") == n_leaves
    np.testing.assert_allclose(tree.feature_importances_.sum(), 1.0)
    depth = tree.get_depth()
    assert depth == tree.tree_.max_depth
    assert depth == tree.decision_path(X).sum(axis=1).max() - 1

    restored = pickle.loads(pickle.dumps(tree))
    np.testing.assert_array_equal(restored.predict_proba(X), tree.predict_proba(X))
    assert_same_tree(restored.tree_, tree.tree_)


def test_plot_tree_on_pruned_tree():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.tree import plot_tree

    X, y = load_iris(return_X_y=True)
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.5)
    pruner.fit(X, y)
    annotations = plot_tree(pruner.estimator_)
    node_boxes = [a for a in annotations if "samples =" in a.get_text()]
    assert len(node_boxes) == pruner.estimator_.tree_.node_count
    plt.close("all")


def classic_reduced_error_pruning(tree, X, y):
    """Quinlan's bottom-up rule, written as a plain recursion for reference.

    Returns the set of nodes that stay internal.
    """
    left, right = tree.tree_.children_left, tree.tree_.children_right
    node_of_sample = tree.decision_path(X).toarray().astype(bool)
    predicted = tree.classes_[tree.tree_.value[:, 0, :].argmax(axis=1)]

    def prune(node):
        """(pruning-set errors, internal nodes) of the pruned subtree at node."""
        reached = node_of_sample[:, node]
        as_leaf = np.sum(predicted[node] != y[reached])
        if left[node] == -1:
            return as_leaf, set()
        left_errors, left_internal = prune(left[node])
        right_errors, right_internal = prune(right[node])
        if as_leaf <= left_errors + right_errors:
            return as_leaf, set()
        return left_errors + right_errors, {node} | left_internal | right_internal

    return prune(0)[1]


def test_reduced_error_auto_is_the_classic_rule():
    X, y = noisy_classification(2000, random_state=3)
    X_grow, X_prune, y_grow, y_prune = train_test_split(X, y, random_state=0)
    tree = DecisionTreeClassifier(random_state=0).fit(X_grow, y_grow)
    pruner = TreePruner(FrozenEstimator(tree), method="reduced_error", selection="min")
    pruner.fit(X_prune, y_prune)

    expected_internal = classic_reduced_error_pruning(tree, X_prune, y_prune)
    assert pruner.n_units_after_ == len(expected_internal) + 1
    assert 1 < pruner.n_units_after_ < pruner.n_units_before_
    # Same subtree: the same samples end in the same original nodes.
    kept_internal = sorted(expected_internal)
    original_paths = tree.decision_path(X_prune).toarray()[:, kept_internal]
    pruned_paths = pruner.estimator_.decision_path(X_prune).toarray()
    assert original_paths.sum() == (pruned_paths.sum(axis=1) - 1).sum()


def test_reduced_error_auto_minimises_pruning_set_error():
    X, y = noisy_classification(2000, random_state=4)
    X_grow, X_prune, y_grow, y_prune = train_test_split(X, y, random_state=0)
    tree = FrozenEstimator(DecisionTreeClassifier(random_state=0).fit(X_grow, y_grow))

    def pruning_set_errors(prune_rate):
        pruner = TreePruner(
            tree, method="reduced_error", prune_rate=prune_rate, selection="min"
        )
        return np.sum(pruner.fit(X_prune, y_prune).predict(X_prune) != y_prune)

    auto_errors = pruning_set_errors("auto")
    for prune_rate in (0.0, 0.2, 0.5, 0.8, 0.95):
        assert auto_errors <= pruning_set_errors(prune_rate)


def test_reduced_error_regression_reduces_holdout_error():
    X, y = make_friedman1(n_samples=3000, noise=3.0, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    unpruned = DecisionTreeRegressor(random_state=0).fit(X_train, y_train)
    pruner = TreePruner(
        DecisionTreeRegressor(random_state=0),
        method="reduced_error",
        backfit=True,
        random_state=0,
    ).fit(X_train, y_train)
    assert pruner.n_units_after_ < 0.5 * unpruned.get_n_leaves()
    assert pruner.score(X_test, y_test) > unpruned.score(X_test, y_test)


def cross_validated_step_by_refitting(estimator, X, y, cv, selection):
    """The choice of "auto", the slow way: refit every fold at every alpha."""
    full_path = cost_complexity_path(clone(estimator).fit(X, y))
    candidates = [0.0] + [
        full_path.representative_alpha(s) for s in range(len(full_path.alphas))
    ]
    losses = np.zeros((len(y), len(candidates)))
    for train, test in cv.split(X, y):
        for j, alpha in enumerate(candidates):
            fold_tree = clone(estimator).set_params(ccp_alpha=alpha)
            fold_tree.fit(X[train], y[train])
            losses[test, j] = fold_tree.predict(X[test]) != y[test]
    mean = losses.mean(axis=0)
    if selection == "min":
        return candidates[np.flatnonzero(mean == mean.min()).max()]
    std_error = losses.std(axis=0) / np.sqrt(len(y))
    best = np.argmin(mean)
    within = np.flatnonzero(mean <= mean[best] + std_error[best])
    return candidates[within.max()]


@pytest.mark.parametrize("selection", ["min", "1se"])
def test_cost_complexity_auto_matches_refitting_cross_validation(selection):
    X, y = noisy_classification(600, random_state=5)
    estimator = DecisionTreeClassifier(random_state=0)
    cv = KFold(4, shuffle=True, random_state=0)
    pruner = TreePruner(estimator, prune_rate="auto", cv=cv, selection=selection)
    pruner.fit(X, y)
    expected_alpha = cross_validated_step_by_refitting(estimator, X, y, cv, selection)
    assert pruner.ccp_alpha_ == pytest.approx(expected_alpha)
    assert 1 < pruner.n_units_after_ < pruner.n_units_before_


def test_one_standard_error_rule_keeps_fewer_leaves_than_min():
    X, y = noisy_classification(1000, random_state=2)
    sizes = {
        selection: TreePruner(
            DecisionTreeClassifier(random_state=0), selection=selection, random_state=0
        )
        .fit(X, y)
        .n_units_after_
        for selection in ("min", "1se")
    }
    assert sizes["1se"] < sizes["min"]


@pytest.mark.parametrize(
    "estimator, make_data",
    [
        (DecisionTreeClassifier(random_state=0), noisy_classification),
        (DecisionTreeRegressor(random_state=0), _regression_data),
    ],
)
def test_auto_shuffles_its_folds(estimator, make_data):
    """Real files are often stored sorted: the folds of an int ``cv`` are
    drawn at random (stratified for classifiers), as rpart's are."""
    X, y = make_data()
    pruner = TreePruner(estimator, random_state=0)
    folds = [test for _, test in pruner._check_cv(y).split(X, y)]
    assert len(folds) == 5
    assert all(np.diff(np.sort(fold)).max() > 1 for fold in folds)
    if is_classifier(estimator):
        for fold in folds:
            np.testing.assert_allclose(
                np.bincount(y[fold]) / len(fold), np.bincount(y) / len(y), atol=0.01
            )
    # The folds, and so the chosen subtree, follow random_state.
    first = pruner.fit(X, y).ccp_alpha_
    assert clone(pruner).fit(X, y).ccp_alpha_ == first
    # An explicit splitter is used as given.
    explicit = TreePruner(estimator, cv=KFold(5))._check_cv(y)
    assert isinstance(explicit, KFold) and not explicit.shuffle


# ------------------------------------------------------------- simplify --


def _coarse_tree_cases():
    """Fitted trees with useless splits: leaves of a split that agree."""
    X, y = noisy_classification(1500, random_state=8)
    X_r, y_r = load_diabetes(return_X_y=True)
    X_m, y_m = _multioutput_classification_data()
    return {
        "classifier": DecisionTreeClassifier(min_samples_leaf=5, random_state=0).fit(
            X, y
        ),
        "pruned_classifier": TreePruner(
            DecisionTreeClassifier(random_state=0), prune_rate=0.8
        )
        .fit(X, y)
        .estimator_,
        "extra_tree": ExtraTreeClassifier(max_depth=8, random_state=0).fit(X, y),
        "multioutput": DecisionTreeClassifier(max_depth=6, random_state=0).fit(
            X_m, y_m
        ),
        # Integer targets and a median criterion: leaves with equal values.
        "regressor": DecisionTreeRegressor(
            criterion="absolute_error", min_samples_leaf=20, random_state=0
        ).fit(X_r, np.round(y_r / 50)),
    }, {"classifier": X, "pruned_classifier": X, "extra_tree": X,
        "multioutput": X_m, "regressor": X_r}  # fmt: skip


def assert_valid_subtree(pruned, original, X):
    """A well-formed binary tree whose leaves are nodes of ``original``."""
    tree = pruned.tree_
    assert type(pruned) is type(original)
    assert tree.node_count == 2 * pruned.get_n_leaves() - 1
    assert pruned.get_depth() == pruned.decision_path(X).sum(axis=1).max() - 1
    assert pruned.get_n_leaves() <= original.get_n_leaves()
    assert pruned.apply(X).max() < tree.node_count
    leaves = tree.children_left[pruned.apply(X)]
    assert np.all(leaves == -1)


@pytest.mark.parametrize("keep", ["predict", "values"])
def test_simplify_keeps_every_prediction(keep):
    trees, data = _coarse_tree_cases()
    n_removed = {}
    for name, tree in trees.items():
        X = data[name]
        probe = np.vstack([X, X + np.random.RandomState(0).normal(size=X.shape)])
        simple = simplify(tree, keep=keep)
        assert_valid_subtree(simple, tree, probe)
        np.testing.assert_array_equal(simple.predict(probe), tree.predict(probe))
        if keep == "values" and hasattr(tree, "predict_proba"):
            np.testing.assert_array_equal(
                np.asarray(simple.predict_proba(probe), dtype=object).tolist()
                if isinstance(simple.predict_proba(probe), list)
                else simple.predict_proba(probe),
                np.asarray(tree.predict_proba(probe), dtype=object).tolist()
                if isinstance(tree.predict_proba(probe), list)
                else tree.predict_proba(probe),
            )
        n_removed[name] = tree.get_n_leaves() - simple.get_n_leaves()
        # Simplifying twice removes nothing more.
        assert simplify(simple, keep=keep).tree_.node_count == simple.tree_.node_count
    if keep == "predict":
        assert all(n > 0 for n in n_removed.values()), n_removed
    else:
        assert n_removed["regressor"] > 0


def test_simplify_leaves_no_split_with_agreeing_leaves():
    trees, _ = _coarse_tree_cases()
    simple = simplify(trees["classifier"]).tree_
    predicted = simple.value[:, 0].argmax(axis=1)
    left, right = simple.children_left, simple.children_right
    both_leaves = (
        (left >= 0)
        & (left[np.maximum(left, 0)] == -1)
        & (right[np.maximum(right, 0)] == -1)
    )
    for node in np.flatnonzero(both_leaves):
        assert predicted[left[node]] != predicted[right[node]]


def test_simplify_does_not_modify_the_tree():
    trees, _ = _coarse_tree_cases()
    tree = trees["classifier"]
    before = pickle.dumps(tree)
    simplify(tree)
    assert pickle.dumps(tree) == before


def test_tree_pruner_simplify_option():
    X, y = noisy_classification(1500, random_state=8)
    params = dict(prune_rate=0.8)
    plain = TreePruner(DecisionTreeClassifier(random_state=0), **params).fit(X, y)
    simple = TreePruner(
        DecisionTreeClassifier(random_state=0), simplify=True, **params
    ).fit(X, y)
    np.testing.assert_array_equal(simple.predict(X), plain.predict(X))
    assert simple.n_units_after_ < plain.n_units_after_


@pytest.mark.parametrize("func", [simplify, prune_nodes])
def test_tree_functions_reject_other_input(func):
    args = () if func is simplify else ([0],)
    with pytest.raises(TypeError, match="takes a fitted DecisionTreeClassifier"):
        func(LogisticRegression(), *args)
    with pytest.raises(NotFittedError):
        func(DecisionTreeClassifier(), *args)


# ---------------------------------------------------------- prune_nodes --


def test_prune_nodes_makes_leaves_that_predict_their_stored_value():
    X, y = noisy_classification(800, random_state=9)
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    left = tree.tree_.children_left
    in_left = _is_below(tree.tree_, left[0]) & (left >= 0)
    in_right = _is_below(tree.tree_, tree.tree_.children_right[0]) & (left >= 0)
    first = np.flatnonzero(in_left)[2]
    second = np.flatnonzero(in_right & (left[np.maximum(left, 0)] >= 0))[1]
    chosen = [first, second, left[second]]  # the last inside the second
    pruned = prune_nodes(tree, chosen)
    assert_valid_subtree(pruned, tree, X)
    paths = tree.decision_path(X).toarray().astype(bool)
    for node in chosen[:2]:
        reached = paths[:, node]
        assert reached.any()
        expected = tree.tree_.value[node, 0] / tree.tree_.value[node, 0].sum()
        np.testing.assert_allclose(
            pruned.predict_proba(X[reached]), np.tile(expected, (reached.sum(), 1))
        )
    elsewhere = ~paths[:, chosen[:2]].any(axis=1)
    np.testing.assert_array_equal(
        pruned.predict_proba(X[elsewhere]), tree.predict_proba(X[elsewhere])
    )
    below = tree.decision_path(X).toarray()  # unused rows are fine here
    assert below.shape[0] == len(X)
    n_leaves_below = [
        np.sum((left == -1) & _is_below(tree.tree_, node)) for node in chosen[:2]
    ]
    expected_leaves = tree.get_n_leaves() - sum(n - 1 for n in n_leaves_below)
    assert pruned.get_n_leaves() == expected_leaves


def _is_below(tree, root):
    """Which nodes are in the subtree of ``root`` (itself included)."""
    inside = np.zeros(tree.node_count, dtype=bool)
    inside[root] = True
    for node in range(root, tree.node_count):
        if inside[node] and tree.children_left[node] >= 0:
            inside[tree.children_left[node]] = inside[tree.children_right[node]] = True
    return inside


def test_prune_nodes_root_and_nothing():
    X, y = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    stump = prune_nodes(tree, [0])
    assert stump.tree_.node_count == 1 and stump.get_depth() == 0
    np.testing.assert_allclose(stump.predict_proba(X[:2]), [[1 / 3] * 3] * 2)
    same = prune_nodes(tree, [])
    assert_same_tree(same.tree_, tree.tree_)


@pytest.mark.parametrize(
    "nodes, match",
    [
        ([1], "are leaves already"),
        ([2, 99], "out of range"),
        ([-1], "out of range"),
        ([0.5], "integer node ids"),
    ],
)
def test_prune_nodes_rejects_bad_ids(nodes, match):
    X, y = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    assert tree.tree_.children_left[1] == -1
    with pytest.raises(ValueError, match=match):
        prune_nodes(tree, nodes)


# -- a callable method: the user's per-node scores ------------------------------


def _fitted_cancer_tree():
    X, y = load_breast_cancer(return_X_y=True)
    return DecisionTreeClassifier(random_state=0).fit(X, y), X, y


def _training_alphas(estimator, X, y, sample_weight):
    """The cost-complexity collapse alpha of every node, as a node score."""
    tree = estimator.tree_
    risk = tree.weighted_n_node_samples * tree.impurity
    risk = risk / tree.weighted_n_node_samples[0]
    return collapse_alphas(tree.children_left, tree.children_right, risk)


@pytest.mark.parametrize("prune_rate", [0.3, 0.5, 0.8])
def test_callable_scores_of_training_alphas_give_cost_complexity(prune_rate):
    tree, X, y = _fitted_cancer_tree()
    frozen = FrozenEstimator(tree)
    ours = TreePruner(frozen, method=_training_alphas, prune_rate=prune_rate)
    reference = TreePruner(frozen, method="cost_complexity", prune_rate=prune_rate)
    ours.fit(X, y)
    reference.fit(X, y)
    assert ours.n_units_after_ == reference.n_units_after_ < ours.n_units_before_
    np.testing.assert_array_equal(
        ours.estimator_.tree_.children_left, reference.estimator_.tree_.children_left
    )
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))
    assert not hasattr(ours, "ccp_alpha_")


def test_callable_collapses_the_lowest_scored_node_first():
    tree, X, y = _fitted_cancer_tree()
    left = tree.tree_.children_left
    internal = np.flatnonzero(left != -1)
    target = internal[3]
    target_leaves = prune_nodes(tree, [target]).get_n_leaves()

    def target_first(estimator, X, y, sample_weight):
        scores = np.arange(estimator.tree_.node_count, dtype=float) + 10
        scores[target] = -1.0
        return scores

    removed = tree.get_n_leaves() - target_leaves
    rate = removed / tree.get_n_leaves()
    pruned = TreePruner(FrozenEstimator(tree), method=target_first, prune_rate=rate)
    pruned.fit(X, y)
    expected = prune_nodes(tree, [target])
    assert pruned.n_units_after_ == target_leaves
    np.testing.assert_array_equal(
        pruned.estimator_.tree_.children_left, expected.tree_.children_left
    )
    np.testing.assert_allclose(
        pruned.predict_proba(X), expected.predict_proba(X), rtol=0, atol=0
    )


def test_callable_receives_the_tree_and_the_fit_data():
    X, y = load_breast_cancer(return_X_y=True)
    weight = np.ones(len(y))
    seen = {}

    def record(estimator, X_seen, y_seen, sample_weight):
        seen.update(estimator=estimator, X=X_seen, y=y_seen, w=sample_weight)
        return estimator.tree_.weighted_n_node_samples

    pruner = TreePruner(
        DecisionTreeClassifier(random_state=0), method=record, prune_rate=0.5
    ).fit(X, y, sample_weight=weight)
    assert seen["estimator"].get_n_leaves() == pruner.n_units_before_
    assert seen["X"] is X and seen["y"] is y and seen["w"] is weight


@pytest.mark.parametrize(
    "scores, match",
    [
        (lambda e: np.zeros(3), r"shape \(node_count,\)"),
        (lambda e: np.full(e.tree_.node_count, np.nan), "NaN or infinite"),
        (lambda e: "high", "one number per node"),
    ],
)
def test_callable_with_bad_scores_is_refused(scores, match):
    tree, X, y = _fitted_cancer_tree()

    def scorer(estimator, X, y, sample_weight):
        return scores(estimator)

    pruner = TreePruner(FrozenEstimator(tree), method=scorer, prune_rate=0.5)
    with pytest.raises(ValueError, match=match):
        pruner.fit(X, y)


def test_callable_with_auto_is_refused():
    tree, X, y = _fitted_cancer_tree()
    pruner = TreePruner(FrozenEstimator(tree), method=_training_alphas)
    with pytest.raises(ValueError, match="numeric prune_rate"):
        pruner.fit(X, y)
