"""Sphinx configuration of the skprune documentation.

Build from the repository root with::

    sphinx-build -W -b html docs docs/_build/html
"""

import os
import shutil
import sys
from pathlib import Path

# Document the source tree, whether or not skprune is installed.
sys.path.insert(0, os.path.abspath(".."))

import skprune  # noqa: E402
from skprune._optional import importable  # noqa: E402

# skprune.torch needs the optional torch extra; without it, autodoc documents
# it against mocked torch and skorch modules, so the build still passes.
autodoc_mock_imports = [name for name in ("torch", "skorch") if not importable(name)]

# -- Project -----------------------------------------------------------------

project = "skprune"
author = "The skprune developers"
copyright = "The skprune developers"
release = skprune.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_nb",
]

# The gallery: docs/examples/plot_*.py run at build time, so they never rot.
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "download_all_examples": False,
    "show_memory": False,
    "reference_url": {"skprune": None},
}

# The notebooks of benchmarks/notebooks/, shown with the outputs they were
# committed with (benchmarks/notebooks/build.py runs them): copied here, next
# to the pages, at every build.
_NOTEBOOKS = Path(__file__).resolve().parent.parent / "benchmarks" / "notebooks"
_NOTEBOOK_PAGES = Path(__file__).resolve().parent / "notebooks"
_NOTEBOOK_PAGES.mkdir(exist_ok=True)
for _notebook in sorted(_NOTEBOOKS.glob("*.ipynb")):
    shutil.copyfile(_notebook, _NOTEBOOK_PAGES / _notebook.name)
nb_execution_mode = "off"

templates_path = ["_templates"]
# sphinx-gallery also writes a notebook per example: they are downloads, not
# pages.
exclude_patterns = ["_build", "examples", "auto_examples/*.ipynb"]
default_role = "literal"

# autosummary writes one page per public object into docs/generated/.
autosummary_generate = True

# The class template (_templates/autosummary/class.rst) documents members with
# autodoc; numpydoc's own member tables would repeat them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# No numpydoc validation at build time: inherited scikit-learn methods
# (get_params, set_params, ...) are documented too, and their docstrings are
# not ours to fix.
numpydoc_validation_checks = set()

# No cross-project links: the build must not need the network.
intersphinx_mapping = {}

# The examples in the pages (and in the docstrings they include) run with
# ``sphinx-build -b doctest docs docs/_build/doctest``.

# -- HTML --------------------------------------------------------------------

html_theme = "alabaster"
html_theme_options = {
    "description": "Prune fitted scikit-learn models behind plain fit/predict.",
    "fixed_sidebar": True,
}
html_static_path = []
html_show_sourcelink = False


# -- Inherited members ---------------------------------------------------------

# Class pages document inherited members (fit, predict, ... come from
# BasePruner; get_params, set_params from scikit-learn). scikit-learn's
# metadata-routing methods are left out: they are the same on every estimator
# and their docstrings link to labels of scikit-learn's own documentation.


def _skip_metadata_routing(app, what, name, obj, skip, options):
    if name == "get_metadata_routing" or (
        name.startswith("set_") and name.endswith("_request")
    ):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_routing)
