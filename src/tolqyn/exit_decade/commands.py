"""CLI sub-commands of the decade exit scenario: exit-calibrate, exit-report, exit-whatif."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _fail(err: Exception) -> None:
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


EXPLAIN = {
    "fx": (
        "A fall of the tenge raises the KZT/USD rate above the level people are used to; the economy module "
        "turns the log-rise into hardship (w_fx · ln(fx/fx*)), which fades as people adapt (the calibrated "
        "half-life). Hardship raises grievance G = H(1 − L), and grievance raises the emigration hazard "
        "(b_G per unit). Those with ties abroad and a pull towards a kin state (ethnic Russians, Germans) "
        "have the highest hazard to begin with, so most of the extra emigrants come from them."
    ),
    "tv": (
        "Keeping foreign (Russian) TV as popular as it was means fewer people moving to online news. Foreign-TV "
        "viewers among the Russian-speaking minorities are pulled towards the channel's identity slant "
        "(bounded confidence), and identity raises the emigration hazard (b_I per unit); online news, "
        "on the other hand, lowers perceived legitimacy more than television does, which raises grievance. "
        "The net effect is the balance of the two channels."
    ),
}


def register(app: typer.Typer) -> None:

    @app.command("exit-calibrate")
    def exit_calibrate(
        out: Path = typer.Option(
            Path("runs/kazakhstan-exit-calibration"), help="working directory"
        ),
        population: int = typer.Option(48, help="ABC-SMC particles per generation"),
        generations: int = typer.Option(6, help="ABC-SMC generations"),
        scale: float = typer.Option(500.0, help="citizens per agent in the calibration runs"),
        workers: int = typer.Option(2, help="worker processes"),
    ):
        """Calibrate kazakhstan-exit to the 2004-2019 emigration figures (minutes); writes the posterior
        that the projection uses to tolqyn/exit_decade/calibrated/."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.exit_decade import calibration

        try:
            res = calibration.run(
                out, population=population, generations=generations, scale=scale, workers=workers
            )
        except TolqynError as e:
            _fail(e)
        typer.echo(
            f"{res['simulations']} simulations, {res['generations']} generations; posterior in "
            f"{calibration.CALIBRATED_DIR}"
        )

    @app.command("exit-report")
    def exit_report(
        out: Path = typer.Option(Path("runs/kazakhstan-exit-report"), help="output directory"),
        draws: int = typer.Option(24, help="posterior draws (one run each)"),
        scale: float = typer.Option(500.0, help="citizens per agent"),
        replicates: int = typer.Option(3, help="replicates per level in the exit-voice experiment"),
        no_exit_voice: bool = typer.Option(
            False, "--no-exit-voice", help="skip the exit-voice experiment"
        ),
        workers: int = typer.Option(2, help="worker processes"),
    ):
        """Fit vs observed 2004-2019, projection to 2024 with intervals, identity by media diet,
        counterfactuals (tenge -1/3 in 2020; foreign TV as in 2014) and the exit-voice experiment."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.exit_decade import calibration, ensemble, exit_voice, report

        try:
            d = calibration.posterior_draws(draws)
            variants = {"baseline": ({}, [])}
            variants.update(
                {
                    k: v
                    for k, v in ensemble.whatif_variants(tenge_fall=1 / 3).items()
                    if k != "baseline"
                }
            )
            variants.update(
                {
                    k: v
                    for k, v in ensemble.whatif_variants(foreign_tv_year=2014).items()
                    if k != "baseline"
                }
            )
            ens = ensemble.run_variants(variants, d, scale=scale, workers=workers)
            ev_rows = ev = None
            if not no_exit_voice:
                ev_rows = exit_voice.run(
                    calibration.posterior_draws(1, seed=5)[0],
                    replicates=replicates,
                    scale=scale,
                    workers=workers,
                )
                ev = exit_voice.analyse(ev_rows)
            path = report.write(
                out, ens, ev_rows, ev, {"draws": draws, "scale": scale, "ev_replicates": replicates}
            )
        except TolqynError as e:
            _fail(e)
        typer.echo(f"report: {path}")

    @app.command("exit-whatif")
    def exit_whatif(
        tenge_fall: Optional[float] = typer.Option(
            None, "--tenge-fall", help="share of its value the tenge loses, e.g. 0.333"
        ),
        at: str = typer.Option("2020-01-01", help="date of the fall"),
        foreign_tv_year: Optional[int] = typer.Option(
            None, "--foreign-tv-year", help="keep foreign TV as popular as at the end of this year"
        ),
        draws: int = typer.Option(16, help="posterior draws"),
        scale: float = typer.Option(500.0, help="citizens per agent"),
        workers: int = typer.Option(2, help="worker processes"),
    ):
        """How many would leave if ...? Runs the calibrated model with and without the change (same
        posterior draws and seeds) to 2024 and prints yearly emigrants with 90 % intervals."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.exit_decade import calibration, ensemble

        if tenge_fall is None and foreign_tv_year is None:
            _fail(TolqynError("give --tenge-fall and/or --foreign-tv-year"))
        try:
            variants = ensemble.whatif_variants(tenge_fall, at, foreign_tv_year)
            ens = ensemble.run_variants(
                variants, calibration.posterior_draws(draws), scale=scale, workers=workers
            )
        except TolqynError as e:
            _fail(e)
        label = [k for k in ens if k != "baseline"][0]
        base, cf = ens["baseline"], ens[label]
        first = int(at[:4]) if tenge_fall is not None else foreign_tv_year + 1
        years = [y for y in base.years() if y >= min(first, 2020)]
        typer.echo(
            f"{label}: emigrants per year, median [90 % interval] over {draws} posterior draws"
        )
        typer.echo(f"{'year':<6}{'baseline':<28}{'with the change':<28}difference")
        for y in years:
            b, c = base.band("emigrants", y), cf.band("emigrants", y)
            dl, dm, dh = ensemble.diff_band(base, cf, "emigrants", [y])
            cell_b = f"{b[1]:,.0f} [{b[0]:,.0f}–{b[2]:,.0f}]"
            cell_c = f"{c[1]:,.0f} [{c[0]:,.0f}–{c[2]:,.0f}]"
            typer.echo(f"{y:<6}{cell_b:<28}{cell_c:<28}{dm:+,.0f} [{dl:+,.0f} to {dh:+,.0f}]")
        dl, dm, dh = ensemble.diff_band(base, cf, "emigrants", years)
        typer.echo(
            f"total {years[0]}-{years[-1]}: {dm:+,.0f} emigrants [{dl:+,.0f} to {dh:+,.0f}] (90 %)"
        )
        for g in ("russian", "kazakh", "german"):
            gl, gm, gh = ensemble.diff_band(base, cf, f"emigrants_{g}", years)
            typer.echo(f"  of whom {g}: {gm:+,.0f} [{gl:+,.0f} to {gh:+,.0f}]")
        typer.echo("")
        if tenge_fall is not None:
            typer.echo("Why: " + EXPLAIN["fx"])
        if foreign_tv_year is not None:
            typer.echo("Why: " + EXPLAIN["tv"])
        typer.echo(
            "The interval combines parameter uncertainty (the ABC-SMC posterior fitted to 2004-2019) and "
            "simulation noise; after 2019 the model runs on events only (a projection, not a fit)."
        )
