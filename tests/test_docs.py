"""The documentation builds without a warning, running the gallery examples."""

import os
import re
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


# -- What the pages say -------------------------------------------------------

USER_GUIDE = sorted((ROOT / "docs" / "user_guide").glob("*.rst"))
PAGES = sorted((ROOT / "docs").rglob("*.rst"))
PAGES = [p for p in PAGES if not set(p.relative_to(ROOT).parts) & set(GENERATED)]

# Project history belongs in git, not in the pages: these phrases tell it.
# scikit-learn's own issues ("scikit-learn issue #25612") are references.
HISTORY = re.compile(
    r"(?<!scikit-learn )\bissues? #?\d+|\(#\d+|\bwithdrawn\b|\b(first|second|"
    r"third) round\b|\bprevious (run|defaults|session)\b|\bsince the previous\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("page", USER_GUIDE, ids=lambda p: p.name)
def test_every_user_guide_page_has_doctests(page):
    # pytest runs the pages' examples (--doctest-glob=*.rst): a page without
    # one has nothing that keeps its code working.
    assert ">>> " in page.read_text(), page.name


@pytest.mark.parametrize(
    "path",
    [*PAGES, ROOT / "CHANGELOG.md", ROOT / "README.md"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_project_history(path):
    found = HISTORY.findall(path.read_text())
    assert not found, (path.name, found)


def test_cited_results_files_exist():
    cited = {
        name
        for page in PAGES
        for name in re.findall(r"benchmarks/results/([\w.-]+)", page.read_text())
    }
    assert cited, "the measured sections cite no results file"
    missing = sorted(n for n in cited if not (ROOT / "benchmarks/results" / n).exists())
    assert not missing


@pytest.mark.parametrize("page", ["docs/install.rst", "docs/user_guide/common.rst"])
def test_every_family_is_named(page):
    text = (ROOT / page).read_text()
    for module in ("tree", "ensemble", "svm", "neural_network", "torch"):
        assert f"skprune.{module}" in text or f":class:`{module}." in text, module
