"""Run the notebooks' sources and write them as ``.ipynb`` with their outputs.

Every notebook is kept as a jupytext "percent" script (``*.py``: easy to
review and diff) next to the ``.ipynb`` that users open in Jupyter and that
the documentation shows. This script regenerates the ``.ipynb`` files from the
scripts, executing them::

    python benchmarks/notebooks/build.py                 # every notebook
    python benchmarks/notebooks/build.py svm_pruning     # one
    python benchmarks/notebooks/build.py --quick --output-dir nb-smoke

It needs the ``notebook`` extra (jupytext, nbclient, ipykernel, pandas,
matplotlib); ``cnn_pruning`` needs the ``torch`` extra too. ``--quick`` runs at
the small size the tests use (``SKPRUNE_NOTEBOOK_QUICK=1``); commit only full
runs.
"""

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sources():
    """The notebook scripts, by name."""
    return {
        path.stem: path
        for path in sorted(HERE.glob("*.py"))
        if path.name != Path(__file__).name
    }


def execute(source, quick=False, timeout=1800):
    """The notebook of ``source``, executed in its folder; returned in memory."""
    import jupytext
    import nbclient

    notebook = jupytext.read(source)
    env_before = os.environ.get("SKPRUNE_NOTEBOOK_QUICK")
    if quick:
        os.environ["SKPRUNE_NOTEBOOK_QUICK"] = "1"
    else:
        os.environ.pop("SKPRUNE_NOTEBOOK_QUICK", None)
    try:
        nbclient.NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(source.parent)}},
        ).execute()
    finally:
        if env_before is None:
            os.environ.pop("SKPRUNE_NOTEBOOK_QUICK", None)
        else:
            os.environ["SKPRUNE_NOTEBOOK_QUICK"] = env_before
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks to build (default: all)")
    parser.add_argument("--quick", action="store_true", help="the tests' small size")
    parser.add_argument("--output-dir", type=Path, default=HERE)
    args = parser.parse_args(argv)
    import nbformat

    available = sources()
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"unknown notebook(s) {unknown}; choose from {sorted(available)}")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for name in args.names or available:
        start = time.perf_counter()
        print(f"{name} ...", end="", flush=True)
        notebook = execute(available[name], quick=args.quick)
        target = args.output_dir / f"{name}.ipynb"
        nbformat.write(notebook, target)
        print(f" {time.perf_counter() - start:.0f} s -> {target}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
