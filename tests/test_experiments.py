"""Experiments layer: executors, designs, the resumable store, sensitivity, discovery,
calibration and the CLI. Small runs of a real (tiny) model through the real core."""

import json
import os
import signal

import numpy as np
import pandas as pd
import pytest

from tolqyn import models
from tolqyn.core.errors import ScenarioError, TolqynError, UnknownParamError
from tolqyn.scenarios.loader import from_dict

models.MODELS.setdefault("expcoin", "test_experiments_model:ExpCoinModel")


@pytest.fixture(autouse=True, scope="module")
def one_numba_thread():
    # runs in this process are tiny: a thread team costs more than it brings
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(old)


def scenario(**params):
    return from_dict(
        {"model": "expcoin", "steps": 12, "seed": 3, "params": {"n_agents": 300, **params}},
        name="expcoin-test",
    )


def table(out):
    from tolqyn.experiments.store import query

    return query(
        out, "SELECT run_id, seed, step, metric, value FROM results ORDER BY run_id, metric, step"
    ).reset_index(drop=True)


# ------------------------------------------------------------------ designs
def test_designs_from_declarations():
    from tolqyn.experiments.designs import axes_for, build_design, replicate_seeds
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model("expcoin"))
    axes = axes_for(specs, ["p_active=0.1:0.5", "level"])
    g = build_design("grid", axes, 3, 0)
    assert len(g.points) == 9
    assert sorted({p["p_active"] for p in g.points}) == [0.1, 0.3, 0.5]
    assert sorted({p["level"] for p in g.points}) == [0, 2, 4]
    lhs = build_design("lhs", axes_for(specs, ["p_active", "dummy"]), 10, seed=1)
    for name in ("p_active", "dummy"):  # one point in each of the 10 strata, per axis
        bins = sorted(int(p[name] * 10) for p in lhs.points)
        assert bins == list(range(10))
    sob = build_design("sobol", axes_for(specs, ["p_active", "dummy"]), 8, seed=0)
    assert len(sob.points) == 8 * (2 + 2)
    mor = build_design("morris", axes_for(specs, ["p_active", "dummy", "level"]), 4, seed=0)
    assert len(mor.points) == 4 * (3 + 1)
    assert all(isinstance(p["level"], int) and 0 <= p["level"] <= 4 for p in mor.points)
    # default axes: every sweepable numeric parameter with bounds (n_agents is not sweepable)
    assert [a.name for a in axes_for(specs, None)] == ["p_active", "dummy", "level", "fail_above"]
    s1, s2 = replicate_seeds(7, 5), replicate_seeds(7, 5)
    assert s1 == s2 and len(set(s1)) == 5 and replicate_seeds(8, 5) != s1
    with pytest.raises(UnknownParamError, match="did you mean 'p_active'"):
        axes_for(specs, ["p_activ"])
    with pytest.raises(ScenarioError, match="must lie inside"):
        axes_for(specs, ["p_active=0.5:2"])
    with pytest.raises(TolqynError, match="power of 2"):
        build_design("sobol", axes, 6)


# ------------------------------------------------------------------ executors, store, resume
def test_executors_agree_and_store_is_queryable(tmp_path):
    """Serial, process pool and a Dask LocalCluster give identical stored results."""
    from tolqyn.experiments.store import query
    from tolqyn.experiments.sweep import sweep

    sc = scenario()
    kw = dict(design="lhs", samples=3, replicates=2, params=["p_active", "dummy"], progress=False)
    reps = {}
    for kind in ("serial", "process", "dask"):
        reps[kind] = sweep(sc, tmp_path / kind, executor_kind=kind, workers=2, **kw)
        assert reps[kind].ran == 6 and reps[kind].failed == 0
    base = table(tmp_path / "serial")
    assert len(base) == 6 * 2 * 13
    for kind in ("process", "dask"):
        pd.testing.assert_frame_equal(base, table(tmp_path / kind))
    # one catalog over several experiments
    df = query(
        tmp_path,
        "SELECT experiment, count(DISTINCT run_id) AS n FROM results GROUP BY 1 ORDER BY 1",
    )
    assert df.to_dict("list") == {"experiment": ["dask", "process", "serial"], "n": [6, 6, 6]}
    man = json.loads((tmp_path / "process" / "manifest.json").read_text())
    assert man["complete"] and man["runs_ok"] == 6 and man["scenario_hash"] == sc.hash
    assert man["version"] and man["seeds"] and man["timings"]["run_s_total"] > 0
    assert (tmp_path / "process" / "catalog.duckdb").exists()
    # same command again: nothing to do
    again = sweep(sc, tmp_path / "serial", executor_kind="serial", **kw)
    assert again.ran == 0 and again.done_before == 6
    # a different experiment in the same directory is refused
    with pytest.raises(TolqynError, match="different experiment"):
        sweep(sc, tmp_path / "serial", executor_kind="serial", **{**kw, "samples": 4})


def test_failures_recorded_and_interrupt_resumes(tmp_path):
    from tolqyn.experiments.store import query
    from tolqyn.experiments.sweep import sweep

    sc = scenario(fail_above=0.6)
    kw = dict(
        design="grid",
        samples=5,
        replicates=2,
        params=["p_active"],
        progress=False,
        executor_kind="serial",
    )
    seen = []

    def stop_after_three(rec):
        seen.append(rec["run_id"])
        if len(seen) == 3:
            raise KeyboardInterrupt  # what Ctrl-C does in the loop

    with pytest.raises(KeyboardInterrupt):
        sweep(sc, tmp_path / "x", on_outcome=stop_after_three, **kw)
    man = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert man["runs_ok"] == 3 and man["sessions"][-1]["interrupted"]
    rep = sweep(sc, tmp_path / "x", **kw)
    assert rep.done_before == 3 and rep.ran == 7
    # p_active levels 0, .25, .5, .75, 1: the last two points (4 runs) fail, the others go on
    assert rep.failed == 4
    runs = query(tmp_path / "x", "SELECT point_id, status, error FROM runs ORDER BY run_id")
    assert (runs.status == "error").sum() == 4 and set(runs[runs.status == "error"].point_id) == {
        3,
        4,
    }
    assert runs.error[runs.status == "error"].str.contains("deliberate test failure").all()
    # the resumed store equals an uninterrupted one
    sweep(sc, tmp_path / "y", **kw)
    pd.testing.assert_frame_equal(table(tmp_path / "x"), table(tmp_path / "y"))


def test_worker_killed_loses_nothing(tmp_path):
    from tolqyn.experiments.executors import ProcessExecutor
    from tolqyn.experiments.sweep import sweep

    sc = from_dict(
        {"model": "expcoin", "steps": 60, "seed": 3, "params": {"n_agents": 10000}},
        name="expcoin-kill",
    )
    kw = dict(design="lhs", samples=5, replicates=2, params=["p_active"], progress=False)
    killed = []
    with ProcessExecutor(2) as ex:

        def kill_one(rec):
            if not killed:
                pid = ex.worker_pids()[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        rep = sweep(sc, tmp_path / "k", executor=ex, on_outcome=kill_one, **kw)
        assert killed and ex.restarts >= 1
    assert rep.failed == 0 and rep.ran == 10
    sweep(sc, tmp_path / "s", executor_kind="serial", **kw)
    pd.testing.assert_frame_equal(table(tmp_path / "k"), table(tmp_path / "s"))


# ------------------------------------------------------------------ analyses
def test_sobol_finds_the_parameter_that_matters(tmp_path):
    """share ~ p_active exactly in expectation; dummy has no effect. With 300 agents × 12 steps
    the replicate noise of the mean share is ~0.8 % of its spread over U(0,1), so S1(p_active)
    is ~1 and ST(dummy) ~0; the bounds below leave a wide margin (failure rate negligible,
    and the seeds are fixed, so the test is deterministic)."""
    from tolqyn.experiments import sensitivity as sens
    from tolqyn.experiments.sweep import sweep

    sweep(
        scenario(),
        tmp_path / "sob",
        design="sobol",
        samples=32,
        replicates=1,
        params=["p_active", "dummy"],
        executor_kind="serial",
        progress=False,
    )
    res = sens.analyze(tmp_path / "sob", ["share:mean"], num_resamples=200)
    idx = {r["parameter"]: r for r in res["outputs"]["share_mean"]["indices"]}
    assert idx["p_active"]["S1"] > 0.9 and idx["p_active"]["ST"] > 0.9
    assert abs(idx["dummy"]["ST"]) < 0.05
    assert idx["p_active"]["ST_conf"] > 0
    assert (tmp_path / "sob" / "sensitivity_share_mean.png").stat().st_size > 1000
    assert "p_active" in sens.summary_text(res)
    # Morris screening ranks them the same way
    sweep(
        scenario(),
        tmp_path / "mor",
        design="morris",
        samples=6,
        replicates=1,
        params=["p_active", "dummy"],
        executor_kind="serial",
        progress=False,
    )
    m = {
        r["parameter"]: r
        for r in sens.analyze(tmp_path / "mor", ["share:mean"], num_resamples=100, plots=False)[
            "outputs"
        ]["share_mean"]["indices"]
    }
    assert m["p_active"]["mu_star"] > 0.5 and m["dummy"]["mu_star"] < 0.05


def test_discovery_finds_the_threshold(tmp_path):
    from tolqyn.experiments import discovery as disc
    from tolqyn.experiments.sweep import sweep

    sweep(
        scenario(),
        tmp_path / "d",
        design="lhs",
        samples=60,
        replicates=1,
        params=["p_active", "dummy"],
        executor_kind="serial",
        progress=False,
    )
    res = disc.discover(tmp_path / "d", ["share:mean"], "share_mean > 0.6")
    top = res["cart"]["leaves"][0]
    assert top["share"] == 1.0 and "p_active >" in top["rule"] and "dummy" not in top["rule"]
    thr = float(top["rule"].split("p_active >")[1].split()[0])
    assert 0.55 < thr < 0.65
    box = res["prim"]["box"]
    assert box["density"] == 1.0 and 0.55 < box["limits"]["p_active"][0] < 0.7
    assert "dummy" not in box["limits"] or box["coverage"] > 0.5
    assert "PRIM box" in disc.summary_text(res)


def test_calibration_recovers_a_known_parameter(tmp_path):
    """Observed values from p_active = 0.3 (mean share 0.3 at n=300: sd of one step's share
    ~0.026); ABC-SMC must put 0.3 inside the posterior 90 % interval and shrink the prior.
    Seeds are fixed (serial sampler seeded), so the test is deterministic."""
    from tolqyn.experiments import calibration as cal

    tfile = tmp_path / "targets.toml"
    tfile.write_text(
        '[[targets]]\nname = "share_at_6"\nmetric = "share"\nstat = "value_at"\nat = 6\n'
        'observed = 0.3\nscale = 0.03\n\n[[targets]]\nname = "active_final"\n'
        'metric = "active"\nstat = "final"\nobserved = 90\nscale = 9\n\n'
        '[[params]]\nname = "p_active"\nlow = 0.0\nhigh = 0.8\n'
    )
    cf = tmp_path / "half.toml"
    cf.write_text('model = "expcoin"\nsteps = 12\nseed = 3\n[params]\nn_agents = 150\n')
    # a counterfactual that sets the calibrated parameter itself: +0.2 on each posterior draw
    plus = tmp_path / "plus.toml"
    plus.write_text(
        'model = "expcoin"\nsteps = 12\nseed = 3\n[params]\nn_agents = 300\np_active = 0.5\n'
    )
    res = cal.calibrate(
        scenario(),
        tmp_path / "cal",
        targets_path=tfile,
        population=40,
        generations=3,
        n_predictive=30,
        counterfactuals=[str(cf), str(plus)],
        executor_kind="serial",
        seed=1,
    )
    p = res["parameters"]["p_active"]
    assert p["q05"] < 0.3 < p["q95"] and p["q95"] - p["q05"] < 0.4
    post = pd.read_parquet(tmp_path / "cal" / "posterior.parquet")
    assert np.isclose(post.weight.sum(), 1.0) and len(post) == 40
    assert {r["target"] for r in res["predictive_check"]} == {"share_at_6", "active_final"}
    text = cal.summary_text(res)
    assert "half: active_final" in text and "90% interval" in text and "observed" in text
    cfs = {(r["counterfactual"], r["target"]): r for r in res["counterfactuals"]}
    half = cfs[("half", "active_final")]
    assert (
        half["diff_q95"] < 0 and half["median"] < 60
    )  # half the agents: about half as many active
    # p_active ~0.3 + 0.2: about 150 of 300 active (sd ~9), not the replay's ~90
    up = cfs[("plus", "active_final")]
    assert res["counterfactual_shifts"]["plus"]["p_active"] == pytest.approx(0.2)
    assert up["diff_q05"] > 0 and 120 < up["median"] < 180
    assert len(pd.read_csv(tmp_path / "cal" / "posterior.csv")) == 40
    assert any(pth.endswith(".png") for pth in res["plots"])


def test_targets_errors_are_clear(tmp_path):
    from tolqyn.experiments import calibration as cal

    with pytest.raises(UnknownParamError, match="did you mean 'value_at'"):
        cal.parse_targets(
            {"targets": [{"metric": "a", "stat": "value_a", "observed": 1}]}, "t.toml"
        )
    with pytest.raises(ScenarioError, match="missing 'observed'"):
        cal.parse_targets({"targets": [{"metric": "a"}]}, "t.toml")
    with pytest.raises(TolqynError, match="no calibration targets"):
        cal.load_targets(None, scenario())


# ------------------------------------------------------------------ CLI
def test_cli_sweep_query_sensitivity(tmp_path):
    from typer.testing import CliRunner

    from tolqyn.cli import app

    sc = tmp_path / "exp.toml"
    sc.write_text('model = "expcoin"\nsteps = 10\nseed = 2\n[params]\nn_agents = 200\n')
    out = tmp_path / "sw"
    r = CliRunner().invoke(
        app,
        [
            "sweep",
            str(sc),
            "--design",
            "grid",
            "--samples",
            "3",
            "--replicates",
            "2",
            "--param",
            "p_active",
            "--set",
            "dummy=0.1",
            "--out",
            str(out),
            "--serial",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "6 runs" in r.output
    r = CliRunner().invoke(
        app, ["query", str(out), "SELECT count(DISTINCT run_id) AS n FROM results", "--csv"]
    )
    assert r.exit_code == 0 and r.output.strip().splitlines() == ["n", "6"]
    r = CliRunner().invoke(app, ["query", str(out), "SELECT nope FROM results"])
    assert r.exit_code == 2 and "query failed" in r.output
    r = CliRunner().invoke(
        app, ["sweep", str(sc), "--param", "p_activ", "--out", str(tmp_path / "bad"), "--serial"]
    )
    assert r.exit_code == 2 and "did you mean 'p_active'" in r.output
    r = CliRunner().invoke(
        app, ["discover", str(out), "--output", "share:mean", "--condition", "share_mean > 0.4"]
    )
    assert r.exit_code == 0 and "CART" in r.output, r.output


def test_heavy_imports_are_lazy():
    import subprocess
    import sys

    code = (
        "import sys, tolqyn, tolqyn.experiments, tolqyn.experiments.commands; "
        "bad = [m for m in ('dask', 'distributed', 'SALib', 'pyabc', 'duckdb', 'sklearn') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
