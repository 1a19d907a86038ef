"""Ensembles over the calibrated posterior: the 2004-2019 fit, the 2020-2024 projection and
counterfactuals ("what if the tenge fell again by a third?"), each a set of runs that share
posterior draws and seeds (common random numbers: two variants differ by their inputs, not by
noise), summarised by year as medians and 90 % intervals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tolqyn.models.exit.destinations import declared_results
from tolqyn.models.exit.media_history import DIETS

# the metrics summarised by year; each aggregates as its declaration says (RunResult.resample:
# flows such as emigrants summed, count stocks at the year's last step, shares averaged). The
# emigrants' cells (by group, by destination) are the recorded metrics the exit model declares
# as cells of "emigrants", the names the observation layer reads figures from
# (tolqyn.observe.emigration.figure_metric), never names built here
EMIGRANT_CELLS = [r.name for r in declared_results() if r.base_name == "emigrants" and r.dims]
YEAR_METRICS = (
    ["emigrants"]
    + EMIGRANT_CELLS
    + ["active", "government_changes", "elections"]
    + [
        "legitimacy_mean",
        "grievance_mean",
        "exchange_rate",
        "economic_shock",
        "identity_kin_mean",
        "journalists_home",
        "journalists_jailed",
        "journalists_exiled",
        "critical_content",
    ]
    + [f"{m}_{d}" for m in ("media_share", "identity_kin", "identity_kin_high") for d in DIETS]
)
SCENARIO = "kazakhstan-exit"
END_2024 = "2024-12-31"


def yearly(res, metrics=YEAR_METRICS) -> dict:
    """{metric: {year: value}} of the metrics the run recorded, by calendar year of the
    step's start, aggregated as each metric declares (tolqyn.core.results)."""
    return {
        m: {int(y): float(v) for y, v in res.resample(m, "Y").items()}
        for m in metrics
        if res.has(m)
    }


@dataclass
class Ensemble:
    label: str
    runs: list = field(default_factory=list)  # yearly dicts, one per draw

    def values(self, metric: str, year: int) -> np.ndarray:
        return np.array([r.get(metric, {}).get(year, np.nan) for r in self.runs], dtype=float)

    def years(self, metric: str = "emigrants") -> list[int]:
        ys = set()
        for r in self.runs:
            ys |= set(r.get(metric, {}))
        return sorted(ys)

    def band(self, metric: str, year: int, q=(0.05, 0.5, 0.95)) -> tuple[float, float, float]:
        v = self.values(metric, year)
        v = v[np.isfinite(v)]
        if not v.size:
            return (float("nan"),) * 3
        lo, med, hi = np.quantile(v, q)
        return float(lo), float(med), float(hi)


def make_scenarios(
    draws: list[dict],
    scale: float | None = None,
    extra_params: dict | None = None,
    extra_events: list | None = None,
    name: str = SCENARIO,
):
    from tolqyn.scenarios.loader import load_scenario

    base = load_scenario(name)
    out = []
    for d in draws:
        p = dict(d)
        if scale is not None:
            p["scale"] = float(scale)
        p.update(extra_params or {})
        sc = base.with_params(p, source="posterior draw")
        if extra_events:
            sc = sc.with_events(list(extra_events))
        out.append(sc)
    return out


def run_variants(
    variants: dict,
    draws: list[dict],
    *,
    until: str = END_2024,
    scale: float | None = None,
    seed: int = 101,
    workers: int = 2,
    executor_kind: str = "process",
    out=None,
    tally: dict | None = None,
) -> dict:
    """variants: {label: (extra_params, extra_events)}; the same draws and seeds in each.
    Returns {label: Ensemble}.

    With `out`, every run goes through the experiment store there (one point per variant and
    draw, tidy rows with their metric declarations): a second call with the same question
    runs only what is missing, and the ensembles are summarised from the stored runs, so they
    are the same whether a run ran now or before. `tally` counts runs that ran now (`ran`)
    and those the store already held (`stored`)."""
    from tolqyn.experiments.designs import replicate_seeds
    from tolqyn.experiments.executors import Task
    from tolqyn.models import MODELS
    from tolqyn.scenarios.horizon import steps_until

    seeds = replicate_seeds(seed, len(draws))
    tasks = []
    for label, (params, events) in variants.items():
        for k, sc in enumerate(make_scenarios(draws, scale, params, events)):
            tasks.append(
                Task(
                    f"{label}|{k}",
                    sc,
                    seeds[k],
                    steps_until(sc, until),
                    (("country_exit", MODELS["country_exit"]),),
                )
            )
    out_ens = {label: Ensemble(label, [None] * len(draws)) for label in variants}
    summaries = run_tasks(
        tasks,
        yearly,
        out=out,
        workers=workers,
        executor_kind=executor_kind,
        tally=tally,
        what="variants",
    )
    for t, y in zip(tasks, summaries):
        label, k = t.key.split("|")
        out_ens[label].runs[int(k)] = y
    return out_ens


def run_tasks(
    tasks: list,
    summarise,
    *,
    out=None,
    workers: int = 2,
    executor_kind: str = "process",
    tally: dict | None = None,
    what: str = "runs",
) -> list:
    """`summarise(RunResult)` of every task, in task order, through the executors. With
    `out`, through the experiment store there (one point per task, replicate 0): only the
    runs the store lacks run, and every summary is taken from the stored run, so it is the
    same whether the run ran now or before. `tally` counts runs that ran now (`ran`) and
    those the store already held (`stored`)."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.experiments.executors import make_executor
    from tolqyn.experiments.store import run_id

    store = None if out is None else _task_store(out, tasks, what)
    done = store.finished() if store is not None else set()
    todo = [t for i, t in enumerate(tasks) if run_id(i, 0) not in done]
    point_of = {t.key: i for i, t in enumerate(tasks)}
    res: list = [None] * len(tasks)
    if todo:
        with make_executor(executor_kind, workers) as ex:
            for o in ex.run(todo):
                if not o.ok:
                    raise TolqynError(f"run {o.key} failed: {o.error}")
                i = point_of[o.key]
                if store is not None:
                    store.write_outcome(o, i, 0, tasks[i].seed)
                else:
                    res[i] = summarise(o.result)
    if store is not None:
        res = [summarise(store.run(i, 0)) for i in range(len(tasks))]
    if tally is not None:
        tally["ran"] = tally.get("ran", 0) + len(todo)
        tally["stored"] = tally.get("stored", 0) + len(tasks) - len(todo)
    return res


def _task_store(out, tasks, what: str):
    """The experiment store of one set of runs: its fingerprint is the scenario (with its
    parameters and events), seed and steps of every run."""
    import hashlib
    import json

    import pyarrow as pa

    from tolqyn.experiments.store import FORMAT, ExperimentStore

    spec = {
        "format": FORMAT,
        "scenario": SCENARIO,
        "scenario_hash": tasks[0].scenario.hash if tasks else "",
        "model": "country_exit",
        "steps": [int(t.steps) for t in tasks],
        "seeds": [int(t.seed) for t in tasks],
        "replicates": 1,
        "design": {"kind": what},
        "n_points": len(tasks),
        "point_hashes": [t.scenario.hash for t in tasks],
    }
    src = {k: spec[k] for k in ("steps", "seeds", "point_hashes")}
    digest = hashlib.sha256(json.dumps(src, sort_keys=True).encode()).hexdigest()
    spec["fingerprint"] = digest[:16]
    points = pa.table(
        {
            "point_id": pa.array(range(len(tasks)), type=pa.int32()),
            "key": pa.array([t.key for t in tasks], type=pa.string()),
        }
    )
    store = ExperimentStore(out)
    store.create_or_check(spec, points)
    store.verify()
    return store


def whatif_variants(
    tenge_fall: float | None = None, at: str = "2020-01-01", foreign_tv_year: int | None = None
) -> dict:
    """The baseline projection and one counterfactual built from the two questions the tool
    answers: the tenge losing a share `tenge_fall` of its value at `at` (KZT/USD × 1/(1 − f)),
    and foreign TV keeping the audience it had at the end of `foreign_tv_year` (the shift of
    the media diet online frozen from then on)."""
    events = []
    parts = []
    if tenge_fall is not None:
        if not 0.0 < tenge_fall < 0.9:
            from tolqyn.core.errors import ScenarioError

            raise ScenarioError(
                f"tenge fall {tenge_fall} out of range; allowed (0, 0.9)", field="--tenge-fall"
            )
        events.append(
            {
                "id": "whatif-fx",
                "at": at,
                "label": f"tenge loses {tenge_fall:.0%} of its value",
                "params": {"fx_multiplier": round(1.0 / (1.0 - tenge_fall), 6)},
            }
        )
        parts.append(f"tenge -{tenge_fall:.0%} on {at}")
    if foreign_tv_year is not None:
        if not 2004 <= foreign_tv_year <= 2024:
            from tolqyn.core.errors import ScenarioError

            raise ScenarioError(
                f"year {foreign_tv_year} out of range; allowed 2004..2024",
                field="--foreign-tv-year",
            )
        events.append(
            {
                "id": "whatif-tv",
                "at": f"{foreign_tv_year + 1}-01-01",
                "label": f"media diet frozen as at the end of {foreign_tv_year}",
                "params": {"media_shift_on": False},
            }
        )
        parts.append(f"foreign TV as popular as in {foreign_tv_year}")
    out = {"baseline": ({}, [])}
    if events:
        out[" + ".join(parts)] = ({}, events)
    return out


def diff_band(a: Ensemble, b: Ensemble, metric: str, years) -> tuple[float, float, float]:
    """Quantiles of the paired difference b − a summed over `years` (same draws and seeds)."""
    va = sum(a.values(metric, y) for y in years)
    vb = sum(b.values(metric, y) for y in years)
    d = vb - va
    d = d[np.isfinite(d)]
    lo, med, hi = np.quantile(d, (0.05, 0.5, 0.95))
    return float(lo), float(med), float(hi)
