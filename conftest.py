"""pytest configuration shared by the test suite and the doctests."""

import importlib.util


def _installed(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# skprune.torch needs the optional "torch" extra: without it its modules (and
# their doctests) cannot be imported. tests/test_torch.py skips itself.
collect_ignore = []
if not (_installed("torch") and _installed("skorch")):
    collect_ignore.append("skprune/torch")
