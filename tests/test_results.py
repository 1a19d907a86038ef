"""RunResult: one type that a run returns and a run directory rebuilds; metric declarations
(stock/flow, aggregation, breakdown cells) drive resampling and the tidy table."""

import datetime as dt
import pickle

import numpy as np
import pytest

from tolqyn import load_scenario
from tolqyn.core.errors import TolqynError, UnknownParamError
from tolqyn.core.results import Result, Results, RunResult
from tolqyn.core.sim import Sim


def _hand_made(n_days=40, start="2019-12-25"):
    """Daily rows with known values: a flow of 1 per day, a count stock equal to the day
    number, a share that is 0.5 everywhere, and a breakdown by destination."""
    res = Results(n_days, ["R1", "R2"])
    specs = [
        Result("arrests", "per day", "count", True, "flow"),
        Result("active", "level", "count", True),
        Result("share", "a share", "value"),
        Result("em_to_a", "to a", "count", False, "flow", base="em", dims=(("destination", "a"),)),
        Result("em_to_b", "to b", "count", False, "flow", base="em", dims=(("destination", "b"),)),
    ]
    for s in specs:
        res.define(s)
    for t in range(n_days + 1):
        res.record("arrests", t, 2.0, [1.0, 1.0])
        res.record("active", t, float(t), [float(t), 0.0])
        res.record("share", t, 0.5)
        res.record("em_to_a", t, 1.0)
        res.record("em_to_b", t, 3.0)
    d0 = dt.date.fromisoformat(start)
    dates = [(d0 + dt.timedelta(days=t - 1)).isoformat() for t in range(n_days + 1)]
    manifest = {
        "scenario": "hand",
        "scenario_hash": "x",
        "seed": 0,
        "version": "0",
        "regions": ["R1", "R2"],
        "results": [s.to_dict() for s in specs],
    }
    return RunResult(res.to_columns(scale=10.0, dates=dates), manifest)


def test_declared_aggregation():
    assert Result("a", "").aggregate == "last"
    assert Result("a", "", kind="value").aggregate == "mean"
    assert Result("a", "", measure="flow").aggregate == "sum"
    assert Result("a", "", agg="max").aggregate == "max"
    with pytest.raises(ValueError):
        Result("a", "", measure="stream")


def test_resampling_follows_the_declaration_exactly():
    r = _hand_made()
    # rows 1..40 start on 2019-12-25 .. 2020-02-02: 7 days in Dec, 31 in Jan, 2 in Feb
    m = r.resample("arrests", "M")
    assert m.to_dict() == {"2019-12": 7 * 20.0, "2020-01": 31 * 20.0, "2020-02": 2 * 20.0}
    y = r.resample("active", "Y")  # a count stock: its last value in the period, scaled
    assert y.to_dict() == {"2019": 70.0, "2020": 400.0}
    assert set(r.resample("share", "M").to_numpy()) == {0.5}
    w = r.resample("arrests", "W")
    assert w.sum() == 40 * 20.0 and w.index[0] == "2019-W52"
    assert r.resample("arrests", "M", region="R1")["2020-01"] == 31 * 10.0
    with pytest.raises(TolqynError):
        r.resample("arrests", "Q")


def test_breakdown_cells_are_columns_not_names():
    r = _hand_made()
    assert np.all(r.series("em", destination="b") == 30.0)
    assert np.array_equal(r.series("em", destination="a"), r.series("em_to_a"))
    df = r.to_df()
    em = df[df["metric"] == "em"]
    assert set(em["destination"]) == {"a", "b"}
    assert df[df["metric"] == "arrests"]["destination"].isna().all()
    assert set(df["measure"]) == {"stock", "flow"}
    with pytest.raises(TolqynError, match="no cell"):
        r.series("em", destination="c")
    wide = r.to_df(wide=True)
    assert list(wide.columns[:2]) == ["date", "active"] and len(wide) == r.n_rows
    assert wide.loc[5, "active"] == 50.0
    assert r.to_df(wide="regions")[("active", "R1")].iloc[3] == 30.0


def test_unknown_metric_and_region_are_clear():
    r = _hand_made()
    with pytest.raises(UnknownParamError, match="did you mean 'arrests'"):
        r.series("arest")
    with pytest.raises(TolqynError, match="no series for region 'KZ-1'"):
        r.series("active", "KZ-1")
    assert r.by_region("share") is None
    assert r.by_region("active").shape == (r.n_rows, 2)


def test_a_run_directory_rebuilds_the_same_result(tmp_path):
    sc = load_scenario("granovetter-1978/normal-random")
    res = Sim(sc, seed=3).run()
    res.write(tmp_path / "run")
    back = RunResult.from_dir(tmp_path / "run")
    assert back == res
    assert back.specs == res.specs
    assert pickle.loads(pickle.dumps(res)) == res
    for m in res.metrics:
        assert np.array_equal(back.series(m), res.series(m), equal_nan=True)
        assert back.series(m).shape == (res.n_rows,)
