"""Courts and impunity (docs/odd/exit.md §7.9) and the shared slant shifts."""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np
import pytest
from exit_fixtures import make_exit_sim

from tolqyn.models.exit.courts import KINDS, Courts, court_cases
from tolqyn.models.exit.slants import SlantShifts

SIZES = {
    "court_impunity_size": -0.02,
    "court_unequal_size": -0.03,
    "court_political_size": -0.04,
    "court_accountable_size": 0.05,
    "court_state_tv_weight": 0.5,
    "court_memory_years": 2.0,
}


def _series(res, metric):
    c = res.columns
    return c["value"][(c["metric"] == metric) & (c["region"] == "ALL")]


def test_packaged_cases_are_sorted_and_well_formed():
    cases = court_cases()
    assert len(cases) >= 8
    assert [c[0] for c in cases] == sorted(c[0] for c in cases)
    assert {KINDS[c[1]] for c in cases} == set(KINDS)
    assert all(set(c[2]) <= {0, 1} for c in cases)


def test_slant_shift_is_the_decayed_sum_of_the_carried_cases():
    """Exact: after one step ending on E, channel d's shift is Σ c_dk ω_d σ_k e^{-(E - t_k)/τ}
    over the cases before E."""
    sim = make_exit_sim(steps=1, start_date="2016-01-01", params={"courts_on": True, **SIZES})
    sim.init()
    sim.step()
    courts = next(m for m in sim.modules if isinstance(m, Courts))
    end = _dt.date(2016, 1, 1) + _dt.timedelta(days=sim.clock.dt)
    expect = [0.0, 0.0, 0.0]
    for day, kind, carried in court_cases():
        if day < end:
            w = math.exp(-(end - day).days / (2.0 * 365.25))
            size = SIZES[f"court_{KINDS[kind]}_size"]
            for d, omega in enumerate((0.5, 1.0, 1.0)):
                expect[d] += carried[d] * omega * size * w
    assert courts.shift == pytest.approx(expect)
    corruption = next(m for m in sim.modules if m.name == "corruption")
    assert sim.params["slant_online"] == pytest.approx(0.35 + corruption._delta + expect[2])


def test_off_by_default_changes_nothing():
    a = make_exit_sim(steps=12).run()
    b = make_exit_sim(steps=12, params=SIZES).run()
    for m in ("emigrants", "legitimacy_mean"):
        assert np.array_equal(_series(a, m), _series(b, m), equal_nan=True)


def test_fair_courts_keep_only_the_accountable_cases_and_raise_legitimacy():
    """Directional over 6 paired seeds: without the 2006 political cases, fair courts give a
    higher mean legitimacy over 2008-2009 in every seed, by more than 0.005. Measured over
    seeds 0-11: higher in 12/12, by 0.015-0.029, three to six times the bar."""
    for seed in range(6):
        kw = {"steps": 48, "start_date": "2006-01-01", "seed": seed}
        base = make_exit_sim(params={"courts_on": True, **SIZES}, **kw).run()
        fair = make_exit_sim(params={"courts_on": True, "courts_fair": True, **SIZES}, **kw).run()
        gain = _series(fair, "legitimacy_mean")[-24:].mean()
        gain -= _series(base, "legitimacy_mean")[-24:].mean()
        assert gain > 0.005, seed


class _Params(dict):
    def set(self, k, v):
        self[k] = v


def test_shifts_of_two_owners_do_not_accumulate_when_no_one_resets_the_slant():
    p = _Params(slant_online=0.4)
    s = SlantShifts()
    for _ in range(5):
        s.set(p, "press", "slant_online", 0.1)
        s.set(p, "courts", "slant_online", -0.05)
    assert p["slant_online"] == pytest.approx(0.45)
    p["slant_online"] = 0.3  # set afresh (the corruption drift)
    s.set(p, "press", "slant_online", 0.1)
    assert p["slant_online"] == pytest.approx(0.35)
