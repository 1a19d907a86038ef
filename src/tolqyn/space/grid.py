"""Torus lattice of the classic models: vision shapes with a real-valued radius, precomputed
neighbourhood offsets (sorted by distance, with ring boundaries for nearest-first search) and
vectorised neighbourhood counts.

Sites are numbered s = y * width + x. Vision shapes (own site always excluded):

* ``euclidean``   dx² + dy² ≤ r²        (Epstein's Ascape code, NetLogo ``in-radius``):
                  r = 1.7 gives the 8 Moore neighbours, r = 7 gives 148 sites;
* ``von_neumann`` |dx| + |dy| ≤ ⌊r⌋      (Mesa 3.x ``OrthogonalVonNeumannGrid``): r = 7 → 112;
* ``moore``       max(|dx|, |dy|) ≤ ⌊r⌋  (Mesa 3.5 option): r = 7 → 224.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

SHAPES = ("euclidean", "von_neumann", "moore")


@dataclass(frozen=True)
class Offsets:
    """Neighbourhood offsets sorted by Euclidean distance (then angle, for a fixed order).

    ``ring_ptr[k]:ring_ptr[k+1]`` are the offsets at the k-th smallest distance: a
    nearest-first search scans rings in order and picks at random among hits of one ring."""

    dx: np.ndarray  # int32
    dy: np.ndarray  # int32
    ring_ptr: np.ndarray  # int32, len = number of distinct distances + 1
    reach: int  # max(|dx|, |dy|): the wrap margin

    def __len__(self) -> int:
        return int(self.dx.shape[0])


def offsets(shape: str, radius: float, include_center: bool = False) -> Offsets:
    """Offsets of a vision neighbourhood. ``radius`` may be real (1.7 is Epstein's Run 1)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown vision shape {shape!r}; allowed: {', '.join(SHAPES)}")
    if not (radius >= 0 and math.isfinite(radius)):
        raise ValueError(f"vision radius must be a finite number >= 0, got {radius!r}")
    R = int(math.floor(radius + 1e-9))
    r2 = radius * radius + 1e-9  # tolerance so that e.g. radius 5.0 includes (3, 4)
    pts = []
    for dy in range(-R, R + 1):
        for dx in range(-R, R + 1):
            if dx == 0 and dy == 0 and not include_center:
                continue
            if shape == "euclidean":
                ok = dx * dx + dy * dy <= r2
            elif shape == "von_neumann":
                ok = abs(dx) + abs(dy) <= R
            else:
                ok = max(abs(dx), abs(dy)) <= R
            if ok:
                pts.append((dx * dx + dy * dy, math.atan2(dy, dx), dx, dy))
    pts.sort()
    dx = np.array([p[2] for p in pts], dtype=np.int32)
    dy = np.array([p[3] for p in pts], dtype=np.int32)
    d2 = np.array([p[0] for p in pts], dtype=np.int64)
    if d2.size:
        starts = np.flatnonzero(np.r_[True, d2[1:] != d2[:-1]])
        ring_ptr = np.r_[starts, d2.size].astype(np.int32)
    else:
        ring_ptr = np.zeros(1, dtype=np.int32)
    reach = int(max(np.abs(dx).max(initial=0), np.abs(dy).max(initial=0)))
    return Offsets(dx, dy, ring_ptr, reach)


def row_runs(off: Offsets, width: int) -> np.ndarray:
    """The offsets as runs of consecutive sites along lattice rows, one row per (dy, run):
    an int64 array of rows (dx0, dy, length, dy·width + dx0). Updating a count field over a
    run is a contiguous add; the Euclidean, von Neumann and Moore shapes give one run per row
    (two on the own row, around the excluded centre)."""
    runs = []
    for dy in sorted(set(off.dy.tolist())):
        xs = np.sort(off.dx[off.dy == dy])
        start = 0
        for k in range(1, xs.size + 1):
            if k == xs.size or xs[k] != xs[k - 1] + 1:
                runs.append((int(xs[start]), int(dy), k - start, int(dy) * width + int(xs[start])))
                start = k
    return np.array(runs, dtype=np.int64).reshape(-1, 4)


class Torus:
    """A width × height lattice with wrap-around on both axes."""

    def __init__(self, width: int, height: int):
        if width < 1 or height < 1:
            raise ValueError("width and height must be >= 1")
        self.width = int(width)
        self.height = int(height)

    @property
    def n_sites(self) -> int:
        return self.width * self.height

    def xy(self, site):
        site = np.asarray(site)
        return site % self.width, site // self.width

    def site(self, x, y):
        return (np.asarray(y) % self.height) * self.width + (np.asarray(x) % self.width)

    def fits(self, off: Offsets) -> bool:
        """True when no neighbourhood wraps onto itself (each offset is a distinct site)."""
        return 2 * off.reach + 1 <= min(self.width, self.height)

    def neighbours(self, site: int, off: Offsets) -> np.ndarray:
        """Sites of the neighbourhood of `site`, in the order of the offsets."""
        x, y = site % self.width, site // self.width
        return ((y + off.dy) % self.height) * self.width + (x + off.dx) % self.width

    def count(self, mask: np.ndarray, off: Offsets) -> np.ndarray:
        """For every site, how many sites of its neighbourhood have `mask` true (mask has one
        entry per site, any shape that ravels to width*height)."""
        m = np.ascontiguousarray(mask, dtype=np.uint8).reshape(-1)
        if m.size != self.n_sites:
            raise ValueError(f"mask has {m.size} entries, lattice has {self.n_sites} sites")
        out = np.zeros(self.n_sites, dtype=np.int32)
        _count_kernel(m, off.dx, off.dy, self.width, self.height, out)
        return out


@njit(cache=True)
def wrap_site(s, dx, dy, W, H):
    """Site reached from s by (dx, dy) on the torus; |dx| < W, |dy| < H."""
    x = s % W + dx
    y = s // W + dy
    if x < 0:
        x += W
    elif x >= W:
        x -= W
    if y < 0:
        y += H
    elif y >= H:
        y -= H
    return y * W + x


@njit(cache=True)
def _count_kernel(mask, dx, dy, W, H, out):
    # scatter: each marked site adds one to all sites that see it (shapes are symmetric)
    n_off = dx.shape[0]
    for s in range(W * H):
        if mask[s]:
            for k in range(n_off):
                out[wrap_site(s, dx[k], dy[k], W, H)] += 1
