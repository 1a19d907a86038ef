"""The clock does not change the answer: fixed-time delays (exact), dates read at the end of
their day at any dt (exact), and the comparison with issue 12's tolerances
(benchmarks/dt_convergence.py is the study)."""

import numpy as np
import pytest

from tolqyn.core.clock import Clock, DelayLine
from tolqyn.core.errors import ScenarioError
from tolqyn.experiments import dt_convergence as C
from tolqyn.mechanisms.information import lagged_counts


def test_lag_steps_is_a_time_not_a_step():
    assert Clock(20, 1.0).lag_steps(1.0) == 1
    assert Clock(40, 0.5).lag_steps(1.0) == 2
    assert Clock(80, 0.25).lag_steps(1.0) == 4
    assert Clock(5, 7.0).lag_steps(1.0) == 1  # never less than one step
    assert Clock(60, 1 / 3).lag_steps(0.5) == 2  # rounded to a whole step (0.5 / (1/3) = 1.5)
    with pytest.raises(ScenarioError, match="at most 32 steps"):
        Clock(2000, 0.01).lag_steps(1.0, "perception_lag_days", most=32)


def test_delay_line_returns_the_value_k_minus_one_shifts_earlier():
    line = DelayLine(np.zeros(2), 3)
    got = [line.shift(np.full(2, float(v)))[0] for v in (1, 2, 3, 4, 5)]
    assert got == [0.0, 0.0, 1.0, 2.0, 3.0]
    one = DelayLine(np.zeros(1), 1)
    assert one.shift(np.array([7.0]))[0] == 7.0  # k = 1: this step's value


def test_protest_history_is_read_at_the_lag():
    """lagged_counts pushes the current status into bit 0 and counts those active `bit`
    steps before the last; at bit 0 it counts the current actives."""
    status = np.array([1, 0, 1, 2], np.int8)
    hist = np.array([0, 0b1, 0b10, 0b1], np.uint32)
    site = np.array([0, 0, 1, 1], np.int32)
    loc = np.array([0, 1, 1, 1], np.int32)
    a, b = np.zeros(2), np.zeros(2)
    lagged_counts(status, hist, 0, site, loc, 2, a, b)
    assert hist.tolist() == [0b1, 0b10, 0b101, 0b10]
    assert a.tolist() == [1, 1] and b.tolist() == [1, 1]
    lagged_counts(np.zeros(4, np.int8), hist, 2, site, loc, 2, a, b)  # two steps before last
    assert hist.tolist() == [0b10, 0b100, 0b1010, 0b100]
    assert a.tolist() == [1, 1] and b.tolist() == [0, 2]  # agents 1 and 3
    lagged_counts(np.zeros(4, np.int8), hist, 2, site, loc, 2, a, b)
    assert a.tolist() == [1, 1] and b.tolist() == [1, 1]  # agents 0 and 2, active two pushes ago


def test_a_date_is_the_end_of_its_day_at_any_dt():
    from tolqyn.observe import stats as st

    class R:
        def __init__(self, dt):
            self.manifest = {"steps": int(20 / dt), "dt_days": dt, "start_date": "2022-01-01"}
            self.n_rows = int(20 / dt) + 1

    assert st.row_of(R(1.0), "2022-01-11") == 11
    assert st.row_of(R(0.5), "2022-01-11") == 22
    assert st.row_of(R(0.25), "2022-01-11") == 44
    assert st.row_of(R(0.25), "2022-01-11T06:00") == 42  # a time of day: its own step
    for dt in (1.0, 0.5, 0.25):
        assert st.day_of_row(R(dt), st.row_of(R(dt), "2022-01-03")) == 3


def test_daily_mean_is_person_days_per_day():
    class R:
        manifest = {"dt_days": 0.25}

        def series(self, metric, region):
            return np.array([0, 1, 2, 3, 6, 4, 4, 4, 4], float)

        def has(self, metric):
            return True

    assert C.daily_mean(R()).tolist() == [3.0, 4.0]


def test_compare_applies_the_stated_tolerances():
    base = {
        "peak_day": 5.0,
        "peak": 100_000.0,
        "units_reached": np.array([0, 1, 8, 13, 18.0]),
        **{n: 1000.0 for n in C.COUNT_NAMES},
    }
    assert C.compare(dict(base), base) == []
    assert C.compare(dict(base, peak_day=6.0, peak=129_000.0), base) == []
    assert C.compare(dict(base, peak_day=7.0), base) == ["peak day 7 vs 5"]
    assert C.compare(dict(base, peak=131_000.0), base)[0].startswith("peak 131000")
    moved = dict(base, units_reached=np.array([0, 1, 11, 13, 18.0]))
    assert C.compare(moved, base) == ["units reached by day 3: 11 vs 8"]
    # below the floor a count is noise: 10 against 40 dead matches at a coarse scale
    few = dict(base, **{"dead by 15 Jan": 10.0})
    assert C.compare(few, dict(base, **{"dead by 15 Jan": 40.0})) == []
