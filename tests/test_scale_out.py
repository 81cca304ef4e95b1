"""Searches over prune_rate scale out on dask.distributed through joblib."""

import glob

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.tree import DecisionTreeClassifier

from skprune.model_selection import pruning_curve
from skprune.tree import TreePruner

distributed = pytest.importorskip("distributed")

RATES = [0.0, 0.3, 0.6, 0.9]


@pytest.fixture(scope="module")
def client():
    # Real worker processes: the cache must work across them, through a path.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_search_and_curve_on_a_dask_cluster(client, tmp_path):
    X, y = make_classification(n_samples=600, n_features=8, flip_y=0.2, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    pruner = TreePruner(DecisionTreeClassifier(random_state=0), memory=str(tmp_path))
    grid = {"prune_rate": RATES}

    with parallel_backend("dask"):
        search = GridSearchCV(pruner, grid, cv=cv, n_jobs=-1).fit(X, y)
        curve = pruning_curve(pruner, X, y, prune_rates=RATES, cv=cv, n_jobs=-1)

    local = GridSearchCV(pruner.set_params(memory=None), grid, cv=cv).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    np.testing.assert_allclose(
        curve.test_scores.mean(axis=1), local.cv_results_["mean_test_score"]
    )
    # One base fit per fold and one for the refit, shared by all workers
    # (the pruning curve found the folds' trees in the same cache).
    cached = glob.glob(str(tmp_path / "**" / "output.pkl"), recursive=True)
    assert len(cached) == 3 + 1
