#!/usr/bin/env python
"""Predictions for an out-of-sample episode over the January 2022 posterior.

    python scripts/predict_out_of_sample.py iran-2019 --draws 30

Draws `--draws` (structure, parameters) sets from the January 2022 calibration directory
(default: the current posterior, docs/results/calibration-kazakhstan-2022-shock/; tolqyn.experiments.posterior: weighted, with
replacement, so structures appear in proportion to their posterior probability), runs the episode and its
counterfactuals (the scenarios under library/<episode>/) once per draw (seed = scenario seed +
draw), and writes docs/results/out-of-sample/<episode>/predictions.csv with columns episode,
metric, region, date, median, q05, q95, n_draws, plus summaries per run (units with protest,
first dates, peak day, end of the wave), which predictions.csv also holds as rows (metric
units_with_protest, first_protest_day by unit, peak_day, end_day: days from the start, date =
the median's; n_draws = runs with a value); runs.csv (the totals of every run) and
counterfactuals.csv (each counterfactual minus the episode, draw by draw: the same parameters
and seed, so the interval is that of the paired difference). With --assumptions factor2 the
episode mechanisms' unidentified parameters (ASSUMED) are drawn too, and runs.csv lists them.
Nothing is fitted to the episode.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tolqyn.api import run_one  # noqa: E402
from tolqyn.scenarios.loader import LIBRARY, load_scenario  # noqa: E402

METRICS = (
    "active",
    "detained_cumulative",
    "deaths_civilian_cumulative",
    "deaths_security_cumulative",
    "injured_cumulative",
    "injured_civilian_cumulative",
    "injured_security_cumulative",
    "participants_cumulative",
)
PROTEST_MIN = 300  # persons active in a unit for it to count as 'with protest' (as kazakhstan-2022)
# parameters of the episode mechanisms (docs/odd/episodes.md) that January 2022 cannot identify:
# with --assumptions factor2 each draw also takes each of them log-uniform on [d/2, 2d] around
# its default d (capped at its bound), independently of the posterior draw
ASSUMED = (
    "policy_weight",
    "policy_salience_half_life",
    "moratorium_credibility",
    "commission_credibility",
    "wage_gap_weight",
    "dismissal_hardship",
    "union_weight",
    "solidarity_weight",
    "illegal_strike_risk",
    "settlement_credibility",
    "fraud_legitimacy",
    "call_weight",
    "ban_risk",
    "preemptive_risk",
    "preemptive_police_share",
    "cordon_share",
    # the slow terms of months-long waves (docs/odd/episodes.md §7.2): exactly zero within a
    # month, so January 2022 cannot identify them either
    "attrition_weight",
    "attrition_days",
    "attrition_recovery_days",
    "backfire_novelty_days",
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("episode")
    ap.add_argument("--draws", type=int, default=30)
    ap.add_argument(
        "--posterior",
        default=str(ROOT / "docs/results/calibration-kazakhstan-2022-shock"),
        help="a calibration directory (posterior.csv, structures.csv, calibration.json)",
    )
    ap.add_argument("--out", default=None, help="default docs/results/out-of-sample/EPISODE")
    ap.add_argument(
        "--assumptions",
        choices=("fixed", "factor2"),
        default="fixed",
        help="fixed: the episode mechanisms' a-priori defaults; factor2: drawn log-uniform on "
        "[d/2, 2d] in every draw (ASSUMED)",
    )
    ap.add_argument(
        "--scale",
        type=float,
        default=None,
        help="citizens per agent for every run (default: the scenario's own); a setting, not a "
        "behavioural parameter",
    )
    a = ap.parse_args(argv)
    t_start = time.perf_counter()
    from tolqyn.experiments.posterior import load_posterior
    from tolqyn.models import all_param_specs, get_model

    post = load_posterior(a.posterior)
    specs = all_param_specs(get_model("country"))
    # the episode takes every behavioural value of the draw; a parameter the current model no
    # longer declares is dropped and reported (the posterior then predates the model)
    dropped = sorted({k for d in post.draws(a.draws, seed=20191115) for k in d.params} - set(specs))
    print(f"posterior {a.posterior}: structures {post.probabilities}; dropped: {dropped}")
    draws = [
        (d.structure, {k: v for k, v in d.params.items() if k in specs})
        for d in post.draws(a.draws, seed=20191115)
    ]
    if a.assumptions == "factor2":
        from tolqyn.core.random import Stream

        u = Stream(20111216, "assumptions").generator(0).random((len(draws), len(ASSUMED)))
        for k, (_st, d) in enumerate(draws):
            for j, name in enumerate(ASSUMED):
                spec = specs[name]
                lo, hi = spec.default / 2.0, spec.default * 2.0
                if spec.high is not None:
                    hi = min(hi, float(spec.high))
                d[name] = float(lo * (hi / lo) ** u[k, j])
    variants = [a.episode] + sorted(
        f"{a.episode}/{p.stem}" for p in (LIBRARY / a.episode).glob("*.toml")
    )
    out_dir = Path(a.out) if a.out else ROOT / "docs/results/out-of-sample" / a.episode
    out_dir.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    pred, summ, runs = [], [], []
    for name in variants:
        sc = load_scenario(name)
        series: dict = {}
        per_run = []
        dates = None
        for k, (_structure, d) in enumerate(draws):
            over = {**d, **({"scale": a.scale} if a.scale else {})}
            run = run_one(sc, seed=sc.seed + k, overrides=over)
            regions = [r for r in run.manifest["regions"]]
            cols = run.columns
            dts = np.asarray(cols["date"]).astype(str)
            reg = np.asarray(cols["region"]).astype(str)
            met = np.asarray(cols["metric"]).astype(str)
            val = np.asarray(cols["value"], dtype=float)
            for m in METRICS:
                for r in regions + ["ALL"]:
                    sel = (met == m) & (reg == r)
                    series.setdefault((m, r), []).append(val[sel])
                    if dates is None and m == "active" and r == "ALL":
                        dates = dts[sel]
            act = {r: val[(met == "active") & (reg == r)] for r in regions + ["ALL"]}
            units = [r for r in regions if (act[r] >= PROTEST_MIN).any()]
            tot = act["ALL"]
            peak = int(np.argmax(tot))
            after = np.flatnonzero((np.arange(len(tot)) > peak) & (tot < 0.05 * tot[peak]))
            per_run.append(
                {
                    "structure": _structure,
                    "units_with_protest": len(units),
                    "peak_day": peak,
                    "end_day": int(after[0]) if after.size else -1,
                    **{f"first_{r}": int(np.flatnonzero(act[r] >= PROTEST_MIN)[0]) for r in units},
                }
            )
            # totals of the draw, for the paired differences of the counterfactuals
            finals = {f"final_{m}": float(series[(m, "ALL")][-1][-1]) for m in METRICS}
            finals["final_peak_active"] = float(tot.max())
            runs.append({"variant": name, "draw": k, "structure": _structure, **finals})
        for (m, r), vals in series.items():
            V = np.vstack(vals)
            for t in range(V.shape[1]):
                q = np.quantile(V[:, t], [0.5, 0.05, 0.95])
                pred.append([name, m, r, dates[t], q[0], q[1], q[2], len(draws)])
        keys = sorted({k for p in per_run for k in p} - {"structure"})
        for key in keys:
            v = np.array([p.get(key, np.nan) for p in per_run], dtype=float)
            n = int(np.isfinite(v).sum())
            fin = v[np.isfinite(v)]
            q = np.quantile(fin, [0.5, 0.05, 0.95]) if n else [np.nan] * 3
            if key.startswith("first_") or key in ("peak_day", "end_day"):
                label = "day index from start_date (" + str(dates[0]) + ")"
            else:
                label = "count"
            summ.append([name, key, label, q[0], q[1], q[2], n, len(draws)])
            # the same quantities in predictions.csv: days from the start (date = the median's)
            if key.startswith("first_"):
                metric, region = "first_protest_day", key[len("first_") :]
            else:
                metric, region = key, "ALL"
            when = ""
            if n and metric != "units_with_protest" and 0 <= int(round(q[0])) < len(dates):
                when = str(dates[int(round(q[0]))])
            pred.append([name, metric, region, when, q[0], q[1], q[2], n])
        print(f"{name}: {len(draws)} draws", flush=True)
    with open(out_dir / "predictions.csv", "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["episode", "metric", "region", "date", "median", "q05", "q95", "n_draws"])
        wr.writerows(pred)
    with open(out_dir / "summary.csv", "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(
            ["episode", "quantity", "unit", "median", "q05", "q95", "n_runs_with_value", "n_draws"]
        )
        wr.writerows(summ)
    # every counterfactual against the episode, draw by draw (same parameters, same seed)
    base = {r["draw"]: r for r in runs if r["variant"] == a.episode}
    qty = [k for k in runs[0] if k.startswith("final_")]
    with open(out_dir / "runs.csv", "w", newline="") as fh:
        wr = csv.writer(fh)
        assumed = [n for n in ASSUMED if n in draws[0][1]]
        wr.writerow(["variant", "draw", "structure", *qty, *assumed])
        wr.writerows(
            [
                [r["variant"], r["draw"], r["structure"], *[r[k] for k in qty]]
                + [draws[r["draw"]][1][n] for n in assumed]
                for r in runs
            ]
        )
    with open(out_dir / "counterfactuals.csv", "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["variant", "quantity", "median_diff", "q05_diff", "q95_diff", "n_draws"])
        for v in variants[1:]:
            mine = [r for r in runs if r["variant"] == v]
            for k in qty:
                d = np.array([r[k] - base[r["draw"]][k] for r in mine])
                q = np.quantile(d, [0.5, 0.05, 0.95])
                wr.writerow([v, k[len("final_") :], q[0], q[1], q[2], len(d)])
    with open(out_dir / "structures.csv", "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["structure", "posterior_probability", "n_draws"])
        n_of = {}
        for st, _ in draws:
            n_of[st] = n_of.get(st, 0) + 1
        for st, pr in post.probabilities.items():
            wr.writerow([st, pr, n_of.get(st, 0)])
    (out_dir / "COMMIT").write_text(commit + "\n")
    # what was run: the command, the posterior (and the commit its calibration records), the
    # draws by structure and the wall time, for the README
    wall = time.perf_counter() - t_start
    record = {
        "command": "python scripts/predict_out_of_sample.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "commit": commit,
        "posterior": str(Path(a.posterior).resolve()),
        "posterior_commit": post.record.get("commit"),
        "structures_drawn": {st: sum(1 for s, _ in draws if s == st) for st, _ in draws},
        "draws": len(draws),
        "variants": variants,
        "assumptions": a.assumptions,
        "wall_s": round(wall, 1),
    }
    (out_dir / "run.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"{a.episode}: {len(draws)} draws x {len(variants)} variants in {wall:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
