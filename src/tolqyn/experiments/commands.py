"""CLI sub-commands of the experiments layer: sweep, query, sensitivity, calibrate, discover.
Heavy libraries (Dask, SALib, pyABC, scikit-learn, DuckDB) are imported inside the commands."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer

PILOT_FROM = 50  # designs with this many runs or more get a timed pilot run and an estimate


def _estimate(scenario, sets, runs: int, workers, steps=None) -> str:
    """One pilot run of the base scenario, timed, scaled to the design: a rough estimate (design
    points may be slower or faster than the base) printed before anything is stored."""
    import os
    import time

    from tolqyn.api import run_one
    from tolqyn.experiments.sweep import load_for_sweep

    sc = load_for_sweep(scenario, sets)
    t0 = time.perf_counter()
    run_one(sc, steps=steps)
    each = time.perf_counter() - t0
    n = max(1, int(workers or os.cpu_count() or 1))
    total = each * runs / n
    return (
        f"estimated run time: about {total / 60:,.1f} min on {n} worker(s) "
        f"(one pilot run of the base scenario took {each:.1f} s)"
    )


def _check_plan(
    scenario, sets, design, samples, replicates, params, max_runs, yes, workers=None, steps=None
) -> None:
    """Before anything runs: what is varied must be named (lattice sizes and population
    scales are never swept by default), and the size of the design is printed; above
    --max-runs it needs --yes."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.experiments.designs import design_size

    try:
        if design != "ensemble" and not params:
            from tolqyn.experiments.sweep import load_for_sweep
            from tolqyn.models import all_param_specs, get_model

            sc = load_for_sweep(scenario, sets)
            specs = all_param_specs(get_model(sc.model))
            some = [n for n, p in specs.items() if p.sweepable and p.kind in ("float", "int")]
            raise TolqynError(
                "name what the design varies: --param NAME=LOW:HIGH (or NAME for its full "
                f"declared range), e.g. --param {some[0] if some else 'NAME'}=...; "
                "nothing structural is swept unless named"
            )
        n_axes = len(params or []) if design != "ensemble" else 0
        points = design_size(design, n_axes, samples) if samples >= 1 else 0
        runs = points * max(replicates, 1)
        typer.echo(f"plan: {points:,} points × {replicates} replicates = {runs:,} runs")
        if runs > max_runs and not yes:
            raise TolqynError(
                f"{runs:,} runs is more than --max-runs {max_runs:,}; pass --yes to run it, "
                "or fewer samples, parameters or replicates"
            )
        if runs >= PILOT_FROM:
            typer.echo(_estimate(scenario, sets, runs, workers, steps))
    except TolqynError as e:
        _fail(e)


def _fail(err: Exception) -> None:
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _executor_opts(workers, dask, dask_local, serial):
    if sum(bool(x) for x in (dask, dask_local, serial)) > 1:
        raise typer.BadParameter("choose one of --dask, --dask-local, --serial")
    if dask:
        return {"dask_address": dask, "executor_kind": "dask", "workers": None}
    if dask_local:
        return {"executor_kind": "dask", "workers": dask_local}
    if serial:
        return {"executor_kind": "serial", "workers": 1}
    return {"executor_kind": "process", "workers": workers}


def _run_sweep(scenario, out, sets, steps, seed, quiet, ex, **kw):
    from tolqyn.core.errors import TolqynError
    from tolqyn.experiments.sweep import load_for_sweep, sweep

    try:
        sc = load_for_sweep(scenario, sets)
    except TolqynError as e:
        _fail(e)
    try:
        rep = sweep(sc, out, steps=steps, seed=seed, progress=not quiet, **ex, **kw)
    except KeyboardInterrupt:
        from tolqyn.experiments.store import ExperimentStore

        st = ExperimentStore(out)
        n = len(st.finished()) if st.exists() else 0
        typer.secho(
            f"\ninterrupted: {n} runs are stored in {out}; run the same command again "
            "to finish the rest",
            fg=typer.colors.YELLOW,
            err=True,
        )
        raise typer.Exit(130)
    except TolqynError as e:
        _fail(e)
    msg = (
        f"{rep.total} runs in {out}: {rep.done_before} already done, {rep.ran} run now "
        f"({rep.failed} failed)"
    )
    if rep.ran:
        msg += f", {rep.runs_per_minute:.1f} runs/min on {rep.executor}"
    typer.echo(msg)
    for key, err in rep.errors[:5]:
        typer.secho(f"  failed {key}: {err}", fg=typer.colors.RED, err=True)
    if len(rep.errors) > 5:
        typer.secho(
            f"  ... and {len(rep.errors) - 5} more (see the runs view)",
            fg=typer.colors.RED,
            err=True,
        )
    return rep


def register(app: typer.Typer) -> None:

    @app.command()
    def sweep(
        scenario: str = typer.Argument(..., help="built-in name or .toml file"),
        out: Path = typer.Option(..., "--out", help="experiment directory (created, or resumed)"),
        design: str = typer.Option(
            "grid", help="ensemble (replicates only) | grid | lhs | sobol | morris"
        ),
        samples: int = typer.Option(
            3, help="grid: levels per parameter; lhs: points; sobol/morris: base sample N"
        ),
        replicates: int = typer.Option(1, help="seeds per design point (SeedSequence.spawn)"),
        param: Optional[List[str]] = typer.Option(
            None,
            "--param",
            help="parameter to vary: name or name=low:high (default: all with bounds)",
        ),
        set_: Optional[List[str]] = typer.Option(None, "--set", help="fixed override key=value"),
        steps: Optional[int] = typer.Option(None, help="steps per run (default: the scenario's)"),
        seed: Optional[int] = typer.Option(None, help="base seed (default: the scenario's)"),
        workers: Optional[int] = typer.Option(None, help="local worker processes (default: cores)"),
        dask: Optional[str] = typer.Option(
            None, "--dask", help="address of a Dask scheduler, e.g. tcp://host:8786"
        ),
        dask_local: Optional[int] = typer.Option(
            None, "--dask-local", help="start a Dask LocalCluster with N workers"
        ),
        serial: bool = typer.Option(False, "--serial", help="run in this process"),
        quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
        max_runs: int = typer.Option(
            1000, "--max-runs", help="designs with more runs than this need --yes"
        ),
        yes: bool = typer.Option(False, "--yes", help="run a design above --max-runs"),
    ):
        """Run a design × replicates of a scenario into a resumable experiment directory."""
        ex = _executor_opts(workers, dask, dask_local, serial)
        _check_plan(
            scenario, set_, design, samples, replicates, param, max_runs, yes, ex["workers"], steps
        )
        _run_sweep(
            scenario,
            out,
            set_,
            steps,
            seed,
            quiet,
            ex,
            design=design,
            samples=samples,
            replicates=replicates,
            params=param,
        )

    @app.command()
    def query(
        directory: Path = typer.Argument(..., help="experiment directory, or a folder of them"),
        sql: str = typer.Argument(
            ..., help="SQL over the views results, runs, points, experiments"
        ),
        csv: bool = typer.Option(False, "--csv", help="print CSV instead of a table"),
        limit: int = typer.Option(200, help="rows to print in table mode"),
    ):
        """Query one or many experiments with DuckDB SQL."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.experiments.store import query as q

        try:
            df = q(directory, sql)
        except TolqynError as e:
            _fail(e)
        if csv:
            typer.echo(df.to_csv(index=False), nl=False)
            return
        from rich.console import Console
        from rich.table import Table

        t = Table()
        for c in df.columns:
            t.add_column(str(c))
        for row in df.head(limit).itertuples(index=False):
            t.add_row(*[_fmt(v) for v in row])
        Console().print(t)
        if len(df) > limit:
            typer.echo(f"({len(df)} rows, {limit} shown; use --csv for all)")

    @app.command()
    def sensitivity(
        scenario: str = typer.Argument(..., help="built-in name or .toml file"),
        out: Path = typer.Option(..., "--out", help="experiment directory"),
        method: str = typer.Option("sobol", help="sobol | morris"),
        samples: int = typer.Option(64, help="base sample N (sobol: power of 2)"),
        replicates: int = typer.Option(2, help="seeds per point"),
        output: List[str] = typer.Option(
            ..., "--output", help="metric[:stat][@region], stat in final,max,min,mean,sum,peak_step"
        ),
        param: Optional[List[str]] = typer.Option(None, "--param"),
        set_: Optional[List[str]] = typer.Option(None, "--set"),
        steps: Optional[int] = typer.Option(None),
        seed: Optional[int] = typer.Option(None),
        workers: Optional[int] = typer.Option(None),
        dask: Optional[str] = typer.Option(None, "--dask"),
        dask_local: Optional[int] = typer.Option(None, "--dask-local"),
        serial: bool = typer.Option(False, "--serial"),
        resamples: int = typer.Option(1000, help="bootstrap resamples for intervals"),
        quiet: bool = typer.Option(False, "--quiet"),
    ):
        """Morris screening or Sobol' indices with bootstrap intervals, and plots."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.experiments import sensitivity as sens

        if method not in ("sobol", "morris"):
            _fail(TolqynError(f"unknown method '{method}'; allowed: sobol, morris"))
        ex = _executor_opts(workers, dask, dask_local, serial)
        rep = _run_sweep(
            scenario,
            out,
            set_,
            steps,
            seed,
            quiet,
            ex,
            design=method,
            samples=samples,
            replicates=replicates,
            params=param,
        )
        try:
            res = sens.analyze(out, output, num_resamples=resamples)
        except TolqynError as e:
            _fail(e)
        typer.echo(sens.summary_text(res))
        typer.echo(
            f"written: {out}/sensitivity.csv, sensitivity.json, "
            + ", ".join(Path(p).name for p in res.get("plots", []))
        )
        if rep.failed:
            raise typer.Exit(1)

    @app.command()
    def discover(
        directory: Path = typer.Argument(..., help="experiment directory of a sweep"),
        output: List[str] = typer.Option(..., "--output", help="metric[:stat][@region]"),
        condition: str = typer.Option(..., help="outcome of interest, e.g. 'active_max > 500'"),
        method: str = typer.Option("both", help="cart | prim | both"),
        max_depth: int = typer.Option(3, help="CART depth"),
        min_mass: float = typer.Option(0.05, help="smallest box/leaf, as a share of runs"),
    ):
        """Scenario discovery: which parameter regions produce the outcome (CART and PRIM)."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.experiments import discovery as disc

        try:
            res = disc.discover(
                directory, output, condition, method=method, max_depth=max_depth, min_mass=min_mass
            )
        except TolqynError as e:
            _fail(e)
        typer.echo(disc.summary_text(res))

    @app.command()
    def calibrate(
        scenario: str = typer.Argument(..., help="scenario to calibrate, e.g. kazakhstan-2022"),
        out: Path = typer.Option(..., "--out", help="output directory"),
        targets: Optional[Path] = typer.Option(
            None, help="targets TOML (default: the scenario's own targets, where it has them)"
        ),
        param: Optional[List[str]] = typer.Option(
            None, "--param", help="parameter to calibrate: name or name=low:high (prior bounds)"
        ),
        set_: Optional[List[str]] = typer.Option(None, "--set"),
        population: int = typer.Option(100, help="ABC-SMC particles per generation"),
        generations: int = typer.Option(5, help="maximum ABC-SMC generations"),
        min_eps: float = typer.Option(0.0, help="stop when the distance threshold falls below"),
        predictive: int = typer.Option(
            50, help="posterior draws for predictive bands and counterfactuals"
        ),
        counterfactual: Optional[List[str]] = typer.Option(
            None,
            "--counterfactual",
            help="scenario to run over the posterior (default: the scenario's family)",
        ),
        steps: Optional[int] = typer.Option(None),
        seed: int = typer.Option(0, help="seed of the calibration"),
        workers: Optional[int] = typer.Option(None),
        dask: Optional[str] = typer.Option(None, "--dask"),
        dask_local: Optional[int] = typer.Option(None, "--dask-local"),
        serial: bool = typer.Option(False, "--serial"),
    ):
        """ABC-SMC calibration (pyABC) against observed targets; posterior, predictive bands
        and counterfactuals with intervals."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.experiments import calibration as cal

        ex = _executor_opts(workers, dask, dask_local, serial)
        try:
            res = cal.calibrate(
                scenario,
                out,
                targets_path=targets,
                params=param,
                sets=set_,
                population=population,
                generations=generations,
                min_eps=min_eps,
                n_predictive=predictive,
                counterfactuals=counterfactual,
                steps=steps,
                seed=seed,
                **ex,
            )
        except TolqynError as e:
            _fail(e)
        typer.echo(cal.summary_text(res))

    @app.command("counterfactuals")
    def counterfactuals_cmd(
        scenario: str = typer.Argument(..., help="the replay, e.g. kazakhstan-2022"),
        posterior: Path = typer.Option(
            ...,
            "--posterior",
            help="calibration output directory (posterior.csv[, structures.csv])",
        ),
        out: Path = typer.Option(..., "--out", help="output directory (created, or resumed)"),
        draws: int = typer.Option(40, help="posterior draws per structure (weighted resampling)"),
        scale: Optional[float] = typer.Option(
            None, help="citizens per agent (default: the scenario's)"
        ),
        scenario_opt: Optional[List[str]] = typer.Option(
            None, "--scenario", help="counterfactual to run (default: every SCENARIO/... built-in)"
        ),
        set_: Optional[List[str]] = typer.Option(None, "--set", help="fixed override key=value"),
        seed: int = typer.Option(0, help="seed of the draws and of the runs"),
        min_probability: float = typer.Option(
            0.0, help="structures at or below this posterior probability are not run"
        ),
        ignore: Optional[List[str]] = typer.Option(
            None, "--ignore", help="posterior column to leave out (a parameter the model lost)"
        ),
        allocate: str = typer.Option(
            "equal",
            help="equal: --draws per structure; proportional: --draws in all, split by probability",
        ),
        drivers: bool = typer.Option(
            True, "--drivers/--no-drivers", help="Morris + Sobol' drivers"
        ),
        driver_scale: Optional[float] = typer.Option(
            None, help="citizens per agent for the driver runs (default: --scale)"
        ),
        morris_trajectories: int = typer.Option(6, help="Morris trajectories"),
        sobol_samples: int = typer.Option(32, help="Sobol' base sample N (a power of 2)"),
        sobol_params: int = typer.Option(5, help="factors kept for Sobol' after screening"),
        driver_replicates: int = typer.Option(1, help="seeds per driver design point"),
        noise_seeds: int = typer.Option(
            8, help="seeds at the centre of the box for the noise share"
        ),
        workers: Optional[int] = typer.Option(None, help="local worker processes (default: cores)"),
        dask: Optional[str] = typer.Option(None, "--dask"),
        dask_local: Optional[int] = typer.Option(None, "--dask-local"),
        serial: bool = typer.Option(False, "--serial"),
        quiet: bool = typer.Option(False, "--quiet", help="no progress bars"),
    ):
        """Every counterfactual over a posterior and its structures: paired differences
        against the replay, what drives each (Morris, Sobol'), and a report."""
        import shlex
        import sys

        from tolqyn.core.errors import TolqynError
        from tolqyn.experiments.drivers import DriverBudget
        from tolqyn.report_counterfactuals import study

        ex = _executor_opts(workers, dask, dask_local, serial)
        budget = DriverBudget(
            morris_trajectories=morris_trajectories,
            sobol_samples=sobol_samples,
            max_params=sobol_params,
            replicates=driver_replicates,
            noise_seeds=noise_seeds,
        )
        try:
            study(
                scenario,
                posterior,
                out,
                counterfactuals=scenario_opt,
                draws=draws,
                scale=scale,
                sets=set_,
                seed=seed,
                min_probability=min_probability,
                ignore=ignore,
                allocate=allocate,
                drivers=drivers,
                budget=budget,
                driver_scale=driver_scale,
                command="tolqyn " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
                progress=not quiet,
                log=typer.echo,
                **ex,
            )
        except KeyboardInterrupt:
            typer.secho(
                f"\ninterrupted: finished runs are stored under {out}/runs; run the same "
                "command again to finish the rest",
                fg=typer.colors.YELLOW,
                err=True,
            )
            raise typer.Exit(130)
        except TolqynError as e:
            _fail(e)

    @app.command("calibrate-structures")
    def calibrate_structures(
        scenario: str = typer.Argument(..., help="scenario, e.g. kazakhstan-2022"),
        out: Path = typer.Option(..., "--out", help="output directory"),
        set_: Optional[List[str]] = typer.Option(None, "--set"),
        structure: Optional[List[str]] = typer.Option(
            None,
            "--structure",
            help="switch=value1,value2 to compare (default: the scenario's [meta.structures])",
        ),
        population: int = typer.Option(200, help="ABC-SMC particles per generation"),
        generations: int = typer.Option(8, help="maximum ABC-SMC generations"),
        max_simulations: int = typer.Option(10000, help="stop after this many simulations"),
        max_minutes: Optional[float] = typer.Option(None, help="stop after this wall time"),
        initial_temperature: Optional[float] = typer.Option(
            None, help="first temperature (default: calibrated on a prior sample)"
        ),
        predictive: int = typer.Option(
            40, help="posterior predictive runs scoring the fitted and the checked records"
        ),
        seed: int = typer.Option(0, help="seed of the calibration"),
        population_seed: Optional[int] = typer.Option(
            None, help="seed of the one synthesised population (default: the scenario's seed)"
        ),
        workers: Optional[int] = typer.Option(None),
        dask: Optional[str] = typer.Option(None, "--dask"),
        dask_local: Optional[int] = typer.Option(None, "--dask-local"),
        serial: bool = typer.Option(False, "--serial"),
    ):
        """Multi-model ABC-SMC over named alternative structures (pyABC, stochastic acceptor
        with the records' measurement-error model): posterior probabilities of the
        structures and posteriors of their parameters (posterior.csv, structures.csv,
        calibration.json)."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.experiments import structures as st
        from tolqyn.experiments.sweep import load_for_sweep

        ex = _executor_opts(workers, dask, dask_local, serial)
        try:
            sc = load_for_sweep(scenario, set_)
            axes = None
            if structure:
                axes = {}
                for item in structure:
                    if "=" not in item:
                        raise TolqynError(f"--structure {item!r}: expected switch=value1,value2")
                    k, v = item.split("=", 1)
                    axes[k.strip()] = [x.strip() for x in v.split(",") if x.strip()]
            res = st.calibrate_structures(
                sc,
                out,
                structures=st.read_structures(sc, axes=axes),
                population=population,
                generations=generations,
                max_simulations=max_simulations,
                max_walltime_s=max_minutes * 60 if max_minutes else None,
                initial_temperature=initial_temperature,
                n_predictive=predictive,
                seed=seed,
                population_seed=population_seed,
                command=shlex.join(["tolqyn", *sys.argv[1:]]),
                log=typer.echo,
                **ex,
            )
        except TolqynError as e:
            _fail(e)
        typer.echo(st.summary_text(res))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
