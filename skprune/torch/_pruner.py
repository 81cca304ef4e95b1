"""ConvPruner: filter and channel pruning of skorch-wrapped CNNs."""

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _num_samples
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.utils import to_tensor

from .._selection import global_top, top
from ..base import BasePruner
from ..utils import (
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
from ._criteria import (
    CHANNEL_CRITERIA,
    FILTER_CRITERIA,
    ScoringContext,
)
from ._graph import count_flops, rebuild, trace_structure
from ._modules import PrunedArchitecture

_DEFAULT_CRITERION = {"filter": "l1", "channel": "bn_scale"}


class ConvPruner(BasePruner):
    """Remove whole filters or channels of the Conv2d layers of a skorch CNN.

    The wrapped :class:`skorch.NeuralNetClassifier` or
    :class:`skorch.NeuralNetRegressor` is fitted (or taken as it is from a
    :class:`~sklearn.frozen.FrozenEstimator`), a copy of its module is
    rebuilt with fewer channels -- real, smaller ``Conv2d``, ``BatchNorm2d``
    and ``Linear`` layers, not masks, so parameters, FLOPs and CPU inference
    time drop -- and fine-tuned with the net's own ``partial_fit``. The result
    is ``estimator_``, a skorch net whose ``module_`` is the smaller module.

    Needs the optional dependencies, from a clone of the repository:
    ``pip install "torch==2.13.0" && pip install -e ".[torch]"``.

    Parameters
    ----------
    estimator : NeuralNetClassifier or NeuralNetRegressor
        The network to prune; unfitted, or fitted and wrapped in
        :class:`~sklearn.frozen.FrozenEstimator`. It is never modified. Its
        module must be traceable by :func:`torch.fx.symbolic_trace` (no
        data-dependent control flow). Supported around the ``Conv2d``
        layers: ``BatchNorm2d``, element-wise activations, pooling, dropout,
        element-wise additions (residual shortcuts, identity or 1x1
        convolution), ``torch.cat`` along the channels, depthwise
        convolutions (``groups=in_channels``), and heads of ``nn.Flatten`` /
        ``torch.flatten(x, 1)`` (after global average pooling or not) or
        ``x.mean((2, 3))`` followed by ``Linear`` layers. Channels joined by
        an addition or a depthwise convolution are *coupled*: they are
        scored together (the mean of their filters' scores) and removed
        together, from every layer that produces or reads them. Grouped
        (not depthwise) convolutions, reshapes of convolution outputs and
        layers called twice are refused with a ``ValueError`` naming the
        layer. Channels the module returns, or adds to its input, are kept.

    method : {"filter", "channel"}, default="filter"
        Which side decides what to remove. In a chain, filter ``f`` of a
        convolution *is* input channel ``f`` of the next layer, so both remove
        the same structure -- the filter, its BatchNorm entries, and the
        matching input channels of the next Conv2d (or the ``H * W`` input
        features it owns in a flatten -> Linear head) -- and differ in the
        criterion:

        - ``"filter"``: by the filter itself (its weights, or the loss);
        - ``"channel"``: by what the channel contributes downstream.

    prune_rate : float in [0, 1) or "auto", default=0.5
        Fraction of the filters of the prunable convolutions removed: of each
        layer, or group of coupled layers such as the convolutions adding up
        to one residual stream (``scope="layer"``, rounded so that
        ``ceil((1 - prune_rate) * n)`` filters are kept), or of all of them
        (``scope="global"``). At least one filter of each layer is kept. 0
        returns the unpruned network, without fine-tuning.

        ``"auto"``: the largest of the rates 0.1, 0.2, ..., 0.9, 0.95 whose
        score on a held-out share of the samples (``validation_fraction``)
        is within ``tol`` of the unpruned network's, as ``MLPPruner`` does.
        The unpruned network is fitted on the rest; the rates are tried in
        turn on one network, each a pruning round followed by
        ``fine_tune_epochs`` of fine-tuning (``n_iterations`` is not used),
        and the network of the largest accepted rate is kept (the unpruned
        one if none is).

    criterion : str or callable, default="auto"
        Importance of a filter; the lowest scoring are removed.

        For ``method="filter"``:

        - ``"l1"`` (the default): sum of the absolute weights of the
          filter (Li et al. 2017).
        - ``"l2"``: Euclidean norm of the filter.
        - ``"geometric_median"``: summed distance to the layer's other
          filters; filters near the geometric median are redundant (He et
          al. 2019).
        - ``"taylor"``: first-order Taylor estimate of the change of the
          loss, ``(sum of w * dL/dw)^2`` over the filter's weights, bias and
          BatchNorm scale and shift (Molchanov et al. 2019), on the data.

        For ``method="channel"``:

        - ``"bn_scale"`` (the default): ``|gamma|`` of the BatchNorm2d after the
          convolution (network slimming, Liu et al. 2017); an error if a
          prunable convolution has none.
        - ``"reconstruction"``: mean squared contribution of the channel to
          the next layer's output on the data, i.e. that layer's
          reconstruction error when the channel alone is removed (as in
          ThiNet, Luo et al. 2017).

        A callable ``criterion(module, X, y)`` returns a dict mapping the name
        of each prunable Conv2d (``"features.0"``) to an array of
        ``out_channels`` scores. Data-dependent criteria see at most
        ``max_fit_samples`` training rows.

    scope : {"layer", "global"}, default="layer"
        ``"layer"``: every prunable convolution (or group of coupled
        convolutions) loses ``prune_rate`` of its filters. ``"global"``: one
        ranking over all of them, after dividing each layer's scores by their
        mean, so that layers with more redundancy lose more.

    fine_tune_epochs : int >= 0, default=5
        Epochs of the net's own ``partial_fit`` after each pruning round
        (its optimizer, freshly initialised for the smaller parameters, its
        criterion, batch size, ``train_split`` and callbacks).

    n_iterations : int >= 1, default=1
        Pruning rounds, each followed by ``fine_tune_epochs`` of fine-tuning.
        The rate after round ``t`` follows the cubic schedule of Zhu & Gupta
        (2017), ``prune_rate * (1 - (1 - t / n_iterations) ** 3)``, with the
        scores recomputed on the network of the previous round. 1 is one-shot
        pruning.

    learning_rate : float > 0 or None, default=None
        Learning rate of the fine-tuning optimizer. None: the net's own.

    tol : float >= 0, default=0.01
        For ``prune_rate="auto"``: the largest held-out score loss accepted
        (0.01 is one point of accuracy, or 0.01 of R^2).

    validation_fraction : float in (0, 1), default=0.1
        For ``prune_rate="auto"``: the share of the samples held out
        (stratified by class for classifiers).

    max_fit_samples : int >= 1 or None, default=2000
        Training rows that the data-dependent criteria see at most, drawn at
        random: channel statistics settle long before all the rows, and
        scoring stays a few passes. None: all of them.

    random_state : int, RandomState instance or None, default=None
        Which rows the data-dependent criteria see, the held-out rows of
        ``prune_rate="auto"``, and, when not None, the
        seed of torch's generator during ``fit`` (initial weights, batch
        order, dropout, skorch's validation split): an int makes the fit
        repeatable. The caller's torch random state is restored afterwards.
        None: torch's global generator as it is (seed it with
        ``torch.manual_seed``).

    memory : str, object with the joblib.Memory interface or None, default=None
        Cache of the fitted unpruned network, keyed on its parameters and its
        training data: a search over ``prune_rate`` fits it once per fold.

    verbose : int, default=0
        Progress messages: at 1 or more, a line per pruning round (units left,
        fine-tuning epochs, loss and time), and with ``prune_rate="auto"``
        the held-out score of every rate tried.

    Attributes
    ----------
    estimator_ : NeuralNetClassifier or NeuralNetRegressor
        The pruned, fine-tuned net: a copy of the fitted net whose
        ``module_`` is the rebuilt smaller module (of the same class) and
        whose optimizer is initialised for its parameters, so that
        ``partial_fit`` trains it further. It predicts and pickles with
        skorch alone. It stays pruned: its ``module`` is a
        :class:`PrunedArchitecture` (and the ``module__*`` parameters of
        the unpruned widths are gone), so ``fit``, ``initialize`` and
        ``clone(estimator_).fit`` build the smaller module, freshly
        initialised. At ``prune_rate=0`` it is the unpruned net.

    n_units_before_, n_units_after_ : int
        Filters of the prunable convolutions before and after pruning.

    n_params_before_, n_params_after_ : int
        Parameters (weights, biases, BatchNorm scales and shifts) of the whole
        module before and after pruning.

    flops_before_, flops_after_ : int
        Floating-point operations of the Conv2d and Linear layers for one
        sample (a multiply-add counts as two), before and after pruning.

    prune_rate_ : float
        Fraction of the filters removed.

    layer_widths_ : dict of str to (int, int)
        For each prunable convolution, its filters before and after pruning.

    classes_ : ndarray of shape (n_classes,)
        Class labels (classifiers only).

    See Also
    --------
    DigitsCNN : A small CNN for ``load_digits`` images.
    skprune.neural_network.MLPPruner : Neuron pruning of scikit-learn MLPs.

    Notes
    -----
    **Speed.** Removing a fraction ``r`` of the filters of every layer removes
    about ``1 - (1 - r)^2`` of the FLOPs of each convolution that follows
    another one (both its inputs and its outputs shrink). How much of that
    becomes CPU time depends on the batch: on a few samples the fixed cost
    per call (Python, skorch, the data loader) dominates.

    **Against a network trained from scratch.** Train the same module class
    with the pruned widths (``layer_widths_``) and compare (Liu et al. 2019);
    ``benchmarks/bench_cnn.py`` does.

    References
    ----------
    .. [1] H. Li, A. Kadav, I. Durdanovic, H. Samet and H. P. Graf, "Pruning
       filters for efficient ConvNets", ICLR 2017.
    .. [2] Z. Liu, J. Li, Z. Shen, G. Huang, S. Yan and C. Zhang, "Learning
       efficient convolutional networks through network slimming", ICCV 2017.
    .. [3] Y. He, P. Liu, Z. Wang, Z. Hu and Y. Yang, "Filter pruning via
       geometric median for deep convolutional neural networks
       acceleration", CVPR 2019.
    .. [4] P. Molchanov, A. Mallya, S. Tyree, I. Frosio and J. Kautz,
       "Importance estimation for neural network pruning", CVPR 2019.
    .. [5] J.-H. Luo, J. Wu and W. Lin, "ThiNet: a filter level pruning
       method for deep neural network compression", ICCV 2017.
    .. [6] M. Zhu and S. Gupta, "To prune, or not to prune: exploring the
       efficacy of pruning for model compression", arXiv:1710.01878, 2017.

    Examples
    --------
    The net takes float32 images of shape ``(n, 1, 8, 8)``; a
    :class:`~sklearn.preprocessing.FunctionTransformer` turns the rows of
    ``load_digits`` into them, so the pipeline takes the usual table:

    >>> import numpy as np
    >>> import torch
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skorch import NeuralNetClassifier
    >>> from skprune.torch import ConvPruner, DigitsCNN
    >>> def to_images(X):
    ...     return (X / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> _ = torch.manual_seed(0)
    >>> net = NeuralNetClassifier(
    ...     DigitsCNN,
    ...     module__channels=(16, 32),
    ...     criterion=torch.nn.CrossEntropyLoss,
    ...     optimizer=torch.optim.Adam,
    ...     lr=0.01,
    ...     max_epochs=5,
    ...     train_split=None,
    ...     verbose=0,
    ... )
    >>> model = make_pipeline(
    ...     FunctionTransformer(to_images),
    ...     ConvPruner(net, prune_rate=0.5, fine_tune_epochs=2),
    ... ).fit(X_train, y_train)
    >>> pruner = model[-1]
    >>> pruner.layer_widths_
    {'features.0': (16, 8), 'features.3': (32, 16)}
    >>> pruner.estimator_.module_.features[3]
    Conv2d(8, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> pruner.n_params_before_, pruner.n_params_after_
    (10026, 3866)
    >>> pruner.flops_before_, pruner.flops_after_
    (618496, 161792)
    >>> float(model.score(X_test, y_test))  # doctest: +SKIP
    0.98
    >>> model.score(X_test, y_test) > 0.95
    True
    """

    _supported_estimators = (NeuralNetClassifier, NeuralNetRegressor)

    _parameter_constraints: dict = {
        **BasePruner._parameter_constraints,
        "method": [StrOptions({"filter", "channel"})],
        "criterion": [
            StrOptions({"auto", *FILTER_CRITERIA, *CHANNEL_CRITERIA}),
            callable,
        ],
        "scope": [StrOptions({"layer", "global"})],
        "fine_tune_epochs": [Interval(Integral, 0, None, closed="left")],
        "n_iterations": [Interval(Integral, 1, None, closed="left")],
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
        method="filter",
        prune_rate=0.5,
        criterion="auto",
        scope="layer",
        fine_tune_epochs=5,
        n_iterations=1,
        learning_rate=None,
        tol=0.01,
        validation_fraction=0.1,
        max_fit_samples=2000,
        random_state=None,
        memory=None,
        verbose=0,
    ):
        super().__init__(
            estimator, prune_rate=prune_rate, random_state=random_state, memory=memory
        )
        self.method = method
        self.criterion = criterion
        self.scope = scope
        self.fine_tune_epochs = fine_tune_epochs
        self.n_iterations = n_iterations
        self.learning_rate = learning_rate
        self.tol = tol
        self.validation_fraction = validation_fraction
        self.max_fit_samples = max_fit_samples
        self.verbose = verbose

    def _fit_prune(self, X, y, sample_weight):
        if sample_weight is not None:
            raise ValueError(f"{type(self).__name__} does not support sample_weight.")
        criterion = self._criterion_function()
        if self.random_state is None:
            return self._fit_prune_seeded(X, y, criterion)
        # skorch nets draw from torch's global generator: seed a private copy of
        # it, so that an int random_state makes the fit repeatable and the
        # caller's torch random state is left as it was.
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self._fit_prune_seeded(X, y, criterion)

    def _fit_prune_seeded(self, X, y, criterion):
        X_val = None
        if self.prune_rate == "auto":
            X, X_val, y, y_val = self._holdout(X, y)
        base = self._fit_base(X, y)
        # Refuse an unsupported architecture before any work on a copy.
        structure = trace_structure(base.module_)
        net = copy.deepcopy(base)
        sample = to_tensor(_safe_indexing(X, [0]), device=net.device)
        flops_before = count_flops(net.module_, sample)
        widths_before = _widths(net.module_, structure)
        session = _PruningSession(self, net, structure, criterion, X, y)
        if X_val is not None:
            floor = base.score(X_val, y_val) - self.tol
            prune_progressively(
                session, lambda: session.net.score(X_val, y_val), floor, self
            )
        elif self.prune_rate > 0:
            for rate in cubic_schedule(self.prune_rate, self.n_iterations):
                session.step(rate)
        net = session.net
        widths_after = _widths(net.module_, structure)
        if widths_after != widths_before:
            _build_pruned_architecture(net)
        # Set last: a failed fit leaves no attribute of its own behind.
        self.flops_before_ = flops_before
        self.flops_after_ = count_flops(net.module_, sample)
        self.layer_widths_ = {
            name: (widths_before[name], widths_after[name]) for name in widths_before
        }
        return base, net

    def _holdout(self, X, y):
        """Split off the held-out rows of ``prune_rate="auto"``."""
        train, held_out = self._holdout_indices(
            y, _num_samples(X), purpose="prune_rate='auto'", min_train=2, sort=True
        )
        return take_rows((X, y), train, held_out)

    def _criterion_function(self):
        """The scoring function of ``criterion``, checked against ``method``."""
        if callable(self.criterion):
            return _checked_callable(self.criterion)
        name = self.criterion
        if name == "auto":
            name = _DEFAULT_CRITERION[self.method]
        allowed = FILTER_CRITERIA if self.method == "filter" else CHANNEL_CRITERIA
        if name not in allowed:
            raise ValueError(
                f"criterion={self.criterion!r} does not apply to "
                f"method={self.method!r}; its criteria are "
                f"{sorted(allowed)} (or 'auto', or a callable)."
            )
        return allowed[name]

    def _count_units(self, estimator):
        module = estimator.module_
        return sum(_widths(module, trace_structure(module)).values())

    def _count_params(self, estimator):
        return sum(p.numel() for p in estimator.module_.parameters())


class _PruningSession:
    """The copy of the fitted net being pruned and fine-tuned, round by round."""

    def __init__(self, pruner, net, structure, criterion, X, y):
        self.pruner, self.net, self.structure = pruner, net, structure
        self.criterion, self.X, self.y = criterion, X, y
        self.n_start = {
            group.convs: len(group.roots) for group in structure.coupled_groups()
        }
        self.scoring_rows = subsample_rows(
            _num_samples(X), pruner.max_fit_samples, pruner.random_state
        )

    def step(self, rate):
        """Prune to ``rate`` of the starting filters, then fine-tune."""
        with log_step(self.pruner, f"pruned to rate {rate:.3g}") as line:
            scores = self._scores()
            keep = self._kept_filters(scores, rate)
            rebuild(self.net.module_, self.structure, keep)
            # The channel elements describe the module before the rebuild.
            self.structure = trace_structure(self.net.module_)
            # The optimizer holds the old, larger parameters.
            self.net.initialize_optimizer()
            if self.pruner.learning_rate is not None:
                for group in self.net.optimizer_.param_groups:
                    group["lr"] = self.pruner.learning_rate
            epochs = self.pruner.fine_tune_epochs
            if epochs > 0:
                self.net.partial_fit(self.X, self.y, epochs=epochs)
            n_left = sum(_widths(self.net.module_, self.structure).values())
            line.details = (
                f"{n_left} {self.pruner.method}s left, fine-tuned {epochs} epochs"
            )

    def snapshot(self):
        """A copy of the current module, for :meth:`restore`."""
        return copy.deepcopy(self.net.module_)

    def restore(self, module):
        """Make ``module`` (a :meth:`snapshot`) the net's module again."""
        self.net.module_ = module
        self.structure = trace_structure(module)
        self.net.initialize_optimizer()

    def _scores(self):
        rows = self.scoring_rows
        context = ScoringContext(
            net=self.net,
            structure=self.structure,
            X=_safe_indexing(self.X, rows),
            y=None if self.y is None else _safe_indexing(self.y, rows),
        )
        scores = self.criterion(context)
        for name in self.structure.prunable:
            if not np.isfinite(scores[name]).all():
                raise ValueError(
                    f"The criterion gave non-finite scores to the filters of {name!r}."
                )
        return scores

    def _kept_filters(self, scores, rate):
        """Filters kept at ``rate``: whole coupled channels, lowest score out.

        A coupled channel (the filters tied by residual additions, depthwise
        convolutions, ...) scores the mean of its filters' scores, as
        Torch-Pruning's default group reduction; ``scope="layer"`` removes
        ``rate`` of the channels of each coupled group.
        """
        groups = self.structure.coupled_groups()
        channel_scores = [
            np.array(
                [
                    np.mean([scores[name][i] for name, i in group.members[root]])
                    for root in group.roots
                ]
            )
            for group in groups
        ]
        if self.pruner.scope == "layer":
            kept = [
                top(s, n_kept(self.n_start[group.convs], rate))
                for s, group in zip(channel_scores, groups, strict=True)
            ]
        else:
            normalised = [s / s.mean() if s.mean() > 0 else s for s in channel_scores]
            n_keep = n_kept(sum(self.n_start.values()), rate)
            kept = global_top(normalised, n_keep)
        removed = set()
        for group, k in zip(groups, kept, strict=True):
            removed.update(np.delete(np.asarray(group.roots), k).tolist())
        return self.structure.kept_filters(removed)


def _build_pruned_architecture(net):
    """Make ``fit`` / ``initialize`` of the pruned ``net`` build the small module.

    Its ``module`` becomes a :class:`PrunedArchitecture` of ``module_``; the
    ``module__*`` parameters, which describe the unpruned widths, go.
    """
    for key in [k for k in vars(net) if k.startswith("module__")]:
        delattr(net, key)
        net._params_to_validate.discard(key)
    net.module = PrunedArchitecture(net.module_)


def _widths(module, structure):
    """Number of filters of each prunable convolution."""
    return {
        name: module.get_submodule(name).out_channels for name in structure.prunable
    }


def _checked_callable(criterion):
    """Wrap a user's ``criterion(module, X, y)`` into the internal signature."""

    def scores(context):
        result = criterion(context.module, context.X, context.y)
        checked = {}
        for name in context.structure.prunable:
            width = context.module.get_submodule(name).out_channels
            try:
                values = np.asarray(result[name], dtype=np.float64).reshape(-1)
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(
                    "criterion must return a dict mapping the name of each "
                    f"prunable Conv2d ({context.structure.prunable}) to an array "
                    "of scores, one per filter."
                ) from error
            if len(values) != width:
                raise ValueError(
                    f"criterion returned {len(values)} scores for {name!r}, "
                    f"which has {width} filters."
                )
            checked[name] = values
        return checked

    return scores
