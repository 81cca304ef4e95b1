"""MLPPruner: weight (unstructured) and neuron (structured) pruning of MLPs."""

import copy
import math
from numbers import Integral, Real

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _num_samples, check_array

from .._selection import global_top, top
from ..base import BasePruner
from ..utils import (
    AUTO_RATES,
    MAX_FIT_SAMPLES,
    TOL,
    VALIDATION_FRACTION,
    VERBOSE,
    cubic_schedule,
    log_step,
    n_kept,
    prune_progressively,
    subsample_rows,
    take_rows,
)
from ._criteria import CRITERIA
from ._fine_tune import fine_tune
from ._network import (
    forward,
    hidden_sizes,
    remove_units,
    set_hidden_layer_sizes,
    strip_training_state,
    targets_of,
)

# The default fine-tuning learning rate is this many times the estimator's
# learning_rate_init, at most _MAX_DEFAULT_LEARNING_RATE: a pruned network has
# to move away from the unpruned optimum, and a much larger rate makes Adam
# diverge (see the learning_rate docstring).
_LEARNING_RATE_FACTOR = 10
_MAX_DEFAULT_LEARNING_RATE = 0.01

# fine_tune_epochs="auto" fine-tunes, over all rounds, this share of the
# epochs the estimator was trained for (its n_iter_).
_AUTO_EPOCHS_SHARE = 0.25


class MLPPruner(BasePruner):
    """Prune the weights or the hidden units of a multi-layer perceptron.

    The wrapped :class:`~sklearn.neural_network.MLPClassifier` or
    :class:`~sklearn.neural_network.MLPRegressor` is fitted (or taken as it is
    from a :class:`~sklearn.frozen.FrozenEstimator`), a copy is pruned and
    fine-tuned, and exposed as ``estimator_``: a plain scikit-learn MLP that
    predicts, pickles and trains further (``partial_fit``, ``warm_start``)
    with no skprune code.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        The network to prune; unfitted, or fitted and wrapped in
        :class:`~sklearn.frozen.FrozenEstimator`. It is never modified. Any
        activation, loss and solver.

    method : {"neuron", "weight"}, default="neuron"
        - ``"neuron"`` (structured): remove whole hidden units, i.e. a column
          of ``coefs_[l]``, an entry of ``intercepts_[l]`` and a row of
          ``coefs_[l + 1]``; ``hidden_layer_sizes`` is updated, so
          ``estimator_`` is a smaller network and predicts faster. The mean
          output of each removed unit on the training data is added to the
          next layer's bias, so a unit that is constant on the data is
          removed exactly. At least one unit of each layer is kept.
          ``prune_rate`` is the fraction of the hidden units removed.
        - ``"weight"`` (unstructured): set the weights of smallest magnitude in
          ``coefs_`` (every layer, the output layer included; intercepts are
          kept) to exactly zero; they stay zero through fine-tuning.
          ``prune_rate`` is the fraction of the nonzero weights removed. The
          arrays keep their shapes: the model compresses well but predicts no
          faster (see :func:`compress_mlp`).

    prune_rate : float in [0, 1) or "auto", default=0.5
        Fraction of the hidden units (``"neuron"``) or of the weights
        (``"weight"``) to remove; per layer it is rounded so that
        ``ceil((1 - prune_rate) * n)`` are kept, and ``prune_rate_`` is the
        fraction actually removed. 0 returns the unpruned weights, without
        fine-tuning.

        ``"auto"``: the largest of the rates 0.1, 0.2, ..., 0.9, 0.95 whose
        held-out score (accuracy or R^2) is within ``tol`` of the unpruned
        network's. The network is pruned progressively, each rate one round
        of pruning and fine-tuning from the previous one, through all the
        rates; the model of the largest rate within ``tol`` is kept (rates
        are not skipped at the first miss: a round can dip below ``tol`` and
        the next recover). The held-out set is a
        random (stratified for classifiers) share ``validation_fraction`` of
        the samples of positive weight. An unfitted network is then fitted
        on the other samples. With a ``FrozenEstimator`` the other samples
        are used for the criteria and the fine-tuning only: pass data the
        network was not trained on, or the unpruned network, which memorised
        its training data, sets a bar the pruned ones do not reach.

    scope : {"auto", "layer", "global"}, default="auto"
        ``"layer"``: every layer loses ``prune_rate`` of its units (weights).
        ``"global"``: one ranking over all layers, with at least one unit
        (weight) kept in each; weight magnitudes are compared as they are,
        unit scores after dividing each layer's by its mean. ``"auto"`` is
        ``"global"`` for weights and ``"layer"`` for neurons: weights compare
        across layers as they are, unit scores do not.

    criterion : {"l2", "taylor", "activation"} or callable, default="l2"
        Importance of a hidden unit, for ``method="neuron"``; the lowest
        scoring units are removed. Data-dependent criteria see at most
        ``max_fit_samples`` training rows.

        - ``"l2"``: norm of the unit's incoming and outgoing weights together.
          Data-free; after fine-tuning it was the best of the three in our
          benchmarks.
        - ``"taylor"``: mean over samples of ``|a * dL/da|``, the first-order
          estimate of the change of the loss when activation ``a`` is set to
          zero (Molchanov et al. 2017). Best *before* fine-tuning, but on a
          network that fits its training data the gradients there are nearly
          zero and the scores noisy, so after fine-tuning it fell behind
          ``"l2"`` at high rates (see :ref:`mlp_pruning`).
        - ``"activation"``: mean ``|a|`` on the data; the units below the
          threshold that ``prune_rate`` sets are removed. The weakest of the
          three in our benchmarks.
        - a callable ``criterion(estimator, X, y, sample_weight)`` returning a
          list with one array of scores per hidden layer (``(n_units,)``,
          higher is more important) for the network being pruned, which is
          passed as ``estimator``.

    fine_tune_epochs : int >= 0 or "auto", default="auto"
        Epochs of training after each pruning round (0: none). ``"auto"``: a
        quarter of the epochs the estimator trained for (its ``n_iter_``),
        shared between the rounds, at least one per round.

        Fine-tuning minimises the estimator's own objective (its loss, its
        ``alpha``) on the training data with its solver's update rule: Adam
        with its betas and epsilon, or SGD with its momentum, on its
        ``batch_size``, with the learning rate decaying linearly to zero; for
        ``solver="lbfgs"``, ``fine_tune_epochs`` iterations of L-BFGS on all
        the data. Pruned weights are held at zero after every mini-batch
        update. The estimator's ``max_iter``, ``early_stopping``,
        ``n_iter_no_change`` and ``learning_rate`` schedule do not apply.

    n_iterations : int >= 1, default=3
        Pruning rounds, each followed by fine-tuning. The rate reached after
        round ``t`` follows the cubic schedule of Zhu & Gupta (2017),
        ``prune_rate * (1 - (1 - t / n_iterations) ** 3)``: large steps
        first, small ones once the network is small. What a round removes
        stays removed. With the same total fine-tuning, several rounds
        matched one-shot pruning (1 round) at moderate rates and beat it at
        high ones (see :ref:`mlp_pruning`). Not used with
        ``prune_rate="auto"``, which has its own rounds.

    distillation : float in [0, 1], default=0.0
        Weight of the unpruned network's outputs in the fine-tuning targets:
        ``(1 - distillation) * y + distillation * teacher``, with ``teacher``
        its probabilities (classifiers) or predictions (regressors) on the
        training data. With a log-loss this is knowledge distillation at
        temperature 1 (Hinton et al. 2015). A network that fits its training
        data perfectly outputs nearly the labels there, so distillation
        changes little; it may help when the fine-tuning data is not the
        training data.

    learning_rate : float > 0 or None, default=None
        Initial fine-tuning learning rate of the stochastic solvers. None:
        ``min(10 * learning_rate_init, 0.01)`` of the estimator: a pruned
        network has to move away from the unpruned optimum, which a larger
        rate does in fewer epochs, while a much larger one makes Adam
        diverge.

    tol : float >= 0, default=0.01
        For ``prune_rate="auto"``: the largest held-out score loss accepted
        (0.01 is one point of accuracy, or 0.01 of R^2).

    validation_fraction : float in (0, 1), default=0.1
        For ``prune_rate="auto"``: the share of the samples held out.

    max_fit_samples : int >= 1 or None, default=5000
        Training rows (of positive weight) that the data-dependent criteria
        and the bias compensation of removed units see at most, drawn at
        random: unit statistics settle long before all the rows, and scoring
        stays a few forward passes. None: all of them.

    random_state : int, RandomState instance or None, default=None
        Controls the rows the criteria see, the order of the fine-tuning
        batches and the held-out split of ``"auto"``. The network's own
        randomness is its ``random_state``.

    memory : str, object with the joblib.Memory interface or None, default=None
        Cache of the fitted unpruned network, keyed on its parameters and its
        training data: a search over ``prune_rate`` fits it once per fold.

    verbose : int, default=0
        Progress messages: at 1 or more, a line per pruning round (units left,
        fine-tuning epochs, loss and time), and with
        ``prune_rate="auto"`` the held-out score of every rate tried.

    Attributes
    ----------
    estimator_ : MLPClassifier or MLPRegressor
        The pruned network, an instance of the wrapped estimator's class,
        without solver state (no Adam moments, no copy of initial or best
        weights), so that it pickles to about the size of its weights. Its
        ``loss_curve_``, ``n_iter_`` and ``loss_`` describe the training of
        the unpruned network. Further training is the estimator's own:
        ``partial_fit`` starts a fresh optimizer, and a ``warm_start`` fit a
        fresh no-improvement count and best loss or validation score.

    n_units_before_, n_units_after_ : int
        Hidden units (``"neuron"``) or nonzero weights (``"weight"``) before
        and after pruning.

    n_params_before_, n_params_after_ : int
        Nonzero weights plus intercepts, before and after pruning.

    prune_rate_ : float
        Fraction of the units removed.

    fine_tune_epochs_ : int
        Fine-tuning epochs (L-BFGS iterations) of each round.

    fine_tune_loss_ : float or None
        Mean training loss (on the fine-tuning targets, without the L2 term)
        of the last fine-tuning epoch, or the final L-BFGS objective; None
        without fine-tuning.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    classes_ : ndarray of shape (n_classes,)
        Class labels (classifiers only).

    See Also
    --------
    compress_mlp : A copy of a pruned network with float32 or sparse weights.
    sklearn.neural_network.MLPClassifier : The networks this pruner prunes.

    Notes
    -----
    **L2 regularisation.** Fine-tuning minimises the estimator's objective,
    so its ``alpha`` keeps shrinking the kept weights, exactly as in its own
    training; a pruned weight is zero and adds nothing to the penalty or its
    gradient. A larger ``alpha`` leaves more small weights and units behind,
    which are then cheap to prune.

    **L-BFGS.** Fine-tuning a ``solver="lbfgs"`` network runs L-BFGS on the
    whole training set, ``fine_tune_epochs`` iterations (each one or a few
    passes over the data). With weight pruning the gradient of the pruned
    weights is zeroed: L-BFGS builds its steps from gradients and their
    differences, so they stay exactly zero.

    **Cost.** Pruning itself is a few forward (and, for ``"taylor"``,
    backward) passes over at most ``max_fit_samples`` rows; fine-tuning
    dominates. With
    ``fine_tune_epochs="auto"`` it costs about a quarter of the estimator's
    training epochs on the (smaller) pruned network, plus the overhead of a
    Python training loop.

    **Against a network trained from scratch.** ``clone(pruner.estimator_)``
    is the same architecture, untrained: compare with it (Liu et al. 2019).
    ``benchmarks/bench_mlp.py`` does, and :ref:`mlp_pruning` gives the
    results.

    References
    ----------
    .. [1] M. Zhu and S. Gupta, "To prune, or not to prune: exploring the
       efficacy of pruning for model compression", arXiv:1710.01878, 2017.
    .. [2] P. Molchanov, S. Tyree, T. Karras, T. Aila and J. Kautz, "Pruning
       convolutional neural networks for resource efficient inference",
       ICLR 2017.
    .. [3] G. Hinton, O. Vinyals and J. Dean, "Distilling the knowledge in a
       neural network", arXiv:1503.02531, 2015.
    .. [4] Z. Liu, M. Sun, T. Zhou, G. Huang and T. Darrell, "Rethinking the
       value of network pruning", ICLR 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.neural_network import MLPClassifier
    >>> from skprune.neural_network import MLPPruner
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    >>> mlp = MLPClassifier((64,), max_iter=500, random_state=0)
    >>> pruner = MLPPruner(mlp, prune_rate=0.5, random_state=0).fit(X_train, y_train)
    >>> pruner.n_units_before_, pruner.n_units_after_
    (64, 32)
    >>> pruner.estimator_.hidden_layer_sizes
    (32,)
    >>> round(pruner.score(X_test, y_test), 3)
    0.978
    >>> round(mlp.fit(X_train, y_train).score(X_test, y_test), 3)  # unpruned
    0.973
    """

    _supported_estimators = (MLPClassifier, MLPRegressor)

    _parameter_constraints: dict = {
        **BasePruner._parameter_constraints,
        "method": [StrOptions({"neuron", "weight"})],
        "scope": [StrOptions({"auto", "layer", "global"})],
        "criterion": [StrOptions(set(CRITERIA)), callable],
        "fine_tune_epochs": [
            Interval(Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "n_iterations": [Interval(Integral, 1, None, closed="left")],
        "distillation": [Interval(Real, 0, 1, closed="both")],
        "learning_rate": [None, Interval(Real, 0, None, closed="neither")],
        "tol": TOL,
        "validation_fraction": VALIDATION_FRACTION,
        "max_fit_samples": MAX_FIT_SAMPLES,
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        estimator,
        *,
        method="neuron",
        prune_rate=0.5,
        scope="auto",
        criterion="l2",
        fine_tune_epochs="auto",
        n_iterations=3,
        distillation=0.0,
        learning_rate=None,
        tol=0.01,
        validation_fraction=0.1,
        max_fit_samples=5000,
        random_state=None,
        memory=None,
        verbose=0,
    ):
        super().__init__(
            estimator, prune_rate=prune_rate, random_state=random_state, memory=memory
        )
        self.method = method
        self.scope = scope
        self.criterion = criterion
        self.fine_tune_epochs = fine_tune_epochs
        self.n_iterations = n_iterations
        self.distillation = distillation
        self.learning_rate = learning_rate
        self.tol = tol
        self.validation_fraction = validation_fraction
        self.max_fit_samples = max_fit_samples
        self.verbose = verbose

    def _fit_prune(self, X, y, sample_weight):
        rng = check_random_state(self.random_state)
        X_val = None
        if self.prune_rate == "auto":
            X, X_val, y, y_val, sample_weight, w_val = self._holdout(
                X, y, sample_weight, rng
            )
        base = self._fit_base(X, y, sample_weight)
        X = _as_float(X, base)
        n_rounds = self.n_iterations if X_val is None else len(AUTO_RATES)
        if self.fine_tune_epochs == "auto":
            epochs = math.ceil(_AUTO_EPOCHS_SHARE * base.n_iter_ / n_rounds)
        else:
            epochs = self.fine_tune_epochs
        session = _PruningSession(self, base, X, y, sample_weight, rng, epochs)
        if X_val is None:
            for rate in cubic_schedule(self.prune_rate, self.n_iterations):
                session.step(rate)
            pruned = session.network
        else:
            pruned = self._auto_prune(session, X_val, y_val, w_val)
        if self.method == "neuron":
            set_hidden_layer_sizes(pruned, base.hidden_layer_sizes)
        strip_training_state(pruned)
        # Set last: a failed fit leaves no attribute of its own behind.
        self.fine_tune_epochs_ = epochs
        self.fine_tune_loss_ = session.fine_tune_loss
        return base, pruned

    def _auto_prune(self, session, X_val, y_val, w_val):
        """Prune to the largest rate whose held-out score is within ``tol``."""
        # X_val goes to the estimators as given (a DataFrame keeps its names).
        floor = session.base.score(X_val, y_val, sample_weight=w_val) - self.tol
        prune_progressively(
            session,
            lambda: session.network.score(X_val, y_val, sample_weight=w_val),
            floor,
            self,
        )
        return session.network

    def _holdout(self, X, y, sample_weight, rng):
        """Split off the held-out set of ``prune_rate="auto"``.

        Only samples of positive weight are held out: a zero-weight sample
        tells the held-out score nothing.
        """
        n_samples = _num_samples(X)
        candidates = None
        if sample_weight is not None:
            candidates = np.flatnonzero(np.asarray(sample_weight) > 0)
        train, held_out = self._holdout_indices(
            y,
            n_samples,
            purpose="prune_rate='auto'",
            candidates=candidates,
            min_train=2,
            random_state=rng,
            sort=True,
        )
        return take_rows((X, y, sample_weight), train, held_out)

    def _count_units(self, estimator):
        if self.method == "weight":
            return int(sum(np.count_nonzero(coef) for coef in estimator.coefs_))
        return int(sum(hidden_sizes(estimator)))

    def _count_params(self, estimator):
        return int(
            sum(np.count_nonzero(coef) for coef in estimator.coefs_)
            + sum(intercept.size for intercept in estimator.intercepts_)
        )


class _PruningSession:
    """A copy of the unpruned network, pruned and fine-tuned step by step.

    Holds what every step needs: the fine-tuning targets (with the teacher's
    outputs mixed in), the rows the criteria see, the weight masks, and the
    unit / weight counts of the unpruned network the rates refer to.
    """

    def __init__(self, pruner, base, X, y, sample_weight, rng, epochs):
        self.pruner, self.base, self.epochs = pruner, base, epochs
        self.X, self.y, self.sample_weight, self.rng = X, y, sample_weight, rng
        self.network = _copy_weights_only(base)
        self.fine_tune_loss = None
        dtype = base.coefs_[0].dtype
        targets = targets_of(base, y, dtype)
        if pruner.distillation > 0:
            teacher = forward(base, X)[-1]
            targets = (1 - pruner.distillation) * targets + pruner.distillation * (
                teacher
            )
        self.targets = targets
        self.weight = (
            None if sample_weight is None else np.asarray(sample_weight, dtype=dtype)
        )
        # Rows of zero weight add nothing to the criteria's weighted means.
        rows = np.arange(_num_samples(X))
        if self.weight is not None:
            rows = np.flatnonzero(self.weight > 0)
        self.scoring_rows = subsample_rows(rows, pruner.max_fit_samples, rng)
        if pruner.method == "weight":
            self.masks = [(coef != 0).astype(dtype) for coef in base.coefs_]
            self.n_start = [int(mask.sum()) for mask in self.masks]
        else:
            self.masks = None
            self.n_start = hidden_sizes(base)

    def step(self, rate):
        """Prune to ``rate`` of the starting units, then fine-tune."""
        if rate == 0:
            return
        with log_step(self.pruner, f"pruned to rate {rate:.3g}") as line:
            if self.pruner.method == "weight":
                self._prune_weights(rate)
            else:
                self._prune_neurons(rate)
            loss = fine_tune(
                self.network,
                self.X,
                self.targets,
                self.weight,
                epochs=self.epochs,
                masks=self.masks,
                learning_rate=self._learning_rate(),
                random_state=self.rng,
            )
            if loss is not None:
                self.fine_tune_loss = loss
            line.details = (
                f"{self.pruner._count_units(self.network)} "
                f"{self.pruner.method}s left, fine-tuned {self.epochs} epochs"
                + ("" if loss is None else f", loss {loss:.4g}")
            )

    def _learning_rate(self):
        if self.pruner.learning_rate is not None:
            return self.pruner.learning_rate
        return min(
            _LEARNING_RATE_FACTOR * self.network.learning_rate_init,
            _MAX_DEFAULT_LEARNING_RATE,
        )

    def snapshot(self):
        masks = None if self.masks is None else [m.copy() for m in self.masks]
        return copy.deepcopy(self.network), masks, self.fine_tune_loss

    def restore(self, snapshot):
        self.network, self.masks, self.fine_tune_loss = snapshot

    def _scoring_data(self):
        rows = self.scoring_rows
        weight = None if self.weight is None else self.weight[rows]
        return _safe_indexing(self.X, rows), _safe_indexing(self.y, rows), weight

    def _prune_weights(self, rate):
        coefs = self.network.coefs_
        n_keep = [n_kept(n, rate) for n in self.n_start]
        magnitudes = [
            np.abs(coef) * mask for coef, mask in zip(coefs, self.masks, strict=True)
        ]
        if self.pruner.scope == "layer":
            keep = [top(m.ravel(), k) for m, k in zip(magnitudes, n_keep, strict=True)]
        else:
            keep = global_top(
                [m.ravel() for m in magnitudes], n_kept(sum(self.n_start), rate)
            )
        for coef, mask, kept in zip(coefs, self.masks, keep, strict=True):
            mask.fill(0)
            mask.ravel()[kept] = 1
            coef *= mask

    def _prune_neurons(self, rate):
        network = self.network
        X, y, weight = self._scoring_data()
        scores = self._unit_scores(X, y, weight)
        if self.pruner.scope in ("auto", "layer"):
            keep = [
                top(s, n_kept(n, rate))
                for s, n in zip(scores, self.n_start, strict=True)
            ]
        else:
            normalised = [s / s.mean() if s.mean() > 0 else s for s in scores]
            keep = global_top(normalised, n_kept(sum(self.n_start), rate))
        activations = forward(network, X)
        for layer in range(len(keep) - 1, -1, -1):
            if len(keep[layer]) == network.coefs_[layer].shape[1]:
                continue
            mean = (
                activations[layer + 1].mean(axis=0)
                if weight is None
                else weight @ activations[layer + 1] / weight.sum()
            )
            remove_units(network, layer, keep[layer], removed_mean=mean)

    def _unit_scores(self, X, y, weight):
        criterion = self.pruner.criterion
        if isinstance(criterion, str):
            criterion = CRITERIA[criterion]
        scores = criterion(self.network, X, y, weight)
        sizes = hidden_sizes(self.network)
        try:
            scores = [np.asarray(s, dtype=np.float64).reshape(-1) for s in scores]
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "criterion must return one array of scores per hidden layer."
            ) from exc
        if [len(s) for s in scores] != sizes:
            raise ValueError(
                "criterion must return one array of scores per hidden layer, of "
                f"lengths {sizes}; got lengths {[len(s) for s in scores]}."
            )
        if not all(np.isfinite(s).all() for s in scores):
            raise ValueError("criterion returned non-finite scores.")
        return scores


def _as_float(X, estimator):
    """``X`` as the float array (or CSR matrix) the network computes in.

    Other sparse formats become CSR: fine-tuning takes rows batch by batch.
    """
    return check_array(X, accept_sparse="csr", dtype=estimator.coefs_[0].dtype)


def _copy_weights_only(estimator):
    """A deep copy of a fitted MLP without its solver state.

    ``_optimizer`` (Adam's moments: twice the weights) and ``_best_coefs`` /
    ``_best_intercepts`` are left out rather than copied and dropped.
    """
    skip = {"_optimizer", "_best_coefs", "_best_intercepts"}
    state = {k: v for k, v in estimator.__dict__.items() if k not in skip}
    network = type(estimator).__new__(type(estimator))
    network.__dict__.update(copy.deepcopy(state))
    return network
