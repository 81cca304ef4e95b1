"""pytest configuration shared by the test suite and the doctests."""

import importlib


def _importable(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


# skprune.torch needs the optional "torch" extra: without it (or with a broken
# install) its modules and their doctests cannot be imported.
# tests/test_torch.py skips itself.
collect_ignore = []
if not (_importable("torch") and _importable("skorch")):
    collect_ignore.append("skprune/torch")
