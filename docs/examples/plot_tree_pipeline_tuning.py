"""
======================================================
Tuning a tree's prune rate in a pipeline, fitting once
======================================================

A fully grown decision tree overfits noisy labels. Here we tune how much of it
to prune with :class:`~sklearn.model_selection.GridSearchCV` over
``prune_rate``, inside a :class:`~sklearn.pipeline.Pipeline`, and compare the
result with the search a scikit-learn user would run over ``ccp_alpha``.

With ``memory`` set, the pruner caches the fitted unpruned tree: the search
grows one tree per fold, however many rates it tries.
"""

# %%
# Noisy data
# ----------
# 20% of the labels are flipped, so the leaves of a fully grown tree mostly
# memorise noise.
import time

from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skprune.inspection import PruningCurveDisplay
from skprune.model_selection import InMemoryCache, n_units_scorer
from skprune.tree import TreePruner

X, y = make_classification(
    n_samples=4000, n_features=20, n_informative=8, flip_y=0.2, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# Search over the prune rate
# --------------------------
# ``n_units_scorer`` records the number of leaves of every candidate in
# ``cv_results_``.
rates = [0.0, 0.5, 0.75, 0.9, 0.95, 0.97, 0.98, 0.99]
pipeline = make_pipeline(
    StandardScaler(),
    TreePruner(DecisionTreeClassifier(random_state=0), memory=InMemoryCache()),
)
search = GridSearchCV(
    pipeline,
    {"treepruner__prune_rate": rates},
    scoring={"accuracy": "accuracy", "n_units": n_units_scorer},
    refit="accuracy",
)
start = time.perf_counter()
search.fit(X_train, y_train)
our_seconds = time.perf_counter() - start
pruner = search.best_estimator_[-1]
print(f"best prune_rate: {search.best_params_['treepruner__prune_rate']}")
print(f"leaves: {pruner.n_units_before_} -> {pruner.n_units_after_}")
print(f"test accuracy: {search.score(X_test, y_test):.3f}")

# %%
# The pruned model is a plain scikit-learn tree, with the ``ccp_alpha`` that
# grows it:
print(pruner.estimator_)

# %%
# Score and size against the prune rate
# -------------------------------------
display = PruningCurveDisplay.from_cv_results(search.cv_results_, score_name="accuracy")
display.ax_.set_title("GridSearchCV over prune_rate")

# %%
# The same search over ``ccp_alpha``
# ----------------------------------
# Without skprune, a user takes alphas from the pruning path (one more fit)
# and searches over them; every candidate grows its own tree.
start = time.perf_counter()
path = DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(
    X_train, y_train
)
alphas = path.ccp_alphas[:: max(1, len(path.ccp_alphas) // len(rates))][: len(rates)]
sklearn_search = GridSearchCV(
    DecisionTreeClassifier(random_state=0), {"ccp_alpha": alphas}
).fit(X_train, y_train)
sklearn_seconds = time.perf_counter() - start
best_tree = sklearn_search.best_estimator_
print(
    f"ccp_alpha search: {best_tree.get_n_leaves()} leaves, test accuracy "
    f"{sklearn_search.score(X_test, y_test):.3f}"
)
print(f"search time, ours / scikit-learn's: {our_seconds / sklearn_seconds:.2f}")
