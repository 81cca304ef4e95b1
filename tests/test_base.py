"""The parts of the contract that every family shares: caching, delegation,
sample weights, and the shared mechanics of ``skprune.utils``."""

import glob

import numpy as np
import pytest
from joblib import Memory
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from skprune.ensemble import ForestPruner
from skprune.model_selection import InMemoryCache
from skprune.neural_network import MLPPruner
from skprune.svm import SVMPruner
from skprune.tree import TreePruner
from skprune.utils import (
    call_cached,
    choose_candidate,
    holdout_split,
    log_step,
    n_kept,
    subsample_rows,
)

# Every family that accepts sample_weight, small enough to fit in a blink.
WEIGHTED_PRUNERS = [
    TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.5),
    ForestPruner(RandomForestClassifier(n_estimators=5, random_state=0)),
    MLPPruner(MLPClassifier((8,), max_iter=50, random_state=0), fine_tune_epochs=1),
    SVMPruner(SVC(), prune_rate=0.5, random_state=0),
]


def test_corrupted_cache_is_refitted_not_trusted(noisy_300, tmp_path):
    X, y = noisy_300
    pruner = TreePruner(
        DecisionTreeClassifier(random_state=0), prune_rate=0.5, memory=str(tmp_path)
    )
    expected = clone(pruner).fit(X, y).predict(X)
    (output,) = glob.glob(str(tmp_path / "**" / "output.pkl"), recursive=True)
    with open(output, "wb") as file:
        file.write(b"not a pickle")
    np.testing.assert_array_equal(clone(pruner).fit(X, y).predict(X), expected)


def test_cache_key_covers_data_and_parameters(noisy_300, tmp_path):
    X, y = noisy_300
    memory = Memory(tmp_path, verbose=0)

    def fitted(estimator, X, y):
        pruner = TreePruner(estimator, prune_rate=0.0, memory=memory).fit(X, y)
        return pruner.estimator_

    shallow = fitted(DecisionTreeClassifier(max_depth=2, random_state=0), X, y)
    deep = fitted(DecisionTreeClassifier(max_depth=6, random_state=0), X, y)
    assert shallow.get_depth() == 2 and deep.get_depth() == 6
    flipped = fitted(DecisionTreeClassifier(max_depth=2, random_state=0), X, 1 - y)
    np.testing.assert_array_equal(flipped.predict(X), 1 - shallow.predict(X))


def test_unusable_cache_location_warns_and_fits(noisy_300, tmp_path):
    X, y = noisy_300
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


def test_estimator_that_cannot_be_cloned(noisy_300):
    X, y = noisy_300
    with pytest.raises(RuntimeError, match="Cannot clone object"):
        TreePruner(UnclonableTree(), prune_rate=0.5).fit(X, y)


def test_prediction_methods_follow_the_estimator(noisy_300):
    X, y = noisy_300
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), prune_rate=0.5)
    assert hasattr(pruner, "predict_proba")
    assert not hasattr(pruner, "decision_function")
    pruner.fit(X, y)
    np.testing.assert_allclose(
        pruner.predict_log_proba(X[:5]),
        pruner.estimator_.predict_log_proba(X[:5]),
    )
    np.testing.assert_array_equal(pruner.classes_, [0, 1])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("pruner", WEIGHTED_PRUNERS, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("signs", ["mixed", "all negative"])
def test_negative_sample_weight_is_refused(noisy_300, pruner, signs):
    X, y = noisy_300
    weight = np.ones(len(y))
    if signs == "mixed":
        weight[::3] = -1.0
    else:
        weight = -weight
    with pytest.raises(ValueError, match="does not accept negative sample_weight"):
        clone(pruner).fit(X, y, sample_weight=weight)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("pruner", WEIGHTED_PRUNERS, ids=lambda p: type(p).__name__)
def test_zero_sample_weight_is_allowed(noisy_300, pruner):
    X, y = noisy_300
    weight = np.ones(len(y))
    weight[::4] = 0.0
    # Accepted: the fit does not raise, and the pruned model predicts.
    fitted = clone(pruner).fit(X, y, sample_weight=weight)
    assert fitted.predict(X).shape == y.shape


@pytest.mark.parametrize(
    "n_units, rate, expected",
    [(100, 0.7, 30), (10, 0.0, 10), (10, 0.05, 10), (10, 0.15, 9), (3, 0.99, 1)],
)
def test_n_kept_rounds_up_and_keeps_one(n_units, rate, expected):
    assert n_kept(n_units, rate) == expected


def test_holdout_split_stratifies_and_draws_repeatably(noisy_300):
    X, y = noisy_300
    train, held_out = holdout_split(
        y, len(y), fraction=0.2, stratify=True, random_state=0, purpose="test"
    )
    assert len(held_out) == 60 and len(train) == 240
    assert np.intersect1d(train, held_out).size == 0
    # Stratified: the held-out class shares are those of the data.
    assert abs(y[held_out].mean() - y.mean()) < 1 / 60
    again = holdout_split(
        y, len(y), fraction=0.2, stratify=True, random_state=0, purpose="test"
    )
    np.testing.assert_array_equal(again[1], held_out)
    # sort=True gives the same rows in increasing order.
    sorted_train, sorted_held_out = holdout_split(
        y, len(y), fraction=0.2, stratify=True, random_state=0, purpose="t", sort=True
    )
    np.testing.assert_array_equal(sorted_held_out, np.sort(held_out))
    np.testing.assert_array_equal(sorted_train, np.sort(train))


def test_holdout_split_holds_out_candidates_only(noisy_300):
    _, y = noisy_300
    candidates = np.arange(0, len(y), 2)
    train, held_out = holdout_split(
        y,
        len(y),
        fraction=0.5,
        stratify=False,
        random_state=0,
        purpose="test",
        candidates=candidates,
    )
    assert np.isin(held_out, candidates).all()
    assert len(held_out) == 75
    # Every row that is not held out trains, the non-candidates included.
    every_row = np.sort(np.concatenate([train, held_out]))
    np.testing.assert_array_equal(every_row, np.arange(300))


def test_holdout_split_names_its_purpose_when_too_small():
    with pytest.raises(ValueError, match="the test holds out validation_fraction=0.5"):
        holdout_split(
            None,
            2,
            fraction=0.5,
            stratify=False,
            random_state=0,
            purpose="the test",
            min_train=2,
        )


def test_subsample_rows_draws_sorted_subset():
    rows = subsample_rows(np.arange(10, 110), 20, random_state=0)
    assert len(rows) == 20 and len(np.unique(rows)) == 20
    assert np.all(np.diff(rows) > 0) and rows.min() >= 10
    np.testing.assert_array_equal(subsample_rows(7, 20, random_state=0), np.arange(7))
    np.testing.assert_array_equal(subsample_rows(7, None, random_state=0), np.arange(7))


_CALLS = []


def _count_call(value):
    _CALLS.append(value)
    return value * 2


@pytest.mark.parametrize("kind", ["disk", "in memory"])
def test_call_cached_computes_once(kind, tmp_path):
    memory = Memory(tmp_path, verbose=0) if kind == "disk" else InMemoryCache()
    _CALLS.clear()
    assert call_cached(memory, _count_call, 3) == 6
    assert call_cached(memory, _count_call, 3) == 6
    assert call_cached(memory, _count_call, 4) == 8
    assert _CALLS == [3, 4]


def test_search_over_rates_grows_the_tree_once(noisy_300):
    X, y = noisy_300
    cache = InMemoryCache()
    sizes = [
        TreePruner(
            DecisionTreeClassifier(random_state=0), prune_rate=rate, memory=cache
        )
        .fit(X, y)
        .n_units_after_
        for rate in (0.2, 0.5, 0.8)
    ]
    assert cache.n_calls_ == 1
    assert sizes[0] > sizes[1] > sizes[2]


def test_log_step_prints_only_when_verbose(capsys):
    class Quiet:
        verbose = 0

    class Loud:
        verbose = 1

    with log_step(Quiet(), "pruning") as line:
        line.details = "3 left"
    assert capsys.readouterr().out == ""
    with log_step(Loud(), "pruning") as line:
        line.details = "3 left"
    assert capsys.readouterr().out.startswith("[Loud] pruning: 3 left (")
    with log_step(Loud(), "pruning"):
        pass
    assert capsys.readouterr().out.rstrip().endswith(" s")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("pruner", WEIGHTED_PRUNERS, ids=lambda p: type(p).__name__)
def test_every_pruner_is_verbose_on_request(noisy_300, pruner, capsys):
    X, y = noisy_300
    clone(pruner).fit(X, y)
    assert capsys.readouterr().out == ""
    clone(pruner).set_params(verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    prefix = f"[{type(pruner).__name__}] "
    assert lines and all(line.startswith(prefix) for line in lines)


@pytest.mark.parametrize(
    "rule, expected, n_evaluated",
    [("first_at_floor", 0.2, 2), ("last_at_floor", 0.8, 4), ("least", 0.4, 4)],
)
def test_choose_candidate_rules(rule, expected, n_evaluated):
    scores = {0.1: 0.5, 0.2: 0.9, 0.4: 0.3, 0.8: 0.9}
    evaluated = []

    def evaluate(rate):
        evaluated.append(rate)
        return scores[rate], f"model at {rate}"

    rate, model = choose_candidate(scores, evaluate, rule=rule, floor=0.9)
    assert (rate, model) == (expected, f"model at {expected}")
    assert len(evaluated) == n_evaluated


def test_choose_candidate_without_an_accepted_candidate():
    rate, model = choose_candidate(
        [0.1, 0.2], lambda r: (0.0, r), rule="last_at_floor", floor=1.0
    )
    assert rate is None and model is None
