"""The notebooks in benchmarks/notebooks/ run, and their .ipynb match their sources.

Each notebook is kept as a jupytext script (``*.py``) and as the ``.ipynb``
with outputs that users open; ``benchmarks/notebooks/build.py`` writes the
second from the first. The tests execute every script at a small size
(``SKPRUNE_NOTEBOOK_QUICK=1``), and fail when a committed ``.ipynb`` no longer
holds its script's cells or was not executed.
"""

import importlib.util
from pathlib import Path

import pytest

from skprune._optional import torch_extra_installed

NOTEBOOKS = Path(__file__).resolve().parents[1] / "benchmarks" / "notebooks"
SOURCES = sorted(p for p in NOTEBOOKS.glob("*.py") if p.name != "build.py")
NAMES = [p.stem for p in SOURCES]

jupytext = pytest.importorskip("jupytext")
nbformat = pytest.importorskip("nbformat")


def _build_module():
    spec = importlib.util.spec_from_file_location("build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_every_family_has_a_notebook():
    assert {"tree_pruning", "svm_pruning", "mlp_pruning", "cnn_pruning"} <= set(NAMES)
    assert "your_data" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_matches_its_source_and_was_run(name):
    committed = NOTEBOOKS / f"{name}.ipynb"
    assert committed.exists(), f"run: python benchmarks/notebooks/build.py {name}"
    notebook = nbformat.read(committed, as_version=4)
    source = jupytext.read(NOTEBOOKS / f"{name}.py")
    assert _cells(notebook) == _cells(source), (
        f"{committed.name} is out of date: python benchmarks/notebooks/build.py {name}"
    )
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    # No warning of the machine that built it (they print file paths).
    streams = "".join(o.get("text", "") for c in code for o in c.outputs)
    assert "site-packages" not in streams
    # Its results read on a code host: a table and at least one plot.
    data = [o.get("data", {}) for c in code for o in c.outputs]
    assert any("text/html" in d for d in data)
    assert any("image/png" in d for d in data)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_at_a_small_size(name):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("pandas")
    if name == "cnn_pruning" and not torch_extra_installed():
        pytest.skip("needs the optional torch extra")
    notebook = _build_module().execute(NOTEBOOKS / f"{name}.py", quick=True)
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert tables and images
    # Every table compares skprune with the alternative a user would pick.
    html = "".join(o["data"]["text/html"] for o in tables)
    expected = {
        "tree_pruning": "scikit-learn, GridSearchCV over ccp_alpha",
        "svm_pruning": "Nystroem",
        "mlp_pruning": "same widths, from scratch",
        "cnn_pruning": "from scratch",
        "your_data": "test score, unpruned",
    }[name]
    assert expected in html
