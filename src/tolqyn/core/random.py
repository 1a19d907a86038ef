"""Named, counter-based random streams.

A draw is a pure function of (seed, stream name, step, agent index, slot): agent i gets the
same number for the same decision whatever other agents do (common random numbers), and the
result is the same on 1 or N threads because nothing depends on the order of evaluation.
The mixer is SplitMix64's finaliser applied to a combined 64-bit counter; it passes
BigCrush when used as a counter-based generator (Steele, Lea & Flood 2014).

Never touch global `np.random` or `random` state: every stochastic choice in tolqyn goes
through a `Stream`.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from numba import njit, prange

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_C_STEP = np.uint64(0xD1B54A32D192ED03)
_C_SLOT = np.uint64(0x8CB92BA72F3D8DD7)
_INV53 = 1.0 / 9007199254740992.0


@njit(inline="always", cache=True)
def mix64(z):
    z = np.uint64(z)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(inline="always", cache=True)
def draw_u64(key, step, i, slot):
    """64 random bits for (stream key, step, agent i, slot)."""
    h = mix64(np.uint64(key) ^ (np.uint64(step) * _C_STEP))
    h = mix64(h ^ (np.uint64(slot) * _C_SLOT))
    return mix64(h + np.uint64(i) * _GOLDEN)


@njit(inline="always", cache=True)
def draw_u01(key, step, i, slot):
    """A uniform double in [0, 1) for (stream key, step, agent i, slot)."""
    return float(draw_u64(key, step, i, slot) >> np.uint64(11)) * _INV53


@njit(inline="always", cache=True)
def draw_int(key, step, i, slot, n):
    """A uniform integer in [0, n) (n > 0); Lemire-free simple modulo on 64 bits,
    whose bias is below 2^-40 for the n used here."""
    return np.int64(draw_u64(key, step, i, slot) % np.uint64(n))


@njit(cache=True)
def binomial_u(n, p, u1, u2):
    """Binomial(n, p) from two uniforms: exact inversion of u1 when the mean of the rarer
    outcome is below 30, else the normal approximation (continuity-corrected, Box-Muller on
    u1, u2). Monotone in u1, so a counterfactual that changes p moves the count smoothly."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    q = min(p, 1.0 - p)
    m = n * q
    if m < 30.0:
        pk = math.exp(n * math.log1p(-q))  # P(X = 0) >= e^-30 here
        cdf = pk
        x = 0
        while u1 > cdf and x < n:
            pk *= (n - x) / (x + 1.0) * q / (1.0 - q)
            x += 1
            cdf += pk
    else:
        z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        x = int(min(max(math.floor(m + math.sqrt(m * (1.0 - q)) * z + 0.5), 0.0), float(n)))
    return x if q == p else n - x


@njit(parallel=True, cache=True)
def _uniform_block(key, step, start, n, slot, out):
    for j in prange(n):
        out[j] = draw_u01(key, step, start + j, slot)


@njit(parallel=True, cache=True)
def _uniform_ids(key, step, ids, slot, out):
    for j in prange(ids.shape[0]):
        out[j] = draw_u01(key, step, ids[j], slot)


def stream_key(seed: int, name: str) -> np.uint64:
    """Stable 64-bit key of a named stream under a seed (independent of Python's hash seed)."""
    digest = hashlib.blake2b(f"{int(seed)}/{name}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


class Stream:
    """One named stream. Use `key` inside Numba kernels with `draw_u01(key, step, i, slot)`."""

    __slots__ = ("name", "seed", "key")

    def __init__(self, seed: int, name: str):
        self.name = name
        self.seed = int(seed)
        self.key = stream_key(seed, name)

    def uniform(self, step: int, n: int, *, start: int = 0, slot: int = 0) -> np.ndarray:
        """Uniforms for agents start..start+n-1 at this step."""
        out = np.empty(n, dtype=np.float64)
        _uniform_block(self.key, np.uint64(step), np.uint64(start), n, np.uint64(slot), out)
        return out

    def uniform_for(self, step: int, ids: np.ndarray, *, slot: int = 0) -> np.ndarray:
        """Uniforms for the given agent ids at this step."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        out = np.empty(ids.shape[0], dtype=np.float64)
        _uniform_ids(self.key, np.uint64(step), ids.view(np.uint64), np.uint64(slot), out)
        return out

    def binomial(self, step: int, n: int, p: float, *, index: int = 0, slot: int = 0) -> int:
        """One Binomial(n, p) count for (step, index), from the uniforms of slots `slot` and
        `slot + 1`: give each count of a step its own index or slot pair."""
        u1 = draw_u01(self.key, np.uint64(step), np.uint64(index), np.uint64(slot))
        u2 = draw_u01(self.key, np.uint64(step), np.uint64(index), np.uint64(slot + 1))
        return int(binomial_u(int(n), float(p), u1, u2))

    def permutation(self, step: int, n: int, *, slot: int = 0) -> np.ndarray:
        """A random order of 0..n-1, a pure function of (stream, step)."""
        keys = self.uniform(step, n, slot=slot)
        return np.argsort(keys, kind="stable")

    def generator(self, step: int = 0) -> np.random.Generator:
        """A NumPy Generator seeded from this stream, for set-up work (population synthesis)
        where a vectorised NumPy distribution is clearer than hand-written draws."""
        return np.random.Generator(np.random.PCG64(int(draw_u64(self.key, step, 0, 0xFFFF))))


class Streams:
    """All named streams of one Sim, created on first use."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[str, Stream] = {}

    def __call__(self, name: str) -> Stream:
        s = self._streams.get(name)
        if s is None:
            s = self._streams[name] = Stream(self.seed, name)
        return s

    @property
    def names(self) -> list[str]:
        return sorted(self._streams)
