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

An older single-structure calibration directory (posterior.csv with parameter columns and
`weight` only) reads as one structure, `single`, with probability 1; without structures.csv the
probabilities are each structure's share of the weights, and without calibration.json the
switches are the columns structures.csv shares with posterior.csv. With `model=` every column
and value is checked against that model's declarations (an unknown column gets the nearest
declared name; a value outside its bounds names the file, row, field and range), and
`ignore=` leaves named columns out (a parameter the current model no longer declares).
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
SINGLE = "single"  # the structure of a posterior without a structure column
STRUCTURE_INFO = ("structure", "prior", "probability", "n_particles")


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
        self.probability_source = STRUCTURES_FILE  # or "weights" (no structures.csv)
        self.dropped: list[str] = []  # columns left out on request (ignore=)

    @property
    def probabilities(self) -> dict:
        """{structure: posterior probability}, largest first."""
        s = self.structures.sort_values("probability", ascending=False)
        return dict(zip(s["structure"], s["probability"].astype(float)))

    def params_of(self, i: int) -> dict:
        row = self.frame.iloc[i]
        out = {s: _plain(row[s]) for s in self.switches}
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

    def free_in(self, structure: str) -> list[str]:
        """The parameters free in a structure (a value in at least one of its rows)."""
        rows = self.frame[self.frame["structure"] == structure]
        return [p for p in self.parameters if rows[p].notna().any()]

    def switches_of(self, structure: str) -> dict:
        """The switch values of a structure (from structures.csv, else its first row)."""
        row = self.structures[self.structures["structure"] == structure]
        if row.empty or not all(s in row.columns for s in self.switches):
            row = self.frame[self.frame["structure"] == structure]
        return {s: _plain(row[s].iloc[0]) for s in self.switches}

    def ranges(self, q: float = 0.05) -> dict:
        """Each parameter's weighted [q, 1 - q] quantiles over every structure (the box the
        posterior mostly occupies); NaN cells (not free) are left out."""
        w = self.frame["weight"].to_numpy(dtype=float)
        out = {}
        for p in self.parameters:
            v = self.frame[p].to_numpy(dtype=float)
            lo, hi = weighted_quantile(v, w, [q, 1.0 - q])
            if hi <= lo:  # pinned by the posterior: keep a hair of range for a design
                eps = max(abs(lo) * 1e-6, 1e-12)
                lo, hi = lo - eps, hi + eps
            out[p] = (float(lo), float(hi))
        return out

    def medians(self) -> dict:
        w = self.frame["weight"].to_numpy(dtype=float)
        return {
            p: float(weighted_quantile(self.frame[p].to_numpy(dtype=float), w, [0.5])[0])
            for p in self.parameters
        }


def weighted_quantile(v, w, qs) -> np.ndarray:
    """Quantiles of a weighted sample (the weighted empirical distribution with the midpoint
    rule, so that equal weights give the middle value for the median); NaN values and zero
    weights are left out."""
    v = np.asarray(v, dtype=float)
    w = np.asarray(w, dtype=float)
    keep = np.isfinite(v) & (w > 0)
    v, w = v[keep], w[keep]
    if v.size == 0:
        return np.full(len(qs), np.nan)
    o = np.argsort(v, kind="stable")
    v, w = v[o], w[o]
    cw = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(np.asarray(qs, dtype=float), cw, v)


def _plain(v):
    """A NumPy scalar as the Python value a scenario parameter takes."""
    return v.item() if isinstance(v, np.generic) else v


def _number(v):
    f = float(v)
    return int(f) if f.is_integer() and isinstance(v, (int, np.integer)) else f


def load_posterior(directory, model: str | None = None, ignore=()) -> Posterior:
    """Read a calibration directory; a clear error names the missing file or column (and,
    with `model`, the row, field and allowed range of a bad value)."""
    import pandas as pd

    d = Path(directory)
    if not d.exists():
        raise TolqynError(f"{d}: no such posterior directory")
    if not d.is_dir():
        raise TolqynError(f"{d}: not a directory (give the directory that holds posterior.csv)")
    if not (d / POSTERIOR_FILE).exists():
        raise TolqynError(
            f"{d}: no {POSTERIOR_FILE}; a calibration over structures writes posterior.csv, "
            "structures.csv and calibration.json (tolqyn calibrate-structures)"
        )
    frame = _read_csv(d / POSTERIOR_FILE, pd)
    ignore = list(ignore or ())
    for name in ignore:
        if name not in frame.columns:
            from tolqyn.core.errors import UnknownParamError

            raise UnknownParamError(
                name, [c for c in frame.columns if c not in RESERVED],
                source=str(d / POSTERIOR_FILE), what="column to ignore",
            )  # fmt: skip
    frame = frame.drop(columns=ignore)
    if "weight" not in frame.columns:
        raise TolqynError(f"{d / POSTERIOR_FILE}: column 'weight' is missing")
    if frame.empty:
        raise TolqynError(f"{d / POSTERIOR_FILE}: no particles (a header without rows)")
    if "structure" not in frame.columns:
        frame.insert(0, "structure", SINGLE)
    frame["structure"] = frame["structure"].astype(str)
    record = json.loads((d / RECORD_FILE).read_text()) if (d / RECORD_FILE).exists() else {}
    if (d / STRUCTURES_FILE).exists():
        structures = _read_csv(d / STRUCTURES_FILE, pd)
    else:
        structures = None
    for col in RESERVED:
        if col not in frame.columns:
            raise TolqynError(f"{d / POSTERIOR_FILE}: column '{col}' is missing")
    if record.get("switches") is not None:
        switches = list(record["switches"])
    elif structures is not None:
        switches = [c for c in structures.columns if c not in STRUCTURE_INFO and c in frame]
    else:
        switches = []
    missing = [s for s in switches if s not in frame.columns]
    if missing:
        raise TolqynError(f"{d / POSTERIOR_FILE}: switch column(s) {missing} are missing")
    if model is not None:
        _check(d, frame, structures, switches, model)
    w = pd.to_numeric(frame["weight"], errors="coerce").to_numpy(dtype=float)
    if not (np.all(w >= 0) and w.sum() > 0):
        raise TolqynError(f"{d / POSTERIOR_FILE}: weights must be >= 0 and not all 0")
    frame["weight"] = w / w.sum()
    if structures is None:
        share = frame.groupby("structure", sort=False)["weight"].sum()
        structures = pd.DataFrame(
            {"structure": share.index.astype(str), "probability": share.to_numpy(dtype=float)}
        )
        source = "weights"
    else:
        source = STRUCTURES_FILE
    for col in ("structure", "probability"):
        if col not in structures.columns:
            raise TolqynError(f"{d / STRUCTURES_FILE}: column '{col}' is missing")
    structures["structure"] = structures["structure"].astype(str)
    post = Posterior(frame, structures, record, switches, str(d))
    post.probability_source = source
    post.dropped = ignore
    return post


def _read_csv(path: Path, pd):
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise TolqynError(f"{path}: empty file (no header row)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise TolqynError(f"{path}: malformed CSV ({str(e).splitlines()[0]})") from None


def _check(d: Path, frame, structures, switches: list[str], model: str) -> None:
    """Every value against the model's declarations: one error naming file, row and field."""
    import pandas as pd

    from tolqyn.core.errors import ScenarioError, UnknownParamError
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(model))
    src = str(d / POSTERIOR_FILE)

    def row_no(i):  # as a spreadsheet numbers it: the header is row 1
        return int(i) + 2

    for i, v in frame["weight"].items():
        x = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
        if not np.isfinite(x):
            raise ScenarioError(
                f"row {row_no(i)}: {v!r} is not a number", source=src, field="weight"
            )
        if x < 0:
            raise ScenarioError(
                f"row {row_no(i)}: weight {x:g} is negative", source=src, field="weight"
            )
    for col in frame.columns:
        if col in RESERVED:
            continue
        if col not in specs:
            raise UnknownParamError(col, specs, source=f"{src} (header)")
        spec = specs[col]
        if col in switches or spec.kind in ("bool", "choice", "str"):
            for i, v in frame[col].items():
                _check_switch(spec, v, src, row_no(i), col)
            continue
        for i, v in frame[col].items():
            if isinstance(v, float) and math.isnan(v):
                continue  # not free in this row's structure
            try:
                x = float(v)
            except (TypeError, ValueError):
                raise ScenarioError(
                    f"row {row_no(i)}: {v!r} is not a number", source=src, field=col
                ) from None
            if not math.isfinite(x):
                raise ScenarioError(f"row {row_no(i)}: {v} is not finite", source=src, field=col)
            if (spec.low is not None and x < spec.low) or (spec.high is not None and x > spec.high):
                raise ScenarioError(
                    f"row {row_no(i)}: {x:g} outside the declared range {spec.bounds_text}",
                    source=src,
                    field=col,
                )
    if structures is None:
        return
    ssrc = str(d / STRUCTURES_FILE)
    for col in ("structure", "probability"):
        if col not in structures.columns:
            raise ScenarioError(f"no '{col}' column", source=ssrc, field=col)
    for i, v in structures["probability"].items():
        x = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
        if not (np.isfinite(x) and 0.0 <= x <= 1.0):
            raise ScenarioError(
                f"row {row_no(i)}: probability {v!r} outside [0, 1]",
                source=ssrc,
                field="probability",
            )
    total = float(pd.to_numeric(structures["probability"]).sum())
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(
            f"probabilities sum to {total:.6g}, not 1", source=ssrc, field="probability"
        )
    known = set(structures["structure"].astype(str))
    for name in dict.fromkeys(frame["structure"].astype(str)):
        if name not in known:
            raise ScenarioError(
                f"structure '{name}' of posterior.csv has no row here",
                source=ssrc,
                field="structure",
            )
    for col in structures.columns:
        if col in STRUCTURE_INFO or col not in specs:
            continue
        for i, v in structures[col].items():
            _check_switch(specs[col], v, ssrc, row_no(i), col)


def _check_switch(spec, v, src, row, col) -> None:
    from tolqyn.core.errors import ScenarioError, UnknownParamError

    v = _plain(v)
    if spec.kind == "bool":
        if not isinstance(v, bool):
            raise ScenarioError(f"row {row}: {v!r} is not true or false", source=src, field=col)
    elif spec.choices and str(v) not in spec.choices:
        raise UnknownParamError(
            str(v), spec.choices, source=f"{src}, row {row}", what=f"{col} value"
        )
