"""Observed emigration of 2004-2019 as targets of the exit scenario (kazakhstan-exit).

The figures are those of `tolqyn.data.series.emigration_figures` (the pack's emigration.csv),
each fitted or only checked. A figure for a whole year or for the first months of a year is the
year-to-date count (`emigrants_ytd`, or its cell of the figure's group or destination, found
by the model's declarations, never by building or parsing names) read in the period's last month (on its 15th, as the exit
calibration reads it); a non-CIS total bounds the emigrants to Germany from above. Counts match
within a factor 1 + tolerance, the calibration's relative scale of the figure's kind."""

from __future__ import annotations

from tolqyn.observe.targets import Target

# relative scale of each kind of figure (the calibration's distance divides by it)
TOLERANCE = {"total": 0.15, "russian": 0.15, "german": 0.30}
DEFAULT_TOLERANCE = 0.2


def figure_metric(f, base: str = "emigrants_ytd") -> str:
    """The recorded metric a figure is read from: the cell of `base` (the year-to-date count
    by default) that the figure's group or destination names, by the model's declarations."""
    from tolqyn.models.exit.destinations import cell_metric

    return cell_metric(base, **f.cell)


def tolerance_of(f) -> float:
    """The relative scale of a figure: by its group (all emigrants = "total")."""
    kind = "total" if not f.dims else f.cell.get("group", "")
    return TOLERANCE.get(kind, DEFAULT_TOLERANCE)


def read_date(end: str) -> str:
    """The day a period ending (exclusive) on `end` is read: the 15th of its last month."""
    y, m = int(end[:4]), int(end[5:7])
    y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return f"{y}-{m:02d}-15"


def targets(role: str | None = None) -> list[Target]:
    """The emigration figures as observation targets (of one role when given)."""
    from tolqyn.data.series import emigration_figures

    out = []
    for f in emigration_figures():
        r = "fitted" if f.role == "fit" else "checked"
        if role is not None and r != role:
            continue
        upper = f.name.startswith("non_cis")
        period = f"{f.start[:7]} to {read_date(f.end)[:7]}"
        out.append(
            Target(
                name=f.name,
                kind="count",
                metric=figure_metric(f),
                role=r,
                date=read_date(f.end),
                value=float(f.observed),
                unit="emigrants",
                label=f"{f.name.replace('_', ' ')} ({period})"
                + (" — an upper bound" if upper else ""),
                source=f.source + (f"; {f.note}" if f.note else ""),
                tolerance_factor=1.0 + tolerance_of(f),
                at_most=upper,
            )
        )
    return out


def targets_for(run, role: str | None = None) -> list[Target]:
    """The figures a run can be judged on: a run on the Kazakhstan pack that records the
    year-to-date emigrants, for the figures whose reading day falls inside the run."""
    from tolqyn.observe import stats as st

    params = run.manifest.get("parameters") or {}
    if str(params.get("country", "")) != "kazakhstan" or not st.has(run, "emigrants_ytd"):
        return []
    start = run.manifest.get("start_date")
    if not start:
        return []
    clock = st.clock_of(run)
    return [
        t
        for t in targets(role)
        if start <= t.date and clock.step_of(t.date) <= run.n_rows - 1 and st.has(run, t.metric)
    ]
