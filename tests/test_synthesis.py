"""Population synthesis: counts, sorting, network structure, reproducibility."""
import numpy as np
import pytest

from tolqyn.core.random import Stream
from tolqyn.data import loaders
from tolqyn.data.synthesis import agents_per_region, synthesize_country


@pytest.fixture(scope="module")
def space():
    return synthesize_country({}, Stream(7, "synthesis"), 100)


def test_agents_per_region_follow_rounding_rule(space):
    pop = loaders.regions()["population"]
    assert np.array_equal(space.region_sizes(), np.floor(pop / 100 + 0.5).astype(np.int64))
    assert space.region_population.sum() == loaders.national_population()


def test_sorted_by_region_and_locality(space):
    a = space.agents
    assert np.all(np.diff(a["region"]) >= 0)
    assert np.all(np.diff(a["locality"]) >= 0)
    assert np.array_equal(space.locality_region[a["locality"]], a["region"])


def test_network_symmetric_no_self_loops(space):
    net = space.network
    src = np.repeat(np.arange(net.n), net.degree())
    dst = net.indices.astype(np.int64)
    assert not np.any(src == dst)
    fwd = np.sort(src * net.n + dst)
    bwd = np.sort(dst * net.n + src)
    assert np.array_equal(fwd, bwd)


def test_reproducible():
    a = synthesize_country({}, Stream(3, "synthesis"), 1000)
    b = synthesize_country({}, Stream(3, "synthesis"), 1000)
    for k in a.agents:
        assert np.array_equal(a.agents[k], b.agents[k])
    assert np.array_equal(a.network.indices, b.network.indices)
