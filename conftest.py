"""pytest configuration shared by the test suite and the doctests."""

import os
import tempfile

import pytest

from skprune._optional import torch_extra_installed
from skprune.utils import _log

# skprune.torch needs the optional "torch" extra: without it (or with a broken
# install) its modules and their doctests cannot be imported.
# tests/test_torch.py skips itself; the CNN guide's examples need the extra too.
# docs/conf.py is Sphinx's configuration, not a module to doctest: importing
# it copies the notebooks into docs/.
collect_ignore = ["docs/conf.py"]
if not torch_extra_installed():
    collect_ignore += ["skprune/torch", "docs/user_guide/cnn.rst"]


@pytest.fixture(autouse=True)
def _forget_warnings_shown():
    """Every test sees skprune's once-per-process warnings afresh."""
    _log._WARNED.clear()


@pytest.fixture(autouse=True, scope="session")
def _temporary_files_under_pytest_root(tmp_path_factory):
    """Temporary files of the code under test go below pytest's own root.

    Caches made with ``tempfile`` (the notebooks', joblib's), the scratch space
    of dask workers (separate processes: they read ``TMPDIR``) and whatever a
    kernel started by a notebook test writes then leave nothing behind in the
    system's temporary directory; pytest prunes its own root.
    """
    directory = str(tmp_path_factory.mktemp("tempfile"))
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = directory
    os.environ["TMPDIR"] = directory
    yield
    tempfile.tempdir = saved[0]
    if saved[1] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved[1]
