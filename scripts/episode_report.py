#!/usr/bin/env python
"""The short report of an out-of-sample prediction (docs/results/out-of-sample/<episode>/):
reads what scripts/predict_out_of_sample.py wrote there and writes README.md with the
headline numbers, the counterfactual differences and how the predictions were made.

    python scripts/episode_report.py kazakhstan-2011-zhanaozen --command "..." --note "..."

It reports; it compares with nothing (the episodes' outcomes are not in the inputs)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAD = (
    "deaths_civilian_cumulative",
    "deaths_security_cumulative",
    "detained_cumulative",
    "injured_cumulative",
    "participants_cumulative",
)


def _read(p: Path) -> list[dict]:
    with open(p) as fh:
        return list(csv.DictReader(fh))


def _fmt(x: str) -> str:
    v = float(x)
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}"


def posterior_text(d: Path) -> str:
    """Which posterior the predictions drew from: run.json (written by
    predict_out_of_sample.py) names the directory and the commit its calibration records."""
    rec = d / "run.json"
    if not rec.exists():
        return "Posterior: `docs/results/calibration-kazakhstan-2022/posterior.csv` as on main at that commit"
    r = json.loads(rec.read_text())
    post = Path(r["posterior"])
    try:
        post = post.relative_to(ROOT)
    except ValueError:
        pass
    made = f", calibrated at commit `{r['posterior_commit']}`" if r.get("posterior_commit") else ""
    return (
        f"Posterior: `{post}/posterior.csv`{made}; {r['draws']} draws of every variant "
        f"({', '.join(f'`{v}`' for v in r['variants'])}) in {r['wall_s']:.0f} s wall"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("episode")
    ap.add_argument("--command", required=True, help="the exact command that made the files")
    ap.add_argument("--note", default="", help="what the run's circumstances were (load, time)")
    ap.add_argument(
        "--made",
        default=None,
        help="when the predictions were made, 'YYYY-MM-DD HH:MM' UTC (default: now)",
    )
    a = ap.parse_args(argv)
    d = ROOT / "docs/results/out-of-sample" / a.episode
    pred = _read(d / "predictions.csv")
    summ = _read(d / "summary.csv")
    cf = _read(d / "counterfactuals.csv") if (d / "counterfactuals.csv").exists() else []
    commit = (d / "COMMIT").read_text().strip()
    structures = _read(d / "structures.csv")
    # "EPISODE/SUB" names a sub-folder (another posterior): its files name the episode itself
    episode = a.episode.split("/")[0]
    last = {}
    for r in pred:
        if r["episode"] == episode and r["region"] == "ALL" and r["metric"] in HEAD:
            last[r["metric"]] = r  # the rows are in date order: the last is the end of the run
    n = next(iter(last.values()))["n_draws"] if last else "?"
    lines = [
        f"# {a.episode}: out-of-sample predictions",
        "",
        f"Made {a.made or f'{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M}'} UTC at commit `{commit}`, "
        "before anyone compared them with the episode's outcomes (which are not in the inputs "
        "and were not looked up). Nothing was tuned to the episode: the scenario keeps every "
        "behavioural value of `kazakhstan-2022` (a test) and each draw sets the January 2022 "
        "posterior's parameters.",
        "",
        "```",
        a.command,
        "```",
        "",
        posterior_text(d)
        + "; structures drawn: "
        + ", ".join(
            f"{s['structure']} (p = {float(s['posterior_probability']):.2f}, {s['n_draws']} draws)"
            for s in structures
            if int(s["n_draws"]) > 0
        )
        + (
            f" and {sum(int(s['n_draws']) == 0 for s in structures)} structures not drawn "
            "(structures.csv)"
            if any(int(s["n_draws"]) == 0 for s in structures)
            else ""
        )
        + f". {n} draws, one run each (seed = scenario seed + draw). {a.note}",
        "",
        "## At the end of the run (whole country; median and 90 % interval over the draws)",
        "",
        "| quantity | median | q05 | q95 |",
        "|---|---|---|---|",
    ]
    for m in HEAD:
        if m in last:
            r = last[m]
            lines.append(
                f"| {m} ({r['date']}) | {_fmt(r['median'])} | {_fmt(r['q05'])} | {_fmt(r['q95'])} |"
            )
    for r in summ:
        if r["episode"] == episode and r["quantity"] in (
            "units_with_protest",
            "peak_day",
            "end_day",
        ):
            lines.append(
                f"| {r['quantity']} ({r['unit']}; runs with a value: "
                f"{r['n_runs_with_value']}) | {_fmt(r['median'])} | {_fmt(r['q05'])} | "
                f"{_fmt(r['q95'])} |"
            )
    lines += [
        "",
        "Units with protest (≥ 300 persons active on a day) and their first day, in "
        "runs where they had one: `summary.csv` (quantity `first_<code>`) and "
        "`predictions.csv` (metric `first_protest_day`). By unit and day: "
        "`predictions.csv`.",
    ]
    if cf:
        lines += [
            "",
            "## Counterfactuals (counterfactual minus episode, draw by draw)",
            "",
            "| variant | quantity | median | q05 | q95 |",
            "|---|---|---|---|---|",
        ]
        for r in cf:
            if r["quantity"] in HEAD + ("peak_active",):
                lines.append(
                    f"| {r['variant']} | {r['quantity']} | {_fmt(r['median_diff'])} | "
                    f"{_fmt(r['q05_diff'])} | {_fmt(r['q95_diff'])} |"
                )
    with open(d / "runs.csv") as fh:
        drawn = [c for c in next(csv.reader(fh)) if not c.startswith("final_")][3:]
    spread = (
        "were drawn in every draw, log-uniform on [d/2, 2d] around their defaults ("
        + ", ".join(f"`{c}`" for c in drawn)
        + "; values per run in runs.csv): the intervals carry those assumptions as well as the "
        "posterior and the run's own luck."
        if drawn
        else "are set a priori and not varied over the draws: the intervals are those of the "
        "January 2022 posterior and of the run's own luck, not of those assumptions."
    )
    lines += [
        "",
        "## How to read it",
        "",
        "Days are counted from the day before the first step (day 1 is the scenario's "
        "start_date). The new mechanisms' parameters (docs/odd/episodes.md) " + spread + " The "
        "scenario's documented assumptions (workforces, population of the year, the 2018-22 "
        "units, the yardstick sizes of legitimacy events) are in its file and in "
        "docs/odd/episodes.md §6.",
        "",
    ]
    (d / "README.md").write_text("\n".join(lines))
    print(f"wrote {d / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
