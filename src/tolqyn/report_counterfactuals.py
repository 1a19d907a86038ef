"""`tolqyn counterfactuals`: every counterfactual of a scenario over a posterior and over its
structures, what drives each answer, and a report that says it in words a user can act on.

    OUT/counterfactuals.csv   scenario, structure (or averaged), metric, median, q05, q95,
                              n_draws, posterior_probability; metric M is a level and
                              M_minus_replay the paired difference against the replay
    OUT/draws.csv             every run's draw, seed and outcomes (what the table is made of)
    OUT/drivers.csv           Morris mu* and Sobol' S1/ST with intervals, per counterfactual
                              difference (tolqyn.experiments.drivers)
    OUT/report (markdown)     the answers averaged and per structure, the sign's robustness,
                              the drivers, and what the data cannot tell apart
    OUT/figures/*.png         intervals per structure and driver bars, one pair per
                              counterfactual
    OUT/study.json            command, budget, wall time, machine load, structures, notes
    OUT/runs/                 the experiment stores (resumable: the same command finishes them)
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

from tolqyn.experiments import counterfactuals as cfx
from tolqyn.experiments import drivers as drv
from tolqyn.experiments.store import atomic_write_bytes, atomic_write_json

LABELS = {
    "deaths_total": "dead",
    "deaths_security": "dead among the forces",
    "detained": "detained",
    "injured_total": "injured",
    "peak_active": "protesters on the peak day",
    "participants": "persons who protested",
    "regions_reached": "units with protest",
    "end_day": "day the wave ended",
    "active_final": "protesters on the last day",
}


def _load() -> str:
    try:
        a, b, c = os.getloadavg()
        return f"{a:.2f} {b:.2f} {c:.2f}"
    except OSError:
        return "n/a"


def study(
    scenario: str,
    posterior,
    out,
    *,
    counterfactuals: list[str] | None = None,
    draws: int = 40,
    scale: float | None = None,
    sets: list[str] | None = None,
    seed: int = 0,
    workers: int | None = None,
    executor_kind: str = "process",
    dask_address: str | None = None,
    min_probability: float = 0.0,
    ignore: list[str] | None = None,
    allocate: str = "equal",
    drivers: bool = True,
    budget: drv.DriverBudget | None = None,
    driver_scale: float | None = None,
    command: str = "",
    progress: bool = False,
    log=print,
) -> dict:
    from tolqyn.experiments.executors import make_executor

    budget = budget or drv.DriverBudget()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    load_before = _load()
    plan = cfx.plan_counterfactuals(
        scenario,
        posterior,
        counterfactuals=counterfactuals,
        draws=draws,
        scale=scale,
        sets=sets,
        seed=seed,
        min_probability=min_probability,
        ignore=ignore,
        allocate=allocate,
    )
    n_runs = len(plan.draws) * len(plan.scenarios)
    log(
        f"{len(plan.scenarios) - 1} counterfactuals and the replay × {len(plan.draws)} draws "
        f"({len(plan.structures)} structure(s), {allocate} allocation) = {n_runs} runs"
    )
    info: dict = {
        "scenario": plan.base.name,
        "posterior": str(Path(posterior)),
        "posterior_probabilities_from": plan.posterior.probability_source,
        "parameters": plan.posterior.parameters,
        "structures": [{"structure": n, "probability": p} for n, p in plan.structures],
        "skipped_structures": [{"structure": n, "probability": p} for n, p in plan.skipped],
        "counterfactuals": [plan.names[s] for s in plan.scenarios if s != cfx.REPLAY],
        "draws": draws,
        "allocate": allocate,
        "draws_by_structure": {
            n: sum(d.structure == n for d in plan.draws) for n, _ in plan.structures
        },
        "scale": plan.base.params.get("scale"),
        "seed": seed,
        "shifts": plan.shifts,
        "notes": plan.notes,
        "command": command,
        "load_before": load_before,
    }
    with make_executor(executor_kind, workers, dask_address) as ex:
        info["executor"] = ex.describe()
        t1 = time.perf_counter()
        tally: dict = {}
        outcomes = cfx.run_plan(plan, out, executor=ex, progress=progress, tally=tally)
        info["posterior_runs"] = n_runs
        info["posterior_runs_now"] = tally.get("ran", 0)
        info["posterior_wall_s"] = round(time.perf_counter() - t1, 1)
        table = cfx.summarise(plan, outcomes)
        _write_csv(out / "counterfactuals.csv", table)
        _write_csv(out / "draws.csv", cfx.per_draw_table(plan, outcomes))
        att, noise, dplan, axes = None, {}, None, []
        if drivers:
            dplan = (
                plan
                if driver_scale is None or driver_scale == scale
                else cfx.plan_counterfactuals(
                    scenario,
                    posterior,
                    counterfactuals=counterfactuals,
                    draws=draws,
                    scale=driver_scale,
                    sets=sets,
                    seed=seed,
                    min_probability=min_probability,
                    ignore=ignore,
                    allocate=allocate,
                )
            )
            axes = drv.driver_axes(dplan)
            est = budget.runs(len(axes), len(dplan.scenarios))
            log(f"drivers: {len(axes)} factors, about {est} runs (Morris, Sobol', seed noise)")
            t2 = time.perf_counter()
            dtally: dict = {}
            ev = drv.model_evaluator(dplan, out, ex, budget, seed, progress=progress, tally=dtally)
            headline = [
                f"{s}|{m}" for s in dplan.scenarios if s != cfx.REPLAY for m in cfx.HEADLINE
            ]
            att = drv.screen_then_attribute(
                axes, ev, drv.centre(dplan, axes), budget, seed=seed, screen_on=headline
            )
            noise = drv.seed_noise(
                dplan, out, ex, budget, axes, seed, progress=progress, tally=dtally
            )
            info["driver_runs_now"] = dtally.get("ran", 0)
            info["driver_runs"] = (
                (att.morris_points + att.sobol_points) * budget.replicates + budget.noise_seeds
            ) * len(dplan.scenarios)
            info["driver_wall_s"] = round(time.perf_counter() - t2, 1)
            info["driver_scale"] = dplan.base.params.get("scale")
            info["driver_budget"] = budget.__dict__
            info["driver_factors"] = [{"name": a.name, "low": a.low, "high": a.high} for a in axes]
            info["screened"] = att.screened
            dtable = drv.drivers_table(dplan, att, noise, budget.conf_level)
            _write_csv(out / "drivers.csv", dtable)
        else:
            dtable = None
    info["wall_s"] = round(time.perf_counter() - t0, 1)
    info["load_after"] = _load()
    # a resumed study keeps the record of the invocations before it (wall time adds up)
    previous = []
    if (out / "study.json").exists():
        try:
            old = json.loads((out / "study.json").read_text())
            previous = list(old.get("sessions", []))
        except (OSError, ValueError):
            previous = []
    info["sessions"] = previous + [
        {
            "command": command,
            "wall_s": info["wall_s"],
            "load_before": load_before,
            "load_after": info["load_after"],
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
    ]
    info["wall_s_all_sessions"] = round(sum(x["wall_s"] for x in info["sessions"]), 1)
    figs = _figures(out, plan, table, dtable)
    shares = draw_shares(plan, outcomes)
    text = report_text(plan, table, dtable, att, noise, axes, info, figs, shares, outcomes)
    atomic_write_bytes(out / "report.md", text.encode())
    atomic_write_json(out / "study.json", _clean(info))
    log(summary_lines(plan, table))
    log(
        f"written: {out}/counterfactuals.csv, draws.csv"
        + (", drivers.csv" if drivers else "")
        + ", report.md, figures/"
    )
    return {"info": info, "table": table, "drivers": dtable}


def _write_csv(path: Path, df) -> None:
    atomic_write_bytes(path, df.to_csv(index=False).encode())


def _clean(o):
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, (np.floating, float)):
        return None if not math.isfinite(float(o)) else float(o)
    if isinstance(o, np.integer):
        return int(o)
    return o


# ---------------------------------------------------------------- numbers in words
def num(v, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    v = float(v)
    if abs(v) >= 100:
        s = f"{v:+,.0f}" if signed else f"{v:,.0f}"
    elif abs(v) >= 10 or v == int(v):
        s = f"{v:+.0f}" if signed else f"{v:.0f}"
    else:
        s = f"{v:+.2g}" if signed else f"{v:.2g}"
    return s.replace("-", "−")


def interval(med, lo, hi, signed=False) -> str:
    return f"{num(med, signed)} ({num(lo, signed)} to {num(hi, signed)})"


def _get(table, scenario, structure, metric):
    r = table[
        (table.scenario == scenario) & (table.structure == structure) & (table.metric == metric)
    ]
    return None if r.empty else r.iloc[0]


def _pshare(p) -> str:
    return "n/a" if p is None or not math.isfinite(p) else f"{p:.2f}"


def envelope(table, scenario, metric, structures) -> tuple[float, float]:
    """From the lowest q05 to the highest q95 of a change over the given structures."""
    rows = [_get(table, scenario, st, f"{metric}_minus_replay") for st in structures]
    rows = [r for r in rows if r is not None]
    return min(float(r.q05) for r in rows), max(float(r.q95) for r in rows)


def draw_shares(plan, outcomes) -> dict:
    """{(scenario slug, metric): share of the posterior (draws weighted P_s / n_s) whose paired
    change has the sign of the averaged median change}."""
    table = cfx.summarise(plan, outcomes)
    probs = dict(plan.structures)
    labels = [d.structure for d in plan.draws]
    w = np.array([probs[st] / labels.count(st) for st in labels])
    w = w / w.sum()
    out = {}
    for s, per in outcomes.items():
        if s == cfx.REPLAY:
            continue
        for m in cfx.METRICS:
            d = np.array([a[m] - b[m] for a, b in zip(per, outcomes[cfx.REPLAY])], dtype=float)
            med = _get(table, plan.names[s], cfx.AVERAGED, f"{m}_minus_replay")["median"]
            out[(s, m)] = float(w[np.sign(d) == np.sign(med)].sum())
    return out


def sign_sentence(table, scenario, metric, plan, share=None) -> str:
    sr = cfx.sign_robustness(table, scenario, metric)
    label = LABELS.get(metric, metric)
    med = sr["averaged"][0]
    if sr["sign"] == 0:
        word = f"no change in {label} (median difference 0)"
    else:
        word = f"{'more' if sr['sign'] > 0 else 'fewer'} {label} than in the replay"
        if metric == "end_day":
            word = f"the wave ends {'later' if sr['sign'] > 0 else 'earlier'}"
        if metric == "regions_reached":
            word = f"{'more' if sr['sign'] > 0 else 'fewer'} units with protest"
    draws = (
        f" The sign holds in draws carrying P = {_pshare(share)} of the posterior."
        if share is not None and sr["sign"] != 0
        else ""
    )
    if len(plan.structures) == 1:
        return (
            f"{word[0].upper() + word[1:]}: {num(med, True)} in the median draw.{draws} One "
            f"structure only ({plan.structures[0][0]}): the answer is conditional on it."
        )
    return (
        f"{word[0].upper() + word[1:]}: the sign holds in structures carrying "
        f"P = {_pshare(sr['p_agree'])} of the posterior (by their medians); their 90 % "
        f"intervals exclude zero in structures carrying P = {_pshare(sr['p_sure'])}.{draws}"
    )


def summary_lines(plan, table) -> str:
    lines = []
    for s, name in plan.names.items():
        if s == cfx.REPLAY:
            continue
        r = _get(table, name, cfx.AVERAGED, "deaths_total_minus_replay")
        d = _get(table, name, cfx.AVERAGED, "detained_minus_replay")
        lines.append(
            f"  {s}: dead {interval(r['median'], r.q05, r.q95, True)}, detained "
            f"{interval(d['median'], d.q05, d.q95, True)} against the replay (averaged over "
            "structures, 90 % interval)"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- figures
def _figures(out: Path, plan, table, dtable) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figdir = out / "figures"
    figdir.mkdir(exist_ok=True)
    res = {}
    structs = [n for n, _ in plan.structures] + [cfx.AVERAGED]
    probs = dict(plan.structures)
    for s, name in plan.names.items():
        if s == cfx.REPLAY:
            continue
        fig, axs = plt.subplots(
            1, len(cfx.HEADLINE), figsize=(4.0 * len(cfx.HEADLINE), 0.5 * len(structs) + 1.8)
        )
        for ax, m in zip(np.atleast_1d(axs), cfx.HEADLINE):
            for i, st in enumerate(structs):
                r = _get(table, name, st, f"{m}_minus_replay")
                c = "black" if st == cfx.AVERAGED else "tab:blue"
                ax.plot([r.q05, r.q95], [i, i], color=c, lw=2.5 if st == cfx.AVERAGED else 1.8)
                ax.plot([r["median"]], [i], "o", color=c)
            ax.axvline(0, color="grey", lw=0.8, ls="--")
            ax.set_yticks(range(len(structs)))
            ax.set_yticklabels(
                [st if st == cfx.AVERAGED else f"{st} (P={probs[st]:.2f})" for st in structs],
                fontsize=7,
            )
            ax.set_title(f"{LABELS[m]}: change vs replay", fontsize=9)
            ax.tick_params(axis="x", labelsize=7)
        fig.suptitle(
            f"{name}: paired difference, median and 90 % interval per structure", fontsize=9
        )
        fig.tight_layout()
        p = figdir / f"{s}_intervals.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        res[(s, "intervals")] = p
        if dtable is None:
            continue
        sob = dtable[(dtable.scenario == name) & (dtable.method == "sobol")]
        if sob.empty:
            continue
        fig, axs = plt.subplots(
            1,
            len(cfx.HEADLINE),
            figsize=(4.0 * len(cfx.HEADLINE), 0.45 * sob.parameter.nunique() + 1.9),
        )
        for ax, m in zip(np.atleast_1d(axs), cfx.HEADLINE):
            d = sob[sob.metric == f"{m}_minus_replay"]
            y = np.arange(len(d))
            ax.barh(y - 0.2, d.S1, 0.4, xerr=d.S1_conf, capsize=2, label="first order S1")
            ax.barh(y + 0.2, d.ST, 0.4, xerr=d.ST_conf, capsize=2, label="total ST")
            ax.set_yticks(y)
            ax.set_yticklabels(d.parameter, fontsize=7)
            ax.axvline(0, color="grey", lw=0.5)
            ax.set_title(f"{LABELS[m]}: change vs replay", fontsize=9)
            ax.tick_params(axis="x", labelsize=7)
        np.atleast_1d(axs)[0].legend(fontsize=7, loc="lower right")
        conf = int(round(100 * float(sob.conf_level.iloc[0])))
        fig.suptitle(
            f"{name}: Sobol' indices over the posterior's box ({conf} % bootstrap intervals)",
            fontsize=9,
        )
        fig.tight_layout()
        p = figdir / f"{s}_drivers.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        res[(s, "drivers")] = p
    return res


# ---------------------------------------------------------------- the report
def report_text(
    plan, table, dtable, att, noise, axes, info, figs, shares=None, outcomes=None
) -> str:
    L = []
    L.append(f"# Counterfactuals of {plan.base.name} over the posterior and its structures\n")
    n_st = len(plan.structures)
    L.append(
        f"Posterior: `{info['posterior']}` ({len(plan.posterior.parameters)} calibrated "
        "parameters: "
        + ", ".join(f"`{p}`" for p in plan.posterior.parameters)
        + "). "
        + (
            f"{info['draws']} draws per structure"
            if info["allocate"] == "equal"
            else f"{len(plan.draws)} draws split over the structures by posterior probability"
        )
        + ", resampled by weight; each draw "
        "has its own seed, and the replay and every counterfactual run with the same draw and "
        f"seed, so each change is a paired difference. One agent per {num(info['scale'])} citizens."
    )
    for n in plan.notes:
        L.append(f"\nNote: {n}.")
    L.append("\n## Structures\n")
    L.append("| structure | posterior probability | draws |\n|---|---|---|")
    for n, p in plan.structures:
        L.append(f"| {n} | {p:.3f} | {sum(d.structure == n for d in plan.draws)} |")
    if plan.skipped:
        zero = [n for n, p in plan.skipped if p == 0]
        rest = [(n, p) for n, p in plan.skipped if p > 0]
        L.append(
            f"\nNot run: {len(plan.skipped)} structures carrying P = "
            f"{sum(p for _, p in plan.skipped):.3f} of the posterior in all"
            + (f" ({len(zero)} of them with probability 0: no particle left)" if zero else "")
            + (
                "; with P > 0: "
                + ", ".join(f"{n} ({p:.3f})" for n, p in rest[:8])
                + (f" and {len(rest) - 8} more" if len(rest) > 8 else "")
                if rest
                else ""
            )
            + ". The averaged answers are over the structures run, renormalised."
        )
    src = plan.posterior.probability_source
    L.append(
        "\nProbabilities "
        + (
            "from the calibration's structures.csv."
            if src == "structures.csv"
            else "are each structure's share of the particle weights (no structures.csv)."
        )
    )
    tied = cfx.indistinguishable(plan.structures)
    if n_st == 1:
        L.append(
            "\n**One structure only.** The posterior has no structure column: every answer below "
            "is conditional on the model's mechanisms as they are; it says nothing about how "
            "the answers would change under another account of how a blackout, the troops or "
            "the end of a wave act."
        )
    elif len(tied) > 1:
        L.append(
            f"\n**The data cannot tell these structures apart: {', '.join(tied)}** (posterior "
            "odds against each below 3 relative to the most probable, with equal prior "
            "probabilities). Where their answers differ, the answer is the range across them, "
            "not the average."
        )
    else:
        L.append(
            f"\nThe data favour {tied[0]} (odds of at least 3 to 1 against every other structure)."
        )
    # one table of the headline answers
    L.append(
        "\n## Answers (change against the replay, median and 90 % interval, averaged over structures)\n"
    )
    multi = n_st > 1
    head = (
        "| counterfactual | "
        + " | ".join(LABELS[m] for m in cfx.HEADLINE)
        + (" | dead: range over the structures not ruled out" if multi else "")
        + " | sign of the change in dead holds in |"
    )
    L.append(head)
    L.append("|---" * (len(cfx.HEADLINE) + 2 + multi) + "|")
    for s, name in plan.names.items():
        if s == cfx.REPLAY:
            continue
        cells = []
        for m in cfx.HEADLINE:
            r = _get(table, name, cfx.AVERAGED, f"{m}_minus_replay")
            cells.append(interval(r["median"], r.q05, r.q95, True))
        if multi:
            lo, hi = envelope(table, name, "deaths_total", tied)
            cells.append(f"{num(lo, True)} to {num(hi, True)}")
        sr = cfx.sign_robustness(table, name, "deaths_total")
        dshare = _pshare((shares or {}).get((s, "deaths_total")))
        hold = (
            f"draws with P = {dshare}"
            if n_st == 1
            else f"structures with P = {_pshare(sr['p_agree'])} (draws: P = {dshare})"
        )
        L.append(f"| {s} | " + " | ".join(cells) + f" | {hold} |")
    if multi:
        L.append(
            "\nThe range over the structures not ruled out runs from the lowest 5 % to the "
            "highest 95 % bound of the change among the structures the data cannot tell apart "
            f"from the most probable ({', '.join(tied)}): the interval to quote when the "
            "structure is in doubt."
        )
    rep = {m: _get(table, plan.base.name, cfx.AVERAGED, m) for m in cfx.METRICS}
    L.append(
        "\nReplay over the same draws: "
        + "; ".join(
            f"{LABELS[m]} {interval(rep[m]['median'], rep[m].q05, rep[m].q95)}"
            for m in cfx.HEADLINE
        )
        + "."
    )
    for s, name in plan.names.items():
        if s == cfx.REPLAY:
            continue
        sc = plan.scenarios[s]
        L.append(f"\n## {s}\n")
        L.append(" ".join(str(sc.description).split()) + "\n")
        if plan.shifts.get(s):
            L.append(
                "Applied as a shift of each draw: "
                + ", ".join(f"`{k}` {v:+g}" for k, v in plan.shifts[s].items())
                + " (clipped to the declared bounds).\n"
            )
        for m in cfx.HEADLINE:
            share = (shares or {}).get((s, m))
            L.append("* " + sign_sentence(table, name, m, plan, share))
        L.append("")
        L.append(
            "| metric | replay | counterfactual | change |"
            if n_st == 1
            else "| metric | replay | counterfactual | change (averaged over structures) |"
        )
        L.append("|---|---|---|---|")
        for m in cfx.METRICS:
            a = _get(table, plan.base.name, cfx.AVERAGED, m)
            b = _get(table, name, cfx.AVERAGED, m)
            d = _get(table, name, cfx.AVERAGED, f"{m}_minus_replay")
            L.append(
                f"| {LABELS[m]} | {interval(a['median'], a.q05, a.q95)} | "
                f"{interval(b['median'], b.q05, b.q95)} | {interval(d['median'], d.q05, d.q95, True)} |"
            )
        if n_st > 1:
            L.append("\nPer structure (change against the replay, median and 90 % interval):\n")
            L.append(
                "| structure | P | draws | "
                + " | ".join(LABELS[m] for m in cfx.HEADLINE)
                + " |\n|---|---|---|"
                + "---|" * len(cfx.HEADLINE)
            )
            for st, p in plan.structures:
                cells = []
                for m in cfx.HEADLINE:
                    e = _get(table, name, st, f"{m}_minus_replay")
                    cells.append(interval(e["median"], e.q05, e.q95, True))
                n = int(_get(table, name, st, "deaths_total")["n_draws"])
                L.append(f"| {st} | {p:.3f} | {n} | " + " | ".join(cells) + " |")
            L.extend(_by_switch(plan, outcomes, s))
            meds = [
                (_get(table, name, st, "deaths_total_minus_replay")["median"], st) for st in tied
            ]
            probs = dict(plan.structures)
            if len(meds) > 1 and len({int(np.sign(v)) for v, _ in meds}) > 1:
                up = [st for v, st in meds if v > 0]
                down = [st for v, st in meds if v < 0]
                L.append(
                    "\n**The data do not settle the sign of the change in dead.** Among the "
                    "structures they cannot tell apart, those carrying P = "
                    f"{sum(probs[x] for x in up):.2f} say more dead ({_names(up)}) and those "
                    f"carrying P = {sum(probs[x] for x in down):.2f} say fewer ({_names(down)})."
                )
            elif len(meds) > 1:
                lo = min(v for v, _ in meds)
                hi = max(v for v, _ in meds)
                L.append(
                    f"\nAcross the structures the data cannot tell apart, the median change in "
                    f"dead ranges from {num(lo, True)} to {num(hi, True)}; they agree on its sign."
                )
        if (s, "intervals") in figs:
            L.append(f"\n![{s}: intervals per structure](figures/{figs[(s, 'intervals')].name})")
        if dtable is not None:
            L.append(_drivers_text(plan, s, name, dtable, att, noise, axes, figs))
    L.append(_method_text(info, att))
    return "\n".join(L) + "\n"


def _names(xs, limit: int = 4) -> str:
    return ", ".join(xs[:limit]) + (f" and {len(xs) - limit} more" if len(xs) > limit else "")


def _by_switch(plan, outcomes, s) -> list[str]:
    """The change in each headline metric by the value of each structure switch (pooling the
    other switches with their probabilities): which mechanism an answer hinges on."""
    from tolqyn.experiments.posterior import weighted_quantile

    switches = list(getattr(plan.posterior, "switches", []))
    if not switches or outcomes is None:
        return []
    probs = dict(plan.structures)
    labels = [d.structure for d in plan.draws]
    w = np.array([probs[st] / labels.count(st) for st in labels])
    L = ["\nBy mechanism (each switch's value, the other switches pooled by probability):\n"]
    L.append(
        "| switch | value | P | "
        + " | ".join(LABELS[m] for m in cfx.HEADLINE)
        + " |\n|---|---|---|"
        + "---|" * len(cfx.HEADLINE)
    )
    for sw in switches:
        values = sorted({str(d.params.get(sw)) for d in plan.draws})
        if len(values) < 2:
            continue
        for v in values:
            mask = np.array([str(d.params.get(sw)) == v for d in plan.draws])
            # as a share of the structures run (the averaged answers' denominator)
            p = float(sum(probs[st] for st in {lab for lab, k in zip(labels, mask) if k}))
            p /= sum(probs.values())
            cells = []
            for m in cfx.HEADLINE:
                diff = np.array(
                    [a[m] - b[m] for a, b in zip(outcomes[s], outcomes[cfx.REPLAY])], dtype=float
                )
                q05, q50, q95 = weighted_quantile(diff[mask], w[mask], cfx.QUANTILES)
                cells.append(interval(q50, q05, q95, True))
            L.append(f"| `{sw}` | {v} | {p:.2f} | " + " | ".join(cells) + " |")
    return L if len(L) > 2 else []


def _factor_name(n: str) -> str:
    return "the structure" if n == drv.STRUCTURE else f"`{n}`"


def _drivers_text(plan, s, name, dtable, att, noise, axes, figs) -> str:
    L = ["\n### What drives it\n"]
    for m in ("deaths_total", "peak_active"):
        metric = f"{m}_minus_replay"
        sob = dtable[
            (dtable.scenario == name) & (dtable.method == "sobol") & (dtable.metric == metric)
        ]
        if sob.empty:
            continue
        sob = sob.sort_values("ST", ascending=False)
        top = sob.head(3)
        conf = int(round(100 * float(sob.conf_level.iloc[0])))
        parts = [
            f"{_factor_name(r.parameter)} (ST {r.ST:.2f} ± {r.ST_conf:.2f}, S1 {r.S1:.2f} ± {r.S1_conf:.2f})"
            for r in top.itertuples()
        ]
        ns = sob.noise_share.iloc[0]
        noise_txt = (
            f" Seed noise is {ns:.0%} of the variance of this change over the box"
            + (
                " — larger than what the factors explain: read the indices as rough."
                if ns > 0.5
                else "."
            )
            if isinstance(ns, float) and math.isfinite(ns)
            else ""
        )
        L.append(
            f"Change in {LABELS[m]}: the largest Sobol' total indices ({conf} % intervals) are "
            + "; ".join(parts)
            + "."
            + noise_txt
        )
        flips = drv.sign_changes(att, f"{s}|{m}", axes)
        overall = flips[0]["overall"] if flips else 0.0
        said = []
        for f in flips:
            if not f["flips"]:
                continue
            cells = ", ".join(
                (
                    f"{_structure_range(plan, c)}"
                    if f["parameter"] == drv.STRUCTURE
                    else f"{num(c['low'])}–{num(c['high'])}"
                )
                + f" (median {num(c['median'], True)})"
                for c in f["flips"]
            )
            said.append(f"{_factor_name(f['parameter'])} in {cells}")
        if overall == 0:
            L.append("  The median change over the box is zero: there is no sign to change.")
        elif said:
            L.append(
                f"  What would change its sign (median over the box {num(overall, True)}): "
                + "; ".join(said)
                + "."
            )
        elif flips:
            L.append(
                f"  No single screened factor reverses its sign within the posterior's box "
                f"(median {num(overall, True)}); the sign differs at "
                f"{flips[0]['share_other_sign']:.0%} of the box's points."
            )
    mor = dtable[
        (dtable.scenario == name)
        & (dtable.method == "morris")
        & (dtable.metric == "deaths_total_minus_replay")
    ]
    if not mor.empty:
        mor = mor.sort_values("mu_star", ascending=False)
        L.append(
            "\nMorris screening (change in dead, mu* ± interval): "
            + ", ".join(
                f"{_factor_name(r.parameter)} {num(r.mu_star)} ± {num(r.mu_star_conf)}"
                for r in mor.itertuples()
            )
            + "."
        )
    if (s, "drivers") in figs:
        L.append(f"\n![{s}: drivers](figures/{figs[(s, 'drivers')].name})")
    return "\n".join(L)


def _structure_range(plan, c) -> str:
    lo = drv.structure_of(min(1.0, c["low"] + 1e-12), plan.structures)
    hi = drv.structure_of(min(1.0, c["high"] - 1e-12), plan.structures)
    return f"structure {lo}" if lo == hi else f"structures {lo} to {hi}"


def _method_text(info, att) -> str:
    L = ["\n## How this was computed\n"]
    L.append(f"Command: `{info.get('command') or 'see study.json'}`\n")
    L.append(
        f"Posterior runs: {info.get('posterior_runs')} on {info.get('executor')} "
        f"({info.get('posterior_runs_now')} run in this invocation, the others read from the "
        f"stores), {info.get('posterior_wall_s')} s wall."
    )
    if att is not None:
        b = info["driver_budget"]
        L.append(
            f"Drivers at one agent per {num(info['driver_scale'])} citizens: Morris with "
            f"{b['morris_trajectories']} trajectories over {len(info['driver_factors'])} factors "
            f"({att.morris_points} points), then Sobol' with N = {b['sobol_samples']} on the "
            f"{len(att.screened)} screened factors ({', '.join(att.screened)}; {att.sobol_points} "
            f"points; the others at their posterior medians), {b['replicates']} seed(s) per point "
            f"(the same at every point), seed noise from {b['noise_seeds']} seeds at the centre; "
            f"{info.get('driver_runs')} runs ({info.get('driver_runs_now')} in this invocation), "
            f"{info.get('driver_wall_s')} s wall. Factors range "
            "over the weighted 5–95 % posterior intervals:"
        )
        for f in info["driver_factors"]:
            L.append(
                f"  * {_factor_name(f['name'])}: "
                + (
                    "U(0, 1) mapped to a structure by the cumulative posterior probabilities"
                    if f["name"] == drv.STRUCTURE
                    else f"{num(f['low'])} to {num(f['high'])}"
                )
            )
    sessions = info.get("sessions", [])
    if len(sessions) > 1:
        L.append(
            f"\nRun in {len(sessions)} invocations of the same command (the stores resume): "
            + "; ".join(
                f"{x['wall_s']} s wall, load {x['load_before']} before and {x['load_after']} after"
                for x in sessions
            )
            + f"; {info.get('wall_s_all_sessions')} s wall in all."
        )
    else:
        L.append(
            f"\nWall time {info.get('wall_s')} s in all; load average (1, 5, 15 min) "
            f"{info.get('load_before')} before and {info.get('load_after')} after."
        )
    L.append(
        "\nReading the intervals: each is the 5–95 % range over posterior draws of one "
        "quantity; *averaged* pools the structures, each with its posterior probability. A "
        "structure's interval is conditional on that structure being right. Metrics are in "
        "persons at the end of the run (day 20) unless named otherwise; `end_day` is censored "
        "at the day after the last (a wave not over by then)."
    )
    return "\n".join(L)
