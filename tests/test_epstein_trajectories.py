"""Bit-identical trajectories of every built-in Epstein preset.

tests/fixtures/epstein_trajectories.json holds, per preset and seed, a SHA-256 of every
recorded series (active, jailed, quiet, arrests, cops, tension and, in Model II, the group
counts, killings, births and deaths) over a few hundred steps, recorded before a refactoring
of the kernel. A change that moves any number of any preset fails here. The tiles rows run
block-sequential activation on a 160 x 160 lattice, the parallel path of the kernel.

Re-record deliberately (and say why in the commit):
    PYTHONPATH=src python tests/test_epstein_trajectories.py --record
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import tolqyn
from tolqyn.scenarios.loader import builtin_names, load_scenario

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "epstein_trajectories.json"
STEPS = 300
SEEDS = (1, 2)
TILES = {"width": 160, "height": 160, "activation": "tiles"}
TILE_CASES = ("epstein-2002/run-2", "epstein-2002/run-7", "mesa-3", "netlogo-rebellion")


def epstein_presets() -> list[str]:
    return sorted(n for n in builtin_names() if load_scenario(n).model == "epstein")


def cases():
    for name in epstein_presets():
        for seed in SEEDS:
            yield f"{name}|{seed}", name, seed, None
    for name in TILE_CASES:
        yield f"{name}|tiles|1", name, 1, TILES


def fingerprint(name: str, seed: int, overrides) -> dict:
    r = tolqyn.run_one(name, seed=seed, steps=STEPS, overrides=overrides)
    out = {}
    for m in sorted(r.metrics):
        x = np.ascontiguousarray(r.series(m), dtype=np.float64)
        out[m] = hashlib.sha256(x.tobytes()).hexdigest()[:20]
    a = r.series("active")
    out["active_sum"] = float(a.sum())
    out["jailed_last"] = float(r.series("jailed")[-1])
    return out


def record():
    data = {key: fingerprint(name, seed, ov) for key, name, seed, ov in cases()}
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps({"steps": STEPS, "cases": data}, indent=1, sort_keys=True))
    print(f"wrote {len(data)} cases to {FIXTURE}")


def test_every_epstein_preset_has_a_fixture():
    recorded = json.loads(FIXTURE.read_text())["cases"]
    missing = [key for key, *_ in cases() if key not in recorded]
    assert not missing, f"presets without recorded trajectories: {missing}"
    assert len(epstein_presets()) >= 10


@pytest.mark.parametrize("key,name,seed,overrides", list(cases()), ids=[c[0] for c in cases()])
def test_trajectory_is_bit_identical(key, name, seed, overrides):
    want = json.loads(FIXTURE.read_text())["cases"][key]
    got = fingerprint(name, seed, overrides)
    assert got == want


if __name__ == "__main__":
    if "--record" in sys.argv:
        record()
    else:
        sys.exit(__doc__)
