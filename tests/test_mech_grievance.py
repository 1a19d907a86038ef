"""Mechanism 1: G = H(1 − L) with relative deprivation and the economic shock, exactly."""

from country_fixtures import HAND_PARAMS, PRICE_HIKE, make_sim

from tolqyn.core.random import Stream, draw_u01


def test_grievance_formula_exact():
    sim = make_sim(
        params={**HAND_PARAMS, "hardship_own": 0.5, "hardship_rd": 0.4, "fuel_weight": 0.3},
        events=[PRICE_HIKE],
        steps=1,
    )
    sim.init()
    sim.step()
    pop = sim.pop
    key = Stream(sim.seed, "hardship").key
    shock = sim.country.econ_shock
    for i in (0, 5, 900, 2500):
        rd = max(0.0, 0.5 - float(pop.income[i])) / 0.5
        h = 0.5 * draw_u01(key, 0, i, 0) + 0.4 * rd + shock[pop.region[i]]
        g = min(1.0, max(0.0, h * (1.0 - float(pop.legitimacy[i]))))
        assert abs(float(pop.grievance[i]) - g) < 1e-6
    m47 = pop.region == 0
    assert shock[0] > 0 and pop.grievance[m47].mean() > pop.grievance[~m47].mean()


def test_switch_off_drops_deprivation_and_shock():
    sim = make_sim(params={**HAND_PARAMS, "grievance_on": False}, events=[PRICE_HIKE], steps=1)
    sim.init()
    sim.step()
    on = make_sim(params=HAND_PARAMS, events=[PRICE_HIKE], steps=1)
    on.init()
    on.step()
    assert sim.pop.grievance.mean() < on.pop.grievance.mean()
