"""The exit–voice experiment: sweep the cost of leaving and measure voice (protest) and exit
(emigration) together, under conditions that switch the channels of mechanism 10 on and off.

Design. The calibrated kazakhstan-exit scenario runs from 2004; from 1 January 2014 (before the
devaluations of 2014 and 2015) the cost of leaving c (`exit_cost`, log-hazard units) is set to
each level of a grid; everything before 2014 is identical across levels (same draws, same
seeds). Over the window 2014-2016:

    exit  = emigrants (citizens)             voice = protest person-months (sum of `active`)

Conditions (mechanism 10, docs/odd/country.md; Hirschman 1970/1993, Pfaff 2006):
* drain only — the signal channel off (`exit_voice_on = false`): emigrants simply leave the
  pool of would-be protesters;
* drain + signal — exit seen nearby lowers bandwagon thresholds (γ) and legitimacy (λ_x) at the
  model's default strength;
* drain + strong signal — γ and λ_x ten times the default (visible mass exit as in the GDR).

Tests, for each condition, on the replicate means of voice against the exit level:
* Hirschman's seesaw: voice falls as exit rises — Spearman ρ(exit, voice) < 0 over all runs with
  a one-sided p < 0.05, and the voice at the highest exit below the voice at the lowest exit;
* Pfaff's inverted U: voice first rises and then falls — the largest mean voice is at an interior
  exit level and exceeds the mean voice at both ends by more than two standard errors of the
  difference (replicates), and a quadratic fit of voice on log-exit has a negative curvature
  whose vertex lies inside the observed exit range."""
from __future__ import annotations

import math

import numpy as np

CONDITIONS = {
    "drain only": {"exit_voice_on": False},
    "drain + signal": {},
    "drain + strong signal": {"exit_signal_weight": 1.0, "exit_legit_weight": 0.02},
}
COSTS = (4.0, 2.0, 1.0, 0.0, -1.0, -2.0, -3.0, -4.0, -5.0)
WINDOW = ("2014-01-01", "2017-01-01")
UNTIL = "2016-12-31"


def design(costs=COSTS, conditions=None, replicates: int = 3):
    conditions = conditions or CONDITIONS
    rows = []
    for cname, extra in conditions.items():
        for c in costs:
            for r in range(replicates):
                rows.append((cname, float(c), r, extra))
    return rows


def run(draw: dict, *, costs=COSTS, conditions=None, replicates: int = 3, scale: float | None = None,
        seed: int = 303, workers: int = 2, executor_kind: str = "process", extra_params: dict | None = None) -> list[dict]:
    """One row per run: condition, cost, replicate, exit, voice, participants."""
    from tolqyn.experiments.designs import replicate_seeds
    from tolqyn.experiments.executors import Task, make_executor
    from tolqyn.exit_decade.ensemble import make_scenarios
    from tolqyn.models import MODELS
    from tolqyn.scenarios.horizon import steps_until
    rows = design(costs, conditions, replicates)
    seeds = replicate_seeds(seed, replicates)
    tasks = []
    for k, (cname, c, r, extra) in enumerate(rows):
        ev = [{"id": "exit-cost", "at": WINDOW[0], "label": f"cost of leaving {c:+g}", "params": {"exit_cost": c}}]
        sc = make_scenarios([{**draw, **(extra_params or {}), **extra}], scale, None, ev)[0]
        tasks.append(Task(str(k), sc, seeds[r], steps_until(sc, UNTIL), (("country_exit", MODELS["country_exit"]),)))
    out = [None] * len(rows)
    with make_executor(executor_kind, workers) as ex:
        for o in ex.run(tasks):
            if not o.ok:
                from tolqyn.core.errors import TolqynError
                raise TolqynError(f"exit-voice run {o.key} failed: {o.error}")
            cname, c, r, _ = rows[int(o.key)]
            out[int(o.key)] = {"condition": cname, "cost": c, "replicate": r, **measure(o.result)}
    return out


def measure(res) -> dict:
    c = res.columns
    d = np.array([str(x)[:10] for x in c["date"]])
    w = (c["region"] == "ALL") & (d >= WINDOW[0]) & (d < WINDOW[1]) & (c["step"] >= 1)
    def s(m):
        return float(np.nansum(c["value"][w & (c["metric"] == m)]))
    part = c["value"][(c["region"] == "ALL") & (c["metric"] == "participants_cumulative")]
    return {"exit": s("emigrants"), "voice": s("active"), "arrests": s("arrests") if "arrests" in res.metrics else 0.0,
            "participants": float(part[-1]) if part.size else 0.0}


def analyse(rows: list[dict]) -> dict:
    """Per condition: mean exit and voice by cost level, and the two tests."""
    from scipy import stats
    out = {}
    for cname in dict.fromkeys(r["condition"] for r in rows):
        rs = [r for r in rows if r["condition"] == cname]
        costs = sorted({r["cost"] for r in rs}, reverse=True)       # high cost = little exit first
        levels = []
        for c in costs:
            e = np.array([r["exit"] for r in rs if r["cost"] == c])
            v = np.array([r["voice"] for r in rs if r["cost"] == c])
            levels.append({"cost": c, "exit_mean": float(e.mean()), "voice_mean": float(v.mean()),
                           "voice_se": float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0,
                           "n": int(v.size)})
        ex = np.array([r["exit"] for r in rs])
        vo = np.array([r["voice"] for r in rs])
        rho, p2 = stats.spearmanr(ex, vo) if np.ptp(vo) > 0 else (0.0, 1.0)
        p_neg = p2 / 2 if rho < 0 else 1 - p2 / 2
        vm = np.array([l["voice_mean"] for l in levels])
        se = np.array([l["voice_se"] for l in levels])
        j = int(np.argmax(vm))
        interior = 0 < j < len(levels) - 1
        def above(k):
            return vm[j] - vm[k] > 2.0 * math.sqrt(se[j] ** 2 + se[k] ** 2) and vm[j] > vm[k]
        x = np.log1p(np.array([l["exit_mean"] for l in levels]))
        curv, vertex_in = float("nan"), False
        if len(levels) >= 3 and np.ptp(vm) > 0:
            a, b, _ = np.polyfit(x, vm, 2)
            curv = float(a)
            if a < 0:
                xv = -b / (2 * a)
                vertex_in = bool(x.min() < xv < x.max())
        inverted_u = bool(interior and above(0) and above(len(levels) - 1) and curv < 0 and vertex_in)
        seesaw = bool(p_neg < 0.05 and vm[-1] < vm[0])
        out[cname] = {"levels": levels, "spearman_rho": float(rho), "p_negative": float(p_neg),
                      "peak_level": j, "peak_interior": interior, "quadratic_curvature": curv,
                      "vertex_inside": vertex_in, "inverted_u": inverted_u, "seesaw": seesaw,
                      "verdict": ("inverted U (Pfaff)" if inverted_u else
                                  "seesaw (Hirschman)" if seesaw else
                                  "voice rises with exit (complements)" if rho > 0 and p2 < 0.05 else
                                  "no clear relation")}
    return out
