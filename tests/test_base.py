"""The parts of the contract that every family shares: caching, delegation."""

import glob

import numpy as np
import pytest
from joblib import Memory
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier

from skprune.tree import TreePruner


@pytest.fixture
def data():
    return make_classification(n_samples=300, n_features=8, flip_y=0.2, random_state=0)


def test_corrupted_cache_is_refitted_not_trusted(data, tmp_path):
    X, y = data
    pruner = TreePruner(
        DecisionTreeClassifier(random_state=0), prune_rate=0.5, memory=str(tmp_path)
    )
    expected = clone(pruner).fit(X, y).predict(X)
    (output,) = glob.glob(str(tmp_path / "**" / "output.pkl"), recursive=True)
    with open(output, "wb") as file:
        file.write(b"not a pickle")
    np.testing.assert_array_equal(clone(pruner).fit(X, y).predict(X), expected)


def test_cache_key_covers_data_and_parameters(data, tmp_path):
    X, y = data
    memory = Memory(tmp_path, verbose=0)

    def fitted(estimator, X, y):
        pruner = TreePruner(estimator, prune_rate=0.0, memory=memory).fit(X, y)
        return pruner.estimator_

    shallow = fitted(DecisionTreeClassifier(max_depth=2, random_state=0), X, y)
    deep = fitted(DecisionTreeClassifier(max_depth=6, random_state=0), X, y)
    assert shallow.get_depth() == 2 and deep.get_depth() == 6
    flipped = fitted(DecisionTreeClassifier(max_depth=2, random_state=0), X, 1 - y)
    np.testing.assert_array_equal(flipped.predict(X), 1 - shallow.predict(X))


def test_unusable_cache_location_warns_and_fits(data, tmp_path):
    X, y = data
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    pruner = TreePruner(
        DecisionTreeClassifier(random_state=0),
        prune_rate=0.5,
        memory=str(not_a_directory),
    )
    with pytest.warns(UserWarning, match="could not be used"):
        pruner.fit(X, y)
    assert pruner.n_units_after_ < pruner.n_units_before_


class UnclonableTree(DecisionTreeClassifier):
    """Changes a parameter in ``__init__``, so scikit-learn refuses to clone it."""

    def __init__(self, max_depth=3):
        super().__init__(max_depth=max_depth + 1)


def test_estimator_that_cannot_be_cloned(data):
    X, y = data
    with pytest.raises(RuntimeError, match="Cannot clone object"):
        TreePruner(UnclonableTree(), prune_rate=0.5).fit(X, y)


def test_prediction_methods_follow_the_estimator(data):
    X, y = data
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.5)
    assert hasattr(pruner, "predict_proba")
    assert not hasattr(pruner, "decision_function")
    pruner.fit(X, y)
    np.testing.assert_allclose(
        pruner.predict_log_proba(X[:5]),
        pruner.estimator_.predict_log_proba(X[:5]),
    )
    np.testing.assert_array_equal(pruner.classes_, [0, 1])
