"""The benchmark notebook runs headless (at a small size), so it never rots."""

from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_benchmark_notebook_executes():
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = jupytext.read(BENCHMARKS / "benchmarks_notebook.py")
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(BENCHMARKS)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    text = "".join(o.get("text", "") for o in outputs).lower()
    assert len(images) >= 3
    # Every family is compared with its anchor.
    for anchor in ("sklearn", "nystroem", "scratch"):
        assert anchor in text
