#!/usr/bin/env python
"""Where was the LPG price rise felt? A diagnostic of kazakhstan-2022 over a posterior.

    python scripts/trigger_scope.py [--posterior DIR] [--draws 20] [--fuel-weights 0.1 0.2 0.3]

The scenario raises the price in Mangystau only (the unit the pack gives prices for). The pack
also records that LPG moved to exchange trading nationwide on 1 January 2022 (unrest_2022.csv),
so the alternative is the same price path in every unit, felt in proportion to its LPG
dependence (mechanism 11; `fuel_price_scope = "nationwide"`). Runs the replay both ways at the posterior's draws, then the
nationwide reading at fixed `fuel_weight` values, and prints how many runs meet the fitted
records that decide the question: the quiet December, the spread on 3 and 4 January, the peak
and Mangystau's first crowd. A diagnostic, not a calibration: no record is fitted here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tolqyn.api import run_one  # noqa: E402
from tolqyn.experiments.posterior import load_posterior  # noqa: E402
from tolqyn.observe import evaluate, targets_of  # noqa: E402
from tolqyn.scenarios.loader import load_scenario  # noqa: E402

RECORDS = ("quiet", "spread 2022-01-03", "spread 2022-01-04", "peak", "crowd KZ-47 2022-01-02")


def score(scenario, draws, fitted, extra=None) -> str:
    met = {n: 0 for n in RECORDS}
    by3, by4 = [], []
    for i, d in enumerate(draws):
        run = run_one(scenario, int(scenario.seed) + i, overrides={**d.params, **(extra or {})})
        for v in evaluate(run, fitted):
            name = v.target.name
            if name in met:
                met[name] += bool(v.match)
            if name in ("spread 2022-01-03", "spread 2022-01-04"):
                (by3 if name.endswith("03") else by4).append(int(v.simulated.split()[0]))
    n = len(draws)
    return (
        ", ".join(f"{k} {met[k]}/{n}" for k in RECORDS)
        + f"; units by 3 Jan {statistics.median(by3):g}, by 4 Jan {statistics.median(by4):g}"
        + " (medians; observed 8 and 13)"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--posterior", default=str(ROOT / "docs/results/calibration-kazakhstan-2022-shock")
    )
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--fuel-weights", type=float, nargs="*", default=[0.1, 0.2, 0.3])
    a = ap.parse_args(argv)
    base = load_scenario("kazakhstan-2022")
    fitted = targets_of(base.meta, role="fitted")
    draws = list(load_posterior(a.posterior).draws(a.draws, seed=a.seed))
    print(f"posterior {a.posterior}, {a.draws} draws (seed {a.seed}); runs meeting each record:")
    print("  Mangystau only (the scenario):", score(base, draws, fitted))
    wide = {"fuel_price_scope": "nationwide"}
    print("  nationwide, the posterior's fuel_weight:", score(base, draws, fitted, wide))
    for w in a.fuel_weights:
        nat = score(base, draws, fitted, {**wide, "fuel_weight": w})
        print(f"  nationwide, fuel_weight {w:g}:", nat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
