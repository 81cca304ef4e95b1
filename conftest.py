"""pytest configuration shared by the test suite and the doctests."""

import pytest

from skprune import base
from skprune._optional import torch_extra_installed

# skprune.torch needs the optional "torch" extra: without it (or with a broken
# install) its modules and their doctests cannot be imported.
# tests/test_torch.py skips itself.
# docs/conf.py is Sphinx's configuration, not a module to doctest: importing
# it copies the notebooks into docs/.
collect_ignore = ["docs/conf.py"]
if not torch_extra_installed():
    collect_ignore.append("skprune/torch")


@pytest.fixture(autouse=True)
def _forget_warnings_shown():
    """Every test sees skprune's once-per-process warnings afresh."""
    base._WARNED.clear()
