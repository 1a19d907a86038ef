"""Mechanism 4 — repression and confrontation: arrests up to the capacity of the forces at each
site, detention terms with a scheduled release, sweeps of past participants under a state of
emergency, and the casualties, injuries and building attacks of confrontations.

    capacity_l = α·C_l·τ·(m_A if emergency)                  arrests a site's forces can make (persons)
    p_l        = min(1 − (1 − p_max)^min(τ, 1), capacity_l / A_l)   each protester at l is arrested w.p. p_l
    term       ~ U[j_min, j_max] days; release at t + ⌈term/dt⌉  (a scheduled event, not a daily re-draw)
    sweep      : a past participant at home in an emergency region is detained w.p. 1 − e^{−σ·dt}

Confrontation (C_l obedient forces at the site, mechanism 5b; V_l violent protesters and
organised group members, mechanism 13; P_l = A_l − V_l peaceful protesters):

    X_l = V_l·C_l/(V_l + C_l)        persons in violent confrontation
    Y_l = P_l·C_l/(P_l + C_l)        persons in the dispersal of a peaceful crowd
    α_l = min(1, W_l/V_l)            armed share of the violent (W: armed persons at l)
    civilian deaths_l  ~ Poisson(τ·X_l·(δ_v + δ_W·α_l + δ_s·[shoot order]))
    security deaths_l  ~ Poisson(τ·X_l·(δ_fv + δ_fW·α_l))
    civilian injuries_l ~ Poisson(τ·(ι_v·X_l + ι_p·Y_l)),     security injuries_l ~ Poisson(τ·ι_f·X_l)
    building attacks_l ~ Poisson(τ·s_b·V_l·V_l/(V_l + C_l)/1000)    (violent not held by forces)

τ = dt·D/M is the time in the street of a citizen counted active in the step: D days
(`street_days_per_month`) in every M = 30.4375 days counted active. The day-scale default D = M
makes it the step itself (an active citizen is in the street that day); the decade replay's D = 3
says that a citizen counted active for a month protests on a few days of it, not on thirty
(docs/odd/exit.md §7.6). Being linear in dt, it gives the same street-days per month of activity
at any step: with min(dt, D) (before) a weekly step counted D days each week, four times a
month's, and the decade's toll moved with the step.
    W_r += w_b·attacks_r              weapons taken from seized buildings
    W_r *= exp(−dt·(1 − e^{−max(0, a_r − D_W)/D_W})/D_W)   recovered by the forces after D_W days

Lethal force comes from armed confrontation and from the shoot order, not from a rate times
protest-days: a peaceful crowd can be arrested and injured in its dispersal, but it is not shot
at unless it is violent. Every draw is counter-based: Poisson counts per (stream "deaths",
step, site, slot). Deaths are drawn in persons; a civilian who dies is one of the site's
protesters, the violent first; with k citizens per agent ⌊K/k⌋ agents die plus one more with
probability frac(K/k). Forces and organised groups are not agents: their losses are persons.
Sources: Epstein 2002 rule C; Lemos 2018 (jail terms); Lichbach 1987; Davenport 2007
(repression and dissent); Klein & Regan 2018 (arrests, then beatings, shooting, killing);
Chenoweth & Stephan 2011 (violent campaigns draw lethal repression).
Seeds: 000 (bloggers jailed), 003 (civilians and police killed), 004 (detention, SIZO)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from tolqyn.core import status as S
from tolqyn.core.chunks import chunk_bounds, count_status_by, n_chunks
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.random import draw_u01
from tolqyn.core.results import Result

DAYS_PER_MONTH = 30.4375  # the mean Gregorian month, the decade replay's step


def street_days(dt: float, per_month: float) -> float:
    """Days in the street, in a step of dt days, of a citizen counted active in it:
    dt·D/30.4375 (D = `street_days_per_month`), linear in dt so that a month of activity is
    the same exposure in one step or in four; dt itself at the day-scale default D = 30.4375."""
    return dt * per_month / DAYS_PER_MONTH


@njit(parallel=True, cache=True)
def release_kernel(status, release_step, t):
    for i in prange(status.shape[0]):
        if status[i] == 2 and release_step[i] <= t:
            status[i] = 0


@njit(cache=True)
def poisson_counts(key, t, lam, slot, out):
    """out[j] ~ Poisson(lam[j]) from counter-based uniforms (stream key, step t, index j,
    slot): inversion for lam < 30, the normal approximation with continuity correction above
    (Box-Muller on two uniforms). A pure function of its arguments."""
    for j in range(lam.shape[0]):
        m = lam[j]
        if m <= 0.0:
            out[j] = 0.0
            continue
        if m < 30.0:
            u = draw_u01(key, t, j, slot)
            k = 0
            pk = math.exp(-m)
            cdf = pk
            while u > cdf and k < 1000:
                k += 1
                pk *= m / k
                cdf += pk
            out[j] = k
        else:
            u1 = draw_u01(key, t, j, slot)
            u2 = draw_u01(key, t, j, slot + 1)
            z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
            out[j] = max(0.0, math.floor(m + math.sqrt(m) * z + 0.5))


@njit(parallel=True, cache=True)
def release_arrest_kernel(
    key,
    t,
    status,
    site,
    region,
    ever,
    p_site,
    sweep_p_region,
    jail_min,
    jail_max,
    dt,
    release_step,
    arrested,
    arrests_reg,
    arrests_site,
):
    """Releases due at step t, then arrests, in one pass (each agent's release comes before its
    own arrest draw, and no agent's outcome depends on another's): an active citizen is taken
    with the chance p_site of his protest site, a past participant in a region under sweeps
    with sweep_p_region; terms are uniform on [jail_min, jail_max] days, at least one step.
    New arrests are counted by region and by site per chunk."""
    n = status.shape[0]
    nc = n_chunks(n)
    n_reg = arrests_reg.shape[0]
    n_site = arrests_site.shape[0]
    part_r = np.zeros((nc, n_reg), dtype=np.int64)
    part_s = np.zeros((nc, n_site), dtype=np.int64)
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            arrested[i] = 0
            st = status[i]
            if st == 2:
                if release_step[i] <= t:
                    status[i] = 0
                    st = 0
                else:
                    continue
            take = False
            if st == 1:
                take = draw_u01(key, t, i, 0) < p_site[site[i]]
            elif st == 0 and ever[i] == 1:
                sp = sweep_p_region[region[i]]
                if sp > 0.0:
                    take = draw_u01(key, t, i, 1) < sp
            if take:
                term = jail_min + (jail_max - jail_min) * draw_u01(key, t, i, 2)
                steps = int(math.ceil(term / dt - 1e-9))
                if steps < 1:
                    steps = 1
                status[i] = 2
                release_step[i] = t + steps
                arrested[i] = 1
                part_r[c, region[i]] += 1
                part_s[c, site[i]] += 1
    for k in range(n_reg):
        a = 0
        for c in range(nc):
            a += part_r[c, k]
        arrests_reg[k] = a
    for k in range(n_site):
        a = 0
        for c in range(nc):
            a += part_s[c, k]
        arrests_site[k] = a


class Repression(Module):
    name = "repression"
    phases = ("consequences", "record")

    @classmethod
    def define_params(cls):
        cite = "Epstein 2002 (rule C); Lemos 2018"
        return [
            Param(
                "repression_on",
                True,
                "switch: off means no arrests and no deaths",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "street_days_per_month",
                DAYS_PER_MONTH,
                "D: days in the street in every month (30.4375 days) a citizen is counted "
                "active; confrontations, casualties, injuries, attacks and arrests of a step "
                "scale with its street-days dt·D/30.4375 (the default: every day counted active "
                "is a day in the street)",
                0.1,
                DAYS_PER_MONTH,
                unit="days/month",
                citation="assumption (docs/odd/exit.md §7.6: a month counted active is a few days "
                "of protest, not thirty)",
            ),
            Param(
                "arrest_rate",
                0.022,
                "α: arrests one member of the forces can make per day at a site with protesters",
                0.0,
                10.0,
                unit="arrests/(person·day)",
                citation=cite + "; calibrated to 9,900 detained by 11 Jan",
            ),
            Param(
                "arrest_share_max",
                0.5,
                "p_max: largest share of a site's protesters arrested in a day in the street "
                "(1 − (1 − p_max)^dt in a step of dt < 1 day; per step at longer steps)",
                0.0,
                1.0,
                unit="1",
                citation="assumption (crowds disperse; docs/odd/country.md)",
            ),
            Param(
                "emergency_arrest_mult",
                1.5,
                "m_A: arrest capacity multiplier under a state of emergency",
                1.0,
                10.0,
                unit="1",
                citation="unrest_2022.csv (curfew, ban on gatherings)",
            ),
            Param(
                "sweep_rate",
                0.005,
                "σ: daily hazard that a past participant is detained at home under an emergency",
                0.0,
                5.0,
                unit="1/day",
                citation="security_forces.csv (detained 4,000 on 8 Jan, 5,800 on 9 Jan, 9,900 on 11 Jan after the streets were quiet)",
            ),
            Param(
                "jail_min_days",
                2.0,
                "shortest detention term",
                0.0,
                3650.0,
                unit="days",
                citation="72-hour custody before charge (criminal procedure of the calibration country, Kazakhstan's 72 hours); assumption",
                role="country",
            ),
            Param(
                "jail_max_days",
                15.0,
                "longest detention term (administrative arrest up to 15 days)",
                0.0,
                3650.0,
                unit="days",
                citation="Code of administrative offences (up to 15 days); Epstein 2002 (J_max)",
                role="country",
            ),
            Param(
                "death_rate_violent",
                0.0015,
                "δ_v: civilian deaths per person in violent confrontation per day, unarmed "
                "crowd, no shoot order",
                0.0,
                1.0,
                unit="1/(person·day)",
                citation="Davenport 2007; hand-tuned to 225 deaths by 15 Jan (unrest_2022.csv, PGO)",
            ),
            Param(
                "death_rate_armed",
                0.03,
                "δ_W: extra civilian deaths per person in confrontation per day when the "
                "violent are all armed (the forces return fire)",
                0.0,
                1.0,
                unit="1/(person·day)",
                citation="Chenoweth & Stephan 2011; hand-tuned (docs/odd/country.md §8)",
            ),
            Param(
                "death_rate_shoot",
                0.015,
                "δ_s: extra civilian deaths per person in violent confrontation per day "
                "under a shoot-without-warning order",
                0.0,
                1.0,
                unit="1/(person·day)",
                citation="Klein & Regan 2018; hand-tuned to 225 deaths by 15 Jan",
            ),
            Param(
                "death_rate_forces",
                0.0003,
                "δ_fv: deaths among the forces per person in violent confrontation per day, "
                "unarmed crowd",
                0.0,
                1.0,
                unit="1/(person·day)",
                citation="hand-tuned to 19 security deaths (security_forces.csv, PGO 15 Jan)",
            ),
            Param(
                "death_rate_forces_armed",
                0.006,
                "δ_fW: extra deaths among the forces per person in confrontation per day when "
                "the violent are all armed",
                0.0,
                1.0,
                unit="1/(person·day)",
                citation="hand-tuned to 19 security deaths (security_forces.csv, PGO 15 Jan)",
            ),
            Param(
                "injury_rate_violent",
                0.033,
                "ι_v: civilians injured per person in violent confrontation per day",
                0.0,
                10.0,
                unit="1/(person·day)",
                citation="hand-tuned to 4,353 injured of whom 3,393 security (security_forces.csv)",
            ),
            Param(
                "injury_rate_dispersal",
                0.001,
                "ι_p: civilians injured per person in the dispersal of a peaceful crowd per day",
                0.0,
                10.0,
                unit="1/(person·day)",
                citation="assumption (stun grenades, tear gas: unrest_2022_regions.csv)",
            ),
            Param(
                "injury_rate_forces",
                0.115,
                "ι_f: members of the forces injured per person in violent confrontation per day",
                0.0,
                10.0,
                unit="1/(person·day)",
                citation="hand-tuned to 3,393 security personnel injured (security_forces.csv)",
            ),
            Param(
                "attack_rate",
                0.6,
                "s_b: building attacks per day per 1,000 violent protesters not held by forces",
                0.0,
                100.0,
                unit="1/(1000 persons·day)",
                citation="assumption; checked against building_attack_or_seizure "
                "(unrest_2022_regions.csv)",
            ),
            Param(
                "weapons_per_attack",
                60.0,
                "w_b: persons armed with weapons taken in one building attack",
                0.0,
                1e5,
                unit="persons",
                citation="assumption (KNB weapons room in Almaty, unrest_2022.csv 5 Jan)",
            ),
            Param(
                "weapons_recovery_days",
                DAYS_PER_MONTH,
                "D_W: weapons taken stay out for D_W days, then the forces recover them (searches, "
                "checkpoints, the arrest or death of their holders) at a hazard that grows to "
                "1/D_W over a further D_W days: W_r *= exp(-dt (1 - e^{-max(0, a_r - D_W)/D_W})/D_W), "
                "a_r the days since the region's arsenal was first taken",
                1.0,
                3650.0,
                unit="days",
                citation="assumption: one month, the yardstick of attrition_days and "
                "backfire_novelty_days (docs/odd/episodes.md §7.4); Lichbach 1987",
            ),
        ]

    def define_states(self):
        return [
            State("release_step", np.int32, 0, "step at which a detained citizen is released"),
            State("arrested_now", np.uint8, 0, "1 if arrested in the current step"),
        ]

    def define_results(self):
        out = [
            Result(
                "arrests", "new arrests in the step (protesters and sweeps)", "count", True, "flow"
            ),
            Result("detained_cumulative", "arrests since the start", "count", True),
        ]
        for name, what in (
            ("deaths_civilian", "civilians killed"),
            ("deaths_security", "members of the forces killed"),
            ("injured_civilian", "civilians injured"),
            ("injured_security", "members of the forces injured"),
            ("building_attacks", "attacks on or seizures of buildings"),
        ):
            out.append(
                Result(name, f"{what} in the step (persons or events)", "value", True, "flow")
            )
            out.append(
                Result(
                    f"{name}_cumulative",
                    f"{what} since the start (persons or events)",
                    "value",
                    True,
                )
            )
        out.append(
            Result(
                "injured_cumulative",
                "persons injured since the start, civilians and forces together",
                "value",
                True,
            )
        )
        out.append(Result("armed", "armed protesters and group members (persons)", "value", True))
        out.append(
            Result(
                "confrontation",
                "persons in violent confrontation X (sum over sites)",
                "value",
                True,
            )
        )
        return out

    def init(self, sim):
        self.key = sim.streams("arrest").key
        self.death_key = sim.streams("deaths").key
        self.death_stream = sim.streams("deaths")
        cs = sim.country
        self._site_n = np.zeros(cs.n_loc)
        self._arrests_site = np.zeros(cs.n_loc)
        self._violent_n = np.zeros(cs.n_loc)
        R = cs.n_reg
        self.flows = {
            k: np.zeros(R) for k in ("injured_civilian", "injured_security", "building_attacks")
        }
        self.cum = {k: np.zeros(R) for k in self.flows}
        self._confront = np.zeros(R)
        self._armed_days = np.zeros(R)  # days since the region's arsenal was first taken

    def _poisson(self, t, lam, slot):
        out = np.zeros(lam.shape[0])
        poisson_counts(self.death_key, t, np.ascontiguousarray(lam, dtype=np.float64), slot, out)
        return out

    def step(self, sim, phase):
        if phase == "record":
            self._record(sim)
            return
        p, pop, cs, t, dt = sim.params, sim.pop, sim.country, sim.t, sim.clock.dt
        cs.arrests_reg[:] = 0.0
        cs.deaths_civ_reg[:] = 0.0
        cs.deaths_sec_reg[:] = 0.0
        cs.repression_seen[:] = 0.0
        for f in self.flows.values():
            f[:] = 0.0
        self._confront[:] = 0.0
        if not p["repression_on"]:
            release_kernel(pop.status, pop.release_step, t)
            cs.site_backlash[:] = 0.0
            return
        # releases do not change who is active, so the crowd can be counted first and the
        # releases done in the same pass as the arrests
        site_n = self._site_n
        count_status_by(pop.status, S.ACTIVE, pop.site, site_n)
        A = site_n * cs.scale  # protesting citizens at each site (persons)
        groups = np.zeros(cs.n_loc)
        np.add.at(groups, cs.focal, cs.groups_reg)
        V = np.minimum(cs.site_violent, A + groups)  # violent citizens and group members
        P = np.maximum(A + groups - V, 0.0)  # peaceful protesters
        C = cs.forces_eff
        X = np.divide(V * C, V + C, out=np.zeros(cs.n_loc), where=(V + C) > 0)
        Y = np.divide(P * C, P + C, out=np.zeros(cs.n_loc), where=(P + C) > 0)
        armed = np.zeros(cs.n_loc)
        np.add.at(armed, cs.focal, cs.armed_reg)
        alpha = np.minimum(1.0, np.divide(armed, V, out=np.zeros(cs.n_loc), where=V > 0))
        shoot = float(p["death_rate_shoot"]) if cs.shoot_order else 0.0
        civ_rate = float(p["death_rate_violent"]) + float(p["death_rate_armed"]) * alpha + shoot
        sec_rate = float(p["death_rate_forces"]) + float(p["death_rate_forces_armed"]) * alpha
        # person-days in the street: D of every month counted active, linear in dt so that a
        # month of activity is the same exposure in one step or in four
        street = street_days(dt, float(p["street_days_per_month"]))
        k_civ = np.minimum(self._poisson(t, street * civ_rate * X, 0), V)
        k_sec = self._poisson(t, street * sec_rate * X, 2)
        i_civ = self._poisson(
            t,
            street * (float(p["injury_rate_violent"]) * X + float(p["injury_rate_dispersal"]) * Y),
            4,
        )
        i_sec = self._poisson(t, street * float(p["injury_rate_forces"]) * X, 6)
        free = np.divide(V * V, V + C, out=np.zeros(cs.n_loc), where=(V + C) > 0)
        attacks = self._poisson(t, street * float(p["attack_rate"]) * free / 1000.0, 8)
        # group members take their share of the civilian deaths; citizens the rest
        g_share = np.divide(groups, V, out=np.zeros(cs.n_loc), where=V > 0)
        k_grp = np.floor(k_civ * np.minimum(1.0, g_share))
        self._kill(sim, k_civ - k_grp, t)
        reg = cs.loc_region
        nr = cs.n_reg
        if cs.groups_reg.any():
            lost = np.bincount(reg, weights=k_grp, minlength=nr)
            keep = np.divide(
                np.maximum(cs.groups_reg - lost, 0.0),
                cs.groups_reg,
                out=np.zeros(nr),
                where=cs.groups_reg > 0,
            )
            cs.armed_reg -= (1.0 - keep) * np.minimum(cs.armed_reg, cs.groups_reg)
            cs.groups_reg *= keep
        # arrests
        cap = float(p["arrest_rate"]) * C * street
        cap = cap * np.where(cs.emergency[reg], float(p["emergency_arrest_mult"]), 1.0)
        # p_max is a share per day at steps up to a day; a longer step keeps it per step (the
        # decade model's calibration, docs/odd/exit.md, reads it so)
        day = min(street, 1.0)
        p_max = 1.0 - (1.0 - float(p["arrest_share_max"])) ** day
        p_site = np.minimum(p_max, np.divide(cap, A, out=np.zeros(cs.n_loc), where=A > 0))
        sweep_p = np.where(cs.emergency, 1.0 - math.exp(-float(p["sweep_rate"]) * dt), 0.0)
        release_arrest_kernel(
            self.key,
            t,
            pop.status,
            pop.site,
            pop.region,
            pop.ever_active,
            p_site,
            sweep_p,
            float(p["jail_min_days"]),
            float(p["jail_max_days"]),
            dt,
            pop.release_step,
            pop.arrested_now,
            cs.arrests_reg,
            self._arrests_site,
        )
        cs.cum_detained_reg += cs.arrests_reg
        cs.deaths_civ_reg[:] = np.bincount(reg, weights=k_civ, minlength=nr)
        cs.deaths_sec_reg[:] = np.bincount(reg, weights=k_sec, minlength=nr)
        cs.cum_deaths_civ_reg += cs.deaths_civ_reg
        cs.cum_deaths_sec_reg += cs.deaths_sec_reg
        for name, k in (
            ("injured_civilian", i_civ),
            ("injured_security", i_sec),
            ("building_attacks", attacks),
        ):
            self.flows[name][:] = np.bincount(reg, weights=k, minlength=nr)
            self.cum[name] += self.flows[name]
        self._confront[:] = np.bincount(reg, weights=X, minlength=nr)
        # weapons taken in attacks arm the region's violent protesters
        cs.armed_reg += float(p["weapons_per_attack"]) * self.flows["building_attacks"]
        # weapons do not outlive a campaign: recovered by the forces once it is a month old
        # (exactly zero within D_W, so the three-week January 2022 replay is unchanged)
        d_w = float(p["weapons_recovery_days"])
        self._armed_days = np.where(cs.armed_reg > 0, self._armed_days + dt, 0.0)
        ramp = 1.0 - np.exp(-np.maximum(0.0, self._armed_days - d_w) / d_w)
        cs.armed_reg *= np.exp(-dt * ramp / d_w)
        # what residents saw: arrests where they live, killings where they happened
        arrested = self._arrests_site * cs.scale
        seen = arrested + float(p["backfire_death_weight"]) * (k_civ + k_sec)
        cs.repression_seen[:] = np.divide(
            seen, cs.loc_persons, out=np.zeros(cs.n_loc), where=cs.loc_persons > 0
        )
        # what the crowd itself suffered (mechanism 13's backlash) and its violent share
        crowd = A + groups
        # arrests and killings per day (per step above a day), so B does not depend on dt
        hurt = Y + arrested / day + float(p["violence_backlash_death_weight"]) * k_civ / day
        cs.site_backlash[:] = np.divide(hurt, crowd, out=np.zeros(cs.n_loc), where=crowd > 0)
        cs.site_vshare[:] = np.divide(V, crowd, out=np.zeros(cs.n_loc), where=crowd > 0)

    def _kill(self, sim, k_civ, t):
        """Turn the person count of civilian deaths at each site into dead agents, the
        violent protesters of the site first (counter-based draws throughout)."""
        pop, cs = sim.pop, sim.country
        sites = np.flatnonzero(k_civ > 0)
        if sites.size == 0:
            return 0
        act = np.flatnonzero(pop.status == S.ACTIVE)
        if act.size == 0:
            return 0
        want = k_civ[sites] / cs.scale
        n_agents = np.floor(want).astype(np.int64)
        frac_u = self.death_stream.uniform_for(t, sites, slot=10)
        n_agents += (frac_u < (want - n_agents)).astype(np.int64)
        # slot 11: slots 0-9 are the site counts' (Poisson and its normal tail), 10 the
        # fractions; an agent index equal to a site index must not share their number
        u = self.death_stream.uniform_for(t, act, slot=11)
        s_of = pop.site[act]
        calm = 1 - pop.violent[act].astype(np.int64)
        order = np.lexsort((u, calm, s_of))
        act_sorted, s_sorted = act[order], s_of[order]
        starts = np.searchsorted(s_sorted, sites, side="left")
        ends = np.searchsorted(s_sorted, sites, side="right")
        k = np.minimum(n_agents, ends - starts)
        # the first k of each site's run (violent first): one vectorised index
        total = int(k.sum())
        if total:
            offs = np.repeat(starts - np.concatenate(([0], np.cumsum(k)[:-1])), k)
            pop.status[act_sorted[np.arange(total) + offs]] = S.DEAD
        return total

    def _record(self, sim):
        cs, t = sim.country, sim.t
        r = sim.results
        r.record("arrests", t, float(cs.arrests_reg.sum()), cs.arrests_reg.copy())
        r.record(
            "detained_cumulative", t, float(cs.cum_detained_reg.sum()), cs.cum_detained_reg.copy()
        )
        r.record("deaths_civilian", t, float(cs.deaths_civ_reg.sum()), cs.deaths_civ_reg.copy())
        r.record("deaths_security", t, float(cs.deaths_sec_reg.sum()), cs.deaths_sec_reg.copy())
        r.record(
            "deaths_civilian_cumulative",
            t,
            float(cs.cum_deaths_civ_reg.sum()),
            cs.cum_deaths_civ_reg.copy(),
        )
        r.record(
            "deaths_security_cumulative",
            t,
            float(cs.cum_deaths_sec_reg.sum()),
            cs.cum_deaths_sec_reg.copy(),
        )
        for name, flow in self.flows.items():
            r.record(name, t, float(flow.sum()), flow.copy())
            r.record(f"{name}_cumulative", t, float(self.cum[name].sum()), self.cum[name].copy())
        # the episodes' output contract: one injured total beside its two parts
        inj = self.cum["injured_civilian"] + self.cum["injured_security"]
        r.record("injured_cumulative", t, float(inj.sum()), inj)
        r.record("armed", t, float(cs.armed_reg.sum()), cs.armed_reg.copy())
        r.record("confrontation", t, float(self._confront.sum()), self._confront.copy())
