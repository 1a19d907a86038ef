"""Mechanism 2 — voice, street protest: Epstein's rule A on localities.

    C_l = (police_l + τ·troops_l) · (1 + (m_E − 1)·ℓ if the region is under emergency else 1)   (persons)
          ℓ ∈ [0, 1]: mobilisation of the national reserve since the emergency began (mechanism 5)
    A_l = 1 + protesters at site l δ days before (the start of the step at dt = δ)
              + κ·(citizens willing to go there this step, mechanism 3),  κ = κ_0 + ω·κ_on   (persons)
    P_l = 1 − exp(−k·⌊C_l / A_l⌋)        (NetLogo floor variant; continuous C/A as a switch)
    risk_l = P_l + λ·[shoot order]·(1 − exp(−k_λ·C_l / A_l))
    active_i ⟺ G_i − R_i·risk_{site(i)} > T   and (bandwagon on ⟹ s_i ≥ τ_i, mechanism 3)

κ is crowd coordination: a called gathering is seen coming (ω: the internet, mechanism 6).
Protest is seen with a fixed delay δ (`perception_lag_days`, 1 day): the crowd at the site,
what contacts, the street and the news show (mechanism 6), the risk in the bandwagon threshold
(mechanism 3), the repression and violence a crowd met (mechanism 13), the killings (mechanism
14) and, for the regime, where the crowds are (mechanism 5) are read from the step that covered
the same part of the day δ earlier (`core/clock.py`). At dt = δ that is the start-of-step
state; at a finer step it is still δ, so a cascade advances one generation per δ days, not
per step, and the replay at dt = 1, ½ and ¼ day agrees (docs/odd/country.md §10).
Citizens reconsider at a rate ν per day (a Poisson revision hazard): in a step of dt days a
citizen revises with probability 1 − exp(−ν·dt) and otherwise keeps the previous choice. The
default ν = 1000/day reconsiders continuously on the delayed signal; a ν of a few per day adds
an inertia that a one-day step cannot resolve (the convergence study of §10 measures it), so
the time scale of the cascade is δ. Forces and protesters are counted in persons, so the
ratio C/A does not depend on how many citizens an agent stands for. Sources: Epstein 2002 (rule A, P = 1 − exp(−k C/A), k = 2.3); Wilensky 2004 NetLogo
Rebellion (floor of C/A: without it no punctuated equilibrium); Lemos 2018 ("massive fear
loss" when protesters outnumber police). Seeds: 001 and 003 (leaderless crowds that the
police could not stop)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.random import draw_u01
from tolqyn.mechanisms.structures import blackout_online, troops_act


@njit(cache=True)
def perceived_risk(site_risk, site_arrest, member, dispute_risk):
    """The risk a citizen weighs at a site: a member of a workforce in dispute (member ≥ 0)
    weighs the legal risk of striking ρ_d in place of the street's arrest probability
    (mechanism 16); everyone else the site's risk."""
    if member >= 0:
        return site_risk - site_arrest + dispute_risk[member]
    return site_risk


@njit(parallel=True, cache=True)
def decide_kernel(
    status,
    grievance,
    risk_aversion,
    site,
    risk,
    threshold,
    use_bandwagon,
    voice_ok,
    ever,
    member,
    p_arrest,
    dispute_risk,
    key=0,
    t=0,
    p_revise=1.0,
):
    """Mechanism 2 for every quiet or active citizen. A member of a workforce in dispute
    (member ≥ 0) weighs the legal risk of striking ρ_d instead of the street's arrest risk:
    withholding one's labour is not an unlawful assembly until a court says so (mechanism 16)."""
    members = dispute_risk.shape[0] > 0
    for i in prange(status.shape[0]):
        st = status[i]
        if st > 1:
            continue
        if p_revise < 1.0 and draw_u01(key, t, i, 0) >= p_revise:
            continue  # not reconsidering this step: keeps yesterday's choice
        r = risk[site[i]]
        if members:
            r = perceived_risk(r, p_arrest[site[i]], member[i], dispute_risk)
        act = grievance[i] - risk_aversion[i] * r > threshold
        if act and use_bandwagon:
            act = voice_ok[i] != 0
        if act:
            status[i] = 1
            ever[i] = 1
        else:
            status[i] = 0


def arrest_probability(forces, actives, k, use_floor):
    """P = 1 − exp(−k·⌊C/A⌋) (or C/A) with A = 1 + actives; vectorised over sites."""
    ratio = forces / (1.0 + actives)
    if use_floor:
        ratio = np.floor(ratio)
    return 1.0 - np.exp(-k * ratio)


class Protest(Module):
    name = "protest"
    phases = ("perceive", "decide")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "protest_on", True, "switch: off keeps everyone quiet", kind="bool", sweepable=False
            ),
            Param(
                "activation_threshold",
                0.5,
                "T: net grievance needed to turn active",
                0.0,
                1.0,
                unit="1",
                citation="Epstein 2002; Wilensky 2004 (T = 0.1)",
            ),
            Param(
                "arrest_k",
                2.3,
                "k in P = 1 − exp(−k·C/A), so that P ≈ 0.9 at C = A = 1",
                0.0,
                50.0,
                unit="1",
                citation="Epstein 2002; Wilensky 2004",
            ),
            Param(
                "arrest_floor",
                True,
                "use ⌊C/A⌋ (NetLogo) rather than C/A",
                kind="bool",
                sweepable=False,
                citation="Wilensky 2004 NetLogo Rebellion; Lemos 2018",
            ),
            Param(
                "emergency_force_mult",
                1.5,
                "m_E: effective forces multiplier under a state of emergency "
                "(curfew, ban on gatherings, checkpoints)",
                1.0,
                10.0,
                unit="1",
                citation="unrest_2022.csv (curfew 23:00–07:00, ban on mass events); assumption for the size",
            ),
            Param(
                "troops_street_factor",
                0.8,
                "τ: street-duty forces added per foreign soldier (troops guard "
                "strategic sites and free national forces)",
                0.0,
                5.0,
                unit="persons/soldier",
                citation="security_forces.csv (CSTO guarded 14 sites, freeing ~1,600 personnel per 2,030 troops)",
            ),
            Param(
                "coordination_offline",
                0.3,
                "κ_0: share of the willing crowd that a citizen counts on without the internet",
                0.0,
                1.0,
                unit="1",
                citation="Lohmann 1994; Hassanpour 2014 (coordination through connectivity)",
            ),
            Param(
                "coordination_online",
                0.5,
                "κ_on: extra share counted on with the internet up",
                0.0,
                1.0,
                unit="1",
                citation="Hassanpour 2014; Makowsky & Rubin 2013",
            ),
            Param(
                "revision_rate",
                1000.0,
                "ν: rate at which a citizen reconsiders whether to protest (Poisson hazard: in "
                "a step of dt days one revises with probability 1 − exp(−ν·dt)); 1000/day "
                "reconsiders continuously on what was seen δ days before (perception_lag_days)",
                0.0,
                1000.0,
                unit="1/day",
                citation="continuous-time reading of Epstein's rule (asynchronous updating, "
                "Huberman & Glance 1993); 1000/day with δ = 1 day: a few per day is not "
                "dt-robust at dt = 1 (docs/odd/country.md §10)",
            ),
            Param(
                "perception_lag_days",
                1.0,
                "δ: delay with which citizens see protest (contacts, the street, the news, the "
                "crowd at a site, the risk it met): a decision in the step covering [t, t + dt) "
                "reads the protest of [t − δ, t − δ + dt), so the lag is a time, not one step "
                "(at dt = δ: the start-of-step statuses)",
                0.05,
                10.0,
                unit="days",
                citation="assumption: the day's protest is reported and talked about in the "
                "evening and acted on the next day (calls to gather 'tomorrow on the square'); "
                "docs/odd/country.md §3",
            ),
            Param(
                "lethal_weight",
                0.6,
                "λ: perceived risk added by a shoot-without-warning order",
                0.0,
                5.0,
                unit="1",
                citation="Lichbach 1987; Klein & Regan 2018 (escalation to shooting); seed 003",
            ),
            Param(
                "lethal_k",
                1.0,
                "k_λ: how fast lethal risk rises with forces per protester",
                0.0,
                50.0,
                unit="1",
                citation="assumption (docs/odd/country.md)",
            ),
        ]

    def define_states(self):
        return [State("ever_active", np.uint8, 0, "1 once the citizen has protested")]

    def init(self, sim):
        self.key = sim.streams("revise").key
        self.perceive(sim)

    def perceive(self, sim):
        p, cs = sim.params, sim.country
        street = (
            float(p["troops_street_factor"]) if troops_act(p["troops_structure"], "street") else 0.0
        )
        forces = cs.police + street * cs.troops
        # curfew and checkpoints need the mobilised reserve: the multiplier grows with it
        mult = np.where(
            cs.emergency[cs.loc_region],
            1.0 + (float(p["emergency_force_mult"]) - 1.0) * cs.reserve_level,
            1.0,
        )
        cs.forces_eff[:] = forces * mult
        online = (
            blackout_online(p["blackout_structure"], cs.online, "coordination")
            if p["information_on"]
            else 0.0
        )
        # by unit where a regional block is more severe (mechanism 17), if the structure lets
        # coordination see a cut
        if (
            p["information_on"]
            and blackout_online(p["blackout_structure"], 0.0, "coordination") == 0.0
        ):
            online = np.minimum(online, cs.online_region)
        else:
            online = np.full(cs.n_reg, online)
        kappa = float(p["coordination_offline"]) + online[cs.loc_region] * float(
            p["coordination_online"]
        )
        crowd = cs.site_active + kappa * cs.site_willing
        cs.p_arrest[:] = arrest_probability(
            cs.forces_eff, crowd, float(p["arrest_k"]), bool(p["arrest_floor"])
        )
        if cs.shoot_order:
            ratio = cs.forces_eff / (1.0 + crowd)
            cs.lethal_risk[:] = float(p["lethal_weight"]) * (
                1.0 - np.exp(-float(p["lethal_k"]) * ratio)
            )
        else:
            cs.lethal_risk[:] = 0.0
        cs.risk[:] = cs.p_arrest + cs.lethal_risk

    def step(self, sim, phase):
        if phase == "perceive":
            self.perceive(sim)
            return
        p, pop, cs = sim.params, sim.pop, sim.country
        if not p["protest_on"]:
            pop.status[pop.status == 1] = 0
            return
        use_bw = bool(p["bandwagon_on"])
        p_rev = 1.0 - np.exp(-float(p["revision_rate"]) * sim.clock.dt)
        decide_kernel(
            pop.status,
            pop.grievance,
            pop.risk_aversion,
            pop.site,
            cs.risk,
            float(p["activation_threshold"]),
            use_bw,
            pop.voice_ok,
            pop.ever_active,
            pop.workforce,
            cs.p_arrest,
            cs.dispute_risk,
            self.key,
            sim.t,
            p_rev,
        )
