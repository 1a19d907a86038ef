#!/usr/bin/env python
"""Does a posterior keep a country quiet when nothing happens? A check of a calibration.

    python scripts/posterior_stability.py [--posterior DIR] [--draws 20] [--days 30]

Runs `kazakhstan-2022/no-price-shock` (the replay without its trigger, the LPG price rise;
the regime's calendar stays) for `--days` days from the scenario's start (18 Dec 2021) at the
posterior's draws (and once at the hand-tuned defaults, seeds 0..draws-1), and counts the runs
with a national wave (at least WAVE persons active at once) or with protest (at least
PROTEST_MIN active) in 3 or more units. January 2022's records alone cannot tell a posterior
that is stable without its trigger from one on the edge of a spontaneous cascade; the replay's
two quiet weeks before the price rise and the record `quiet` are there for that.
Writes stability.md and stability.csv into the posterior folder.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tolqyn.api import run_one  # noqa: E402
from tolqyn.scenarios.loader import load_scenario  # noqa: E402

WAVE = 10_000  # persons active at once: a national wave (as tests/test_long_waves.py)
PROTEST_MIN = 300  # persons active in a unit for it to count as 'with protest'


def outcome(res, units) -> dict:
    active = np.asarray(res.series("active", "ALL"), dtype=float)
    reached = [u for u in units if np.max(res.series("active", u)) >= PROTEST_MIN]
    first = int(np.argmax(active >= WAVE)) + 1 if np.any(active >= WAVE) else None
    return {
        "peak_active": float(active.max()),
        "units_with_protest": len(reached),
        "wave_day": first,
        "deaths": float(np.asarray(res.series("deaths_civilian_cumulative", "ALL"))[-1]),
    }


def write_tables(folder, stem: str, rows: list[dict], lines: list[str]) -> None:
    """A CSV table (one row per dict, the first dict's keys as the header) and a markdown
    page (the lines), both named `stem`, in a posterior's folder; the markdown on screen."""
    with open(Path(folder) / f"{stem}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (Path(folder) / f"{stem}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--posterior", default=str(ROOT / "docs/results/calibration-kazakhstan-2022-shock")
    )
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    from tolqyn.experiments.posterior import load_posterior

    post = load_posterior(a.posterior)
    sc = load_scenario("kazakhstan-2022/no-price-shock")
    units = None
    t0 = time.time()
    rows = []
    for i in range(a.draws):
        res = run_one(sc, int(sc.seed) + i, steps=a.days)
        units = units or [r for r in res.regions if r != "ALL"]  # the pack's unit codes
        rows.append({"set": "defaults", "draw": i, "structure": "", **outcome(res, units)})
    for i, d in enumerate(post.draws(a.draws, seed=a.seed)):
        res = run_one(sc, int(sc.seed) + i, steps=a.days, overrides=d.params)
        rows.append(
            {"set": "posterior", "draw": i, "structure": d.structure, **outcome(res, units)}
        )
    wall = time.time() - t0
    lines = [
        "# Stability without the trigger",
        "",
        f"`python scripts/posterior_stability.py --draws {a.draws} --days {a.days} --seed "
        f"{a.seed}`: `kazakhstan-2022/no-price-shock` for {a.days} days from {sc.start_date}, "
        f"{a.draws} runs at the hand-tuned defaults and {a.draws} at draws of this posterior "
        f"({wall:.0f} s). A wave: at least {WAVE:,} persons active at once; protest in a unit: "
        f"at least {PROTEST_MIN} active.",
        "",
        "| parameters | runs with a national wave | runs with protest in 3+ units | peak active, "
        "median (max) | civilian deaths, median (max) |",
        "|---|---|---|---|---|",
    ]
    for s in ("defaults", "posterior"):
        r = [x for x in rows if x["set"] == s]
        waves = sum(x["wave_day"] is not None for x in r)
        spread = sum(x["units_with_protest"] >= 3 for x in r)
        pk = [x["peak_active"] for x in r]
        de = [x["deaths"] for x in r]
        lines.append(
            f"| {s} | {waves} of {len(r)} | {spread} of {len(r)} | {np.median(pk):,.0f} "
            f"({max(pk):,.0f}) | {np.median(de):,.0f} ({max(de):,.0f}) |"
        )
    write_tables(a.posterior, "stability", rows, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
