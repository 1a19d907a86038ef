#!/usr/bin/env python
"""Hand-tuning aid for the regional spread of kazakhstan-2022: run a small grid of parameter
settings over a few seeds and print, per setting, the median over seeds of the records the
spread is tuned to (the fitted totals, units reached by 3 and 4 Jan, Mangystau's crowd on 2
and 3 Jan, the peak day and region, the end).

It prints only the fitted records: the records held back for checking (units reached by 5 Jan,
the units that never joined, the rank order of first dates, crowd sizes outside Mangystau;
docs/odd/country.md §8) are never shown, so tuning with it cannot look at them.

    python scripts/spread_sweep.py --scale 100 --seeds 2022,1,2 \\
        --set link_national_share=0,0.05 --set link_distance_km=300,600
    python scripts/spread_sweep.py --base '{"suscept_wage": 0.3}' --set w_online=0.6,0.9

Each --set NAME=v1,v2,... adds an axis of the full-factorial grid; --base fixes overrides
for every run. Runs are serial (the machine is shared); each prints its wall time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if (ROOT / "src").is_dir():
    sys.path.insert(0, str(ROOT / "src"))

FITTED_COUNTS = (
    ("detained", "detained_cumulative", "2022-01-11", 9900),
    ("dead", "deaths_civilian_cumulative+deaths_security_cumulative", "2022-01-15", 225),
    ("dead_sec", "deaths_security_cumulative", "2022-01-15", 19),
    ("injured", "injured_civilian_cumulative+injured_security_cumulative", "2022-01-15", 4353),
    ("inj_sec", "injured_security_cumulative", "2022-01-15", 3393),
)


def measure(run) -> dict:
    from tolqyn.observe import stats as st

    out = {k: st.value_at(run, m, d) for k, m, d, _ in FITTED_COUNTS}
    out["by3"] = st.units_reached(run, "2022-01-03")
    out["by4"] = st.units_reached(run, "2022-01-04")
    crowd = "largest_site_crowd" if st.has(run, "largest_site_crowd") else "active"
    out["mang2"] = st.value_at(run, crowd, "2022-01-02", "KZ-47")
    out["mang3"] = st.value_at(run, crowd, "2022-01-03", "KZ-47")
    p, size = st.peak(run)
    out["peak_day"] = p if p is not None else 0
    out["peak"] = size
    out["peak_almaty"] = float(st.largest_region(run, "active", p) == "KZ-75")
    e = st.end_of_wave(run)
    out["end"] = e if e is not None else 99
    return out


def ok(m: dict) -> str:
    """Which fitted records the medians miss (counts within 1.5x, spread within max(2, 20 %))."""
    miss = [k for k, _, _, obs in FITTED_COUNTS if not obs / 1.5 <= m[k] <= obs * 1.5]
    if abs(m["by3"] - 8) > 2:
        miss.append("by3")
    if abs(m["by4"] - 13) > 2.6:
        miss.append("by4")
    if m["peak_day"] != 5:
        miss.append("peak_day")
    if m["peak_almaty"] < 1:
        miss.append("peak_region")
    if m["end"] > 12:
        miss.append("end")
    return "ok" if not miss else "miss " + ",".join(miss)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=100.0)
    ap.add_argument("--seeds", default="2022,1,2")
    ap.add_argument("--base", default="{}", help="JSON overrides for every run")
    ap.add_argument("--set", action="append", default=[], help="NAME=v1,v2,...")
    args = ap.parse_args(argv)

    from tolqyn.api import run_one

    seeds = [int(s) for s in args.seeds.split(",")]
    base = json.loads(args.base)
    base["scale"] = args.scale
    axes = []
    for spec in args.set:
        name, vals = spec.split("=", 1)
        axes.append([(name, json.loads(v)) for v in vals.split(",")])
    keys = [k for k, *_ in FITTED_COUNTS] + ["by3", "by4", "mang2", "mang3", "peak_day", "peak"]
    keys.append("peak_almaty")
    print("setting | " + " ".join(f"{k:>8}" for k in keys) + " | verdict")
    for combo in itertools.product(*axes) if axes else [()]:
        ov = {**base, **dict(combo)}
        t0 = time.perf_counter()
        ms = [measure(run_one("kazakhstan-2022", seed=s, overrides=ov)) for s in seeds]
        med = {k: statistics.median(m[k] for m in ms) for k in ms[0]}
        label = " ".join(f"{k}={v}" for k, v in combo) or "base"
        vals = " ".join(f"{med[k]:>8.{2 if k == 'peak_almaty' else 0}f}" for k in keys)
        print(f"{label} | {vals} | {ok(med)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
