"""Ensemble throughput: runs per minute of one scenario (default kazakhstan-2022 at 1:100),
with 1 and 2 local worker processes and with a Dask LocalCluster of 2 workers. Every
configuration goes through the real sweep machinery (store, manifest, catalog), so the figures
include writing results. Start-up (spawning workers, importing Numba, loading its cache) is
timed separately from the steady state.

    python benchmarks/ensemble.py [--scenario NAME] [--runs N] [--full N] [--out benchmarks/results/ensemble.md]

With --full N (default 1000) it also times the user's command end to end, N runs with
`tolqyn sweep SCENARIO --design ensemble --replicates N --workers 2` in a fresh process
(Python start-up, worker spawn, store and catalog included), so the target is checked by
measurement, not only by extrapolation.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(scenario, kind, workers, runs, root):
    from tolqyn.experiments.executors import make_executor
    from tolqyn.experiments.store import ExperimentStore
    from tolqyn.experiments.sweep import sweep

    t0 = time.perf_counter()
    ex = make_executor(kind, workers)
    # warm the workers (spawn, imports, Numba cache) with one short run each, outside the timing
    warm = sweep(
        scenario,
        root / f"warm-{kind}-{workers}",
        design="ensemble",
        replicates=workers,
        steps=1,
        executor=ex,
        progress=False,
    )
    startup = time.perf_counter() - t0
    t1 = time.perf_counter()
    rep = sweep(
        scenario,
        root / f"{kind}-{workers}",
        design="ensemble",
        replicates=runs,
        executor=ex,
        progress=False,
    )
    wall = time.perf_counter() - t1
    ex.close()
    recs = ExperimentStore(root / f"{kind}-{workers}").records().values()
    per_run = sorted(r["elapsed_s"] for r in recs)
    assert rep.failed == 0 and warm.failed == 0, rep.errors
    return {
        "executor": kind,
        "workers": workers,
        "runs": runs,
        "startup_s": startup,
        "wall_s": wall,
        "runs_per_min": 60 * runs / wall,
        "median_run_s": per_run[len(per_run) // 2],
    }


def full_command(scenario, n, root):
    """Wall time of the real command for n runs on 2 workers, in a child process."""
    out = root / "full"
    cmd = [
        str(Path(sys.executable).parent / "tolqyn"),
        "sweep",
        scenario,
        "--design",
        "ensemble",
        "--replicates",
        str(n),
        "--workers",
        "2",
        "--quiet",
        "--out",
        str(out),
    ]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t
    from tolqyn.experiments.store import ExperimentStore

    recs = ExperimentStore(out).records().values()
    done = sum(1 for r in recs if r.get("status") == "ok")
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "command": " ".join(["tolqyn"] + cmd[1:-1] + ["DIR"]),
        "runs": n,
        "done": done,
        "wall_s": wall,
        "cpu_s": ru.ru_utime + ru.ru_stime,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="kazakhstan-2022")
    ap.add_argument("--runs", type=int, default=12, help="runs per configuration")
    ap.add_argument(
        "--full", type=int, default=1000, help="runs of the end-to-end command (0: skip)"
    )
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "ensemble.md"))
    a = ap.parse_args()
    from tolqyn.scenarios.loader import load_scenario

    sc = load_scenario(a.scenario)
    root = Path(tempfile.mkdtemp(prefix="tolqyn-bench-"))
    rows = []
    try:
        for kind, w in (("process", 1), ("process", 2), ("dask", 2)):
            r = measure(sc, kind, w, a.runs if w > 1 else max(2, a.runs // 2), root)
            rows.append(r)
            print(
                f"{kind:<8} {w} worker(s): {r['runs_per_min']:.1f} runs/min "
                f"(median run {r['median_run_s']:.2f} s, start-up {r['startup_s']:.1f} s)",
                flush=True,
            )
        full = None
        if a.full > 0:
            full = full_command(a.scenario, a.full, root)
            print(
                f"end to end: {full['done']} of {full['runs']} runs in {full['wall_s']:.0f} s",
                flush=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    best2 = max(r["runs_per_min"] for r in rows if r["workers"] == 2)
    one = rows[0]["runs_per_min"]
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    lines = [
        "# Ensemble throughput",
        "",
        f"Scenario `{a.scenario}` (hash {sc.hash}, scale {sc.resolved_params.get('scale', 1)} citizens per agent, "
        f"{sc.steps} steps), written through the sweep store. Produced by `python benchmarks/ensemble.py "
        f"--scenario {a.scenario} --runs {a.runs}` on {platform.node()} ({os.cpu_count()} cores, "
        f"Python {platform.python_version()}), {time.strftime('%Y-%m-%d %H:%M')}; load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (other work on the machine slows every figure).",
        "",
        "| executor | workers | runs | start-up (s) | wall (s) | runs/min | median run (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['executor']} | {r['workers']} | {r['runs']} | {r['startup_s']:.1f} | {r['wall_s']:.1f} | "
            f"{r['runs_per_min']:.1f} | {r['median_run_s']:.2f} |"
        )
    est = 1000 / best2
    lines += [
        "",
        f"Speed-up 2 vs 1 worker (process pool): {rows[1]['runs_per_min'] / one:.2f}x; "
        f"Dask LocalCluster vs process pool at 2 workers: {rows[2]['runs_per_min'] / rows[1]['runs_per_min']:.2f}x.",
        f"At the best 2-worker rate, 1,000 runs take about {est:.1f} minutes "
        f"(target: at most 10): {'met' if est <= 10 else 'NOT met'}.",
        "",
    ]
    if full is not None:
        lines += [
            "## The command, end to end",
            "",
            f"`{full['command']}`: {full['done']:,} of {full['runs']:,} runs finished in "
            f"{full['wall_s'] / 60:.1f} minutes wall ({full['cpu_s'] / 60:.1f} CPU-minutes; Python start-up, "
            f"worker spawn, store and DuckDB catalog included). Target: 1,000 runs in at most 10 minutes "
            f"on 2 cores: {'met' if full['runs'] >= 1000 and full['done'] == full['runs'] and full['wall_s'] <= 600 else 'NOT met'}.",
            "",
        ]
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
