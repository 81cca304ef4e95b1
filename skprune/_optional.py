"""Which optional dependencies can be used here."""

import importlib


def importable(name):
    """Whether ``import name`` works (installed, and not broken)."""
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def torch_extra_installed():
    """Whether the ``torch`` extra (PyTorch and skorch) can be used."""
    return importable("torch") and importable("skorch")


# The one command that installs the torch extra, from a clone of the
# repository (skprune is not on the package index). torch is pinned first, to
# the version CI tests: an unpinned torch can pull a CUDA build of several GB.
# Every message about the missing extra gives this command, and the docs too
# (tests/test_docs.py checks that they agree).
TORCH_INSTALL_COMMAND = 'pip install "torch==2.13.0" && pip install -e ".[torch]"'
