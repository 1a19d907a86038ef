"""Mechanism 11: the price shock and its adaptation half-life, exactly."""

import math

import numpy as np
from country_fixtures import PRICE_HIKE, run_hand


def test_shock_and_adaptation_exact():
    w, h = 0.3, 4.0
    r = run_hand(params={"fuel_weight": w, "adaptation_half_life": h}, steps=10)
    s = r.series("economic_shock", "KZ-47")
    # day 1: the full log-increase; then the reference moves by 1 - 2^(-1/h) of the gap each day
    ref, p = 60.0, 120.0
    a = 1 - 2 ** (-1 / h)
    for t in range(1, 11):
        assert math.isclose(s[t], w * math.log(p / ref), rel_tol=1e-9), t
        ref += (p - ref) * a
    assert r.series("economic_shock", "KZ-75")[1:].max() == 0.0  # no shock elsewhere


def test_price_cut_below_reference_removes_the_shock():
    ev = [
        PRICE_HIKE,
        {
            "id": "cut",
            "at": 3,
            "action": "fuel_price",
            "params": {"price": 50.0, "regions": ["KZ-47"]},
        },
    ]
    r = run_hand(events=ev, steps=5)
    s = r.series("economic_shock", "KZ-47")
    assert s[2] > 0 and s[3] == 0 and s[4] == 0


def test_exchange_rate_and_inflation_shocks():
    r = run_hand(
        events=[{"id": "fx", "at": 2, "action": "set", "params": {"exchange_rate": 863.6}}],
        params={"fx_weight": 0.5, "inflation_annual": 0.184, "inflation_weight": 1.0},
        steps=3,
    )
    s = r.series("economic_shock", "KZ-75")
    assert math.isclose(s[1], 0.1, rel_tol=1e-9)  # inflation 10 points above reference
    assert math.isclose(s[2], 0.1 + 0.5 * math.log(2.0), rel_tol=1e-9)  # tenge halves
    off = run_hand(params={"economy_on": False}, steps=3)
    assert np.nanmax(off.series("economic_shock")) == 0.0


def test_nationwide_scope_sets_the_event_price_in_every_region():
    """fuel_price_scope = nationwide: the price path of an event naming Mangystau applies in
    every region (the hand-built country has no LPG indicators, so f = 1 everywhere and the
    shock is the same); the default keeps it to the regions the event names."""
    w = 0.3
    r = run_hand(params={"fuel_weight": w, "fuel_price_scope": "nationwide"}, steps=3)
    for code in r.regions:
        assert math.isclose(r.series("economic_shock", code)[1], w * math.log(2.0), rel_tol=1e-9)
    default = run_hand(params={"fuel_weight": w}, steps=3)
    assert default.series("economic_shock", "KZ-75")[1:].max() == 0.0


def test_concession_reaches_as_far_as_the_rise():
    """A concession's price cut follows the scope of the rise it reverses: under the
    nationwide reading every region gets c·price + (1 − c)·price before; otherwise only the
    regions the concession names. Its legitimacy shock stays where it was announced."""
    c = 0.5
    cut = {
        "id": "cut",
        "at": 3,
        "action": "concession",
        "params": {"price": 50.0, "regions": ["KZ-47"], "legitimacy": 0.02},
    }
    params = {"fuel_price_scope": "nationwide", "concession_credibility": c}
    r = run_hand(events=[PRICE_HIKE, cut], params=params, steps=5)
    for code in r.regions:
        assert math.isclose(r.series("fuel_price", code)[3], c * 50.0 + (1 - c) * 120.0), code
    local = run_hand(events=[PRICE_HIKE, cut], params={"concession_credibility": c}, steps=5)
    assert math.isclose(local.series("fuel_price", "KZ-47")[3], c * 50.0 + (1 - c) * 120.0)
    assert local.series("fuel_price", "KZ-75")[3] == 60.0


def test_fuel_dependence_power_bends_the_dependence_exactly():
    """γ = fuel_dependence_power: the rise's hardship in unit r is w·f_r^γ·ln(p/p*) with f_r
    from the packaged LPG counts, so at γ = ½ each unit's share of Mangystau's shock is the
    square root of its share at γ = 1, and at γ = 0 every unit feels Mangystau's shock."""
    import tolqyn

    w = 0.3
    base = {"scale": 5000, "fuel_weight": w, "fuel_price_scope": "nationwide"}
    rise = {}
    for g in (1.0, 0.5, 0.0):
        r = tolqyn.run_one(
            "kazakhstan-2022", 1, steps=16, overrides={**base, "fuel_dependence_power": g}
        )
        day = int(np.argmax(r.series("economic_shock", "KZ-47") > 0))
        rise[g] = {c: r.series("economic_shock", c)[day] / (w * math.log(2.0)) for c in r.regions}
    assert math.isclose(rise[1.0]["KZ-47"], 1.0, rel_tol=1e-9)
    assert min(rise[1.0].values()) < 0.3  # the units the national LPG count stands for
    for c in rise[1.0]:
        assert math.isclose(rise[0.5][c], math.sqrt(rise[1.0][c]), rel_tol=1e-9), c
        assert math.isclose(rise[0.0][c], 1.0, rel_tol=1e-9), c
