"""Deterministic chunking for parallel reductions.

A parallel loop that sums into shared bins would race; one that sums into per-thread bins
would give results that depend on the thread count (floating-point sums in another order).
Instead the agents are cut into a number of contiguous chunks that depends only on the
population size, each chunk sums into its own row, and the rows are added in a fixed order:
the same result on 1 or N threads, bit for bit."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

CHUNK_AGENTS = 1 << 18  # a chunk is at least this many agents, so small runs use few rows
MAX_CHUNKS = 32


@njit(cache=True)
def n_chunks(n):
    """Number of chunks for n agents (a function of n only, never of the thread count)."""
    c = n // CHUNK_AGENTS
    if c < 1:
        return 1
    if c > MAX_CHUNKS:
        return MAX_CHUNKS
    return c


@njit(cache=True)
def chunk_bounds(n, nc, c):
    size = (n + nc - 1) // nc
    lo = c * size
    hi = lo + size
    if hi > n:
        hi = n
    if lo > n:
        lo = n
    return lo, hi


@njit(parallel=True, cache=True)
def count_status_by(status, code, idx, out):
    """out[k] = number of agents with status == code and idx == k (exact on any thread count)."""
    n = status.shape[0]
    nb = out.shape[0]
    nc = n_chunks(n)
    part = np.zeros((nc, nb), dtype=np.int64)
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            if status[i] == code:
                part[c, idx[i]] += 1
    for k in range(nb):
        a = 0
        for c in range(nc):
            a += part[c, k]
        out[k] = a
