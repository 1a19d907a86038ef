"""What if governments could be voted out, the press were free, the courts fair, or the emigrants
silent towards home? The institutional
counterfactuals of the decade study. The calibrated posterior says nothing about how elections
or a free press would act (Kazakhstan had neither), so each posterior draw is paired with a draw
of the mechanism's unidentified parameters over their declared ranges (`PRIOR_RANGES` of
`models/exit/accountability.py`, `press.py`, `courts.py` and `diaspora.py`): the interval then spans both what
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


def diaspora_draws(draws: list[dict], seed: int = 15) -> list[dict]:
    """Posterior draws with the emigrants' voice towards home drawn over its range: the
    baseline of the diaspora question is the replay with emigrants speaking to their contacts
    at home, its variant the same with them silent (`SILENT_DIASPORA`)."""
    from tolqyn.models.exit.diaspora import PRIOR_RANGES as DIASPORA_RANGES

    return with_prior_draws(draws, seed, DIASPORA_RANGES, "diaspora")


SILENT_DIASPORA = {"diaspora_voice": 0.0}


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
    variants: dict,
    posterior: list[dict],
    elections,
    competitiveness,
    free_press,
    courts=False,
    silent_diaspora=False,
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
    if silent_diaspora:
        posterior = diaspora_draws(posterior)
        params.update(SILENT_DIASPORA)
        labels.append("emigrants silent towards home")
    other = {k: v for k, v in variants.items() if k != "baseline"}
    if other:
        ((k0, (p0, e0)),) = other.items()
        return {"baseline": ({}, []), " + ".join([k0, *labels]): ({**p0, **params}, e0)}, posterior
    return {"baseline": ({}, []), " + ".join(labels): (params, [])}, posterior


# the three institutional questions of the exit report, each against its own baseline (the
# replay with the mechanism as it was): the year the change could first act, and the measures
# of the mechanism itself reported beside emigrants, protest and legitimacy
LEVERS = {
    "elections": (2006, ("government_changes",)),
    "free_press": (2004, ("journalists_exiled", "journalists_jailed", "critical_content")),
    "courts": (2004, ()),
    "diaspora": (2004, ("contacts_abroad_share",)),
}


def lever_variants(lever: str, posterior: list[dict], every: float = 5.0, c: float = 0.8):
    """(variants, draws) of one institutional question for `ensemble.run_variants`."""
    base = {"baseline": ({}, [])}
    if lever == "elections":
        return add_to_variants(base, posterior, every, c, False)
    if lever == "free_press":
        return add_to_variants(base, posterior, None, c, True)
    if lever == "courts":
        return add_to_variants(base, posterior, None, c, False, courts=True)
    if lever == "diaspora":
        return add_to_variants(base, posterior, None, c, False, silent_diaspora=True)
    from tolqyn.core.errors import UnknownParamError

    raise UnknownParamError(lever, list(LEVERS), what="institutional lever")


# what each answer sums: flows over the period, stocks and means at its last year
ANSWERS = {
    "emigrants": ("sum", "emigrants"),
    "active": ("sum", "protesters at each year's last step, summed over the years"),
    "legitimacy_mean": ("last", "mean legitimacy at the end"),
    "government_changes": ("sum", "governments replaced"),
    "journalists_exiled": ("last", "critical journalists in exile at the end"),
    "journalists_jailed": ("last", "critical journalists in jail at the end"),
    "critical_content": ("last", "critical content online at the end (share)"),
    "contacts_abroad_share": ("last", "share of a citizen's contacts abroad at the end"),
}


def answers(lever: str, ens: dict, periods=(2019, 2024)) -> list[dict]:
    """Paired answers of one question (`ens` = {"baseline": Ensemble, label: Ensemble}): for
    each period from the lever's first year to 2019 and to 2024, emigrants, protest,
    legitimacy and the lever's own measures, with the medians with and without the change and
    the paired difference's median and 90 % interval (same draws and seeds on both sides)."""
    import numpy as np

    from tolqyn.exit_decade.ensemble import diff_band

    first, own = LEVERS[lever]
    label = next(k for k in ens if k != "baseline")
    base, cf = ens["baseline"], ens[label]
    rows = []
    for last in periods:
        years = [y for y in base.years() if first <= y <= last]
        if not years or years[-1] != last:
            continue
        for metric in ("emigrants", "active", "legitimacy_mean", *own):
            how, what = ANSWERS[metric]
            span = years if how == "sum" else [last]
            b = sum(base.values(metric, y) for y in span)
            v = sum(cf.values(metric, y) for y in span)
            if not (np.isfinite(b).any() and np.isfinite(v).any()):
                continue
            lo, med, hi = diff_band(base, cf, metric, span)
            rows.append(
                {
                    "lever": lever,
                    "question": label,
                    "years": f"{years[0]}-{last}" if how == "sum" else str(last),
                    "metric": metric,
                    "what": what,
                    "baseline": float(np.nanmedian(b)),
                    "variant": float(np.nanmedian(v)),
                    "diff_median": med,
                    "diff_q05": lo,
                    "diff_q95": hi,
                }
            )
    return rows
