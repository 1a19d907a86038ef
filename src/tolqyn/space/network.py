"""Social networks as CSR arrays (compressed sparse rows, by source agent).

`indptr[i]:indptr[i+1]` slices `indices` to give the contacts of agent i. Agents are sorted by
region and locality before the network is built, so most contacts of i lie near i in memory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass
class Network:
    indptr: np.ndarray  # int64, n + 1
    indices: np.ndarray  # int32 (or int64 above 2^31 agents), number of directed edges

    @property
    def n(self) -> int:
        return self.indptr.shape[0] - 1

    @property
    def n_edges(self) -> int:
        return int(self.indices.shape[0])

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def neighbours(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes


def from_edges(
    n: int, src: np.ndarray, dst: np.ndarray, *, symmetric: bool = True, dedupe: bool = True
) -> Network:
    """Build a CSR network from an edge list. Self-loops are dropped; with `symmetric`
    each edge is stored in both directions; with `dedupe` repeated edges are merged."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if symmetric:
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    if src.size and (src.min() < 0 or max(src.max(), dst.max()) >= n):
        raise ValueError("edge endpoint out of range")
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    if dedupe and src.size:
        first = np.ones(src.size, dtype=bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        src, dst = src[first], dst[first]
    counts = np.bincount(src, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    idx_dtype = np.int32 if n < 2**31 else np.int64
    return Network(indptr=indptr, indices=dst.astype(idx_dtype))


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator) -> Network:
    """G(n, p) with p = z/(n-1), sampled as a Poisson number of random pairs (exact in the
    sparse limit, and O(edges) rather than O(n²))."""
    m = rng.poisson(mean_degree * n / 2.0)
    src = rng.integers(0, n, size=m)
    dst = rng.integers(0, n, size=m)
    return from_edges(n, src, dst, symmetric=True, dedupe=True)


@njit(cache=True)
def count_marked_neighbours(indptr, indices, marked, out):
    """out[i] = number of contacts j of i with marked[j] true."""
    n = indptr.shape[0] - 1
    for i in range(n):
        c = 0
        for e in range(indptr[i], indptr[i + 1]):
            if marked[indices[e]]:
                c += 1
        out[i] = c
    return out


def ring_lattice(n: int, k_half: int) -> Network:
    """Each agent tied to the k_half nearest agents on each side of a circle (degree 2·k_half
    when n > 2·k_half)."""
    if k_half < 0:
        raise ValueError("k_half must be >= 0")
    src = np.repeat(np.arange(n, dtype=np.int64), k_half)
    dst = (src + np.tile(np.arange(1, k_half + 1, dtype=np.int64), n)) % max(n, 1)
    return from_edges(n, src, dst, symmetric=True, dedupe=True)


def watts_strogatz(n: int, k_half: int, p_rewire: float, rng: np.random.Generator) -> Network:
    """Small world (Watts & Strogatz 1998): a ring lattice whose ties (i, i+j) each have
    their far end moved to a uniformly random agent with probability p_rewire. Rewiring
    that lands on i itself or on an existing tie is dropped, so the mean degree may fall
    slightly below 2·k_half (by about p_rewire·(2·k_half+1)/n)."""
    if not 0.0 <= p_rewire <= 1.0:
        raise ValueError("p_rewire must be in [0, 1]")
    src = np.repeat(np.arange(n, dtype=np.int64), k_half)
    dst = (src + np.tile(np.arange(1, k_half + 1, dtype=np.int64), n)) % max(n, 1)
    if p_rewire > 0 and src.size:
        move = rng.random(src.size) < p_rewire
        dst = dst.copy()
        dst[move] = rng.integers(0, n, size=int(move.sum()))
    return from_edges(n, src, dst, symmetric=True, dedupe=True)


def configuration_model(degrees: np.ndarray, rng: np.random.Generator) -> Network:
    """Erased configuration model: half-edges ('stubs') paired at random, then self-loops and
    repeated ties removed (a vanishing share for sparse degree sequences). An odd stub
    total loses one stub."""
    degrees = np.asarray(degrees, dtype=np.int64)
    if degrees.size and degrees.min() < 0:
        raise ValueError("degrees must be >= 0")
    stubs = np.repeat(np.arange(degrees.size, dtype=np.int64), degrees)
    rng.shuffle(stubs)
    m = stubs.size // 2
    return from_edges(degrees.size, stubs[:m], stubs[m : 2 * m], symmetric=True, dedupe=True)
