"""Sweeps do not explode: what is varied must be named, a design too large to plan is refused
before any point is built, coupled constraints are checked at planning, and the size of the
plan is printed, with --yes needed above --max-runs."""

import time

import pytest
from typer.testing import CliRunner

from tolqyn.cli import app
from tolqyn.core.errors import TolqynError
from tolqyn.scenarios.loader import load_scenario

runner = CliRunner()


def _lines(out):
    return [x for x in out.splitlines() if x.strip()]


def test_a_sweep_must_name_what_it_varies(tmp_path):
    r = runner.invoke(app, ["sweep", "epstein-2002/run-1", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2
    errs = [x for x in _lines(r.output) if x.startswith("error:")]
    assert len(errs) == 1 and "--param" in errs[0] and "Traceback" not in r.output
    assert not (tmp_path / "x").exists()


def test_a_design_too_large_is_refused_before_any_point_is_built():
    """A grid over every declared parameter of kazakhstan-2022 has 3^100+ points: planning it
    ran out of memory; now naming nothing is refused, and naming them all is refused at once."""
    from tolqyn.experiments.sweep import plan_experiment
    from tolqyn.models import all_param_specs, get_model

    sc = load_scenario("kazakhstan-2022")
    with pytest.raises(TolqynError, match="name what the design varies"):
        plan_experiment(sc, design="grid", samples=3)
    specs = all_param_specs(get_model(sc.model))
    every = [
        n
        for n, p in specs.items()
        if p.sweepable
        and not p.structural
        and p.kind in ("float", "int")
        and p.low is not None
        and p.high is not None
        and p.high > p.low
        and abs(p.low) < 1e300
        and abs(p.high) < 1e300
    ]
    t0 = time.perf_counter()
    with pytest.raises(TolqynError, match="points, more than"):
        plan_experiment(sc, design="grid", samples=3, params=every)
    assert time.perf_counter() - t0 < 30


def test_coupled_densities_are_checked_at_planning():
    from tolqyn.experiments.sweep import plan_experiment

    sc = load_scenario("epstein-2002/run-1")
    with pytest.raises(TolqynError, match="citizen_density \\+ cop_density"):
        plan_experiment(
            sc, design="lhs", samples=20, params=["citizen_density", "cop_density=0:0.9"]
        )


def test_plan_is_printed_and_a_large_one_needs_yes(tmp_path):
    args = [
        "sweep",
        "granovetter-1978/riot-uniform",
        "--design",
        "grid",
        "--samples",
        "4",
        "--replicates",
        "2",
        "--param",
        "threshold_shift=0:3",
        "--serial",
        "--quiet",
        "--out",
        str(tmp_path / "x"),
        "--max-runs",
        "5",
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "plan: 4 points × 2 replicates = 8 runs" in r.output
    assert "--yes" in [x for x in _lines(r.output) if x.startswith("error:")][0]
    assert not (tmp_path / "x").exists()
    r = runner.invoke(app, args + ["--yes"])
    assert r.exit_code == 0, r.output
    assert "8 runs" in r.output


def test_a_structural_parameter_is_swept_only_over_a_declared_or_given_range():
    from tolqyn.experiments.designs import axes_for
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model("epstein"))
    assert specs["width"].structural and specs["width"].sweep_range == (20, 400)
    (axis,) = axes_for(specs, ["width"])
    assert (axis.low, axis.high) == (20, 400)  # not the validity bounds 5..20000
    (axis,) = axes_for(specs, ["width=30:60"])
    assert (axis.low, axis.high) == (30, 60)
    # a non-structural parameter named alone keeps its validity bounds
    (axis,) = axes_for(specs, ["legitimacy"])
    assert (axis.low, axis.high) == (specs["legitimacy"].low, specs["legitimacy"].high)
    # never varied unless named
    assert "width" not in [a.name for a in axes_for(specs, None)]


def test_a_structural_parameter_without_a_sweep_range_needs_one(monkeypatch):
    from dataclasses import replace

    from tolqyn.experiments.designs import axes_for
    from tolqyn.models import all_param_specs, get_model

    specs = dict(all_param_specs(get_model("epstein")))
    specs["width"] = replace(specs["width"], sweep_range=None)
    with pytest.raises(TolqynError, match=r"structural.*--param width=LOW:HIGH"):
        axes_for(specs, ["width"])


def test_python_sweep_without_params_says_what_to_name(tmp_path):
    from tolqyn.experiments.sweep import sweep

    with pytest.raises(TolqynError, match="name what the design varies"):
        sweep(load_scenario("granovetter-1978/normal-random"), tmp_path / "s", progress=False)
    assert not (tmp_path / "s").exists()


def test_a_large_design_prints_an_estimate_from_a_pilot_run_before_starting(tmp_path):
    """From 50 runs on, one pilot run of the base scenario is timed and the estimate printed
    with the plan, before the store is created (here first refused by --max-runs)."""
    args = [
        "sweep",
        "granovetter-1978/normal-random",
        "--design",
        "lhs",
        "--samples",
        "60",
        "--param",
        "threshold_mean=150:350",
        "--out",
        str(tmp_path / "e"),
        "--serial",
    ]
    r = runner.invoke(app, args + ["--max-runs", "10"])
    assert any(x.startswith("plan: 60 points") for x in _lines(r.output))
    assert r.exit_code == 2 and not (tmp_path / "e").exists()
    r = runner.invoke(app, args + ["--quiet"])
    assert r.exit_code == 0, r.output
    est = [x for x in _lines(r.output) if x.startswith("estimated run time")]
    assert len(est) == 1 and "on 1 worker(s)" in est[0] and "pilot run" in est[0]
