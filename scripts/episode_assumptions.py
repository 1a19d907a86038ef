#!/usr/bin/env python
"""How an out-of-sample episode's answer depends on the new mechanisms' a-priori parameters
(docs/odd/episodes.md), which January 2022 cannot identify: one run per value at the
scenario's seed and defaults otherwise; writes docs/results/out-of-sample/<episode>/assumptions.csv.

    python scripts/episode_assumptions.py kazakhstan-2016-land policy_weight 0.025 0.05 0.1 0.2
    python scripts/episode_assumptions.py --scale 1000 kazakhstan-2016-land policy_weight 0 0.1

The file gains rows (delete it to start afresh); `scale` is the citizens per agent of the run
(empty: the scenario's default). A coarse scale is a cheap check, not a prediction
(docs/odd/episodes.md §7).

A statement of dependence, not a fit: nothing is compared with the episode."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tolqyn.api import run_one  # noqa: E402

QUANT = (
    "active",
    "participants_cumulative",
    "detained_cumulative",
    "deaths_civilian_cumulative",
    "deaths_security_cumulative",
    "injured_cumulative",
)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    scale = None
    if argv and argv[0] == "--scale":
        scale = float(argv[1])
        argv = argv[2:]
    episode, param, values = argv[0], argv[1], [float(v) for v in argv[2:]]
    out = ROOT / "docs/results/out-of-sample" / episode / "assumptions.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    new = not out.exists()
    with open(out, "a", newline="") as fh:
        wr = csv.writer(fh)
        if new:
            wr.writerow(["parameter", "value", "quantity", "max_or_final", "day_of_max", "scale"])
        for v in values:
            over = {param: v} if scale is None else {param: v, "scale": scale}
            r = run_one(episode, overrides=over)
            d = r.dates()
            for q in QUANT:
                s = r.series(q)
                i = int(np.argmax(s))
                wr.writerow([param, v, q, float(s.max()), d[i], "" if scale is None else scale])
                print(param, v, q, float(s.max()), d[i], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
