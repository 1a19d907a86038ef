"""Calibration with uncertainty: ABC-SMC (pyABC; Klinger, Rickert & Hasenauer 2018) against
observed targets, then posterior predictive bands and counterfactuals over the posterior.

Targets (a TOML file, or `meta.targets` / `meta.calibration` of a scenario) — one distance
term per observed series:

    [[targets]]
    name = "detained"                 # label
    metric = "detained_cumulative"    # result metric
    region = "ALL"                    # or a region code
    stat = "value_at"                 # value_at | final | max | peak_step | peak_date |
                                      # onset | end | n_regions
    at = "2022-01-11"                 # value_at: a date (calendar scenarios) or a step
    threshold = 1.0                   # onset/end: first/last step with metric >= threshold;
                                      # n_regions: regions whose max reaches it
    observed = 9900
    scale = 2000                      # how far off counts as "one unit" of distance

    [[params]]                        # optional: parameters to calibrate, priors U(low, high)
    name = "legitimacy"               # bounds default to the declaration's low/high
    low = 0.5
    high = 0.9

Distance: d = sqrt(sum_k ((s_k - o_k) / scale_k)^2), a fixed-weight 2-norm (pyABC's
PNormDistance), so that each target contributes one term in its own units. Priors are uniform
over the parameter bounds (declared, or narrowed by the user). Each simulation's seed is a hash
of its parameter values and the calibration seed: the same particle always gives the same
simulation, in any process.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tolqyn.core.errors import ScenarioError, TolqynError, UnknownParamError

STATS = ("value_at", "final", "max", "peak_step", "peak_date", "onset", "end", "n_regions")
DATE_STATS = ("peak_date",)


@dataclass(frozen=True)
class Target:
    name: str
    metric: str
    stat: str
    observed: float
    scale: float
    region: str = "ALL"
    at: object = None
    threshold: float = 1.0
    doc: str = ""
    tolerance: float | None = None  # |simulated - observed| <= tolerance is a match
    group: str = ""  # the observed record this term belongs to ("" = itself)
    observed_target: object = field(default=None, compare=False, repr=False)

    def compute(self, res, start_date: str | None, dt: float) -> float:
        """The target's summary statistic from one RunResult (NaN when undefined)."""
        if self.observed_target is not None:
            # a term of a scenario's observed record: computed by the observation layer
            t = self.observed_target
            names = [n for n, *_ in t.expected(clock_of(start_date, dt))]
            return float(t.simulated(res)[names.index(self.name)])
        cols = res.columns
        if self.stat == "n_regions":
            upto = step_of(self.at, start_date, dt) if self.at is not None else None
            m = cols["metric"] == self.metric
            if upto is not None:
                m &= cols["step"] <= upto
            regs = cols["region"][m]
            vals = cols["value"][m]
            keep = regs != "ALL"
            if not keep.any():
                raise TolqynError(
                    f"target '{self.name}': metric '{self.metric}' has no regional series"
                )
            n = 0
            for r in np.unique(regs[keep]):
                if np.nanmax(vals[keep][regs[keep] == r]) >= self.threshold:
                    n += 1
            return float(n)
        y = self.series(res)
        if y.size == 0:
            raise TolqynError(
                f"target '{self.name}': the run has no series {self.metric}@{self.region} "
                f"(metrics: {', '.join(res.metrics)})"
            )
        if self.stat == "final":
            return float(y[-1])
        if self.stat == "max":
            return float(np.max(y))
        if self.stat in ("peak_step", "peak_date"):
            return float(int(np.argmax(y)))  # peak_date is compared as a step index
        if self.stat == "value_at":
            s = step_of(self.at, start_date, dt)
            return float(y[min(s, y.size - 1)])
        # a negative threshold means "this share of the peak" (e.g. -0.05: 5 % of the maximum)
        thr = self.threshold if self.threshold >= 0 else -self.threshold * float(np.max(y))
        hits = np.nonzero(y >= thr)[0]
        if self.stat == "onset":
            return float(hits[0]) if hits.size else float(y.size)  # never: after the horizon
        if self.stat == "end":
            # first step after the peak at which activity falls below the threshold
            if not hits.size:
                return 0.0
            p = int(np.argmax(y))
            below = np.nonzero(y[p:] < thr)[0]
            return float(p + below[0]) if below.size else float(y.size)
        raise TolqynError(f"unknown stat {self.stat}")

    def series(self, res) -> np.ndarray:
        """The metric's series; `a+b` sums several metrics (e.g. deaths of two groups)."""
        parts = self.metric.split("+")
        ys = [res.series(p.strip(), self.region) for p in parts]
        for p, y in zip(parts, ys):
            if y.size == 0:
                raise TolqynError(
                    f"target '{self.name}': the run has no series {p.strip()}@{self.region} "
                    f"(metrics: {', '.join(res.metrics)})"
                )
        n = min(y.size for y in ys)
        return np.sum([y[:n] for y in ys], axis=0)


def clock_of(start_date: str | None, dt: float):
    from tolqyn.core.clock import Clock

    return Clock(0, dt, start_date)


def step_of(at, start_date: str | None, dt: float) -> int:
    """Result row index of a date or a step: the clock's conversion (core/clock.py)."""
    if at is None:
        raise TolqynError("a target's 'at' is missing")
    return clock_of(start_date, dt).step_of(at, field="targets.at")


def parse_targets(
    data: dict, source: str, start_date: str | None = None, dt: float = 1.0
) -> tuple[list[Target], list[dict]]:
    """Targets and optional [[params]] from a dict (TOML or scenario meta)."""
    raw = data.get("targets")
    if not isinstance(raw, list) or not raw:
        raise ScenarioError("needs a non-empty [[targets]] array", source=source, field="targets")
    allowed = ("name", "metric", "region", "stat", "at", "threshold", "observed", "scale", "doc")
    out = []
    for i, t in enumerate(raw):
        where = f"targets[{i}]"
        for k in t:
            if k not in allowed:
                raise UnknownParamError(k, allowed, source=source, what=f"{where} key")
        for k in ("metric", "observed"):
            if k not in t:
                raise ScenarioError(f"missing '{k}'", source=source, field=where)
        stat = t.get("stat", "final")
        if stat not in STATS:
            raise UnknownParamError(stat, STATS, source=source, what=f"{where}.stat")
        obs = t["observed"]
        if stat in DATE_STATS or (stat in ("onset", "end") and isinstance(obs, (str, _dt.date))):
            obs = step_of(obs, start_date, dt)
        if isinstance(obs, bool) or not isinstance(obs, (int, float)):
            raise ScenarioError(
                f"observed {obs!r} is not a number", source=source, field=f"{where}.observed"
            )
        scale = float(t.get("scale", max(abs(float(obs)), 1.0)))
        if not scale > 0:
            raise ScenarioError("scale must be > 0", source=source, field=f"{where}.scale")
        if stat == "value_at" and "at" not in t:
            raise ScenarioError(
                "stat 'value_at' needs 'at' (a date or step)", source=source, field=where
            )
        at = t.get("at")
        if isinstance(at, (_dt.date, _dt.datetime)):
            at = at.isoformat()
        out.append(
            Target(
                name=str(t.get("name", f"{t['metric']}_{stat}")),
                metric=str(t["metric"]),
                stat=stat,
                observed=float(obs),
                scale=scale,
                region=str(t.get("region", "ALL")),
                at=at,
                threshold=float(t.get("threshold", 1.0)),
                doc=str(t.get("doc", "")),
            )
        )
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise ScenarioError("target names must be unique", source=source, field="targets")
    params = data.get("params", [])
    if not isinstance(params, list):
        raise ScenarioError("must be an array of tables [[params]]", source=source, field="params")
    return out, params


def load_targets(path, scenario) -> tuple[list[Target], list[dict], str]:
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ScenarioError("file not found", source=str(p))
        try:
            with open(p, "rb") as f:
                data = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ScenarioError(f"malformed TOML: {e}", source=str(p)) from None
        t, prm = parse_targets(data, str(p), scenario.start_date, scenario.dt)
        return t, prm, str(p)
    meta = scenario.meta or {}
    if isinstance(meta.get("observed"), list) and meta["observed"]:
        return (
            targets_from_observed(scenario),
            [],
            f"{scenario.source} meta.observed (role = fitted)",
        )
    for key in ("calibration", "targets"):
        block = meta.get(key)
        if isinstance(block, dict) and "targets" in block:
            t, prm = parse_targets(
                block, f"{scenario.source} meta.{key}", scenario.start_date, scenario.dt
            )
            return t, prm, f"{scenario.source} meta.{key}"
        if isinstance(block, list) and key == "targets":
            t, prm = parse_targets(
                {"targets": block},
                f"{scenario.source} meta.targets",
                scenario.start_date,
                scenario.dt,
            )
            return t, prm, f"{scenario.source} meta.targets"
    raise TolqynError(
        f"scenario {scenario.name} carries no calibration targets; give --targets FILE.toml"
    )


def targets_from_observed(scenario, role: str = "fitted") -> list[Target]:
    """The distance terms of a scenario's `[[meta.observed]]` records of one role (a
    calibration sees only the fitted ones), as the observation layer defines them
    (tolqyn.observe.targets): counts on a log scale in units of log(tolerance_factor), dates in
    days, regions in units. One record may give several terms (onset: the date and the lag
    behind the first region; peak: the date and the largest region)."""
    from tolqyn.observe import targets_of

    obs = targets_of(scenario.meta, scenario.source, role=role)
    if not obs:
        raise TolqynError(f"scenario {scenario.name} declares no observed targets of role {role}")
    clock = clock_of(scenario.start_date, scenario.dt)
    clock.n_steps = int(scenario.steps)
    out = []
    for t in obs:
        for name, observed, tol, scale in t.expected(clock):
            out.append(
                Target(
                    name=name,
                    metric=t.metric,
                    stat="observed",
                    observed=float(observed),
                    scale=float(scale),
                    region=t.region,
                    at=t.date,
                    doc=t.source,
                    tolerance=float(tol),
                    group=t.name,
                    observed_target=t,
                )
            )
    return out


def verdicts(stats: dict, targets: list[Target]) -> dict:
    """{record: match} from a run's summary statistics: a record matches when each of its
    terms is within its tolerance (the same rule as tolqyn.observe's Verdict)."""
    out: dict = {}
    for t in targets:
        if t.tolerance is None:
            continue
        v = stats[t.name]
        ok = bool(np.isfinite(v) and abs(v - t.observed) <= t.tolerance + 1e-9)
        key = t.group or t.name
        out[key] = out.get(key, True) and ok
    return out


def prior_bounds(
    scenario, params_opt: list[str] | None, params_file: list[dict]
) -> list[tuple[str, float, float, str]]:
    """(name, low, high, kind) for each calibrated parameter, from the declarations."""
    from tolqyn.experiments.designs import axes_for
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(scenario.model))
    items = list(params_opt or [])
    if not items:
        for p in params_file:
            if "low" in p or "high" in p:
                spec = specs.get(p.get("name"))
                lo = p.get("low", spec.low if spec else None)
                hi = p.get("high", spec.high if spec else None)
                items.append(f"{p.get('name')}={lo}:{hi}")
            else:
                items.append(str(p.get("name")))
    if not items:
        raise TolqynError(
            "name the parameters to calibrate: --param NAME[=LOW:HIGH] (or [[params]] in the targets file)"
        )
    axes = axes_for(specs, items, source="calibration parameters")
    for a in axes:
        if a.kind not in ("float", "int"):
            raise TolqynError(
                f"parameter '{a.name}' is a {a.kind}; only numeric parameters can be calibrated"
            )
    return [(a.name, a.low, a.high, a.kind) for a in axes]


def particle_seed(params: dict, base_seed: int) -> int:
    key = json.dumps({k: round(float(v), 12) for k, v in sorted(params.items())}) + f"/{base_seed}"
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") & (
        2**63 - 1
    )


def particle_values(particle, kinds: dict) -> dict:
    """A pyABC particle as scenario parameters: integers rounded where the parameter is one."""
    out = {}
    for n, k in kinds.items():
        v = float(particle[n])
        out[n] = int(round(v)) if k == "int" else v
    return out


class SimulationModel:
    """The picklable model that pyABC calls: parameters -> summary statistics."""

    def __init__(self, scenario, targets, bounds, steps, base_seed, model_refs=()):
        self.scenario = scenario
        self.targets = targets
        self.kinds = {n: k for n, _, _, k in bounds}
        self.steps = steps
        self.base_seed = base_seed
        self.model_refs = model_refs

    def values(self, particle) -> dict:
        return particle_values(particle, self.kinds)

    def __call__(self, particle) -> dict:
        from tolqyn.api import run_one

        if self.model_refs:
            from tolqyn import models

            for name, ref in self.model_refs:
                models.MODELS.setdefault(name, ref)
        vals = self.values(particle)
        sc = self.scenario.with_params(vals, source="calibration particle")
        res = run_one(sc, particle_seed(vals, self.base_seed), steps=self.steps)
        return summaries(res, self.targets, sc)


def summaries(res, targets, scenario) -> dict:
    return {t.name: t.compute(res, scenario.start_date, scenario.dt) for t in targets}


def _sampler(executor, seed: int = 0, deadline: float | None = None):
    """A pyABC sampler on our executor's workers (one pool for the whole calibration:
    workers import pyABC and Numba once) that is repeatable for a seed whatever the number
    of workers, and stops a generation at `deadline` (tolqyn.experiments.abc_sampler)."""
    from tolqyn.experiments.abc_sampler import InlineClient, budget_sampler
    from tolqyn.experiments.executors import DaskExecutor, ProcessExecutor

    if isinstance(executor, DaskExecutor):
        client, jobs = executor._client, 2 * executor.workers
    elif isinstance(executor, ProcessExecutor):
        if executor._pool is None:
            executor._start()
        client, jobs = executor._pool, 2 * executor.workers
    else:
        client, jobs = InlineClient(), 1
    return budget_sampler(client, jobs, seed=seed, deadline=deadline)


def calibrate(
    scenario,
    out,
    *,
    targets_path=None,
    params=None,
    sets=None,
    population: int = 100,
    generations: int = 5,
    min_eps: float = 0.0,
    n_predictive: int = 50,
    counterfactuals: list[str] | None = None,
    steps: int | None = None,
    seed: int = 0,
    executor_kind: str = "process",
    workers: int | None = None,
    dask_address: str | None = None,
    log=print,
) -> dict:
    import logging

    import pyabc

    from tolqyn.experiments.sweep import load_for_sweep
    from tolqyn.models import MODELS

    if population < 2:
        raise TolqynError("--population must be >= 2")
    if generations < 1:
        raise TolqynError("--generations must be >= 1")
    sc = load_for_sweep(scenario, sets) if isinstance(scenario, str) else scenario
    targets, params_file, tsource = load_targets(targets_path, sc)
    bounds = prior_bounds(sc, params, params_file)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    refs = ((sc.model, MODELS[sc.model]),) if sc.model in MODELS else ()
    model = SimulationModel(sc, targets, bounds, steps, seed, refs)
    prior = pyabc.Distribution(**{n: pyabc.RV("uniform", lo, hi - lo) for n, lo, hi, _ in bounds})
    distance = pyabc.distance.PNormDistance(
        p=2, fixed_weights={t.name: 1.0 / t.scale for t in targets}
    )
    observed = {t.name: t.observed for t in targets}
    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("ABC.History").setLevel(logging.WARNING)
    logging.getLogger("ABC.Sampler").setLevel(logging.WARNING)
    from tolqyn.experiments.executors import make_executor

    executor = make_executor(executor_kind, workers, dask_address)
    # pyABC draws its proposals in the jobs, from NumPy's global generator, which the sampler
    # seeds per job from (seed, generation, job): the calibration is repeatable
    np.random.seed(seed % 2**32)
    db_path = out / "abc.db"
    if db_path.exists():
        db_path.unlink()
    try:
        sampler = _sampler(executor, seed=seed)
        abc = pyabc.ABCSMC(model, prior, distance, population_size=population, sampler=sampler)
        abc.new("sqlite:///" + str(db_path.resolve()), observed)
        history = abc.run(minimum_epsilon=min_eps, max_nr_populations=generations)
        return _after_abc(
            history,
            sc,
            targets,
            bounds,
            model,
            sets,
            out,
            n_predictive,
            counterfactuals,
            steps,
            seed,
            executor,
            refs,
            tsource,
            population,
            sampler,
        )
    finally:
        executor.close()


def _after_abc(
    history,
    sc,
    targets,
    bounds,
    model,
    sets,
    out,
    n_predictive,
    counterfactuals,
    steps,
    seed,
    executor,
    refs,
    tsource,
    population,
    sampler,
) -> dict:
    from tolqyn.experiments.store import atomic_write_json, atomic_write_table
    from tolqyn.experiments.sweep import load_for_sweep

    df, w = history.get_distribution(m=0, t=history.max_t)
    names = [n for n, *_ in bounds]
    post = df[names].copy()
    post["weight"] = w / w.sum()
    import pyarrow as pa

    atomic_write_table(out / "posterior.parquet", pa.Table.from_pandas(post.reset_index(drop=True)))
    post.reset_index(drop=True).to_csv(out / "posterior.csv", index=False)
    pops = history.get_all_populations()
    n_eval = int(pops["samples"].sum()) if "samples" in pops else None
    eps = [float(e) for e in pops["epsilon"].tolist()] if "epsilon" in pops else []
    summary_post = {}
    for n in names:
        v = post[n].to_numpy()
        summary_post[n] = {
            "mean": float(np.sum(v * post["weight"])),
            "q05": _wq(v, post["weight"].to_numpy(), 0.05),
            "q50": _wq(v, post["weight"].to_numpy(), 0.5),
            "q95": _wq(v, post["weight"].to_numpy(), 0.95),
            "prior": [lo for nn, lo, hi, _ in bounds if nn == n]
            + [hi for nn, lo, hi, _ in bounds if nn == n],
        }
    # posterior predictive and counterfactuals: the same posterior draws and seeds in each
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    idx = rng.choice(len(post), size=n_predictive, replace=True, p=post["weight"].to_numpy())
    draws = [model.values(post.iloc[i]) for i in idx]
    from tolqyn.experiments.designs import replicate_seeds

    seeds = replicate_seeds(seed + 1, n_predictive)
    cf_names = counterfactuals if counterfactuals is not None else _default_counterfactuals(sc)
    runs = {"observed-scenario": sc}
    cf_keys = []
    for name in cf_names:
        cf = load_for_sweep(name, sets)
        if cf.model != sc.model:
            raise TolqynError(f"counterfactual {name} uses model {cf.model}, not {sc.model}")
        runs[cf.name] = cf
        cf_keys.append(cf.name)
    # a counterfactual that itself sets a calibrated parameter (higher-legitimacy: legitimacy
    # 0.65) keeps its change as a shift from each posterior draw, not lost under the draw
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(sc.model))
    shifts = {
        name: {
            n: float(cf.params.get(n, specs[n].default)) - float(sc.params.get(n, specs[n].default))
            for n, *_ in bounds
            if cf.params.get(n, specs[n].default) != sc.params.get(n, specs[n].default)
        }
        for name, cf in runs.items()
    }
    predictive = _run_draws(runs, draws, seeds, targets, steps, executor, refs, shifts)
    base = predictive["observed-scenario"]
    stats_rows, cf_rows = [], []
    for t in targets:
        v = base["stats"][t.name]
        lo, med, hi = np.nanquantile(v, [0.05, 0.5, 0.95])
        stats_rows.append(
            {
                "target": t.name,
                "observed": t.observed,
                "median": float(med),
                "q05": float(lo),
                "q95": float(hi),
                "covered": bool(lo <= t.observed <= hi),
            }
        )
    for name in cf_keys:
        for t in targets:
            v = predictive[name]["stats"][t.name]
            d = v - base["stats"][t.name]
            lo, med, hi = np.nanquantile(v, [0.05, 0.5, 0.95])
            dlo, dmed, dhi = np.nanquantile(d, [0.05, 0.5, 0.95])
            cf_rows.append(
                {
                    "counterfactual": name,
                    "target": t.name,
                    "median": float(med),
                    "q05": float(lo),
                    "q95": float(hi),
                    "observed": t.observed,
                    "diff_median": float(dmed),
                    "diff_q05": float(dlo),
                    "diff_q95": float(dhi),
                }
            )
    plots = _plot_bands(out, sc, targets, base)
    result = {
        "scenario": sc.name,
        "scenario_hash": sc.hash,
        "targets_source": tsource,
        "targets": [
            {k: v for k, v in t.__dict__.items() if k != "observed_target"} for t in targets
        ],
        "parameters": summary_post,
        "generations": int(history.max_t + 1),
        "epsilons": eps,
        "simulations": n_eval,
        "population": population,
        "n_predictive": n_predictive,
        "seed": seed,
        "predictive_check": stats_rows,
        "counterfactuals": cf_rows,
        "plots": plots,
        "counterfactual_shifts": {k: v for k, v in shifts.items() if v},
        "sampler": type(sampler).__name__,
    }
    atomic_write_json(out / "calibration.json", result)
    import pandas as pd

    pd.DataFrame(cf_rows).to_csv(out / "counterfactuals.csv", index=False)
    pd.DataFrame(stats_rows).to_csv(out / "predictive_check.csv", index=False)
    (out / "summary.txt").write_text(summary_text(result) + "\n")
    return result


def _wq(v, w, q) -> float:
    o = np.argsort(v)
    cw = np.cumsum(w[o])
    cw /= cw[-1]
    return float(v[o][min(len(v) - 1, int(np.searchsorted(cw, q)))])


def _default_counterfactuals(sc) -> list[str]:
    """Built-in scenarios named '<scenario>/<variant>' (e.g. kazakhstan-2022/no-shutdown)."""
    from tolqyn.scenarios.loader import builtin_names

    family = sc.name
    return [n for n in builtin_names() if n.startswith(family + "/")]


def _run_draws(runs: dict, draws, seeds, targets, steps, executor, refs, shifts=None) -> dict:
    from tolqyn.experiments.executors import Task
    from tolqyn.models import all_param_specs, get_model

    tasks, where = [], {}
    for name, sc in runs.items():
        shift = (shifts or {}).get(name, {})
        specs = all_param_specs(get_model(sc.model)) if shift else {}
        for i, (vals, s) in enumerate(zip(draws, seeds)):
            key = f"{len(tasks):06d}"
            v = dict(vals)
            for n, d in shift.items():
                lo, hi = specs[n].low, specs[n].high
                v[n] = min(hi, max(lo, v[n] + d)) if lo is not None and hi is not None else v[n] + d
                if isinstance(vals[n], int):
                    v[n] = int(round(v[n]))
            tasks.append(Task(key, sc.with_params(v, source="posterior draw"), s, steps, refs))
            where[key] = (name, i)
    metrics = sorted({(t.metric, t.region) for t in targets if t.stat != "n_regions"})
    out = {
        name: {
            "stats": {t.name: np.full(len(draws), np.nan) for t in targets},
            "series": {m: [None] * len(draws) for m in metrics},
            "errors": [],
        }
        for name in runs
    }
    for o in executor.run(tasks):
        name, i = where[o.key]
        if not o.ok:
            out[name]["errors"].append(o.error)
            continue
        sc = runs[name]
        for t in targets:
            out[name]["stats"][t.name][i] = t.compute(o.result, sc.start_date, sc.dt)
        for m in metrics:
            out[name]["series"][m][i] = Target("", m[0], "final", 0.0, 1.0, region=m[1]).series(
                o.result
            )
        if "dates" not in out[name] and "date" in o.result.columns:
            c = o.result.columns
            sel = c["region"] == "ALL"
            steps_ = c["step"][sel]
            _, first = np.unique(steps_, return_index=True)
            out[name]["dates"] = list(c["date"][sel][first])
    for name, r in out.items():
        if r["errors"]:
            raise TolqynError(
                f"{len(r['errors'])} posterior runs of {name} failed, e.g. {r['errors'][0]}"
            )
    return out


def _plot_bands(out: Path, sc, targets, base) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for (metric, region), series in base["series"].items():
        ys = [s for s in series if s is not None]
        if not ys:
            continue
        n = min(len(s) for s in ys)
        arr = np.array([s[:n] for s in ys])
        x = np.arange(n)
        lo, med, hi = np.quantile(arr, [0.05, 0.5, 0.95], axis=0)
        fig, ax = plt.subplots(figsize=(7, 3.6))
        ax.fill_between(x, lo, hi, alpha=0.3, label="posterior predictive 90%")
        ax.plot(x, med, lw=1.5, label="median")
        for t in targets:
            if t.metric != metric or t.region != region:
                continue
            if t.stat == "value_at":
                ax.plot([step_of(t.at, sc.start_date, sc.dt)], [t.observed], "ro")
                ax.annotate(
                    f"{t.name} observed",
                    (step_of(t.at, sc.start_date, sc.dt), t.observed),
                    fontsize=7,
                    xytext=(4, 4),
                    textcoords="offset points",
                )
            elif t.stat in ("final", "max"):
                ax.axhline(t.observed, color="r", ls="--", lw=0.8)
                ax.annotate(f"{t.name} observed ({t.stat})", (0, t.observed), fontsize=7)
            elif t.stat in ("peak_step", "peak_date", "onset", "end"):
                ax.axvline(t.observed, color="r", ls=":", lw=0.8)
                ax.annotate(
                    f"{t.name} observed",
                    (t.observed, ax.get_ylim()[1] * 0.9),
                    fontsize=7,
                    rotation=90,
                )
        dates = base.get("dates")
        if dates:
            ticks = x[:: max(1, n // 8)]
            ax.set_xticks(ticks)
            ax.set_xticklabels([dates[i][5:] for i in ticks], fontsize=7)
        ax.set_xlabel("date" if dates else "step")
        ax.set_title(f"{sc.name}: {metric}" + ("" if region == "ALL" else f" ({region})"))
        ax.legend(fontsize=7)
        fig.tight_layout()
        p = out / f"predictive_{metric}_{region}.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        paths.append(str(p))
    return paths


def summary_text(res: dict) -> str:
    lines = [
        f"ABC-SMC calibration of {res['scenario']}: {res['generations']} generations, "
        f"{res['simulations']} simulations, final epsilon "
        f"{res['epsilons'][-1] if res['epsilons'] else float('nan'):.4g}",
        "posterior (90% interval):",
    ]
    for n, s in res["parameters"].items():
        lines.append(
            f"  {n:<28} {s['q50']:.4g} ({s['q05']:.4g}–{s['q95']:.4g}); prior U({s['prior'][0]:g}, {s['prior'][1]:g})"
        )
    lines.append(f"posterior predictive check ({res['n_predictive']} draws):")
    for r in res["predictive_check"]:
        lines.append(
            f"  {r['target']:<20} simulated {_n(r['median'])} (90% interval {_n(r['q05'])}–{_n(r['q95'])}) "
            f"vs {_n(r['observed'])} observed{'' if r['covered'] else '  [observed outside the interval]'}"
        )
    if res["counterfactuals"]:
        lines.append("counterfactuals over the posterior:")
        for r in res["counterfactuals"]:
            name = r["counterfactual"].rsplit("/", 1)[-1]
            lines.append(
                f"  {name}: {r['target']} {_n(r['median'])} (90% interval {_n(r['q05'])}–{_n(r['q95'])}) "
                f"vs {_n(r['observed'])} observed; change vs replay {_n(r['diff_median'], True)} "
                f"({_n(r['diff_q05'], True)} to {_n(r['diff_q95'], True)})"
            )
    return "\n".join(lines)


def _n(v, signed=False) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    s = (
        f"{v:+,.0f}"
        if signed and abs(v) >= 100
        else (f"{v:+.3g}" if signed else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"))
    )
    return s
