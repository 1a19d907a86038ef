"""The vocabulary of statistics that turn a run into numbers comparable with observations.
Every function reads a `RunResult` (`tolqyn.core.results`); rows are result rows (row s is the
state at the end of step s, row 0 the initial state) and dates become rows only through the
run's clock (`row_of`). One function per statistic: the report, the calibration distance, the
tests, the benchmarks and the dashboard all call these.

Defaults, in one place (`DEFAULTS`), each overridable per observation record:

- `min_active` = 300 persons: a region "has protest" once at least this many persons are
  active there (the few hundred a chronology reports as a rally). 0 means anyone active.
- `end_share` = 0.05: a wave has ended at the first row after its peak at which the series
  is at or below 5 % of the peak.
- `tolerance_factor` = 1.5: a count matches when simulated and observed are within this
  factor of each other.
- `tolerance_days` = 0: a date matches only on the day itself.
- `tolerance_units`: a number of regions matches within max(2, 20 % of the observed)."""

from __future__ import annotations

import math

import numpy as np

DEFAULTS = {
    "min_active": 300.0,
    "end_share": 0.05,
    "tolerance_factor": 1.5,
    "tolerance_days": 0.0,
}
STATUS_METRICS = ("quiet", "active", "jailed", "emigrated", "dead")


def spread_tolerance(observed: float) -> float:
    """Regions reached by a date match within max(2, 20 % of the observed count)."""
    return max(2.0, 0.2 * float(observed))


# ------------------------------------------------------------------ time
def clock_of(run):
    """The clock of the run (its dt and start date), from the manifest."""
    from tolqyn.core.clock import Clock

    m = run.manifest
    return Clock(
        int(m.get("steps", run.n_rows - 1)), float(m.get("dt_days", 1.0)), m.get("start_date")
    )


def row_of(run, when) -> int:
    """The result row of a date: the end of that day (the last step that starts on it, so
    "detained by 11 January" counts the whole day at any dt <= 1 day; the step that contains
    it at a coarser step); of a date with a time of day, the step it falls in; of a step
    number, that step. A date after the run is the last row."""
    import datetime as _dt

    clock = clock_of(run)
    row = clock.step_of(when)
    if isinstance(when, (str, _dt.date)) and not isinstance(when, _dt.datetime):
        text = str(when).strip()
        if "T" not in text and " " not in text and clock.has_calendar:
            nxt = _dt.date.fromisoformat(text[:10]) + _dt.timedelta(days=1)
            row = max(row, clock.step_of(nxt.isoformat()) - 1)
    return min(row, clock.n_steps, run.n_rows - 1)


def day_of_row(run, row: int) -> float:
    """Days from the start to the end of a row's step, in whole days below a daily step
    (`Clock.day_number`): a row of 3 January is day 3 at dt = 1, 1/2 or 1/4."""
    return clock_of(run).day_number(int(row))


def date_of(run, row: int | None) -> str | None:
    """The date of a result row (None without a calendar or without a row)."""
    if row is None:
        return None
    return clock_of(run).date_at(int(row))


# ------------------------------------------------------------------ series
def series(run, metric: str, region: str = "ALL") -> np.ndarray:
    """A metric's series; `a+b` is the sum of several metrics (e.g. civilian and security
    deaths), so that a total the model records in parts needs no alias table."""
    parts = [p.strip() for p in metric.split("+")]
    ys = [run.series(p, region) for p in parts]
    return ys[0] if len(ys) == 1 else np.sum(ys, axis=0)


def has(run, metric: str) -> bool:
    return all(run.has(p.strip()) for p in metric.split("+"))


def by_region(run, metric: str) -> np.ndarray | None:
    """(rows, regions) in the order of run.regions, or None without regional rows."""
    parts = [p.strip() for p in metric.split("+")]
    arrs = [run.by_region(p) for p in parts]
    if any(a is None for a in arrs):
        return None
    return arrs[0] if len(arrs) == 1 else np.sum(arrs, axis=0)


def population(run, region: str = "ALL") -> np.ndarray:
    """Persons in the run per row (all statuses), for shares."""
    return np.sum([run.series(m, region) for m in STATUS_METRICS if run.has(m)], axis=0)


# ------------------------------------------------------------------ statistics
def value_at(run, metric: str, when=None, region: str = "ALL") -> float:
    """The count (or level) at a date; without a date, at the end of the run."""
    y = series(run, metric, region)
    return float(y[-1] if when is None or when == "" else y[row_of(run, when)])


def share_at(run, metric: str, when=None, region: str = "ALL") -> float:
    """The metric as a share of the persons in the region (all statuses) at a date."""
    i = -1 if when is None or when == "" else row_of(run, when)
    pop = population(run, region)[i]
    return float(series(run, metric, region)[i] / pop) if pop > 0 else math.nan


def peak(run, metric: str = "active", region: str = "ALL") -> tuple[int | None, float]:
    """(row, size) of the maximum; (None, 0) when the series never rises above zero."""
    y = np.nan_to_num(series(run, metric, region))
    if not y.size or y.max() <= 0:
        return None, 0.0
    i = int(np.argmax(y))
    return i, float(y[i])


def largest_region(run, metric: str, row: int) -> str | None:
    """The region with the largest value on a row."""
    a = by_region(run, metric)
    if a is None or row is None:
        return None
    v = np.nan_to_num(a[row])
    return run.regions[int(np.argmax(v))] if v.max() > 0 else None


def first_row_over(y: np.ndarray, threshold: float) -> int | None:
    """First row >= 1 at which a series is positive and at least `threshold`."""
    y = np.nan_to_num(np.asarray(y, dtype=float))
    hit = np.nonzero((y[1:] > 0) & (y[1:] >= threshold))[0]
    return int(hit[0]) + 1 if hit.size else None


def onsets(run, metric: str = "active", min_active: float | None = None) -> dict:
    """{region: first row with at least min_active persons (None: never)}."""
    thr = DEFAULTS["min_active"] if min_active is None else float(min_active)
    a = by_region(run, metric)
    if a is None:
        return {}
    return {c: first_row_over(a[:, j], thr) for j, c in enumerate(run.regions)}


def units_reached(run, when, metric: str = "active", min_active: float | None = None) -> int:
    """Regions that had reached min_active persons at some row up to a date."""
    upto = row_of(run, when)
    return sum(1 for r in onsets(run, metric, min_active).values() if r is not None and r <= upto)


def end_of_wave(run, metric: str = "active", region: str = "ALL", share: float | None = None):
    """First row after the peak at which the series is at or below `share` of the peak
    (None: the wave outlasts the run, or there was none)."""
    share = DEFAULTS["end_share"] if share is None else float(share)
    p, size = peak(run, metric, region)
    if p is None:
        return None
    y = np.nan_to_num(series(run, metric, region))
    below = np.nonzero(y[p:] <= share * size)[0]
    return int(p + below[0]) if below.size else None


def duration(run, metric: str = "active", region: str = "ALL", min_active=None, share=None):
    """Days from the first row with min_active persons to the end of the wave (None if
    either is undefined)."""
    start = first_row_over(
        series(run, metric, region), DEFAULTS["min_active"] if min_active is None else min_active
    )
    end = end_of_wave(run, metric, region, share)
    if start is None or end is None:
        return None
    return (end - start) * float(run.manifest.get("dt_days", 1.0))


def share_by_region(run, metric: str, when=None) -> dict:
    """Each region's share of the national total at a date (end of the run by default)."""
    a = by_region(run, metric)
    if a is None:
        return {}
    i = -1 if when is None or when == "" else row_of(run, when)
    v = np.nan_to_num(a[i])
    tot = v.sum()
    return {c: (float(v[j] / tot) if tot > 0 else math.nan) for j, c in enumerate(run.regions)}


def period_totals(run, metric: str, freq: str = "Y", region: str = "ALL") -> dict:
    """Yearly ("Y") or monthly ("M") values aggregated as the metric declares (flows summed,
    count stocks at the period's last value, other stocks averaged)."""
    return run.resample(metric, freq, region).to_dict()


def onset_rank_correlation(
    run, observed_days: dict, metric: str = "active", min_active: float | None = None
) -> float:
    """Spearman's ρ between the simulated first row with min_active persons and the observed
    first day, over the units of `observed_days` ({region: day, counted like rows}) that the run
    has. Ties get their average rank; a unit that never gets there in the run ranks after every
    unit that does (tied with the others that never do). NaN with fewer than three units or
    when either side has no spread of ranks."""
    from scipy.stats import spearmanr

    first = onsets(run, metric, min_active)
    codes = [c for c in observed_days if c in first]
    if len(codes) < 3:
        return math.nan
    never = run.n_rows  # one row past the end of the run
    sim = np.array([never if first[c] is None else first[c] for c in codes], dtype=float)
    obs = np.array([float(observed_days[c]) for c in codes])
    if np.ptp(sim) == 0 or np.ptp(obs) == 0:
        return math.nan
    return float(spearmanr(sim, obs).statistic)


def units_reached_of(
    run, regions, when=None, metric: str = "active", min_active: float | None = None
) -> list:
    """The regions of `regions` that had reached min_active persons by a date (by the end of
    the run without one): for units a chronology says never joined."""
    upto = run.n_rows - 1 if when is None or when == "" else row_of(run, when)
    first = onsets(run, metric, min_active)
    return [c for c in regions if first.get(c) is not None and first[c] <= upto]
