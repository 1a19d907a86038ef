"""Side-by-side speed of Mesa 3.3.1's own Epstein civil-violence example and tolqyn's `mesa-3`
preset (the same semantics: see src/tolqyn/scenarios/library/mesa-3.toml).

Each measurement runs in its own subprocess so that peak memory (ru_maxrss) is measured
separately. Mesa runs only at sizes where its measured steps finish within the time limit;
nothing is extrapolated. Writes benchmarks/results/vs_mesa.md and .json.

    python benchmarks/vs_mesa.py [--sizes 40 200 1000] [--mesa-limit 240]

The tolqyn side alone, to compare two versions of the kernel (no Mesa needed; each size
repeated in fresh processes, the median and the best reported; --steps overrides the plan;
--activation tiles runs block-sequential activation, --threads sets NUMBA_NUM_THREADS):

    python benchmarks/vs_mesa.py --tolqyn-only --sizes 200 1000 --repeats 5 --label after

Needs Mesa from the bench extra:  pip install -e '.[bench]'
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results"

MESA_CHILD = r"""
import json, resource, sys, time
W, steps, warm = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence
t0 = time.perf_counter()
m = EpsteinCivilViolence(width=W, height=W, seed=1)
init_s = time.perf_counter() - t0
for _ in range(warm):
    m.step()
t0 = time.perf_counter()
for _ in range(steps):
    m.step()
loop = time.perf_counter() - t0
n = len(m.agents)
print(json.dumps({"init_s": init_s, "loop_s": loop, "steps": steps, "agents": n,
                  "active_end": m.ACTIVE, "jailed_end": m.ARRESTED,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

OURS_CHILD = r"""
import json, resource, sys, time
W, steps, warm = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
from tolqyn.core.sim import Sim
from tolqyn.scenarios.loader import load_scenario
activation = sys.argv[4] if len(sys.argv) > 4 else "one_list"
sc = load_scenario("mesa-3", overrides={"width": W, "height": W, "activation": activation})
t0 = time.perf_counter()
sim = Sim(sc, seed=1, steps=warm + steps)
sim.init()
init_s = time.perf_counter() - t0
for _ in range(warm):
    sim.step()
t0, c0 = time.perf_counter(), time.process_time()
for _ in range(steps):
    sim.step()
loop, cpu = time.perf_counter() - t0, time.process_time() - c0
n = sim.pop.n + sim.modules[0].n_cops
res = sim.results
print(json.dumps({"init_s": init_s, "loop_s": loop, "steps": steps, "agents": n,
                  "cpu_ms_per_step": 1e3 * cpu / steps,
                  "active_end": float(res.series("active")[sim.t]),
                  "jailed_end": float(res.series("jailed")[sim.t]),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(code: str, W: int, steps: int, warm: int, timeout: float, *extra, env=None):
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            [sys.executable, "-c", code, str(W), str(steps), str(warm), *extra],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s"}
    if p.returncode != 0:
        return {
            "error": p.stderr.strip().splitlines()[-1]
            if p.stderr.strip()
            else f"exit {p.returncode}"
        }
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t0
    out["steps_per_s"] = out["steps"] / out["loop_s"]
    out["agent_steps_per_s"] = out["agents"] * out["steps_per_s"]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 200, 1000])
    ap.add_argument("--mesa-limit", type=float, default=240.0, help="seconds allowed per Mesa run")
    ap.add_argument("--tolqyn-only", action="store_true", help="time the tolqyn side only")
    ap.add_argument("--repeats", type=int, default=5, help="tolqyn-only: runs per size")
    ap.add_argument("--steps", type=int, default=None, help="tolqyn-only: timed steps per run")
    ap.add_argument("--activation", default="one_list", help="tolqyn-only: activation rule")
    ap.add_argument("--threads", type=int, default=None, help="tolqyn-only: NUMBA_NUM_THREADS")
    ap.add_argument("--label", default="", help="tolqyn-only: name of the measured version")
    args = ap.parse_args(argv)
    if args.tolqyn_only:
        return tolqyn_only(args)
    try:
        from importlib.metadata import version

        import mesa  # noqa: F401

        mesa_version = version("mesa")
    except ImportError:
        sys.exit("Mesa is not installed: pip install -e '.[bench]' (mesa==3.3.1)")
    if mesa_version != "3.3.1":
        print(
            f"warning: Mesa {mesa_version} installed; the mesa-3 preset reproduces 3.3.1",
            file=sys.stderr,
        )
    # compile (or load) the kernels once so that no measurement includes compilation
    _child(OURS_CHILD, 40, 1, 0, 900)
    plan = {40: (200, 20, 200, 5), 200: (20, 2, 20, 2), 1000: (2, 1, 10, 2)}
    rows = []
    for W in args.sizes:
        mesa_steps, mesa_warm, our_steps, our_warm = plan.get(W, (5, 1, 10, 2))
        print(f"{W}x{W}: tolqyn ...", file=sys.stderr, flush=True)
        ours = _child(OURS_CHILD, W, our_steps, our_warm, 1800)
        print(f"{W}x{W}: mesa ...", file=sys.stderr, flush=True)
        mesa = _child(MESA_CHILD, W, mesa_steps, mesa_warm, args.mesa_limit)
        row = {"size": f"{W}x{W}", "width": W, "tolqyn": ours, "mesa": mesa}
        if "error" not in ours and "error" not in mesa:
            row["speed_ratio"] = ours["steps_per_s"] / mesa["steps_per_s"]
            row["memory_ratio"] = mesa["peak_rss_mb"] / ours["peak_rss_mb"]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or "",
        "cpus": os.cpu_count(),
        "mesa": mesa_version,
        "note": "Mesa EpsteinCivilViolence defaults (cop density 0.074, L 0.8, J 1000, vision 7) "
        "vs tolqyn mesa-3 preset; seed 1; steps timed after warm-up steps; each run "
        "in its own process; peak RSS of that process.",
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "vs_mesa.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = [
        "# tolqyn vs Mesa 3.3.1: Epstein civil violence",
        "",
        f"Measured {meta['date']} on {meta['cpus']} CPUs ({meta['machine']}), Python "
        f"{meta['python']}, Mesa {meta['mesa']}. {meta['note']}",
        "",
        "| lattice | agents | Mesa steps/s | tolqyn steps/s | speed ratio | Mesa agent-steps/s "
        "| tolqyn agent-steps/s | Mesa peak RSS MB | tolqyn peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        o, m = r["tolqyn"], r["mesa"]

        def f(d, k, fmt):
            return format(d[k], fmt) if k in d else d.get("error", "-")

        lines.append(
            f"| {r['size']} | {f(o, 'agents', ',')} | {f(m, 'steps_per_s', '.3g')} | "
            f"{f(o, 'steps_per_s', '.4g')} | "
            f"{format(r['speed_ratio'], '.0f') + 'x' if 'speed_ratio' in r else '-'} | "
            f"{f(m, 'agent_steps_per_s', '.3g')} | {f(o, 'agent_steps_per_s', '.3g')} | "
            f"{f(m, 'peak_rss_mb', '.0f')} | {f(o, 'peak_rss_mb', '.0f')} |"
        )
    lines += [
        "",
        "Timed steps: Mesa "
        + ", ".join(f"{r['size']}: {r['mesa'].get('steps', '-')}" for r in rows)
        + "; tolqyn "
        + ", ".join(f"{r['size']}: {r['tolqyn'].get('steps', '-')}" for r in rows)
        + ".",
        "A Mesa entry with a message instead of numbers did not finish within the limit; "
        "nothing is extrapolated.",
        "",
    ]
    (OUT / "vs_mesa.md").write_text("\n".join(lines))
    print("\n".join(lines))


def tolqyn_only(args):
    """Time the tolqyn side alone, several fresh processes per size; appends one row per size
    to benchmarks/results/kernel_speed.jsonl (label, load average, median and best)."""
    env = dict(os.environ)
    if args.threads:
        env["NUMBA_NUM_THREADS"] = str(args.threads)
    _child(OURS_CHILD, 40, 1, 0, 900, args.activation if args.activation != "tiles" else "one_list")
    if args.activation == "tiles":
        _child(OURS_CHILD, 400, 1, 0, 900, "tiles", env=env)
    plan = {40: (2000, 50), 200: (200, 5), 1000: (10, 2)}
    OUT.mkdir(parents=True, exist_ok=True)
    for W in args.sizes:
        steps, warm = plan.get(W, (10, 2))
        steps = args.steps or steps
        load0 = os.getloadavg()[0]
        runs = [
            _child(OURS_CHILD, W, steps, warm, 1800, args.activation, env=env)
            for _ in range(args.repeats)
        ]
        bad = [r["error"] for r in runs if "error" in r]
        if bad:
            sys.exit(f"{W}x{W}: {bad[0]}")
        sps = sorted(r["steps_per_s"] for r in runs)
        row = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "label": args.label,
            "size": f"{W}x{W}",
            "activation": args.activation,
            "threads": args.threads or os.cpu_count(),
            "steps": steps,
            "repeats": args.repeats,
            "steps_per_s_median": sps[len(sps) // 2],
            "steps_per_s_best": sps[-1],
            "steps_per_s_all": sps,
            "cpu_ms_per_step_median": sorted(r["cpu_ms_per_step"] for r in runs)[len(runs) // 2],
            "cpu_ms_per_step_best": min(r["cpu_ms_per_step"] for r in runs),
            "active_end": runs[0]["active_end"],
            "jailed_end": runs[0]["jailed_end"],
            "load_before": load0,
            "load_after": os.getloadavg()[0],
        }
        with open(OUT / "kernel_speed.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
