"""HTML reports of experiment directories (`tolqyn report DIR` on what `tolqyn sweep`,
`sensitivity`, `discover` and `calibrate` wrote).

- An ensemble or sweep (experiment.json): the national series' median with 50 % and 90 % bands
  over runs (per point for sweeps of a few points), and each run's outcome against each swept
  parameter.
- Sensitivity indices (sensitivity.json, beside the sweep that made them): one bar chart per
  output, each index with its confidence interval, and the replicate noise.
- Scenario discovery (discovery.json): PRIM's peeling trajectory as the coverage-density
  trade-off with the chosen box marked, the box, and CART's rules.
- A calibration (calibration.json, posterior.parquet, abc.db): the weighted posterior of each
  parameter over its prior range, pair plots, pyABC's own plots read from its database
  (posterior KDE matrix, epsilon and effective sample size by generation), and the posterior
  predictive check.

Like run reports, each is one self-contained HTML file with its figures embedded."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from tolqyn import figures
from tolqyn.core.errors import TolqynError

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
STATUS = ("active", "jailed", "quiet", "emigrated", "dead")


def kind_of(d) -> str | None:
    """'calibration', 'experiment' or None (not an experiment directory)."""
    d = Path(d)
    if (d / "calibration.json").is_file():
        return "calibration"
    if (d / "experiment.json").is_file():
        return "experiment"
    return None


def write(d, out=None) -> Path:
    d = Path(d)
    kind = kind_of(d)
    if kind is None:
        raise TolqynError(f"{d}: neither experiment.json nor calibration.json is there")
    page = build_calibration_html(d) if kind == "calibration" else build_experiment_html(d)
    out = Path(out) if out else d / "report.html"
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


# ------------------------------------------------------------------ shared
def _report():
    from tolqyn import report

    return report


def _page(title: str, body: list[str]) -> str:
    r = _report()
    return "\n".join(
        [
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{r.CSS}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            *[b for b in body if b],
            "</body></html>",
        ]
    )


def _fig(nrows=1, ncols=1, **kw):
    plt = _report()._mpl()
    return plt.subplots(nrows, ncols, **kw)


def _png(fig) -> str:
    return _report()._png(fig)


def _table(rows, header, num_cols=()) -> str:
    return _report()._table(rows, header, num_cols)


def _fmt(v) -> str:
    return _report()._fmt(v)


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise TolqynError(f"{path}: cannot read ({e})") from None


# ------------------------------------------------------------------ sweeps and ensembles
def _results(d: Path, metrics: list[str] | None = None):
    """Tidy national rows of every finished run: run_id, point_id, replicate, step, metric,
    value (and date for calendar scenarios)."""
    import pyarrow.dataset as ds

    files = sorted((d / "results").glob("point_id=*/*.parquet"))
    if not files:
        raise TolqynError(f"{d}: the experiment has no finished runs (results/ is empty)")
    table = ds.dataset([str(f) for f in files], format="parquet").to_table()
    df = table.to_pandas()
    if "point_id" not in df.columns:  # read without the partition column: take it from paths
        df["point_id"] = df["run_id"].str.extract(r"p(\d+)")[0].astype(int)
    df = df[df["region"] == "ALL"]
    if metrics is not None:
        df = df[df["metric"].isin(metrics)]
    return df


def _shown_metrics(df) -> list[str]:
    have = list(dict.fromkeys(df["metric"]))
    varying = [m for m in have if df.loc[df["metric"] == m, "value"].nunique() > 1]
    main = [m for m in STATUS if m in varying]
    return main or varying[:3]


def _bands(df, metric: str):
    """steps, dates (or None) and the quantiles over runs (rows QUANTILES) of one metric."""
    sub = df[df["metric"] == metric]
    wide = sub.pivot_table(index="step", columns="run_id", values="value", aggfunc="first")
    wide = wide.sort_index().ffill()  # a run that stopped at a fixed point keeps its state
    q = np.nanquantile(wide.to_numpy(dtype=float), QUANTILES, axis=1)
    dates = None
    if "date" in sub.columns and sub["date"].notna().all():
        by_step = sub.drop_duplicates("step").set_index("step")["date"]
        dates = np.array([str(by_step[s])[:10] for s in wide.index], dtype="datetime64[D]")
    return wide.index.to_numpy(), dates, q, wide.shape[1]


def fig_bands(df, metrics: list[str], title: str) -> str:
    if not metrics:
        return ""
    fig, axes = _fig(len(metrics), 1, figsize=(10, 1.9 * len(metrics) + 0.8), sharex=True)
    axes = np.atleast_1d(axes)
    kind = "step"
    for ax, m in zip(axes, metrics):
        steps, dates, q, n = _bands(df, m)
        x = dates if dates is not None else steps
        kind = "date" if dates is not None else "step"
        ax.fill_between(x, q[0], q[4], color="tab:blue", alpha=0.18, lw=0, label="90 % of runs")
        ax.fill_between(x, q[1], q[3], color="tab:blue", alpha=0.35, lw=0, label="50 % of runs")
        ax.plot(x, q[2], color="tab:blue", lw=1.6, label=f"median ({n} runs)")
        ax.set_ylabel(m, fontsize=8)
        ax.grid(alpha=0.3)
        figures.plain_numbers(ax)
        figures.legend_outside(ax)
    if kind == "date":
        figures.date_axis(axes[-1], x, "date")
    else:
        figures.step_axis(axes[-1])
    fig.suptitle(title)
    fig.tight_layout()
    return _png(fig)


def fig_points(df, metric: str, points, max_points: int = 8) -> str:
    """The median over replicates of each point (up to max_points), one line each."""
    ids = sorted(df["point_id"].unique())[:max_points]
    if len(ids) < 2:
        return ""
    fig, ax = _fig(figsize=(10, 3.6))
    axes_cols = [c for c in points.columns if c != "point_id"]
    for pid in ids:
        sub = df[(df["point_id"] == pid) & (df["metric"] == metric)]
        med = sub.groupby("step")["value"].median()
        row = points[points["point_id"] == pid]
        desc = (
            ", ".join(f"{c}={_fmt(float(row[c].iloc[0]))}" for c in axes_cols) if len(row) else ""
        )
        ax.plot(med.index, med.to_numpy(), lw=1.3, label=f"point {pid}: {desc}")
    figures.step_axis(ax)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    figures.plain_numbers(ax)
    figures.legend_outside(ax)
    ax.set_title(f"{metric}: median over replicates of each point (first {len(ids)})")
    return _png(fig)


def fig_outcome_vs_params(df, metric: str, points) -> str:
    """Each run's final value of `metric` against each swept parameter."""
    cols = [c for c in points.columns if c != "point_id"]
    if not cols:
        return ""
    last = df[df["metric"] == metric].sort_values("step").groupby("run_id").tail(1)
    last = last.merge(points, on="point_id", how="left")
    fig, axes = _fig(1, len(cols), figsize=(min(4.2 * len(cols), 12), 3.4), squeeze=False)
    for ax, c in zip(axes[0], cols):
        ax.scatter(last[c], last["value"], s=16, alpha=0.7, color="tab:blue", lw=0)
        ax.set_xlabel(c)
        ax.set_ylabel(f"{metric} at the end")
        ax.grid(alpha=0.3)
        figures.plain_numbers(ax)
        figures.plain_numbers(ax, "x")
    fig.suptitle(f"{metric} at the end of each run against the swept parameters")
    fig.tight_layout()
    return _png(fig)


def build_experiment_html(d: Path) -> str:
    import pandas as pd

    spec = _json(d / "experiment.json")
    design = spec.get("design") if isinstance(spec.get("design"), dict) else {}
    kind = design.get("kind") or spec.get("kind") or "sweep"
    records = list((d / "runs").glob("*.json"))
    failed = 0
    for p in records:
        try:
            failed += json.loads(p.read_text()).get("status") != "ok"
        except (OSError, ValueError):
            failed += 1
    df = _results(d)
    metrics = _shown_metrics(df)
    points = pd.read_parquet(d / "points.parquet") if (d / "points.parquet").exists() else None
    n_points = int(spec.get("n_points") or (len(points) if points is not None else 1))
    meta = (
        f"<p class='meta'>scenario <b>{html.escape(str(spec.get('scenario')))}</b> · hash "
        f"<code>{spec.get('scenario_hash')}</code> · design {html.escape(str(kind))} · "
        f"{n_points} point(s) × {spec.get('replicates')} replicate(s) · {spec.get('steps')} "
        f"steps · {len(records)} runs recorded, {failed} failed · tolqyn "
        f"{html.escape(str(spec.get('version', '')))}</p>"
    )
    body = [meta]
    fixed = spec.get("fixed_params") or {}
    axes = [a for a in design.get("axes", []) if isinstance(a, dict)]
    if axes:
        body.append(
            "<h2>Swept parameters</h2>"
            + _table(
                [[a.get("name"), a.get("low"), a.get("high"), a.get("kind", "")] for a in axes],
                ["parameter", "low", "high", "kind"],
            )
        )
    body.append("<h2>National series over runs</h2>")
    body.append(
        "<p>The median run and the bands that hold 50 % and 90 % of the runs on each step"
        + (
            " (all points together: the bands mix the design's spread with replicate noise)."
            if n_points > 1
            else f" ({len(df['run_id'].unique())} seeds of one point: replicate noise only)."
        )
        + " Scheduled events are in each run's manifest (the run report shows them).</p>"
    )
    body.append(fig_bands(df, metrics, f"{spec.get('scenario')}: median and bands over runs"))
    if points is not None and n_points > 1 and metrics:
        body.append(fig_points(df, metrics[0], points))
        body.append(fig_outcome_vs_params(df, metrics[0], points))
    if (d / "sensitivity.json").exists():
        body.append(sensitivity_section(d))
    if (d / "discovery.json").exists():
        body.append(discovery_section(d))
    body.append(
        "<details><summary>Fixed parameters</summary>"
        + _table([[k, v] for k, v in fixed.items()], ["parameter", "value"])
        + "</details>"
    )
    return _page(f"tolqyn experiment: {spec.get('scenario')} ({kind})", body)


# ------------------------------------------------------------------ sensitivity
SENS_INDICES = {
    "sobol": (("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total order ST")),
    "morris": (("mu_star", "mu_star_conf", "μ* (mean |elementary effect|)"),),
    "fast": (("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total order ST")),
}


def fig_sensitivity(name: str, indices: list[dict], method: str, conf: float) -> str:
    pairs = [p for p in SENS_INDICES.get(method, SENS_INDICES["sobol"]) if p[0] in indices[0]]
    if not pairs:
        return ""
    params = [str(r["parameter"]) for r in indices]
    order = np.argsort([-(r.get(pairs[-1][0]) or 0) for r in indices])
    fig, ax = _fig(figsize=(9, 0.55 * len(params) + 1.6))
    h = 0.8 / len(pairs)
    for k, (col, conf_col, label) in enumerate(pairs):
        vals = np.array([float(indices[i].get(col) or 0) for i in order])
        err = np.array([float(indices[i].get(conf_col) or 0) for i in order])
        y = np.arange(len(params)) + (k - (len(pairs) - 1) / 2) * h
        ax.barh(y, vals, height=h, xerr=err, capsize=3, label=label, alpha=0.85)
    ax.set_yticks(np.arange(len(params)))
    ax.set_yticklabels([params[i] for i in order])
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", lw=0.8)
    ax.grid(alpha=0.3, axis="x")
    figures.plain_numbers(ax, "x")
    figures.legend_outside(ax)
    ax.set_title(f"{name}: {method} indices, bars ± {100 * conf:g} % confidence interval")
    return _png(fig)


def sensitivity_section(d: Path) -> str:
    s = _json(d / "sensitivity.json")
    method = str(s.get("method", "sobol"))
    conf = float(s.get("conf_level", 0.95))
    out = [
        f"<h2>Sensitivity ({html.escape(method)})</h2>",
        f"<p>Indices with their {100 * conf:g} % confidence intervals (bootstrap). Replicate "
        "noise is the share of the variance of the point means that replicates alone would "
        "give: when it is large, add replicates before trusting any index.</p>",
    ]
    for name, o in (s.get("outputs") or {}).items():
        idx = o.get("indices") or []
        if not idx:
            continue
        out.append(f"<h3>{html.escape(name)}</h3>")
        noise = o.get("noise_share")
        if noise is not None:
            out.append(f"<p>Replicate noise: {100 * float(noise):.0f} % of the variance.</p>")
        out.append(fig_sensitivity(name, idx, method, conf))
        cols = [c for c in idx[0] if c not in ("output",)]
        out.append(
            _table([[_cell(r.get(c)) for c in cols] for r in idx], cols, range(1, len(cols)))
        )
    return "\n".join(out)


def _cell(v):
    return _fmt(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


# ------------------------------------------------------------------ discovery
def fig_prim(prim: dict) -> str:
    traj = prim.get("trajectory") or []
    if not traj:
        return ""
    cov = np.array([t["coverage"] for t in traj], dtype=float)
    den = np.array([t["density"] for t in traj], dtype=float)
    mass = np.array([t["mass"] for t in traj], dtype=float)
    fig, ax = _fig(figsize=(7.5, 4.2))
    ax.plot(cov, den, color="0.6", lw=0.8, zorder=1)
    sc = ax.scatter(cov, den, c=mass, cmap="viridis", s=28, zorder=2)
    box = prim.get("box") or {}
    if box:
        ax.scatter(
            [box["coverage"]], [box["density"]], marker="*", s=220, color="tab:red",
            zorder=3, label="chosen box",
        )  # fmt: skip
    base = prim.get("base_density")
    if base is not None:
        ax.axhline(base, color="0.4", ls=":", lw=1, label=f"base rate ({100 * base:.0f} %)")
    ax.set_xlabel("coverage (share of all outcome runs inside the box)")
    ax.set_ylabel("density (share of runs in the box with the outcome)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    cb = fig.colorbar(sc, ax=ax, label="mass (share of all runs in the box)", pad=0.02)
    cb.ax.tick_params(labelsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=2, fontsize=8, frameon=False)
    ax.set_title("PRIM peeling trajectory: the coverage-density trade-off")
    return _png(fig)


def discovery_section(d: Path) -> str:
    r = _json(d / "discovery.json")
    prim, cart = r.get("prim") or {}, r.get("cart") or {}
    out = [
        "<h2>Scenario discovery</h2>",
        f"<p>Outcome <code>{html.escape(str(r.get('condition')))}</code>: {r.get('positives')} "
        f"of {r.get('cases')} runs ({100 * float(r.get('base_rate') or 0):.0f} %). PRIM peels "
        "the parameter box step by step: each step raises the density and lowers the "
        "coverage; the chosen box is starred.</p>",
        fig_prim(prim),
    ]
    box = prim.get("box") or {}
    if box.get("limits"):
        out.append(
            _table(
                [[k, _fmt(v[0]), _fmt(v[1])] for k, v in box["limits"].items()],
                ["parameter", "box low", "box high"],
                (1, 2),
            )
            + f"<p>density {100 * box['density']:.0f} %, coverage {100 * box['coverage']:.0f} "
            f"%, mass {100 * box['mass']:.0f} % of the runs.</p>"
        )
    if cart.get("leaves"):
        out.append(
            f"<h3>CART rules (training accuracy {100 * float(cart.get('accuracy', 0)):.0f} %)</h3>"
            + _table(
                [
                    [lf["rule"], lf["cases"], lf["positives"], f"{100 * lf['share']:.0f} %"]
                    for lf in cart["leaves"]
                ],
                ["rule", "runs", "with the outcome", "share"],
                (1, 2, 3),
            )
        )
    return "\n".join(out)


# ------------------------------------------------------------------ calibration
def _posterior(d: Path):
    import pandas as pd

    p = d / "posterior.parquet"
    if not p.exists():
        raise TolqynError(f"{d}: posterior.parquet is missing")
    post = pd.read_parquet(p)
    w = post["weight"].to_numpy(dtype=float) if "weight" in post else np.ones(len(post))
    return post.drop(columns=[c for c in ("weight",) if c in post]), w / w.sum()


def fig_posterior_hists(post, w, params: dict) -> str:
    cols = list(post.columns)
    fig, axes = _fig(1, len(cols), figsize=(min(3.6 * len(cols), 12), 3.2), squeeze=False)
    for ax, c in zip(axes[0], cols):
        lo, hi = (params.get(c) or {}).get("prior", [post[c].min(), post[c].max()])
        ax.hist(post[c], bins=15, range=(lo, hi), weights=w, density=True, color="tab:blue",
                alpha=0.7, label="posterior")  # fmt: skip
        ax.axhline(1.0 / (hi - lo), color="0.3", ls="--", lw=1, label="prior (uniform)")
        ax.set_xlim(lo, hi)
        ax.set_xlabel(c)
        ax.set_yticks([])
        figures.plain_numbers(ax, "x")
    axes[0][0].set_ylabel("density")
    figures.legend_outside(axes[0][-1])
    fig.suptitle("Posterior of each parameter (weighted particles) over its prior range")
    fig.tight_layout()
    return _png(fig)


def fig_pairs(post, w, params: dict) -> str:
    cols = list(post.columns)
    if len(cols) < 2:
        return ""
    k = len(cols)
    fig, axes = _fig(k, k, figsize=(2.6 * k + 0.6, 2.6 * k), squeeze=False)
    lims = {c: (params.get(c) or {}).get("prior", [post[c].min(), post[c].max()]) for c in cols}
    for i, ci in enumerate(cols):
        for j, cj in enumerate(cols):
            ax = axes[i][j]
            if i == j:
                ax.hist(post[ci], bins=15, range=lims[ci], weights=w, color="tab:blue", alpha=0.7)
                ax.set_yticks([])
            elif i > j:
                ax.scatter(post[cj], post[ci], s=400 * w / w.max() * 0.1 + 4, alpha=0.5, lw=0)
                ax.set_xlim(*lims[cj])
                ax.set_ylim(*lims[ci])
            else:
                ax.set_axis_off()
                continue
            if i == k - 1:
                ax.set_xlabel(cj, fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(ci, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("Posterior pair plot (point size: weight)")
    fig.tight_layout()
    return _png(fig)


def pyabc_section(d: Path, params: dict) -> str:
    """pyABC's own plots from its database: the KDE matrix of the last generation and the
    epsilon and effective sample size of each generation."""
    db = d / "abc.db"
    if not db.exists():
        return ""
    try:
        import pyabc
        from pyabc import visualization as vis
    except ImportError:
        return "<p class='note'>pyABC is not installed: its plots are left out.</p>"
    out = ["<h3>pyABC's own plots</h3>"]
    h = pyabc.History(f"sqlite:///{db}", create=False)
    limits = {k: tuple(v["prior"]) for k, v in params.items() if "prior" in v}
    plt = _report()._mpl()
    plots = [
        (
            "posterior KDE matrix (last generation)",
            lambda: vis.plot_kde_matrix_highlevel(h, limits=limits or None),
        )
    ]
    if h.max_t >= 1:  # the curves need two generations or more
        plots += [
            ("epsilon by generation", lambda: vis.plot_epsilons(h)),
            ("effective sample size by generation", lambda: vis.plot_effective_sample_sizes(h)),
        ]
    else:
        out.append(
            "<p>One generation only: pyABC's epsilon and effective-sample-size curves need "
            "two or more (run with more --generations).</p>"
        )
    for title, draw in plots:
        try:
            result = draw()
        except (ValueError, KeyError, IndexError, TypeError, np.linalg.LinAlgError) as e:
            # a one-generation or degenerate posterior: say which plot and why
            out.append(f"<p class='note'>pyABC: {html.escape(title)} not drawn ({e}).</p>")
            plt.close("all")
            continue
        ax = np.atleast_1d(result).ravel()[0] if not hasattr(result, "figure") else result
        fig = ax.figure if hasattr(ax, "figure") else plt.gcf()
        for a in fig.axes:  # pyABC's colour bars print a 1e-5 multiplier otherwise
            figures.plain_numbers(a)
        out.append(f"<p><b>pyABC: {html.escape(title)}</b></p>" + _png(fig))
    return "\n".join(out)


def build_calibration_html(d: Path) -> str:
    import base64

    c = _json(d / "calibration.json")
    params = c.get("parameters") or {}
    post, w = _posterior(d)
    ess = 1.0 / float(np.sum(w**2))
    body = [
        f"<p class='meta'>scenario <b>{html.escape(str(c.get('scenario')))}</b> · hash "
        f"<code>{c.get('scenario_hash')}</code> · ABC-SMC ({html.escape(str(c.get('sampler')))}"
        f") · population {c.get('population')} · {c.get('generations')} generation(s) · "
        f"{c.get('simulations')} simulations · seed {c.get('seed')} · targets from "
        f"{html.escape(str(c.get('targets_source')))}</p>",
        "<h2>Posterior</h2>",
        f"<p>{len(post)} weighted particles (effective sample size {ess:.0f}); the final "
        f"epsilon is {_fmt((c.get('epsilons') or [None])[-1])}.</p>",
        _table(
            [
                [
                    k,
                    _fmt(v.get("q50")),
                    _fmt(v.get("q05")),
                    _fmt(v.get("q95")),
                    f"U({_fmt(v['prior'][0])}, {_fmt(v['prior'][1])})" if v.get("prior") else "",
                ]
                for k, v in params.items()
            ],  # fmt: skip
            ["parameter", "median", "5 %", "95 %", "prior"],
            (1, 2, 3),
        ),
        fig_posterior_hists(post, w, params),
        fig_pairs(post, w, params),
        pyabc_section(d, params),
        "<h2>Targets (fitted)</h2>",
        _table(
            [
                [
                    t.get("name"),
                    t.get("metric"),
                    t.get("stat"),
                    t.get("region"),
                    t.get("at") or "",
                    _fmt(t.get("observed")),
                    _fmt(t.get("scale")),
                    t.get("doc", ""),
                ]
                for t in c.get("targets") or []
            ],  # fmt: skip
            ["target", "metric", "statistic", "region", "at", "observed", "scale", "source"],
            (5, 6),
        ),
    ]
    pc = c.get("predictive_check") or []
    if pc:
        body.append(
            f"<h2>Posterior predictive check ({c.get('n_predictive')} draws)</h2>"
            + _table(
                [
                    [
                        r["target"],
                        _fmt(r["observed"]),
                        _fmt(r["median"]),
                        f"{_fmt(r['q05'])}–{_fmt(r['q95'])}",
                        "yes" if r.get("covered") else "no",
                    ]
                    for r in pc
                ],  # fmt: skip
                ["target", "observed", "simulated median", "90 % interval", "covered"],
                (1, 2),
            )
        )
    for p in sorted(d.glob("predictive_*.png")):
        data = base64.b64encode(p.read_bytes()).decode()
        body.append(f'<img alt="{html.escape(p.name)}" src="data:image/png;base64,{data}">')
    cf = c.get("counterfactuals") or []
    if cf:
        cols = list(cf[0])
        body.append(
            "<h2>Counterfactuals over the posterior</h2>"
            + _table([[_cell(r.get(k)) for k in cols] for r in cf], cols)
        )
    return _page(f"tolqyn calibration: {c.get('scenario')}", body)
