""" "What if governments could be voted out?" — the accountability counterfactual of the decade
study. The calibrated posterior says nothing about how elections would act (Kazakhstan had no
competitive ones), so each posterior draw is paired with a draw of the accountability
parameters over their declared ranges (`PRIOR_RANGES`): the interval then spans both what the
emigration record allows and what it cannot tell."""

from __future__ import annotations

from tolqyn.core.random import Stream
from tolqyn.models.exit.accountability import PRIOR_RANGES


def with_prior_draws(draws: list[dict], seed: int = 12) -> list[dict]:
    """Each posterior draw with its own draw of the unidentified accountability parameters
    (uniform over PRIOR_RANGES; counter-based, so the same seed gives the same pairs)."""
    names = sorted(PRIOR_RANGES)
    u = Stream(seed, "accountability-prior").uniform(0, len(draws) * len(names))
    out = []
    for k, d in enumerate(draws):
        e = dict(d)
        for j, name in enumerate(names):
            lo, hi = PRIOR_RANGES[name]
            e[name] = lo + (hi - lo) * float(u[k * len(names) + j])
        out.append(e)
    return out


def variant(every: float, competitiveness: float, first: str = "2005-12-04"):
    """(extra_params, extra_events) for `ensemble.run_variants`."""
    from tolqyn.core.errors import ScenarioError

    if not 1.0 <= every <= 20.0:
        raise ScenarioError(f"{every} out of range; allowed 1..20 years", field="--elections")
    if not 0.0 < competitiveness <= 1.0:
        raise ScenarioError(
            f"{competitiveness} out of range; allowed (0, 1]", field="--competitiveness"
        )
    label = f"elections every {every:g} years from {first} (competitiveness {competitiveness:g})"
    params = {
        "elections_every": float(every),
        "elections_from": first,
        "election_competitiveness": float(competitiveness),
    }
    return label, (params, [])


def drivers(draws: list[dict], base, cf, years, metric: str = "emigrants") -> list[tuple]:
    """What drives the answer: Spearman's rank correlation of each draw's paired difference
    (cf − base, summed over `years`) with each parameter that varies across the draws, largest
    first. Returns [(parameter, rho, p_value)]."""
    import numpy as np
    from scipy.stats import spearmanr

    diff = sum(cf.values(metric, y) for y in years) - sum(base.values(metric, y) for y in years)
    out = []
    for name in sorted({k for d in draws for k in d}):
        x = np.array([float(d.get(name, np.nan)) for d in draws])
        ok = np.isfinite(x) & np.isfinite(diff)
        if ok.sum() < 4 or np.ptp(x[ok]) == 0:
            continue
        rho, p = spearmanr(x[ok], diff[ok])
        out.append((name, float(rho), float(p)))
    return sorted(out, key=lambda r: -abs(r[1]))
