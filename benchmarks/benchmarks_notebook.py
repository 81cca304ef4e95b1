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
# # skprune benchmarks
#
# This notebook runs the three family benchmarks (trees, SVMs, MLPs) and
# shows their tables and plots: size, accuracy and predict time of pruned
# models against the unpruned ones and against the strongest alternative a
# user has — scikit-learn's own `ccp_alpha` search, a `Nystroem` +
# `LinearSVC` pipeline with as many kernel evaluations, and the same small
# MLP trained from scratch.
#
# `QUICK = True` runs every benchmark at a small size (about a minute each);
# set it to `False` for the full runs whose results are committed in
# `benchmarks/results/` (several minutes each, best on an idle machine).
# Open it with `jupytext --to notebook benchmarks_notebook.py`, or run it
# headless as the test suite does.

# %%
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from IPython.display import Image, display

QUICK = os.environ.get("SKPRUNE_BENCH_FULL") is None
HERE = Path.cwd() if Path("bench_tree.py").exists() else Path("benchmarks").resolve()
OUTPUT = Path(tempfile.mkdtemp(prefix="skprune-bench-")) if QUICK else HERE / "results"


def run_benchmark(script):
    """Run a benchmark script, print its tables, return its output folder."""
    command = [sys.executable, str(HERE / script), "--output-dir", str(OUTPUT)]
    if QUICK:
        command.append("--quick")
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    print(result.stdout)
    return OUTPUT


def show_plots(stem):
    for png in sorted(OUTPUT.glob(f"{stem}*.png")):
        display(Image(filename=str(png)))


# %% [markdown]
# ## Trees: `TreePruner` vs. scikit-learn's `ccp_alpha`
#
# Pruning cost relative to the fit, a `GridSearchCV` over `prune_rate`
# (fitted once per fold) against one over `ccp_alpha`, and test accuracy
# against the number of leaves.

# %%
run_benchmark("bench_tree.py")
show_plots("bench_tree")

# %% [markdown]
# ## SVMs: `SVMPruner` vs. `Nystroem` + `LinearSVC`
#
# Accuracy and predict time at prune rates up to 0.95 for each refit
# strategy, against the unpruned SVC and a Nystroem approximation with as
# many components as kept support vectors.

# %%
run_benchmark("bench_svm.py")
show_plots("bench_svm")

# %% [markdown]
# ## MLPs: `MLPPruner` vs. a small MLP trained from scratch
#
# Neuron and weight pruning, one-shot and iterative, per criterion; predict
# time ratios of the narrower networks.

# %%
run_benchmark("bench_mlp.py")
show_plots("bench_mlp")
