"""Throughput of the calibration over structures (tolqyn calibrate-structures) on
kazakhstan-2022 at 1:100: simulations per second of the real ABC-SMC code path (pyABC's
sampler, the stochastic acceptor, the kernel, writing the posterior) with 1 and 2 worker
processes and a Dask LocalCluster of 2 workers, and one simulation in-process with the
population synthesised per run against the shared population the calibration uses.

    python benchmarks/calibration.py [--sims 60] [--runs 4]

Writes results/calibration.json and results/calibration.md. The machine is shared: the
1/5/15-minute load averages before and after each measurement are written beside it, and
the figures are only as good as the cores that were free."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results"


def load():
    return [round(x, 2) for x in os.getloadavg()]


def one_run(sc, seed, steps):
    from tolqyn.core.sim import Sim

    t = time.perf_counter()
    s = Sim(sc, seed=seed, steps=steps)
    s.run()
    return time.perf_counter() - t, s.timings.get("init_s", 0.0)


def in_process(runs: int) -> dict:
    """Wall time of one run: fresh synthesis each time vs the shared population."""
    from tolqyn.scenarios.loader import load_scenario

    sc = load_scenario("kazakhstan-2022")
    shared = sc.with_params({"population_seed": 2022})
    one_run(sc, 0, 15)  # compile / warm caches
    one_run(shared, 0, 15)
    out = {}
    for name, s in (("synthesis_per_run", sc), ("shared_population", shared)):
        before = load()
        ts = [one_run(s, i + 1, 15) for i in range(runs)]
        out[name] = {
            "runs": runs,
            "wall_s_median": sorted(t for t, _ in ts)[runs // 2],
            "init_s_median": sorted(i for _, i in ts)[runs // 2],
            "load_before": before,
            "load_after": load(),
        }
    return out


def abc(kind: str, workers: int, sims: int) -> dict:
    from tolqyn.experiments.structures import calibrate_structures, read_structures
    from tolqyn.scenarios.loader import load_scenario

    sc = load_scenario("kazakhstan-2022")
    tmp = Path(tempfile.mkdtemp(prefix="tolqyn-bench-cal-"))
    try:
        res = calibrate_structures(
            sc,
            tmp,
            structures=read_structures(sc),
            population=27,
            generations=2,
            max_simulations=sims,
            initial_temperature=80.0,  # no prior sample spent on calibrating it
            n_predictive=0,
            seed=1,
            executor_kind=kind,
            workers=workers,
            log=lambda *a: None,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "executor": kind,
        "workers": workers,
        "simulations": res["budget"]["simulations"],
        "wall_abc_s": res["wall_time_abc_s"],
        "simulations_per_second": res["simulations_per_second"],
        "load_before": res["load_before"],
        "load_after": res["load_after"],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=60, help="simulations per ABC measurement")
    ap.add_argument("--runs", type=int, default=4, help="in-process runs per variant")
    ap.add_argument("--skip-dask", action="store_true")
    a = ap.parse_args()
    rec = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "in_process": in_process(a.runs),
        "abc": [],
    }
    configs = [("process", 1), ("process", 2)] + ([] if a.skip_dask else [("dask", 2)])
    for kind, w in configs:
        rec["abc"].append(abc(kind, w, a.sims))
        print(rec["abc"][-1], flush=True)
    best = max(r["simulations_per_second"] or 0 for r in rec["abc"])
    rec["minutes_for_10000"] = round(10000 / best / 60, 1) if best else None
    OUT.mkdir(exist_ok=True)
    (OUT / "calibration.json").write_text(json.dumps(rec, indent=2) + "\n")
    lines = [
        "# Calibration throughput (kazakhstan-2022, 1:100, 197,652 agents)",
        "",
        f"Measured {rec['when']} by `python benchmarks/calibration.py --sims {a.sims} "
        f"--runs {a.runs}` on {rec['machine']['cpus']} cores shared with other jobs (load "
        "averages 1/5/15 min beside each figure).",
        "",
        "One simulation in-process (15 steps, median):",
        "",
        "| population | wall (s) | of which set-up (s) | load before | load after |",
        "|---|---|---|---|---|",
    ]
    for k, v in rec["in_process"].items():
        lines.append(
            f"| {k.replace('_', ' ')} | {v['wall_s_median']:.2f} | {v['init_s_median']:.2f} "
            f"| {v['load_before']} | {v['load_after']} |"
        )
    lines += [
        "",
        "The ABC-SMC code path (27 structures, population 27, pyABC sampler on the executor):",
        "",
        "| executor | workers | simulations | wall (s) | simulations/s | load before | load after |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rec["abc"]:
        lines.append(
            f"| {r['executor']} | {r['workers']} | {r['simulations']} | {r['wall_abc_s']} | "
            f"{r['simulations_per_second']} | {r['load_before']} | {r['load_after']} |"
        )
    lines += [
        "",
        f"At the best measured rate 10,000 simulations take {rec['minutes_for_10000']} minutes "
        "on this machine at this load.",
    ]
    (OUT / "calibration.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
