"""Counterfactuals over a posterior and over model structures.

For each structure of a posterior (tolqyn.experiments.posterior) with probability P_s, `draws`
parameter sets are resampled by weight; each draw gets its own seed. The replay and every
counterfactual scenario run with the same draw and the same seed (common random numbers), so
the paired difference counterfactual − replay of a draw carries no noise that the two do not
share; a counterfactual identical to the replay gives a difference of exactly zero.

The runs go through the experiments layer: one resumable experiment store per scenario under
OUT/runs/posterior/<scenario>/ (a design whose points are the draws, each with its seed), run
by one executor; running the same command again runs only what is missing.

counterfactuals.csv has one row per (scenario, structure, metric), with `structure` a
structure's label or `averaged` (the mixture over structures, each draw weighted P_s / n_s);
metric `M` is the level of outcome M and `M_minus_replay` its paired difference against the
replay (the replay's own rows carry only levels).

A counterfactual that itself sets a calibrated parameter (higher-legitimacy: legitimacy 0.65
against the replay's 0.55) applies its change as a shift of each draw, clipped to the declared
bounds, so that the change is not lost under the drawn value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tolqyn.core.errors import TolqynError, UnknownParamError

REPLAY = "replay"
AVERAGED = "averaged"
QUANTILES = (0.05, 0.5, 0.95)


# ---------------------------------------------------------------- outcome metrics
def _deaths(run):
    from tolqyn.observe import stats

    return stats.value_at(run, "deaths_civilian_cumulative+deaths_security_cumulative")


def _end_day(run):
    from tolqyn.observe import stats

    p, _ = stats.peak(run, "active")
    if p is None:
        return 0.0
    e = stats.end_of_wave(run, "active")
    return float(run.n_rows if e is None else e)


def _regions(run):
    from tolqyn.observe import stats

    return float(sum(1 for r in stats.onsets(run, "active").values() if r is not None))


def _value(metric):
    def f(run):
        from tolqyn.observe import stats

        return stats.value_at(run, metric)

    return f


def _peak(run):
    from tolqyn.observe import stats

    return stats.peak(run, "active")[1]


# name -> (what it is, function of a RunResult); persons unless said otherwise
METRICS = {
    "deaths_total": ("dead (civilians and security forces) by the last day", _deaths),
    "deaths_security": (
        "dead among the security forces by the last day",
        _value("deaths_security_cumulative"),
    ),
    "detained": ("detained in all, by the last day", _value("detained_cumulative")),
    "injured_total": (
        "injured (civilians and forces) by the last day",
        _value("injured_civilian_cumulative+injured_security_cumulative"),
    ),
    "peak_active": ("largest number of persons protesting on one day", _peak),
    "participants": ("persons who protested at least once", _value("participants_cumulative")),
    "regions_reached": ("units where at least 300 persons protested on some day", _regions),
    "end_day": (
        "day the wave ended (at or below 5 % of its peak; 0 = 1 Jan); a wave still on at the "
        "last day counts as the day after it (censored)",
        _end_day,
    ),
    "active_final": ("persons protesting on the last day", _value("active")),
}
HEADLINE = ("deaths_total", "detained", "peak_active")


def outcome_metrics(run) -> dict[str, float]:
    return {name: float(f(run)) for name, (_, f) in METRICS.items()}


# ---------------------------------------------------------------- the plan
@dataclass
class Draw:
    structure: str
    index: int  # within its structure
    row: int  # row of the structure's particles it was resampled from
    params: dict  # calibrated values (a structure's absent parameters left out) and switches
    seed: int


@dataclass
class Plan:
    base: object  # the replay Scenario
    scenarios: dict  # slug -> Scenario; REPLAY first
    names: dict  # slug -> scenario name
    posterior: object
    draws: list[Draw]
    structures: list  # (name, probability) of the structures that were drawn
    skipped: list  # (name, probability) below min_probability
    shifts: dict  # slug -> {param: shift} for counterfactuals that move a calibrated value
    seed: int
    scale: float | None
    notes: list = field(default_factory=list)


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name.rsplit("/", 1)[-1]).strip("-") or "scenario"


def family_counterfactuals(base) -> list[str]:
    """Built-in scenarios named '<scenario>/<variant>' (kazakhstan-2022/no-shutdown, ...)."""
    from tolqyn.scenarios.loader import builtin_names

    return [n for n in builtin_names() if n.startswith(base.name + "/")]


def load_with(name, sets=None, scale=None):
    from tolqyn.scenarios.loader import load_scenario, parse_set_options

    overrides = parse_set_options(sets)
    if scale is not None:
        overrides["scale"] = float(scale)
    return load_scenario(name, overrides=overrides or None)


def plan_counterfactuals(
    scenario: str,
    posterior_dir,
    *,
    counterfactuals: list[str] | None = None,
    draws: int = 40,
    scale: float | None = None,
    sets: list[str] | None = None,
    seed: int = 0,
    min_probability: float = 0.0,
    ignore: list[str] | None = None,
    allocate: str = "equal",
) -> Plan:
    """`draws` per structure (`allocate="equal"`: every structure's answer equally precise), or
    in all, split by posterior probability (`"proportional"`, largest remainders: a posterior
    over many structures at the cost of one; structures that get no draw are reported as not
    run)."""
    from tolqyn.experiments.designs import replicate_seeds
    from tolqyn.experiments.posterior import load_posterior
    from tolqyn.models import all_param_specs, get_model

    if draws < 1:
        raise TolqynError("--draws must be >= 1")
    if not 0.0 <= min_probability < 1.0:
        raise TolqynError("--min-probability must lie in [0, 1)")
    base = load_with(scenario, sets, scale)
    post = load_posterior(posterior_dir, model=base.model, ignore=ignore)
    names = counterfactuals if counterfactuals else family_counterfactuals(base)
    if not names:
        raise TolqynError(
            f"scenario {base.name} has no counterfactual scenarios ({base.name}/...); "
            "name them with --scenario"
        )
    scenarios, labels = {REPLAY: base}, {REPLAY: base.name}
    for n in names:
        cf = load_with(n, sets, scale)
        if cf.model != base.model:
            raise TolqynError(f"counterfactual {n} uses model {cf.model}, not {base.model}")
        s = slug(cf.name)
        if s in scenarios:
            raise TolqynError(f"counterfactual {n} given twice (or named like another)")
        scenarios[s], labels[s] = cf, cf.name
    specs = all_param_specs(get_model(base.model))
    shifts = {}
    for s, cf in scenarios.items():
        moved = {}
        for p in post.parameters:
            a = cf.params.get(p, specs[p].default)
            b = base.params.get(p, specs[p].default)
            if a != b:
                moved[p] = float(a) - float(b)
        if moved:
            shifts[s] = moved
    with_rows = set(post.frame["structure"])
    probs = post.probabilities
    drawn = [(n, p) for n, p in probs.items() if p > min_probability and n in with_rows]
    skipped = [(n, p) for n, p in probs.items() if (n, p) not in drawn]
    if allocate == "proportional" and draws < 1:
        raise TolqynError("--draws must be >= 1")
    if not drawn:
        raise TolqynError(
            f"no structure with particles has a probability above --min-probability "
            f"{min_probability:g}"
        )
    if allocate == "equal":
        counts = {name: draws for name, _ in drawn}
    elif allocate == "proportional":
        counts = proportional_counts(drawn, draws)
        skipped += [(n, p) for n, p in drawn if counts[n] == 0]
        drawn = [(n, p) for n, p in drawn if counts[n] > 0]
    else:
        raise UnknownParamError(allocate, ALLOCATIONS, source="--allocate", what="allocation")
    run_seeds = replicate_seeds(seed, sum(counts.values()))
    out = []
    for k, (name, _) in enumerate(drawn):
        # each structure its own resampling stream, so adding one changes no other's draws
        for i, d in enumerate(post.draws(counts[name], seed=seed * 1_000_003 + k, structure=name)):
            vals = {
                p: (int(round(v)) if specs[p].kind == "int" else float(v))
                if p in post.parameters
                else v
                for p, v in d.params.items()
            }
            out.append(Draw(name, i, d.row, vals, run_seeds[len(out)]))
    notes = []
    if post.dropped:
        notes.append(
            "columns left out of the posterior (not parameters of the current model): "
            + ", ".join(post.dropped)
        )
    return Plan(
        base,
        scenarios,
        labels,
        post,
        out,
        drawn,
        skipped,
        shifts,
        seed,
        scale,
        notes,
    )


ALLOCATIONS = ("equal", "proportional")


def proportional_counts(structures: list[tuple[str, float]], total: int) -> dict:
    """Draws per structure in proportion to probability (Hamilton's largest remainders)."""
    tot = sum(p for _, p in structures)
    quota = {n: total * p / tot for n, p in structures}
    counts = {n: int(math.floor(q)) for n, q in quota.items()}
    rest = total - sum(counts.values())
    for n in sorted(quota, key=lambda n: -(quota[n] - counts[n]))[:rest]:
        counts[n] += 1
    return counts


def draw_params(params: dict, shift: dict | None, specs) -> dict:
    """A draw's values with a counterfactual's shifts applied (clipped to declared bounds)."""
    v = dict(params)
    for n, d in (shift or {}).items():
        if n not in v:
            continue
        lo, hi = specs[n].low, specs[n].high
        x = v[n] + d
        if lo is not None:
            x = max(lo, x)
        if hi is not None:
            x = min(hi, x)
        v[n] = int(round(x)) if isinstance(params[n], int) else float(x)
    return v


def design_of(points: list[dict], specs):
    """A Design whose points are the given parameter sets (axes: every parameter named)."""
    from tolqyn.experiments.designs import Axis, Design

    names = list(dict.fromkeys(k for p in points for k in p))
    axes = []
    for n in names:
        sp = specs[n]
        if sp.kind in ("float", "int"):
            axes.append(Axis(n, sp.kind, sp.low, sp.high))
        else:
            axes.append(Axis(n, "choice", choices=tuple(sorted({str(p.get(n)) for p in points}))))
    # points.parquet needs a value per axis: a parameter a point leaves out gets its default
    full = [{n: p.get(n, specs[n].default) for n in names} for p in points]
    return Design("posterior", axes, full, len(full), 0), full


# ---------------------------------------------------------------- running
def run_scenario_points(
    scenario,
    out,
    points: list[dict],
    *,
    seeds=None,
    replicates=1,
    seed=0,
    executor,
    progress=False,
    tally: dict | None = None,
):
    """Run a scenario at the given parameter sets into a resumable store; returns, per point
    and replicate, the outcome metrics (list of lists of dicts). `tally` counts the runs that
    ran now (`ran`) and those the store already held (`stored`)."""
    from tolqyn.experiments.store import ExperimentStore, run_id
    from tolqyn.experiments.sweep import sweep
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(scenario.model))
    design, full = design_of(points, specs)
    # a parameter left out of a point keeps the scenario's own value, not the declared default
    for p, f in zip(points, full):
        for n in f:
            if n not in p:
                f[n] = scenario.params.get(n, specs[n].default)
    rep = sweep(
        scenario,
        out,
        design_obj=design,
        replicates=replicates,
        seed=seed,
        point_seeds=seeds,
        executor=executor,
        progress=progress,
    )
    if tally is not None:
        tally["ran"] = tally.get("ran", 0) + rep.ran
        tally["stored"] = tally.get("stored", 0) + rep.done_before
    if rep.failed:
        key, err = rep.errors[0]
        raise TolqynError(f"{rep.failed} run(s) of {scenario.name} failed, e.g. {key}: {err}")
    store = ExperimentStore(out)
    spec = store.spec()
    n_rep = 1 if seeds is not None else replicates
    res = []
    for pid in range(len(points)):
        row = []
        for r in range(n_rep):
            path = store.result_path(pid, r)
            if not path.exists():
                raise TolqynError(f"{out}: run {run_id(pid, r)} has no stored result")
            row.append(outcome_metrics(stored_run(path, scenario, spec)))
        res.append(row)
    return res


def stored_run(path: Path, scenario, spec: dict):
    """A RunResult rebuilt from one stored run; a store written before runs kept their
    manifest and metric declarations gets a minimal manifest from the scenario."""
    import pyarrow.parquet as pq

    from tolqyn.core.results import META_MANIFEST, RunResult

    t = pq.read_table(path)
    if META_MANIFEST in (t.schema.metadata or {}):
        return RunResult.from_arrow(t)
    regions = sorted({r for r in t.column("region").to_pylist() if r != "ALL"})
    manifest = {
        "steps": int(spec["steps"]),
        "dt_days": float(scenario.dt),
        "start_date": scenario.start_date,
        "regions": ["ALL", *regions],
        "scale": scenario.params.get("scale"),
    }
    return RunResult.from_arrow(t, manifest)


def run_plan(plan: Plan, out, *, executor, progress=False, tally: dict | None = None) -> dict:
    """Every scenario at every draw: {slug: [metrics per draw]} (draw order of plan.draws)."""
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(plan.base.model))
    seeds = [d.seed for d in plan.draws]
    res = {}
    for s, sc in plan.scenarios.items():
        pts = [draw_params(d.params, plan.shifts.get(s), specs) for d in plan.draws]
        rows = run_scenario_points(
            sc,
            Path(out) / "runs" / "posterior" / s,
            pts,
            seeds=seeds,
            executor=executor,
            progress=progress,
            tally=tally,
        )
        res[s] = [r[0] for r in rows]
    return res


# ---------------------------------------------------------------- summaries
def _q(v, w):
    from tolqyn.experiments.posterior import weighted_quantile

    return weighted_quantile(v, w, QUANTILES)


def summarise(plan: Plan, outcomes: dict):
    """The counterfactuals.csv table (a DataFrame) from the per-draw outcomes."""
    import pandas as pd

    probs = dict(plan.structures)
    labels = [d.structure for d in plan.draws]
    n_by = {s: labels.count(s) for s in probs}
    w_avg = np.array([probs[s] / n_by[s] for s in labels])
    rows = []
    base = outcomes[REPLAY]
    for s, per_draw in outcomes.items():
        for m in METRICS:
            level = np.array([o[m] for o in per_draw], dtype=float)
            series = [(m, level)]
            if s != REPLAY:
                series.append((f"{m}_minus_replay", level - np.array([o[m] for o in base], float)))
            for name, v in series:
                for st, p in plan.structures:
                    mask = np.array([lab == st for lab in labels])
                    q05, q50, q95 = _q(v[mask], np.ones(mask.sum()))
                    rows.append(_row(plan, s, st, name, q50, q05, q95, int(mask.sum()), p))
                q05, q50, q95 = _q(v, w_avg)
                rows.append(
                    _row(plan, s, AVERAGED, name, q50, q05, q95, len(v), sum(probs.values()))
                )
    return pd.DataFrame(rows)


def _row(plan, s, st, metric, med, lo, hi, n, p):
    return {
        "scenario": plan.names[s],
        "structure": st,
        "metric": metric,
        "median": float(med),
        "q05": float(lo),
        "q95": float(hi),
        "n_draws": int(n),
        "posterior_probability": float(p),
    }


def per_draw_table(plan: Plan, outcomes: dict):
    """One row per (scenario, draw): structure, draw, seed, the parameters the run had (a
    counterfactual's shift applied) and outcome metrics (draws.csv: what every number of
    counterfactuals.csv is computed from)."""
    import pandas as pd

    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(plan.base.model))
    rows = []
    for s, per_draw in outcomes.items():
        for d, o in zip(plan.draws, per_draw):
            used = draw_params(d.params, plan.shifts.get(s), specs)
            rows.append(
                {
                    "scenario": plan.names[s],
                    "structure": d.structure,
                    "draw": d.index,
                    "particle": d.row,
                    "seed": d.seed,
                    **{f"param_{k}": v for k, v in used.items()},
                    **o,
                }
            )
    return pd.DataFrame(rows)


def sign_robustness(df, scenario: str, metric: str) -> dict:
    """The sign of the averaged median difference and the posterior mass of the structures
    that agree: by their median, and by a 90 % interval that excludes zero on that side."""
    d = df[(df.scenario == scenario) & (df.metric == f"{metric}_minus_replay")]
    avg = d[d.structure == AVERAGED].iloc[0]
    sign = int(np.sign(avg["median"]))
    per = d[d.structure != AVERAGED]
    total = float(per.posterior_probability.sum())
    agree = per[np.sign(per["median"]) == sign]
    if sign > 0:
        sure = per[per.q05 > 0]
    elif sign < 0:
        sure = per[per.q95 < 0]
    else:
        sure = per[(per.q05 == 0) & (per.q95 == 0)]
    return {
        "sign": sign,
        "p_agree": float(agree.posterior_probability.sum()) / total if total else math.nan,
        "p_sure": float(sure.posterior_probability.sum()) / total if total else math.nan,
        "structures_agree": list(agree.structure),
        "structures_against": list(per[np.sign(per["median"]) != sign].structure),
        "averaged": (float(avg["median"]), float(avg.q05), float(avg.q95)),
    }


def indistinguishable(structures: list[tuple[str, float]], factor: float = 3.0) -> list[str]:
    """Structures the data do not rule out against the most probable one: posterior odds
    against them below `factor` (3, 'barely worth mentioning' on Jeffreys' scale, with equal
    prior probabilities of the structures)."""
    if not structures:
        return []
    best = max(p for _, p in structures)
    return [n for n, p in structures if p > 0 and best / p < factor]
