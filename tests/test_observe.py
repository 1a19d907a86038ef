"""The observation layer: statistics exact on a hand-made run, the one reader of
[[meta.observed]], and the agreement of the report, the calibration distance and the layer
itself on every target of the flagship."""

import datetime as dt

import numpy as np
import pytest

from tolqyn.core.errors import ScenarioError, UnknownParamError
from tolqyn.core.results import Result, Results, RunResult
from tolqyn.observe import DEFAULTS, Target, evaluate, targets_of
from tolqyn.observe import stats as st

# active persons per day (rows 0..8) in three regions; A starts on day 2, B on day 3 (a lone
# 100 on day 1 that is not a crowd), C never reaches a crowd
ACTIVE = {
    "A": [0, 0, 500, 2000, 5000, 1000, 100, 0, 0],
    "B": [0, 100, 100, 400, 9000, 3000, 200, 0, 0],
    "C": [0, 0, 0, 0, 200, 0, 0, 0, 0],
}


def _run(start="2022-01-01"):
    regions = list(ACTIVE)
    n = len(ACTIVE["A"]) - 1
    res = Results(n, regions)
    res.define(Result("active", "", "count", True))
    res.define(Result("quiet", "", "count", True))
    res.define(Result("arrests", "", "count", True, "flow"))
    for t in range(n + 1):
        by = np.array([ACTIVE[r][t] for r in regions], dtype=float)
        res.record("active", t, by.sum(), by)
        res.record("quiet", t, 30000 - by.sum(), 10000 - by)
        res.record("arrests", t, 10.0 * t, np.full(3, 10.0 * t / 3))
    d0 = dt.date.fromisoformat(start)
    dates = [(d0 + dt.timedelta(days=t - 1)).isoformat() for t in range(n + 1)]
    manifest = {
        "scenario": "hand",
        "scenario_hash": "x",
        "seed": 0,
        "version": "0",
        "steps": n,
        "dt_days": 1.0,
        "start_date": start,
        "regions": regions,
    }
    return RunResult(res.to_columns(dates=dates), manifest, dict(res.specs))


def test_statistics_exact():
    r = _run()
    assert st.row_of(r, "2022-01-03") == 3 and st.date_of(r, 3) == "2022-01-03"
    assert st.onsets(r) == {"A": 2, "B": 3, "C": None}  # default crowd: 300 persons
    assert DEFAULTS["min_active"] == 300
    assert st.onsets(r, min_active=0) == {"A": 2, "B": 1, "C": 4}
    assert st.units_reached(r, "2022-01-02") == 1 and st.units_reached(r, "2022-01-04") == 2
    assert st.peak(r) == (4, 14200.0)
    assert st.largest_region(r, "active", 4) == "B"
    assert st.end_of_wave(r) == 6  # 300 <= 5 % of 14,200 on day 6
    assert st.duration(r) == 4.0  # from day 2 to day 6
    assert st.value_at(r, "active", "2022-01-03", "A") == 2000
    assert st.share_at(r, "active", "2022-01-04", "B") == pytest.approx(0.9)
    assert st.share_by_region(r, "active", "2022-01-04")["B"] == pytest.approx(9000 / 14200)
    assert st.value_at(r, "active+quiet") == 30000
    assert st.period_totals(r, "arrests", "M") == {"2022-01": 360.0}


def _target(**kw):
    return Target.from_record(kw, "meta.observed[0]", "test.toml")


def test_verdicts_and_distances():
    r = _run()
    v = _target(target="onset", region="A", date="2022-01-02").judge(r)
    assert v.match and v.distance == 0.0
    v = _target(target="onset", region="B", date="2022-01-03").judge(r)
    assert not v.match and [t.simulated for t in v.terms] == [3.0, 1.0]  # a day behind A
    v = _target(target="onset", region="B", date="2022-01-01", min_active=0).judge(r)
    assert v.match
    assert _target(target="peak", region="B", date="2022-01-04").judge(r).match
    assert not _target(target="peak", region="A", date="2022-01-04").judge(r).match
    v = _target(target="peak", date="2022-01-05", tolerance_days=1).judge(r)
    assert v.match and v.distance == pytest.approx(1.0)
    assert _target(target="end", date="2022-01-06").judge(r).match
    v = _target(target="end", date="2022-01-05").judge(r)
    assert not v.match and v.terms[0].simulated == 1.0  # one day late
    v = _target(target="spread", date="2022-01-04", value=4).judge(r)
    assert v.match and v.terms[0].tolerance == 2.0  # max(2, 20 %)
    assert not _target(target="spread", date="2022-01-04", value=5).judge(r).match
    v = _target(target="detained", metric="active", date="2022-01-05", value=5000).judge(r)
    assert v.match  # 4,000 is within a factor 1.5 of 5,000
    assert v.distance == pytest.approx(abs(np.log(4000 / 5000)) / np.log(1.5))
    assert not _target(target="x", metric="active", date="2022-01-05", value=7000).judge(r).match
    assert _target(target="x", metric="nothing", value=1).judge(r).match is None


def test_records_are_read_in_one_place():
    with pytest.raises(UnknownParamError, match="did you mean 'fitted'"):
        _target(target="onset", date="2022-01-02", role="fited")
    with pytest.raises(UnknownParamError, match="did you mean 'min_active'"):
        _target(target="onset", date="2022-01-02", min_activ=3)
    with pytest.raises(ScenarioError, match="needs a numeric 'value'"):
        _target(target="spread", date="2022-01-02")
    with pytest.raises(ScenarioError, match="needs a 'date'"):
        _target(target="peak")
    recs = [
        {"target": "spread", "date": "2022-01-03", "value": 8, "role": "checked"},
        {"target": "spread", "date": "2022-01-04", "value": 13},
    ]
    ts = targets_of({"observed": recs})
    assert [t.name for t in ts] == ["spread 2022-01-03", "spread 2022-01-04"]
    assert [t.name for t in targets_of({"observed": recs}, role="checked")] == ["spread 2022-01-03"]


@pytest.fixture(scope="module")
def flagship(tmp_path_factory):
    """kazakhstan-2022 at one agent per 1,000 citizens (cheap), written and read back."""
    from tolqyn import run_one

    out = tmp_path_factory.mktemp("kz") / "run"
    run_one("kazakhstan-2022", 0, overrides={"scale": 1000.0}).write(out)
    return out


def test_report_calibration_and_layer_agree_on_every_target(flagship):
    from tolqyn.experiments import calibration as C
    from tolqyn.report import observed_rows, write_report
    from tolqyn.scenarios.loader import load_scenario

    sc = load_scenario("kazakhstan-2022", overrides={"scale": 1000.0})
    run = RunResult.from_dir(flagship)
    layer = {v.target.name: v.match for v in evaluate(run)}
    assert set(layer) >= {"onset", "peak", "end", "detained", "deaths", "security_deaths"}
    assert None not in layer.values()
    # the report's rows, in the order of the records
    names = [t.name for t in targets_of(sc.meta)]
    rows = observed_rows(run)
    report = {n: "matches" in str(r[5]) for n, r in zip(names, rows)}
    assert report == layer
    # the calibration distance: fitted records only, the same verdict from its summaries
    fitted = C.targets_from_observed(sc)
    assert {t.group for t in fitted} == {n for n in layer if _role(sc, n) == "fitted"}
    cal = C.verdicts(C.summaries(run, fitted, sc), fitted)
    assert cal == {n: m for n, m in layer.items() if _role(sc, n) == "fitted"}
    # a checked record is scored by the report in its own table and unseen by the calibration
    assert any(_role(sc, n) == "checked" for n in layer)
    text = write_report(flagship).read_text()
    assert "checked only" in text and "Simulated vs observed: fitted" in text


def _role(sc, name):
    return next(t.role for t in targets_of(sc.meta) if t.name == name)


def test_dashboard_run_gives_the_same_verdicts_as_an_exported_run(flagship):
    """A run stepped from the dashboard is judged by the same layer: pending before a
    record's date, then the exported run's verdict."""
    from tolqyn.web.runs import LiveRun

    live = LiveRun("kazakhstan-2022", {"scale": 1000.0}, 0)
    live.init()
    live.step(14 + 3)  # two quiet weeks of December, then to the end of 3 Jan
    early = {o["name"]: o["verdict"] for o in live.observed()}
    assert early["peak"] == "pending" and early["onset"] in ("match", "miss")
    assert early["quiet"] in ("match", "miss")  # its date, 31 Dec, has passed
    live.step(100)
    assert live.done
    final = {o["name"]: o["verdict"] for o in live.observed()}
    exported = {v.target.name: v.text for v in evaluate(RunResult.from_dir(flagship))}
    assert final == exported
