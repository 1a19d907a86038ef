"""The decade replay (kazakhstan-exit) at several steps dt, seed by seed: protest
person-months (the sum of `active` times dt / 30.4375), deaths, emigrants, the first month with
a protester, and the mean legitimacy and grievance by month, to compare a monthly and a weekly
step (docs/odd/exit.md §7.6).

    python scripts/decade_dt.py --scale 400 --seeds 0-7
    python scripts/decade_dt.py --scale 400 --seeds 0 --years 1.5 --months 2004-07,2005-01,2005-05
    python scripts/decade_dt.py --scale 400 --seeds 0 --years 1.5 --set exit_voice_on=false ...
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np

MONTH = 30.4375


def _seeds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def _series(res, metric):
    c = res.columns
    sel = (c["region"] == "ALL") & (c["metric"] == metric)
    return (
        np.asarray(c["value"][sel], dtype=float),
        np.array([str(d)[:7] for d in np.asarray(c["date"])[sel]]),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=400.0)
    ap.add_argument("--seeds", default="0-7")
    ap.add_argument("--dt", default="30.4375,7", help="steps in days, comma-separated")
    ap.add_argument("--years", type=float, default=None, help="run this many years (default all)")
    ap.add_argument("--set", action="append", default=[], help="param=value (JSON value)")
    ap.add_argument("--months", default="", help="months (YYYY-MM) whose mean L and G to print")
    a = ap.parse_args()

    from tolqyn.api import run_one
    from tolqyn.scenarios.loader import load_scenario

    over = {"scale": a.scale}
    for s in a.set:
        k, _, v = s.partition("=")
        over[k] = json.loads(v)
    dts = [float(x) for x in a.dt.split(",")]
    months = [m for m in a.months.split(",") if m]
    total = {dt: [0.0, 0.0] for dt in dts}
    for seed in _seeds(a.seeds):
        for dt in dts:
            sc = load_scenario("kazakhstan-exit").with_params(over)
            days = a.years * 365.25 if a.years else sc.steps * sc.dt
            sc = replace(sc, dt=dt, steps=int(round(days / dt)))
            res = run_one(sc, seed=seed)
            active, dates = _series(res, "active")
            pm = float(active.sum()) * dt / MONTH
            dead = sum(_series(res, m)[0].sum() for m in ("deaths_civilian", "deaths_security"))
            total[dt][0] += pm
            total[dt][1] += dead
            first = dates[active > 0][0] if (active > 0).any() else "-"
            line = (
                f"seed {seed} dt {dt:g}: person-months {pm:,.0f}, deaths {dead:,.0f}, "
                f"emigrants {_series(res, 'emigrants')[0].sum():,.0f}, first protest {first}"
            )
            for m in months:
                L, d = _series(res, "legitimacy_mean")
                G, _ = _series(res, "grievance_mean")
                line += f"; {m} L {L[d == m].mean():.4f} G {G[d == m].mean():.4f}"
            print(line, flush=True)
    for dt, (pm, dead) in total.items():
        print(f"total dt {dt:g}: person-months {pm:,.0f}, deaths {dead:,.0f}")


if __name__ == "__main__":
    main()
