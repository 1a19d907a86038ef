"""`tolqyn run kazakhstan-exit --until DATE`: exact step counts, clear errors outside the
allowed range, and the output contract (emigrants by region and date, by group and destination)."""

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tolqyn.cli import app
from tolqyn.core.errors import ScenarioError
from tolqyn.scenarios.horizon import steps_until
from tolqyn.scenarios.loader import load_scenario


def test_steps_until_exact():
    sc = load_scenario("kazakhstan-exit")
    assert steps_until(sc, "2019-12-31") == sc.steps == 192
    assert steps_until(sc, "2024-12-31") == 252
    assert steps_until(sc, "2004-01-15") == 1
    assert load_scenario("kazakhstan-exit/projection").steps == 252


def test_until_errors():
    sc = load_scenario("kazakhstan-exit")
    with pytest.raises(ScenarioError, match="before the scenario's start"):
        steps_until(sc, "2003-12-31")
    with pytest.raises(ScenarioError, match="beyond the latest date.*2024-12-31"):
        steps_until(sc, "2025-01-01")
    with pytest.raises(ScenarioError, match="ISO date"):
        steps_until(sc, "next year")
    with pytest.raises(ScenarioError, match="start_date"):
        steps_until(load_scenario("epstein-2002/run-1"), "2020-01-01")


def test_cli_until_output_contract(tmp_path):
    out = tmp_path / "run"
    r = CliRunner().invoke(
        app,
        [
            "run",
            "kazakhstan-exit",
            "--until",
            "2004-03-31",
            "--scale",
            "20000",
            "--quiet",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    t = pq.read_table(out / "results.parquet").to_pandas()
    assert t["step"].max() == 3
    em = t[t.metric == "emigrants"]
    assert set(em.region) >= {"ALL", "KZ-75", "KZ-59"}
    assert em.date.notna().all()
    for m in (
        "emigrants_russian",
        "emigrants_kazakh",
        "emigrants_german",
        "emigrants_to_russia",
        "emigrants_to_germany",
        "emigrants_to_other",
    ):
        assert m in set(t.metric)
    bad = CliRunner().invoke(
        app,
        [
            "run",
            "kazakhstan-exit",
            "--until",
            "2030-01-01",
            "--quiet",
            "--out",
            str(tmp_path / "bad"),
        ],
    )
    assert bad.exit_code == 2 and "2024-12-31" in bad.output
