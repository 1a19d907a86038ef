"""Experimental designs derived from the parameter declarations (`Param.low/high`).

    ensemble — the scenario as it is, no parameter varied (replicates only)
    grid   — full factorial, `samples` levels per parameter (choices/bools: every value)
    lhs    — Latin hypercube of `samples` points (scipy.stats.qmc, seeded)
    sobol  — Saltelli/Sobol' sample for first- and total-order indices (SALib), N·(D+2) points
    morris — Morris elementary-effect trajectories (SALib), N·(D+1) points

Replicates use seeds from `numpy.random.SeedSequence(base).spawn(R)`. The same R seeds are used
at every design point (common random numbers): two points differ by their parameters, not by
their noise, which sharpens every comparison and sensitivity estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tolqyn.core.errors import ScenarioError, TolqynError, UnknownParamError

DESIGNS = ("ensemble", "grid", "lhs", "sobol", "morris")


@dataclass(frozen=True)
class Axis:
    name: str
    kind: str  # float | int | bool | choice
    low: float | None = None
    high: float | None = None
    choices: tuple = ()

    def from_unit(self, u: np.ndarray) -> list:
        """Map values in [0, 1] to the parameter's range (ints rounded, choices by bins)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.kind == "float":
            return [float(x) for x in self.low + u * (self.high - self.low)]
        if self.kind == "int":
            # equal-width bins over low..high inclusive, so every integer is equally likely
            n = int(self.high - self.low) + 1
            return [int(self.low + min(n - 1, int(x * n))) for x in u]
        vals = self.values()
        return [vals[min(len(vals) - 1, int(x * len(vals)))] for x in u]

    def values(self, levels: int = 0) -> list:
        if self.kind == "bool":
            return [False, True]
        if self.kind == "choice":
            return list(self.choices)
        if levels < 1:
            raise TolqynError("levels must be >= 1")
        if levels == 1:
            mid = (self.low + self.high) / 2
            return [int(round(mid)) if self.kind == "int" else float(mid)]
        xs = np.linspace(self.low, self.high, levels)
        if self.kind == "int":
            return sorted({int(round(x)) for x in xs})
        return [float(f"{x:.12g}") for x in xs]  # 0.3, not 0.30000000000000004

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "low": self.low,
            "high": self.high,
            "choices": list(self.choices),
        }


@dataclass
class Design:
    kind: str
    axes: list[Axis]
    points: list[dict]  # one dict of parameter values per design point
    samples: int
    seed: int
    options: dict = field(default_factory=dict)
    raw: np.ndarray | None = None  # unrounded sample matrix (Sobol/Morris analyses need it)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.axes]

    def salib_problem(self) -> dict:
        return salib_problem(self.axes)

    def matrix(self) -> np.ndarray:
        """Points as a float matrix (bool/choice as their index), for analyses."""
        cols = []
        for a in self.axes:
            if a.kind in ("bool", "choice"):
                vals = a.values()
                cols.append([float(vals.index(p[a.name])) for p in self.points])
            else:
                cols.append([float(p[a.name]) for p in self.points])
        return np.array(cols, dtype=float).T.reshape(len(self.points), len(self.axes))

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "samples": self.samples,
            "seed": self.seed,
            "axes": [a.to_dict() for a in self.axes],
            "options": self.options,
            "n_points": len(self.points),
        }


def salib_problem(axes: list[Axis]) -> dict:
    for a in axes:
        if a.kind not in ("float", "int"):
            raise TolqynError(
                f"parameter '{a.name}' is a {a.kind}; Sobol/Morris designs need "
                "numeric parameters (use --design grid for switches)"
            )
    return {
        "num_vars": len(axes),
        "names": [a.name for a in axes],
        "bounds": [[float(a.low), float(a.high)] for a in axes],
    }


def parse_param_option(text: str) -> tuple[str, float | None, float | None]:
    """`name` or `name=low:high` (narrower range than the declaration)."""
    name, _, rng = text.partition("=")
    name = name.strip()
    if not rng:
        return name, None, None
    lo, sep, hi = rng.partition(":")
    if not sep:
        raise ScenarioError(f"'{text}' should be name or name=low:high", source="--param")
    try:
        return name, float(lo), float(hi)
    except ValueError:
        raise ScenarioError(f"'{text}': low and high must be numbers", source="--param") from None


def axes_for(specs: dict, params: list[str] | None, source: str = "--param") -> list[Axis]:
    """Axes from the declarations. With no list, every sweepable, non-structural numeric
    parameter with finite bounds. A parameter may be given as name=low:high to narrow (never
    widen) its range; named alone it spans its declared sweep range, or its validity bounds when
    it declares none — except a structural parameter (lattice size, population scale), which
    needs a declared sweep range or an explicit one."""
    if not params:
        chosen = [
            (n, None, None)
            for n, p in specs.items()
            if p.sweepable
            and not p.structural
            and p.kind in ("float", "int")
            and _finite(p.low)
            and _finite(p.high)
            and p.high > p.low
        ]
        if not chosen:
            raise TolqynError(
                "the model declares no sweepable numeric parameter with bounds; "
                "name some with --param"
            )
    else:
        chosen = [parse_param_option(t) for t in params]
    axes, seen = [], set()
    for name, lo, hi in chosen:
        if name not in specs:
            raise UnknownParamError(name, specs, source=source)
        if name in seen:
            raise ScenarioError(f"parameter '{name}' given twice", source=source)
        seen.add(name)
        p = specs[name]
        if p.kind in ("bool", "choice"):
            axes.append(Axis(name, p.kind, choices=tuple(p.choices)))
            continue
        if p.kind not in ("float", "int"):
            raise ScenarioError(
                f"parameter '{name}' is a {p.kind} and cannot be swept", source=source, field=name
            )
        if lo is None and p.sweep_range is not None:
            lo, hi = (float(v) for v in p.sweep_range)
        elif lo is None and p.structural:
            raise ScenarioError(
                f"'{name}' is structural ({p.doc}) and declares no sweep range; give one: "
                f"--param {name}=LOW:HIGH inside {p.bounds_text}",
                source=source,
                field=name,
            )
        low = p.low if lo is None else lo
        high = p.high if hi is None else hi
        if not (_finite(low) and _finite(high)):
            raise ScenarioError(
                f"parameter '{name}' has no finite bounds ({p.bounds_text}); "
                f"give a range: --param {name}=LOW:HIGH",
                source=source,
                field=name,
            )
        if (
            (p.low is not None and low < p.low)
            or (p.high is not None and high > p.high)
            or low >= high
        ):
            raise ScenarioError(
                f"range {low:g}:{high:g} for '{name}' must lie inside "
                f"{p.bounds_text} with low < high",
                source=source,
                field=name,
            )
        axes.append(Axis(name, p.kind, float(low), float(high)))
    return axes


def _finite(x) -> bool:
    return x is not None and math.isfinite(x)


MAX_POINTS = 1_000_000  # a design is materialised in memory: beyond this, refuse to plan


def design_size(kind: str, n_axes: int, samples: int) -> int:
    """Points a design will have, computed before any point is built (a grid over 103 axes
    has 3^103 points: planning it would exhaust memory)."""
    if kind == "ensemble":
        return 1
    if kind == "grid":
        return samples**n_axes
    if kind == "lhs":
        return samples
    if kind == "sobol":
        return samples * (n_axes + 2)
    return samples * (n_axes + 1)  # morris trajectories


def build_design(
    kind: str, axes: list[Axis], samples: int, seed: int = 0, max_points: int = MAX_POINTS
) -> Design:
    if kind not in DESIGNS:
        raise UnknownParamError(kind, DESIGNS, source="--design", what="design")
    if samples < 1:
        raise TolqynError("--samples must be >= 1")
    d = len(axes)
    n = design_size(kind, d, samples)
    if n > max_points:
        raise TolqynError(
            f"a {kind} design over {d} parameters with --samples {samples} has "
            f"{n:.3g} points, more than {max_points:,}; vary fewer parameters "
            "(--param NAME or NAME=LOW:HIGH) or use fewer samples"
        )
    if kind == "ensemble":
        return Design(kind, [], [{}], 1, seed)
    if kind == "grid":
        import itertools

        levels = [a.values(samples) for a in axes]
        pts = [dict(zip([a.name for a in axes], combo)) for combo in itertools.product(*levels)]
        return Design(kind, axes, pts, samples, seed)
    if kind == "lhs":
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(samples)
        return Design(kind, axes, _from_unit(axes, u), samples, seed)
    problem = salib_problem(axes)
    if kind == "sobol":
        from SALib.sample import sobol as sobol_sample

        if samples & (samples - 1):
            raise TolqynError(
                f"--samples {samples}: Sobol' designs need a power of 2 "
                f"(e.g. {1 << max(0, samples.bit_length() - 1)} or {1 << samples.bit_length()})"
            )
        x = sobol_sample.sample(problem, samples, calc_second_order=False, scramble=True, seed=seed)
        pts = [
            {a.name: (int(round(v)) if a.kind == "int" else float(v)) for a, v in zip(axes, row)}
            for row in x
        ]
        return Design(kind, axes, pts, samples, seed, {"calc_second_order": False}, raw=x)
    # morris
    from SALib.sample import morris as morris_sample

    levels = 4
    x = morris_sample.sample(problem, samples, num_levels=levels, seed=seed)
    pts = [
        {a.name: (int(round(v)) if a.kind == "int" else float(v)) for a, v in zip(axes, row)}
        for row in x
    ]
    return Design(kind, axes, pts, samples, seed, {"num_levels": levels}, raw=x)


def _from_unit(axes, u) -> list[dict]:
    cols = [a.from_unit(u[:, j]) for j, a in enumerate(axes)]
    return [{a.name: cols[j][i] for j, a in enumerate(axes)} for i in range(u.shape[0])]


def replicate_seeds(base_seed: int, replicates: int) -> list[int]:
    """R independent seeds from one base seed (numpy SeedSequence.spawn), as 63-bit ints."""
    if replicates < 1:
        raise TolqynError("--replicates must be >= 1")
    children = np.random.SeedSequence(int(base_seed)).spawn(int(replicates))
    return [int(c.generate_state(1, dtype=np.uint64)[0] & np.uint64(2**63 - 1)) for c in children]
