"""PruningCurveDisplay: score and model size against prune rate."""

import re
import warnings
from numbers import Real

import numpy as np

from ..model_selection import pruning_curve

_SIZE_LABELS = {"n_units": "Units left", "n_params": "Parameters left"}


def _check_matplotlib(caller):
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(
            f"{caller} requires matplotlib, which skprune does not install by "
            'default: pip install "skprune[plot]" (or pip install matplotlib).'
        ) from error


class PruningCurveDisplay:
    """Score and model size against prune rate.

    The score's mean over folds is drawn with a band of one standard deviation;
    the mean model size, when known, on a second y axis. The prune rate with
    the best mean test score is marked. Build it with :meth:`from_estimator`
    (which runs :func:`~skprune.model_selection.pruning_curve`) or
    :meth:`from_cv_results` (from a search over ``prune_rate``).

    Parameters
    ----------
    prune_rates : ndarray of shape (n_rates,)
        The prune rates, increasing.

    test_scores : ndarray of shape (n_rates, n_folds)
        Test scores per rate and fold.

    train_scores : ndarray of shape (n_rates, n_folds), default=None
        Train scores per rate and fold, if known.

    sizes : ndarray of shape (n_rates, n_folds), default=None
        Size of the pruned model per rate and fold, if known.

    score_name : str, default="Score"
        Label of the score axis.

    size_name : str, default="Units left"
        Label of the size axis.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the scores.

    size_ax_ : matplotlib Axes or None
        Twin axes with the sizes.

    figure_ : matplotlib Figure
        Figure of the plot.

    lines_ : list of matplotlib Line2D
        Mean score lines (train, test as drawn).

    size_line_ : matplotlib Line2D or None
        Mean size line.

    best_line_ : matplotlib Line2D
        Vertical line at the best mean test score.

    See Also
    --------
    skprune.model_selection.pruning_curve : The numbers behind the plot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skprune.inspection import PruningCurveDisplay
    >>> from skprune.tree import TreePruner
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> display = PruningCurveDisplay.from_estimator(
    ...     TreePruner(DecisionTreeClassifier(random_state=0)),
    ...     X, y, prune_rates=[0.0, 0.25, 0.5, 0.75, 0.9], cv=3,
    ... )
    >>> display.best_prune_rate
    0.5
    """

    def __init__(
        self,
        *,
        prune_rates,
        test_scores,
        train_scores=None,
        sizes=None,
        score_name="Score",
        size_name="Units left",
    ):
        self.prune_rates = prune_rates
        self.test_scores = test_scores
        self.train_scores = train_scores
        self.sizes = sizes
        self.score_name = score_name
        self.size_name = size_name

    @property
    def best_prune_rate(self):
        """The prune rate with the best mean test score (the first on ties)."""
        best = int(np.argmax(np.mean(self.test_scores, axis=1)))
        return float(self.prune_rates[best])

    def plot(self, ax=None, *, score_type="test", show_size=True):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        score_type : {"test", "train", "both"}, default="test"
            Which scores to draw.

        show_size : bool, default=True
            Draw the model size on a twin axis (when sizes are known).

        Returns
        -------
        display : PruningCurveDisplay
            Object that stores the drawn artists.
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if score_type not in ("test", "train", "both"):
            raise ValueError(
                f"score_type must be 'test', 'train' or 'both'; got {score_type!r}."
            )
        if score_type != "test" and self.train_scores is None:
            raise ValueError(
                f"score_type={score_type!r} needs train scores; this display has "
                "none (pass return_train_score=True to the search)."
            )
        if ax is None:
            _, ax = plt.subplots()
        rates = np.asarray(self.prune_rates, dtype=float)
        curves = {"Test": self.test_scores, "Train": self.train_scores}
        drawn = {"test": ["Test"], "train": ["Train"], "both": ["Train", "Test"]}
        self.lines_ = []
        for label in drawn[score_type]:
            scores = np.asarray(curves[label], dtype=float)
            mean, std = scores.mean(axis=1), scores.std(axis=1)
            (line,) = ax.plot(rates, mean, marker="o", label=f"{label} score")
            ax.fill_between(rates, mean - std, mean + std, alpha=0.3)
            self.lines_.append(line)
        self.best_line_ = ax.axvline(
            self.best_prune_rate,
            linestyle="--",
            color="gray",
            label=f"best prune_rate = {self.best_prune_rate:g}",
        )
        ax.set_xlabel("prune_rate")
        ax.set_ylabel(self.score_name)

        self.size_ax_, self.size_line_ = None, None
        handles = [*self.lines_, self.best_line_]
        if show_size and self.sizes is not None:
            self.size_ax_ = ax.twinx()
            mean_size = np.asarray(self.sizes, dtype=float).mean(axis=1)
            (self.size_line_,) = self.size_ax_.plot(
                rates, mean_size, color="tab:red", marker="s", label=self.size_name
            )
            self.size_ax_.set_ylabel(self.size_name)
            handles.append(self.size_line_)
        ax.legend(handles=handles, loc="best")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        prune_rates,
        cv=None,
        scoring=None,
        n_jobs=None,
        size="n_units",
        score_type="test",
        ax=None,
    ):
        """Run :func:`~skprune.model_selection.pruning_curve` and plot it.

        Parameters
        ----------
        estimator : pruner or Pipeline ending with a pruner
            The pruner to evaluate; cloned, not modified.

        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        prune_rates : array-like of float
            The prune rates to evaluate.

        cv : int, cross-validation generator or iterable, default=None
            As in :func:`~sklearn.model_selection.check_cv`.

        scoring : str or callable, default=None
            The score; None uses the estimator's ``score``.

        n_jobs : int, default=None
            Number of folds processed in parallel.

        size : {"n_units", "n_params"}, default="n_units"
            Which size to draw on the twin axis.

        score_type : {"test", "train", "both"}, default="test"
            Which scores to draw.

        ax : matplotlib Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : PruningCurveDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        if size not in ("n_units", "n_params"):
            raise ValueError(f"size must be 'n_units' or 'n_params'; got {size!r}.")
        if any(not isinstance(rate, Real) for rate in prune_rates):
            raise ValueError(
                "PruningCurveDisplay draws numeric prune rates only; "
                f"got {list(prune_rates)!r}."
            )
        curve = pruning_curve(
            estimator, X, y, prune_rates=prune_rates, cv=cv, scoring=scoring,
            n_jobs=n_jobs,
        )  # fmt: skip
        display = cls(
            prune_rates=np.asarray(prune_rates, dtype=float),
            test_scores=curve.test_scores,
            train_scores=curve.train_scores,
            sizes=curve[size],
            score_name=scoring if isinstance(scoring, str) else "Score",
            size_name=_SIZE_LABELS[size],
        )
        return display.plot(ax=ax, score_type=score_type)

    @classmethod
    def from_cv_results(
        cls,
        cv_results,
        *,
        param_name=None,
        score_name="score",
        size_name=None,
        score_type="test",
        ax=None,
    ):
        """Plot a search's ``cv_results_`` over ``prune_rate``.

        Parameters
        ----------
        cv_results : dict
            ``cv_results_`` of a search in which only the prune rate varies.

        param_name : str, default=None
            The prune-rate parameter, e.g. ``"treepruner__prune_rate"``;
            found automatically when only one parameter ends with
            ``prune_rate``.

        score_name : str, default="score"
            The scorer to plot: ``"score"`` for single-metric searches, else
            a key of the search's ``scoring`` dict.

        size_name : str, default=None
            A scorer in the search that reports model size (e.g. built from
            :func:`~skprune.model_selection.n_units_scorer`); when None, the
            scorers ``"n_units"`` or ``"n_params"`` are used if present.

        score_type : {"test", "train", "both"}, default="test"
            Which scores to draw.

        ax : matplotlib Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : PruningCurveDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_cv_results")
        param_name = _find_prune_rate_param(cv_results, param_name)
        rates, rows = _numeric_rates(cv_results[f"param_{param_name}"], param_name)
        order = np.argsort(rates)
        rates, rows = rates[order], rows[order]
        if len(np.unique(rates)) != len(rates):
            raise ValueError(
                f"cv_results has several candidates per {param_name}: other "
                "parameters vary too. Plot one curve at a time (filter the "
                "results to one value of the other parameters)."
            )
        test_scores = _split_values(cv_results, "test", score_name)[rows]
        train_scores = None
        if score_type != "test":
            train_scores = _split_values(cv_results, "train", score_name)[rows]
        if size_name is None:
            size_name = next(
                (name for name in ("n_units", "n_params")
                 if f"mean_test_{name}" in cv_results),
                None,
            )  # fmt: skip
        sizes = None
        if size_name is not None:
            sizes = _split_values(cv_results, "test", size_name)[rows]
        display = cls(
            prune_rates=rates,
            test_scores=test_scores,
            train_scores=train_scores,
            sizes=sizes,
            score_name=score_name,
            size_name=_SIZE_LABELS.get(size_name, size_name or "Units left"),
        )
        return display.plot(ax=ax, score_type=score_type)


def _find_prune_rate_param(cv_results, param_name):
    if param_name is not None:
        if f"param_{param_name}" not in cv_results:
            raise ValueError(f"cv_results has no parameter {param_name!r}.")
        return param_name
    candidates = [
        key[len("param_") :]
        for key in cv_results
        if key.startswith("param_") and key.endswith("prune_rate")
    ]
    if len(candidates) != 1:
        raise ValueError(
            "Could not find the prune-rate parameter in cv_results (found "
            f"{candidates}); pass param_name, e.g. 'treepruner__prune_rate'."
        )
    return candidates[0]


def _numeric_rates(column, param_name):
    """Numeric prune rates and their rows; 'auto' rows are left out."""
    values = list(np.ma.getdata(column))
    rows = [i for i, v in enumerate(values) if isinstance(v, Real)]
    if len(rows) < len(values):
        warnings.warn(
            f"Left out {len(values) - len(rows)} candidate(s) whose {param_name} "
            "is not a number (e.g. 'auto'): they have no place on the x axis.",
            UserWarning,
            stacklevel=3,
        )
    if not rows:
        raise ValueError(f"cv_results has no numeric {param_name}.")
    return np.asarray([values[i] for i in rows], dtype=float), np.asarray(rows)


def _split_values(cv_results, subset, name):
    """Per-split values of a scorer as an (n_candidates, n_splits) array."""
    pattern = re.compile(rf"^split(\d+)_{subset}_{re.escape(name)}$")
    keys = sorted(
        (int(match.group(1)), key)
        for key in cv_results
        if (match := pattern.match(key))
    )
    if not keys:
        raise ValueError(
            f"cv_results has no {subset} values for {name!r}"
            + (" (set return_train_score=True)" if subset == "train" else "")
            + "."
        )
    return np.column_stack([np.asarray(cv_results[key]) for _, key in keys])
