"""Common random numbers: every dynamic draw is a pure function of (stream, step, site or
agent, slot), so a counterfactual that changes one region leaves the draws of every agent
and site it does not touch identical, and outcomes there move only through the model's own
couplings, never through a shifted random sequence."""

import numpy as np
from country_fixtures import HAND_PARAMS, PRICE_HIKE, make_sim

from tolqyn.core import status as S
from tolqyn.core.module import PHASES

HIKE_ALL = {
    "id": "hike-all",
    "at": 1,
    "action": "fuel_price",
    "params": {"price": 120.0, "regions": ["KZ-75", "KZ-71"]},
}
# lethal confrontation made frequent, so that every region draws deaths and injuries
LETHAL = {
    **HAND_PARAMS,
    "death_rate_violent": 0.05,
    "death_rate_forces": 0.01,
    "injury_rate_violent": 0.2,
}
TOUCHED = 2  # KZ-71, the third region of the hand-built country


def _repression(sim):
    return next(m for m in sim.modules if m.name == "repression")


def _to_consequences(sim, steps):
    """Run whole steps, then the next step up to (not including) its consequences phase."""
    sim.init()
    for _ in range(steps):
        sim.step()
    sim.t += 1
    sim.clock.t = sim.t
    for phase in PHASES[: PHASES.index("consequences")]:
        sim._run_phase(phase)


def test_casualties_and_arrests_elsewhere_do_not_depend_on_one_regions_crowd():
    # Two identical countries in mid-wave; in the counterfactual one region's sites hold three
    # times the violent crowd and twice the forces (what a regional event would cause). The
    # repression step of both then draws arrests, deaths, injuries and building attacks.
    runs = []
    for counterfactual in (False, True):
        sim = make_sim(params=LETHAL, events=[PRICE_HIKE, HIKE_ALL], steps=12, seed=4)
        _to_consequences(sim, 3)
        cs = sim.country
        A = np.bincount(sim.pop.site[sim.pop.status == S.ACTIVE], minlength=cs.n_loc) * cs.scale
        cs.site_violent[:] = 0.5 * A
        cs.forces_eff[:] = np.maximum(cs.forces_eff, 50.0)
        if counterfactual:
            touched = cs.loc_region == TOUCHED
            cs.site_violent[touched] *= 3.0
            cs.forces_eff[touched] *= 2.0
        _repression(sim).step(sim, "consequences")
        runs.append(sim)
    a, b = runs
    ca, cb = a.country, b.country
    rep_a, rep_b = _repression(a), _repression(b)
    other = ca.loc_region != TOUCHED
    assert ca.deaths_civ_reg[:TOUCHED].sum() > 0, "no deaths drawn: the test checks nothing"
    assert ca.arrests_reg[:TOUCHED].sum() > 0
    # the counterfactual region did change...
    assert not np.array_equal(ca.deaths_civ_reg[TOUCHED:], cb.deaths_civ_reg[TOUCHED:]) or (
        not np.array_equal(
            rep_a.flows["injured_civilian"][TOUCHED:], rep_b.flows["injured_civilian"][TOUCHED:]
        )
    )
    # ...and nothing else did: counts by region and who was arrested or killed
    for x, y in (
        (ca.deaths_civ_reg, cb.deaths_civ_reg),
        (ca.deaths_sec_reg, cb.deaths_sec_reg),
        (ca.arrests_reg, cb.arrests_reg),
        *((rep_a.flows[k], rep_b.flows[k]) for k in rep_a.flows),
    ):
        assert np.array_equal(x[:TOUCHED], y[:TOUCHED])
    agents = a.pop.region != TOUCHED
    assert np.array_equal(a.pop.status[agents], b.pop.status[agents])
    assert np.array_equal(a.pop.release_step[agents], b.pop.release_step[agents])
    assert np.array_equal(ca.repression_seen[other], cb.repression_seen[other])


def test_a_regional_event_changes_nothing_elsewhere_on_its_step():
    # kazakhstan-2022's counterfactuals change events; here the counterfactual adds a second
    # price rise in one region on step 6. On that step every agent outside the region has the
    # same state in both runs, column by column (later steps may differ through the model's
    # national couplings, which is the model, not the random numbers).
    extra = {
        "id": "cf",
        "at": 6,
        "action": "fuel_price",
        "params": {"price": 200.0, "regions": ["KZ-71"]},
    }
    a = make_sim(params=HAND_PARAMS, events=[PRICE_HIKE, HIKE_ALL], steps=8, seed=3)
    b = make_sim(params=HAND_PARAMS, events=[PRICE_HIKE, HIKE_ALL, extra], steps=8, seed=3)
    a.init()
    b.init()
    for _ in range(6):
        a.step()
        b.step()
    outside = a.pop.region != TOUCHED
    inside = ~outside
    moved_inside = False
    for name, col in a.pop.columns.items():
        other = b.pop.columns[name]
        assert np.array_equal(col[outside], other[outside], equal_nan=col.dtype.kind == "f"), name
        moved_inside |= not np.array_equal(col[inside], other[inside])
    assert moved_inside, "the counterfactual changed nothing: the test checks nothing"


def test_binomial_inversion_is_the_exact_quantile():
    from scipy.stats import binom

    from tolqyn.core.random import binomial_u

    for n, p in ((10, 0.3), (200, 0.05), (50, 0.9), (1, 0.5)):
        for u in np.linspace(0.0005, 0.9995, 97):
            # p > 1/2 draws the rarer failures: the count is n minus their quantile
            want = binom.ppf(u, n, p) if p <= 0.5 else n - binom.ppf(u, n, 1.0 - p)
            assert binomial_u(n, p, u, 0.5) == want, (n, p, u)
    assert binomial_u(0, 0.5, 0.3, 0.3) == 0 and binomial_u(7, 1.0, 0.3, 0.3) == 7


def test_binomial_normal_branch_has_the_right_mean_and_variance():
    # n·p = 300: the normal branch. 20,000 draws; the mean within 4.5 standard errors and the
    # variance within 5 % (false-failure rate below 1e-5 for each)
    from tolqyn.core.random import Stream

    s = Stream(11, "binomial-test")
    x = np.array([s.binomial(t, 3000, 0.1) for t in range(20_000)], dtype=float)
    assert abs(x.mean() - 300.0) < 4.5 * np.sqrt(270.0 / x.size)
    assert abs(x.var() / 270.0 - 1.0) < 0.05
