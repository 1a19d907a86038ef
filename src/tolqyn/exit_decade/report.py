"""The exit report: what was fitted and what only checked, simulated vs observed emigration by
year, group and destination, the 2020-2024 projection (a forecast), identity by media diet over
time, counterfactuals, and the exit–voice curves. Written as Markdown + JSON + PNG figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from tolqyn.exit_decade.ensemble import EMIGRANT_CELLS, Ensemble
from tolqyn.observe.emigration import figure_metric

HISTORY = list(range(2004, 2020))
FORECAST = list(range(2020, 2025))


def _n(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:,.0f}"


def _band(e: Ensemble, metric: str, year: int) -> str:
    lo, med, hi = e.band(metric, year)
    return f"{_n(med)} [{_n(lo)}–{_n(hi)}]"


def _window(
    e: Ensemble, metric: str, start: str, end: str, months_share: float | None = None
) -> np.ndarray:
    """Per-run sums over whole years [start, end) (partial years: share of the year's sum)."""
    y0, y1 = int(start[:4]), int(end[:4])
    if y1 == y0 and months_share is not None:
        return e.values(metric, y0) * months_share
    return sum(e.values(metric, y) for y in range(y0, y1))


def check_table(base: Ensemble) -> list[dict]:
    """Every observed figure of 2004-2019 against the ensemble (partial years read as a share
    of the simulated year, by months)."""
    from tolqyn.data.series import emigration_figures

    rows = []
    for f in emigration_figures():
        y = int(f.start[:4])
        months = (int(f.end[5:7]) - 1) if f.end[:4] == f.start[:4] else 12
        metric = figure_metric(f, "emigrants")
        v = base.values(metric, y) * (months / 12.0)
        v = v[np.isfinite(v)]
        if not v.size:
            continue
        lo, med, hi = np.quantile(v, (0.05, 0.5, 0.95))
        one_sided = f.name.startswith("non_cis")
        covered = bool(med <= f.observed) if one_sided else bool(lo <= f.observed <= hi)
        rows.append(
            {
                "figure": f.name,
                "metric": metric,
                "period": f"{f.start}..{f.end}",
                "observed": f.observed,
                "median": float(med),
                "q05": float(lo),
                "q95": float(hi),
                "role": f.role,
                "covered": covered,
                "note": f.note
                + ("" if months == 12 else f" (simulated: {months}/12 of the year's total)"),
            }
        )
    return rows


def _plot(out: Path, ens: dict, ev: dict | None) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tolqyn.data.series import emigration_figures

    files = []
    base = ens["baseline"]
    years = HISTORY + FORECAST
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    ax = axes[0]
    for metric, col, lab in (
        ("emigrants", "k", "all"),
        ("emigrants_russian", "C0", "ethnic Russians"),
        ("emigrants_kazakh", "C2", "Kazakhs"),
        ("emigrants_german", "C3", "ethnic Germans"),
    ):
        b = np.array([base.band(metric, y) for y in years])
        ax.plot(years, b[:, 1], color=col, label=lab)
        ax.fill_between(years, b[:, 0], b[:, 2], color=col, alpha=0.15)
    for f in emigration_figures():
        fm = figure_metric(f, "emigrants")
        if f.end[:4] != f.start[:4] and fm in (
            "emigrants",
            "emigrants_russian",
            "emigrants_german",
            "emigrants_kazakh",
        ):
            col = {
                "emigrants": "k",
                "emigrants_russian": "C0",
                "emigrants_german": "C3",
                "emigrants_kazakh": "C2",
            }[fm]
            ax.plot(int(f.start[:4]), f.observed, "o" if f.role == "fit" else "x", color=col, ms=6)
    ax.axvspan(2019.5, 2024.5, color="0.9", zorder=0)
    ax.text(2020, ax.get_ylim()[1] * 0.95, "forecast", fontsize=9, va="top")
    ax.set_title("Emigrants per year (median, 90 % band; o fitted, x checked)")
    ax.legend(fontsize=8)
    ax = axes[1]
    for metric, col, lab in (
        ("emigrants_to_russia", "C0", "to Russia"),
        ("emigrants_to_germany", "C3", "to Germany"),
        ("emigrants_to_other", "C7", "elsewhere"),
    ):
        b = np.array([base.band(metric, y) for y in years])
        ax.plot(years, b[:, 1], color=col, label=lab)
        ax.fill_between(years, b[:, 0], b[:, 2], color=col, alpha=0.15)
    ax.axvspan(2019.5, 2024.5, color="0.9", zorder=0)
    ax.set_title("Emigrants by destination")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "emigration.png", dpi=110)
    plt.close(fig)
    files.append("emigration.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for d, col in (("state_tv", "C1"), ("foreign_tv", "C3"), ("online", "C0")):
        b = np.array([base.band(f"identity_kin_{d}", y) for y in years])
        axes[0].plot(years, b[:, 1], color=col, label=d.replace("_", " "))
        axes[0].fill_between(years, b[:, 0], b[:, 2], color=col, alpha=0.15)
        s = np.array([base.band(f"media_share_{d}", y) for y in years])
        axes[1].plot(years, s[:, 1], color=col, label=d.replace("_", " "))
    axes[0].set_title("Mean identity I of kin minorities by main news source")
    axes[0].set_ylim(0, 1)
    axes[0].legend(fontsize=8)
    axes[1].set_title("Media diet of the population (share)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "identity_media.png", dpi=110)
    plt.close(fig)
    files.append("identity_media.png")

    if ev:
        fig, axes = plt.subplots(1, len(ev), figsize=(4.2 * len(ev), 3.8), squeeze=False)
        for ax, (cname, res) in zip(axes[0], ev.items()):
            ls = res["levels"]
            x = [l["exit_mean"] for l in ls]
            y = [l["voice_mean"] for l in ls]
            e = [2 * l["voice_se"] for l in ls]
            ax.errorbar(x, y, yerr=e, marker="o")
            for l in ls:
                ax.annotate(f"c={l['cost']:+g}", (l["exit_mean"], l["voice_mean"]), fontsize=7)
            ax.set_xscale("symlog", linthresh=1e4)
            ax.set_xlabel("exit: emigrants 2014-2016")
            ax.set_ylabel("voice: protest person-months 2014-2016")
            ax.set_title(f"{cname}\n{res['verdict']}", fontsize=9)
        fig.tight_layout()
        fig.savefig(out / "exit_voice.png", dpi=110)
        plt.close(fig)
        files.append("exit_voice.png")
    return files


def _fmt_answer(r: dict) -> tuple[str, str, str]:
    """Cells of one institutional answer: shares and means to 3 digits, counts as integers."""
    small = r["metric"] in ("legitimacy_mean", "critical_content")

    def f(v, sign=False):
        if v is None or not math.isfinite(v):
            return "–"
        if small:
            return f"{v:+.3f}" if sign else f"{v:.3f}"
        return f"{v:+,.0f}" if sign else f"{v:,.0f}"

    diff = f"{f(r['diff_median'], True)} [{f(r['diff_q05'], True)} – {f(r['diff_q95'], True)}]"
    return f(r["baseline"]), f(r["variant"]), diff


def institutions_section(levers: dict) -> tuple[list[str], list[dict]]:
    """Markdown lines and rows of the institutional questions: `levers` maps a lever of
    `institutions.LEVERS` to its pair of ensembles {"baseline": ..., label: ...}."""
    from tolqyn.exit_decade.institutions import answers

    rows = [r for lever, ens in levers.items() for r in answers(lever, ens)]
    if not rows:
        return [], []
    L = [
        "## Institutions: elections, a free press, fair courts, the voice of emigrants",
        "",
        "What if governments could be voted out, the press were free, the courts fair, or the "
        "emigrants silent towards home? Each "
        "question runs the same posterior draws and seeds with and without the change; its "
        "baseline is the replay with the mechanism as it was (no competitive election; the "
        "press under Reporters Without Borders' index; the packaged court cases; emigrants "
        "writing home to the contacts they left). Kazakhstan's "
        "record cannot tell how strong these mechanisms are, so each draw also draws their "
        "assumed sizes over the ranges of docs/odd/exit.md §7.7-7.10: the interval spans both. "
        "`tolqyn exit-whatif --elections 5 | --free-press | --courts | --silent-diaspora` "
        "answers one question "
        "with yearly detail and what drives it.",
        "",
        "| question | measure | years | baseline (median) | with the change (median) | "
        "paired difference (median [90 %]) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        b, v, d = _fmt_answer(r)
        L.append(f"| {r['question']} | {r['what']} | {r['years']} | {b} | {v} | {d} |")
    L.append("")
    return L, rows


def write(
    out: Path,
    ens: dict,
    ev_rows: list | None,
    ev: dict | None,
    meta: dict,
    levers: dict | None = None,
) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = ens["baseline"]
    from tolqyn.exit_decade.calibration import CALIBRATED_DIR

    summ = json.loads((CALIBRATED_DIR / "summary.json").read_text())
    checks = check_table(base)
    _plot(out, ens, ev)
    L = ["# kazakhstan-exit: emigration, identity and the 2015 devaluation", ""]
    L += [
        f"Ensemble: {meta['draws']} posterior draws (one seed each), scale {meta['scale']:g} citizens per agent; "
        f"calibration: ABC-SMC, {summ['generations']} generations of {summ['population']} particles, "
        f"{summ['simulations']} simulations at scale {summ['scale']:g}.",
        "",
    ]
    L += [
        "## What was fitted and what only checked",
        "",
        "Fitted (ABC-SMC distance): " + ", ".join(summ["fitted"]) + ".",
        "Checked only (never in the distance): every other figure in the table below, the destination "
        "figures, the partial-year totals, the 2019 counts of Ukrainians, Kazakhs and Tatars, the 2013 ethnic shares. "
        "Hand-set, not fitted: the monthly activation threshold (T = 0.9) so that no month of 2004-2019 has mass protest.",
        "",
    ]
    L += ["| parameter | posterior median | 90 % interval | prior |", "|---|---|---|---|"]
    for k, v in summ["parameters"].items():
        L.append(
            f"| {k} | {v['q50']:.4g} | {v['q05']:.4g} – {v['q95']:.4g} | U({v['prior'][0]:g}, {v['prior'][1]:g}) |"
        )
    L += [
        "",
        "## Simulated vs observed (2004-2019)",
        "",
        "| figure | period | observed | simulated median [90 %] | role | within |",
        "|---|---|---|---|---|---|",
    ]
    for r in checks:
        L.append(
            f"| {r['figure']} | {r['period']} | {_n(r['observed'])} | {_n(r['median'])} [{_n(r['q05'])}–{_n(r['q95'])}] "
            f"| {r['role']} | {'yes' if r['covered'] else 'no'} |"
        )
    n_fit = [r for r in checks if r["role"] == "fit"]
    n_chk = [r for r in checks if r["role"] == "check"]
    L += [
        "",
        f"Coverage: {sum(r['covered'] for r in n_fit)}/{len(n_fit)} fitted and "
        f"{sum(r['covered'] for r in n_chk)}/{len(n_chk)} checked figures inside the 90 % band "
        "(non-CIS rows: simulated emigration to Germany must not exceed them).",
        "",
    ]
    L += [
        "## Yearly emigrants by ethnic group and destination (median [90 %])",
        "",
        "| year | all | Russians | Germans | Ukrainians | Kazakhs | Tatars | to Russia | to Germany | elsewhere |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for y in HISTORY + FORECAST:
        tag = f"**{y} (forecast)**" if y in FORECAST else str(y)
        cells = [
            _band(base, m, y)
            for m in (
                "emigrants",
                "emigrants_russian",
                "emigrants_german",
                "emigrants_ukrainian",
                "emigrants_kazakh",
                "emigrants_tatar",
                "emigrants_to_russia",
                "emigrants_to_germany",
                "emigrants_to_other",
            )
        ]
        L.append(f"| {tag} | " + " | ".join(cells) + " |")
    L += [
        "",
        "## Projection 2020-2024 (forecast)",
        "",
        "A forecast, not a fit: the emigration figures after 2019 are kept out of the data pack and were never used. "
        "Inputs after 2019 are events only: the 2020 border closures (cost of leaving +2 from 16 Mar 2020, +0.7 from "
        "Aug 2020, 0 from 2022; sizes assumed), the January 2022 unrest (LPG price shock and cut, resignation, CSTO "
        "troops, a legitimacy shock of −0.05 for the killings), the 2022 arrivals from Russia (inflation 20.4 % "
        "Dec/Dec 2022 from the pack; Russia's attractiveness ×0.6 after the September 2022 mobilisation, assumed), "
        "and the exchange-rate points of the pack (431.8 in Jan 2022, 466 and 511 in Feb-Mar 2022).",
        "",
        "| year | emigrants (median) | 50 % interval | 90 % interval |",
        "|---|---|---|---|",
    ]
    for y in FORECAST:
        lo, med, hi = base.band("emigrants", y)
        q25, _, q75 = base.band("emigrants", y, q=(0.25, 0.5, 0.75))
        L.append(f"| {y} | {_n(med)} | {_n(q25)}–{_n(q75)} | {_n(lo)}–{_n(hi)} |")
    L += ["", "![emigration](emigration.png)", ""]
    L += [
        "## Identity of the kin minorities by media diet",
        "",
        "Mean affinity I with the neighbouring state of Russians, Ukrainians, Germans and Tatars still in the "
        "country, by main news source, and the share with I > 0.5 (median over the ensemble).",
        "",
        "| year | state TV | foreign TV | online | I > 0.5: state TV | foreign TV | online | online share of all |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for y in (2004, 2008, 2012, 2014, 2016, 2019, 2022, 2024):
        cells = [
            f"{base.band(f'identity_kin_{d}', y)[1]:.2f}"
            for d in ("state_tv", "foreign_tv", "online")
        ]
        cells += [
            f"{base.band(f'identity_kin_high_{d}', y)[1]:.2f}"
            for d in ("state_tv", "foreign_tv", "online")
        ]
        cells += [f"{base.band('media_share_online', y)[1]:.2f}"]
        L.append(f"| {y} | " + " | ".join(cells) + " |")
    L += ["", "![identity](identity_media.png)", ""]
    cf = [k for k in ens if k != "baseline"]
    if cf:
        L += [
            "## Counterfactuals (same draws and seeds as the baseline)",
            "",
            "| variant | years | emigrants, baseline | emigrants, variant | difference (median [90 %]) |",
            "|---|---|---|---|---|",
        ]
        from tolqyn.exit_decade.ensemble import diff_band

        for k in cf:
            for yrs in (FORECAST, [2015, 2016, 2017, 2018, 2019]):
                a = sum(base.values("emigrants", y) for y in yrs)
                b = sum(ens[k].values("emigrants", y) for y in yrs)
                if not np.isfinite(b).any():
                    continue
                lo, med, hi = diff_band(base, ens[k], "emigrants", yrs)
                L.append(
                    f"| {k} | {yrs[0]}-{yrs[-1]} | {_n(np.median(a))} | {_n(np.median(b))} | "
                    f"{med:+,.0f} [{lo:+,.0f} – {hi:+,.0f}] |"
                )
        L.append("")
    lever_lines, lever_rows = institutions_section(levers or {})
    L += lever_lines
    if ev:
        L += [
            "## Exit and voice",
            "",
            "Cost of leaving swept from 1 January 2014 (c, log-hazard; +4 = almost no exit, −5 = mass exit), "
            f"{meta.get('ev_replicates', '?')} replicates per level; exit = emigrants 2014-2016, voice = protest "
            "person-months 2014-2016.",
            "",
        ]
        for cname, res in ev.items():
            L += [
                f"**{cname}** — {res['verdict']} (Spearman ρ = {res['spearman_rho']:+.2f}, one-sided p(ρ<0) = "
                f"{res['p_negative']:.3f}; peak at level {res['peak_level'] + 1} of {len(res['levels'])}; two-lines test: "
                f"rise to the peak p = {res['p_rise_to_peak']:.3g}, fall after it p = {res['p_fall_after_peak']:.3g})",
                "",
                "| cost c | exit (mean) | voice (mean ± se) |",
                "|---|---|---|",
            ]
            for l in res["levels"]:
                L.append(
                    f"| {l['cost']:+g} | {_n(l['exit_mean'])} | {_n(l['voice_mean'])} ± {_n(l['voice_se'])} |"
                )
            L.append("")
        L += ["![exit-voice](exit_voice.png)", ""]
    (out / "report.md").write_text("\n".join(L) + "\n")
    data = {
        "meta": meta,
        "checks": checks,
        "exit_voice": ev,
        "exit_voice_runs": ev_rows,
        "institutions": lever_rows,
        "yearly": {
            k: {
                m: {str(y): e.band(m, y) for y in HISTORY + FORECAST}
                for m in (
                    "emigrants",
                    *EMIGRANT_CELLS,
                )
            }
            for k, e in ens.items()
        },
    }
    (out / "report.json").write_text(json.dumps(data, indent=1, default=float) + "\n")
    return out / "report.md"
