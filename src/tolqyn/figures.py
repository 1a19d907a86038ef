"""What every tolqyn figure follows (the HTML reports, `result.plot()`, ensembles):

- region names, never bare codes, from the run's country pack (its units table);
- time axes in calendar dates with the year on every tick label;
- one event timeline per figure: shaded bands on each panel, numbers above the top panel and
  one numbered key below the figure (the report's events table uses the same numbers);
- plain numbers on the axes (thousands separators, no offset or 1e7 multiplier);
- legends outside the data area."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

CODE = re.compile(r"\b[A-Z]{2}-[0-9A-Z]{1,3}\b")  # ISO 3166-2 subdivision codes


# ------------------------------------------------------------------ region names
@lru_cache(maxsize=16)
def _pack_names(pack: str) -> tuple[tuple[str, str], ...]:
    from tolqyn.packs.reader import load_pack

    p = load_pack(pack)
    u = p.tables["units"]
    names = dict(zip(map(str, u["code"]), map(str, u["name"])))
    # units merged into a parent on an earlier basis (jan2022) are named by the parent
    for parent, pname in zip(u.get("parent_code", []), u.get("parent_name", [])):
        if parent and pname and str(parent) not in names:
            names[str(parent)] = str(pname)
    return tuple(names.items())


def pack_of(run) -> str | None:
    """The country pack a run used (its `country` parameter), if any."""
    params = run.manifest.get("parameters") or {}
    pack = params.get("country") or run.manifest.get("country")
    return str(pack) if pack else None


def region_names(run=None) -> dict[str, str]:
    """Code -> name of the run's country pack (Kazakhstan's when no run is given)."""
    from tolqyn.core.errors import TolqynError

    pack = (pack_of(run) if run is not None else None) or "kazakhstan"
    try:
        return dict(_pack_names(pack))
    except (TolqynError, OSError):  # a user's pack that moved since the run: codes stay
        return {}


def region_label(code: str, names: dict[str, str]) -> str:
    """'Mangystau Region' for 'KZ-47'; the whole country for 'ALL'; the code if unknown."""
    if code == "ALL":
        return "whole country"
    return names.get(code, code)


def name_codes(text: str, names: dict[str, str]) -> str:
    """Every region code in a text replaced by the region's name."""
    return CODE.sub(lambda m: names.get(m.group(0), m.group(0)), str(text))


def boundaries(run) -> dict | None:
    """The run's pack boundaries (GeoJSON), or None when the pack ships none."""
    import json

    from tolqyn.core.errors import TolqynError
    from tolqyn.packs.reader import resolve

    try:
        path = resolve(pack_of(run) or "kazakhstan") / "boundaries.geojson"
    except TolqynError:
        return None
    if not path.exists():
        return None
    with open(path) as f:
        return json.load(f)


def feature_code(feature: dict) -> str | None:
    props = feature.get("properties", {})
    for k in ("code", "iso_3166_2", "ISO_3166_2", "iso", "shapeISO", "ADM1_ISO"):
        if props.get(k):
            return str(props[k])
    for v in props.values():
        if isinstance(v, str) and CODE.fullmatch(v):
            return v
    return None


# ------------------------------------------------------------------ axes
def x_of(run):
    """(x values, kind): dates (datetime64[D]) for calendar runs, steps otherwise."""
    dates = run.dates()
    if dates and all(dates):
        return np.array(dates, dtype="datetime64[D]"), "date"
    return np.asarray(run.steps), "step"


def date_axis(ax, x=None, label: str | None = None) -> None:
    """Calendar ticks that always carry the year: '5 Jan 2022' over weeks, 'Jan 2014' over
    a few years, '2014' over decades."""
    import matplotlib.dates as mdates

    lo, hi = ax.get_xlim() if x is None else (mdates.date2num(x[0]), mdates.date2num(x[-1]))
    span = hi - lo
    if span <= 120:
        loc, fmt = mdates.AutoDateLocator(minticks=4, maxticks=10), "%-d %b %Y"
    elif span <= 6 * 365:
        loc, fmt = mdates.AutoDateLocator(minticks=4, maxticks=9), "%b %Y"
    else:
        loc, fmt = mdates.YearLocator(base=max(1, int(span / 365 / 10) + 1)), "%Y"
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
    for lab in ax.get_xticklabels():
        lab.set_rotation(30)
        lab.set_ha("right")
    if label:
        ax.set_xlabel(label)


def plain_numbers(ax, axis: str = "y") -> None:
    """Full numbers with thousands separators: no offset, no 1e7 multiplier."""
    from matplotlib.ticker import FuncFormatter

    def fmt(v, _pos):
        if v == 0:
            return "0"
        a = abs(v)
        if a >= 1000 or float(v).is_integer():
            return f"{v:,.0f}"
        if a >= 1:
            return f"{v:,.1f}".rstrip("0").rstrip(".")
        return np.format_float_positional(v, precision=2, fractional=False, trim="-")

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(fmt))


def step_axis(ax, label: str = "step") -> None:
    """Whole steps on the x axis (no 2.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label)


def legend_outside(ax, **kw) -> None:
    """The legend to the right of the axes, never over the data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, **kw)


# ------------------------------------------------------------------ events
def event_days(run) -> list[tuple[int, list[str], list[str]]]:
    """(step, ids, labels) of each step with scheduled events, in order; parameter changes
    without a label (`set`) are left out. The numbers of the timeline are positions here."""
    by_step: dict[int, tuple[list[str], list[str]]] = {}
    for e in run.manifest.get("events_applied", []):
        if e.get("action") == "set" and not e.get("label"):
            continue
        ids, labels = by_step.setdefault(int(e["step"]), ([], []))
        short = str(e.get("id") or e.get("action"))
        if short not in ids:
            ids.append(short)
        lab = str(e.get("label") or e.get("action"))
        if lab not in labels:
            labels.append(lab)
    return [(s, ids, labels) for s, (ids, labels) in sorted(by_step.items())]


def event_number(run) -> dict[int, int]:
    """step -> its number on the timeline."""
    return {s: n for n, (s, _, _) in enumerate(event_days(run), 1)}


def timeline(axes, run, x, key: bool = True, fig=None, labels: bool = False) -> None:
    """The event timeline of a figure: each step with events shaded on every panel, its row
    marked by a line, numbered above the top panel, and (with `key`) one numbered key: under
    the figure when `fig` is given (stacked panels: event ids in columns), else under the
    axes (one axes that may sit in a user's grid: one line per day with the events' labels)."""
    axes = list(np.atleast_1d(axes))
    days = [(s, ids, labs) for s, ids, labs in event_days(run) if 0 <= s < len(x)]
    if not days:
        return
    for ax in axes:
        for s, _, _ in days:
            # the event acts during step s, between the row before and the step's row
            lo = x[s - 1] if s >= 1 else x[s]
            ax.axvspan(lo, x[s], color="tab:orange", alpha=0.10, lw=0, zorder=0)
            ax.axvline(x[s], color="tab:orange", alpha=0.55, lw=0.8, zorder=0)
    top = axes[0]
    near = max(1, len(x) // 60)  # steps apart below which two numbers would touch
    prev, raised = None, False
    for n, (s, _, _) in enumerate(days, 1):
        # numbers of neighbouring steps alternate between two heights so none overprints
        raised = prev is not None and s - prev <= near and not raised
        top.annotate(
            str(n),
            (x[s], 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 9 if raised else 2),
            textcoords="offset points",
            fontsize=7,
            ha="center",
            va="bottom",
            color="#b35900",
            annotation_clip=False,
        )
        prev = s
    if not key:
        return
    style = {"fontsize": 7, "family": "monospace", "va": "top", "ha": "left", "color": "#444"}
    if fig is None or labels:
        lines = []
        for n, (s, _, labs) in enumerate(days, 1):
            text = "; ".join(lab.split(" (")[0] for lab in labs)
            lines.append(f"{n:>2} {_day(x[s])}  {text[:90] + ('…' if len(text) > 90 else '')}")
        axes[-1].annotate(
            "\n".join(lines),
            (0.0, 0.0),
            xycoords="axes fraction",
            xytext=(0, -52),
            textcoords="offset points",
            annotation_clip=False,
            **style,
        )
        return
    ncol = 3 if len(days) > 4 else max(1, len(days))
    room = 140 // ncol - 18  # characters of ids per cell at 7 pt across a 10 in figure
    cells = []
    for n, (s, ids, _) in enumerate(days, 1):
        text = ", ".join(ids)
        cells.append(f"{n:>2} {_day(x[s])}  {text[:room] + ('…' if len(text) > room else '')}")
    rows = -(-len(cells) // ncol)
    width = max(len(c) for c in cells) + 1
    lines = [
        "".join(cells[c * rows + r].ljust(width) for c in range(ncol) if c * rows + r < len(cells))
        for r in range(rows)
    ]
    fig.text(
        axes[-1].get_position().x0,
        0.0,
        "Events (shaded, numbered above):\n" + "\n".join(lines),
        transform=fig.transFigure,
        **style,
    )


def _day(v) -> str:
    if isinstance(v, np.datetime64):
        import datetime as dt

        d = v.astype("datetime64[D]").astype(dt.date)
        return f"{d.day} {d:%b %Y}"
    return f"step {int(v)}"


def panels(
    run,
    series: list[tuple[str, np.ndarray, dict]],
    ylabels: list[str],
    title: str,
    x=None,
    kind=None,
    height: float = 1.8,
    events: bool = True,
):
    """Stacked panels sharing a time axis: `series` is a list of (panel index, values, plot
    keywords with an optional 'label'). Dates with the year, plain numbers, the event
    timeline once, legends outside. Returns the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if x is None:
        x, kind = x_of(run)
    n = len(ylabels)
    fig, axes = plt.subplots(n, 1, figsize=(10, height * n + 0.8), sharex=True, squeeze=False)
    axes = axes[:, 0]
    for i, y, kw in series:
        ax = axes[i]
        kw = dict(kw)
        ax.plot(x[: len(y)], y[: len(x)], lw=kw.pop("lw", 1.3), **kw)
    for ax, lab in zip(axes, ylabels):
        ax.set_ylabel(lab, fontsize=8)
        ax.grid(alpha=0.3)
        plain_numbers(ax)
        if any(line.get_label() and not line.get_label().startswith("_") for line in ax.lines):
            legend_outside(ax)
    if kind == "date":
        date_axis(axes[-1], x, "date (state at the end of the day)" if _daily(run) else "date")
    else:
        step_axis(axes[-1])
    fig.suptitle(title, y=1.0 + (0.05 / n if events and event_days(run) else 0.0))
    fig.tight_layout()
    if events:
        timeline(axes, run, x, fig=fig)
    return fig


def _daily(run) -> bool:
    return float(run.manifest.get("dt_days") or 1.0) <= 1.0
