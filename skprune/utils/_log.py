"""Progress lines and warnings about a pruner's settings."""

import time
import warnings
from contextlib import contextmanager

# Warnings about a pruner's settings, not its data, are shown once per process:
# scikit-learn's searches reset the warning filters around every fit, so
# Python's own "once per location" would repeat them for every candidate.
_WARNED = set()


def warn_once(message, category=UserWarning, stacklevel=2):
    """``warnings.warn`` that shows a given message once per process."""
    if (message, category) in _WARNED:
        return
    _WARNED.add((message, category))
    warnings.warn(message, category, stacklevel=stacklevel + 1)


def log(pruner, message, level=1):
    """Print ``[PrunerName] message`` when ``pruner.verbose`` reaches ``level``.

    A line per step at 1, more detail above.
    """
    if getattr(pruner, "verbose", 0) >= level:
        print(f"[{type(pruner).__name__}] {message}", flush=True)


class _Step:
    """What :func:`log_step` yields: a place for the details of the line."""

    def __init__(self):
        self.details = ""


@contextmanager
def log_step(pruner, what, level=1):
    """Time the block and log ``what: <details> (<seconds> s)`` after it.

    Without details the line is ``what: <seconds> s``.

    The block may set ``step.details`` (e.g. sizes only known at its end)::

        with log_step(self, "pruning") as step:
            ...
            step.details = f"{n_left} leaves left"

    prints ``[TreePruner] pruning: 12 leaves left (0.01 s)``. Nothing is
    printed when the block raises.
    """
    step = _Step()
    start = time.perf_counter()
    yield step
    elapsed = time.perf_counter() - start
    if step.details:
        log(pruner, f"{what}: {step.details} ({elapsed:.2f} s)", level)
    else:
        log(pruner, f"{what}: {elapsed:.2f} s", level)
