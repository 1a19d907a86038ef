"""Network generators added for the threshold models: ring lattice, small world and the
erased configuration model."""

import numpy as np
import pytest

from tolqyn.space.network import configuration_model, erdos_renyi, ring_lattice, watts_strogatz


def _symmetric(net):
    src = np.repeat(np.arange(net.n), net.degree())
    fwd = set(zip(src.tolist(), net.indices.tolist()))
    return all((b, a) in fwd for a, b in fwd) and all(a != b for a, b in fwd)


def test_ring_lattice_degrees_and_ties():
    net = ring_lattice(50, 3)
    assert np.all(net.degree() == 6)
    assert sorted(net.neighbours(0).tolist()) == [1, 2, 3, 47, 48, 49]
    assert _symmetric(net)


def test_small_world_without_rewiring_is_the_ring():
    a = watts_strogatz(40, 2, 0.0, np.random.default_rng(0))
    b = ring_lattice(40, 2)
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)


def test_small_world_rewiring_keeps_mean_degree_and_adds_long_ties():
    n, k = 20_000, 3
    net = watts_strogatz(n, k, 0.2, np.random.default_rng(1))
    assert _symmetric(watts_strogatz(300, k, 0.2, np.random.default_rng(2)))
    assert abs(net.degree().mean() - 2 * k) < 0.01
    src = np.repeat(np.arange(n), net.degree())
    d = np.abs(src - net.indices)
    ring_dist = np.minimum(d, n - d)
    long_share = np.mean(ring_dist > k)
    # a rewired tie lands within distance k by chance with probability ~2k/n: ~20 % are long
    assert 0.18 < long_share < 0.22
    with pytest.raises(ValueError):
        watts_strogatz(10, 1, 1.5, np.random.default_rng(0))


def test_configuration_model_matches_degrees_up_to_erasure():
    rng = np.random.default_rng(3)
    deg = rng.poisson(5, size=20_000)
    net = configuration_model(deg, rng)
    got = net.degree()
    assert np.all(got <= deg)
    assert abs(got.sum() - deg.sum()) / deg.sum() < 0.005  # self-loops/multi-ties are rare
    assert _symmetric(configuration_model(rng.poisson(3, 300), rng))


def test_erdos_renyi_mean_degree():
    net = erdos_renyi(50_000, 4.0, np.random.default_rng(4))
    assert abs(net.degree().mean() - 4.0) < 0.05
