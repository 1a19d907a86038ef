"""Torus lattice and vision shapes (exact cases)."""

import numpy as np
import pytest

from tolqyn.space.grid import Torus, offsets


@pytest.mark.parametrize(
    "shape,radius,size",
    [
        ("euclidean", 1.7, 8),
        ("euclidean", 1.0, 4),
        ("euclidean", 7, 148),
        ("von_neumann", 7, 112),
        ("moore", 7, 224),
        ("moore", 1, 8),
        ("von_neumann", 1, 4),
        ("euclidean", 0.5, 0),
    ],
)
def test_neighbourhood_sizes(shape, radius, size):
    assert len(offsets(shape, radius)) == size


def test_euclid_1_7_is_moore_8():
    e = offsets("euclidean", 1.7)
    m = offsets("moore", 1)
    assert set(zip(e.dx.tolist(), e.dy.tolist())) == set(zip(m.dx.tolist(), m.dy.tolist()))
    assert (0, 0) not in set(zip(e.dx.tolist(), e.dy.tolist()))


def test_include_center_and_rings_sorted_by_distance():
    o = offsets("euclidean", 7, include_center=True)
    assert len(o) == 149 and o.dx[0] == 0 and o.dy[0] == 0
    d2 = o.dx.astype(int) ** 2 + o.dy.astype(int) ** 2
    assert np.all(np.diff(d2) >= 0)
    for a, b in zip(o.ring_ptr[:-1], o.ring_ptr[1:]):
        assert len(set(d2[a:b])) == 1
    assert o.ring_ptr[-1] == len(o)


def test_shapes_are_symmetric():
    for shape in ("euclidean", "von_neumann", "moore"):
        o = offsets(shape, 4.5)
        pts = set(zip(o.dx.tolist(), o.dy.tolist()))
        assert pts == {(-x, -y) for x, y in pts}


def test_torus_wrap():
    t = Torus(10, 6)
    o = offsets("moore", 1)
    nb = set(t.neighbours(0, o).tolist())  # corner (0, 0)
    assert nb == {t.site(x, y) for x in (-1, 0, 1) for y in (-1, 0, 1) if (x, y) != (0, 0)}
    assert t.site(9, 5) in nb and t.site(-1, -1) == 59
    assert t.fits(offsets("euclidean", 2.5)) and not t.fits(offsets("euclidean", 3))


def test_counts_match_brute_force():
    rng = np.random.default_rng(3)
    t = Torus(13, 11)
    mask = rng.random(t.n_sites) < 0.3
    for shape, r in (("euclidean", 2.3), ("von_neumann", 3), ("moore", 2)):
        o = offsets(shape, r)
        got = t.count(mask, o)
        want = np.array([mask[t.neighbours(s, o)].sum() for s in range(t.n_sites)])
        assert np.array_equal(got, want)


def test_bad_shape_and_radius():
    with pytest.raises(ValueError, match="allowed"):
        offsets("hex", 2)
    with pytest.raises(ValueError):
        offsets("moore", float("nan"))


@pytest.mark.parametrize(
    "shape,radius", [("euclidean", 1.7), ("euclidean", 7), ("von_neumann", 7), ("moore", 3)]
)
def test_row_runs_cover_the_shape_and_update_fields_like_a_recount(shape, radius):
    """The kernel updates its count fields run by run; the runs must hold each offset exactly
    once, and adding a few marked sites (edges and corners included, so the wrapped path runs)
    must give the same field as counting from scratch."""
    from tolqyn.models.epstein.kernels import fadd
    from tolqyn.space.grid import row_runs

    W, H = 23, 19
    off = offsets(shape, radius)
    runs = row_runs(off, W)
    covered = sorted((int(dx0 + j), int(dy)) for dx0, dy, n, _ in runs for j in range(n))
    assert covered == sorted(zip(off.dx.tolist(), off.dy.tolist()))
    torus = Torus(W, H)
    mask = np.zeros(W * H, dtype=bool)
    mask[[0, W - 1, W * H - 1, (H - 1) * W, 5 * W + 11, 2 * W + 3]] = True
    f = np.zeros(W * H, dtype=np.int16)
    for s in np.flatnonzero(mask):
        fadd(f, np.int64(s), runs, off.reach, W, H, 1)
    assert np.array_equal(f, torus.count(mask, off))
