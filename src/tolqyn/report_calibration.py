"""The report of a calibration over structures (`tolqyn calibrate-structures`): what was run,
which structures the fitted records support, the parameters, and how the posterior's replays
score on every record — fitted and checked (never seen by the calibration).

    python -m tolqyn.report_calibration DIR     # (re)writes report.md in DIR

The calibration writes report.md itself; the function here reads only the files of DIR
(calibration.json, structures.csv), so a published folder can be re-reported.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path


def _g(v, digits=4) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, (int, float)):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.{digits}g}"
    return str(v)


def calibration_markdown(folder) -> str:
    folder = Path(folder)
    res = json.loads((folder / "calibration.json").read_text())
    with open(folder / "structures.csv", newline="") as f:
        structures = list(csv.DictReader(f))
    b = res["budget"]
    temps = res.get("temperatures") or []
    shown = ", ".join(_g(t, 3) for t in temps if t != float("inf") and t == t)
    lines = [
        f"# Calibration of {res['scenario']} over structures (multi-model ABC-SMC)",
        "",
        f"{len(res['structures'])} structures (every combination of "
        + ", ".join(f"`{s}`" for s in res["switches"])
        + f"), {len(res['parameters'])} free parameters, the fitted records' measurement-error"
        " model (below); pyABC's multi-model ABC-SMC with a stochastic acceptor whose "
        "temperature falls generation by generation towards 1 (at T = 1 the population is a "
        "sample of the posterior under the error model; at T > 1 the error standard deviations "
        "are in effect inflated by the square root of T).",
        "",
    ]
    if res.get("command"):
        lines += ["    " + res["command"], ""]
    lines += [
        "## Budget",
        "",
        "| | |",
        "|---|---|",
        f"| structures compared | {len(res['structures'])} |",
        f"| particles per generation | {b['population']} |",
        f"| generations kept | {b['generations']} (of at most {b['max_generations']}); "
        f"temperatures {shown} |",
        f"| simulations run | {_g(b.get('simulations_run'))} (all generations, also one cut "
        f"short; {_g(b.get('simulations'))} in the generations kept) |",
        f"| stopped by | {res.get('generation_cut_by') or 'the generation or simulation limit'} |",
        f"| wall time | {_g(res.get('wall_time_s'))} s in all, of which ABC "
        f"{_g(res.get('wall_time_abc_s'))} s; {res.get('workers')} worker processes "
        f"({res.get('executor')}) |",
        f"| throughput | {res.get('simulations_per_second')} simulations/s |",
        f"| load average (1/5/15 min) | {res.get('load_before')} before, "
        f"{res.get('load_after')} after |",
        f"| scale, steps | {res.get('scale')} citizens per agent, {res.get('steps')} steps "
        "(to the last fitted date) |",
        f"| seed, population seed | {res.get('seed')}, {res.get('population_seed')} |",
        f"| commit, version, scenario hash | {res.get('commit')}, {res.get('version')}, "
        f"{res.get('scenario_hash')} |",
        "",
        "## Which structures the records support",
        "",
        "Marginal posterior probabilities (every structure has the same prior, so each value "
        "of a switch with k values has prior 1/k):",
        "",
        "| switch | prior of each value | value: probability |",
        "|---|---|---|",
    ]
    for sw, vals in res["marginal_probabilities"].items():
        txt = ", ".join(f"{k} {v:.2f}" for k, v in sorted(vals.items(), key=lambda x: -x[1]))
        lines.append(f"| `{sw}` | 1/{len(vals)} | {txt} |")
    kept = [s for s in structures if float(s["probability"]) > 0]
    lines += [
        "",
        f"{len(kept)} of {len(structures)} structures keep particles:",
        "",
        "| structure | probability | particles |",
        "|---|---|---|",
    ]
    for s in structures:
        if float(s["probability"]) > 0:
            lines.append(
                f"| {s['structure']} | {float(s['probability']):.3f} | {s['n_particles']} |"
            )
    lines += [
        "",
        "## Parameters",
        "",
        "Weighted over all structures; P(free) is the posterior mass of the structures in "
        "which the parameter acts.",
        "",
        "| parameter | prior | median | 90 % interval | P(free) |",
        "|---|---|---|---|---|",
    ]
    for n, s in res["parameters"].items():
        pr = res["priors"][n]
        lines.append(
            f"| `{n}` | U({pr['low']:g}, {pr['high']:g}) | {_g(s['q50'])} | "
            f"{_g(s['q05'])}–{_g(s['q95'])} | {s['probability_free']:.2f} |"
        )
    lines += [
        "",
        "## Error model of the fitted records",
        "",
        "| term | record | error | observed (term units) | sd | sd above |",
        "|---|---|---|---|---|---|",
    ]
    for e in res["error_model"]:
        lines.append(
            f"| {e['name']} | {e['record']} | {e['kind']} | {_g(e['observed'])} | "
            f"{_g(e['sd'])} | {_g(e.get('sd_above'))} |"
        )
    scores = res.get("checked_scores") or []
    if scores:
        lines += [
            "",
            f"## Posterior predictive verdicts ({scores[0]['runs']} runs of the full replay; "
            "checked records were never fitted)",
            "",
            "| record | role | observed | simulated median (90 %) | share of runs matching |",
            "|---|---|---|---|---|",
        ]
        for r in scores:
            med = r.get("median")
            if isinstance(med, (int, float)):
                sim = f"{_g(med)} ({_g(r.get('q05'))}–{_g(r.get('q95'))})"
            else:
                sim = str(med or "n/a")
            ms = "n/a" if r["match_share"] is None else f"{r['match_share']:.2f}"
            obs = str(r["observed"]).replace("|", "/")
            lines.append(f"| {r['target']} | {r['role']} | {obs} | {sim} | {ms} |")
    return "\n".join(lines) + "\n"


def write_report(folder) -> Path:
    path = Path(folder) / "report.md"
    from tolqyn.experiments.store import atomic_write_bytes

    atomic_write_bytes(path, calibration_markdown(folder).encode())
    return path


if __name__ == "__main__":  # pragma: no cover - a thin command line
    for d in sys.argv[1:] or ["."]:
        print(write_report(d))
