"""Population synthesis: counts, sorting, composition, network structure, reproducibility."""

import numba
import numpy as np
import pytest
from scipy import stats

from tolqyn.core.errors import ScenarioError
from tolqyn.core.random import Stream
from tolqyn.data import loaders
from tolqyn.data.synthesis import (
    AGENT_COLUMNS,
    SYNTHESIS_PARAMS,
    agents_per_region,
    apportion,
    synthesize_country,
)


@pytest.fixture(scope="module")
def space():
    return synthesize_country({}, Stream(7, "synthesis"), 100)


def test_contract_columns_and_dtypes(space):
    assert set(space.agents) == set(AGENT_COLUMNS)
    for name, (dtype, _) in AGENT_COLUMNS.items():
        a = space.agents[name]
        assert a.dtype == np.dtype(dtype) and a.shape == (space.n_agents,), name
    assert space.locality_region.dtype == np.int16 and space.locality_start.dtype == np.int64
    assert space.locality_urban.dtype == bool and space.region_start.dtype == np.int64
    assert space.region_population.dtype == np.int64 and space.region_centroid.shape == (20, 2)
    assert len(space.locality_name) == space.n_localities == len(space.locality_population)
    assert space.ethnic_groups == [
        "kazakh",
        "russian",
        "uzbek",
        "ukrainian",
        "uyghur",
        "german",
        "tatar",
        "other",
    ]
    assert "KZ-47" in space.region_codes and "KZ-75" in space.region_codes
    assert space.network.indices.dtype == np.int32
    assert {a["id"] for a in space.assumptions} >= {"A-ETH-FILL", "A-LOC-RURAL", "A-NET-LOCAL"}


def test_agents_per_region_follow_rounding_rule(space):
    pop = loaders.regions()["population"]
    assert np.array_equal(space.region_sizes(), np.floor(pop / 100 + 0.5).astype(np.int64))
    assert np.array_equal(agents_per_region(pop, 1), pop)  # one agent per citizen: exact
    assert space.region_population.sum() == loaders.national_population()


def test_localities_partition_each_region(space):
    loc_pop = space.locality_population
    for r in range(space.n_regions):
        m = space.locality_region == r
        assert loc_pop[m].sum() == space.region_population[r]
        urban = loc_pop[m & space.locality_urban].sum()
        assert urban == pytest.approx(
            space.region_urban_share[r] * space.region_population[r], abs=1
        )
        sizes = space.locality_sizes()[m]
        assert sizes.sum() == space.region_sizes()[r]
        quota = loc_pop[m] / loc_pop[m].sum() * space.region_sizes()[r]
        assert np.all((sizes >= np.floor(quota)) & (sizes <= np.ceil(quota)))
    assert "Zhanaozen" in space.locality_name and "Almaty" in space.locality_name


def test_apportion_exact():
    w = np.array([3.0, 3.0, 3.0, 1.0])
    assert apportion(10, w).tolist() == [3, 3, 3, 1]
    assert apportion(11, w).sum() == 11
    assert apportion(0, w).sum() == 0


def test_sorted_by_region_and_locality(space):
    a = space.agents
    assert np.all(np.diff(a["region"]) >= 0)
    assert np.all(np.diff(a["locality"]) >= 0)
    assert np.array_equal(space.locality_region[a["locality"]], a["region"])
    assert np.array_equal(
        np.repeat(space.locality_urban, space.locality_sizes()).astype(np.int8), a["urban"]
    )
    for r in range(space.n_regions):
        assert np.all(a["region"][space.region_agents(r)] == r)
    s = space.locality_agents(5)
    assert np.all(np.diff(a["ethnicity"][s]) >= 0)  # group blocks inside a locality


def test_income_is_rank_within_locality(space):
    inc = space.agents["income"]
    for l in (0, 1, space.n_localities // 2, space.n_localities - 1):
        s = space.locality_agents(l)
        n = s.stop - s.start
        expect = ((np.arange(n) + 0.5) / n).astype(np.float32)
        assert np.array_equal(np.sort(inc[s]), expect)
    ra = space.agents["risk_aversion"]
    assert 0.0 <= ra.min() and ra.max() < 1.0 and abs(ra.mean() - 0.5) < 0.01


def test_network_symmetric_no_self_loops_no_duplicates(space):
    net = space.network
    src = np.repeat(np.arange(net.n, dtype=np.int64), net.degree())
    dst = net.indices.astype(np.int64)
    assert not np.any(src == dst)
    code = src * net.n + dst
    fwd = np.sort(code)
    assert np.all(np.diff(fwd) > 0)  # no multi-edges
    assert np.array_equal(fwd, np.sort(dst * net.n + src))  # symmetric


def test_network_mostly_local(space):
    net = space.network
    src = np.repeat(np.arange(net.n, dtype=np.int64), net.degree())
    loc = space.agents["locality"]
    reg = space.agents["region"]
    same_loc = np.mean(loc[src] == loc[net.indices])
    same_reg = np.mean(reg[src] == reg[net.indices])
    # expected shares 6/7.5 local, 7/7.5 in-region; one-agent localities push a few ties outward
    assert same_loc > 0.75
    assert same_reg > 0.9 and same_reg > same_loc
    assert 6.5 < net.degree().mean() < 7.6
    assert net.nbytes / space.n_agents < 50


def test_ethnic_shares_match_inputs_statistically():
    """Region totals of each group are Multinomial(n_r, p_r) (sum of per-locality multinomials
    with the same p when russophone_urban_odds = 1). Pearson chi-square per region and seed
    (cells with expected count < 5 pooled, so the chi-square approximation holds), Bonferroni
    over 20 regions x 3 seeds at a family level of 1e-3: the false-failure rate of this test
    is at most about 0.1 %."""
    alpha = 1e-3 / (20 * 3)
    for seed in (1, 2, 3):
        sp = synthesize_country({}, Stream(seed, "synthesis"), 200)
        eth = sp.agents["ethnicity"]
        for r in range(sp.n_regions):
            obs = np.bincount(eth[sp.region_agents(r)], minlength=8).astype(float)
            exp = sp.region_ethnic_share[r] * obs.sum()
            small = exp < 5
            if small.any():
                obs = np.append(obs[~small], obs[small].sum())
                exp = np.append(exp[~small], exp[small].sum())
            if exp[-1] == 0:
                obs, exp = obs[:-1], exp[:-1]
            if len(exp) < 2:
                continue
            p = stats.chisquare(obs, exp).pvalue
            assert p > alpha, (seed, sp.region_codes[r], obs, exp)


def test_attribute_shares_follow_params():
    """Binomial z-tests at |z| < 4.5 (two-sided 7e-6 each, 12 tests: false-failure rate < 1e-4)."""
    sp = synthesize_country(
        {
            "media_online_share_urban": 0.6,
            "media_online_share_rural": 0.1,
            "ties_abroad_prob": [0.1, 0.9, 0.3, 0.4, 0.2, 0.7, 0.35, 0.25],
        },
        Stream(11, "synthesis"),
        200,
    )
    a = sp.agents

    def z(hits, p):
        return (hits.mean() - p) * np.sqrt(len(hits)) / np.sqrt(p * (1 - p))

    for urban, p in ((1, 0.6), (0, 0.1)):
        m = a["urban"] == urban
        assert abs(z(a["media_diet"][m] == 2, p)) < 4.5
    for g, p in enumerate([0.1, 0.9, 0.3, 0.4, 0.2, 0.7, 0.35, 0.25]):
        m = a["ethnicity"] == g
        if m.sum() > 100:
            assert abs(z(a["ties_abroad"][m] == 1, p)) < 4.5
    # foreign TV is watched more by the Russian-speaking groups (defaults 0.55 vs 0.20)
    tv = a["media_diet"] < 2
    ru = tv & (a["ethnicity"] == 1)
    kz = tv & (a["ethnicity"] == 0)
    assert (a["media_diet"][ru] == 1).mean() > (a["media_diet"][kz] == 1).mean() + 0.2


def test_reproducible_and_seed_dependent():
    a = synthesize_country({}, Stream(3, "synthesis"), 1000)
    b = synthesize_country({}, Stream(3, "synthesis"), 1000)
    c = synthesize_country({}, Stream(4, "synthesis"), 1000)
    for k in a.agents:
        assert np.array_equal(a.agents[k], b.agents[k])
    assert np.array_equal(a.network.indptr, b.network.indptr)
    assert np.array_equal(a.network.indices, b.network.indices)
    assert not np.array_equal(a.agents["risk_aversion"], c.agents["risk_aversion"])
    assert not np.array_equal(a.network.indices, c.network.indices)


def test_same_result_on_one_and_two_threads():
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = synthesize_country({}, Stream(5, "synthesis"), 500)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = synthesize_country({}, Stream(5, "synthesis"), 500)
    finally:
        numba.set_num_threads(old)
    for k in a.agents:
        assert np.array_equal(a.agents[k], b.agents[k])
    assert np.array_equal(a.network.indices, b.network.indices)


def test_assumptions_override_changes_population():
    base = synthesize_country({}, Stream(1, "synthesis"), 500)
    big = synthesize_country(
        {"rural_locality_size": 20000, "town_size": 100000}, Stream(1, "synthesis"), 500
    )
    assert big.n_localities < base.n_localities
    split = synthesize_country({"max_locality_size": 300000}, Stream(1, "synthesis"), 500)
    assert split.locality_population.max() <= 300000 and "Almaty district 1" in split.locality_name
    iso = synthesize_country(
        {"ties_national": 0.0, "ties_regional": 0.0}, Stream(1, "synthesis"), 500
    )
    net = iso.network
    src = np.repeat(np.arange(net.n), net.degree())
    reg = iso.agents["region"]
    assert np.all(reg[src] == reg[net.indices])
    d = {a["param"]: a for a in big.assumptions}
    assert d["town_size"]["overridden"] and not d["ties_local"]["overridden"]


def test_pack_composition_row_changes_population(tmp_path):
    """A unit's composition comes from its pack: edit the Kazakhstan pack's row for Abai
    (a documented assumption) to 100 % Kazakh and only Kazakhs live there."""
    import shutil

    from tolqyn.packs.reader import PACKS_DIR

    pk = tmp_path / "kz"
    shutil.copytree(PACKS_DIR / "kazakhstan", pk)
    rows = (pk / "composition.csv").read_text().splitlines()
    rows = [
        "KZ-10,100,0,0,0,0,0,0,0,,true,assumption (test),test" if r.startswith("KZ-10,") else r
        for r in rows
    ]
    (pk / "composition.csv").write_text("\n".join(rows) + "\n")
    only = synthesize_country(
        {"country": str(pk), "ethnic_rake": False}, Stream(1, "synthesis"), 500
    )
    r = only.region_index("KZ-10")
    assert np.all(only.agents["ethnicity"][only.region_agents(r)] == 0)
    assert only.meta["ethnic_provenance"]["KZ-10"] == "assumption (test)"


def test_jan2022_basis_and_population_total():
    sp = synthesize_country(
        {"region_basis": "jan2022", "population_total": 19_186_015}, Stream(1, "synthesis"), 100
    )
    assert sp.n_regions == 17 and "KZ-10" not in sp.region_codes
    assert sp.region_population.sum() == 19_186_015
    assert sp.n_agents == np.floor(sp.region_population / 100 + 0.5).sum()
    r = sp.region_index("KZ-63")
    names = [n for n, reg in zip(sp.locality_name, sp.locality_region) if reg == r]
    assert "Semey" in names and "Oskemen (Ust-Kamenogorsk)" in names


def test_bad_params_give_clear_errors():
    with pytest.raises(ScenarioError, match="scale.*allowed: \\[1, 100000\\]"):
        synthesize_country({}, Stream(1, "synthesis"), 0.5)
    with pytest.raises(ScenarioError, match="ties_abroad_prob.*8 probabilities"):
        synthesize_country({"ties_abroad_prob": [0.1, 0.2]}, Stream(1, "synthesis"), 1000)
    with pytest.raises(ScenarioError, match="region_basis.*did you mean 'jan2022'"):
        synthesize_country({"region_basis": "jan2021"}, Stream(1, "synthesis"), 1000)
    with pytest.raises(ScenarioError, match="region_basis"):
        synthesize_country({"region_basis": "1991"}, Stream(1, "synthesis"), 1000)
    names = [p.name for p in SYNTHESIS_PARAMS]
    assert len(names) == len(set(names)) and names[0] == "scale"
