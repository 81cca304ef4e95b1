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
