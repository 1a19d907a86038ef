"""Mechanism 2 (Epstein's rule A on localities): exact arrest probabilities and the
direction of the police effect."""

import math

import numpy as np
from country_fixtures import run_hand, total

from tolqyn.mechanisms.protest import arrest_probability, decide_kernel


def test_arrest_probability_exact_values():
    k = 2.3
    # one officer, nobody else active: A = 1 -> P = 1 - e^-2.3 ~ 0.90 (Epstein/NetLogo)
    assert math.isclose(
        arrest_probability(np.array([1.0]), np.array([0.0]), k, True)[0], 1 - math.exp(-2.3)
    )
    # floor variant: P = 0 whenever protesters (incl. oneself) outnumber the forces
    assert arrest_probability(np.array([3.0]), np.array([3.0]), k, True)[0] == 0.0
    # continuous variant keeps a positive risk
    assert math.isclose(
        arrest_probability(np.array([3.0]), np.array([3.0]), k, False)[0], 1 - math.exp(-k * 0.75)
    )


def test_decision_rule_exact():
    status = np.zeros(4, np.int8)
    status[3] = 2  # jailed: does not decide
    G = np.array([0.7, 0.7, 0.3, 0.9], np.float32)
    R = np.array([0.1, 0.5, 0.0, 0.0], np.float32)
    site = np.zeros(4, np.int32)
    risk = np.array([0.9])
    ok = np.ones(4, np.uint8)
    ever = np.zeros(4, np.uint8)
    none = np.full(4, -1, np.int16)  # no one in a labour dispute
    p_arrest, no_disputes = np.array([0.8]), np.zeros(0)
    decide_kernel(status, G, R, site, risk, 0.5, True, ok, ever, none, p_arrest, no_disputes)
    # 0.7 - 0.09 > 0.5 active; 0.7 - 0.45 < 0.5 quiet; 0.3 < 0.5 quiet; jailed stays jailed
    assert status.tolist() == [1, 0, 0, 2] and ever.tolist() == [1, 0, 0, 0]
    ok[:] = 0  # no public dissent without enough visible protest (bandwagon gate)
    decide_kernel(status, G, R, site, risk, 0.5, True, ok, ever, none, p_arrest, no_disputes)
    assert status.tolist() == [0, 0, 0, 2]


def test_a_striker_weighs_the_legal_risk_of_striking_instead_of_arrest():
    """Mechanism 16 in the rule of mechanism 2: a member of a dispute replaces the street's
    arrest risk P by the dispute's legal risk ρ_d (the rest of the site's risk stays)."""
    G = np.array([0.7, 0.7, 0.7], np.float32)
    R = np.array([0.5, 0.5, 0.5], np.float32)
    site = np.zeros(3, np.int32)
    risk, p_arrest = np.array([0.9]), np.array([0.8])  # 0.1 of the risk is not arrest
    ok, ever = np.ones(3, np.uint8), np.zeros(3, np.uint8)
    member = np.array([-1, 0, 1], np.int16)
    status = np.zeros(3, np.int8)
    decide_kernel(
        status, G, R, site, risk, 0.5, True, ok, ever, member, p_arrest, np.array([0.0, 0.3])
    )
    # non-member: 0.7 - 0.5*0.9 < 0.5; legal strike: 0.7 - 0.5*0.1 > 0.5;
    # after a court ruling (ρ = 0.3): 0.7 - 0.5*0.4 = 0.5, not above T
    assert status.tolist() == [0, 1, 0]


def test_more_police_fewer_protesters():
    """Directional: with everything else equal (same seed, same draws), more police on the
    street means fewer protester-days."""
    low = run_hand(params={"police_per_100k": 100.0})
    high = run_hand(params={"police_per_100k": 3000.0})
    assert total(high, "active") < total(low, "active")


def test_switch_off_keeps_everyone_quiet():
    r = run_hand(params={"protest_on": False})
    assert total(r, "active") == 0 and total(r, "arrests") == 0


def test_revision_rate():
    """ν = 0: nobody ever reconsiders, so nobody starts; a finite ν slows the cascade."""
    assert total(run_hand(params={"revision_rate": 0.0}), "active") == 0
    slow = run_hand(params={"revision_rate": 0.5}, steps=4)
    fast = run_hand(steps=4)
    assert slow.series("participants_cumulative")[-1] < fast.series("participants_cumulative")[-1]


def test_finer_time_step_runs_and_keeps_the_calendar():
    """dt = 0.5 day: events land on the right half-day step and the invariants hold."""
    from country_fixtures import PRICE_HIKE, register_hand

    register_hand()  # the test builds its scenario by hand and may run alone
    ev = [
        dict(PRICE_HIKE, at="2022-01-01"),
        {"id": "s", "at": "2022-01-03T12:00", "action": "internet", "params": {"level": 0.0}},
    ]
    from tolqyn.core.sim import Sim
    from tolqyn.scenarios.loader import from_dict

    sc = from_dict(
        {
            "model": "country-hand",
            "steps": 10,
            "seed": 3,
            "dt": 0.5,
            "start_date": "2022-01-01",
            "params": {"online_half": 100.0},
            "events": ev,
        },
        name="hand-dt",
    )
    r = Sim(sc, validate=True).run()
    on = r.series("online")
    assert on[5] == 1.0 and on[6] == 0.0  # 3 Jan 12:00 is the start of step 6
    assert r.series("economic_shock", "KZ-47")[1] > 0
