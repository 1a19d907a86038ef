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
import os
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "docs" / "results" / "epstein-2002"

ASCAPE_G = {"grievance_form": "H(1-L)(1-T)"}
# The two semantics of Model I/II's movement and schedule compared. "free step": the presets
# before 2026-12-02 (one step to a random FREE Moore neighbour; citizens and cops in one
# shuffled list; Model II ages first and clones a quiet child last). "Ascape code": what
# Epstein's Ascape classes do (CellOccupant.randomWalk tries ONE random Moore neighbour and
# moves only if it is empty; the root scape runs the citizens' scape, then the cops'; Model
# II's rule list is walk, jail, decide, fission (a copy of the parent), age, death, attack).
FREE_STEP = {"move_rule": "one_step_moore", "activation": "one_list", "turn_order": "age_first"}
ASCAPE_CODE = {
    "move_rule": "try_one_step",
    "activation": "citizens_then_cops",
    "turn_order": "ascape",
}
RUN2_LEGITIMACY = (0.80, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86)
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
ASCAPE_COPS = {  # on the Ascape code's schedule (citizens then cops) the order variants differ
    "random arrest target": {"arrest_target": "random"},
    "cop vision 5": {"cop_vision": 5.0},
    "cop vision 9": {"cop_vision": 9.0},
    "one shuffled list": {"activation": "one_list"},
    "cops then citizens": {"activation": "cops_then_citizens"},
    "step to a free neighbour": {"move_rule": "one_step_moore"},
    "random site in vision (paper)": {"move_rule": "random_site_in_vision"},
}
# Run 2 setting groups: name -> {setting: overrides of epstein-2002/run-2}
RUN2_GROUPS = {
    "readings": {
        f"G={form} L={L:.2f}": {**FREE_STEP, **extra, "legitimacy": L}
        for form, extra in (("H(1-L)", {}), ("H(1-L)(1-T)", ASCAPE_G))
        for L in RUN2_LEGITIMACY
    },
    "variants": {
        f"{name}, G=H(1-L)(1-T)": {**FREE_STEP, **ASCAPE_G, **ov}
        for group in (JAIL, COPS)
        for name, ov in group.items()
    },
    "ascape": {
        f"Ascape code, G={form} L={L:.2f}": {**ASCAPE_CODE, **extra, "legitimacy": L}
        for form, extra in (("H(1-L)", {}), ("H(1-L)(1-T)", ASCAPE_G))
        for L in RUN2_LEGITIMACY
    },
    "ascape-variants": {
        f"Ascape code, {name}": {**ASCAPE_CODE, **ASCAPE_G, "legitimacy": 0.82, **ov}
        for group in (JAIL, ASCAPE_COPS)
        for name, ov in group.items()
    },
}
RUN2_GROUPS_FLAT = {k: v for g in RUN2_GROUPS.values() for k, v in g.items()}
RUN8_VARIANTS = {
    "free step (presets before 2026-12-02)": {**FREE_STEP},
    "Ascape code": {**ASCAPE_CODE, **ASCAPE_G},
    "Ascape code, death age U(0, max_age)": {**ASCAPE_CODE, **ASCAPE_G, "death_age": "uniform"},
    "Ascape code, no ageing in jail": {**ASCAPE_CODE, **ASCAPE_G, "age_in_jail": False},
    "Ascape code, killer turns quiet": {**ASCAPE_CODE, **ASCAPE_G, "after_kill": "quiet"},
    "Ascape code, cop vision 7": {**ASCAPE_CODE, **ASCAPE_G, "cop_vision": 7.0},
    "Ascape code, cops act first": {
        **ASCAPE_CODE,
        **ASCAPE_G,
        "activation": "cops_then_citizens",
    },
}
RUN8_DENSITIES = (0.0, 0.02, 0.04, 0.06, 0.08, 0.10)


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


def run2_row(rows) -> dict:
    """Statistics of one Run 2 setting over its runs: rows = [(active, jailed), ...]."""
    from tolqyn.analysis import outbursts as ob

    act = np.concatenate([ob.total_activation(a) for a, _ in rows])
    per_w = [ob.waits(a) for a, _ in rows]
    row = {
        "runs": len(rows),
        "outbursts_per_run": float(np.mean([len(ob.outburst_spans(a)) for a, _ in rows])),
        "activation_mean": float(act.mean()) if act.size else float("nan"),
        "activation_sd": float(act.std(ddof=1)) if act.size > 1 else float("nan"),
        # per-run means: their spread is what a test over seeds has to live with
        "run_wait_means": [float(w.mean()) if w.size else float("nan") for w in per_w],
        "run_activation_means": [
            float(ob.total_activation(a).mean()) if len(ob.outburst_spans(a)) else float("nan")
            for a, _ in rows
        ],
    }
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
    # Fig. 6's slope over the body of the truncated tail only (waits 30-100, bins of 5): the
    # full-tail fit above is dominated by the sparse bins of the longest waits
    w = np.concatenate([ob.waits(a) for a, _ in rows])
    c, e = np.histogram(w[w >= 30], bins=np.arange(30, 101, 5))
    keep = c > 0
    row["end_start"]["slope_30_100"] = (
        float(np.polyfit(e[:-1][keep] + 2.5, np.log(c[keep]), 1)[0])
        if keep.sum() >= 2
        else float("nan")
    )
    ends, nxt = zip(*(ob.jailed_at_ends(a, j) for a, j in rows))
    ends, nxt = np.concatenate(ends), np.concatenate(nxt)
    row["jailed_at_end_mean"] = float(ends.mean()) if ends.size else float("nan")
    row["corr_jailed_end_next_wait"] = (
        float(np.corrcoef(ends, nxt)[0, 1]) if ends.size > 2 and ends.std() > 0 else float("nan")
    )
    return row


def rescore(summary):
    """Recompute every Run 2 row from series.npz (the seeds it holds), keeping the overrides:
    one scoring for rows run in different batches."""
    series = np.load(OUT / "series.npz")
    by = {}
    for k in series.files:
        st, seed, kind = k.rsplit("|", 2)
        by.setdefault(st, {}).setdefault(int(seed), {})[kind] = series[k]
    for st, runs in by.items():
        rows = [(runs[s]["active"], runs[s]["jailed"]) for s in sorted(runs)]
        ov = summary["run2"].get(st, {}).get("overrides", RUN2_GROUPS_FLAT.get(st))
        summary["run2"][st] = {"overrides": ov, **run2_row(rows)}
    return summary


def _load():
    f = OUT / "runs.json"
    return json.loads(f.read_text()) if f.exists() else {"run2": {}, "run8": {}, "meta": {}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--groups", nargs="*", default=list(RUN2_GROUPS), choices=list(RUN2_GROUPS))
    ap.add_argument("--seeds", type=int, default=24)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--run8", nargs="*", default=None, help="Run 8 variants (default: all)")
    ap.add_argument("--run8-seeds", type=int, default=30)
    ap.add_argument("--run8-seed-start", type=int, default=0, help="first seed is 2000 + this")
    ap.add_argument("--run8-cap", type=int, default=15000)
    ap.add_argument("--run8-densities", type=float, nargs="+", default=list(RUN8_DENSITIES))
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--skip-run8", action="store_true")
    ap.add_argument("--run8-only", action="store_true")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    summary = _load()
    if not args.run8_only:
        run2_groups(args, summary)
    if not args.skip_run8:
        run8_sweep(args, summary)
    figures(summary)
    print(json.dumps(summary["meta"]))


def run2_groups(args, summary):
    """Run the Run 2 setting groups, merging their rows into runs.json and their series into
    series.npz (settings not run now keep their earlier rows)."""
    t0, load0 = time.time(), os.getloadavg()[0]
    settings = {k: v for g in args.groups for k, v in RUN2_GROUPS[g].items()}
    jobs = [(n, ov, 1000 + s, args.steps) for n, ov in settings.items() for s in range(args.seeds)]
    res2 = []
    with Pool(args.procs) as pool:
        for k, r in enumerate(pool.imap_unordered(run2, jobs, chunksize=2)):
            res2.append(r)
            if k % 20 == 0:
                print(f"run 2: {k + 1}/{len(jobs)} {time.time() - t0:.0f} s", flush=True)
    npz = OUT / "series.npz"
    old = dict(np.load(npz)) if npz.exists() else {}
    old = {k: v for k, v in old.items() if k.split("|")[0] not in settings}
    old.update({f"{st}|{seed}|active": a for st, seed, a, _ in res2})
    old.update({f"{st}|{seed}|jailed": j for st, seed, _, j in res2})
    np.savez_compressed(npz, **old)
    for name, ov in settings.items():
        rows = [(a, j) for st, _, a, j in sorted(res2, key=lambda r: r[1]) if st == name]
        summary["run2"][name] = {"overrides": ov, **run2_row(rows)}
    summary["meta"].setdefault("run2_batches", []).append(
        {
            "groups": args.groups,
            "seeds": args.seeds,
            "steps": args.steps,
            "runs": len(jobs),
            "wall_s": round(time.time() - t0, 1),
            "load_start": round(load0, 1),
            "load_end": round(os.getloadavg()[0], 1),
            "procs": args.procs,
            "end": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    )
    (OUT / "runs.json").write_text(json.dumps(summary, indent=1))


def run8_sweep(args, summary):
    """Run 8's cop-density sweep for the chosen variants; each cell replaces its earlier row.
    The raw (seed, periods, extinct) triples are kept so the table can be recomputed."""
    t0, load0 = time.time(), os.getloadavg()[0]
    variants = args.run8 if args.run8 else list(RUN8_VARIANTS)
    unknown = [v for v in variants if v not in RUN8_VARIANTS]
    if unknown:
        raise SystemExit(f"unknown Run 8 variants {unknown}; known: {list(RUN8_VARIANTS)}")
    jobs = [
        (v, RUN8_VARIANTS[v], d, 2000 + args.run8_seed_start + s, args.run8_cap)
        for d in args.run8_densities
        for v in variants
        for s in range(args.run8_seeds)
    ]
    # the longest (highest density) first, so the two processes finish together
    jobs.sort(key=lambda j: -j[2])
    res8 = []
    with Pool(args.procs) as pool:
        for k, r in enumerate(pool.imap_unordered(run8, jobs)):
            res8.append(r)
            if k % 10 == 0:
                print(f"run 8: {k + 1}/{len(jobs)} {time.time() - t0:.0f} s", flush=True)
            if k % 30 == 0 or k == len(jobs) - 1:
                _merge_run8(summary, res8)  # partial results survive an interrupted sweep
                (OUT / "runs.json").write_text(json.dumps(summary, indent=1))
    summary["meta"].setdefault("run8_batches", []).append(
        {
            "variants": variants,
            "densities": list(args.run8_densities),
            "seeds": args.run8_seeds,
            "first_seed": 2000 + args.run8_seed_start,
            "cap": args.run8_cap,
            "runs": len(jobs),
            "wall_s": round(time.time() - t0, 1),
            "load_start": round(load0, 1),
            "load_end": round(os.getloadavg()[0], 1),
            "procs": args.procs,
            "end": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    )
    _merge_run8(summary, res8)
    (OUT / "runs.json").write_text(json.dumps(summary, indent=1))


def _merge_run8(summary, res8):
    """Fold new (variant, density, seed, periods, extinct) results into the cells of runs.json;
    a cell keeps the seeds of earlier batches (a seed run again replaces its old result)."""
    cells = {}
    for v, d, seed, t, ext in res8:
        cells.setdefault(f"{v}|{d:.2f}", {})[seed] = (t, ext)
    for key, new in cells.items():
        old = {s: (t, e) for s, t, e in summary["run8"].get(key, {}).get("raw", [])}
        old.update(new)
        r = sorted((s, t, e) for s, (t, e) in old.items())
        ts = np.array([t for _, t, _ in r], dtype=float)
        ext = np.array([e for *_, e in r], dtype=bool)
        summary["run8"][key] = {
            "runs": len(r),
            "extinct": int(ext.sum()),
            "time_mean": float(ts.mean()),
            "time_sd": float(ts.std(ddof=1)) if ts.size > 1 else float("nan"),
            "time_median": float(np.median(ts)),
            "extinct_time_mean": float(ts[ext].mean()) if ext.any() else float("nan"),
            "raw": [[int(s), int(t), bool(e)] for s, t, e in r],
        }


def figures(summary):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tolqyn.analysis import outbursts as ob

    run2 = summary["run2"]
    # waits and activation against legitimacy, both grievance forms, both semantics
    fig, ax = plt.subplots(1, 2, figsize=(10.5, 4))
    for prefix, ls in (("", "--"), ("Ascape code, ", "-")):
        for form, col in (("H(1-L)", "C0"), ("H(1-L)(1-T)", "C1")):
            keys = [f"{prefix}G={form} L={L:.2f}" for L in RUN2_LEGITIMACY]
            Ls = [L for L, k in zip(RUN2_LEGITIMACY, keys) if k in run2]
            rows = [run2[k] for k in keys if k in run2]
            if not rows:
                continue
            lab = f"{'Ascape code' if prefix else 'free step'}, G = {form}"
            ax[0].plot(Ls, [r["end_start"]["mean"] for r in rows], "o" + ls, color=col, label=lab)
            ax[1].plot(Ls, [r["activation_mean"] for r in rows], "o" + ls, color=col, label=lab)
    for a, v, lab in (
        (ax[0], 60, "mean wait (end→start), periods"),
        (ax[1], 708, "activation per outburst"),
    ):
        a.axhspan(0.8 * v, 1.2 * v, color="0.88", label="Epstein (2002) ±20 %")
        a.axhline(v, color="k", lw=1)
        a.set_xlabel("legitimacy L")
        a.set_ylabel(lab)
    ax[0].set_yscale("log")
    ax[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(OUT / "legitimacy.png", dpi=110)
    plt.close(fig)
    # wait distributions (log counts) of a few settings, with Fig. 6's slope and an exponential
    npz = OUT / "series.npz"
    if npz.exists():
        series = np.load(npz)
        fig, ax = plt.subplots(figsize=(6.4, 4))
        anchor = None  # the first setting's count in the bin at 30: where the lines start
        for st in WAIT_FIGURE_SETTINGS:
            keys = [k for k in series.files if k.startswith(st + "|") and k.endswith("|active")]
            if not keys:
                continue
            w = np.concatenate([ob.waits(series[k]) for k in keys])
            c, e = np.histogram(w, bins=np.arange(0, 300, 5))
            c = c / len(keys)
            if anchor is None:
                anchor = c[6]
            ax.semilogy(e[:-1] + 2.5, np.where(c > 0, c, np.nan), "o-", ms=3, label=st)
        anchor = anchor or 1.0
        x = np.arange(30, 250)
        ax.semilogy(
            x[:90] + 2.5, anchor * np.exp(-0.07 * (x[:90] - 30)), "k--", label="Fig. 6 slope −0.07"
        )
        ax.semilogy(
            x + 2.5,
            anchor * np.exp(-(x - 30) / 60),
            "k:",
            label="exponential, mean 60 (slope −0.017)",
        )
        ax.set_ylim(bottom=0.01)
        ax.axvline(60, color="k", lw=0.8)
        ax.set_xlabel("waiting time (periods, end→start)")
        ax.set_ylabel("waits per run of 3,000 periods, bins of 5")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(OUT / "waits.png", dpi=110)
        plt.close(fig)
    run8_figure(summary)


WAIT_FIGURE_SETTINGS = (
    "Ascape code, G=H(1-L)(1-T) L=0.82",
    "Ascape code, G=H(1-L) L=0.82",
    "G=H(1-L) L=0.82",
    "G=H(1-L)(1-T) L=0.82",
)


def run8_figure(summary):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not summary["run8"]:
        return
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for v in RUN8_VARIANTS:
        ds = sorted(float(k.split("|")[1]) for k in summary["run8"] if k.split("|")[0] == v)
        if not ds:
            continue
        rows = [summary["run8"][f"{v}|{d:.2f}"] for d in ds]
        ax[0].plot(ds, [r["time_mean"] for r in rows], "o-", label=v)
        ax[1].plot(ds, [1 - r["extinct"] / r["runs"] for r in rows], "o-", label=v)
    cap = max(b["cap"] for b in summary["meta"].get("run8_batches", [{"cap": 15000}]))
    ax[0].axhline(cap, color="k", ls=":", lw=1, label=f"cap {cap}")
    ax[0].set_yscale("log")
    ax[0].set_ylabel("mean periods to extinction (cap counted as cap)")
    ax[1].set_ylabel("share of runs with both groups alive at the cap")
    for a in ax:
        a.set_xlabel("cop density")
    ax[0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(OUT / "run8.png", dpi=110)
    plt.close(fig)


def tables(summary) -> str:
    """The Markdown tables of README.md, from runs.json."""

    def f(x, d=1):
        return "-" if x is None or x != x else f"{x:.{d}f}"

    out = [
        "| setting | runs | outbursts/run | wait mean (sd) end→start | start→start | peak→peak "
        "| end→start, gaps < 5 merged | activation mean (sd) | waits ≥ 30: n, slope, "
        "exp. rate, KS p | slope, waits 30-100 | jailed at end; r(next wait) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in summary["run2"].items():
        es = r["end_start"]
        out.append(
            f"| {name} | {r['runs']} | {f(r['outbursts_per_run'])} | {f(es['mean'])} "
            f"({f(es['sd'])}) | "
            f"{f(r['start_start']['mean'])} ({f(r['start_start']['sd'])}) | "
            f"{f(r['peak_peak']['mean'])} ({f(r['peak_peak']['sd'])}) | "
            f"{f(r['end_start merge<5']['mean'])} ({f(r['end_start merge<5']['sd'])}) | "
            f"{f(r['activation_mean'], 0)} ({f(r['activation_sd'], 0)}) | "
            f"{es['n_tail']}, {f(es['slope'], 3)}, {f(es['exp_rate'], 3)}, {f(es['ks_p'], 3)} | "
            f"{f(es.get('slope_30_100', float('nan')), 3)} | "
            f"{f(r['jailed_at_end_mean'], 0)}; {f(r['corr_jailed_end_next_wait'], 2)} |"
        )
    if summary["run8"]:
        out += [
            "",
            "| variant | cop density | extinct / runs | periods: mean (sd), median "
            "| mean time of the extinctions |",
            "|---|---|---|---|---|",
        ]
        for key in sorted(summary["run8"], key=lambda k: (k.split("|")[0], k.split("|")[1])):
            r = summary["run8"][key]
            v, d = key.split("|")
            out.append(
                f"| {v} | {d} | {r['extinct']} / {r['runs']} | {f(r['time_mean'], 0)} "
                f"({f(r['time_sd'], 0)}), {f(r['time_median'], 0)} | "
                f"{f(r.get('extinct_time_mean', float('nan')), 0)} |"
            )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--tables"]:
        print(tables(_load()))
    elif sys.argv[1:] == ["--figures"]:
        figures(_load())
    elif sys.argv[1:] == ["--rescore"]:
        out = rescore(_load())
        (OUT / "runs.json").write_text(json.dumps(out, indent=1))
        figures(out)
    else:
        main()
