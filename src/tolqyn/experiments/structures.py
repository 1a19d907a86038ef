"""Calibration over structures: multi-model ABC-SMC (pyABC; Toni et al. 2009, Klinger,
Rickert & Hasenauer 2018) over the named alternative structures of a scenario, with a
measurement-error model of the observations instead of fixed tolerances.

What is compared. A scenario's `[meta.structures]` names, for each structure switch
(tolqyn.mechanisms.structures: `blackout_structure`, `troops_structure`,
`ending_structure`), the values to compare; the structures are their product, each with prior
probability 1/K. `[meta.structures.priors]` gives the uniform prior of each free parameter
(inside its declared bounds, which are checked). A parameter that acts only through a channel
of some structures (`violence_blackout` under a blackout that shifts tactics) is free only in
those; in the others it does not act and is not drawn.

What is fitted. The scenario's `[[meta.observed]]` records with role = "fitted", as terms of
the observation layer (tolqyn.observe.targets: counts on a log scale, dates in days); the
records with role = "checked" are never seen by the calibration and are scored afterwards on
posterior predictive runs (`checked_scores`).

The likelihood (Wilkinson 2013: ABC is exact under the assumption of model/measurement error
when acceptance uses the error density). Each term k has an error model declared on its
record (`error`, `error_sd`, `error_sd_above`), and log p(o | s) = Σ_k log p_k(o_k | s_k):

    lognormal   log o_k ~ N(log s_k, σ_k²)                  (counts: official tolls revised
                                                              from 225 to 238, σ ≈ 0.06 and more)
    at_least    the record is a lower bound ("more than 9,900 detained"): below it the
                log count falls off with σ_k, above it with σ_above (a wide upper side)
    normal      o_k ~ N(s_k, σ_k²)                           (dates in days, regions in units)

pyABC's StochasticAcceptor accepts a simulation with probability p(o | s)^{1/T}/c^{1/T}, with
the temperature T lowered generation by generation to 1 (pyABC's Temperature schemes), so
that at T = 1 the population is a sample of the posterior under the error model. When the
budget stops the run earlier, the last T is reported (T > 1 is the posterior with the error
standard deviations inflated by √T).

Speed. Each simulation runs in-process in a worker (a spawned process pool or Dask), with
the scenario's population synthesised once per worker (`population_seed`: the synthesis does
not depend on any drawn parameter) and the run shortened to the last fitted date.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tolqyn.core.errors import ScenarioError, TolqynError, UnknownParamError

ERRORS = ("lognormal", "at_least", "normal")
# defaults by kind of term when a record declares no error model
DEFAULT_SD = {"count": 0.2, "date": 1.0, "units": 1.0}


@dataclass(frozen=True)
class Structure:
    name: str  # e.g. "blackout=both;troops=all;ending=all"
    switches: tuple  # ((switch, value), ...)
    free: tuple  # ((name, low, high, kind), ...): the parameters drawn in this structure

    @property
    def values(self) -> dict:
        return dict(self.switches)


@dataclass(frozen=True)
class TermError:
    """The measurement-error model of one term of a fitted record."""

    name: str  # the term's name (tolqyn.observe.targets)
    record: str  # the record it belongs to
    kind: str  # lognormal | at_least | normal
    observed: float  # in the term's units (log count, days, units)
    sd: float
    sd_above: float | None = None

    def loglik(self, value: float) -> float:
        """log p(observed | simulated value), up to a constant (0 at an exact match)."""
        if value is None or not math.isfinite(value):
            return -1e12
        d = self.observed - value  # the official figure minus the simulated one
        if self.kind == "at_least" and d < 0:
            # the simulated count is above a lower bound: the wide upper side
            return -0.5 * (d / self.sd_above) ** 2
        return -0.5 * (d / self.sd) ** 2

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def structure_name(values: dict) -> str:
    return ";".join(f"{k.removesuffix('_structure')}={v}" for k, v in values.items())


def _specs(scenario):
    from tolqyn.models import all_param_specs, get_model

    return all_param_specs(get_model(scenario.model))


# ------------------------------------------------------------------ reading the scenario
def read_structures(scenario, free=None, axes=None) -> list[Structure]:
    """The structures of a scenario's `[meta.structures]` (or the given axes and free
    parameters), each with its free parameters and uniform priors."""
    from tolqyn.mechanisms.structures import SWITCHES, channel_params, structure_params
    from tolqyn.models import all_param_specs, get_model

    src = f"{scenario.source} meta.structures"
    block = (scenario.meta or {}).get("structures") or {}
    specs = all_param_specs(get_model(scenario.model))
    keys = ("priors", "free", "only", "doc")
    choices = [n for n, sp in specs.items() if sp.kind == "choice"]
    for k in block:
        if k not in keys and k not in choices:
            raise UnknownParamError(k, [*SWITCHES, *keys], source=src, what="key")
    axes = dict(axes or {k: v for k, v in block.items() if k not in keys})
    if not axes:
        raise TolqynError(
            f"scenario {scenario.name} names no structures to compare ([meta.structures] with "
            f"one or more of {', '.join(SWITCHES)}, or another choice parameter)"
        )
    for switch, values in axes.items():
        if switch not in choices:
            raise UnknownParamError(switch, choices, source=src, what="structure switch")
        for v in values:
            if v not in specs[switch].choices:
                raise UnknownParamError(v, list(specs[switch].choices), source=src, what=switch)
    # a parameter free only in the structures named for it ("switch=value"), in addition to
    # the channel parameters of the country model's switches (mechanisms/structures.py)
    only = {n: [tuple(x.split("=", 1)) for x in v] for n, v in block.get("only", {}).items()}
    priors = dict(block.get("priors", {}))
    names = list(free if free is not None else block.get("free", list(priors)))
    bounds = {}
    for n in names:
        if n not in specs:
            raise UnknownParamError(n, list(specs), source=src, what="free parameter")
        spec = specs[n]
        if spec.kind not in ("float", "int"):
            raise ScenarioError(f"'{n}' is a {spec.kind}; only numbers can be free", source=src)
        lo, hi = priors.get(n, (spec.low, spec.high))
        if lo is None or hi is None or not lo < hi:
            raise ScenarioError(
                f"prior of '{n}' needs low < high (got {lo}, {hi})", source=src, field=n
            )
        if (spec.low is not None and lo < spec.low) or (spec.high is not None and hi > spec.high):
            raise ScenarioError(
                f"prior [{lo}, {hi}] of '{n}' leaves its declared bounds {spec.bounds_text}",
                source=src,
                field=f"priors.{n}",
            )
        bounds[n] = (float(lo), float(hi), spec.kind)
    in_channels = channel_params()
    out = []
    for combo in itertools.product(*axes.values()):
        values = dict(zip(axes, combo))
        known = {k: v for k, v in values.items() if k in SWITCHES}
        own = set(structure_params(known))

        def free_in(n):
            if n in only:
                return any(values.get(sw) == v for sw, v in only[n])
            return n not in in_channels or n in own

        free_here = tuple((n, *bounds[n]) for n in names if free_in(n))
        out.append(Structure(structure_name(values), tuple(values.items()), free_here))
    return out


def error_models(scenario, targets) -> list[TermError]:
    """One TermError per term of the fitted records (calibration.targets_from_observed),
    from the record's `error`, `error_sd` and `error_sd_above` (defaults by kind)."""
    out = []
    for t in targets:
        rec = t.observed_target.record if t.observed_target is not None else {}
        kind_of = t.observed_target.kind if t.observed_target is not None else "count"
        units = "count" if kind_of == "count" else ("units" if kind_of == "spread" else "date")
        err = str(rec.get("error", "lognormal" if units == "count" else "normal"))
        where = f"{scenario.source} meta.observed '{t.group or t.name}'"
        if err not in ERRORS:
            raise UnknownParamError(err, ERRORS, source=where, what="error")
        if err in ("lognormal", "at_least") and units != "count":
            raise ScenarioError(f"error '{err}' is for counts; use 'normal'", source=where)
        is_main = t.name == (t.group or t.name)
        sd = float(rec.get("error_sd", DEFAULT_SD[units])) if is_main else DEFAULT_SD[units]
        if not sd > 0:
            raise ScenarioError("error_sd must be > 0", source=where, field="error_sd")
        above = float(rec.get("error_sd_above", 1.0)) if err == "at_least" else None
        out.append(TermError(t.name, t.group or t.name, err, float(t.observed), sd, above))
    return out


# ------------------------------------------------------------------ the simulator
def particle_seed(structure: str, params: dict, base_seed: int) -> int:
    key = json.dumps(
        {k: v if isinstance(v, str) else round(float(v), 12) for k, v in sorted(params.items())}
    )
    key = f"{structure}/{key}/{base_seed}"
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") & (
        2**63 - 1
    )


class StructureSimulation:
    """The picklable model pyABC calls for one structure: parameters -> term values."""

    def __init__(self, scenario, structure: Structure, targets, steps, base_seed, refs=()):
        self.scenario = scenario
        self.structure = structure
        self.targets = targets
        self.steps = steps
        self.base_seed = base_seed
        self.refs = refs
        self.kinds = {n: k for n, _, _, k in structure.free}
        self.tally = None  # a folder where each process counts the simulations it ran

    def values(self, particle) -> dict:
        from tolqyn.experiments.calibration import particle_values

        return particle_values(particle, self.kinds)

    def __call__(self, particle) -> dict:
        from tolqyn.core.sim import Sim

        if self.refs:
            from tolqyn import models

            for name, ref in self.refs:
                models.MODELS.setdefault(name, ref)
        vals = self.values(particle)
        sc = self.scenario.with_params(
            {**self.structure.values, **vals}, source="calibration particle"
        )
        seed = particle_seed(self.structure.name, vals, self.base_seed)
        if self.tally is not None:
            with open(Path(self.tally) / str(os.getpid()), "ab") as f:
                f.write(b".")  # one byte per simulation run (all generations, kept or not)
        try:
            res = Sim(sc, seed=seed, steps=self.steps).run()
        except TolqynError:
            return {t.name: float("nan") for t in self.targets}
        return {t.name: t.compute(res, sc.start_date, sc.dt) for t in self.targets}


def make_kernel(errors: list[TermError]):
    """A pyABC StochasticKernel whose log density is the error model's (0 at a match)."""
    import pyabc
    from pyabc.distance import SCALE_LOG

    class MeasurementError(pyabc.StochasticKernel):
        def __init__(self):
            super().__init__(ret_scale=SCALE_LOG, keys=[e.name for e in errors], pdf_max=0.0)
            self.errors = errors

        def __call__(self, x, x_0, t=None, par=None):
            return float(sum(e.loglik(float(x[e.name])) for e in self.errors))

    return MeasurementError()


def _horizon(scenario, targets) -> int:
    """Steps up to the last fitted date (the rest of the run does not enter the fit)."""
    from tolqyn.experiments.calibration import clock_of

    clock = clock_of(scenario.start_date, scenario.dt)
    last = 0
    for t in targets:
        ot = t.observed_target
        if ot is not None and ot.date:
            at = clock.step_of(ot.date)
            # an "end" term looks for the wave's end after its date: two more days
            last = max(last, at + (int(math.ceil(2.0 / scenario.dt)) if ot.kind == "end" else 0))
        elif ot is not None:
            return int(scenario.steps)  # a count at the end of the run
    return min(int(scenario.steps), max(last, 1))


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _commit() -> str:
    import subprocess

    try:
        root = Path(__file__).resolve().parents[3]
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


# ------------------------------------------------------------------ the calibration
def calibrate_structures(
    scenario,
    out,
    *,
    structures: list[Structure] | None = None,
    population: int = 200,
    generations: int = 8,
    max_simulations: int = 10000,
    max_walltime_s: float | None = None,
    min_acceptance: float = 0.02,
    initial_temperature: float | None = None,
    n_predictive: int = 40,
    seed: int = 0,
    population_seed: int | None = None,
    executor_kind: str = "process",
    workers: int | None = None,
    dask_address: str | None = None,
    steps: int | None = None,
    command: str | None = None,
    log=print,
) -> dict:
    """Run the multi-model ABC-SMC and write posterior.csv, structures.csv,
    calibration.json and report.md to `out` (tolqyn.experiments.posterior describes the
    format; tolqyn.report_calibration the report)."""
    import logging

    import pyabc

    from tolqyn.experiments.abc_sampler import BudgetSpent
    from tolqyn.experiments.calibration import _sampler, targets_from_observed
    from tolqyn.experiments.executors import make_executor
    from tolqyn.models import MODELS

    if population < 2:
        raise TolqynError("--population must be >= 2")
    t_start = time.time()
    load_before = load_average()
    commit = _commit()  # the tree the run starts on (the working tree may move meanwhile)
    targets = targets_from_observed(scenario, role="fitted")
    errors = error_models(scenario, targets)
    structures = structures or read_structures(scenario)
    pop_seed = int(scenario.seed if population_seed is None else population_seed)
    base = scenario
    if "population_seed" in _specs(scenario):
        base = scenario.with_params({"population_seed": pop_seed}, source="calibration")
    steps = _horizon(scenario, targets) if steps is None else int(steps)
    refs = ((base.model, MODELS[base.model]),) if base.model in MODELS else ()
    models = [StructureSimulation(base, s, targets, steps, seed, refs) for s in structures]
    out = Path(out)
    tally = out / "simulations-run"
    shutil.rmtree(tally, ignore_errors=True)
    tally.mkdir(parents=True)  # creates out too
    for m in models:
        m.tally = str(tally)
    priors = [
        pyabc.Distribution(**{n: pyabc.RV("uniform", lo, hi - lo) for n, lo, hi, _ in s.free})
        for s in structures
    ]
    for name in ("ABC", "ABC.History", "ABC.Sampler", "ABC.Epsilon", "ABC.Acceptor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    observed = {e.name: e.observed for e in errors}
    np.random.seed(seed % 2**32)
    db = out / "abc.db"
    if db.exists():
        db.unlink()
    executor = make_executor(executor_kind, workers, dask_address)
    try:
        # the sampler stops a generation at the deadline (the last complete one is the result)
        deadline = t_start + float(max_walltime_s) if max_walltime_s else None
        sampler = _sampler(executor, seed=seed, deadline=deadline)
        abc = pyabc.ABCSMC(
            models,
            priors,
            make_kernel(errors),
            population_size=population,
            sampler=sampler,
            # the temperature falls exponentially to 1 at the last generation. pyABC's
            # acceptance-rate scheme is left out: with many structures it evaluates proposal
            # densities of structures left without particles and fails (pyABC 0.13)
            eps=pyabc.Temperature(
                schemes=[pyabc.ExpDecayFixedIterScheme()],
                initial_temperature=initial_temperature,
            ),
            # with a given initial temperature no prior sample is spent on calibrating it;
            # the kernel's maximum is then its known bound (0 at an exact match)
            acceptor=pyabc.StochasticAcceptor(
                pdf_norm_method=pyabc.acceptor.pdf_norm_from_kernel if initial_temperature else None
            ),
        )
        abc.new("sqlite:///" + str(db.resolve()), observed)
        log(
            f"calibrating {scenario.name} over {len(structures)} structures, "
            f"{steps} steps, population {population}, at most {generations} generations, "
            f"{max_simulations} simulations"
            + (f", {max_walltime_s:.0f} s" if max_walltime_s else "")
        )
        try:
            history = _run(abc, generations, max_simulations, min_acceptance, max_walltime_s)
        except BudgetSpent:
            history, stopped_by = abc.history, None
        except (AttributeError, ValueError, RuntimeError, np.linalg.LinAlgError) as e:
            # a failure after some generations keeps them: the posterior is the last one stored
            history = abc.history
            if history is None or history.max_t < 0:
                raise
            log(f"ABC-SMC stopped by an error after generation {history.max_t}: {e!r}")
            stopped_by = repr(e)
        else:
            stopped_by = None
        wall_abc = time.time() - t_start
        n_run = sum(f.stat().st_size for f in tally.iterdir())
        shutil.rmtree(tally, ignore_errors=True)
        if history is None or history.max_t < 0:
            db.unlink(missing_ok=True)
            raise TolqynError(
                f"no generation of the ABC-SMC was complete within the budget ({n_run} "
                f"simulations in {wall_abc:.0f} s, cut by {sampler.stopped_by or 'the budget'}):"
                " give it more time (--max-walltime), more simulations, or a higher "
                "--initial-temperature"
            )
        result = write_posterior(
            history, structures, base, targets, errors, out, seed, population, generations,
            max_simulations, max_walltime_s, steps, executor, refs, n_predictive, sampler,
        )  # fmt: skip
    finally:
        executor.close()
    result["commit"] = commit
    result["stopped_by_error"] = stopped_by
    result["generation_cut_by"] = sampler.stopped_by  # deadline | max_eval | None
    result["initial_temperature"] = initial_temperature
    result["wall_time_s"] = round(time.time() - t_start, 1)
    result["wall_time_abc_s"] = round(wall_abc, 1)
    result["load_before"] = load_before
    result["load_after"] = load_average()
    result["workers"] = getattr(executor, "workers", 1)
    result["executor"] = executor_kind
    # every simulation run counts, also those of a generation abandoned at the deadline
    result["budget"]["simulations_run"] = n_run
    result["simulations_per_second"] = round(n_run / wall_abc, 3) if wall_abc > 0 else None
    from tolqyn.experiments.store import atomic_write_json

    result["command"] = command
    atomic_write_json(out / "calibration.json", result)
    (out / "summary.txt").write_text(summary_text(result) + "\n")
    from tolqyn.report_calibration import write_report

    write_report(out)
    return result


def _run(abc, generations, max_simulations, min_acceptance, max_walltime_s):
    return abc.run(
        max_nr_populations=generations,
        max_total_nr_simulations=max_simulations,
        # a generation that accepts fewer is abandoned (and, past the deadline, every draw is
        # rejected): the last complete generation is the result
        min_acceptance_rate=min_acceptance,
        max_walltime=_dt.timedelta(seconds=max_walltime_s) if max_walltime_s else None,
    )


def write_posterior(
    history, structures, base, targets, errors, out, seed, population, generations,
    max_simulations, max_walltime_s, steps, executor, refs, n_predictive, sampler,
) -> dict:  # fmt: skip
    import pandas as pd

    import tolqyn

    t = history.max_t
    probs = history.get_model_probabilities().loc[t]
    p_m = {m: float(probs.get(m, 0.0)) for m in range(len(structures))}
    switches = list(dict(structures[0].switches))
    all_free = list(dict.fromkeys(n for s in structures for n, *_ in s.free))
    rows, srows = [], []
    for m, s in enumerate(structures):
        n_part = 0
        if p_m.get(m, 0.0) > 0:
            df, w = history.get_distribution(m=m, t=t)
            w = np.asarray(w, dtype=float)
            w = w / w.sum()
            n_part = len(df)
            for i in range(len(df)):
                row = {"structure": s.name, "weight": float(w[i] * p_m[m]), **s.values}
                for n in all_free:
                    row[n] = float(df[n].iloc[i]) if n in df.columns else float("nan")
                rows.append(row)
        srows.append(
            {
                "structure": s.name,
                **s.values,
                "prior": 1.0 / len(structures),
                "probability": p_m.get(m, 0.0),
                "n_particles": n_part,
            }
        )
    post = pd.DataFrame(rows, columns=["structure", "weight", *switches, *all_free])
    post.to_csv(out / "posterior.csv", index=False)
    sdf = pd.DataFrame(srows).sort_values("probability", ascending=False)
    sdf.to_csv(out / "structures.csv", index=False)
    # marginal probabilities of each switch value
    marginals = {
        sw: {v: float(sdf.loc[sdf[sw] == v, "probability"].sum()) for v in sorted(set(sdf[sw]))}
        for sw in switches
    }
    pops = history.get_all_populations()
    sims = int(pops["samples"].sum()) if "samples" in pops else None
    temps = [float(e) for e in pops["epsilon"].tolist()] if "epsilon" in pops else []
    params = {}
    for n in all_free:
        col = pd.to_numeric(post[n], errors="coerce").to_numpy(dtype=float)
        keep = np.isfinite(col)
        if not keep.any():
            continue
        v, w = col[keep], post["weight"].to_numpy(dtype=float)[keep]
        params[n] = {
            "mean": float(np.sum(v * w) / w.sum()),
            "q05": _wq(v, w, 0.05),
            "q50": _wq(v, w, 0.5),
            "q95": _wq(v, w, 0.95),
            "probability_free": float(w.sum()),
        }
    checked = _checked_scores(post, switches, base, executor, refs, n_predictive, seed)
    from tolqyn.observe import targets_of

    meta = base.meta or {}
    return {
        "scenario": base.name,
        "scenario_hash": base.hash,
        "commit": _commit(),
        "version": tolqyn.__version__,
        "seed": seed,
        "population_seed": int(base.params.get("population_seed", -1)),
        "scale": base.params.get("scale"),
        "steps": steps,
        "switches": switches,
        "structures": [s.name for s in structures],
        "marginal_probabilities": marginals,
        "budget": {
            "simulations": sims,
            "population": population,
            "generations": int(t + 1),
            "max_generations": generations,
            "max_simulations": max_simulations,
            "max_walltime_s": max_walltime_s,
        },
        "sampler": type(sampler).__name__,
        "acceptor": "StochasticAcceptor, Temperature(ExpDecayFixedIterScheme)",
        "temperatures": temps,
        "final_temperature": temps[-1] if temps else None,
        "priors": _priors(structures),
        "error_model": [e.as_dict() for e in errors],
        "fitted": [t.name for t in targets_of(meta, base.source, role="fitted")],
        "checked": [t.name for t in targets_of(meta, base.source, role="checked")],
        "checked_scores": checked,
        "parameters": params,
    }


def _priors(structures) -> dict:
    out = {}
    for s in structures:
        for n, lo, hi, _ in s.free:
            out.setdefault(n, {"low": lo, "high": hi, "structures": []})["structures"].append(
                s.name
            )
    return out


def _checked_scores(post, switches, base, executor, refs, n, seed) -> list[dict]:
    """Posterior predictive runs of the whole scenario (its full horizon) and the verdict of
    every record, fitted and checked, from tolqyn.observe (the calibration did not see the
    checked ones)."""
    from tolqyn.experiments.executors import Task
    from tolqyn.observe import targets_of

    if n <= 0 or post.empty:
        return []
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xC4EC]))
    idx = rng.choice(len(post), size=n, replace=True, p=post["weight"] / post["weight"].sum())
    frees = [c for c in post.columns if c not in ("structure", "weight", *switches)]
    specs = _specs(base)
    tasks = []
    for j, i in enumerate(idx):
        row = post.iloc[int(i)]
        vals = {s: row[s] for s in switches}
        for p in frees:
            v = float(row[p])
            if math.isfinite(v):
                vals[p] = int(round(v)) if specs[p].kind == "int" else v
        sc = base.with_params(vals, source="posterior draw")
        tasks.append(Task(f"{j:05d}", sc, particle_seed("check", vals, seed + 7), None, refs))
    recs = targets_of(base.meta, base.source)
    got = {t.name: [] for t in recs}
    for o in executor.run(tasks):
        if not o.ok:
            continue
        for t in recs:
            v = t.judge(o.result)
            got[t.name].append((v.match, t.headline(o.result)))
    out = []
    for t in recs:
        vs = got[t.name]
        matches = [m for m, _ in vs if m is not None]
        # a headline that is undefined in a run (a rank correlation with fewer than two units
        # reached) is left out of the quantiles rather than making them all nan
        heads = [
            h
            for _, h in vs
            if isinstance(h, (int, float)) and not isinstance(h, bool) and math.isfinite(h)
        ]
        row = {
            "target": t.name,
            "role": t.role,
            "observed": t.observed_text,
            "runs": len(vs),
            "match_share": float(np.mean(matches)) if matches else None,
        }
        if heads:
            q = np.quantile(heads, [0.05, 0.5, 0.95])
            row.update({"q05": float(q[0]), "median": float(q[1]), "q95": float(q[2])})
        else:
            dates = sorted(str(h) for _, h in vs if h and not isinstance(h, float))
            if dates:
                row.update({"median": dates[len(dates) // 2]})
        out.append(row)
    return out


def _wq(v, w, q) -> float:
    o = np.argsort(v)
    cw = np.cumsum(w[o])
    cw /= cw[-1]
    return float(v[o][min(len(v) - 1, int(np.searchsorted(cw, q)))])


def summary_text(res: dict) -> str:
    b = res["budget"]
    lines = [
        f"Calibration over structures of {res['scenario']} (commit {res['commit'] or '?'}, "
        f"tolqyn {res['version']}): {b.get('simulations_run')} simulations run, "
        f"{b['simulations']} of them in the {b['generations']} generations kept "
        f"(population {b['population']}), wall {res.get('wall_time_s', 0):.0f} s on "
        f"{res.get('workers')} workers ({res.get('simulations_per_second')} simulations/s), "
        f"load {res.get('load_before')} -> {res.get('load_after')}; final temperature "
        f"{res['final_temperature']}",
        "posterior probability of each structure switch:",
    ]
    for sw, vals in res["marginal_probabilities"].items():
        lines.append(f"  {sw}: " + ", ".join(f"{k} {v:.2f}" for k, v in vals.items()))
    lines.append("parameters (weighted median, 90% interval; P = probability that it is free):")
    for n, s in res["parameters"].items():
        pr = res["priors"][n]
        lines.append(
            f"  {n:<24} {s['q50']:.4g} ({s['q05']:.4g}-{s['q95']:.4g}); prior "
            f"U({pr['low']:g}, {pr['high']:g}); P = {s['probability_free']:.2f}"
        )
    if res["checked_scores"]:
        lines.append(
            "posterior predictive verdicts (share of runs matching; checked = never fitted):"
        )
        for r in res["checked_scores"]:
            ms = "n/a" if r["match_share"] is None else f"{r['match_share']:.2f}"
            iv = (
                f" simulated {r['median']:.4g} ({r['q05']:.4g}-{r['q95']:.4g})"
                if isinstance(r.get("median"), float)
                else (f" simulated {r['median']}" if r.get("median") else "")
            )
            lines.append(f"  [{r['role']}] {r['target']:<22} match {ms};{iv} vs {r['observed']}")
    return "\n".join(lines)
