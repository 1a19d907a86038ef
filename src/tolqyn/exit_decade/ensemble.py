"""Ensembles over the calibrated posterior: the 2004-2019 fit, the 2020-2024 projection and
counterfactuals ("what if the tenge fell again by a third?"), each a set of runs that share
posterior draws and seeds (common random numbers: two variants differ by their inputs, not by
noise), summarised by year as medians and 90 % intervals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tolqyn.data.loaders import ETHNIC_GROUPS
from tolqyn.models.exit.destinations import DESTINATIONS
from tolqyn.models.exit.media_history import DIETS

# the metrics summarised by year; each aggregates as its declaration says (RunResult.resample:
# flows such as emigrants summed, count stocks at the year's last step, shares averaged)
YEAR_METRICS = (
    ["emigrants"]
    + [f"emigrants_{g}" for g in ETHNIC_GROUPS]
    + [f"emigrants_to_{d}" for d in DESTINATIONS]
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
) -> dict:
    """variants: {label: (extra_params, extra_events)}; the same draws and seeds in each.
    Returns {label: Ensemble}."""
    from tolqyn.experiments.designs import replicate_seeds
    from tolqyn.experiments.executors import Task, make_executor
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
    out = {label: Ensemble(label, [None] * len(draws)) for label in variants}
    with make_executor(executor_kind, workers) as ex:
        for o in ex.run(tasks):
            if not o.ok:
                from tolqyn.core.errors import TolqynError

                raise TolqynError(f"run {o.key} failed: {o.error}")
            label, k = o.key.split("|")
            out[label].runs[int(k)] = yearly(o.result)
    return out


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
