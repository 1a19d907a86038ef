"""What drives each counterfactual answer: global sensitivity of the paired differences
(counterfactual − replay) over the box the posterior occupies.

1. Morris screening (SALib; Morris 1991, Campolongo et al. 2007) of every calibrated parameter
   over its weighted 5-95 % posterior range, and of the structure when there are several: the
   structure enters as one factor u ~ U(0, 1) mapped to a structure through the cumulative
   posterior probabilities, so that its indices are the share of variance the choice of
   structure explains, each structure sampled with its probability.
2. Sobol' indices (Saltelli 2010 estimators, bootstrap confidence intervals) on the screened
   factors only; the others are held at their posterior medians (and the most probable
   structure when the structure is screened out).

Every point runs the replay and each counterfactual with the same seeds (common random
numbers), so each output is a paired difference. The share of its variance that is seed noise
is measured at the centre of the box (posterior medians, the most probable structure) over
`noise_seeds` seeds and reported beside the indices.

The pipeline `screen_then_attribute` takes any evaluator (design points -> outputs): the model
for the counterfactuals, a function with known indices (Ishigami) in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tolqyn.core.errors import TolqynError

STRUCTURE = "structure"  # the factor that picks the structure


@dataclass
class DriverBudget:
    morris_trajectories: int = 6
    sobol_samples: int = 32  # base N, a power of 2: N (k + 2) points
    max_params: int = 5  # factors kept after screening
    keep_share: float = 0.1  # screening keeps mu* >= this share of the largest mu*
    replicates: int = 1  # seeds per design point (the same at every point)
    noise_seeds: int = 8
    conf_level: float = 0.95
    resamples: int = 500

    def runs(self, n_factors: int, n_scenarios: int) -> int:
        k = min(self.max_params, n_factors)
        pts = self.morris_trajectories * (n_factors + 1) + self.sobol_samples * (k + 2)
        return (pts * self.replicates + self.noise_seeds) * n_scenarios


@dataclass
class Attribution:
    morris: list = field(default_factory=list)  # rows: output, parameter, mu_star, ...
    sobol: list = field(default_factory=list)  # rows: output, parameter, S1, ST, ...
    screened: list = field(default_factory=list)
    sobol_X: np.ndarray | None = None  # the Sobol design (for sign maps)
    sobol_Y: dict = field(default_factory=dict)  # output -> values at the Sobol design
    morris_points: int = 0
    sobol_points: int = 0


def screen_then_attribute(
    axes, evaluate, fixed: dict, budget: DriverBudget, seed: int = 0, screen_on=None
):
    """Morris on every axis, then Sobol' on the screened ones. `evaluate(stage, points)`
    returns {output: array over points} for a list of point dicts (every axis, or the
    screened axes with the others at `fixed`). A factor is kept when its mu* reaches
    `budget.keep_share` of the largest mu* for some output of `screen_on` (default: every
    output), best first (by that largest share, then by its mean share)."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    from tolqyn.experiments.designs import build_design

    if budget.sobol_samples & (budget.sobol_samples - 1):
        raise TolqynError(f"--sobol-samples {budget.sobol_samples}: must be a power of 2")
    if budget.morris_trajectories < 2:
        raise TolqynError("--morris-trajectories must be >= 2")
    att = Attribution()
    names = [a.name for a in axes]
    if len(axes) > 1:
        md = build_design("morris", axes, budget.morris_trajectories, seed=seed)
        att.morris_points = len(md.points)
        Y = evaluate("morris", md.points)
        problem = md.salib_problem()
        share: dict[str, list] = {n: [] for n in names}
        for out, y in Y.items():
            y = np.asarray(y, dtype=float)
            si = morris_analyze.analyze(
                problem,
                md.raw,
                y,
                conf_level=budget.conf_level,
                num_resamples=budget.resamples,
                num_levels=md.options["num_levels"],
                seed=seed,
            )
            top = float(np.max(si["mu_star"])) if np.size(si["mu_star"]) else 0.0
            for i, n in enumerate(names):
                att.morris.append(
                    {
                        "output": out,
                        "parameter": n,
                        "mu_star": float(si["mu_star"][i]),
                        "mu_star_conf": float(si["mu_star_conf"][i]),
                        "sigma": float(si["sigma"][i]),
                    }
                )
                if top > 0 and (screen_on is None or out in screen_on):
                    share[n].append(float(si["mu_star"][i]) / top)
        best = {n: max(v, default=0.0) for n, v in share.items()}
        mean = {n: float(np.mean(v)) if v else 0.0 for n, v in share.items()}
        ranked = sorted(names, key=lambda n: (-best[n], -mean[n]))
        keep = [n for n in ranked if best[n] >= budget.keep_share][: budget.max_params]
        if STRUCTURE in names and STRUCTURE not in keep:
            # the structure is a categorical factor: Morris's few grid levels (0, 1/3, 2/3,
            # 1) fall on only two or three structures, so its mu* cannot screen it out; it
            # always goes on to the Sobol' stage, whose quasi-random points sample every
            # structure with its probability
            keep = [*keep[: max(0, budget.max_params - 1)], STRUCTURE]
        att.screened = keep or ranked[:1]
    else:
        att.screened = names
    # the design's columns (and SALib's problem) in the order of att.screened, so that the
    # i-th index and the i-th column of sobol_X belong to att.screened[i]
    by_name = {a.name: a for a in axes}
    s_axes = [by_name[n] for n in att.screened]
    sd = build_design("sobol", s_axes, budget.sobol_samples, seed=seed)
    pts = [{**fixed, **p} for p in sd.points]
    att.sobol_points = len(pts)
    att.sobol_X = np.asarray(sd.raw, dtype=float)
    Y = evaluate("sobol", pts)
    problem = sd.salib_problem()
    for out, y in Y.items():
        y = np.asarray(y, dtype=float)
        att.sobol_Y[out] = y
        if not np.all(np.isfinite(y)):
            raise TolqynError(f"output {out} is not finite at every Sobol point")
        if np.ptp(y) == 0:
            for n in att.screened:  # nothing to attribute: every index is zero
                att.sobol.append(
                    {
                        "output": out,
                        "parameter": n,
                        "S1": 0.0,
                        "S1_conf": 0.0,
                        "ST": 0.0,
                        "ST_conf": 0.0,
                    }
                )
            continue
        si = sobol_analyze.analyze(
            problem,
            y,
            calc_second_order=False,
            conf_level=budget.conf_level,
            num_resamples=budget.resamples,
            seed=seed,
        )
        for i, n in enumerate(att.screened):
            att.sobol.append(
                {
                    "output": out,
                    "parameter": n,
                    "S1": float(si["S1"][i]),
                    "S1_conf": float(si["S1_conf"][i]),
                    "ST": float(si["ST"][i]),
                    "ST_conf": float(si["ST_conf"][i]),
                }
            )
    return att


def base_points(X: np.ndarray, k: int) -> np.ndarray:
    """Rows of the A and B matrices in a Saltelli design without second order (each base
    sample i occupies rows i(k+2) … i(k+2)+k+1: A_i, AB_i^1..k, B_i): independent
    quasi-random points over the box, for maps of the sign."""
    n = X.shape[0] // (k + 2)
    idx = [i * (k + 2) for i in range(n)] + [i * (k + 2) + k + 1 for i in range(n)]
    return np.asarray(idx, dtype=int)


def sign_changes(att: Attribution, output: str, axes, bins: int = 4) -> list[dict]:
    """For each screened factor, the median of the output in `bins` equal-count bins of the
    factor over the Sobol design's independent points; the bins whose median has the other
    sign than the overall median say what would change the sign."""
    if att.sobol_X is None or output not in att.sobol_Y:
        return []
    k = len(att.screened)
    idx = base_points(att.sobol_X, k)
    X, y = att.sobol_X[idx], att.sobol_Y[output][idx]
    overall = float(np.median(y))
    by_name = {a.name: a for a in axes}
    res = []
    for j, n in enumerate(att.screened):
        x = X[:, j]
        edges = np.quantile(x, np.linspace(0, 1, bins + 1))
        cells = []
        for b in range(bins):
            m = (x >= edges[b]) & ((x <= edges[b + 1]) if b == bins - 1 else (x < edges[b + 1]))
            if m.sum() == 0:
                continue
            cells.append(
                {
                    "low": float(edges[b]),
                    "high": float(edges[b + 1]),
                    "median": float(np.median(y[m])),
                    "n": int(m.sum()),
                }
            )
        # a reversal is the opposite sign, not a median of zero
        flips = [c for c in cells if overall != 0 and np.sign(c["median"]) == -np.sign(overall)]
        res.append(
            {
                "parameter": n,
                "axis": by_name.get(n),
                "overall": overall,
                "cells": cells,
                "flips": flips,
                "share_other_sign": float(np.mean(np.sign(y) == -np.sign(overall))),
            }
        )
    return res


# ---------------------------------------------------------------- the model's evaluator
def structure_of(u: float, structures: list[tuple[str, float]]) -> str:
    """The structure a uniform u in [0, 1] picks through the cumulative probabilities."""
    cum = np.cumsum([p for _, p in structures])
    cum = cum / cum[-1]
    return structures[int(min(len(structures) - 1, np.searchsorted(cum, u, side="right")))][0]


def driver_axes(plan, q: float = 0.05):
    """Axes over the posterior's box (weighted [q, 1-q] ranges) and the structure factor."""
    from tolqyn.experiments.designs import Axis
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(plan.base.model))
    post = plan.posterior
    rng = post.ranges(q)
    axes = []
    for p in post.parameters:
        lo, hi = rng[p]
        if not (math.isfinite(lo) and math.isfinite(hi)):
            continue
        axes.append(Axis(p, "int" if specs[p].kind == "int" else "float", lo, hi))
    if len(plan.structures) > 1:
        axes.append(Axis(STRUCTURE, "float", 0.0, 1.0))
    return axes


def model_evaluator(
    plan, out, executor, budget: DriverBudget, seed: int, progress=False, tally=None
):
    """evaluate(stage, points) for screen_then_attribute: runs the replay and every
    counterfactual at the points (stores under OUT/runs/<stage>/<scenario>/) and returns the
    paired difference of every metric, keyed 'scenario|metric'."""
    from pathlib import Path

    from tolqyn.experiments.counterfactuals import METRICS, REPLAY, draw_params, run_scenario_points
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(plan.base.model))

    def params_of(pt: dict) -> dict:
        return _params_at(plan, pt)

    def evaluate(stage: str, points: list[dict]) -> dict:
        params = [params_of(p) for p in points]
        res = {}
        for s, sc in plan.scenarios.items():
            pts = [draw_params(p, plan.shifts.get(s), specs) for p in params]
            rows = run_scenario_points(
                sc,
                Path(out) / "runs" / stage / s,
                pts,
                replicates=budget.replicates,
                seed=seed,
                executor=executor,
                progress=progress,
                tally=tally,
            )
            res[s] = rows
        outs = {}
        for s in plan.scenarios:
            if s == REPLAY:
                continue
            for m in METRICS:
                diff = [
                    np.mean([c[m] - b[m] for c, b in zip(res[s][i], res[REPLAY][i])])
                    for i in range(len(points))
                ]
                outs[f"{s}|{m}"] = np.asarray(diff, dtype=float)
        return outs

    return evaluate


def centre(plan, axes) -> dict:
    """Posterior medians, and the most probable structure (as its factor's midpoint)."""
    med = plan.posterior.medians()
    c = {a.name: med[a.name] for a in axes if a.name != STRUCTURE}
    if any(a.name == STRUCTURE for a in axes):
        best = max(range(len(plan.structures)), key=lambda i: plan.structures[i][1])
        cum = np.concatenate([[0.0], np.cumsum([p for _, p in plan.structures])])
        cum = cum / cum[-1]
        c[STRUCTURE] = float(0.5 * (cum[best] + cum[best + 1]))
    return c


def seed_noise(
    plan, out, executor, budget: DriverBudget, axes, seed: int, progress=False, tally=None
) -> dict:
    """Variance over seeds of each paired difference at the centre of the box."""
    from pathlib import Path

    from tolqyn.experiments.counterfactuals import METRICS, REPLAY, run_scenario_points
    from tolqyn.experiments.designs import replicate_seeds

    if budget.noise_seeds < 2:
        return {}
    from tolqyn.experiments.counterfactuals import draw_params
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(plan.base.model))
    # the same point once per seed: a design of identical points, each with its own seed
    seeds = replicate_seeds(seed + 7919, budget.noise_seeds)
    params = _params_at(plan, centre(plan, axes))
    res = {}
    for s, sc in plan.scenarios.items():
        pts = [draw_params(params, plan.shifts.get(s), specs)] * len(seeds)
        res[s] = run_scenario_points(
            sc,
            Path(out) / "runs" / "noise" / s,
            pts,
            seeds=seeds,
            executor=executor,
            progress=progress,
            tally=tally,
        )
    outs = {}
    for s in plan.scenarios:
        if s == REPLAY:
            continue
        for m in METRICS:
            d = np.array([c_[0][m] - b[0][m] for c_, b in zip(res[s], res[REPLAY])], dtype=float)
            outs[f"{s}|{m}"] = float(np.var(d, ddof=1))
    return outs


def _params_at(plan, pt: dict) -> dict:
    """The scenario parameters of a design point: the structure the factor picks (its
    switches), and the values of the parameters free in it (the others keep the scenario's
    values: their mechanism is not that structure's)."""
    name = (
        structure_of(float(pt[STRUCTURE]), plan.structures)
        if STRUCTURE in pt
        else max(plan.structures, key=lambda x: x[1])[0]
    )
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model(plan.base.model))
    free = set(plan.posterior.free_in(name))
    vals = {
        k: (int(round(v)) if specs[k].kind == "int" else float(v))
        for k, v in pt.items()
        if k != STRUCTURE and k in free
    }
    vals.update(plan.posterior.switches_of(name))
    return vals


def drivers_table(plan, att: Attribution, noise: dict, conf_level: float):
    """drivers.csv: scenario, metric, parameter, method, mu_star, mu_star_conf, sigma, S1,
    S1_conf, ST, ST_conf, conf_level, noise_share (seed noise / variance over the box)."""
    import pandas as pd

    rows = []
    var_box = {o: float(np.var(y, ddof=1)) for o, y in att.sobol_Y.items() if y.size > 1}
    for r in att.morris:
        s, m = r["output"].split("|")
        rows.append(
            {
                "scenario": plan.names[s],
                "metric": f"{m}_minus_replay",
                "parameter": r["parameter"],
                "method": "morris",
                "mu_star": r["mu_star"],
                "mu_star_conf": r["mu_star_conf"],
                "sigma": r["sigma"],
                "conf_level": conf_level,
            }
        )
    for r in att.sobol:
        s, m = r["output"].split("|")
        vb = var_box.get(r["output"], math.nan)
        ns = noise.get(r["output"], math.nan)
        rows.append(
            {
                "scenario": plan.names[s],
                "metric": f"{m}_minus_replay",
                "parameter": r["parameter"],
                "method": "sobol",
                "S1": r["S1"],
                "S1_conf": r["S1_conf"],
                "ST": r["ST"],
                "ST_conf": r["ST_conf"],
                "conf_level": conf_level,
                "noise_share": (ns / vb) if vb and vb > 0 and math.isfinite(ns) else math.nan,
            }
        )
    cols = [
        "scenario", "metric", "parameter", "method", "mu_star", "mu_star_conf", "sigma",
        "S1", "S1_conf", "ST", "ST_conf", "conf_level", "noise_share",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)
