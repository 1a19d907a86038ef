"""The geography of violence of January 2022 over a posterior's draws, by violence structure:
a checked record (no calibration sees it), scored as tests/test_mech_violence.py scores the
defaults — Almaty city with the most deaths, the units where the pack records building attacks
or seizures with a larger share of the deaths than of the protest, peaceful Mangystau with a
smaller one (scripts/violence_table.py, `measures`).

    python scripts/posterior_geography.py --posterior DIR [--draws 30] [--seed 5] [--scale 100]

Writes geography.md and geography.csv into the posterior's folder."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from posterior_stability import write_tables  # noqa: E402
from violence_table import measures, pack_units  # noqa: E402

from tolqyn.api import run_one  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posterior", required=True)
    ap.add_argument("--draws", type=int, default=30)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--scale", type=float, default=100.0)
    a = ap.parse_args(argv)
    from tolqyn.experiments.posterior import load_posterior

    attacks, clashes = pack_units()
    post = load_posterior(a.posterior)
    t0 = time.time()
    rows = []
    for i, d in enumerate(post.draws(a.draws, seed=a.seed)):
        m = measures(
            run_one("kazakhstan-2022", 3000 + i, overrides={**d.params, "scale": a.scale}),
            attacks,
            clashes,
        )
        rows.append(
            {
                "draw": i,
                "violence_structure": d.params.get("violence_structure", "emergent"),
                "structure": d.structure,
                "almaty_rank": int(m["almaty_rank"]),
                "dead_share_attack_units": m["dead_in_attack_units"],
                "pday_share_attack_units": m["pdays_in_attack_units"],
                "mangystau_dead_share": m["mangystau_dead_share"],
                "mangystau_pday_share": m["mangystau_pday_share"],
            }
        )
    wall = time.time() - t0
    lines = [
        "# The geography of violence over this posterior (checked, never fitted)",
        "",
        f"`python scripts/posterior_geography.py --posterior DIR --draws {a.draws} --seed "
        f"{a.seed} --scale {a.scale:g}`: the replay at {a.draws} draws of this posterior (seed "
        f"3000 + draw, 1:{a.scale:g}; {wall:.0f} s). Attack units: "
        f"{', '.join(sorted(attacks))} (unrest_2022_regions.csv).",
        "",
        "| violence structure | draws | Almaty city most deaths | its ranks | attack units' share "
        "of deaths above their share of protest | median share of deaths / of protest-days "
        "there | Mangystau's share of deaths below its share of protest |",
        "|---|---|---|---|---|---|---|",
    ]
    for vs in sorted({r["violence_structure"] for r in rows}):
        g = [r for r in rows if r["violence_structure"] == vs]
        ranks = sorted(r["almaty_rank"] for r in g)
        over = sum(r["dead_share_attack_units"] > r["pday_share_attack_units"] for r in g)
        under = sum(r["mangystau_dead_share"] < r["mangystau_pday_share"] for r in g)
        dead = np.median([r["dead_share_attack_units"] for r in g])
        pdays = np.median([r["pday_share_attack_units"] for r in g])
        lines.append(
            f"| {vs} | {len(g)} | {sum(x == 1 for x in ranks)} of {len(g)} | "
            f"{', '.join(map(str, ranks))} | {over} of {len(g)} | {dead:.2f} / {pdays:.2f} | "
            f"{under} of {len(g)} |"
        )
    write_tables(a.posterior, "geography", rows, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
