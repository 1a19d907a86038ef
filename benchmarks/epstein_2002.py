"""Replication study of Epstein (2002) as published: Run 2's waiting times and activation per
outburst under readings of the original model, and Run 8's cop-density curve (issue 18).

Every run is an `epstein-2002/run-2` or `run-8` preset with the overrides of its setting;
seeds 1000.. are independent of the tests' seeds. Writes docs/results/epstein-2002/
(runs.json with every run's statistics, series.npz with Run 2's active and jailed series,
figures) and prints the tables that README.md quotes.

    PYTHONPATH=src python benchmarks/epstein_2002.py [--seeds 24] [--variant-seeds 24]
        [--steps 3000] [--run8-seeds 5] [--run8-cap 15000] [--procs 2]
    PYTHONPATH=src python benchmarks/epstein_2002.py --tables    # README's tables
    PYTHONPATH=src python benchmarks/epstein_2002.py --confirm   # the best Run 2 reading
"""

from __future__ import annotations

import argparse
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "epstein-2002"

ASCAPE_G = {"grievance_form": "H(1-L)(1-T)"}
RUN2_SETTINGS = {}
for form, extra in (("H(1-L)", {}), ("H(1-L)(1-T)", ASCAPE_G)):
    for L in (0.80, 0.82, 0.84, 0.86):
        RUN2_SETTINGS[f"G={form} L={L:.2f}"] = {**extra, "legitimacy": L}
JAIL = {
    "term 0..J-1": {"jail_term_range": "0..J-1"},
    "countdown at end of period": {"jail_countdown": "end_of_step"},
    "released acts next turn": {"release_turn_acts": False},
    "J_max 45": {"max_jail_term": 45},
}
COPS = {
    "random arrest target": {"arrest_target": "random"},
    "cop vision 5": {"cop_vision": 5.0},
    "cop vision 9": {"cop_vision": 9.0},
    "citizens then cops": {"activation": "citizens_then_cops"},
    "cops then citizens": {"activation": "cops_then_citizens"},
}
VARIANT_SETTINGS = {}  # jail and cop readings, on the Ascape grievance form at L = 0.82
for group in (JAIL, COPS):
    for name, ov in group.items():
        VARIANT_SETTINGS[f"{name}, G=H(1-L)(1-T)"] = {**ASCAPE_G, **ov}
RUN8_VARIANTS = {
    "Ascape (preset)": {},
    "death age U(0, max_age)": {"death_age": "uniform"},
    "no ageing in jail": {"age_in_jail": False},
    "killer turns quiet": {"after_kill": "quiet"},
    "cop vision 7, citizen 1.7": {"cop_vision": 7.0},
    "cops act first": {"activation": "cops_then_citizens"},
}
RUN8_DENSITIES = (0.0, 0.04, 0.10)


def run2(job):
    import tolqyn

    setting, ov, seed, steps = job
    r = tolqyn.run_one("epstein-2002/run-2", seed=seed, steps=steps, overrides=ov)
    return setting, seed, r.series("active").astype(np.int16), r.series("jailed").astype(np.int16)


def run8(job):
    from tolqyn.core.sim import Sim
    from tolqyn.scenarios.loader import load_scenario

    variant, ov, density, seed, cap = job
    sc = load_scenario("epstein-2002/run-8", overrides={**ov, "cop_density": density})
    sim = Sim(sc, seed=seed, steps=cap)
    sim.init()
    mod = sim.modules[0]
    for t in range(1, cap + 1):
        sim.step()
        if mod._summary[4] == 0 or mod._summary[5] == 0:  # one group extinct
            return variant, density, seed, t, True
    return variant, density, seed, cap, False


def main(argv=None):
    from tolqyn.analysis import outbursts as ob

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=24)
    ap.add_argument("--variant-seeds", type=int, default=24)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--run8-seeds", type=int, default=5)
    ap.add_argument("--run8-cap", type=int, default=15000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--skip-run8", action="store_true")
    ap.add_argument(
        "--run8-only", action="store_true", help="redo Run 8 only; keep runs.json's Run 2"
    )
    ap.add_argument("--run8-densities", type=float, nargs="+", default=list(RUN8_DENSITIES))
    args = ap.parse_args(argv)
    if args.run8_only:
        return run8_only(args)
    OUT.mkdir(parents=True, exist_ok=True)
    t0, c0 = time.time(), time.process_time()
    jobs = [
        (name, ov, 1000 + s, args.steps)
        for name, ov in RUN2_SETTINGS.items()
        for s in range(args.seeds)
    ] + [
        (name, ov, 1000 + s, args.steps)
        for name, ov in VARIANT_SETTINGS.items()
        for s in range(args.variant_seeds)
    ]
    with Pool(args.procs) as pool:
        res2 = []
        for k, r in enumerate(pool.imap_unordered(run2, jobs, chunksize=2)):
            res2.append(r)
            if k % 20 == 0:
                print(f"run 2: {k + 1}/{len(jobs)} {time.time() - t0:.0f} s", flush=True)
        res8 = []
        if not args.skip_run8:
            jobs8 = [
                (v, ov, d, 2000 + s, args.run8_cap)
                for v, ov in RUN8_VARIANTS.items()
                for d in RUN8_DENSITIES
                for s in range(args.run8_seeds)
            ]
            for k, r in enumerate(pool.imap_unordered(run8, jobs8)):
                res8.append(r)
                if k % 10 == 0:
                    print(f"run 8: {k + 1}/{len(jobs8)} {time.time() - t0:.0f} s", flush=True)
    wall = time.time() - t0
    np.savez_compressed(
        OUT / "series.npz",
        **{f"{st}|{seed}|active": a for st, seed, a, _ in res2},
        **{f"{st}|{seed}|jailed": j for st, seed, _, j in res2},
    )
    summary = {"run2": {}, "run8": {}, "meta": {}}
    for setting in {**RUN2_SETTINGS, **VARIANT_SETTINGS}:
        rows = [(a, j) for st, _, a, j in res2 if st == setting]
        act = np.concatenate([ob.total_activation(a) for a, _ in rows])
        row = {
            "runs": len(rows),
            "outbursts_per_run": float(np.mean([len(ob.outburst_spans(a)) for a, _ in rows])),
        }
        row["activation_mean"] = float(act.mean()) if act.size else float("nan")
        row["activation_sd"] = float(act.std(ddof=1)) if act.size > 1 else float("nan")
        for d in ob.WAIT_DEFINITIONS:
            for k in (0, 5):
                w = np.concatenate([ob.waits(a, definition=d, merge_below=k) for a, _ in rows])
                key = f"{d}" + (f" merge<{k}" if k else "")
                row[key] = {
                    "n": int(w.size),
                    "mean": float(w.mean()) if w.size else float("nan"),
                    "sd": float(w.std(ddof=1)) if w.size > 1 else float("nan"),
                    "mean_ge30": float(w[w >= 30].mean()) if (w >= 30).any() else float("nan"),
                    **ob.tail_fit(w),
                }
        ends, nxt = zip(*(ob.jailed_at_ends(a, j) for a, j in rows))
        ends, nxt = np.concatenate(ends), np.concatenate(nxt)
        row["jailed_at_end_mean"] = float(ends.mean()) if ends.size else float("nan")
        row["corr_jailed_end_next_wait"] = (
            float(np.corrcoef(ends, nxt)[0, 1])
            if ends.size > 2 and ends.std() > 0
            else float("nan")
        )
        summary["run2"][setting] = row
    for v in RUN8_VARIANTS:
        for d in RUN8_DENSITIES:
            r = [(t, ext) for vv, dd, _, t, ext in res8 if vv == v and dd == d]
            if not r:
                continue
            ts = np.array([t for t, _ in r], dtype=float)
            summary["run8"][f"{v}|{d:.2f}"] = {
                "runs": len(r),
                "extinct": int(sum(e for _, e in r)),
                "time_mean": float(ts.mean()),
                "time_sd": float(ts.std(ddof=1)) if ts.size > 1 else float("nan"),
                "time_median": float(np.median(ts)),
            }
    summary["meta"] = {
        "seeds": args.seeds,
        "variant_seeds": args.variant_seeds,
        "steps": args.steps,
        "run8_seeds": args.run8_seeds,
        "run8_cap": args.run8_cap,
        "run8_densities": list(RUN8_DENSITIES),
        "wall_s": wall,
        "parent_cpu_s": time.process_time() - c0,
        "procs": args.procs,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    (OUT / "runs.json").write_text(json.dumps(summary, indent=1))
    figures(summary, res2)
    print(json.dumps(summary["meta"]))


def run8_summary(res8, densities) -> dict:
    out = {}
    for v in RUN8_VARIANTS:
        for d in densities:
            r = [(t, ext) for vv, dd, _, t, ext in res8 if vv == v and dd == d]
            if not r:
                continue
            ts = np.array([t for t, _ in r], dtype=float)
            out[f"{v}|{d:.2f}"] = {
                "runs": len(r),
                "extinct": int(sum(e for _, e in r)),
                "time_mean": float(ts.mean()),
                "time_sd": float(ts.std(ddof=1)) if ts.size > 1 else float("nan"),
                "time_median": float(np.median(ts)),
            }
    return out


def run8_only(args):
    """Run 8's sweep alone, replacing the run8 part of runs.json and run8.png."""
    t0 = time.time()
    jobs8 = [
        (v, ov, d, 2000 + s, args.run8_cap)
        for v, ov in RUN8_VARIANTS.items()
        for d in args.run8_densities
        for s in range(args.run8_seeds)
    ]
    with Pool(args.procs) as pool:
        res8 = []
        for k, r in enumerate(pool.imap_unordered(run8, jobs8)):
            res8.append(r)
            if k % 10 == 0:
                print(f"run 8: {k + 1}/{len(jobs8)} {time.time() - t0:.0f} s", flush=True)
    summary = json.loads((OUT / "runs.json").read_text())
    summary["run8"] = run8_summary(res8, args.run8_densities)
    summary["meta"].update(
        run8_seeds=args.run8_seeds,
        run8_cap=args.run8_cap,
        run8_densities=list(args.run8_densities),
        run8_wall_s=time.time() - t0,
        run8_date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
    (OUT / "runs.json").write_text(json.dumps(summary, indent=1))
    run8_figure(summary)
    print(json.dumps(summary["meta"]))


def run8_figure(summary):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    dens = summary["meta"]["run8_densities"]
    for v in RUN8_VARIANTS:
        ds = [d for d in dens if f"{v}|{d:.2f}" in summary["run8"]]
        m = [summary["run8"][f"{v}|{d:.2f}"]["time_mean"] for d in ds]
        ax.plot(ds, m, "o-", label=v)
    ax.set_yscale("log")
    ax.set_xlabel("cop density")
    ax.set_ylabel("mean periods to extinction (cap counted as cap)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(OUT / "run8.png", dpi=110)
    plt.close(fig)


def figures(summary, res2):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tolqyn.analysis import outbursts as ob

    # waits and activation against legitimacy, both grievance forms
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
    for form in ("H(1-L)", "H(1-L)(1-T)"):
        Ls = (0.80, 0.82, 0.84, 0.86)
        rows = [summary["run2"][f"G={form} L={L:.2f}"] for L in Ls]
        ax[0].plot(Ls, [r["end_start"]["mean"] for r in rows], "o-", label=f"G = {form}")
        ax[1].plot(Ls, [r["activation_mean"] for r in rows], "o-", label=f"G = {form}")
    for a, v, lab in (
        (ax[0], 60, "mean wait (end→start)"),
        (ax[1], 708, "activation per outburst"),
    ):
        a.axhspan(0.8 * v, 1.2 * v, color="0.85", label="paper ±20 %")
        a.axhline(v, color="k", lw=1)
        a.set_xlabel("legitimacy L")
        a.set_ylabel(lab)
    ax[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "legitimacy.png", dpi=110)
    plt.close(fig)
    # wait histograms of the presets' reading (L = 0.82) on a log scale, with the paper's
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for form in ("H(1-L)", "H(1-L)(1-T)"):
        st = f"G={form} L=0.82"
        w = np.concatenate([ob.waits(a) for s, _, a, _ in res2 if s == st])
        c, e = np.histogram(w, bins=np.arange(0, 200, 5))
        ax.semilogy(e[:-1] + 2.5, np.where(c > 0, c, np.nan), "o-", ms=3, label=f"G = {form}")
    x = np.arange(30, 200)
    ax.semilogy(x, 50 * np.exp(-0.07 * (x - 30)), "k--", label="paper Fig. 6 slope −0.07")
    ax.axvline(60, color="k", lw=1, label="paper mean 60")
    ax.set_xlabel("waiting time (periods, end→start)")
    ax.set_ylabel("count (all seeds)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "waits.png", dpi=110)
    plt.close(fig)
    # Run 8: time to extinction against cop density
    if summary["run8"]:
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for v in RUN8_VARIANTS:
            ds = [d for d in RUN8_DENSITIES if f"{v}|{d:.2f}" in summary["run8"]]
            m = [summary["run8"][f"{v}|{d:.2f}"]["time_mean"] for d in ds]
            ax.plot(ds, m, "o-", label=v)
        ax.set_yscale("log")
        ax.set_xlabel("cop density")
        ax.set_ylabel("mean periods to extinction (cap counted as cap)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(OUT / "run8.png", dpi=110)
        plt.close(fig)


def tables(summary) -> str:
    """The Markdown tables of README.md, from runs.json."""

    def f(x, d=1):
        return "-" if x != x else f"{x:.{d}f}"

    m = summary["meta"]
    out = [
        f"Run 2 readings: {m['seeds']} seeds (variants {m['variant_seeds']}) x {m['steps']} "
        "periods each; waits in periods; activation = actives summed over an outburst.",
        "",
        "| setting | outbursts/run | wait mean (sd) end→start | start→start | peak→peak "
        "| end→start, gaps < 5 merged | activation mean (sd) | waits ≥ 30: n, slope, "
        "exp. rate, KS p | jailed at end; r(next wait) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in summary["run2"].items():
        es = r["end_start"]
        out.append(
            f"| {name} | {f(r['outbursts_per_run'])} | {f(es['mean'])} ({f(es['sd'])}) | "
            f"{f(r['start_start']['mean'])} ({f(r['start_start']['sd'])}) | "
            f"{f(r['peak_peak']['mean'])} ({f(r['peak_peak']['sd'])}) | "
            f"{f(r['end_start merge<5']['mean'])} ({f(r['end_start merge<5']['sd'])}) | "
            f"{f(r['activation_mean'], 0)} ({f(r['activation_sd'], 0)}) | "
            f"{es['n_tail']}, {f(es['slope'], 3)}, {f(es['exp_rate'], 3)}, {f(es['ks_p'], 3)} | "
            f"{f(r['jailed_at_end_mean'], 0)}; {f(r['corr_jailed_end_next_wait'], 2)} |"
        )
    if summary["run8"]:
        out += [
            "",
            f"Run 8: {m['run8_seeds']} seeds per cell, runs stopped at the extinction of a "
            f"group or at {m['run8_cap']} periods (then counted as {m['run8_cap']}).",
            "",
            "| variant | cop density | extinct / runs | periods to extinction: mean (sd), median |",
            "|---|---|---|---|",
        ]
        for key, r in summary["run8"].items():
            v, d = key.split("|")
            out.append(
                f"| {v} | {d} | {r['extinct']} / {r['runs']} | {f(r['time_mean'], 0)} "
                f"({f(r['time_sd'], 0)}), {f(r['time_median'], 0)} |"
            )
    return "\n".join(out) + "\n"


BEST_RUN2 = {"grievance_form": "H(1-L)(1-T)", "max_jail_term": 45}


def confirm(seeds=range(2000, 2024), steps=3000, procs=2):
    """The closest Run 2 reading of the study (BEST_RUN2) on further seeds: pooled waits and
    activation, per-run ranges and the tail fit."""
    from tolqyn.analysis import outbursts as ob

    with Pool(procs) as p:
        res = p.map(run2, [("best", BEST_RUN2, s, steps) for s in seeds])
    w = np.concatenate([ob.waits(a) for _, _, a, _ in res])
    act = np.concatenate([ob.total_activation(a) for _, _, a, _ in res])
    per_w = [ob.waits(a).mean() for _, _, a, _ in res]
    per_a = [ob.total_activation(a).mean() for _, _, a, _ in res]
    return {
        "overrides": BEST_RUN2,
        "n_waits": int(w.size),
        "wait_mean": float(w.mean()),
        "wait_sd": float(w.std(ddof=1)),
        "act_mean": float(act.mean()),
        "act_sd": float(act.std(ddof=1)),
        "per_run_wait_mean_range": [float(min(per_w)), float(max(per_w))],
        "per_run_act_mean_range": [float(min(per_a)), float(max(per_a))],
        "tail": ob.tail_fit(w),
    }


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--confirm"]:
        out = confirm()
        (OUT / "best_run2.json").write_text(json.dumps(out, indent=1))
        print(json.dumps(out))
    elif sys.argv[1:] == ["--tables"]:
        print(tables(json.loads((OUT / "runs.json").read_text())))
    else:
        main()
