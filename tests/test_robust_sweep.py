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
    """The default grid over every declared parameter of kazakhstan-2022 has 3^100+ points:
    planning it ran out of memory; now it is refused at once."""
    from tolqyn.experiments.sweep import plan_experiment

    sc = load_scenario("kazakhstan-2022")
    t0 = time.perf_counter()
    with pytest.raises(TolqynError, match="points, more than"):
        plan_experiment(sc, design="grid", samples=3)
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
