"""Is Numba's on-disk cache cold? The first run in a fresh install compiles the kernels (about a
minute); later runs load them from the cache in a second. The command line says so up front
instead of leaving the user with a progress bar that does not move."""

from __future__ import annotations

import sys

NOTICE = (
    "compiling the simulation kernels for this machine (first run only, about a minute; "
    "later runs start in seconds)"
)


def _cached_dispatchers():
    """Every `@njit(cache=True)` function of the tolqyn modules imported so far."""
    try:
        from numba.core.caching import FunctionCache
        from numba.core.registry import CPUDispatcher
    except ImportError:  # a Numba without these internals: nothing to say
        return
    for name, mod in list(sys.modules.items()):
        if not name.startswith("tolqyn.") or mod is None:
            continue
        for obj in list(vars(mod).values()):
            if isinstance(obj, CPUDispatcher) and isinstance(
                getattr(obj, "_cache", None), FunctionCache
            ):
                yield obj


def _is_cached(dispatcher) -> bool:
    cache_file = dispatcher._cache._cache_file
    try:
        # the index is keyed by the source file's time stamp and size: a stale one loads empty
        return bool(cache_file._load_index())
    except (OSError, EOFError, ValueError, AttributeError, TypeError):
        return False


def cold_kernels() -> list[str]:
    """Names of the cached kernels (among the modules imported so far) that are neither
    compiled in this process nor on disk: these will be compiled on first use."""
    cold = []
    for d in _cached_dispatchers():
        if d.signatures:  # already compiled or loaded in this process
            continue
        if not _is_cached(d):
            cold.append(f"{d.py_func.__module__}.{d.py_func.__name__}")
    return sorted(set(cold))


def cache_is_cold(share: float = 0.6) -> bool:
    """True when most cached kernels of the modules imported so far are missing from disk.
    Small helpers that Numba inlines into their callers never get a cache entry of their own,
    so a warm cache still shows a few (measured: 9 of 39 for the Epstein model, 10 of 57 for
    the country model, against 28 of 39 and 57 of 57 in a fresh tree)."""
    total = sum(1 for _ in _cached_dispatchers())
    return total > 0 and len(cold_kernels()) >= share * total
