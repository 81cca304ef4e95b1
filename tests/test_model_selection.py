import builtins
import functools

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skprune.model_selection import (
    InMemoryCache,
    n_params_scorer,
    n_units_scorer,
    pruning_curve,
)
from skprune.tree import TreePruner

RATES = [0.0, 0.3, 0.6, 0.9]


class CountingTree(DecisionTreeClassifier):
    """A tree that counts its fits."""

    n_fits = 0

    def fit(self, X, y, sample_weight=None, check_input=True):
        type(self).n_fits += 1
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


@pytest.mark.parametrize("method", ["cost_complexity", "reduced_error"])
def test_pruning_curve_fits_once_per_fold_and_matches_grid_search(noisy_600, method):
    X, y = noisy_600
    cv = KFold(3, shuffle=True, random_state=0)
    pruner = TreePruner(CountingTree(random_state=0), method=method, random_state=0)
    CountingTree.n_fits = 0
    curve = pruning_curve(pruner, X, y, prune_rates=RATES, cv=cv)
    assert CountingTree.n_fits == 3

    search = GridSearchCV(pruner, {"prune_rate": RATES}, cv=cv, refit=False)
    search.fit(X, y)
    np.testing.assert_allclose(
        curve.test_scores.mean(axis=1), search.cv_results_["mean_test_score"]
    )
    assert curve.test_scores.shape == (len(RATES), 3)
    assert np.all(np.diff(curve.n_units, axis=0) <= 0)
    assert np.all(curve.n_units[0] == curve.n_units_before)
    assert np.all(curve.n_params <= curve.n_params_before)
    assert not hasattr(pruner, "estimator_")


def test_pruning_curve_on_a_pipeline_with_sample_weight(noisy_600):
    X, y = noisy_600
    weight = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    pipeline = make_pipeline(StandardScaler(), TreePruner(CountingTree(random_state=0)))
    CountingTree.n_fits = 0
    curve = pruning_curve(
        pipeline, X, y, prune_rates=RATES, cv=3, sample_weight=weight,
        scoring="balanced_accuracy",
    )  # fmt: skip
    assert CountingTree.n_fits == 3
    assert curve.train_scores.shape == (len(RATES), 3)
    # Unpruned trees fit the training folds almost perfectly.
    assert curve.train_scores[0].min() > 0.95


def test_pruning_curve_keeps_the_users_memory(noisy_600, tmp_path):
    X, y = noisy_600
    memory = InMemoryCache()
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), memory=memory)
    pruning_curve(pruner, X, y, prune_rates=RATES, cv=3)
    pruning_curve(pruner, X, y, prune_rates=RATES, cv=3)
    assert memory.n_calls_ == 3


@pytest.mark.parametrize(
    "func", [abs, functools.partial(pow, 2)], ids=["builtin", "partial"]
)
def test_in_memory_cache_keys_callables_without_python_code(func):
    memory = InMemoryCache()
    cached = memory.cache(func)
    assert cached(-3) == func(-3)
    assert cached(-3) == func(-3)
    assert cached(4) == func(4)
    assert memory.n_calls_ == 2


@pytest.mark.parametrize("rates", [[], [1.0], [-0.1], ["half"], [0.2, None]])
def test_pruning_curve_rejects_bad_rates(noisy_600, rates):
    X, y = noisy_600
    pruner = TreePruner(DecisionTreeClassifier())
    with pytest.raises(ValueError, match="prune_rates must hold"):
        pruning_curve(pruner, X, y, prune_rates=rates)


def test_pruning_curve_needs_a_pruner(noisy_600):
    X, y = noisy_600
    with pytest.raises(TypeError, match="Expected a pruner"):
        pruning_curve(DecisionTreeClassifier(), X, y, prune_rates=RATES)


def test_size_scorers_fill_cv_results(noisy_600):
    X, y = noisy_600
    search = GridSearchCV(
        TreePruner(DecisionTreeClassifier(random_state=0)),
        {"prune_rate": RATES},
        scoring={"score": "accuracy", "n_units": n_units_scorer,
                 "n_params": n_params_scorer},
        refit="score",
        cv=3,
    )  # fmt: skip
    search.fit(X, y)
    n_units = search.cv_results_["mean_test_n_units"]
    assert np.all(np.diff(n_units) < 0)
    assert search.best_estimator_.n_units_after_ < n_units[0]


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_display_from_estimator(pyplot, noisy_600):
    from skprune.inspection import PruningCurveDisplay

    X, y = noisy_600
    display = PruningCurveDisplay.from_estimator(
        TreePruner(DecisionTreeClassifier(random_state=0)),
        X, y, prune_rates=RATES, cv=3, size="n_params", score_type="both",
    )  # fmt: skip
    assert len(display.lines_) == 2
    assert display.size_ax_.get_ylabel() == "Parameters left"
    best = RATES[int(np.argmax(display.test_scores.mean(axis=1)))]
    assert display.best_prune_rate == best
    assert display.best_line_.get_xdata()[0] == best


def test_display_from_cv_results(pyplot, noisy_600):
    from skprune.inspection import PruningCurveDisplay

    X, y = noisy_600
    pipeline = make_pipeline(StandardScaler(), TreePruner(DecisionTreeClassifier()))
    search = GridSearchCV(
        pipeline,
        {"treepruner__prune_rate": [0.9, 0.0, "auto", 0.5]},
        scoring={"accuracy": "accuracy", "n_units": n_units_scorer},
        refit="accuracy",
        cv=3,
    )
    search.fit(X, y)
    with pytest.warns(UserWarning, match="Left out 1 candidate"):
        display = PruningCurveDisplay.from_cv_results(
            search.cv_results_, score_name="accuracy"
        )
    np.testing.assert_array_equal(display.prune_rates, [0.0, 0.5, 0.9])
    sizes = display.sizes.mean(axis=1)
    assert sizes[0] > sizes[1] > sizes[2]
    assert display.size_line_ is not None


def test_display_from_cv_results_errors(pyplot, noisy_600):
    from skprune.inspection import PruningCurveDisplay

    X, y = noisy_600
    search = GridSearchCV(DecisionTreeClassifier(), {"max_depth": [2, 3]}, cv=2)
    search.fit(X, y)
    with pytest.raises(ValueError, match="Could not find the prune-rate parameter"):
        PruningCurveDisplay.from_cv_results(search.cv_results_)

    search = GridSearchCV(
        TreePruner(DecisionTreeClassifier()),
        {"prune_rate": [0.0, 0.5], "estimator__max_depth": [3, 5]},
        cv=2,
    )
    search.fit(X, y)
    with pytest.raises(ValueError, match="several candidates per prune_rate"):
        PruningCurveDisplay.from_cv_results(search.cv_results_)

    search = GridSearchCV(TreePruner(DecisionTreeClassifier()), {"prune_rate": RATES})
    search.fit(X, y)
    with pytest.raises(ValueError, match="return_train_score"):
        PruningCurveDisplay.from_cv_results(
            search.cv_results_, param_name="prune_rate", score_type="both"
        )
    with pytest.raises(ValueError, match="no parameter 'rate'"):
        PruningCurveDisplay.from_cv_results(search.cv_results_, param_name="rate")


def test_display_without_matplotlib(monkeypatch, noisy_600):
    from skprune.inspection import PruningCurveDisplay

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    display = PruningCurveDisplay(
        prune_rates=np.array([0.0]), test_scores=np.ones((1, 2))
    )
    with pytest.raises(ImportError, match=r"skprune\[plot\]"):
        display.plot()


def test_pruning_curve_without_train_scores(noisy_600):
    X, y = noisy_600
    pruner = TreePruner(DecisionTreeClassifier(random_state=0))
    curve = pruning_curve(
        pruner, X, y, prune_rates=RATES, cv=3, return_train_score=False
    )
    assert np.isnan(curve.train_scores).all()
    assert np.isfinite(curve.test_scores).all()


def test_search_over_base_parameters_fits_each_configuration_once_per_fold(
    noisy_600, tmp_path
):
    from sklearn.model_selection import RandomizedSearchCV

    X, y = noisy_600
    pruner = TreePruner(CountingTree(random_state=0), memory=str(tmp_path))
    grid = {"estimator__max_depth": [3, 6], "prune_rate": [0.0, 0.5, 0.9]}
    CountingTree.n_fits = 0
    GridSearchCV(pruner, grid, cv=3, refit=False).fit(X, y)
    assert CountingTree.n_fits == 2 * 3  # two base configurations, three folds

    CountingTree.n_fits = 0
    RandomizedSearchCV(pruner, grid, n_iter=6, cv=3, refit=False, random_state=0).fit(
        X, y
    )
    assert CountingTree.n_fits == 0  # every configuration is in the cache now


def test_halving_search_over_prune_rate(noisy_600, tmp_path):
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV

    X, y = noisy_600
    pruner = TreePruner(CountingTree(random_state=0), memory=str(tmp_path))
    CountingTree.n_fits = 0
    search = HalvingGridSearchCV(
        pruner, {"prune_rate": RATES}, cv=3, factor=2, random_state=0, refit=False
    ).fit(X, y)
    # Each iteration trains on a new number of samples: one base fit per
    # iteration and fold, however many candidates the iteration keeps.
    assert CountingTree.n_fits == search.n_iterations_ * 3
    assert search.best_params_["prune_rate"] in RATES
