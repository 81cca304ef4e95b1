"""scikit-learn's estimator checks on every pruner configuration."""

from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeRegressor,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

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
]


def _expected_failed_checks(pruner):
    if getattr(pruner, "method", None) == "reduced_error":
        reason = (
            "the pruning set is a random share of the rows: repeating a row is "
            "not the same as doubling its weight"
        )
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


@parametrize_with_checks(PRUNERS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
