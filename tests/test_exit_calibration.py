"""Calibration, ensembles and the exit-voice analysis of the decade scenario: the targets read
yearly totals, the committed posterior is the one the scenario uses, a tiny ABC-SMC round runs
end to end, and the exit-voice verdicts are exact on constructed curves."""

import json

import numpy as np
import pytest

from tolqyn.api import run_one
from tolqyn.core.errors import TolqynError
from tolqyn.exit_decade import calibration as C
from tolqyn.exit_decade import exit_voice as EV
from tolqyn.exit_decade.ensemble import Ensemble, diff_band, whatif_variants, yearly
from tolqyn.experiments.calibration import parse_targets
from tolqyn.scenarios.loader import load_scenario


def test_fit_targets():
    t = {x["name"]: x for x in C.fit_targets()}
    assert set(t) == {
        "total_2004",
        "total_2013",
        "total_2014",
        "total_2017",
        "total_2018",
        "total_2019",
        "russian_2019",
        "german_2019",
    }
    assert (
        t["russian_2019"]["metric"] == "emigrants_ytd_russian"
        and t["russian_2019"]["at"] == "2019-12-15"
    )
    assert t["german_2019"]["scale"] == pytest.approx(0.3 * 3100)
    # figures name a base metric and a breakdown cell, never a packed name
    from tolqyn.data.series import emigration_figures
    from tolqyn.observe.emigration import figure_metric

    figs = {f.name: f for f in emigration_figures()}
    assert {f.metric for f in figs.values()} == {"emigrants"}
    assert figs["russian_2019"].cell == {"group": "russian"} and not figs["total_2019"].dims
    assert figs["non_cis_2019"].cell == {"destination": "germany"}
    assert figure_metric(figs["total_2019"]) == "emigrants_ytd"
    assert figure_metric(figs["to_russia_2018_H1"], "emigrants") == "emigrants_to_russia"


def test_ytd_target_reads_the_year_total():
    """value_at on the year-to-date metric at 15 December = the sum of the year's steps."""
    sc = load_scenario("kazakhstan-exit", overrides={"scale": 20000.0})
    res = run_one(sc, 1, steps=14)
    targets, _ = parse_targets(
        {"targets": [t for t in C.fit_targets() if t["name"] == "total_2004"]},
        "test",
        sc.start_date,
        sc.dt,
    )
    v = targets[0].compute(res, sc.start_date, sc.dt)
    em = res.series("emigrants")
    assert v == pytest.approx(np.nansum(em[1:13])) and v > 0
    y = yearly(res)
    assert y["emigrants"][2004] == pytest.approx(v)


def test_committed_posterior_matches_scenario():
    names, X, w = C.load_posterior()
    assert set(names) == {n for n, _, _ in C.PRIORS}
    assert np.isclose(w.sum(), 1.0)
    for j, n in enumerate(names):
        lo, hi = [(l, h) for nn, l, h in C.PRIORS if nn == n][0]
        assert np.all((X[:, j] >= lo) & (X[:, j] <= hi))
    summ = json.loads((C.CALIBRATED_DIR / "summary.json").read_text())
    sc = load_scenario("kazakhstan-exit")
    for n, v in summ["parameters"].items():
        assert sc.resolved_params[n] == pytest.approx(v["q50"], rel=0.01), n
    d = C.posterior_draws(5)
    assert len(d) == 5 and set(d[0]) == set(names)


def test_tiny_abc_round(tmp_path):
    """One generation of three particles on a one-year horizon: the machinery runs end to end."""
    from tolqyn.experiments.calibration import calibrate

    tpath = tmp_path / "t.toml"
    tpath.write_text(
        '[[targets]]\nname = "total_2004"\nmetric = "emigrants_ytd"\nstat = "value_at"\n'
        'at = "2004-12-15"\nobserved = 65000\nscale = 9750\n\n'
        '[[params]]\nname = "emigration_base"\nlow = 1e-8\nhigh = 3e-7\n'
    )
    res = calibrate(
        "kazakhstan-exit",
        tmp_path / "abc",
        targets_path=tpath,
        sets=["scale=20000"],
        population=3,
        generations=1,
        n_predictive=2,
        counterfactuals=[],
        steps=13,
        executor_kind="serial",
        workers=1,
        seed=1,
        log=lambda *a: None,
    )
    assert res["predictive_check"][0]["target"] == "total_2004"
    assert 1e-8 <= res["parameters"]["emigration_base"]["q50"] <= 3e-7
    # the posterior goes to the run's directory; the shipped defaults are untouched...
    shipped = {f: (C.CALIBRATED_DIR / f).read_bytes() for f in C.POSTERIOR_FILES}
    C.save_posterior(tmp_path / "abc", res, 20000.0)
    assert {f: (C.CALIBRATED_DIR / f).read_bytes() for f in C.POSTERIOR_FILES} == shipped
    summ = json.loads((tmp_path / "abc" / "summary.json").read_text())
    assert summ["parameters"] == json.loads(json.dumps(res["parameters"], default=float))
    # ...until installed deliberately (here into a copy of them), with the medians' moves
    dest = tmp_path / "calibrated"
    dest.mkdir()
    for f, b in shipped.items():
        (dest / f).write_bytes(b)
    moves = C.install_posterior(tmp_path / "abc", dest)
    assert (dest / "posterior.csv").read_bytes() == (
        tmp_path / "abc" / "posterior.csv"
    ).read_bytes()
    assert any(m.startswith("emigration_base: ") for m in moves)
    with pytest.raises(TolqynError, match="posterior.csv: not found"):
        C.install_posterior(tmp_path / "nothing", dest)


def _rows(cond, costs, exits, voices, noise=(0.0, 1.0, -1.0)):
    return [
        {"condition": cond, "cost": c, "replicate": r, "exit": e, "voice": v + dv}
        for c, e, v in zip(costs, exits, voices)
        for r, dv in enumerate(noise)
    ]


def test_exit_voice_verdicts_exact():
    costs = [4.0, 2.0, 0.0, -2.0, -4.0]
    exits = [1e3, 1e4, 1e5, 1e6, 1e7]
    rows = (
        _rows("U", costs, exits, [10, 40, 80, 40, 10])
        + _rows("down", costs, exits, [80, 60, 40, 20, 5])
        + _rows("up", costs, exits, [5, 20, 40, 60, 80])
        + _rows("flat", costs, exits, [50] * 5)
    )
    a = EV.analyse(rows)
    assert (
        a["U"]["inverted_u"] and not a["U"]["seesaw"] and a["U"]["verdict"].startswith("inverted U")
    )
    assert a["down"]["seesaw"] and not a["down"]["inverted_u"]
    assert (
        not a["up"]["seesaw"] and not a["up"]["inverted_u"] and "complements" in a["up"]["verdict"]
    )
    assert a["flat"]["verdict"] == "no clear relation"


def test_whatif_and_paired_differences():
    v = whatif_variants(tenge_fall=1 / 3, foreign_tv_year=2014)
    label = [k for k in v if k != "baseline"][0]
    evs = v[label][1]
    assert evs[0]["params"]["fx_multiplier"] == pytest.approx(1.5)
    assert evs[1]["at"] == "2015-01-01" and evs[1]["params"] == {"media_shift_on": False}
    a = Ensemble("a", [{"emigrants": {2020: 10.0}}, {"emigrants": {2020: 20.0}}])
    b = Ensemble("b", [{"emigrants": {2020: 15.0}}, {"emigrants": {2020: 21.0}}])
    lo, med, hi = diff_band(a, b, "emigrants", [2020])
    assert med == pytest.approx(3.0) and lo < med < hi
