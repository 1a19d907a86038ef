"""Counterfactuals over a posterior and its structures (`tolqyn counterfactuals`), their drivers
(Morris, then Sobol'), and the posterior directory they read.

Model runs are at one agent per 1,000 citizens (about 20,000 agents, under a second each) with
two or three draws: they check the plumbing (pairing, seeds, stores, tables, report), not the
answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tolqyn.core.errors import TolqynError, UnknownParamError
from tolqyn.experiments.posterior import load_posterior, weighted_quantile

SCALE = "1000"
COLUMNS = [
    "scenario",
    "structure",
    "metric",
    "median",
    "q05",
    "q95",
    "n_draws",
    "posterior_probability",
]


def _posterior(d, structures=True):
    d.mkdir(parents=True, exist_ok=True)
    if structures:
        # the format of a calibration over structures (tolqyn.experiments.posterior); the two
        # structures differ by a mechanism switch (does fatigue end a wave?), and arrest_rate
        # is free only in the first
        (d / "posterior.csv").write_text(
            "structure,weight,fatigue_on,tau_mean,arrest_rate,legitimacy\n"
            "fatigue,0.18,true,0.33,0.020,0.55\n"
            "fatigue,0.42,true,0.36,0.025,0.56\n"
            "no-fatigue,0.2,false,0.34,,0.54\n"
            "no-fatigue,0.2,false,0.35,,0.55\n"
        )
        (d / "structures.csv").write_text(
            "structure,fatigue_on,prior,probability,n_particles\n"
            "fatigue,true,0.5,0.6,2\nno-fatigue,false,0.5,0.4,2\n"
        )
        (d / "calibration.json").write_text(json.dumps({"switches": ["fatigue_on"]}))
    else:
        (d / "posterior.csv").write_text(
            "tau_mean,arrest_rate,weight\n0.34,0.020,0.4\n0.35,0.024,0.6\n"
        )
    return d


def _cli(args):
    from tolqyn.cli import app

    return CliRunner().invoke(app, args, catch_exceptions=False)


# ------------------------------------------------------------------ the posterior directory
def test_posterior_reads_structures_probabilities_and_switches(tmp_path):
    p = load_posterior(_posterior(tmp_path / "post"), model="country")
    assert p.probabilities == pytest.approx({"fatigue": 0.6, "no-fatigue": 0.4})
    assert p.switches_of("no-fatigue") == {"fatigue_on": False}
    assert p.free_in("no-fatigue") == ["tau_mean", "legitimacy"]
    assert p.params_of(2) == {"fatigue_on": False, "tau_mean": 0.34, "legitimacy": 0.54}
    assert p.probability_source == "structures.csv"


def test_posterior_without_structure_column_is_one_structure(tmp_path):
    p = load_posterior(_posterior(tmp_path / "post", structures=False), model="country")
    assert p.probabilities == {"single": 1.0} and p.probability_source == "weights"
    assert p.parameters == ["tau_mean", "arrest_rate"]


@pytest.mark.parametrize(
    "text, extra, match",
    [
        ("tau_mean,weight\n0.3,1\n", None, None),  # fine: a control
        ("tau_mena,weight\n0.3,1\n", None, "did you mean 'tau_mean'"),
        ("tau_mean\n0.3\n", None, "column 'weight' is missing"),
        ("tau_mean,weight\n", None, "no particles"),
        ("", None, "empty file"),
        ("tau_mean,weight\n3.5,1\n", None, r"row 2: 3.5 outside the declared range"),
        ("tau_mean,weight\nabc,1\n", None, r"field 'tau_mean': row 2: 'abc' is not a number"),
        ("tau_mean,weight\n0.3,-1\n", None, "negative"),
        ("tau_mean,weight\n0.3,0\n", None, "not all 0"),
        (
            "tau_mean,weight,structure\n0.3,1,a\n0.3,1,b\n",
            "structure,probability\na,0.5\nb,0.6\n",
            "sum to 1.1",
        ),
        (
            "tau_mean,weight,structure\n0.3,1,a\n0.3,1,b\n",
            "structure,probability\na,1.0\n",
            "structure 'b' of posterior.csv has no row",
        ),
        (
            "tau_mean,weight,structure\n0.3,1,a\n",
            "structure,probability,fatigue_on\na,1.0,maybe\n",
            "field 'fatigue_on'",
        ),
    ],
)
def test_bad_posterior_gives_one_clear_error(tmp_path, text, extra, match):
    d = tmp_path / "post"
    d.mkdir()
    (d / "posterior.csv").write_text(text)
    if extra:
        (d / "structures.csv").write_text(extra)
    if match is None:
        assert load_posterior(d, model="country").parameters == ["tau_mean"]
        return
    with pytest.raises(TolqynError, match=match) as e:
        load_posterior(d, model="country")
    assert "\n" not in str(e.value)
    assert "posterior.csv" in str(e.value) or "structures.csv" in str(e.value)


def test_missing_posterior_dir_or_file(tmp_path):
    with pytest.raises(TolqynError, match="no such posterior directory"):
        load_posterior(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TolqynError, match="no posterior.csv"):
        load_posterior(tmp_path / "empty")


def test_ignored_column_is_named_and_unknown_ignore_refused(tmp_path):
    d = tmp_path / "post"
    d.mkdir()
    (d / "posterior.csv").write_text("tau_mean,death_rate_civilian,weight\n0.3,0.001,1\n")
    with pytest.raises(UnknownParamError, match="death_rate_civilian"):
        load_posterior(d, model="country")
    p = load_posterior(d, model="country", ignore=["death_rate_civilian"])
    assert p.parameters == ["tau_mean"] and p.dropped == ["death_rate_civilian"]
    with pytest.raises(UnknownParamError, match="did you mean 'death_rate_civilian'"):
        load_posterior(d, ignore=["death_rate_civilan"])


def test_weighted_quantile_equals_plain_quantiles_for_equal_weights():
    v = np.arange(1.0, 102.0)
    assert weighted_quantile(v, np.ones_like(v), [0.5])[0] == pytest.approx(51.0)
    # a weight of zero removes a value
    assert weighted_quantile([1.0, 100.0], [1.0, 0.0], [0.05, 0.95]) == pytest.approx([1, 1])


# ------------------------------------------------------------------ Sobol' recovers known indices
@pytest.mark.parametrize("order", [(1, 2, 3, 4), (4, 3, 2, 1)])
def test_morris_then_sobol_recovers_the_ishigami_indices(order):
    """Whatever the order of the factors (the screening ranks them x1, x2, x3; given in the
    reverse order, the Sobol' design's columns must still carry the right names). The Ishigami
    function (a = 7, b = 0.1; Ishigami & Homma 1990) has S1 = (0.314, 0.442,
    0) and ST = (0.558, 0.442, 0.244) (Sobol' & Levitan 1999). A fourth, inert factor must be
    screened out by Morris; Saltelli's estimators with N = 1024 are within 0.05 of every index
    (their standard error there is about 0.02; the design is seeded, so the test is exact in
    its outcome), and each 95 % bootstrap interval covers the true value."""
    from tolqyn.experiments.designs import Axis
    from tolqyn.experiments.drivers import DriverBudget, screen_then_attribute

    axes = [Axis(f"x{i}", "float", -math.pi, math.pi) for i in order]
    calls = []

    def evaluate(stage, points):
        calls.append((stage, len(points)))
        x = np.array([[p["x1"], p["x2"], p["x3"]] for p in points])
        y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
        return {"ishigami": y}

    budget = DriverBudget(morris_trajectories=20, sobol_samples=1024, max_params=3, resamples=300)
    att = screen_then_attribute(axes, evaluate, {"x4": 0.0}, budget, seed=3)
    assert sorted(att.screened) == ["x1", "x2", "x3"]
    assert calls == [("morris", 20 * 5), ("sobol", 1024 * 5)]
    s1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
    st = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
    for r in att.sobol:
        n = r["parameter"]
        assert r["S1"] == pytest.approx(s1[n], abs=0.05), n
        assert r["ST"] == pytest.approx(st[n], abs=0.05), n
        assert abs(r["S1"] - s1[n]) <= r["S1_conf"], n
        assert abs(r["ST"] - st[n]) <= r["ST_conf"], n
    mu = {r["parameter"]: r["mu_star"] for r in att.morris}
    assert mu["x4"] == 0.0 and min(mu["x1"], mu["x2"], mu["x3"]) > 1.0


def test_structure_factor_picks_structures_by_probability():
    from tolqyn.experiments.drivers import structure_of

    st = [("a", 0.6), ("b", 0.3), ("c", 0.1)]
    u = (np.arange(10000) + 0.5) / 10000
    picks = [structure_of(x, st) for x in u]
    assert [picks.count(n) / len(u) for n in "abc"] == pytest.approx([0.6, 0.3, 0.1], abs=1e-3)


def test_sign_robustness_and_structures_the_data_cannot_tell_apart():
    from tolqyn.experiments.counterfactuals import indistinguishable, sign_robustness

    rows = [
        ("a", 0.7, 5.0, 1.0, 9.0),
        ("b", 0.1, 2.0, -1.0, 4.0),
        ("c", 0.2, -3.0, -6.0, -1.0),
        ("averaged", 1.0, 4.0, -4.0, 8.0),
    ]
    df = pd.DataFrame(
        [
            {"scenario": "x", "structure": st, "metric": "deaths_total_minus_replay",
             "median": m, "q05": lo, "q95": hi, "n_draws": 10, "posterior_probability": p}
            for st, p, m, lo, hi in rows
        ]
    )  # fmt: skip
    sr = sign_robustness(df, "x", "deaths_total")
    assert sr["sign"] == 1
    assert sr["p_agree"] == pytest.approx(0.8)  # a and b: their medians are positive
    assert sr["p_sure"] == pytest.approx(0.7)  # only a's interval excludes zero
    assert sr["structures_against"] == ["c"]
    # posterior odds below 3 against the most probable: not ruled out
    assert indistinguishable([("a", 0.6), ("b", 0.1), ("c", 0.3)]) == ["a", "c"]
    assert indistinguishable([("a", 0.9), ("b", 0.1)]) == ["a"]


def test_proportional_allocation_by_largest_remainders():
    from tolqyn.experiments.counterfactuals import proportional_counts

    st = [("a", 0.6), ("b", 0.3), ("c", 0.1)]
    assert proportional_counts(st, 10) == {"a": 6, "b": 3, "c": 1}
    assert proportional_counts(st, 7) == {"a": 4, "b": 2, "c": 1}  # quotas 4.2, 2.1, 0.7
    assert proportional_counts([("a", 0.97), ("b", 0.03)], 10) == {"a": 10, "b": 0}


# ------------------------------------------------------------------ the model
def test_counterfactual_identical_to_the_replay_differs_by_exactly_zero(tmp_path):
    """Same draw, same seed, same scenario under another name: every paired difference is 0,
    per structure and averaged; running the command again runs nothing (resumed stores)."""
    same = tmp_path / "same.toml"
    same.write_text('name = "kazakhstan-2022/same"\nextends = "kazakhstan-2022"\n')
    post = _posterior(tmp_path / "post", structures=False)
    out = tmp_path / "out"
    args = ["counterfactuals", "kazakhstan-2022", "--posterior", str(post), "--out", str(out)]
    args += ["--draws", "2", "--scale", SCALE, "--scenario", str(same), "--no-drivers"]
    r = _cli([*args, "--serial", "--quiet"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "counterfactuals.csv")
    diff = df[df.metric.str.endswith("_minus_replay")]
    assert len(diff) == 9 * 2  # nine metrics, one structure and averaged
    assert (diff[["median", "q05", "q95"]].to_numpy() == 0.0).all()
    lv = df[~df.metric.str.endswith("_minus_replay")]
    a = lv[lv.scenario == "kazakhstan-2022"].set_index(["structure", "metric"])
    b = lv[lv.scenario == "kazakhstan-2022/same"].set_index(["structure", "metric"])
    assert a[["median", "q05", "q95"]].equals(b[["median", "q05", "q95"]])
    assert a.loc[("averaged", "deaths_total"), "q95"] > 0  # the runs did something
    recs = sorted((out / "runs" / "posterior").rglob("runs/*.json"))
    before = [json.loads(p.read_text())["finished_at"] for p in recs]
    r = _cli([*args, "--serial", "--quiet"])
    assert r.exit_code == 0, r.output
    assert [json.loads(p.read_text())["finished_at"] for p in recs] == before


def test_same_seed_same_answers_on_one_or_two_workers(tmp_path):
    post = _posterior(tmp_path / "post")
    base = ["counterfactuals", "kazakhstan-2022", "--posterior", str(post), "--draws", "2"]
    base += ["--scale", SCALE, "--scenario", "kazakhstan-2022/no-troops", "--no-drivers"]
    base += ["--seed", "5", "--quiet"]
    r1 = _cli([*base, "--out", str(tmp_path / "one"), "--serial"])
    r2 = _cli([*base, "--out", str(tmp_path / "two"), "--workers", "2"])
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
    a = (tmp_path / "one" / "counterfactuals.csv").read_text()
    b = (tmp_path / "two" / "counterfactuals.csv").read_text()
    assert a == b
    d1 = pd.read_csv(tmp_path / "one" / "draws.csv")
    assert d1.seed.nunique() == 4  # a seed per draw, shared by the replay and the counterfactual
    assert (d1.groupby(["structure", "draw"]).seed.nunique() == 1).all()


def test_cli_end_to_end_with_drivers(tmp_path):
    post = _posterior(tmp_path / "post")
    out = tmp_path / "out"
    r = _cli(
        [
            "counterfactuals", "kazakhstan-2022", "--posterior", str(post), "--out", str(out),
            "--draws", "2", "--scale", SCALE, "--scenario", "kazakhstan-2022/higher-legitimacy",
            "--morris-trajectories", "2", "--sobol-samples", "4", "--sobol-params", "2",
            "--noise-seeds", "2", "--serial", "--quiet",
        ]
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "counterfactuals.csv")
    assert list(df.columns) == COLUMNS
    assert set(df.structure) == {"fatigue", "no-fatigue", "averaged"}
    cf = df[df.scenario == "kazakhstan-2022/higher-legitimacy"]
    assert {"deaths_total", "deaths_total_minus_replay"} <= set(cf.metric)
    avg = cf[cf.structure == "averaged"]
    assert (avg.n_draws == 4).all() and (avg.posterior_probability == 1.0).all()
    per = cf[(cf.structure == "fatigue") & (cf.metric == "deaths_total")]
    assert per.n_draws.iloc[0] == 2 and per.posterior_probability.iloc[0] == pytest.approx(0.6)
    # the counterfactual's legitimacy 0.65 is a shift of +0.1 from each draw
    draws = pd.read_csv(out / "draws.csv")
    rep = draws[draws.scenario == "kazakhstan-2022"].set_index(["structure", "draw"])
    cfd = draws[draws.scenario != "kazakhstan-2022"].set_index(["structure", "draw"])
    assert (cfd.param_legitimacy - rep.param_legitimacy).to_numpy() == pytest.approx([0.1] * 4)
    assert rep.param_fatigue_on.tolist() == [True, True, False, False]
    assert rep.param_arrest_rate.isna().tolist() == [False, False, True, True]
    info = json.loads((out / "study.json").read_text())
    assert info["shifts"] == {"higher-legitimacy": {"legitimacy": pytest.approx(0.1)}}
    drivers = pd.read_csv(out / "drivers.csv")
    for c in ("scenario", "metric", "parameter", "mu_star", "S1", "ST", "S1_conf", "ST_conf"):
        assert c in drivers.columns
    assert set(drivers.method) == {"morris", "sobol"}
    sob = drivers[drivers.method == "sobol"]
    assert sob.parameter.nunique() == 2 and len(info["screened"]) == 2
    assert set(drivers[drivers.method == "morris"].parameter) == {
        "tau_mean", "arrest_rate", "legitimacy", "structure"
    }  # fmt: skip
    text = (out / "report.md").read_text()
    assert "the sign holds in structures carrying P = " in text
    assert "The data cannot tell these structures apart" in text  # odds 0.6 : 0.4
    assert "range over the structures not ruled out" in text
    assert "### What drives it" in text
    for name in ("higher-legitimacy_intervals.png", "higher-legitimacy_drivers.png"):
        assert (out / "figures" / name).stat().st_size > 1000
        assert f"figures/{name}" in text
    # the report page, seen in headless Chromium (test-artifacts/reports/)
    from test_report import screenshot_pages

    from tolqyn.report import markdown_page

    screenshot_pages({"counterfactuals": markdown_page(out / "report.md")}, skip=False)


def test_bad_posterior_dir_on_the_command_line(tmp_path):
    r = _cli(
        ["counterfactuals", "kazakhstan-2022", "--posterior", str(tmp_path / "x"),
         "--out", str(tmp_path / "o"), "--serial"]
    )  # fmt: skip
    assert r.exit_code == 2
    assert "no such posterior directory" in r.output


def test_the_structure_factor_always_reaches_the_sobol_stage():
    """Morris's grid levels fall on only a few structures, so a zero mu* for the structure
    factor says nothing; the structure is kept for the Sobol' stage, which then attributes
    the variance a structure-only effect causes to it."""
    from tolqyn.experiments.designs import Axis
    from tolqyn.experiments.drivers import STRUCTURE, DriverBudget, screen_then_attribute

    axes = [Axis(f"x{i}", "float", 0.0, 1.0) for i in (1, 2, 3)] + [
        Axis(STRUCTURE, "float", 0.0, 1.0)
    ]

    def evaluate(stage, points):
        # the structure acts only in (0.7, 0.9]: never on Morris's levels 0, 1/3, 2/3, 1
        u = np.array([p.get(STRUCTURE, 0.5) for p in points])
        x1 = np.array([p.get("x1", 0.5) for p in points])
        return {"y": x1 + 5.0 * ((u > 0.7) & (u <= 0.9))}

    budget = DriverBudget(morris_trajectories=8, sobol_samples=256, max_params=2, resamples=100)
    att = screen_then_attribute(axes, evaluate, {"x2": 0.5, "x3": 0.5}, budget, seed=1)
    mu = {r["parameter"]: r["mu_star"] for r in att.morris}
    assert mu[STRUCTURE] == 0.0 and mu["x1"] > 0
    assert att.screened == ["x1", STRUCTURE]
    st = {r["parameter"]: r["ST"] for r in att.sobol}
    assert st[STRUCTURE] > 0.8 > st["x1"]
