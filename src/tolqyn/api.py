"""Running scenarios from Python: the functions a script or notebook calls."""

from __future__ import annotations

from tolqyn.core.sim import RunResult, Sim


def run_one(
    scenario,
    seed: int | None = None,
    *,
    steps: int | None = None,
    overrides: dict | None = None,
    validate: bool = False,
) -> RunResult:
    """Run one scenario with one seed. Pure: the same arguments give the same result, in
    any process, on any number of threads. `scenario` may be a Scenario, a built-in name or
    a path to a TOML file."""
    from tolqyn.scenarios.loader import Scenario, load_scenario

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides=overrides)
    elif overrides:
        scenario = scenario.with_params(overrides)
    return Sim(scenario, seed=seed, steps=steps, validate=validate).run()
