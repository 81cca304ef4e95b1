"""scikit-learn's estimator checks on every pruner configuration."""

from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.svm import SVC, SVR, OneClassSVM
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeRegressor,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

from skprune.ensemble import ForestPruner
from skprune.neural_network import MLPPruner
from skprune.svm import SVMPruner
from skprune.tree import TreePruner

PRUNERS = [
    TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.5),
    TreePruner(DecisionTreeClassifier(random_state=0), prune_rate="auto", cv=3),
    TreePruner(
        DecisionTreeClassifier(random_state=0),
        method="reduced_error",
        prune_rate="auto",
        random_state=0,
    ),
    TreePruner(DecisionTreeRegressor(random_state=0), prune_rate=0.3),
    TreePruner(
        ExtraTreeRegressor(random_state=0),
        method="reduced_error",
        prune_rate=0.5,
        backfit=True,
        random_state=0,
    ),
    MLPPruner(
        MLPClassifier((16,), max_iter=100, random_state=0),
        prune_rate=0.5,
        random_state=0,
    ),
    MLPPruner(
        MLPRegressor(
            hidden_layer_sizes=(16, 8), solver="lbfgs", max_iter=100, random_state=0
        ),
        method="weight",
        prune_rate=0.7,
        n_iterations=2,
        random_state=0,
    ),
    MLPPruner(
        MLPClassifier(
            (16, 8), solver="sgd", learning_rate_init=0.01, max_iter=100, random_state=0
        ),
        prune_rate="auto",
        scope="global",
        criterion="l2",
        distillation=0.5,
        random_state=0,
    ),
    SVMPruner(SVC(), prune_rate=0.5, random_state=0),
    SVMPruner(SVC(kernel="poly"), prune_rate="auto", random_state=0),
    SVMPruner(SVC(), refit="labels", prune_rate=0.5, random_state=0),
    SVMPruner(
        SVR(), refit=None, criterion="contribution", prune_rate=0.3, random_state=0
    ),
    SVMPruner(OneClassSVM(), prune_rate=0.5, random_state=0),
    SVMPruner(SVC(kernel="linear"), method="exact"),
    SVMPruner(SVR(kernel="poly"), method="exact"),
    SVMPruner(SVC(), method="reduced_set", prune_rate=0.5, max_iter=20, random_state=0),
    SVMPruner(SVR(), method="reduced_set", prune_rate=0.5, max_iter=20, random_state=0),
    ForestPruner(
        RandomForestClassifier(n_estimators=10, random_state=0),
        prune_rate=0.5,
        random_state=0,
    ),
    ForestPruner(
        ExtraTreesClassifier(n_estimators=8, random_state=0),
        prune_rate="auto",
        tree_method="cost_complexity",
        random_state=0,
    ),
    ForestPruner(
        RandomForestRegressor(n_estimators=8, random_state=0),
        method="reduced_error",
        random_state=0,
    ),
    ForestPruner(
        ExtraTreesRegressor(n_estimators=8, random_state=0),
        method="cost_complexity",
        prune_rate="auto",
        random_state=0,
    ),
]


def _weight_checks_fail(reason):
    return {
        "check_sample_weight_equivalence_on_dense_data": reason,
        "check_sample_weight_equivalence_on_sparse_data": reason,
    }


def _expected_failed_checks(pruner):
    if getattr(pruner, "method", None) == "reduced_error" and isinstance(
        pruner, TreePruner
    ):
        return _weight_checks_fail(
            "the pruning set is a random share of the rows: repeating a row is "
            "not the same as doubling its weight"
        )
    if isinstance(pruner, MLPPruner) and pruner.prune_rate == "auto":
        return _weight_checks_fail(
            "the held-out set of prune_rate='auto' is a random share of the rows: "
            "repeating a row is not the same as doubling its weight"
        )
    if isinstance(pruner, ForestPruner):
        # scikit-learn's forests fail this check themselves.
        return _weight_checks_fail(
            "the trees are judged on their out-of-bag rows or a random held-out "
            "share: repeating a row is not the same as doubling its weight"
        )
    if isinstance(pruner, SVMPruner):
        # scikit-learn's own SVC and SVR pass this check: their decision
        # functions agree. Their support vectors do not.
        return _weight_checks_fail(
            "repeating a sample can make each copy a support vector (its dual "
            "coefficient split between them), so the weighted and the repeated "
            "fits have different support vectors and the same prune_rate keeps "
            "different ones"
        )
    return {}


@parametrize_with_checks(PRUNERS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
