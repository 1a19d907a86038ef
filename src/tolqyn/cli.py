"""The `tolqyn` command line: a thin layer that builds Scenarios and calls the core.

Other outer layers (experiments, web) add their own sub-commands through a `register(app)`
function in their `commands` module."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

try:  # recent typer vendors its own click
    from typer._click.exceptions import ClickException as _ClickException
except ImportError:  # pragma: no cover
    from click import ClickException as _ClickException


def _one_line(text) -> str:
    return " ".join(str(text).split())


class _OneLineErrors(TyperGroup):
    """Every error is one line on stderr with a non-zero exit code: usage errors (a bad
    option value), project errors, and — with the exception type named — anything else
    (TOLQYN_DEBUG=1 shows the traceback of the latter)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from tolqyn.core.errors import TolqynError

        code = 0
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except typer.Exit as e:
            code = e.exit_code
        except _ClickException as e:
            if e.format_message().strip():  # (empty after the help for a bare `tolqyn`)
                _echo_error(e.format_message())
            code = e.exit_code
        except (typer.Abort, KeyboardInterrupt):
            _echo_error("interrupted")
            code = 130
        except TolqynError as e:
            _echo_error(e)
            code = 2
        except SystemExit as e:  # e.g. a closed pipe while printing help
            code = e.code if isinstance(e.code, int) else 1
        except MemoryError:
            _echo_error("not enough memory for this run; try fewer steps or a larger --scale")
            code = 2
        except Exception as e:
            if os.environ.get("TOLQYN_DEBUG"):
                raise
            _echo_error(f"internal error ({type(e).__name__}: {e}); TOLQYN_DEBUG=1 shows where")
            code = 70
        sys.exit(code)


def _echo_error(msg) -> None:
    typer.secho(f"error: {_one_line(msg)}", fg=typer.colors.RED, err=True)


app = typer.Typer(
    cls=_OneLineErrors,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="tolqyn — simulate how grievance becomes protest, flight or silence.",
)

EXTENSIONS = (
    "tolqyn.experiments.commands",
    "tolqyn.web.commands",
    "tolqyn.exit_decade.commands",
    "tolqyn.packs.commands",
)


def _fail(err: Exception) -> None:
    _echo_error(err)
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
    full: bool = typer.Option(False, "--full", help="every doc and citation in full"),
):
    """A scenario's parameters (value, bounds, unit, doc, source), the event actions its model
    handles with their parameters, and its timeline."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.describe import describe_data, format_text

    try:
        data = describe_data(_load(scenario))
    except TolqynError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        typer.echo(format_text(data, full=full), nl=False)


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
    out: Optional[str] = typer.Option(None, help="output directory (default runs/<scenario>)"),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="replace a previous run in --out (and its report)"
    ),
    report: bool = typer.Option(False, "--report", help="also write report.html"),
    validating: bool = typer.Option(False, "--validate", help="check invariants every step"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
):
    """Run a scenario; write results.parquet and manifest.json to the output directory."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.core.outdir import prepare_out_dir
    from tolqyn.core.sim import Sim
    from tolqyn.scenarios.loader import check_run_options

    try:
        check_run_options(seed=seed, steps=steps)
        sc = _load(scenario, set_, scale)
        if until is not None:
            from tolqyn.scenarios.horizon import steps_until

            steps = steps_until(sc, until)
        sim = Sim(sc, seed=seed, steps=steps, validate=validating)
        out_dir = prepare_out_dir(
            out if out is not None else Path("runs") / sc.name.replace("/", "__"),
            overwrite=overwrite,
        )
        if quiet:
            result = sim.run()
        else:
            result = _run_with_progress(sim, sc.name)
        result.write(out_dir)
    except TolqynError as e:
        _fail(e)
    tm = result.manifest["timings"]
    typer.echo(
        f"{sc.name}: {result.manifest['steps']} steps, {result.manifest['n_agents']:,} agents, "
        f"set-up {tm['init_s']:.2f}s, loop {tm['loop_s']:.2f}s -> {out_dir}"
    )
    if report:
        from tolqyn.report import write_report

        try:
            path = write_report(out_dir)
        except TolqynError as e:
            _fail(e)
        typer.echo(f"report: {path}")


def _run_with_progress(sim, name: str):
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
        from tolqyn.warmup import NOTICE, cache_is_cold

        if cache_is_cold():
            prog.console.print(f"[yellow]{NOTICE}[/yellow]")
        task = prog.add_task(f"{name} (setting up)", total=sim.n_steps)
        sim.init()
        prog.update(task, description=name)
        return sim.run(progress=lambda t, n: prog.update(task, completed=t))


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
    run_dir: Path = typer.Argument(
        ..., help="a directory written by `tolqyn run`, `sweep`, `sensitivity` or `calibrate`"
    ),
    out: Optional[Path] = typer.Option(None, help="HTML file (default RUN_DIR/report.html)"),
):
    """Write an HTML report with plots for a run, experiment or calibration directory."""
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
