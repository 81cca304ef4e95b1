"""The documentation builds without a warning, running the gallery examples."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What a build writes next to its sources (autosummary's pages, the gallery).
GENERATED = ("_build", "generated", "auto_examples", "sg_execution_times.rst")


def _source_copy(tmp_path):
    """The repository laid out again under ``tmp_path``, ``docs/`` a real copy.

    Sphinx writes the API pages and the executed gallery into its source
    folder: building a copy leaves the working tree as it was (and a later
    build there runs the gallery again). The other top-level entries are
    linked, so that paths such as ``../CHANGELOG.md`` still resolve.
    """
    root = tmp_path / "repo"
    root.mkdir()
    for entry in ROOT.iterdir():
        if entry.name == "docs":
            ignore = shutil.ignore_patterns(*GENERATED)
            shutil.copytree(entry, root / "docs", ignore=ignore)
        elif not entry.name.startswith("."):
            (root / entry.name).symlink_to(entry)
    return root / "docs"


def test_docs_build_without_warnings(tmp_path):
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "matplotlib"):
        pytest.importorskip(module)
    before = sorted(p.name for p in (ROOT / "docs").iterdir())
    docs = _source_copy(tmp_path)
    result = subprocess.run(
        [
            sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
            "-d", str(tmp_path / "doctrees"), str(docs), str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "html" / "auto_examples" / "index.html").exists()
    # Nothing was written into the working tree's docs/.
    assert sorted(p.name for p in (ROOT / "docs").iterdir()) == before


def test_every_torch_install_hint_gives_the_same_command():
    # One command everywhere: the docs, the README and the benchmark say what
    # the ImportError, the demo and the test skip reasons say.
    from skprune._optional import TORCH_INSTALL_COMMAND

    for path in (
        "README.md",
        "docs/install.rst",
        "docs/api.rst",
        "docs/user_guide/cnn.rst",
        "benchmarks/bench_cnn.py",
        "skprune/torch/__init__.py",
    ):
        assert TORCH_INSTALL_COMMAND in (ROOT / path).read_text(), path
    assert 'skprune[torch]"' not in (ROOT / "skprune/_demo.py").read_text()
