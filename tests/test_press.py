"""The press and the voices in exile (docs/odd/exit.md §7.8)."""

from __future__ import annotations

import numpy as np
import pytest
from exit_fixtures import make_exit_sim

from tolqyn.models.exit.press import Press, press_repression, press_repression_points

ON = {"press_on": True, "journalist_share": 0.01}


def _press(sim):
    return next(m for m in sim.modules if isinstance(m, Press))


def _series(res, metric):
    c = res.columns
    return c["value"][(c["metric"] == metric) & (c["region"] == "ALL")]


def test_index_from_the_packaged_editions():
    years, values = press_repression_points()
    assert years[0] == 2004 and np.all(np.diff(years) > 0)
    assert np.all((values >= 0) & (values <= 1))
    assert press_repression(2022.0) == pytest.approx(121 / 179)
    assert press_repression(2004.0) == pytest.approx(130 / 166)
    # a missing edition (2009) lies between its neighbours
    assert press_repression(2009.0) == pytest.approx(0.5 * (124 / 172 + 161 / 177))


def test_off_by_default_and_then_changes_nothing():
    a = make_exit_sim(steps=12).run()
    b = make_exit_sim(steps=12, params={"journalist_share": 0.01, "press_chill": 5.0}).run()
    for m in ("emigrants", "legitimacy_mean", "active"):
        assert np.array_equal(_series(a, m), _series(b, m), equal_nan=True)
    assert np.all(_series(a, "journalists_jailed") == 0)


def test_no_repression_keeps_everyone_home_and_content_whole():
    sim = make_exit_sim(steps=24, params={**ON, "press_repression_override": 0.0})
    res = sim.run()
    press = _press(sim)
    assert press.n0 > 0 and press.home == press.n0
    assert np.all(_series(res, "critical_content")[1:] == 1.0)


def test_flows_conserve_the_group_and_content_is_exact():
    params = {
        **ON,
        "press_repression_override": 1.0,
        "press_jail_rate": 0.3,
        "press_exile_rate": 0.3,
        "exile_voice_weight": 0.25,
    }
    sim = make_exit_sim(steps=24, params=params)
    sim.run()
    press = _press(sim)
    assert press.home + press.jailed + press.exiled == press.n0
    assert press.exiled > 0 and press.jailed > 0
    assert press.content == pytest.approx((press.home + 0.25 * press.exiled) / press.n0)


def test_slant_and_thresholds_move_exactly_with_the_group():
    """The online slant rises by κ(1 − C) over what the corruption drift set, and every
    threshold by a_chill · N_j / N_0 over its initial value."""
    params = {
        **ON,
        "press_repression_override": 1.0,
        "press_jail_rate": 0.5,
        "press_exile_rate": 0.2,
        "press_slant_weight": 0.2,
        "press_chill": 1.5,
    }
    sim = make_exit_sim(steps=6, params=params)
    sim.init()
    tau_start = sim.pop.tau0.copy()
    for _ in range(6):
        sim.step()
    press = _press(sim)
    corruption = next(m for m in sim.modules if m.name == "corruption")
    drifted = min(1.0, max(0.0, 0.35 + corruption._delta))
    assert sim.params["slant_online"] == pytest.approx(
        min(1.0, drifted + 0.2 * (1 - press.content))
    )
    np.testing.assert_allclose(sim.pop.tau0 - tau_start, 1.5 * press.jailed / press.n0, atol=1e-5)


def test_jailing_lowers_the_critical_signal_and_raises_thresholds():
    """Directional: more jailing, less critical content and higher thresholds."""

    def run(rate):
        sim = make_exit_sim(
            steps=24, params={**ON, "press_repression_override": 0.8, "press_jail_rate": rate}
        )
        sim.init()
        t0 = float(sim.pop.tau0.mean())
        for _ in range(24):
            sim.step()
        return _press(sim).content, float(sim.pop.tau0.mean()) - t0

    c_low, d_low = run(0.0)
    c_high, d_high = run(0.4)
    assert c_high < c_low
    assert d_low == 0.0 and d_high > 0.0
