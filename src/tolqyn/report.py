"""HTML reports of a run directory and comparisons of two runs.

A report is one self-contained HTML file (figures embedded as PNG), readable offline.
What it shows depends on what the run recorded: national time series always; outburst
analysis for lattice models; regions by day, a map and simulated-vs-observed figures for
country scenarios."""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import numpy as np

from tolqyn import figures
from tolqyn.core.results import RunResult
from tolqyn.observe import emigration as observe_emigration
from tolqyn.observe import evaluate, targets_of
from tolqyn.observe import stats as observe_stats

STATUS = ("quiet", "active", "jailed", "emigrated", "dead")
COLORS = {
    "quiet": "#4c78a8",
    "active": "#e45756",
    "jailed": "#333333",
    "emigrated": "#f58518",
    "dead": "#7f3c8d",
    "arrests": "#9d755d",
}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
color:#222;line-height:1.45;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4} .num{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#555;font-size:.9em} .ok{color:#1a7f37;font-weight:600} .miss{color:#b42318;font-weight:600}
img{max-width:100%} details{margin:.5em 0} code{background:#f4f4f4;padding:0 .2em}
.note{background:#fffbe6;border-left:4px solid #e6c200;padding:.5em 1em;margin:1em 0}
"""


# A report reads a run directory as the one run-result type (RunResult.from_dir); observed
# targets are judged by the observation layer (tolqyn.observe), never here.


# ------------------------------------------------------------------ figures
def _mpl():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _mpl().close(fig)
    return (
        '<img alt="figure" src="data:image/png;base64,'
        + base64.b64encode(buf.getvalue()).decode()
        + '">'
    )


def _status_shown(run: RunResult) -> list[str]:
    """Status stocks to plot. In country runs 'dead' is left out: it counts the agents removed
    by civilian deaths, so it moves in steps of the scale, while the death counters (persons,
    civilian and security) are what the record is compared with; both are said in the note."""
    shown = [m for m in STATUS if run.has(m) and np.nanmax(run.series(m)) > 0]
    if run.regions and run.has("deaths_civilian_cumulative"):
        shown = [m for m in shown if m != "dead"]
    return shown


def fig_status(run: RunResult, runs_b: RunResult | None = None, labels=("A", "B")) -> str:
    shown = _status_shown(run)
    if not shown:
        return ""
    series = []
    for i, m in enumerate(shown):
        series.append(
            (i, run.series(m), {"color": COLORS.get(m), "label": labels[0] if runs_b else None})
        )
        if runs_b is not None and runs_b.has(m):
            series.append(
                (i, runs_b.series(m), {"color": COLORS.get(m), "ls": "--", "label": labels[1]})
            )
    unit = " (persons)" if run.manifest.get("scale") and run.regions else ""
    fig = figures.panels(
        run,
        series,
        [m + unit for m in shown],
        ("National status counts" if run.regions else "Status counts")
        + (" (solid A, dashed B)" if runs_b else ""),
        height=1.7,
    )
    return _png(fig)


def fig_metrics(
    run: RunResult,
    metrics: list[str],
    title: str,
    runs_b: RunResult | None = None,
    labels=("A", "B"),
) -> str:
    metrics = [m for m in metrics if run.has(m)]

    def zero(r, m):
        return r is None or not r.has(m) or not np.nan_to_num(r.series(m)).any()

    flat = [m for m in metrics if zero(run, m) and zero(runs_b, m)]
    metrics = [m for m in metrics if m not in flat]
    note = (
        f"<p class='meta'>Zero throughout {'both runs' if runs_b else 'the run'}: "
        + ", ".join(html.escape(m) for m in flat)
        + ".</p>"
        if flat
        else ""
    )
    if not metrics:
        return note
    series = []
    for i, m in enumerate(metrics):
        series.append(
            (i, run.series(m), {"color": "tab:blue", "label": labels[0] if runs_b else None})
        )
        if runs_b is not None and runs_b.has(m):
            series.append(
                (i, runs_b.series(m), {"color": "tab:blue", "ls": "--", "label": labels[1]})
            )
    fig = figures.panels(run, series, [m.replace("_", " ") for m in metrics], title, height=1.6)
    return _png(fig) + note


def fig_outbursts(run: RunResult, threshold: float) -> str:
    plt = _mpl()
    a = run.series("active")
    fig, ax = plt.subplots(figsize=(10, 3))
    ax.plot(run.steps, a, color=COLORS["active"], lw=0.9, label="active")
    if run.has("jailed"):
        ax.plot(run.steps, run.series("jailed"), color=COLORS["jailed"], lw=0.9, label="jailed")
    ax.axhline(threshold, color="#999", ls=":", label=f"outburst threshold ({threshold:g})")
    ax.set_xlabel("step")
    figures.legend_outside(ax)
    figures.plain_numbers(ax)
    ax.grid(alpha=0.3)
    ax.set_title(
        "Actives over time: long quiet stretches broken by outbursts = punctuated equilibrium"
    )
    return _png(fig)


def fig_region_heatmap(run: RunResult, metric: str, per_capita_of: str | None = None) -> str:
    data = run.by_region(metric)
    if data is None:
        return ""
    plt = _mpl()
    import matplotlib.dates as mdates

    vals = data.copy()
    label = metric
    if per_capita_of:
        denom = sum(np.nan_to_num(run.by_region(s)) for s in STATUS if run.by_region(s) is not None)
        with np.errstate(invalid="ignore", divide="ignore"):
            vals = 100.0 * vals / np.where(denom > 0, denom, np.nan)
        label = f"{metric} (% of population)"
    names = figures.region_names(run)
    x, kind = figures.x_of(run)
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(run.regions) + 1.5))
    if kind == "date":
        lo, hi = mdates.date2num(x[0]) - 0.5, mdates.date2num(x[-1]) + 0.5
        extent = (lo, hi, len(run.regions) - 0.5, -0.5)
    else:
        extent = (x[0] - 0.5, x[-1] + 0.5, len(run.regions) - 0.5, -0.5)
    im = ax.imshow(vals.T, aspect="auto", cmap="magma_r", interpolation="nearest", extent=extent)
    ax.set_yticks(range(len(run.regions)))
    ax.set_yticklabels([figures.region_label(c, names) for c in run.regions], fontsize=7)
    if kind == "date":
        ax.xaxis_date()
        figures.date_axis(ax, x, "date (state at the end of the day)")
    else:
        ax.set_xlabel("step")
    cb = fig.colorbar(im, ax=ax, label=label)
    figures.plain_numbers(cb.ax)
    ax.set_title(f"{label} by region and day")
    return _png(fig)


def fig_spread_observed(run: RunResult) -> str:
    """Day × unit: simulated active persons (colour, log scale) with the chronology's first
    protest day (○), the run's first day with the record's min_active persons (×), units the
    chronology says never joined (labelled) and reported crowd sizes (numbers in their cells).
    Drawn from the scenario's order / never / crowd records (the observation layer); "" when
    it declares no order record."""
    targets = targets_of(run.manifest.get("scenario_meta") or {}, run.manifest.get("scenario"))
    order = next((t for t in targets if t.kind == "order"), None)
    data = run.by_region(order.metric) if order is not None else None
    if data is None:
        return ""
    plt = _mpl()
    obs = order.observed_days(run)
    never = {c for t in targets if t.kind == "never" for c in t.regions}
    sim = observe_stats.onsets(run, order.metric, order.min_active)
    codes = sorted(run.regions, key=lambda c: (obs.get(c, math.inf), c))
    idx = {c: j for j, c in enumerate(run.regions)}
    last = min(run.n_rows - 1, int(max(obs.values(), default=0)) + 8)
    vals = np.log10(1.0 + np.nan_to_num(data[: last + 1, [idx[c] for c in codes]]))
    names = _region_names(run)
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(codes) + 1.6))
    im = ax.imshow(vals.T, aspect="auto", cmap="magma_r", interpolation="nearest")
    for y, c in enumerate(codes):
        if c in obs:
            ax.plot(obs[c], y, "o", mfc="none", mec="#1f77b4", mew=1.8, ms=9)
        if sim.get(c) is not None and sim[c] <= last:
            ax.plot(sim[c], y, "x", color="#2ca02c", mew=1.8, ms=7)
    for t in targets:
        if t.kind == "count" and t.region in idx and t.date:  # reported crowds
            row = observe_stats.row_of(run, t.date)
            if t.region in codes and row <= last:
                ax.text(
                    row,
                    codes.index(t.region),
                    f"{t.value:,.0f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="#1f77b4",
                    bbox={"fc": "white", "ec": "none", "alpha": 0.75, "pad": 0.5},
                )
    ax.set_yticks(range(len(codes)))
    ax.set_yticklabels(
        [f"{c} {names.get(c, '')}" + (" (never joined)" if c in never else "") for c in codes],
        fontsize=7,
    )
    dates = run.dates() or []
    ax.set_xticks(range(last + 1))
    ax.set_xticklabels(
        [
            str(d)[5:10] if dates else str(i)
            for i, d in enumerate(dates[: last + 1] or range(last + 1))
        ],
        fontsize=7,
        rotation=90,
    )
    fig.colorbar(im, ax=ax, label=f"log10(1 + {order.metric} persons)")
    ax.set_title(
        f"Spread by unit and day: simulated (colour, × first day with ≥{order.min_active:,.0f}) "
        "vs the chronology (○ first protest; numbers: reported crowds)",
        fontsize=9,
    )
    return _png(fig)


def _region_names(run: RunResult) -> dict:
    return figures.region_names(run)


def _share_by_region(run: RunResult, data: np.ndarray) -> np.ndarray:
    """A regional count as % of the region's persons (all statuses) on each day."""
    denom = sum(np.nan_to_num(run.by_region(s)) for s in STATUS if run.by_region(s) is not None)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * data / np.where(denom > 0, denom, np.nan)


def _map_days(active: np.ndarray, n: int, k: int = 8) -> list[int]:
    """Up to k days for the small-multiple maps: the days around the national peak of
    `active`, then the first and last day, then evenly spaced days."""
    if n - 1 <= k:
        return list(range(1, n))
    act = np.nan_to_num(active[:n])
    p = int(np.argmax(act)) if act.max() > 0 else n // 2
    days = {d for d in range(p - 3, p + 3) if 1 <= d < n} | {1, n - 1}
    for d in np.linspace(1, n - 1, k):
        if len(days) >= k:
            break
        days.add(int(round(d)))
    return sorted(days)[:k] if len(days) <= k else sorted(days - {1})[: k - 1] + [n - 1]


def fig_map_days(
    run: RunResult,
    metric: str = "active",
    days: list[int] | None = None,
    title: str | None = None,
    share: bool = True,
    diff_with: RunResult | None = None,
    vmax: float | None = None,
) -> str:
    """Small-multiple maps of a metric on chosen days (by default around the national peak);
    comparisons pass the same `days` and `vmax` to both runs so the maps read side by side."""
    gj = figures.boundaries(run)
    data = run.by_region(metric)
    if gj is None or data is None:
        return ""
    if diff_with is not None:
        other = diff_with.by_region(metric)
        if other is None:
            return ""
        n = min(len(data), len(other))
        data = data[:n] - other[:n]
    plt = _mpl()
    from matplotlib import cm, colors
    from matplotlib.collections import PolyCollection

    if share and diff_with is None:
        data = _share_by_region(run, data)
    dates = run.dates()
    n = data.shape[0]
    if days is None:
        days = _map_days(run.series("active") if run.has("active") else np.zeros(n), n)
    days = [d for d in days if 0 <= d < n]
    idx = {c: i for i, c in enumerate(run.regions)}
    polys, owners = [], []
    for f in gj["features"]:
        code = figures.feature_code(f)
        geom = f.get("geometry") or {}
        rings = []
        if geom.get("type") == "Polygon":
            rings = [geom["coordinates"][0]]
        elif geom.get("type") == "MultiPolygon":
            rings = [p[0] for p in geom["coordinates"]]
        for r in rings:
            polys.append(np.asarray(r)[:, :2])
            owners.append(idx.get(code, -1))
    owners = np.array(owners)
    finite = data[np.isfinite(data)]
    if diff_with is not None:
        lim = max(1e-9, np.nanmax(np.abs(finite)) if finite.size else 1)
        norm, cmap = colors.TwoSlopeNorm(0, -lim, lim), cm.RdBu_r
    else:
        top = vmax if vmax is not None else (np.nanmax(finite) if finite.size else 1)
        norm, cmap = (
            colors.Normalize(0, max(1e-9, top)),
            cm.magma_r,
        )
    cols = 4
    rows = math.ceil(len(days) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.6 * rows))
    axes = np.atleast_1d(axes).ravel()
    for ax, d in zip(axes, days):
        vals = np.where(owners >= 0, data[d, np.clip(owners, 0, None)], np.nan)
        fc = [cmap(norm(v)) if np.isfinite(v) else (0.9, 0.9, 0.9, 1) for v in vals]
        ax.add_collection(PolyCollection(polys, facecolors=fc, edgecolors="#666", linewidths=0.3))
        ax.autoscale_view()
        ax.set_aspect(1.5)
        ax.set_axis_off()
        ax.set_title(figures._day(figures.x_of(run)[0][d]) if dates else f"step {d}", fontsize=9)
    for ax in axes[len(days) :]:
        ax.set_axis_off()
    sm = cm.ScalarMappable(norm=norm, cmap=cmap)
    unit = "% of population" if share and diff_with is None else "persons"
    cb = fig.colorbar(
        sm,
        ax=list(axes),
        shrink=0.6,
        label=f"{metric} ({unit})" + (" — A minus B" if diff_with else ""),
    )
    figures.plain_numbers(cb.ax)
    fig.suptitle(title or f"{metric} by region and day", y=1.0)
    return _png(fig)


# ------------------------------------------------------------------ tables
def _table(rows: list[list], header: list[str], num_cols=()) -> str:
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for r in rows:
        out.append(
            "<tr>"
            + "".join(
                f'<td class="{"num" if i in num_cols else ""}">{c if isinstance(c, _Raw) else html.escape(str(c))}</td>'
                for i, c in enumerate(r)
            )
            + "</tr>"
        )
    out.append("</table>")
    return "\n".join(out)


class _Raw(str):
    """Already-escaped HTML for a table cell."""


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and abs(v) >= 100):
        return f"{v:,.0f}"
    return f"{v:.3g}"


def observed_verdicts(run: RunResult) -> list:
    """The verdict of every target the scenario declares and, for an exit run on the
    Kazakhstan pack, of every emigration figure of 2004-2019 inside the run (tolqyn.observe)."""
    meta = run.manifest.get("scenario_meta") or {}
    declared = targets_of(meta, run.manifest.get("scenario"))
    return evaluate(run, declared + observe_emigration.targets_for(run))


def observed_rows(run: RunResult, role: str | None = None) -> list[list]:
    """Simulated vs observed for every declared target (of one role when given): label,
    region, date, simulated, observed, verdict, distance, source."""
    rows = []
    for v in observed_verdicts(run):
        t = v.target
        if role is not None and t.role != role:
            continue
        if v.match is None:
            verdict = "not simulated"
        else:
            tol = (
                ("at most, " if t.at_most else "") + f"×{t.tolerance_factor:g}"
                if t.kind == "count"
                else (f"±{t.tolerance_days:g} d" if t.kind != "spread" else "")
            )
            verdict = _Raw(
                f'<span class="{"ok" if v.match else "miss"}">'
                f"{'matches' if v.match else 'differs'}{' (' + tol + ')' if tol else ''}</span>"
            )
        rows.append(
            [
                t.label or t.name,
                t.region,
                t.date or "",
                v.simulated,
                t.observed_text,
                verdict,
                _fmt(v.distance),
                t.source,
            ]
        )
    return rows


# ------------------------------------------------------------------ pages
def _header(run: RunResult, title: str) -> str:
    m = run.manifest
    tm = m.get("timings", {})
    return (
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="meta">scenario <b>{html.escape(str(m.get("scenario")))}</b> · hash <code>{m.get("scenario_hash")}</code>'
        f" · seed {m.get('seed')} · tolqyn {m.get('version')} · {m.get('steps')} steps"
        + (
            f" of {m.get('dt_days'):g} day(s) from {m.get('start_date')}"
            if m.get("start_date")
            else ""
        )
        + f" · {m.get('n_agents', 0):,} agents, one per {_fmt(m.get('scale', 1))} citizen(s)"
        f" · set-up {tm.get('init_s', 0):.2f}s, loop {tm.get('loop_s', 0):.2f}s</p>"
        + (
            f"<p>{html.escape(m.get('scenario_description') or '')}</p>"
            if m.get("scenario_description")
            else ""
        )
    )


def _params_section(run: RunResult) -> str:
    params = run.manifest.get("parameters", {})
    rows = [[k, v] for k, v in params.items()]
    return (
        "<details><summary>All parameters ("
        + str(len(rows))
        + ")</summary>"
        + _table(rows, ["parameter", "value"])
        + "</details>"
    )


def _events_section(run: RunResult) -> str:
    evs = run.manifest.get("events_applied", [])
    if not evs:
        return ""
    names = figures.region_names(run)
    number = figures.event_number(run)
    rows = [
        [
            number.get(int(e["step"]), ""),
            e.get("date") or e["step"],
            e.get("id", ""),
            e.get("action"),
            e.get("label", ""),
            figures.name_codes(json.dumps(e.get("params", {}), ensure_ascii=False), names),
        ]
        for e in evs
    ]
    return (
        "<h2>Timeline of events applied</h2><p>The numbers are those above the figures "
        "(one per day with events, shaded there).</p>"
        + _table(rows, ["#", "when", "id", "action", "label", "parameters"])
    )


def _assumptions_section(run: RunResult) -> str:
    assumptions = run.manifest.get("assumptions") or (run.manifest.get("scenario_meta") or {}).get(
        "assumptions"
    )
    if not assumptions:
        return ""
    rows = [
        [
            a.get("id", ""),
            a.get("text", ""),
            a.get("value", ""),
            a.get("source", a.get("basis", "")),
        ]
        for a in assumptions
    ]
    return (
        "<h2>Assumptions where the data have gaps</h2><p>Each can be overridden in the scenario file.</p>"
        + _table(rows, ["id", "assumption", "value", "basis"])
    )


def build_report_html(run: RunResult) -> str:
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>tolqyn report — "
        f"{html.escape(str(run.manifest.get('scenario')))}</title><style>{CSS}</style></head><body>"
    ]
    parts.append(_header(run, f"tolqyn report: {run.manifest.get('scenario')}"))
    if run.manifest.get("model") == "country_exit":
        parts.append(_exit_sections(run))
    elif run.regions:
        parts.append(_country_sections(run))
    else:
        parts.append(_lattice_sections(run))
    parts.append(_events_section(run))
    parts.append(_assumptions_section(run))
    parts.append("<h2>Run</h2>" + _params_section(run))
    parts.append(
        f"<details><summary>Manifest</summary><pre>{html.escape(json.dumps(run.manifest, indent=1, default=str))}</pre></details>"
    )
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def _lattice_sections(run: RunResult) -> str:
    out = ["<h2>Time series</h2>", fig_status(run)]
    extra = [
        m
        for m in (
            "arrests",
            "legitimacy",
            "cops",
            "tension",
            "blue",
            "green",
            "killed",
            "adopters",
            "public_opposition",
            "private_opposition",
            "falsifiers",
        )
        if run.has(m)
    ]
    const = [m for m in extra if np.nanmin(run.series(m)) == np.nanmax(run.series(m))]
    varying = [m for m in extra if m not in const]
    if varying:
        out.append(fig_metrics(run, varying, "Other series"))
    if const:
        out.append(
            "<p>Constant over the run: "
            + ", ".join(f"{html.escape(m)} = {_fmt(run.series(m)[0])}" for m in const)
            + ".</p>"
        )
    if run.has("active") and run.n_rows > 50 and run.manifest.get("model") == "epstein":
        out.append(_outburst_section(run))
        from tolqyn.report_epstein import epstein_section

        out.append(epstein_section(run))
    return "\n".join(out)


def _outburst_section(run: RunResult, threshold: float = 50.0) -> str:
    from tolqyn.analysis.outbursts import summarize

    a = run.series("active")
    s = summarize(np.nan_to_num(a), threshold=threshold)
    names = {
        "threshold": "outburst threshold (actives)",
        "steps": "steps",
        "outbursts": "outbursts",
        "waiting_mean": "mean waiting time between outbursts",
        "waiting_sd": "s.d. of waiting times",
        "waiting_n": "waiting times measured",
        "activation_mean": "mean total activation per outburst",
        "activation_sd": "s.d. of total activation",
        "peak_active": "largest number of actives",
        "share_of_steps_in_outburst": "share of steps in an outburst",
    }
    rows = [
        [names.get(k, k), _fmt(v) if isinstance(v, (int, float, np.integer, np.floating)) else v]
        for k, v in s.items()
        if not isinstance(v, (list, np.ndarray, dict))
    ]
    n = int(s.get("outbursts", 0))
    verdict = (
        "Punctuated equilibrium: long quiet periods interrupted by "
        f"{n} outbursts of more than {threshold:g} actives."
        if n and n >= 2
        else f"No repeated outbursts above {threshold:g} actives in this run."
    )
    return (
        "<h2>Outbursts (Epstein 2002, Figs. 3–7)</h2>"
        + f"<p><b>{verdict}</b> Epstein reports for Run 2 a mean "
        "waiting time of about 60 periods (s.d. about 55) and a mean total activation per outburst of about 708.</p>"
        + fig_outbursts(run, threshold)
        + _table(rows, ["statistic", "value"], num_cols=(1,))
    )


def _observed_sections(run: RunResult, unit_text: str | None = None) -> list[str]:
    """The fitted and the checked-only tables (each row judged by tolqyn.observe)."""
    out = []
    header = ["target", "region", "date", "simulated", "observed", "verdict", "distance", "source"]
    unit_text = unit_text or (
        "Simulated figures are in citizens (agents × scale); a region has protest once the "
        "record's min_active persons are active; the distance is the calibration's (0 = exact, "
        "1 = at the tolerance). The observed figure's source is given on each row."
    )
    names = figures.region_names(run)
    for role, title, text in (
        (
            "fitted",
            "Simulated vs observed: fitted",
            "The model's parameters were tuned or calibrated to these figures.",
        ),
        (
            "checked",
            "Simulated vs observed: checked only",
            "Held back for checking: no parameter was tuned to them and a calibration never "
            "sees them.",
        ),
    ):
        obs = observed_rows(run, role)
        for r in obs:  # region names where the rows carry codes
            r[1] = figures.region_label(r[1], names)
            r[3] = figures.name_codes(r[3], names)
        if obs:
            n_ok = sum(1 for r in obs if "matches" in str(r[5]))
            out.append(f"<h2>{title}</h2><p>{text} {n_ok} of {len(obs)} match. {unit_text}</p>")
            out.append(_table(obs, header, num_cols=(6,)))
    return out


def _country_sections(run: RunResult) -> str:
    out = _observed_sections(run)
    out.append("<h2>National time series</h2>")
    out.append(_counting_note(run))
    out.append(fig_status(run))
    out.append(
        fig_metrics(
            run,
            [
                "arrests",
                "detained_cumulative",
                "deaths_civilian_cumulative",
                "deaths_security_cumulative",
                "participants_cumulative",
                "emigrants",
            ],
            "Flows and cumulative totals",
        )
    )
    out.append(
        fig_metrics(
            run,
            ["grievance_mean", "legitimacy_mean", "forces_deployed"],
            "Grievance, legitimacy, forces",
        )
    )
    out.append("<h2>Regions by day</h2>")
    out.append(
        fig_map_days(run, "active", title="Active protesters, % of each region's population")
    )
    out.append(fig_spread_observed(run))
    out.append(fig_region_heatmap(run, "active", per_capita_of="status"))
    if run.has("arrests"):
        out.append(fig_region_heatmap(run, "arrests"))
    out.append(_region_table(run))
    return "\n".join(out)


def _exit_sections(run: RunResult) -> str:
    """The exit scenario: emigration against the figures of 2004-2019 (fitted and checked
    only), by year, group and destination; then the drivers (media, identity, legitimacy,
    the exchange rate) and where the emigrants came from."""
    out = _observed_sections(
        run,
        "Each figure is the simulated year-to-date count of emigrants (agents × scale) in the "
        "period's last month, from this one run (seed "
        f"{run.manifest.get('seed')}); a figure matches within the factor shown. The ensemble "
        "check of <code>tolqyn exit-report</code> asks instead whether the observed figure "
        "lies in the 90 % band over posterior draws. The distance is the calibration's "
        "(0 = exact, 1 = at the tolerance).",
    )
    out.append("<h2>Emigration by year</h2>")
    out.append(fig_exit_years(run))
    out.append("<h2>National time series</h2>")
    out.append(_counting_note(run))
    out.append(fig_status(run))
    groups = [
        m
        for m in run.metrics
        if m.startswith("emigrants_")
        and m.count("_") == 1
        and m not in ("emigrants_cumulative", "emigrants_ytd")
    ]
    groups.sort(key=lambda m: -float(np.nansum(run.series(m))))  # the largest groups first
    dests = sorted(m for m in run.metrics if m.startswith("emigrants_to_"))
    out.append(fig_metrics(run, ["emigrants", *groups[:4], *dests], "Emigrants per month"))
    out.append(
        fig_metrics(
            run,
            [
                "media_share_state_tv",
                "media_share_online",
                "media_share_foreign_tv",
                "identity_kin_mean",
                "legitimacy_mean",
                "grievance_mean",
                "exchange_rate",
            ],
            "Media, identity, legitimacy, grievance and the exchange rate",
        )
    )
    out.append(_institutions_section(run))
    if run.by_region("emigrated") is not None:
        out.append("<h2>Regions</h2>")
        n = run.n_rows
        days = sorted({int(round(d)) for d in np.linspace(12, n - 1, 8)})
        out.append(
            fig_map_days(
                run,
                "emigrated",
                days=days,
                title="Emigrated since the start, % of each region's persons",
            )
        )
    return "\n".join(out)


def fig_exit_years(run: RunResult) -> str:
    """Simulated emigrants per calendar year (the year-to-date count in December) with the
    observed figures: whole years as dots (filled fitted, open checked only)."""
    from tolqyn.observe import stats as st

    if not run.has("emigrants_ytd") or not run.dates():
        return ""
    plt = _mpl()
    dates = run.dates()
    years = sorted({int(d[:4]) for d in dates[1:] if d})
    sim = []
    for y in years:
        day = f"{y}-12-15"
        if st.clock_of(run).step_of(day) > run.n_rows - 1:
            break
        sim.append((y, st.value_at(run, "emigrants_ytd", day)))
        if st.clock_of(run).step_of(day) >= run.n_rows - 1:
            break
    if not sim:
        return ""
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.bar([y for y, _ in sim], [v for _, v in sim], color="#f58518", alpha=0.6,
           label="simulated (this run)")  # fmt: skip
    for t in observe_emigration.targets_for(run):
        if t.metric != "emigrants_ytd" or not t.date.endswith("-12-15"):
            continue
        ax.plot(
            int(t.date[:4]),
            t.value,
            "o",
            color="#222",
            mfc="#222" if t.fitted else "white",
            label="observed, fitted" if t.fitted else "observed, checked only",
        )
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    ax.legend(
        uniq.values(), uniq.keys(), loc="upper left", bbox_to_anchor=(1.01, 1.0),
        fontsize=8, frameon=False,
    )  # fmt: skip
    ax.set_ylabel("emigrants per year (persons)")
    ax.set_xlabel("year")
    ax.xaxis.get_major_locator().set_params(integer=True)
    figures.plain_numbers(ax)
    ax.grid(alpha=0.3, axis="y")
    ax.set_title("Emigrants per year: simulated vs the whole-year figures")
    return _png(fig)


def _institutions_section(run: RunResult) -> str:
    """The exit model's institutions (elections, the press, the courts): how the run set them and
    what they did; the what-if answers with intervals come from ensembles (exit-whatif,
    exit-report), not from one run."""
    if not any(run.has(m) for m in ("elections", "journalists_home", "court_cases")):
        return ""
    par = run.manifest.get("parameters", {})
    rows = [
        [name, par.get(name, "–")]
        for name in (
            "elections_every",
            "elections_from",
            "election_competitiveness",
            "press_on",
            "press_repression_override",
            "courts_on",
            "courts_fair",
        )
        if name in par
    ]

    def total(m):
        return float(np.nansum(run.series(m))) if run.has(m) else None

    series = ["corruption_index"]
    if float(par.get("elections_every", 0) or 0) > 0:
        series.append("government_changes")
        rows += [
            ["elections held", _fmt(total("elections"))],
            ["governments replaced", _fmt(total("government_changes"))],
            [
                "CPI points added by accountability (end)",
                _fmt(_final(run, "accountability_cpi_offset")),
            ],
        ]
    if par.get("press_on"):
        series += ["critical_content", "journalists_jailed", "journalists_exiled"]
        rows += [
            [f"critical journalists {where} (end)", _fmt(_final(run, f"journalists_{m}"))]
            for where, m in (("at home", "home"), ("in jail", "jailed"), ("in exile", "exiled"))
        ]
    if par.get("courts_on"):
        series.append("court_cases")
        rows.append(["court cases that reached the public", _fmt(total("court_cases"))])
    rows = [r for r in rows if r[1] != "–"]
    return (
        "<h2>Institutions: elections, the press, the courts</h2><p>How this run set the "
        "institutional levers and what they did (docs/odd/exit.md §7.7-7.9). What a change of "
        "lever does, with an interval over the posterior and the assumed ranges: "
        "<code>tolqyn exit-whatif --elections 5 | --free-press | --courts</code> and the "
        "institutions section of <code>tolqyn exit-report</code>.</p>"
        + _table(rows, ["lever or measure", "value"])
        + fig_metrics(run, series, "Institutions over the run")
    )


def _region_table(run: RunResult) -> str:
    names = _region_names(run)
    dates = run.dates() or []
    rows = []
    act = run.by_region("active")
    if act is None:
        return ""
    onsets = observe_stats.onsets(run, "active")  # the observation layer's crowd size
    for j, code in enumerate(run.regions):
        col = act[:, j]
        peak_step = observe_stats.peak(run, "active", code)[0]
        first = onsets.get(code)

        def last_of(metric):
            d = run.by_region(metric)
            return None if d is None else d[-1, j]

        civ, sec = last_of("deaths_civilian_cumulative"), last_of("deaths_security_cumulative")
        rows.append(
            [
                code,
                names.get(code, ""),
                (dates[first] if dates and first is not None else first) or "–",
                (dates[peak_step] if dates and peak_step is not None else peak_step) or "–",
                _fmt(np.nanmax(col)),
                _fmt(last_of("detained_cumulative")),
                _fmt(civ),
                _fmt(sec),
            ]
        )
    return _table(
        rows,
        [
            "code",
            "region",
            f"first protest (≥{observe_stats.DEFAULTS['min_active']:,.0f} persons)",
            "peak day",
            "peak active (persons)",
            "detained by the end (persons)",
            "civilian deaths (persons)",
            "security deaths (persons)",
        ],
        num_cols=(4, 5, 6, 7),
    )


def _counting_note(run: RunResult) -> str:
    """What the stocks and the counters count, and why 'dead' is not drawn as a status."""
    scale = float(run.manifest.get("scale") or 1.0)
    if not run.regions:
        return ""
    parts = [
        f"<b>How the figures count.</b> One agent stands for {_fmt(scale)} citizen(s). The "
        "status counts (quiet, active, jailed, emigrated) and the arrests and detentions are "
        f"agents × {_fmt(scale)}, so they move in steps of {_fmt(scale)} persons."
    ]
    if run.has("deaths_civilian_cumulative"):
        civ = _final(run, "deaths_civilian_cumulative") or 0.0
        sec = _final(run, "deaths_security_cumulative") or 0.0
        dead = _final(run, "dead") or 0.0
        parts.append(
            "Deaths and injuries are counts of persons drawn at each site (whole numbers, not "
            "multiples of the scale); they are what the record is compared with and what the "
            "figures below show. The status <i>dead</i> counts the agents "
            "taken out of the population by the civilian deaths (each site's count divided by "
            "the scale, the fraction drawn at random), so it moves in steps of "
            f"{_fmt(scale)}: at the end of this run {_fmt(dead / scale)} agent(s) = "
            f"{_fmt(dead)} persons, against {_fmt(civ)} civilian deaths counted; the "
            f"{_fmt(sec)} security deaths are not agents of the population. It is therefore "
            "not drawn with the status counts."
        )
    return '<p class="note">' + " ".join(parts) + "</p>"


def write_report(run_dir, out=None) -> Path:
    """The report of a run directory; of an experiment or calibration directory, the
    experiment report (tolqyn.report_experiments)."""
    from tolqyn import report_experiments

    if report_experiments.kind_of(run_dir):
        return report_experiments.write(run_dir, out)
    run = RunResult.from_dir(run_dir)
    out = Path(out) if out else Path(run_dir) / "report.html"
    text = build_report_html(run)
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


def markdown_page(md_path, out=None) -> Path:
    """A Markdown report (`tolqyn exit-report`, `tolqyn counterfactuals`) as an HTML page with
    the run reports' style, beside it so its relative figure paths still resolve."""
    try:
        import markdown
    except ImportError:
        from tolqyn.core.errors import TolqynError

        raise TolqynError("an HTML page of a Markdown report needs: pip install markdown") from None

    md_path = Path(md_path)
    body = markdown.markdown(md_path.read_text(encoding="utf-8"), extensions=["tables"])
    out = Path(out) if out else md_path.with_suffix(".html")
    out.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(md_path.name)}"
        f"</title><style>{CSS}</style></head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return out


# ------------------------------------------------------------------ comparison
def _final(run: RunResult, metric: str) -> float | None:
    if not run.has(metric):
        return None
    s = run.series(metric)
    s = s[np.isfinite(s)]
    return float(s[-1]) if s.size else None


def _peak(run: RunResult, metric: str) -> float | None:
    if not run.has(metric):
        return None
    s = run.series(metric)
    return float(np.nanmax(s)) if np.isfinite(s).any() else None


def build_compare_html(a: RunResult, b: RunResult, labels=("A", "B")) -> str:
    la, lb = labels
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>tolqyn comparison</title><style>{CSS}</style></head><body>",
        f"<h1>Comparison: {html.escape(la)} vs {html.escape(lb)}</h1>",
        f"<p class='meta'>A = {html.escape(str(a.manifest.get('scenario')))} (hash {a.manifest.get('scenario_hash')}, seed {a.manifest.get('seed')}) · "
        f"B = {html.escape(str(b.manifest.get('scenario')))} (hash {b.manifest.get('scenario_hash')}, seed {b.manifest.get('seed')})</p>",
    ]
    if a.manifest.get("seed") == b.manifest.get("seed"):
        parts.append(
            "<p>Both runs use the same seed: with common random numbers, differences come from the "
            "mechanisms, not from noise.</p>"
        )
    else:
        parts.append(
            "<p class='note'>The runs use different seeds: part of any difference is noise. "
            "Use the same seed, or an ensemble, to separate mechanism from chance.</p>"
        )
    rows = []
    for metric, how in (
        ("detained_cumulative", "final"),
        ("deaths_civilian_cumulative", "final"),
        ("deaths_security_cumulative", "final"),
        ("participants_cumulative", "final"),
        ("active", "peak"),
        ("jailed", "final"),
        ("dead", "final"),
        ("emigrated", "final"),
        ("arrests", "peak"),
        ("legitimacy_mean", "final"),
    ):
        fa = _final(a, metric) if how == "final" else _peak(a, metric)
        fb = _final(b, metric) if how == "final" else _peak(b, metric)
        if fa is None and fb is None:
            continue
        diff = (fa - fb) if fa is not None and fb is not None else None
        rel = f"{100 * diff / fb:+.0f}%" if diff is not None and fb else "–"
        what = f"{metric} ({how})"
        if metric == "dead" and a.has("deaths_civilian_cumulative"):
            what += " — agents × scale; the death counts above are persons"
        rows.append([what, _fmt(fa), _fmt(fb), _fmt(diff), rel])
    parts.append(
        "<h2>Key figures</h2>"
        + _table(rows, ["figure", la, lb, f"{la} − {lb}", "relative"], num_cols=(1, 2, 3, 4))
    )
    # differing parameters and events
    pa, pb = a.manifest.get("parameters", {}), b.manifest.get("parameters", {})
    drows = [[k, pa.get(k), pb.get(k)] for k in sorted(set(pa) | set(pb)) if pa.get(k) != pb.get(k)]
    if drows:
        parts.append("<h2>Parameters that differ</h2>" + _table(drows, ["parameter", la, lb]))
    ea = {(e.get("id"), e.get("step")) for e in a.manifest.get("events_applied", [])}
    eb = {(e.get("id"), e.get("step")) for e in b.manifest.get("events_applied", [])}
    if ea != eb:
        erows = [
            [i or "–", s, "yes" if (i, s) in ea else "", "yes" if (i, s) in eb else ""]
            for i, s in sorted(ea ^ eb, key=lambda x: (x[1], str(x[0])))
        ]
        parts.append("<h2>Events that differ</h2>" + _table(erows, ["event id", "step", la, lb]))
    parts.append("<h2>Time series</h2>")
    parts.append(fig_status(a, b, labels))
    parts.append(
        fig_metrics(
            a,
            [
                "arrests",
                "detained_cumulative",
                "deaths_civilian_cumulative",
                "deaths_security_cumulative",
                "participants_cumulative",
                "legitimacy_mean",
            ],
            "Flows, totals and legitimacy (solid A, dashed B)",
            b,
            labels,
        )
    )
    if a.regions and b.regions:
        parts.append(_compare_maps(a, b, la, lb))
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def compare_days(a: RunResult, b: RunResult) -> list[int]:
    """The days both runs' maps show: around the peak of the two runs' actives together."""
    n = min(a.n_rows, b.n_rows)
    both = np.nan_to_num(a.series("active")[:n]) + np.nan_to_num(b.series("active")[:n])
    return _map_days(both, n)


def _compare_maps(a: RunResult, b: RunResult, la: str, lb: str) -> str:
    """Both runs' maps on the same days (around the peak of the two runs together) and on
    one colour scale, then the difference on those days."""
    days = compare_days(a, b)
    tops = []
    for r in (a, b):
        d = r.by_region("active")
        if d is not None:
            v = _share_by_region(r, d)[days]
            tops.append(np.nanmax(v) if np.isfinite(v).any() else 0.0)
    vmax = max(tops) if tops else None
    when = ", ".join(figures._day(figures.x_of(a)[0][d]) for d in days) if a.dates() else ""
    return "\n".join(
        [
            "<h2>Maps</h2>",
            f"<p>Both runs on the same days ({html.escape(when)}) and on one colour scale.</p>"
            if when
            else "",
            fig_map_days(a, "active", days=days, vmax=vmax, title=f"{la}: active, % of population"),
            fig_map_days(b, "active", days=days, vmax=vmax, title=f"{lb}: active, % of population"),
            fig_map_days(
                a, "active", days=days, diff_with=b, title=f"Active protesters: {la} minus {lb}"
            ),
        ]
    )


def write_compare(run_a, run_b, out=None, labels=None) -> Path:
    a, b = RunResult.from_dir(run_a), RunResult.from_dir(run_b)
    labels = labels or (str(a.manifest.get("scenario")), str(b.manifest.get("scenario")))
    if labels[0] == labels[1]:
        labels = (f"{labels[0]} (A)", f"{labels[1]} (B)")
    out = (
        Path(out)
        if out
        else Path(run_a).parent / f"compare_{Path(run_a).name}_vs_{Path(run_b).name}.html"
    )
    text = build_compare_html(a, b, labels)
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
