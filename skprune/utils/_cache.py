"""The ``memory`` cache of the fitted base model (and other costly results)."""

import pickle
import warnings
from numbers import Integral

import joblib
from joblib import Memory
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_memory

from ._log import warn_once


def fit_estimator(estimator, X, y, sample_weight):
    """Fit ``estimator``; module-level so that ``joblib.Memory`` can cache it."""
    if sample_weight is None:
        return estimator.fit(X, y)
    return estimator.fit(X, y, sample_weight=sample_weight)


def _code_digest(code):
    """The bytecode and constants of ``code``, nested code objects included.

    Code objects themselves cannot be hashed by joblib, and their ``repr``
    holds a memory address that differs between processes.
    """
    consts = tuple(
        _code_digest(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts
    )
    return code.co_code, consts, code.co_names


def _callable_digests(args):
    """The code of every Python function among the parameters of ``args``.

    joblib hashes a function by its name only, so a kernel or criterion
    redefined under the same name would reuse results computed with the old
    one. The closure's values are not included.
    """
    digests = []
    for arg in args:
        if not isinstance(arg, BaseEstimator):
            continue
        for name, value in sorted(arg.get_params(deep=True).items()):
            code = getattr(value, "__code__", None)
            if code is not None:
                digests.append((name, _code_digest(code)))
    return digests


def cache_key(func, args):
    """A digest of ``func`` (its name and code) and of ``args``.

    The key of every cache: on disk, and in :class:`InMemoryCache`. A
    callable without Python code (a builtin, a ``functools.partial``) is keyed
    by joblib's hash of it.
    """
    code = getattr(func, "__code__", None)
    func_digest = (
        joblib.hash(func)
        if code is None
        else (func.__module__, func.__qualname__, _code_digest(code))
    )
    return joblib.hash((func_digest, _callable_digests(args), args))


def _keyed_call(key, func, args):
    """``(key, func(*args))``; cached on ``key`` alone (see ``call_cached``)."""
    return key, func(*args)


def call_cached(memory, func, *args, mmap_mode=None, model_name="the estimator"):
    """``func(*args)`` through the ``memory`` cache, if there is one.

    ``func`` must be a module-level function. ``mmap_mode`` opens the
    numpy arrays of a result cached on disk memory-mapped instead of
    reading them: large, read-only results (e.g. factorisations) cost
    nothing to load. ``model_name`` names the model in the warning given when
    its parameters cannot be pickled.

    On disk, the result is stored with a digest of ``func``, of ``args``
    and of the code of any function among the estimators' parameters, and
    checked against it when loaded: a damaged or copied cache file, or a
    kernel redefined under the same name, is recomputed, not reused.
    """
    if memory is None:
        return func(*args)
    try:
        checked = check_memory(memory)
        if isinstance(checked, Memory) and checked.location is not None:
            return _call_verified(checked, func, args, mmap_mode)
        return checked.cache(func)(*args)
    except OSError as error:
        # A cache that cannot be written must not stop the fit. joblib
        # itself recomputes (and says so) when a cached result is corrupt.
        warn_once(
            f"The memory cache {memory!r} could not be used ({error}); "
            "computing without it.",
            stacklevel=4,
        )
    except pickle.PicklingError:
        # e.g. a lambda kernel: joblib can neither hash nor store it.
        warn_once(
            f"memory cannot cache {model_name}: "
            "joblib cannot pickle one of its parameters (a lambda or a local "
            "function?); computing without the cache. Define such functions "
            "at module level to have them cached.",
            stacklevel=4,
        )
    return func(*args)


def _call_verified(memory, func, args, mmap_mode):
    """``func(*args)`` cached on disk under a digest checked when loaded."""
    if mmap_mode is not None:
        # The same store, read memory-mapped (which excludes compression;
        # the other settings are kept).
        memory = Memory(
            memory.location,
            backend=memory.backend,
            mmap_mode=mmap_mode,
            verbose=0,
            backend_options=getattr(memory, "backend_options", None),
        )
    key = cache_key(func, args)
    # joblib hashes only the digest: the arguments were hashed into it.
    stored_key, result = memory.cache(_keyed_call, ignore=["func", "args"])(
        key, func, args
    )
    if stored_key != key:
        warnings.warn(
            f"A result in the memory cache {memory.location!r} does not "
            "belong to the arguments it is stored under (a damaged or "
            "copied cache file?); recomputed without it.",
            UserWarning,
            stacklevel=5,
        )
        return func(*args)
    return result


def cache_reusable(memory, random_state, what, stacklevel=2):
    """Whether a result drawn with ``random_state`` can come from ``memory``.

    Such a result (a fit on a random hold-out, a refit with random tie
    breaking) is the same from one fit to the next only with an int
    ``random_state``. With ``memory`` set and another ``random_state``, warns
    once that the cache has no effect on ``what``, and returns False.
    """
    if memory is None:
        return False
    if isinstance(random_state, Integral):
        return True
    warn_once(
        f"memory has no effect on {what} unless random_state is an int: every "
        "fit draws new random rows or keys, so no later fit could reuse it. "
        "Set random_state to an int.",
        stacklevel=stacklevel + 1,
    )
    return False
