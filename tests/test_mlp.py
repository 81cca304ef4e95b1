import functools
import math
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import (
    load_diabetes,
    load_digits,
    make_friedman1,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

from skprune.neural_network import MLPPruner, compress_mlp
from skprune.neural_network._network import backward, data_loss, forward, l2_penalty
from skprune.neural_network._network import targets_of as network_targets
from skprune.utils import cubic_schedule

# Tiny networks trained for few epochs: they do not converge, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True, scope="module")
def single_blas_thread():
    # The networks are tiny: several BLAS threads only wait on each other (on a
    # loaded 2-core machine, a 0.1 s L-BFGS fit took 5 s).
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@functools.cache
def digits_unit_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.3, random_state=0, stratify=y)


def small_mlp(**params):
    defaults = dict(hidden_layer_sizes=(32, 16), max_iter=60, random_state=0)
    return MLPClassifier(**{**defaults, **params})


@functools.cache
def fitted_digits_mlp(hidden_layer_sizes=(32, 16)):
    X_train, _, y_train, _ = digits_unit_split()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return small_mlp(hidden_layer_sizes=hidden_layer_sizes).fit(X_train, y_train)


def frozen_digits_pruner(**params):
    """A pruner of the shared fitted digits network (never refitted)."""
    return MLPPruner(FrozenEstimator(fitted_digits_mlp()), random_state=0, **params)


def regression_data():
    X, y = make_friedman1(n_samples=800, noise=0.5, random_state=0)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def weight_bytes(mlp):
    return sum(a.nbytes for a in mlp.coefs_ + mlp.intercepts_)


# ------------------------------------------------------------ weight method --


@pytest.mark.parametrize("scope", ["layer", "global"])
@pytest.mark.parametrize("n_iterations", [1, 3])
def test_weight_pruning_keeps_exact_zeros_through_fine_tuning(scope, n_iterations):
    X_train, _, y_train, _ = digits_unit_split()
    base = fitted_digits_mlp()
    pruner = frozen_digits_pruner(
        method="weight",
        prune_rate=0.8,
        scope=scope,
        n_iterations=n_iterations,
        fine_tune_epochs=3,
    ).fit(X_train, y_train)
    coefs = pruner.estimator_.coefs_
    n_weights = [c.size for c in base.coefs_]
    n_nonzero = [np.count_nonzero(c) for c in coefs]
    if scope == "layer":
        assert n_nonzero == [math.ceil(round(0.2 * n, 9)) for n in n_weights]
    else:
        assert sum(n_nonzero) == math.ceil(round(0.2 * sum(n_weights), 9))
    assert pruner.n_units_after_ == sum(n_nonzero)
    assert pruner.n_units_before_ == sum(n_weights)
    assert pruner.prune_rate_ == pytest.approx(0.8, abs=1e-3)
    # Fine-tuning moved the kept weights; the pruned ones are exactly zero.
    kept = [c != 0 for c in coefs]
    assert not np.allclose(coefs[0][kept[0]], base.coefs_[0][kept[0]])
    assert all(c.shape == b.shape for c, b in zip(coefs, base.coefs_, strict=True))
    assert pruner.n_params_after_ == sum(n_nonzero) + sum(
        b.size for b in base.intercepts_
    )


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_weight_pruning_fine_tunes_every_solver(solver):
    X_train, X_test, y_train, y_test = digits_unit_split()
    mlp = small_mlp(solver=solver, learning_rate_init=0.01, max_iter=80)
    # One round: the weights pruned are then the same with and without tuning.
    common = dict(method="weight", prune_rate=0.7, n_iterations=1, random_state=0)
    pruner = MLPPruner(mlp, fine_tune_epochs=5, **common).fit(X_train, y_train)
    not_tuned = MLPPruner(mlp, fine_tune_epochs=0, **common).fit(X_train, y_train)
    masks = [c == 0 for c in not_tuned.estimator_.coefs_]
    for coef, mask in zip(pruner.estimator_.coefs_, masks, strict=True):
        assert np.all(coef[mask] == 0.0)
        assert np.all(coef[~mask] != 0.0)
    assert pruner.fine_tune_loss_ is not None and not_tuned.fine_tune_loss_ is None
    assert pruner.score(X_test, y_test) >= not_tuned.score(X_test, y_test) - 0.01


def test_weight_magnitude_rule_is_layerwise_smallest_magnitude():
    X_train, _, y_train, _ = digits_unit_split()
    base = fitted_digits_mlp()
    pruner = frozen_digits_pruner(
        method="weight", scope="layer", prune_rate=0.6, fine_tune_epochs=0
    ).fit(X_train, y_train)
    for pruned, original in zip(pruner.estimator_.coefs_, base.coefs_, strict=True):
        kept = pruned != 0
        assert np.abs(original[kept]).min() >= np.abs(original[~kept]).max()
        np.testing.assert_array_equal(pruned[kept], original[kept])


# ------------------------------------------------------------ neuron method --


@pytest.mark.parametrize("criterion", ["taylor", "activation", "l2"])
def test_neuron_pruning_gives_a_smaller_native_mlp(criterion):
    X_train, X_test, y_train, y_test = digits_unit_split()
    pruner = frozen_digits_pruner(
        prune_rate=0.5, criterion=criterion, fine_tune_epochs=2
    ).fit(X_train, y_train)
    mlp = pruner.estimator_
    assert type(mlp) is MLPClassifier
    assert mlp.hidden_layer_sizes == (16, 8)
    assert [c.shape for c in mlp.coefs_] == [(64, 16), (16, 8), (8, 10)]
    assert [b.shape for b in mlp.intercepts_] == [(16,), (8,), (10,)]
    assert mlp.n_layers_ == 4
    assert (pruner.n_units_before_, pruner.n_units_after_) == (48, 24)
    assert pruner.prune_rate_ == 0.5
    assert pruner.n_params_after_ == 64 * 16 + 16 * 8 + 8 * 10 + 16 + 8 + 10
    assert mlp.predict_proba(X_test).shape == (len(X_test), 10)
    np.testing.assert_array_equal(pruner.predict(X_test), mlp.predict(X_test))

    restored = pickle.loads(pickle.dumps(mlp))
    np.testing.assert_array_equal(
        restored.predict_proba(X_test), mlp.predict_proba(X_test)
    )
    # The pruned shape is a plain hyper-parameter: a clone grows that network.
    scratch = clone(mlp).set_params(max_iter=5).fit(X_train, y_train)
    assert [c.shape for c in scratch.coefs_] == [c.shape for c in mlp.coefs_]


def test_pruned_mlp_has_no_solver_state_and_trains_further():
    X_train, _, y_train, _ = digits_unit_split()
    # A network that stopped because its loss no longer improved.
    mlp = small_mlp(n_iter_no_change=2, tol=0.05).fit(X_train, y_train)
    assert mlp.n_iter_ < 60 and mlp._no_improvement_count > 2
    pruner = MLPPruner(FrozenEstimator(mlp), prune_rate=0.5, fine_tune_epochs=1)
    pruned = pruner.fit(X_train, y_train).estimator_
    assert not hasattr(pruned, "_optimizer")
    # The pickle carries the weights once, not Adam's moments nor a copy.
    assert len(pickle.dumps(pruned)) < 1.2 * weight_bytes(pruned) + 20_000
    assert len(pickle.dumps(mlp)) > 3 * weight_bytes(mlp)

    shapes = [c.shape for c in pruned.coefs_]
    pruned.partial_fit(X_train, y_train)  # a fresh optimizer of the pruned shapes
    assert [c.shape for c in pruned.coefs_] == shapes
    # The unpruned network's no-improvement count would stop this after one
    # epoch; the pruned network's own count starts from zero.
    pruned.set_params(warm_start=True, max_iter=2, tol=1e-4).fit(X_train, y_train)
    assert pruned.n_iter_ == 2


def test_early_stopping_warm_start_keeps_the_pruned_network():
    X_train, _, y_train, _ = digits_unit_split()
    mlp = small_mlp(early_stopping=True, max_iter=30)
    pruner = MLPPruner(mlp, prune_rate=0.5, fine_tune_epochs=1, random_state=0)
    pruned = pruner.fit(X_train, y_train).estimator_
    pruned.set_params(warm_start=True, max_iter=2).fit(X_train, y_train)
    assert pruned.hidden_layer_sizes == (16, 8)
    assert [c.shape[1] for c in pruned.coefs_] == [16, 8, 10]


@pytest.mark.parametrize("method", ["neuron", "weight"])
def test_prune_rate_zero_equals_the_unpruned_mlp(method):
    X_train, X_test, y_train, _ = digits_unit_split()
    pruner = MLPPruner(small_mlp(), method=method, prune_rate=0.0, random_state=0)
    pruner.fit(X_train, y_train)
    np.testing.assert_array_equal(
        pruner.predict_proba(X_test), fitted_digits_mlp().predict_proba(X_test)
    )
    assert pruner.n_units_after_ == pruner.n_units_before_
    assert pruner.prune_rate_ == 0.0


@pytest.mark.parametrize(
    "params",
    [
        dict(method="neuron", prune_rate=0.5),
        dict(method="neuron", prune_rate=0.5, n_iterations=1, criterion="taylor"),
        dict(method="weight", prune_rate=0.8),
    ],
)
def test_accuracy_is_kept_at_moderate_rates(params):
    X_train, X_test, y_train, y_test = digits_unit_split()
    base_score = fitted_digits_mlp().score(X_test, y_test)
    pruner = frozen_digits_pruner(fine_tune_epochs=30, **params)
    pruner.fit(X_train, y_train)
    assert pruner.score(X_test, y_test) >= base_score - 0.02


def test_bias_compensation_removes_constant_units_exactly():
    X_train, X_test, y_train, _ = digits_unit_split()
    mlp = pickle.loads(pickle.dumps(fitted_digits_mlp()))  # a private copy
    constant = [0, 5, 9]
    mlp.coefs_[0][:, constant] = 0.0
    mlp.intercepts_[0][constant] = [0.3, 0.0, 1.2]  # ReLU outputs 0.3, 0, 1.2

    def constant_units_last(estimator, X, y, sample_weight):
        scores = [np.ones(c.shape[1]) for c in estimator.coefs_[:-1]]
        scores[0][constant] = 0.0
        return scores

    pruner = MLPPruner(
        FrozenEstimator(mlp),
        prune_rate=3 / 48,
        scope="global",
        criterion=constant_units_last,
        n_iterations=1,  # the criterion names units by their original index
        fine_tune_epochs=0,
    ).fit(X_train, y_train)
    assert pruner.estimator_.hidden_layer_sizes == (29, 16)
    np.testing.assert_allclose(
        pruner.predict_proba(X_test), mlp.predict_proba(X_test), rtol=1e-10
    )


def test_callable_criterion_chooses_the_units():
    X_train, _, y_train, _ = digits_unit_split()
    base = fitted_digits_mlp()

    def prefer_high_index(estimator, X, y, sample_weight):
        assert X.shape[1] == 64 and len(y) == len(X)
        return [np.arange(c.shape[1], dtype=float) for c in estimator.coefs_[:-1]]

    pruner = frozen_digits_pruner(
        prune_rate=0.25, criterion=prefer_high_index, fine_tune_epochs=0
    ).fit(X_train, y_train)
    coefs = pruner.estimator_.coefs_
    np.testing.assert_array_equal(coefs[0], base.coefs_[0][:, 8:])
    np.testing.assert_array_equal(coefs[1], base.coefs_[1][8:, 4:])
    np.testing.assert_array_equal(coefs[2], base.coefs_[2][4:])


def test_global_scope_never_empties_a_layer():
    X_train, _, y_train, _ = digits_unit_split()

    def second_layer_useless(estimator, X, y, sample_weight):
        first, second = (c.shape[1] for c in estimator.coefs_[:-1])
        return [np.full(first, 10.0), np.zeros(second)]

    pruner = frozen_digits_pruner(
        prune_rate=0.9, scope="global", criterion=second_layer_useless
    ).fit(X_train, y_train)
    assert pruner.estimator_.hidden_layer_sizes == (4, 1)
    assert pruner.n_units_after_ == math.ceil(0.1 * 48)


def test_iterative_pruning_follows_the_cubic_schedule():
    rates = cubic_schedule(0.8, 4)
    np.testing.assert_allclose(
        rates, [0.8 * (1 - (1 - t / 4) ** 3) for t in (1, 2, 3, 4)]
    )
    assert rates[-1] == 0.8 and np.all(np.diff(rates) > 0)
    assert np.all(np.diff(np.diff(rates)) < 0)  # big steps first

    X_train, _, y_train, _ = digits_unit_split()
    sizes = []

    def recording_l2(estimator, X, y, sample_weight):
        sizes.append(tuple(c.shape[1] for c in estimator.coefs_[:-1]))
        return [np.linalg.norm(c, axis=0) for c in estimator.coefs_[:-1]]

    frozen_digits_pruner(
        prune_rate=0.75, n_iterations=3, criterion=recording_l2, fine_tune_epochs=1
    ).fit(X_train, y_train)
    assert sizes == [(32, 16), (16, 8), (9, 5)]


def test_auto_prune_rate_stays_within_tol():
    X_train, _, y_train, _ = digits_unit_split()
    common = dict(prune_rate="auto", fine_tune_epochs=3, random_state=0)
    loose = MLPPruner(small_mlp(), tol=1.0, **common).fit(X_train, y_train)
    assert loose.n_units_after_ == math.ceil(0.05 * 32) + math.ceil(0.05 * 16)
    strict = MLPPruner(small_mlp(), tol=0.0, **common).fit(X_train, y_train)
    assert strict.prune_rate_ < loose.prune_rate_
    # The held-out rows are not used to fit the unpruned network.
    assert strict.estimator_.n_features_in_ == 64


def test_frozen_estimator_is_pruned_without_refit_or_change():
    X_train, _, y_train, _ = digits_unit_split()
    mlp = fitted_digits_mlp()
    state = pickle.dumps(mlp)
    pruner = frozen_digits_pruner(prune_rate=0.5).fit(X_train, y_train)
    assert pickle.dumps(mlp) == state
    assert pruner.estimator_ is not mlp
    assert pruner.n_units_before_ == 48


@pytest.mark.parametrize("method", ["neuron", "weight"])
def test_user_estimator_is_not_modified(method):
    X_train, _, y_train, _ = digits_unit_split()
    mlp = small_mlp(max_iter=5)
    params = mlp.get_params()
    MLPPruner(mlp, method=method, fine_tune_epochs=1).fit(X_train, y_train)
    assert mlp.get_params() == params
    assert not hasattr(mlp, "coefs_")


@pytest.mark.parametrize("method", ["neuron", "weight"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_regression(method, solver):
    X_train, X_test, y_train, y_test = regression_data()
    mlp = MLPRegressor(
        hidden_layer_sizes=(32, 16),
        solver=solver,
        max_iter=300,
        learning_rate_init=0.01,
        random_state=0,
    )
    base_score = clone(mlp).fit(X_train, y_train).score(X_test, y_test)
    pruner = MLPPruner(
        mlp, method=method, prune_rate=0.5, fine_tune_epochs=20, random_state=0
    ).fit(X_train, y_train)
    assert is_regressor(pruner) and not is_classifier(pruner)
    assert not hasattr(pruner, "predict_proba")
    assert type(pruner.estimator_) is MLPRegressor
    assert pruner.score(X_test, y_test) > base_score - 0.05


def test_poisson_regression_and_multioutput():
    X, y = load_diabetes(return_X_y=True)
    mlp = MLPRegressor(
        hidden_layer_sizes=(16,), loss="poisson", max_iter=100, random_state=0
    )
    pruner = MLPPruner(mlp, prune_rate=0.5, fine_tune_epochs=3, random_state=0)
    assert pruner.fit(X, y).predict(X).min() > 0
    Y = np.column_stack([y, -y]) / 100
    mlp = MLPRegressor(hidden_layer_sizes=(16,), max_iter=100, random_state=0)
    pruner = MLPPruner(mlp, prune_rate=0.5, fine_tune_epochs=3, random_state=0)
    assert pruner.fit(X, Y).predict(X).shape == (len(X), 2)


@pytest.mark.parametrize("kind", ["binary", "multilabel"])
def test_logistic_output_classifiers(kind):
    if kind == "binary":
        X_train, X_test, y_train, y_test = digits_unit_split()
        y_train, y_test = y_train % 2, y_test % 2
    else:
        X, y = make_multilabel_classification(n_samples=400, random_state=0)
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    pruner = MLPPruner(
        small_mlp(activation="tanh"), prune_rate=0.5, distillation=0.5, random_state=0
    ).fit(X_train, y_train)
    assert pruner.estimator_.out_activation_ == "logistic"
    assert pruner.predict(X_test).shape == np.shape(y_test)


def test_sparse_float32_and_sample_weight_inputs():
    X_train, X_test, y_train, y_test = digits_unit_split()
    X32 = X_train.astype(np.float32)
    pruner = MLPPruner(small_mlp(), prune_rate=0.5, fine_tune_epochs=2)
    assert pruner.fit(X32, y_train).estimator_.coefs_[0].dtype == np.float32
    pruner = MLPPruner(small_mlp(), method="weight", random_state=0)
    pruner.fit(sp.csr_matrix(X_train), y_train)
    assert pruner.score(sp.csr_matrix(X_test), y_test) > 0.9
    weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y_train))
    pruner = MLPPruner(small_mlp(), prune_rate=0.5, random_state=0)
    pruner.fit(X_train, y_train, sample_weight=weight)
    assert pruner.score(X_test, y_test) > 0.9


def test_our_gradients_are_the_estimators_own():
    """Fine-tuning and Taylor scores minimise exactly what the estimator does."""
    X_train, _, y_train, _ = digits_unit_split()
    X, y = X_train[:50], y_train[:50]
    weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    X_r, _, y_r, _ = regression_data()
    cases = [
        (fitted_digits_mlp(), X, y),
        (clone(small_mlp(alpha=0.1, max_iter=3)).fit(X, y % 2), X, y % 2),
        (
            MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, alpha=0.5).fit(X_r, y_r),
            X_r[:50],
            y_r[:50],
        ),
    ]
    for mlp, X_case, y_case in cases:
        targets = network_targets(mlp, y_case, np.float64)
        n_layers = len(mlp.coefs_)
        sk_coef_grads = [np.empty_like(c) for c in mlp.coefs_]
        sk_intercept_grads = [np.empty_like(b) for b in mlp.intercepts_]
        sk_loss, sk_coef_grads, sk_intercept_grads = mlp._backprop(
            X_case,
            targets,
            weight,
            [X_case] + [None] * n_layers,
            [None] * n_layers,
            sk_coef_grads,
            sk_intercept_grads,
        )
        activations = forward(mlp, X_case)
        coef_grads, intercept_grads = backward(
            mlp, activations, targets, weight, mlp.coefs_, mlp.alpha
        )
        for ours, theirs in zip(
            coef_grads + intercept_grads,
            sk_coef_grads + sk_intercept_grads,
            strict=True,
        ):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
        loss = data_loss(mlp, activations[-1], targets, weight)
        loss += l2_penalty(mlp.coefs_, mlp.alpha, weight.sum())
        assert loss == pytest.approx(sk_loss, rel=1e-9)


@pytest.mark.parametrize("max_density", [None, 0.3, 1.0])
def test_compress_mlp_predicts_like_the_pruned_network(max_density):
    X_train, X_test, y_train, _ = digits_unit_split()
    pruned = frozen_digits_pruner(
        method="weight", prune_rate=0.8, fine_tune_epochs=1
    ).fit(X_train, y_train)
    mlp = pruned.estimator_
    compact = compress_mlp(mlp, dtype=np.float32, max_density=max_density)
    kinds = [sp.issparse(c) for c in compact.coefs_]
    densities = [np.count_nonzero(c) / c.size for c in mlp.coefs_]
    expected = [max_density is not None and d <= max_density for d in densities]
    assert kinds == expected
    assert all(b.dtype == np.float32 for b in compact.intercepts_)
    np.testing.assert_allclose(
        compact.predict_proba(X_test.astype(np.float32)),
        mlp.predict_proba(X_test),
        atol=1e-5,
    )
    assert all(isinstance(c, np.ndarray) for c in mlp.coefs_)  # not modified
    restored = pickle.loads(pickle.dumps(compact))
    np.testing.assert_array_equal(restored.predict(X_test), compact.predict(X_test))


def test_compress_mlp_rejects_bad_input():
    with pytest.raises(ValueError, match="max_density"):
        compress_mlp(fitted_digits_mlp(), max_density=2.0)
    with pytest.raises(ValueError, match="estimator"):
        compress_mlp(LogisticRegression())
    with pytest.raises(NotFittedError):
        compress_mlp(small_mlp())


def test_dataframe_input_keeps_feature_names_without_warnings():
    pd = pytest.importorskip("pandas")
    X_train, X_test, y_train, _ = digits_unit_split()
    columns = [f"pixel_{i}" for i in range(64)]
    X_frame = pd.DataFrame(X_train, columns=columns)
    pruner = MLPPruner(small_mlp(), prune_rate="auto", fine_tune_epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        pruner.fit(X_frame, y_train)
        pruner.predict(pd.DataFrame(X_test, columns=columns))
    np.testing.assert_array_equal(pruner.feature_names_in_, columns)


def test_zero_weight_rows_are_ignored_by_the_criteria():
    X_train, _, y_train, _ = digits_unit_split()
    weight = np.ones(len(y_train))
    weight[::2] = 0.0
    X_noisy = X_train.copy()
    X_noisy[::2] = np.random.RandomState(0).normal(size=X_noisy[::2].shape) * 100
    seen = []

    def recording(estimator, X, y, sample_weight):
        seen.append(len(X))
        assert np.all(sample_weight > 0)
        return [np.ones(c.shape[1]) for c in estimator.coefs_[:-1]]

    frozen_digits_pruner(criterion=recording, fine_tune_epochs=0).fit(
        X_noisy, y_train, sample_weight=weight
    )
    assert seen == [np.count_nonzero(weight)] * 3  # one call per round


@pytest.mark.parametrize("max_fit_samples, expected", [(100, 100), (None, 1257)])
def test_max_fit_samples_bounds_the_rows_the_criteria_see(max_fit_samples, expected):
    X_train, _, y_train, _ = digits_unit_split()
    seen = []

    def recording(estimator, X, y, sample_weight):
        seen.append(len(X))
        return [np.ones(c.shape[1]) for c in estimator.coefs_[:-1]]

    frozen_digits_pruner(
        criterion=recording, fine_tune_epochs=0, max_fit_samples=max_fit_samples
    ).fit(X_train, y_train)
    assert seen == [expected] * 3  # one call per round


# ---------------------------------------------------------- sklearn plumbing --


class CountingMLP(MLPClassifier):
    """An MLP that counts its fits, to see what the cache saves."""

    n_fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).n_fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


def test_memory_fits_the_base_mlp_once_per_fold(tmp_path):
    X_train, _, y_train, _ = digits_unit_split()
    CountingMLP.n_fits = 0
    pruner = MLPPruner(
        CountingMLP((16,), max_iter=20, random_state=0),
        fine_tune_epochs=1,
        random_state=0,
        memory=str(tmp_path),
    )
    search = GridSearchCV(pruner, {"prune_rate": [0.0, 0.5, 0.8]}, cv=2)
    search.fit(X_train, y_train)
    assert CountingMLP.n_fits == 2 + 1
    assert search.best_estimator_.estimator_.hidden_layer_sizes[0] <= 16


# ----------------------------------------------------------------- bad input --


@pytest.mark.parametrize(
    "params, match",
    [
        ({"prune_rate": 1.0}, "prune_rate"),
        ({"prune_rate": -0.1}, "prune_rate"),
        ({"prune_rate": "most"}, "prune_rate"),
        ({"method": "filter"}, "method"),
        ({"scope": "network"}, "scope"),
        ({"criterion": "random"}, "criterion"),
        ({"fine_tune_epochs": -1}, "fine_tune_epochs"),
        ({"fine_tune_epochs": 2.5}, "fine_tune_epochs"),
        ({"n_iterations": 0}, "n_iterations"),
        ({"distillation": 1.5}, "distillation"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"tol": -1.0}, "tol"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
    ],
)
def test_invalid_parameters_are_named(params, match):
    X_train, _, y_train, _ = digits_unit_split()
    with pytest.raises(ValueError, match=match):
        MLPPruner(small_mlp(), **params).fit(X_train, y_train)


def test_non_mlp_estimator_is_rejected():
    X_train, _, y_train, _ = digits_unit_split()
    with pytest.raises(TypeError, match="MLPPruner prunes MLPClassifier, MLPRegressor"):
        MLPPruner(LogisticRegression()).fit(X_train, y_train)


def test_frozen_unfitted_estimator_is_rejected():
    X_train, _, y_train, _ = digits_unit_split()
    with pytest.raises(NotFittedError, match="FrozenEstimator is not fitted"):
        MLPPruner(FrozenEstimator(small_mlp())).fit(X_train, y_train)


def test_predict_before_fit_and_wrong_feature_count():
    X_train, _, y_train, _ = digits_unit_split()
    pruner = frozen_digits_pruner(fine_tune_epochs=0)
    with pytest.raises(NotFittedError):
        pruner.predict(X_train)
    pruner.fit(X_train, y_train)
    with pytest.raises(ValueError, match="X has 10 features"):
        pruner.predict(X_train[:, :10])


@pytest.mark.parametrize(
    "scores, match",
    [
        (lambda e: [np.ones(3)], "lengths"),
        (lambda e: [np.ones(c.shape[1]) * np.nan for c in e.coefs_[:-1]], "finite"),
        (lambda e: None, "one array of scores per hidden layer"),
    ],
)
def test_bad_criterion_output_is_rejected(scores, match):
    X_train, _, y_train, _ = digits_unit_split()
    pruner = frozen_digits_pruner(criterion=lambda e, X, y, w: scores(e))
    with pytest.raises(ValueError, match=match):
        pruner.fit(X_train, y_train)


def test_too_few_samples_for_auto():
    X_train, _, y_train, _ = digits_unit_split()
    pruner = MLPPruner(small_mlp(), prune_rate="auto", validation_fraction=0.5)
    with pytest.raises(ValueError, match="validation_fraction=0.5.*n_samples=2"):
        pruner.fit(X_train[:2], y_train[:2])


def test_verbose_prints_a_line_per_round(capsys):
    X_train, _, y_train, _ = digits_unit_split()
    frozen_digits_pruner(prune_rate=0.5, n_iterations=2).fit(X_train, y_train)
    assert capsys.readouterr().out == ""
    frozen_digits_pruner(prune_rate=0.5, n_iterations=2, verbose=1).fit(
        X_train, y_train
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("[MLPPruner] pruned to rate") for line in lines)
    assert "24 neurons left" in lines[-1]  # half of 32 + 16
    frozen_digits_pruner(prune_rate="auto", verbose=1).fit(X_train, y_train)
    assert "auto: held-out score" in capsys.readouterr().out
