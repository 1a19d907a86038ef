"""Watts (2002) cascades: exact small cases, the frontier kernel against a full synchronous
scan, the cascade window on Erdos-Renyi graphs (statistical), CRN and input errors."""

import numba
import numpy as np
import pytest

from tolqyn import run_one
from tolqyn.core.errors import ScenarioError, UnknownParamError
from tolqyn.models.thresholds.watts import advance, next_adopters, vulnerable_mask
from tolqyn.scenarios.loader import from_dict, load_scenario
from tolqyn.space.network import erdos_renyi, from_edges


def _finals(z, seeds, n=10_000):
    sc = load_scenario("watts-2002/inside-window", overrides={"mean_degree": z, "n_agents": n})
    return np.array([run_one(sc, seed=s).series("cascade_size")[-1] for s in seeds])


# ------------------------------------------------------------------ exact cases
def test_ring_with_half_threshold_spreads_one_node_per_step_each_way():
    sc = from_dict(
        {
            "model": "watts",
            "steps": 100,
            "params": {"n_agents": 20, "network": "ring", "mean_degree": 2, "phi": 0.5},
        }
    )
    r = run_one(sc, seed=3)
    # seed at step 0, then two new adopters per step until the fronts meet after 10 steps
    np.testing.assert_array_equal(r.series("adopters"), [1] + [3, 5, 7, 9, 11, 13, 15, 17, 19, 20])
    assert r.series("cascade_size")[-1] == 1.0
    assert r.series("global_cascade")[-1] == 1.0
    assert r.series("vulnerable")[0] == 20


def test_ring_with_threshold_above_half_never_spreads():
    sc = from_dict(
        {
            "model": "watts",
            "steps": 100,
            "params": {"n_agents": 20, "network": "ring", "mean_degree": 2, "phi": 0.51},
        }
    )
    r = run_one(sc)
    np.testing.assert_array_equal(r.series("adopters"), [1])
    assert r.series("global_cascade")[-1] == 0.0
    assert r.series("vulnerable")[0] == 0


def test_threshold_is_inclusive_and_exact():
    # a node with 5 contacts and phi = 0.2 adopts after exactly one adopting contact
    net = from_edges(6, np.zeros(5, np.int64), np.arange(1, 6))
    deg = net.degree()
    assert vulnerable_mask(deg, np.full(6, 0.2)).all()
    adopted = np.zeros(6, np.uint8)
    adopted[1] = 1
    out = np.zeros(6, np.uint8)
    assert next_adopters(net.indptr, net.indices, adopted, np.full(6, 0.2), out) == 1
    assert out[0] == 1


def _reference_run(net, phi, seeds):
    """Plain synchronous iteration with the full-scan kernel: per-step adopter counts."""
    adopted = np.zeros(net.n, np.uint8)
    adopted[seeds] = 1
    counts = [int(adopted.sum())]
    flags = np.zeros(net.n, np.uint8)
    while next_adopters(net.indptr, net.indices, adopted, phi, flags):
        adopted |= flags
        counts.append(int(adopted.sum()))
    return counts, adopted


def test_frontier_kernel_matches_full_synchronous_scan():
    rng = np.random.default_rng(11)
    for trial in range(12):
        n = 3000
        net = erdos_renyi(n, rng.uniform(1.0, 7.0), rng)
        phi = np.clip(rng.normal(0.2, 0.1, n), 0.0, 1.0)
        phi[rng.random(n) < 0.002] = 0.0  # a few spontaneous adopters
        seeds = rng.choice(n, size=3, replace=False)
        want, want_adopted = _reference_run(net, phi, seeds)
        # frontier version, as the module drives it
        adopted = np.zeros(n, np.uint8)
        adopted[seeds] = 1
        m = np.zeros(n, np.int64)
        for i in seeds:
            np.add.at(m, net.neighbours(i), 1)
        flags = np.zeros(n, np.uint8)
        next_adopters(net.indptr, net.indices, adopted, phi, flags)
        pending = np.zeros(n, np.int64)
        first = np.flatnonzero(flags)
        pending[: first.size] = first
        n_pending, out = first.size, np.zeros(n, np.int64)
        status = np.zeros(n, np.int8)
        got = [int(adopted.sum())]
        while n_pending:
            k = advance(
                net.indptr,
                net.indices,
                phi,
                adopted,
                m,
                pending,
                n_pending,
                np.zeros(n, np.uint8),
                np.zeros(n, np.int64),
                status,
                1,
                out,
            )
            pending, out, n_pending = out, pending, k
            got.append(int(adopted.sum()))
        assert got == want, f"trial {trial}"
        np.testing.assert_array_equal(adopted, want_adopted)


# ------------------------------------------------------------------ the cascade window
def test_cascade_window_inside_at_z4():
    """phi = 0.18, Erdos-Renyi, N = 10,000, one random seed, z = 4: at least 70 of 100 runs
    must end in a global cascade (> 50 % adopt). Over 2,000 other seeds (1000-2999) we
    measured 1718/2000 = 0.859 (docs/literature.md §2.2: about 0.85); the 95 % Clopper-Pearson lower
    bound is p >= 0.843, so the false-failure rate is P(Bin(100, 0.843) <= 69) = 1.0e-4."""
    sizes = _finals(4.0, range(100))
    assert (sizes > 0.5).sum() >= 70
    # when they happen, cascades take most of the network
    assert sizes[sizes > 0.5].mean() > 0.9


def test_cascade_window_below_at_z08():
    """z = 0.8: no giant component, so no seed can reach half the network. The cascade is
    confined to the seed's component, whose size s has the Borel law of a subcritical
    branching process, P(s >= 5001) ~ exp(-5001 (c - 1 - ln c)) = exp(-116) at c = 0.8:
    a false-failure rate below 1e-48 for 50 runs (measured: 0/600, largest 0.8 %)."""
    sizes = _finals(0.8, range(50))
    assert (sizes > 0.5).sum() == 0
    assert sizes.max() < 0.05


def test_cascade_window_above_at_z10():
    """z = 10: only nodes with k <= 5 are vulnerable (6.7 %), and their cluster is far from
    percolating (sum_k k(k-1) rho_k p_k / z = 0.10 < 1), so cascades stay local. At most 2
    of 60 runs may be global. Measured 0/2000 over seeds 1000-2999 (95 % upper bound
    p <= 0.00184): the false-failure rate is P(Bin(60, 0.00184) >= 3) = 2.0e-4."""
    sizes = _finals(10.0, range(60))
    assert (sizes > 0.5).sum() <= 2


def test_upper_edge_cascades_are_rare_but_global():
    """z = 6, near the upper edge: global cascades are rare, and the ones that happen are
    nearly total (bimodal sizes). Measured 45/600 = 0.075 (95 % interval 0.055-0.099) over
    seeds 1000-1599. Asserting 1 to 30 cascades in 150 runs fails with probability at most
    P(Bin(150, 0.055) = 0) + P(Bin(150, 0.099) > 30) = 2.1e-4 + 6.2e-5. The smallest of the
    45 measured global cascades covered 99.6 % of the network; the 0.9 floor is a margin
    on that observation, not a bound derived from theory."""
    sizes = _finals(6.0, range(150))
    big = sizes > 0.5
    assert 1 <= big.sum() <= 30
    assert sizes[big].min() > 0.9
    assert sizes[~big].max() < 0.05


# ------------------------------------------------------------------ CRN and threads
def test_same_seed_same_result_on_one_or_two_threads():
    sc = load_scenario("watts-2002/inside-window", overrides={"phi_dist": "normal", "phi_sd": 0.05})
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = run_one(sc, seed=5)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = run_one(sc, seed=5)
    finally:
        numba.set_num_threads(before)
    for k in ("step", "metric", "value"):
        np.testing.assert_array_equal(a.columns[k], b.columns[k])
    finals = {run_one(sc, seed=s).series("adopters")[-1] for s in range(6)}
    assert len(finals) > 1


def test_several_seeds_and_distributed_thresholds():
    sc = load_scenario("watts-2002/above-window", overrides={"n_seeds": 200})
    r = run_one(sc, seed=1)
    assert r.series("adopters")[0] == 200
    assert r.series("new_adopters")[0] == 200
    a = r.series("adopters")
    np.testing.assert_array_equal(np.diff(a), r.series("new_adopters")[1:])
    assert np.all(r.series("active") + r.series("quiet") == 10_000)


# ------------------------------------------------------------------ bad input
def test_bad_input_is_refused_clearly():
    with pytest.raises(UnknownParamError, match="did you mean 'phi'"):
        from_dict({"model": "watts", "params": {"phy": 0.2}})
    with pytest.raises(ScenarioError, match=r"field 'phi'.*above the maximum"):
        from_dict({"model": "watts", "params": {"phi": 1.5}})
    with pytest.raises(ScenarioError, match="n_seeds = 50 exceeds the population"):
        run_one(from_dict({"model": "watts", "params": {"n_agents": 10, "n_seeds": 50}}))
    with pytest.raises(ScenarioError, match="'phi' sets up the initial population"):
        run_one(from_dict({"model": "watts", "events": [{"at": 2, "params": {"phi": 0.3}}]}))
    with pytest.raises(ScenarioError, match="too large for a ring"):
        run_one(
            from_dict(
                {"model": "watts", "params": {"n_agents": 10, "network": "ring", "mean_degree": 12}}
            )
        )
