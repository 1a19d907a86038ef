"""Mechanism 7: concessions raise legitimacy, repression seen nearby lowers it, higher
legitimacy means fewer participants."""

import numpy as np
from country_fixtures import PRICE_HIKE, run_hand


def test_concession_raises_and_injustice_lowers_legitimacy():
    ev = [PRICE_HIKE, {"id": "c", "at": 3, "action": "legitimacy_shock", "params": {"size": 0.2}}]
    up = run_hand(events=ev, steps=4, params={"protest_on": False})
    base = run_hand(steps=4, params={"protest_on": False})
    assert up.series("legitimacy_mean")[3] > base.series("legitimacy_mean")[3] + 0.05
    ev2 = [PRICE_HIKE, {"id": "i", "at": 3, "action": "legitimacy_shock", "params": {"size": -0.2}}]
    down = run_hand(events=ev2, steps=4, params={"protest_on": False})
    assert down.series("legitimacy_mean")[3] < base.series("legitimacy_mean")[3] - 0.05


def test_backfire_of_repression():
    p = {"arrest_rate": 0.5}
    with_bf = run_hand(params={**p, "backfire": 20.0})
    no_bf = run_hand(params={**p, "backfire": 0.0})
    assert with_bf.series("legitimacy_mean")[-1] < no_bf.series("legitimacy_mean")[-1]


def test_higher_legitimacy_fewer_participants():
    lo = run_hand(params={"legitimacy": 0.5})
    hi = run_hand(params={"legitimacy": 0.65})
    assert hi.series("participants_cumulative")[-1] < lo.series("participants_cumulative")[-1]


def test_switch_off_freezes_legitimacy():
    ev = [PRICE_HIKE, {"id": "c", "at": 2, "action": "legitimacy_shock", "params": {"size": 0.3}}]
    r = run_hand(events=ev, params={"legitimacy_on": False, "protest_on": False}, steps=4)
    L = r.series("legitimacy_mean")
    assert np.allclose(L, L[0])
