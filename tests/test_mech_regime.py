"""Mechanism 5: scripted actions and the policy rule."""

import numpy as np
from country_fixtures import HAND_PARAMS, PRICE_HIKE, make_sim, run_hand, total


def _sim(events, params=None, steps=8):
    sim = make_sim(params={**HAND_PARAMS, **(params or {})}, events=events, steps=steps)
    return sim


def test_troops_arrive_linearly_and_leave():
    ev = [
        {
            "id": "troops",
            "at": 2,
            "action": "deploy_troops",
            "params": {"persons": 300.0, "regions": ["KZ-75"], "days": 3.0},
        },
        {"id": "troops", "at": 6, "action": "withdraw_troops", "params": {"days": 2.0}},
    ]
    r = _sim(ev).run()
    tr = r.series("troops")
    assert np.allclose(tr[1:9], [0, 100, 200, 300, 300, 150, 0, 0])
    assert np.allclose(r.series("troops", "KZ-75"), tr)


def test_emergency_shutdown_and_concession_actions():
    ev = [
        PRICE_HIKE,
        {"id": "e", "at": 3, "action": "emergency", "params": {"regions": ["KZ-47"]}},
        {"id": "s", "at": 3, "action": "internet", "params": {"level": 0.0}},
        {
            "id": "c",
            "at": 4,
            "action": "concession",
            "params": {"price": 60.0, "regions": ["KZ-47"]},
        },
    ]
    r = _sim(ev, params={"concession_credibility": 1.0}).run()
    assert r.series("emergency", "KZ-47")[3] == 1 and r.series("emergency", "KZ-75")[3] == 0
    assert r.series("online")[2] == 1 and r.series("online")[3] == 0
    assert r.series("fuel_price", "KZ-47")[3] == 120 and r.series("fuel_price", "KZ-47")[4] == 60
    half = _sim(ev, params={"concession_credibility": 0.5}).run()
    assert half.series("fuel_price", "KZ-47")[4] == 90  # half believed


def test_police_follow_protest_and_reserve_joins_under_emergency():
    ev = [PRICE_HIKE, {"id": "e", "at": 3, "action": "emergency", "params": {"regions": "ALL"}}]
    r = run_hand(events=ev, params={"reserve_forces": 500.0, "reserve_ramp_days": 1.0})
    f = r.series("forces_deployed")
    assert f[4] > f[2] + 400  # the reserve is deployed
    assert r.series("forces_deployed", "KZ-47")[2] >= r.series("forces_deployed", "KZ-47")[0] - 1e-9


def test_policy_mode_acts_on_observed_unrest():
    r = run_hand(
        params={"regime_mode": "policy", "policy_concede_at": 1e7, "policy_repress_at": 10.0}
    )
    assert r.series("online").min() == 0.0  # it cut the internet
    assert r.series("emergency").max() == 1.0  # and declared an emergency
    assert r.series("fuel_price", "KZ-47")[-1] == 120
    c = run_hand(
        params={"regime_mode": "policy", "policy_concede_at": 10.0, "policy_repress_at": 1e7}
    )
    assert c.series("fuel_price", "KZ-47")[-1] < 120  # it conceded
    assert total(c, "active") < total(r, "active") or total(c, "arrests") < total(r, "arrests")
    calm = run_hand(
        params={
            "regime_mode": "policy",
            "policy_concede_at": 1e7,
            "policy_repress_at": 1e7,
            "policy_troops_ratio": 1e6,
        }
    )
    assert calm.series("online").min() == 1.0 and total(calm, "troops") == 0


def test_emergency_without_curfew_deploys_the_reserve_but_adds_no_curfew_risk():
    """An emergency declared with curfew = false (forces deployed, no curfew) mobilises the
    same reserve as one with a curfew, and only the latter adds the curfew's risk."""

    def run(curfew):
        e = {"id": "e", "at": 3, "action": "emergency", "params": {"regions": "ALL"}}
        if curfew is not None:
            e["params"]["curfew"] = curfew
        return run_hand(
            events=[PRICE_HIKE, e],
            params={"reserve_forces": 500.0, "reserve_ramp_days": 1.0, "curfew_risk": 0.2},
        )

    with_c, without, default = run(True), run(False), run(None)
    assert np.array_equal(default.series("ending_curfew"), with_c.series("ending_curfew"))
    assert with_c.series("ending_curfew")[4:].max() > 0
    assert without.series("ending_curfew").max() == 0
    assert without.series("forces_deployed")[4] > without.series("forces_deployed")[2] + 400
