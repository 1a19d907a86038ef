"""Torus lattice and vision shapes (exact cases)."""
import numpy as np
import pytest

from tolqyn.space.grid import Torus, offsets


@pytest.mark.parametrize("shape,radius,size", [
    ("euclidean", 1.7, 8), ("euclidean", 1.0, 4), ("euclidean", 7, 148),
    ("von_neumann", 7, 112), ("moore", 7, 224), ("moore", 1, 8), ("von_neumann", 1, 4),
    ("euclidean", 0.5, 0),
])
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
    nb = set(t.neighbours(0, o).tolist())   # corner (0, 0)
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
