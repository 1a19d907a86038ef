"""Does the answer depend on the time step? A scenario replayed at several dt (in days) and
seeds, summarised day by day through the observation layer, and compared with the finest step
within stated tolerances (issue 12: peak day ±1 day, counts within 1.3×, units reached by each
day ±2).

Daily statistics are defined so that they mean the same at any dt <= 1 day: protest on a day
is the mean over the day's steps of the citizens active (person-days per day); cumulative
counts are read at the end of the day (`observe.stats.row_of`); a unit is reached by a day
once it has had `min_active` persons active at some step up to the end of that day. The
comparison is made between the medians over seeds at each dt (`compare`), so that it asks
whether the model's answer moves with dt, not whether two random runs agree."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math

import numpy as np

from tolqyn.observe import stats as st

TOLERANCES = {"peak_days": 1.0, "count_factor": 1.3, "units": 2.0}
# counts compared (metric, date: None = the end of the run)
COUNTS = (
    ("participants_cumulative", None),
    ("detained_cumulative", "2022-01-11"),
    ("deaths_civilian_cumulative+deaths_security_cumulative", "2022-01-15"),
    ("injured_civilian_cumulative+injured_security_cumulative", "2022-01-15"),
)
COUNT_NAMES = ("participants", "detained by 11 Jan", "dead by 15 Jan", "injured by 15 Jan")
# below this many persons a count is noise at a coarse scale: it matches within a floor
COUNT_FLOOR = 50.0


def scenario_at(scenario, dt: float, days: float | None = None, params: dict | None = None):
    """The scenario with step dt (days) over the same span of days."""
    span = scenario.steps * scenario.dt if days is None else float(days)
    merged = dict(scenario.params)
    merged.update(params or {})
    return dataclasses.replace(scenario, dt=float(dt), steps=int(round(span / dt)), params=merged)


def run(scenario, dt: float, seed: int, params: dict | None = None):
    from tolqyn.core.sim import Sim

    return Sim(scenario_at(scenario, dt, params=params), seed=seed).run()


def daily_mean(run_result, metric: str = "active", region: str = "ALL") -> np.ndarray:
    """Mean over each whole day's steps (person-days per day for a status count)."""
    dt = float(run_result.manifest.get("dt_days", 1.0))
    k = max(1, int(round(1.0 / dt)))
    y = np.nan_to_num(st.series(run_result, metric, region)[1:])
    n = (y.size // k) * k
    return y[:n].reshape(-1, k).mean(axis=1)


def summary(run_result, start_date: str, min_active: float | None = None) -> dict:
    """The day-by-day statistics of one run that the comparison uses."""
    nat = daily_mean(run_result)
    start = _dt.date.fromisoformat(start_date)
    dates = [(start + _dt.timedelta(days=d)).isoformat() for d in range(nat.size)]
    out = {
        "active_daily": nat,
        "peak_day": float(np.argmax(nat) + 1) if nat.max() > 0 else math.nan,
        "peak": float(nat.max()),
        "units_reached": np.array(
            [st.units_reached(run_result, d, min_active=min_active) for d in dates], dtype=float
        ),
    }
    for name, (metric, when) in zip(COUNT_NAMES, COUNTS):
        out[name] = st.value_at(run_result, metric, when) if st.has(run_result, metric) else 0.0
    by_unit = {}
    for code in run_result.regions:
        by_unit[code] = daily_mean(run_result, "active", code)
    out["active_daily_by_unit"] = by_unit
    return out


def median_summary(summaries: list[dict], how: str = "median") -> dict:
    """Median (or mean, `how="mean"`) over seeds of every statistic (day by day for the
    series)."""
    center = {"median": np.median, "mean": np.mean}[how]
    out = {}
    for key in summaries[0]:
        if key == "active_daily_by_unit":
            out[key] = {
                c: center([s[key][c] for s in summaries], axis=0) for c in summaries[0][key]
            }
        else:
            out[key] = center(np.array([s[key] for s in summaries], dtype=float), axis=0)
    return out


def compare(a: dict, ref: dict, tol: dict | None = None) -> list[str]:
    """Where `a` differs from `ref` beyond the tolerances (an empty list: they agree)."""
    tol = dict(TOLERANCES, **(tol or {}))
    bad = []
    if abs(a["peak_day"] - ref["peak_day"]) > tol["peak_days"]:
        bad.append(f"peak day {a['peak_day']:g} vs {ref['peak_day']:g}")
    f = tol["count_factor"]
    for name in ("peak",) + COUNT_NAMES:
        x, y = max(float(a[name]), COUNT_FLOOR), max(float(ref[name]), COUNT_FLOOR)
        if max(x / y, y / x) > f:
            bad.append(f"{name} {a[name]:.0f} vs {ref[name]:.0f} (x{max(x / y, y / x):.2f})")
    du = np.abs(a["units_reached"] - ref["units_reached"])
    for d in np.flatnonzero(du > tol["units"]):
        bad.append(
            f"units reached by day {d + 1}: {a['units_reached'][d]:g} vs "
            f"{ref['units_reached'][d]:g}"
        )
    return bad


def study(scenario, dts, seeds, params=None, min_active=None, progress=None) -> dict:
    """{dt: [summary per seed]} for the scenario at each dt."""
    out = {}
    for dt in dts:
        out[dt] = []
        for seed in seeds:
            r = run(scenario, dt, seed, params)
            out[dt].append(summary(r, scenario.start_date, min_active))
            if progress is not None:
                progress(dt, seed)
    return out


def false_failure_rate(
    pool: dict, ref_dt: float, n_seeds: int, draws: int = 400, seed=0, how: str = "median"
):
    """Share of resampled sets of `n_seeds` seeds per dt (drawn with replacement from the
    pool's runs) on which `compare` reports a difference for some dt: the chance that a test
    run on n_seeds seeds fails when the pool as a whole agrees."""
    rng = np.random.default_rng(seed)
    fails = 0
    for _ in range(draws):
        meds = {
            dt: median_summary([runs[i] for i in rng.integers(0, len(runs), n_seeds)], how)
            for dt, runs in pool.items()
        }
        if any(compare(meds[dt], meds[ref_dt]) for dt in meds if dt != ref_dt):
            fails += 1
    return fails / draws


def _excess(x, y, tol, alpha):
    """How far the (1 − alpha) lower confidence bound of |mean(x) − mean(y)| lies beyond tol
    (two-sample t with the seeds' variance pooled over both samples, which the step size does
    not change much; positive: the difference exceeds the tolerance beyond chance)."""
    from scipy.stats import t as student

    x, y = np.asarray(x, float), np.asarray(y, float)
    d = abs(x.mean() - y.mean())
    df = x.size + y.size - 2
    if df < 1:
        return d - tol
    pooled = (((x - x.mean()) ** 2).sum() + ((y - y.mean()) ** 2).sum()) / df
    se = math.sqrt(pooled * (1.0 / x.size + 1.0 / y.size))
    return d - float(student.ppf(1.0 - alpha, df)) * se - tol


def significant_differences(runs: list[dict], ref: list[dict], alpha: float = 0.01, tol=None):
    """The statistics on which the seeds of `runs` differ from those of `ref` by more than the
    tolerance beyond chance: the lower bound of a two-sample t (pooled variance, one-sided,
    level alpha per statistic) on the difference of means exceeds the tolerance (counts on a log scale against log 1.3; peak day
    against 1 day; units reached by each day against 2). With m statistics the chance of a
    failure when every true difference sits at its tolerance is at most m·alpha; inside the
    tolerances it is smaller (benchmarks/dt_convergence.py estimates it by resampling)."""
    tol = dict(TOLERANCES, **(tol or {}))
    bad = []

    def col(rs, key):
        return np.array([r[key] for r in rs], dtype=float)

    ex = _excess(col(runs, "peak_day"), col(ref, "peak_day"), tol["peak_days"], alpha)
    if ex > 0:
        bad.append(f"peak day (beyond ±{tol['peak_days']:g} by {ex:.2f} at level {alpha:g})")
    lf = math.log(tol["count_factor"])
    for name in ("peak",) + COUNT_NAMES:
        lx = np.log(np.maximum(col(runs, name), COUNT_FLOOR))
        ly = np.log(np.maximum(col(ref, name), COUNT_FLOOR))
        ex = _excess(lx, ly, lf, alpha)
        if ex > 0:
            bad.append(f"{name} (x{math.exp(abs(lx.mean() - ly.mean())):.2f}, beyond x1.3)")
    ux = np.array([r["units_reached"] for r in runs], dtype=float)
    uy = np.array([r["units_reached"] for r in ref], dtype=float)
    for d in range(min(ux.shape[1], uy.shape[1])):
        ex = _excess(ux[:, d], uy[:, d], tol["units"], alpha)
        if ex > 0:
            bad.append(f"units reached by day {d + 1} (beyond ±{tol['units']:g})")
    return bad


def rule_failure_rate(pool: dict, ref_dt: float, n_seeds: int, draws=400, alpha=0.01, seed=0):
    """Share of resampled sets of n_seeds seeds per dt (with replacement, from the pool) on
    which `significant_differences` fails for some dt: the test's false-failure rate when the
    pool agrees."""
    rng = np.random.default_rng(seed)
    fails = 0
    for _ in range(draws):
        pick = {
            dt: [runs[i] for i in rng.integers(0, len(runs), n_seeds)] for dt, runs in pool.items()
        }
        if any(
            significant_differences(pick[dt], pick[ref_dt], alpha) for dt in pick if dt != ref_dt
        ):
            fails += 1
    return fails / draws
