# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Pruning your own data
#
# **Edit the next cell** and run the notebook top to bottom:
#
# - `DATA`: the path of a CSV file (read with `pandas.read_csv`), or a pandas
#   DataFrame; `None` runs the example, scikit-learn's wine data;
# - `TARGET`: the column to predict;
# - `TASK`: `"classification"`, `"regression"`, or `"auto"` (a target with
#   few distinct values, or of text, is a classification).
#
# Every pruner that applies to tabular data (a decision tree, an RBF SVM, an
# MLP) is put in a `Pipeline` after the preprocessing (one-hot encoding of
# text columns, scaling of numbers), and its `prune_rate` is tuned by
# `GridSearchCV` with `memory` set, so the unpruned model is fitted once per
# fold. You get a table of size, test score and predict time of the chosen
# model against the unpruned one, and each search's curve.

# %%
DATA = None  # e.g. "my_data.csv", or a DataFrame
TARGET = "target"
TASK = "auto"
PRUNE_RATES = [0.0, 0.25, 0.5, 0.75, 0.9, 0.95]
CV = 5
TEST_SIZE = 0.25

# %%
import os
import tempfile
import time
import timeit

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from joblib import Memory
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_wine
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skprune.inspection import PruningCurveDisplay
from skprune.model_selection import n_units_scorer
from skprune.neural_network import MLPPruner
from skprune.svm import SVMPruner
from skprune.tree import TreePruner

if os.environ.get("SKPRUNE_NOTEBOOK_QUICK"):  # the tests' small run
    PRUNE_RATES, CV = [0.0, 0.5, 0.9], 3

if DATA is None:
    frame = load_wine(as_frame=True).frame
elif isinstance(DATA, pd.DataFrame):
    frame = DATA
else:
    frame = pd.read_csv(DATA)
if TARGET not in frame.columns:
    raise ValueError(f"TARGET={TARGET!r} is not a column of the data: {list(frame)}")
frame = frame.dropna(subset=[TARGET])
X, y = frame.drop(columns=TARGET), frame[TARGET]
if TASK == "auto":
    few_values = y.nunique() <= max(20, int(0.05 * len(y)))
    numeric = pd.api.types.is_numeric_dtype(y)
    TASK = "classification" if (not numeric or few_values) else "regression"
classification = TASK == "classification"
print(f"{len(frame)} rows, {X.shape[1]} features, target {TARGET!r}: {TASK}")

# %% [markdown]
# ## The pruners, each in a pipeline, each tuned by a search
#
# Rows with missing values in the features would stop most models: drop or
# impute them first (e.g. with `sklearn.impute.SimpleImputer` in the
# preprocessing) if your data has any.

# %%
preprocess = make_column_transformer(
    (StandardScaler(), make_column_selector(dtype_include="number")),
    (
        OneHotEncoder(handle_unknown="ignore"),
        make_column_selector(dtype_exclude="number"),
    ),
)
if classification:
    Tree, SVM, MLP, Folds = DecisionTreeClassifier, SVC, MLPClassifier, StratifiedKFold
else:
    Tree, SVM, MLP, Folds = DecisionTreeRegressor, SVR, MLPRegressor, KFold
pruners = {
    "tree": TreePruner(Tree(random_state=0)),
    "SVM": SVMPruner(SVM(), random_state=0),
    "MLP": MLPPruner(MLP((64, 64), max_iter=300, random_state=0), random_state=0),
}
splitter = Folds(CV, shuffle=True, random_state=0)

# Shuffled and (for classes) stratified: files are often stored sorted.
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=TEST_SIZE,
    random_state=0,
    stratify=y if classification else None,
)


def time_ratio(model, reference, rounds=5):
    """Predict time of ``model`` over that of ``reference`` on the test rows:
    the fastest call of each, timed in turn for ``rounds`` rounds."""
    best = {id(model): np.inf, id(reference): np.inf}
    for _ in range(rounds):
        for m in (model, reference):
            seconds = timeit.timeit(lambda m=m: m.predict(X_test), number=1)
            best[id(m)] = min(best[id(m)], seconds)
    return best[id(model)] / best[id(reference)]


scoring = {"score": "accuracy" if classification else "r2", "n_units": n_units_scorer}
searches, rows = {}, []
cache = tempfile.mkdtemp(prefix="skprune-your-data-")
for name, pruner in pruners.items():
    pipeline = make_pipeline(
        preprocess, pruner.set_params(memory=Memory(cache, verbose=0))
    )
    step = pipeline.steps[-1][0]
    search = GridSearchCV(
        pipeline,
        {f"{step}__prune_rate": PRUNE_RATES},
        cv=splitter,
        scoring=scoring,
        refit="score",
    )
    start = time.perf_counter()
    search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    searches[name] = search
    best = search.best_estimator_
    pruned = best[-1]
    unpruned = make_pipeline(preprocess, pruner.estimator).fit(X_train, y_train)
    rows.append(
        {
            "pruner": type(pruned).__name__,
            "best prune_rate": search.best_params_[f"{step}__prune_rate"],
            "units": f"{pruned.n_units_before_} -> {pruned.n_units_after_}",
            "parameters": f"{pruned.n_params_before_} -> {pruned.n_params_after_}",
            "test score, unpruned": unpruned.score(X_test, y_test),
            "test score, pruned": best.score(X_test, y_test),
            "predict time, pruned / unpruned": time_ratio(best, unpruned),
            "search time (s)": seconds,
        }
    )
table = pd.DataFrame(rows, index=list(pruners))
table.round(3)

# %% [markdown]
# ## The searches' curves
#
# Mean cross-validated score (with one standard deviation) and units left, per
# prune rate; the dashed line marks the best rate.

# %%
fig, axes = plt.subplots(
    1, len(searches), figsize=(5 * len(searches), 4), constrained_layout=True
)
for ax, (name, search) in zip(np.atleast_1d(axes), searches.items(), strict=True):
    PruningCurveDisplay.from_cv_results(search.cv_results_, score_name="score", ax=ax)
    ax.set_title(name)
plt.show()
