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
* drain + strong signal — γ ten times and λ_x ten times the default (visible mass exit as in the GDR);
* "more voice": the drain conditions again with the monthly activation threshold at 0.8 instead of
  the scenario's 0.9, so that there is protest to drain before exit changes (with T = 0.9 there is
  almost none in 2014-2016).

Tests, for each condition, on the replicate means of voice against the exit level:
* Hirschman's seesaw: voice falls as exit rises — Spearman ρ(exit, voice) < 0 over all runs with
  a one-sided p < 0.05, and the voice at the highest exit below the voice at the lowest exit;
* Pfaff's inverted U: voice first rises and then falls — the largest mean voice is at an interior
  exit level and exceeds the mean voice at both ends by more than two standard errors of the
  difference (replicates), and the "two lines" test (Simonsohn 2018, Advances in Methods and
  Practices in Psychological Science 1(4)) holds: over the runs up to the peak level, voice rises
  with log(1 + exit), and over the runs from the peak level on it falls, each slope significant
  (one-sided p < 0.05). A quadratic fit is reported but not used: a rise that is convex in log-exit
  and then falls is still an inverted U."""

from __future__ import annotations

import math

import numpy as np

CONDITIONS = {
    "drain only": {"exit_voice_on": False},
    "drain only, more voice (T = 0.8)": {"exit_voice_on": False, "activation_threshold": 0.8},
    "drain + signal": {},
    "drain + signal, more voice (T = 0.8)": {"activation_threshold": 0.8},
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


def run(
    draw: dict,
    *,
    costs=COSTS,
    conditions=None,
    replicates: int = 3,
    scale: float | None = None,
    seed: int = 303,
    workers: int = 2,
    executor_kind: str = "process",
    extra_params: dict | None = None,
    out=None,
    tally: dict | None = None,
) -> list[dict]:
    """One row per run: condition, cost, replicate, exit, voice, participants. With `out`,
    the runs go through the experiment store there and resume (`ensemble.run_tasks`)."""
    from tolqyn.exit_decade.ensemble import make_scenarios, run_tasks
    from tolqyn.experiments.designs import replicate_seeds
    from tolqyn.experiments.executors import Task
    from tolqyn.models import MODELS
    from tolqyn.scenarios.horizon import steps_until

    rows = design(costs, conditions, replicates)
    seeds = replicate_seeds(seed, replicates)
    tasks = []
    for k, (cname, c, r, extra) in enumerate(rows):
        ev = [
            {
                "id": "exit-cost",
                "at": WINDOW[0],
                "label": f"cost of leaving {c:+g}",
                "params": {"exit_cost": c},
            }
        ]
        sc = make_scenarios([{**draw, **(extra_params or {}), **extra}], scale, None, ev)[0]
        tasks.append(
            Task(
                str(k),
                sc,
                seeds[r],
                steps_until(sc, UNTIL),
                (("country_exit", MODELS["country_exit"]),),
            )
        )
    measured = run_tasks(
        tasks,
        measure,
        out=out,
        workers=workers,
        executor_kind=executor_kind,
        tally=tally,
        what="exit-voice",
    )
    return [
        {"condition": cname, "cost": c, "replicate": r, **m}
        for (cname, c, r, _), m in zip(rows, measured)
    ]


def measure(res) -> dict:
    c = res.columns
    d = np.array([str(x)[:10] for x in c["date"]])
    w = (c["region"] == "ALL") & (d >= WINDOW[0]) & (d < WINDOW[1]) & (c["step"] >= 1)

    def s(m):
        return float(np.nansum(c["value"][w & (c["metric"] == m)]))

    part = c["value"][(c["region"] == "ALL") & (c["metric"] == "participants_cumulative")]
    return {
        "exit": s("emigrants"),
        "voice": s("active"),
        "arrests": s("arrests") if "arrests" in res.metrics else 0.0,
        "participants": float(part[-1]) if part.size else 0.0,
    }


def analyse(rows: list[dict]) -> dict:
    """Per condition: mean exit and voice by cost level, and the two tests."""
    from scipy import stats

    out = {}
    for cname in dict.fromkeys(r["condition"] for r in rows):
        rs = [r for r in rows if r["condition"] == cname]
        costs = sorted({r["cost"] for r in rs}, reverse=True)  # high cost = little exit first
        levels = []
        for c in costs:
            e = np.array([r["exit"] for r in rs if r["cost"] == c])
            v = np.array([r["voice"] for r in rs if r["cost"] == c])
            levels.append(
                {
                    "cost": c,
                    "exit_mean": float(e.mean()),
                    "voice_mean": float(v.mean()),
                    "voice_se": float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0,
                    "n": int(v.size),
                }
            )
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
        curv = float("nan")
        if len(levels) >= 3 and np.ptp(vm) > 0:
            curv = float(np.polyfit(x, vm, 2)[0])
        p_up, p_down = two_lines(rs, costs[j]) if interior else (1.0, 1.0)
        inverted_u = bool(
            interior and above(0) and above(len(levels) - 1) and p_up < 0.05 and p_down < 0.05
        )
        seesaw = bool(p_neg < 0.05 and vm[-1] < vm[0])
        out[cname] = {
            "levels": levels,
            "spearman_rho": float(rho),
            "p_negative": float(p_neg),
            "peak_level": j,
            "peak_interior": interior,
            "quadratic_curvature": curv,
            "p_rise_to_peak": float(p_up),
            "p_fall_after_peak": float(p_down),
            "inverted_u": inverted_u,
            "seesaw": seesaw,
            "verdict": (
                "inverted U (Pfaff)"
                if inverted_u
                else "seesaw (Hirschman)"
                if seesaw
                else "voice rises with exit (complements)"
                if rho > 0 and p2 < 0.05
                else "no clear relation"
            ),
        }
    return out


def two_lines(rows: list[dict], peak_cost: float) -> tuple[float, float]:
    """One-sided p-values of a rising line of voice on log(1 + exit) over the runs with cost >=
    the peak's (little exit up to the peak) and of a falling line over those with cost <= it."""
    from scipy import stats

    def slope_p(sel, sign):
        x = np.log1p(np.array([r["exit"] for r in sel]))
        y = np.array([r["voice"] for r in sel], dtype=float)
        if len(sel) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
            return 1.0
        res = stats.linregress(x, y)
        if np.sign(res.slope) != sign:
            return 1.0
        return float(res.pvalue / 2)

    up = [r for r in rows if r["cost"] >= peak_cost]
    down = [r for r in rows if r["cost"] <= peak_cost]
    return slope_p(up, 1.0), slope_p(down, -1.0)
