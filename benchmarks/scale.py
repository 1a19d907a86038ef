"""Population scale: kazakhstan-2022 from 1:1000 to one agent per citizen, and the Epstein
lattice from 40x40 to 2000x2000.

Every size runs in its own subprocess, so that its peak resident memory (ru_maxrss) is its
own. For the country model the script reports, per size: wall and CPU time of the whole run
(population synthesis included), time per step of every phase/module (the Sim's own timings,
manifest.timings.detail), agent-updates per second, peak RSS, and the ratio of the measured
step time to a memory-bandwidth floor: the time to stream every population column and the
network once at the copy bandwidth measured in the same run (a large NumPy array copy). The
machine is shared: the load average is written beside every figure.

    python benchmarks/scale.py [--scales 1000 100 10 1] [--lattices 40 200 1000 2000] [--repeat 1]
                               [--cli-scales 1] [--cli-cold]

Writes benchmarks/results/scale.md, scale.json and scale.png.
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

COUNTRY_CHILD = r"""
import json, os, resource, sys, time
t_start = time.perf_counter()
scale = float(sys.argv[1])
import numpy as np
from tolqyn.core.sim import Sim
from tolqyn.scenarios.loader import load_scenario
import numba
sc = load_scenario("kazakhstan-2022", overrides={"scale": scale})
# load the compiled kernels from Numba's cache first (a fixed start-up cost, reported apart)
t_w = time.perf_counter()
Sim(load_scenario("kazakhstan-2022", overrides={"scale": 2000.0})).run()
warm_s = time.perf_counter() - t_w
load0 = os.getloadavg()
r0 = resource.getrusage(resource.RUSAGE_SELF)
c0 = time.process_time()
t0 = time.perf_counter()
sim = Sim(sc)
res = sim.run()
wall = time.perf_counter() - t0
cpu = time.process_time() - c0
r1 = resource.getrusage(resource.RUSAGE_SELF)
tm = res.manifest["timings"]
net = sim.space.network
pop = sim.pop
mem = [{"column": n, "dtype": d, "bytes_per_agent": b, "doc": doc} for n, d, b, doc in pop.memory_table()]
net_bytes = int(net.indptr.nbytes + net.indices.nbytes)
print(json.dumps({
    "scale": scale, "agents": int(pop.n), "steps": int(res.manifest["steps"]), "warm_s": warm_s,
    "wall_s": wall, "cpu_s": cpu, "user_s": r1.ru_utime - r0.ru_utime,
    "sys_s": r1.ru_stime - r0.ru_stime, "process_s": time.perf_counter() - t_start,
    "init_s": tm["init_s"], "loop_s": tm["loop_s"], "detail": tm["detail"],
    "pop_bytes": int(pop.nbytes), "network_bytes": net_bytes, "memory_table": mem,
    "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
    "numba_threads": numba.get_num_threads(), "load_before": load0, "load_after": os.getloadavg(),
    "active_peak": float(res.series("active").max()),
}))
"""

EPSTEIN_CHILD = r"""
import json, os, resource, sys, time
W, steps, warm, preset, activation = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
import numba
from tolqyn.core.sim import Sim
from tolqyn.scenarios.loader import load_scenario
sc = load_scenario(preset, overrides={"width": W, "height": W, "activation": activation})
t0 = time.perf_counter()
sim = Sim(sc, seed=1, steps=warm + steps)
sim.init()
init_s = time.perf_counter() - t0
for _ in range(warm):
    sim.step()
load0 = os.getloadavg()
c0 = time.process_time()
t0 = time.perf_counter()
for _ in range(steps):
    sim.step()
loop = time.perf_counter() - t0
cpu = time.process_time() - c0
print(json.dumps({"W": W, "preset": preset, "activation": activation, "threads": numba.get_num_threads(), "agents": int(sim.pop.n), "steps": steps, "init_s": init_s, "loop_s": loop,
                  "cpu_s": cpu, "steps_per_s": steps / loop, "cpu_steps_per_s": steps / cpu,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "load_before": load0, "load_after": os.getloadavg()}))
"""


STREAM_CHILD = r"""
import json, time
import numpy as np
a = np.ones(512 * 2**20 // 8)
b = np.empty_like(a)
best = float("inf")
for _ in range(7):
    t = time.perf_counter()
    np.copyto(b, a)
    best = min(best, time.perf_counter() - t)
print(json.dumps({"gbs": 2 * a.nbytes / best / 1e9}))
"""

# the command of the issue, end to end (Python start-up, imports, loading the compiled kernels,
# synthesis, run, writing results); the wrapper's only children are CLI runs, so its peak RSS
# is the largest of theirs (the warm-up run at 1:2000 is far smaller). cache "warm": Numba's
# on-disk cache is filled first by an untimed run at 1:2000, as for any run but a fresh
# install's first; "cold": an empty NUMBA_CACHE_DIR, so every kernel is compiled in the timed
# run (a fresh install's first run, or the first after a kernel's source file changed).
CLI_CHILD = r"""
import json, os, resource, shutil, subprocess, sys, tempfile, time
scale, cache = sys.argv[1], sys.argv[2]
tolqyn = os.path.join(os.path.dirname(sys.executable), "tolqyn")
out = tempfile.mkdtemp(prefix="tolqyn-scale-")
env = dict(os.environ)
if cache == "cold":
    env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="tolqyn-numba-cache-")
else:
    subprocess.run([tolqyn, "run", "kazakhstan-2022", "--scale", "2000", "--out", out + "/warm",
                    "--quiet"], check=True, capture_output=True, env=env)
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
cmd = [tolqyn, "run", "kazakhstan-2022", "--scale", scale, "--out", out + "/run", "--quiet"]
load0 = os.getloadavg()
t = time.perf_counter()
subprocess.run(cmd, check=True, capture_output=True, env=env)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
shutil.rmtree(out, ignore_errors=True)
if cache == "cold":
    shutil.rmtree(env["NUMBA_CACHE_DIR"], ignore_errors=True)
cpu = (ru.ru_utime - r0.ru_utime) + (ru.ru_stime - r0.ru_stime)
print(json.dumps({"scale": float(scale), "cache": cache, "command": " ".join(["tolqyn"] + cmd[1:5]),
                  "wall_s": wall, "cpu_s": cpu, "user_s": ru.ru_utime - r0.ru_utime,
                  "sys_s": ru.ru_stime - r0.ru_stime, "peak_rss_gb": ru.ru_maxrss / 1e6,
                  "load_before": load0, "load_after": os.getloadavg()}))
"""


def stream_copy_gbs():
    """Copy bandwidth (read + write bytes per second) of a 512 MiB array, best of 7, measured
    in its own process (a child inherits its parent's peak RSS on Linux)."""
    return child(STREAM_CHILD, [], 300)["gbs"]


def child(code, args, timeout):
    r = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def phase_per_step(detail, steps):
    return {
        k[len("phase/") :]: v / max(steps, 1)
        for k, v in sorted(detail.items())
        if k.startswith("phase/")
    }


def plot(rows, ep_rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    n = [r["agents"] for r in rows]
    ax.loglog(n, [r["loop_s"] / r["steps"] for r in rows], "o-", label="loop wall s / step")
    ax.loglog(n, [r["wall_s"] for r in rows], "s-", label="whole run wall s (incl. synthesis)")
    ax.loglog(n, [r["cpu_s"] for r in rows], "^-", label="whole run CPU s")
    ref = rows[-1]
    ax.loglog(
        n, [ref["loop_s"] / ref["steps"] * k / ref["agents"] for k in n], "k:", label="linear in N"
    )
    ax.set_xlabel("agents")
    ax.set_ylabel("seconds")
    ax.set_title(f"kazakhstan-2022, {rows[0]['steps']} steps")
    ax.legend(fontsize=8)
    ax = axes[1]
    for preset, act in dict.fromkeys(
        (r.get("preset", "mesa-3"), r.get("activation", "one_list")) for r in ep_rows
    ):
        er = [
            r
            for r in ep_rows
            if (r.get("preset", "mesa-3"), r.get("activation", "one_list")) == (preset, act)
        ]
        m = [r["agents"] for r in er]
        ax.loglog(
            m, [1.0 / r["steps_per_s"] for r in er], "o-", label=f"{preset} ({act}): wall s / step"
        )
    if ep_rows:
        ax.set_xlabel("citizens")
        ax.set_title("Epstein lattices")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[1000, 100, 10, 1])
    ap.add_argument("--lattices", type=int, nargs="+", default=[40, 200, 1000, 2000])
    ap.add_argument(
        "--presets",
        nargs="+",
        default=["mesa-3", "epstein-2002/run-2"],
        help="Epstein presets timed on every lattice",
    )
    ap.add_argument(
        "--activations",
        nargs="+",
        default=["one_list", "tiles"],
        help="Epstein activation rules timed (tiles only on lattices of 200 and more)",
    )
    ap.add_argument(
        "--cli-scales",
        type=float,
        nargs="*",
        default=[1],
        help="scales timed end to end with `tolqyn run`",
    )
    ap.add_argument(
        "--cli-cold",
        action="store_true",
        help="also time the command with an empty Numba cache (every kernel compiled)",
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per size (the fastest is reported)")
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args()

    bw = stream_copy_gbs()
    print(f"stream copy: {bw:.1f} GB/s (read + write)", flush=True)
    caches = ["warm", "cold"] if a.cli_cold else ["warm"]
    cli = [
        child(CLI_CHILD, [s, cache], a.timeout)
        for s in a.cli_scales
        for cache in caches
        for _ in range(a.repeat)
    ]
    for c in cli:
        print(
            f"{c['command']} ({c['cache']} cache): wall {c['wall_s']:.1f} s, CPU {c['cpu_s']:.1f} s, peak {c['peak_rss_gb']:.2f} GB, "
            f"load {c['load_after'][0]:.1f}",
            flush=True,
        )
    rows = []
    for s in a.scales:
        runs = [child(COUNTRY_CHILD, [s], a.timeout) for _ in range(a.repeat)]
        r = min(runs, key=lambda x: x["wall_s"])
        r["wall_s_all"] = [x["wall_s"] for x in runs]
        per_step = r["loop_s"] / max(r["steps"], 1)
        r["agent_updates_per_s"] = r["agents"] * r["steps"] / r["loop_s"]
        stream_bytes = r["pop_bytes"] + r["network_bytes"]
        r["bandwidth_floor_s_per_step"] = stream_bytes / (bw * 1e9 / 2)  # one read of everything
        r["ratio_to_bandwidth_floor"] = per_step / r["bandwidth_floor_s_per_step"]
        r["phase_s_per_step"] = phase_per_step(r.pop("detail"), r["steps"])
        rows.append(r)
        print(
            f"scale {s:g}: {r['agents']:,} agents, wall {r['wall_s']:.1f} s (init {r['init_s']:.1f}, "
            f"loop {r['loop_s']:.1f}), CPU {r['cpu_s']:.1f} s, peak {r['peak_rss_gb']:.2f} GB, "
            f"{r['agent_updates_per_s']:.3g} agent-updates/s, load {r['load_after'][0]:.1f}",
            flush=True,
        )
    ep_rows = []
    for act, preset, W in [(x, p, W) for x in a.activations for p in a.presets for W in a.lattices]:
        if act == "tiles" and W < 200:
            continue  # tiles need a lattice at least 4x an actor's reach
        steps = 200 if W <= 40 else 20 if W <= 200 else 10 if W <= 1000 else 5
        ep = child(EPSTEIN_CHILD, [W, steps, 3, preset, act], a.timeout)
        ep_rows.append(ep)
        print(
            f"epstein {preset} {act} {W}x{W}: {ep['agents']:,} citizens, {ep['steps_per_s']:.2f} steps/s "
            f"(CPU {ep['cpu_steps_per_s']:.2f}), peak {ep['peak_rss_mb']:.0f} MB, "
            f"load {ep['load_after'][0]:.1f}",
            flush=True,
        )

    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "node": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "stream_copy_gbs": bw,
        "command": "python benchmarks/scale.py " + " ".join(sys.argv[1:]),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "scale.json").write_text(
        json.dumps({"meta": meta, "cli": cli, "country": rows, "epstein": ep_rows}, indent=1)
    )
    plot(rows, ep_rows, OUT / "scale.png")
    write_md(meta, cli, rows, ep_rows, OUT / "scale.md")
    print((OUT / "scale.md").read_text())


def write_md(meta, cli, rows, ep_rows, path):
    n_steps = rows[0]["steps"] if rows else 0
    L = [
        "# Population scale",
        "",
        f"Measured {meta['date']} on {meta['node']} ({meta['cpus']} cores, Python {meta['python']}) with "
        f"`{meta['command']}`. Each size ran in its own process (peak RSS is that process's). The machine "
        f"was shared with other work: the load average (1 min) is given beside each figure; wall times "
        f"under load are longer than CPU times. Stream copy bandwidth measured in the same run: "
        f"{meta['stream_copy_gbs']:.1f} GB/s (read + write).",
        "",
        "## The command, end to end",
        "",
        "| command | Numba cache | wall s | CPU s (user + sys) | peak RSS GB | load before / after |",
        "|---|---|---|---|---|---|",
    ]
    for c in cli:
        cpu = f"{c['cpu_s']:.1f}"
        if "user_s" in c:
            cpu += f" ({c['user_s']:.1f} + {c['sys_s']:.1f})"
        L.append(
            f"| `{c['command']}` | {c.get('cache', '?')} | {c['wall_s']:.1f} | {cpu} | "
            f"{c['peak_rss_gb']:.2f} | "
            f"{c['load_before'][0]:.1f} / {c['load_after'][0]:.1f} |"
        )
    L += [
        "",
        "Targets (issue 12): at most 30 s wall and 3 GB peak resident memory at scale 1 on 2 "
        f"cores (Python start-up, imports, loading compiled kernels, synthesis, {n_steps} steps and "
        "writing the results included). On a shared machine the wall time grows with the load; "
        "CPU s / 2 is what the run needs of two free cores (a lower bound of its wall time "
        "there). Warm cache: the compiled kernels are loaded from Numba's on-disk cache, filled "
        "by an untimed run at 1:2000 just before (every run but the first after installing or "
        "after a kernel's source file changed); cold (`--cli-cold`): an empty NUMBA_CACHE_DIR, "
        "so the timed run compiles every kernel on one core first.",
        "",
        f"## kazakhstan-2022 ({n_steps} simulated days: two quiet weeks of December, then 20 of "
        "January)",
        "",
        "| scale (citizens/agent) | agents | whole run wall s | synthesis + init s | loop s | CPU s | "
        "agent-updates/s | peak RSS GB | loop / bandwidth floor | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        L.append(
            f"| {r['scale']:g} | {r['agents']:,} | {r['wall_s']:.2f} | {r['init_s']:.2f} | {r['loop_s']:.2f} | "
            f"{r['cpu_s']:.2f} | {r['agent_updates_per_s']:.3g} | {r['peak_rss_gb']:.2f} | "
            f"{r['ratio_to_bandwidth_floor']:.0f}x | {r['load_after'][0]:.1f} |"
        )
    warm = max(r["warm_s"] for r in rows)
    L += [
        "",
        f"Whole run = `Sim(...).run()`: population synthesis, module set-up, {n_steps} steps, results table "
        "(Python start-up, imports and loading the compiled kernels from Numba's cache not included: each "
        f"process first ran the scenario at 1:2000, which took at most {warm:.1f} s). Runs of fewer than "
        "1,000,000 agents step on one thread (core/sim.py, PARALLEL_MIN_AGENTS); larger ones on all. Bandwidth floor = time to read every population "
        "column and the network once per step at the measured copy bandwidth; the ratio says how far the "
        "step is from being limited by memory bandwidth alone.",
        "",
        "![cost against population size](scale.png)",
        "",
        "### Time per step by phase/module (ms, wall)",
        "",
    ]
    keys = sorted(
        {k for r in rows for k in r["phase_s_per_step"]},
        key=lambda k: -rows[-1]["phase_s_per_step"].get(k, 0.0),
    )
    keys = [k for k in keys if max(r["phase_s_per_step"].get(k, 0.0) for r in rows) >= 1e-4]
    L.append("| phase/module | " + " | ".join(f"1:{r['scale']:g}" for r in rows) + " |")
    L.append("|---|" + "---|" * len(rows))
    for k in keys:
        L.append(
            f"| {k} | "
            + " | ".join(f"{1e3 * r['phase_s_per_step'].get(k, 0.0):.2f}" for r in rows)
            + " |"
        )
    big = max(rows, key=lambda r: r["agents"])
    L += [
        "",
        f"### Memory per agent (population columns, at {big['agents']:,} agents)",
        "",
        "| column | dtype | bytes/agent | meaning |",
        "|---|---|---|---|",
    ]
    for m in big["memory_table"]:
        L.append(f"| {m['column']} | {m['dtype']} | {m['bytes_per_agent']} | {m['doc']} |")
    tot = sum(m["bytes_per_agent"] for m in big["memory_table"])
    netb = big["network_bytes"] / big["agents"]
    L += [
        f"| **columns total** | | {tot} | |",
        f"| network (CSR indptr int64 + indices int32) | | {netb:.1f} | social ties |",
        f"| **total** | | {tot + netb:.1f} | peak RSS / agent: {big['peak_rss_gb'] * 1e9 / big['agents']:.0f} bytes |",
        "",
    ]
    if ep_rows:
        L += [
            "## Epstein lattices",
            "",
            "`mesa-3`: Mesa 3.3's semantics (von Neumann vision 7, jail terms up to 1,000 served in "
            "place); `epstein-2002/run-2`: the paper's Run 2 (Euclidean vision 7, 148 sites; jail "
            "terms up to 30, jailed citizens leave the lattice). Activation `one_list`: exact random "
            "sequential activation (Epstein, Mesa, NetLogo; one thread by nature). `tiles`: "
            "block-sequential activation (not Epstein's rule, docked statistically with it; "
            "docs/odd/epstein.md): checkerboard tiles, the tiles of a colour in parallel. Each row times "
            "the periods right after 3 warm-up periods (200 at 40x40, 20 at 200x200, 10 at 1000x1000, "
            "5 at 2000x2000), so an initial wave of actives, where a preset has one, is in the window.",
            "",
            "| preset | activation | threads | lattice | citizens | steps/s (wall) | steps/s (CPU) | agent-steps/s | set-up s | peak RSS MB | load |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for e in ep_rows:
            L.append(
                f"| {e.get('preset', 'mesa-3')} | {e.get('activation', 'one_list')} | {e.get('threads', 1) if e.get('activation') == 'tiles' else 1} | {e['W']}x{e['W']} | {e['agents']:,} | {e['steps_per_s']:.2f} | {e['cpu_steps_per_s']:.2f} | "
                f"{e['agents'] * e['steps_per_s']:.3g} | {e['init_s']:.1f} | {e['peak_rss_mb']:.0f} | "
                f"{e['load_after'][0]:.1f} |"
            )
        L.append("")
    path.write_text("\n".join(L))


if __name__ == "__main__":
    main()
