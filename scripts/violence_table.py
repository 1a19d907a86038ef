"""The January 2022 replay and its six counterfactuals under the confrontation, loyalty and
repertoire mechanisms: medians over seeds of the totals and of the geography of violence,
as a markdown table (docs/odd/country.md §8-9).

    python scripts/violence_table.py [--scale 100] [--seeds 2022,1,2,3,4] [--jsonl runs.jsonl]

The units the data pack records with building attacks or seizures and with clashes are read
from the packaged unrest_2022_regions.csv (checked against, never fitted)."""

from __future__ import annotations

import argparse
import csv
import json
import time
from importlib import resources

import numpy as np

VARIANTS = [
    None,
    "no-shutdown",
    "no-troops",
    "early-concession",
    "no-price-shock",
    "higher-legitimacy",
    "policy",
]

ENDINGS = ["fatigue", "lethal_fear", "organisers", "curfew"]


def pack_units():
    path = resources.files("tolqyn.data") / "kazakhstan" / "unrest_2022_regions.csv"
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["iso_3166_2"].startswith("KZ-")]
    attacks = {r["iso_3166_2"] for r in rows if r["building_attack_or_seizure"].startswith("Y")}
    clashes = {r["iso_3166_2"] for r in rows if r["clashes_with_security_forces"].startswith("Y")}
    return attacks, clashes


def measures(r, attacks, clashes):
    regs = sorted(set(r.columns["region"].tolist()) - {"ALL"})

    def s(m, g="ALL"):
        return np.asarray(r.series(m, g), dtype=float)

    act = s("active")
    # rows by date: the replay starts with two quiet weeks of December, and days are in January
    jan0 = r.dates().index("2022-01-01") - 1

    def jan(day):
        return jan0 + day

    dead = {
        g: s("deaths_civilian_cumulative", g)[jan(15)] + s("deaths_security_cumulative", g)[jan(15)]
        for g in regs
    }
    att = {g: s("building_attacks_cumulative", g)[jan(15)] for g in regs}
    tot_dead = sum(dead.values())
    pdays = {g: s("active", g).sum() for g in regs}
    tot_pdays = max(sum(pdays.values()), 1.0)
    # the day the wave ends (first day after the peak below 5 % of it) and what the competing
    # endings of §7.14 weigh on that day (nationwide: fatigue the mean fall of net grievance,
    # organisers the largest regional fall, lethal fear and curfew the largest regional risk)
    pk = int(np.argmax(act))
    below = np.nonzero(act[pk:] < 0.05 * act.max())[0] if act.max() > 0 else np.array([])
    end = pk + int(below[0]) if below.size else len(act) - 1
    endings = {f"{k}_at_end": s(f"ending_{k}")[end] for k in ENDINGS}
    endings.update({f"{k}_max": s(f"ending_{k}").max() for k in ENDINGS})
    first = {g: (s("active", g) >= 300).any() and s("active", g)[jan(5)] >= 300 for g in regs}
    return {
        "peak": act.max(),
        "peak_day": int(np.argmax(act)) - jan0 if act.max() > 0 else -1,
        "regions_5jan": sum(first.values()),
        "detained_11": s("detained_cumulative")[jan(11)],
        "dead_15": tot_dead,
        "dead_sec_15": s("deaths_security_cumulative")[jan(15)],
        "injured_15": s("injured_civilian_cumulative")[jan(15)]
        + s("injured_security_cumulative")[jan(15)],
        "injured_sec_15": s("injured_security_cumulative")[jan(15)],
        "attacks_15": sum(att.values()),
        "end_12": 100.0 * act[jan(12)] / act.max() if act.max() > 0 else 0.0,
        "dead_in_attack_units": sum(dead[g] for g in attacks) / tot_dead if tot_dead else np.nan,
        "dead_in_clash_units": sum(dead[g] for g in clashes) / tot_dead if tot_dead else np.nan,
        "pdays_in_attack_units": sum(pdays[g] for g in attacks) / tot_pdays,
        "mangystau_dead_share": dead["KZ-47"] / tot_dead if tot_dead else np.nan,
        "mangystau_pday_share": pdays["KZ-47"] / tot_pdays,
        "attack_units_hit": sum(att[g] > 0 for g in attacks),
        "other_units_hit": sum(att[g] > 0 for g in regs if g not in attacks),
        "almaty_rank": 1 + sorted(dead, key=lambda g: -dead[g]).index("KZ-75"),
        "obedience_min": s("obedience").min(),
        "fraternising_max": s("forces_fraternising").max(),
        "inactive_max": s("forces_inactive").max(),
        "violent_peak": s("violent").max(),
        "end_day": end - jan0 if act.max() > 0 else -1,
        **endings,
    }


def main():
    import tolqyn
    from tolqyn.scenarios.loader import load_scenario

    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=100.0)
    ap.add_argument("--seeds", default="2022,1,2,3,4")
    ap.add_argument("--variants", default="")
    ap.add_argument("--jsonl", default="", help="append one line per run to this file")
    ap.add_argument("--set", action="append", default=[], help="parameter override k=v")
    a = ap.parse_args()
    seeds = [int(x) for x in a.seeds.split(",")]
    over = {"scale": a.scale}
    for kv in a.set:
        k, v = kv.split("=", 1)
        over[k] = {"true": True, "false": False}.get(v, None)
        if over[k] is None:
            over[k] = float(v)
    variants = (
        [None if v == "base" else v for v in a.variants.split(",")] if a.variants else VARIANTS
    )
    attacks, clashes = pack_units()
    print(f"pack units with building attacks: {sorted(attacks)}; with clashes: {sorted(clashes)}")
    t0 = time.time()
    runs = {v: [] for v in variants}
    out = open(a.jsonl, "a", encoding="utf-8") if a.jsonl else None
    # seeds outer, so an interrupted run still pairs every variant with the replay
    for s in seeds:
        for v in variants:
            name = "kazakhstan-2022" if v is None else f"kazakhstan-2022/{v}"
            m = measures(tolqyn.run_one(load_scenario(name, overrides=over), s), attacks, clashes)
            runs[v].append(m)
            if out:
                out.write(
                    json.dumps(
                        {"variant": v or "base", "seed": s, **{k: float(x) for k, x in m.items()}}
                    )
                    + "\n"
                )
                out.flush()
    for v in variants:
        ms = runs[v]
        med = {k: float(np.nanmedian([m[k] for m in ms])) for k in ms[0]}
        lo = {k: float(np.nanmin([m[k] for m in ms])) for k in ms[0]}
        hi = {k: float(np.nanmax([m[k] for m in ms])) for k in ms[0]}
        print(f"\n## {v or 'historical replay'}")
        for k in med:
            line = f"  {k:24s} {med[k]:12.3f}   [{lo[k]:.3f} – {hi[k]:.3f}]"
            if v is not None and None in runs:
                # paired difference against the replay (same seed: common random numbers)
                d = [m[k] - b[k] for m, b in zip(ms, runs[None], strict=True)]
                line += f"   Δ {np.nanmedian(d):+.3f} [{np.nanmin(d):+.3f} – {np.nanmax(d):+.3f}]"
            print(line)
    print(f"\n{len(variants) * len(seeds)} runs in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
