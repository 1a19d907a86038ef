"""Convergence in the time step: kazakhstan-2022 replayed at dt = 1, 1/2 and 1/4 day over
several seeds, compared day by day with the finest step (issue 12's tolerances: peak day
±1 day, counts within 1.3×, units reached by each day ±2; tolqyn.experiments.dt_convergence).

Writes benchmarks/results/dt_convergence.{json,md} and docs/results/dt_convergence.png, and
estimates the false-failure rate of the test (tests/test_dt_convergence.py: its scale and
number of seeds) by resampling seeds from this study's pool at that scale.

    python benchmarks/dt_convergence.py                       # scale 100, 12 seeds
    python benchmarks/dt_convergence.py --scale 500 --seeds 24 --test-seeds 4
    python benchmarks/dt_convergence.py --set revision_rate=4  # a finite revision rate
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from tolqyn.experiments import dt_convergence as C
from tolqyn.scenarios.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DTS = (1.0, 0.5, 0.25)


def _load():
    try:
        return [float(x) for x in os.getloadavg()]
    except OSError:
        return None


def _value(text):
    try:
        return float(text)
    except ValueError:
        return {"true": True, "false": False}.get(text.lower(), text)


def figure(pool, meds, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    colors = {1.0: "#1f77b4", 0.5: "#ff7f0e", 0.25: "#2ca02c"}
    for dt, runs in pool.items():
        days = np.arange(1, meds[dt]["active_daily"].size + 1)
        for s in runs:
            axes[0].plot(days, s["active_daily"] / 1e3, color=colors.get(dt), alpha=0.15, lw=0.8)
        axes[0].plot(
            days, meds[dt]["active_daily"] / 1e3, color=colors.get(dt), lw=2, label=f"dt = {dt:g}"
        )
        axes[1].step(
            days,
            meds[dt]["units_reached"],
            where="mid",
            color=colors.get(dt),
            lw=2,
            label=f"dt = {dt:g}",
        )
    axes[0].set(
        xlabel="day of January 2022",
        ylabel="active (thousands, mean over the day)",
        title="national protest (median and seeds)",
    )
    axes[1].set(
        xlabel="day of January 2022",
        ylabel="units with ≥ 300 active",
        title="units reached by each day (median)",
    )
    names = ("peak",) + C.COUNT_NAMES
    ref = meds[min(pool)]
    x = np.arange(len(names))
    for j, dt in enumerate(sorted(pool, reverse=True)):
        ratio = [max(meds[dt][n], C.COUNT_FLOOR) / max(ref[n], C.COUNT_FLOOR) for n in names]
        axes[2].bar(x + (j - 1) * 0.27, ratio, 0.27, color=colors.get(dt), label=f"dt = {dt:g}")
    f = C.TOLERANCES["count_factor"]
    axes[2].axhspan(1 / f, f, color="0.9", zorder=0, label="tolerance 1.3×")
    axes[2].set_xticks(
        x, ["peak"] + [n.replace(" by ", "\nby ") for n in C.COUNT_NAMES], fontsize=8
    )
    axes[2].set(ylabel=f"median / median at dt = {min(pool):g}", title="counts relative to dt = ¼")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="kazakhstan-2022")
    ap.add_argument("--scale", type=float, default=100.0)
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--test-seeds", type=int, default=3, help="seeds per dt in the test")
    ap.add_argument("--set", action="append", default=[], help="key=value parameter override")
    ap.add_argument(
        "--how",
        default="mean",
        choices=("mean", "median"),
        help="centre over seeds of the plain comparison",
    )
    ap.add_argument("--alpha", type=float, default=0.01, help="level of the test's rule")
    ap.add_argument("--tag", default="", help="suffix of the output files")
    ap.add_argument("--figure", default=str(ROOT / "docs" / "results" / "dt_convergence.png"))
    args = ap.parse_args(argv)
    params = {"scale": args.scale}
    for kv in args.set:
        k, v = kv.split("=", 1)
        params[k] = _value(v)
    sc = load_scenario(args.scenario)
    load0 = _load()
    t0 = time.perf_counter()
    pool = C.study(sc, DTS, range(1, args.seeds + 1), params)
    wall = time.perf_counter() - t0
    meds = {dt: C.median_summary(v) for dt, v in pool.items()}
    ref = min(DTS)
    verdicts = {dt: C.compare(meds[dt], meds[ref]) for dt in DTS if dt != ref}
    # the test's rule (significant_differences at level alpha) and, for comparison, the
    # plain comparison of centres over seeds
    ffr = C.rule_failure_rate(pool, ref, args.test_seeds, draws=400, alpha=args.alpha)
    ffr_by_n = {
        n: C.false_failure_rate(pool, ref, n, draws=400, how=args.how) for n in (2, 3, 4, 6, 8)
    }
    out = {
        "scenario": args.scenario,
        "params": params,
        "seeds": args.seeds,
        "dts": list(DTS),
        "tolerances": C.TOLERANCES,
        "wall_s": round(wall, 1),
        "load_before": load0,
        "load_after": _load(),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus",
        "median": {
            str(dt): {
                "peak_day": m["peak_day"],
                "peak": m["peak"],
                **{n: m[n] for n in C.COUNT_NAMES},
                "units_reached": m["units_reached"].tolist(),
                "active_daily": np.round(m["active_daily"]).tolist(),
            }
            for dt, m in meds.items()
        },
        "differences_from_finest": {str(dt): v for dt, v in verdicts.items()},
        "test_false_failure_rate": {
            "seeds_per_dt": args.test_seeds,
            "rate": ffr,
            "centre": args.how,
            "by_seeds_per_dt": ffr_by_n,
        },
        "per_seed": {
            str(dt): [
                {
                    k: (v.tolist() if isinstance(v, np.ndarray) else v)
                    for k, v in s.items()
                    if k != "active_daily_by_unit"
                }
                for s in runs
            ]
            for dt, runs in pool.items()
        },
    }
    tag = f"-{args.tag}" if args.tag else ""
    res = ROOT / "benchmarks" / "results"
    res.mkdir(parents=True, exist_ok=True)
    (res / f"dt_convergence{tag}.json").write_text(json.dumps(out, indent=1))
    lines = [
        f"# dt convergence: {args.scenario}, scale {args.scale:g}, {args.seeds} seeds",
        "",
        f"Overrides: {params}. Wall {wall:.0f} s, load {load0} -> {_load()} ({out['machine']}).",
        "",
        "| dt | peak day | peak (mean over day) | "
        + " | ".join(C.COUNT_NAMES)
        + " | units by 2, 3, 4, 5 Jan |",
        "|---|---|---|" + "---|" * len(C.COUNT_NAMES) + "---|",
    ]
    # rows by date: kazakhstan-2022 starts with two quiet weeks of December
    start = datetime.date.fromisoformat(sc.start_date or "2022-01-01")
    jan1 = max(0, (datetime.date(2022, 1, 1) - start).days)
    for dt, m in meds.items():
        u = m["units_reached"][jan1 + 1 : jan1 + 5]
        peak = start + datetime.timedelta(days=round(float(m["peak_day"])) - 1)
        lines.append(
            f"| {dt:g} | {peak:%d %b} | {m['peak']:,.0f} | "
            + " | ".join(f"{m[n]:,.0f}" for n in C.COUNT_NAMES)
            + " | "
            + ", ".join(f"{x:g}" for x in u)
            + " |"
        )
    lines += [""]
    for dt, v in verdicts.items():
        lines.append(f"- dt = {dt:g} vs {ref:g}: " + ("agrees" if not v else "; ".join(v)))
    lines.append(
        f"- test ({args.test_seeds} seeds per dt at this scale, a two-sample t (pooled variance) at level "
        f"{args.alpha:g} per statistic): estimated false-failure rate {ffr:.3f} (400 resamples "
        f"of this pool, with replacement); a plain comparison of the {args.how}s over 2, 3, 4, "
        f"6, 8 seeds would fail " + ", ".join(f"{v:.3f}" for v in ffr_by_n.values())
    )
    (res / f"dt_convergence{tag}.md").write_text("\n".join(lines) + "\n")
    if args.figure and not tag:
        figure(
            pool,
            meds,
            Path(args.figure),
            f"{args.scenario} at dt = 1, ½, ¼ day (scale {args.scale:g}, {args.seeds} seeds)",
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
