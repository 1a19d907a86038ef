"""The `tolqyn` command line: a thin layer that builds Scenarios and calls the core.

Other outer layers (experiments, web) add their own sub-commands through a `register(app)`
function in their `commands` module."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="tolqyn — simulate how grievance becomes protest, flight or silence.",
)

EXTENSIONS = ("tolqyn.experiments.commands", "tolqyn.web.commands", "tolqyn.exit_decade.commands")


def _fail(err: Exception) -> None:
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _load(scenario: str, sets: list[str] | None = None, scale: float | None = None):
    from tolqyn.scenarios.loader import load_scenario, parse_set_options

    overrides = parse_set_options(sets)
    if scale is not None:
        overrides["scale"] = scale
    return load_scenario(scenario, overrides=overrides or None)


@app.command("list")
def list_cmd():
    """List the built-in scenarios."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.scenarios.loader import builtin_names, load_scenario

    for name in builtin_names():
        try:
            sc = load_scenario(name)
            desc = " ".join(sc.description.split())
            first = desc.split(". ")[0]
            desc = first if len(first) <= 90 else first[:87] + "..."
            typer.echo(f"{name:<36} {sc.model:<12} {desc}")
        except TolqynError as e:  # a broken built-in is a bug; show it rather than hide it
            typer.echo(f"{name:<40} ERROR {e}")


@app.command()
def describe(
    scenario: str = typer.Argument(..., help="built-in name or path to a .toml file"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
):
    """Every parameter of a scenario with its value, doc, unit, bounds and citation."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.models import all_param_specs, get_model

    try:
        sc = _load(scenario)
    except TolqynError as e:
        _fail(e)
    specs = all_param_specs(get_model(sc.model))
    rows = []
    for name, p in specs.items():
        d = p.describe()
        d["value"] = sc.resolved_params[name]
        rows.append(d)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "scenario": sc.name,
                    "model": sc.model,
                    "hash": sc.hash,
                    "steps": sc.steps,
                    "dt": sc.dt,
                    "start_date": sc.start_date,
                    "description": sc.description,
                    "events": list(sc.events),
                    "parameters": rows,
                },
                indent=2,
                default=str,
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(
        f"[bold]{sc.name}[/bold]  model={sc.model}  steps={sc.steps}  dt={sc.dt} d"
        f"{'  start=' + sc.start_date if sc.start_date else ''}  hash={sc.hash}"
    )
    if sc.description:
        con.print(sc.description.strip())
    t = Table(show_lines=False)
    for col in ("parameter", "value", "default", "allowed", "unit", "doc", "citation"):
        t.add_column(col, overflow="fold")
    for r, (name, p) in zip(rows, specs.items()):
        t.add_row(name, str(r["value"]), str(p.default), p.bounds_text, p.unit, p.doc, p.citation)
    con.print(t)
    if sc.events:
        con.print("[bold]events[/bold]")
        for e in sc.events:
            con.print(
                f"  {e.get('at')}: {e.get('action', 'set')} {e.get('params', {})} {e.get('label', '')}"
            )


@app.command()
def validate(file: str = typer.Argument(..., help="scenario file (.toml) or built-in name")):
    """Check a scenario file without running it."""
    from tolqyn.core.errors import TolqynError

    try:
        sc = _load(file)
    except TolqynError as e:
        _fail(e)
    typer.echo(
        f"ok: {sc.name} (model {sc.model}, {len(sc.resolved_params)} parameters, "
        f"{len(sc.events)} events, hash {sc.hash})"
    )


@app.command()
def run(
    scenario: str = typer.Argument(..., help="built-in name or path to a .toml file"),
    seed: Optional[int] = typer.Option(None, help="random seed (default: the scenario's)"),
    steps: Optional[int] = typer.Option(None, help="number of steps (default: the scenario's)"),
    until: Optional[str] = typer.Option(
        None, "--until", help="run until this date (YYYY-MM-DD; calendar scenarios)"
    ),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="override a parameter: key=value"),
    scale: Optional[float] = typer.Option(None, help="citizens per agent (country models)"),
    out: Optional[Path] = typer.Option(None, help="output directory (default runs/<scenario>)"),
    report: bool = typer.Option(False, "--report", help="also write report.html"),
    validating: bool = typer.Option(False, "--validate", help="check invariants every step"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
):
    """Run a scenario; write results.parquet and manifest.json to the output directory."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.core.sim import Sim

    try:
        sc = _load(scenario, set_, scale)
        if steps is not None and steps < 0:
            raise TolqynError("--steps must be >= 0")
        if until is not None:
            from tolqyn.scenarios.horizon import steps_until

            steps = steps_until(sc, until)
        sim = Sim(sc, seed=seed, steps=steps, validate=validating)
    except TolqynError as e:
        _fail(e)
    out = out or Path("runs") / sc.name.replace("/", "__")
    if quiet:
        result = sim.run()
    else:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as prog:
            task = prog.add_task(f"{sc.name} (setting up)", total=sim.n_steps)
            sim.init()
            prog.update(task, description=sc.name)
            result = sim.run(progress=lambda t, n: prog.update(task, completed=t))
    result.write(out)
    tm = result.manifest["timings"]
    typer.echo(
        f"{sc.name}: {result.manifest['steps']} steps, {result.manifest['n_agents']:,} agents, "
        f"set-up {tm['init_s']:.2f}s, loop {tm['loop_s']:.2f}s -> {out}"
    )
    if report:
        from tolqyn.report import write_report

        path = write_report(out)
        typer.echo(f"report: {path}")


@app.command()
def plan(scenario: str = typer.Argument(...)):
    """Print the step plan: phases and the modules that run in each."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.core.sim import Sim

    try:
        sim = Sim(_load(scenario))
    except TolqynError as e:
        _fail(e)
    typer.echo(sim.plan_text())


@app.command("report")
def report_cmd(
    run_dir: Path = typer.Argument(..., help="a directory written by `tolqyn run`"),
    out: Optional[Path] = typer.Option(None, help="HTML file (default RUN_DIR/report.html)"),
):
    """Write an HTML report with plots for a run directory."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.report import write_report

    try:
        path = write_report(run_dir, out)
    except TolqynError as e:
        _fail(e)
    typer.echo(f"report: {path}")


@app.command()
def compare(
    run_a: Path = typer.Argument(..., help="baseline run directory"),
    run_b: Path = typer.Argument(..., help="counterfactual run directory"),
    out: Optional[Path] = typer.Option(None, help="HTML file (default beside RUN_A)"),
):
    """Compare two runs (e.g. a counterfactual against the baseline) in one HTML report."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.report import write_compare

    try:
        path = write_compare(run_a, run_b, out)
    except TolqynError as e:
        _fail(e)
    typer.echo(f"comparison: {path}")


def _register_extensions() -> None:
    for name in EXTENSIONS:
        if importlib.util.find_spec(name.rpartition(".")[0]) is None:
            continue
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(app)


_register_extensions()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
