"""A calibration's posterior over structures and parameters, as written to its output
directory by `tolqyn calibrate-structures` and read by everything that uses it (the
counterfactuals over the posterior, the drivers, the report).

The format (docs/results/calibration-kazakhstan-2022/README.md, "Format"):

- `posterior.csv`: one row per particle of the final ABC-SMC generation. Columns: `structure`
  (the structure's name, e.g. `blackout=both;troops=all;ending=all`), `weight` (normalised
  over the whole file, so that the weights of a structure's rows add up to its posterior
  probability), one column per structure switch (its value in that structure, e.g.
  `blackout_structure` = `both`), then one column per free parameter (empty where the
  parameter is not free in the row's structure: it then keeps the scenario's value).
- `structures.csv`: one row per structure: `structure`, the switch columns, `prior`
  (prior probability), `probability` (posterior probability), `n_particles`.
- `calibration.json`: the run's record: scenario, scenario hash, commit, tolqyn version, seed,
  the budget (simulations, population, generations, wall time), the machine load before and
  after, the priors, the error model of every fitted term, the checked targets' scores, and
  summaries of each parameter by structure.

A draw is (structure, parameter values): `Posterior.draws(n, seed)` resamples rows by weight
(with replacement), so structures appear in proportion to their posterior probability, and
each draw's `params` are the switches and the free parameters to set on the scenario.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tolqyn.core.errors import TolqynError

POSTERIOR_FILE = "posterior.csv"
STRUCTURES_FILE = "structures.csv"
RECORD_FILE = "calibration.json"
RESERVED = ("structure", "weight")


@dataclass(frozen=True)
class Draw:
    structure: str
    params: dict  # switches and free parameters, to set on the scenario
    row: int  # the posterior.csv row it came from


class Posterior:
    """The posterior of one calibration directory (see the module docstring)."""

    def __init__(self, frame, structures, record: dict, switches: list[str], source: str):
        self.frame = frame
        self.structures = structures
        self.record = record
        self.switches = switches
        self.source = source
        self.parameters = [c for c in frame.columns if c not in RESERVED and c not in switches]

    @property
    def probabilities(self) -> dict:
        """{structure: posterior probability}, largest first."""
        s = self.structures.sort_values("probability", ascending=False)
        return dict(zip(s["structure"], s["probability"].astype(float)))

    def params_of(self, i: int) -> dict:
        row = self.frame.iloc[i]
        out = {s: row[s] for s in self.switches}
        for p in self.parameters:
            v = row[p]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            out[p] = _number(v)
        return out

    def draws(self, n: int, seed: int = 0, structure: str | None = None) -> list[Draw]:
        """n draws by weight (all structures, or only one of them, renormalised)."""
        w = self.frame["weight"].to_numpy(dtype=float).copy()
        if structure is not None:
            mask = (self.frame["structure"] == structure).to_numpy()
            if not mask.any():
                from tolqyn.core.errors import UnknownParamError

                raise UnknownParamError(
                    structure, sorted(set(self.frame["structure"])), source=self.source,
                    what="structure",
                )  # fmt: skip
            w = np.where(mask, w, 0.0)
        w = w / w.sum()
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x505354]))
        idx = rng.choice(len(w), size=int(n), replace=True, p=w)
        return [
            Draw(str(self.frame["structure"].iloc[i]), self.params_of(int(i)), int(i)) for i in idx
        ]


def _number(v):
    f = float(v)
    return int(f) if f.is_integer() and isinstance(v, (int, np.integer)) else f


def load_posterior(directory) -> Posterior:
    """Read a calibration directory; a clear error names the missing file or column."""
    import pandas as pd

    d = Path(directory)
    for name in (POSTERIOR_FILE, STRUCTURES_FILE, RECORD_FILE):
        if not (d / name).exists():
            raise TolqynError(
                f"{d}: no {name}; a calibration over structures writes posterior.csv, "
                "structures.csv and calibration.json (tolqyn calibrate-structures)"
            )
    frame = pd.read_csv(d / POSTERIOR_FILE)
    structures = pd.read_csv(d / STRUCTURES_FILE)
    record = json.loads((d / RECORD_FILE).read_text())
    for col in RESERVED:
        if col not in frame.columns:
            raise TolqynError(f"{d / POSTERIOR_FILE}: column '{col}' is missing")
    for col in ("structure", "probability"):
        if col not in structures.columns:
            raise TolqynError(f"{d / STRUCTURES_FILE}: column '{col}' is missing")
    switches = list(record.get("switches", []))
    missing = [s for s in switches if s not in frame.columns]
    if missing:
        raise TolqynError(f"{d / POSTERIOR_FILE}: switch column(s) {missing} are missing")
    w = frame["weight"].to_numpy(dtype=float)
    if not (np.all(w >= 0) and w.sum() > 0):
        raise TolqynError(f"{d / POSTERIOR_FILE}: weights must be >= 0 and not all 0")
    frame["weight"] = w / w.sum()
    return Posterior(frame, structures, record, switches, str(d))
