"""Population synthesis benchmark: wall and CPU time, agents, ties, memory per agent.

    python benchmarks/bench_synthesis.py [--scales 100 1] [--reps 3] [--out benchmarks/results/synthesis.json]

Each scale runs in a fresh process (so peak RSS is that scale's own); the first call of a
process is excluded from timings when --reps > 1 (Numba kernels load from the on-disk cache
there). Not a test: timings depend on the machine and its load."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _one(scale: float, reps: int) -> dict:
    import numba
    import numpy as np

    from tolqyn.core.random import Stream
    from tolqyn.data.synthesis import synthesize_country

    walls, cpus, timing = [], [], None
    for k in range(reps):
        t, c = time.perf_counter(), time.process_time()
        sp = synthesize_country({}, Stream(1, "synthesis"), scale)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        timing = sp.meta["timing"]
        if k < reps - 1:
            del sp
    keep = slice(1, None) if reps > 1 else slice(None)
    nb = sp.nbytes()
    return {
        "scale": scale,
        "agents": sp.n_agents,
        "localities": sp.n_localities,
        "directed_ties": sp.network.n_edges,
        "mean_degree": sp.network.n_edges / sp.n_agents,
        "wall_s_median": float(np.median(walls[keep])),
        "cpu_s_median": float(np.median(cpus[keep])),
        "wall_s_all": walls,
        "stage_s_last": timing,
        "bytes_per_agent": {k: v / sp.n_agents for k, v in nb.items()},
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "numba_threads": numba.get_num_threads(),
        "cpus": os.cpu_count(),
        "loadavg_1min": os.getloadavg()[0],
    }


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[100.0, 1.0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default="")
    ap.add_argument("--child", type=float, default=None)
    a = ap.parse_args(argv)
    if a.child is not None:
        print(json.dumps(_one(a.child, a.reps)))
        return
    res = []
    for s in a.scales:
        reps = a.reps if s >= 10 else max(1, min(a.reps, 2))
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(s), "--reps", str(reps)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        res.append(r)
        print(
            f"scale {s:g}: {r['agents']:,} agents, {r['wall_s_median']:.2f} s wall "
            f"({r['cpu_s_median']:.2f} s CPU), {r['bytes_per_agent']['total']:.1f} B/agent "
            f"(network {r['bytes_per_agent']['network']:.1f}), peak RSS {r['peak_rss_gb']:.2f} GB, "
            f"load {r['loadavg_1min']:.1f}"
        )
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
