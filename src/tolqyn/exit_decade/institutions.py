"""What if governments could be voted out, the press were free, or the courts fair? The institutional
counterfactuals of the decade study. The calibrated posterior says nothing about how elections
or a free press would act (Kazakhstan had neither), so each posterior draw is paired with a draw
of the mechanism's unidentified parameters over their declared ranges (`PRIOR_RANGES` of
`models/exit/accountability.py`, `press.py` and `courts.py`): the interval then spans both what
the emigration record allows and what it cannot tell."""

from __future__ import annotations

from tolqyn.core.random import Stream
from tolqyn.models.exit.accountability import PRIOR_RANGES


def with_prior_draws(
    draws: list[dict], seed: int = 12, ranges: dict = PRIOR_RANGES, stream: str = "accountability"
) -> list[dict]:
    """Each posterior draw with its own draw of unidentified parameters (uniform over `ranges`;
    counter-based, so the same seed gives the same pairs)."""
    names = sorted(ranges)
    u = Stream(seed, f"{stream}-prior").uniform(0, len(draws) * len(names))
    out = []
    for k, d in enumerate(draws):
        e = dict(d)
        for j, name in enumerate(names):
            lo, hi = ranges[name]
            e[name] = lo + (hi - lo) * float(u[k * len(names) + j])
        out.append(e)
    return out


def free_press_draws(draws: list[dict], seed: int = 13) -> list[dict]:
    """Posterior draws with the press mechanism on and its unidentified parameters drawn over
    their ranges: the baseline of the free-press question is the replay with the press as it
    was (the RSF index), so that the comparison isolates the press."""
    from tolqyn.models.exit.press import PRIOR_RANGES as PRESS_RANGES

    out = with_prior_draws(draws, seed, PRESS_RANGES, "press")
    for d in out:
        d["press_on"] = True
    return out


FREE_PRESS = {"press_repression_override": 0.1}  # about 18th of 180: a free press


def fair_courts_draws(draws: list[dict], seed: int = 14) -> list[dict]:
    """Posterior draws with the court cases on and their unidentified sizes drawn over their
    ranges: the baseline of the fair-courts question is the replay with the cases as they
    happened."""
    from tolqyn.models.exit.courts import PRIOR_RANGES as COURT_RANGES

    out = with_prior_draws(draws, seed, COURT_RANGES, "courts")
    for d in out:
        d["courts_on"] = True
    return out


FAIR_COURTS = {"courts_fair": True}


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


def add_to_variants(
    variants: dict, posterior: list[dict], elections, competitiveness, free_press, courts=False
):
    """Fold the institutional changes into the counterfactual of `ensemble.whatif_variants`
    (or make it the counterfactual when there is no other): returns (variants, draws)."""
    params, labels = {}, []
    if elections is not None:
        posterior = with_prior_draws(posterior)
        label, (p_el, _) = variant(elections, competitiveness)
        params.update(p_el)
        labels.append(label)
    if free_press:
        posterior = free_press_draws(posterior)
        params.update(FREE_PRESS)
        labels.append("a free press since 2004")
    if courts:
        posterior = fair_courts_draws(posterior)
        params.update(FAIR_COURTS)
        labels.append("courts that treat the powerful and the powerless alike")
    other = {k: v for k, v in variants.items() if k != "baseline"}
    if other:
        ((k0, (p0, e0)),) = other.items()
        return {"baseline": ({}, []), " + ".join([k0, *labels]): ({**p0, **params}, e0)}, posterior
    return {"baseline": ({}, []), " + ".join(labels): (params, [])}, posterior
