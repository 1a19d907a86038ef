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
    "elections": (
        "Elections that can replace a government act through the corruption index: a new government "
        "raises the CPI score and the threat of losing disciplines incumbents between elections "
        "(mechanism 12). A cleaner CPI shifts every channel's legitimacy slant up, higher legitimacy "
        "lowers grievance G = H(1 − L), and lower grievance lowers the emigration hazard; a change of "
        "government also credits voice with a concession, which lowers the hazard (b_V). How strong "
        "each effect is cannot be learnt from Kazakhstan's record, so the interval also spans the "
        "assumed ranges of the accountability parameters (docs/odd/exit.md §7.7)."
    ),
    "press": (
        "Under the press index as it was, critical journalists and bloggers are jailed and leave; "
        "the online channel carries less criticism (its legitimacy slant rises) and the jailing "
        "raises everyone's threshold for speaking out (the chilling effect). A free press keeps "
        "them at home: online news stays more critical, which lowers legitimacy and raises "
        "grievance — and with it emigration — while voice is less afraid. The net effect is the "
        "balance; its size rests on assumed rates (docs/odd/exit.md §7.8), drawn over their ranges."
    ),
    "courts": (
        "In the replay with the court cases, each case of impunity, unequal sentence or political "
        "trial lowers the legitimacy slant of every channel that carried it (state TV, which "
        "carries the official version, least) for as long as the public remembers it, and viewers "
        "are pulled towards that slant; the punishment of the powerful raises it. Fair courts keep "
        "only the latter, so legitimacy stays higher, grievance lower and fewer leave. The sizes "
        "and the memory are assumptions (docs/odd/exit.md §7.9), drawn over their ranges."
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
        install: bool = typer.Option(
            False,
            help="also replace the shipped defaults in tolqyn/exit_decade/calibrated/ "
            "(commit them deliberately, with the scenario's medians)",
        ),
    ):
        """Calibrate kazakhstan-exit to the 2004-2019 emigration figures (minutes); writes the posterior
        to the output directory (with --install also to the shipped defaults the projection uses)."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.exit_decade import calibration

        try:
            res = calibration.run(
                out, population=population, generations=generations, scale=scale, workers=workers
            )
        except TolqynError as e:
            _fail(e)
        typer.echo(
            f"{res['simulations']} simulations, {res['generations']} generations; posterior in {out}"
        )
        if install:
            moves = calibration.install_posterior(out)
            typer.echo(f"installed in {calibration.CALIBRATED_DIR}; posterior medians moved:")
            for line in moves or ["(none)"]:
                typer.echo(f"  {line}")

    @app.command("exit-report")
    def exit_report(
        out: Path = typer.Option(Path("runs/kazakhstan-exit-report"), help="output directory"),
        draws: int = typer.Option(24, help="posterior draws (one run each)"),
        scale: float = typer.Option(500.0, help="citizens per agent"),
        replicates: int = typer.Option(3, help="replicates per level in the exit-voice experiment"),
        no_exit_voice: bool = typer.Option(
            False, "--no-exit-voice", help="skip the exit-voice experiment"
        ),
        no_institutions: bool = typer.Option(
            False,
            "--no-institutions",
            help="skip the institutional questions (elections, a free press, fair courts, the voice of emigrants)",
        ),
        workers: int = typer.Option(2, help="worker processes"),
    ):
        """Fit vs observed 2004-2019, projection to 2024 with intervals, identity by media diet,
        counterfactuals (tenge -1/3 in 2020; foreign TV as in 2014), the institutional questions
        (elections every 5 years, a free press, fair courts, emigrants silent towards home) and the
        exit-voice experiment."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.exit_decade import calibration, ensemble, exit_voice, institutions, report

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
            # the runs go to resumable stores inside the report directory: an interrupted
            # report started again runs only what is missing
            runs = Path(out) / "runs"
            ens = ensemble.run_variants(
                variants, d, scale=scale, workers=workers, out=runs / "whatif"
            )
            levers = {}
            if not no_institutions:
                for lever in institutions.LEVERS:
                    v_l, d_l = institutions.lever_variants(lever, d)
                    levers[lever] = ensemble.run_variants(
                        v_l, d_l, scale=scale, workers=workers, out=runs / lever
                    )
            ev_rows = ev = None
            if not no_exit_voice:
                ev_rows = exit_voice.run(
                    calibration.posterior_draws(1, seed=5)[0],
                    replicates=replicates,
                    scale=scale,
                    workers=workers,
                    out=runs / "exit-voice",
                )
                ev = exit_voice.analyse(ev_rows)
            path = report.write(
                out,
                ens,
                ev_rows,
                ev,
                {"draws": draws, "scale": scale, "ev_replicates": replicates},
                levers,
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
        elections: Optional[float] = typer.Option(
            None,
            "--elections",
            help="governments could be voted out: national elections every this many years "
            "from December 2005 (mechanism 12)",
        ),
        competitiveness: float = typer.Option(
            0.8, "--competitiveness", help="with --elections: how competitive, in (0, 1]"
        ),
        free_press: bool = typer.Option(
            False,
            "--free-press",
            help="a free press since 2004: critical journalists and bloggers neither jailed nor "
            "driven abroad as Reporters Without Borders' index says they were",
        ),
        courts: bool = typer.Option(
            False,
            "--courts",
            help="courts that treat the powerful and the powerless alike: none of the packaged "
            "cases of impunity, unequal sentences or political trials",
        ),
        silent_diaspora: bool = typer.Option(
            False,
            "--silent-diaspora",
            help="emigrants silent towards home: against the replay with their online voice "
            "to the contacts they left (drawn over its assumed range)",
        ),
        draws: int = typer.Option(16, help="posterior draws"),
        scale: float = typer.Option(500.0, help="citizens per agent"),
        workers: int = typer.Option(2, help="worker processes"),
    ):
        """How many would leave if ...? Runs the calibrated model with and without the change (same
        posterior draws and seeds) to 2024 and prints yearly emigrants with 90 % intervals."""
        from tolqyn.core.errors import TolqynError
        from tolqyn.exit_decade import calibration, ensemble, institutions
        from tolqyn.models.exit.destinations import cell_metric

        institutional = elections is not None or free_press or courts or silent_diaspora
        if tenge_fall is None and foreign_tv_year is None and not institutional:
            _fail(
                TolqynError(
                    "give --tenge-fall, --foreign-tv-year, --elections, --free-press, --courts "
                    "and/or --silent-diaspora"
                )
            )
        try:
            variants = ensemble.whatif_variants(tenge_fall, at, foreign_tv_year)
            posterior = calibration.posterior_draws(draws)
            if institutional:
                variants, posterior = institutions.add_to_variants(
                    variants,
                    posterior,
                    elections,
                    competitiveness,
                    free_press,
                    courts,
                    silent_diaspora,
                )
            ens = ensemble.run_variants(variants, posterior, scale=scale, workers=workers)
        except TolqynError as e:
            _fail(e)
        label = [k for k in ens if k != "baseline"][0]
        base, cf = ens["baseline"], ens[label]
        firsts = []
        if tenge_fall is not None:
            firsts.append(int(at[:4]))
        if foreign_tv_year is not None:
            firsts.append(foreign_tv_year + 1)
        if elections is not None:
            firsts.append(2006)
        if free_press or courts or silent_diaspora:
            firsts.append(2004)
        first = min(firsts)
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
            cell = cell_metric("emigrants", group=g)
            gl, gm, gh = ensemble.diff_band(base, cf, cell, years)
            typer.echo(f"  of whom {g}: {gm:+,.0f} [{gl:+,.0f} to {gh:+,.0f}]")
        typer.echo("")
        if tenge_fall is not None:
            typer.echo("Why: " + EXPLAIN["fx"])
        if foreign_tv_year is not None:
            typer.echo("Why: " + EXPLAIN["tv"])
        if institutional:
            y_last = years[-1]
            for m, what in (("legitimacy_mean", "mean legitimacy"), ("active", "protest")):
                ml, mm, mh = ensemble.diff_band(base, cf, m, [y_last])
                typer.echo(f"  {what} in {y_last}: {mm:+.3g} [{ml:+.3g} to {mh:+.3g}]")
            if elections is not None:
                gl, gm, gh = ensemble.diff_band(base, cf, "government_changes", years)
                typer.echo(f"  governments replaced: {gm:.0f} [{gl:.0f} to {gh:.0f}]")
            if free_press:
                for m, what in (
                    ("journalists_exiled", "in exile"),
                    ("journalists_jailed", "in jail"),
                ):
                    b_med = base.band(m, y_last)[1]
                    c_med = cf.band(m, y_last)[1]
                    typer.echo(
                        f"  critical journalists {what} in {y_last}: {b_med:,.0f} -> {c_med:,.0f}"
                    )
            typer.echo("  what drives the change in emigrants (Spearman rho over the draws):")
            for name, rho, pval in institutions.drivers(posterior, base, cf, years)[:4]:
                typer.echo(f"    {name:<32}{rho:+.2f}  (p = {pval:.2g})")
            if elections is not None:
                typer.echo("Why: " + EXPLAIN["elections"])
            if free_press:
                typer.echo("Why: " + EXPLAIN["press"])
            if courts:
                typer.echo("Why: " + EXPLAIN["courts"])
        typer.echo(
            "The interval combines parameter uncertainty (the ABC-SMC posterior fitted to 2004-2019) and "
            "simulation noise; after 2019 the model runs on events only (a projection, not a fit)."
        )
