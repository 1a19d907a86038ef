"""Mechanism 4 — repression: arrests up to the capacity of the forces at each site, detention
terms with a scheduled release, sweeps of past participants under a state of emergency, and
deaths among protesters and among the forces in clashes.

    capacity_l = α·C_l·dt·(m_A if emergency)                 arrests a site's forces can make (persons)
    p_l        = min(p_max, capacity_l / A_l)                each protester at l is arrested w.p. p_l
    term       ~ U[j_min, j_max] days; release at t + ⌈term/dt⌉  (a scheduled event, not a daily re-draw)
    sweep      : a past participant at home in an emergency region is detained w.p. 1 − e^{−σ·dt}
    clash_l    = C_l·A_l / (C_l + A_l)                       persons in confrontation at l
    civilian deaths_l ~ Poisson(dt·(δ_c + δ_s·[shoot order])·clash_l)
    security deaths_l ~ Poisson(dt·δ_f·clash_l)

Deaths are drawn in persons. A person who dies is one of the site's protesters; with k
citizens per agent, ⌊K/k⌋ agents die plus one more with probability frac(K/k), so the
status count `dead` (agents × k) equals the person count in expectation and exactly at k = 1.
Forces are not agents: their deaths are recorded in persons (kind "value").
Sources: Epstein 2002 rule C (cops arrest one active in vision; jail term drawn); Lemos 2018
(jail terms); Lichbach 1987; Klein & Regan 2018 (arrests, then beatings, shooting, killing).
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


@njit(parallel=True, cache=True)
def release_kernel(status, release_step, t):
    for i in prange(status.shape[0]):
        if status[i] == 2 and release_step[i] <= t:
            status[i] = 0


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
                "arrest_rate",
                0.017,
                "α: arrests one member of the forces can make per day at a site with protesters",
                0.0,
                10.0,
                unit="arrests/(person·day)",
                citation=cite + "; calibrated to 9,900 detained by 11 Jan",
            ),
            Param(
                "arrest_share_max",
                0.5,
                "p_max: largest share of a site's protesters arrested in one step",
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
                citation="72-hour custody before charge (Kazakh criminal procedure); assumption",
            ),
            Param(
                "jail_max_days",
                15.0,
                "longest detention term (administrative arrest up to 15 days)",
                0.0,
                3650.0,
                unit="days",
                citation="Code of administrative offences (up to 15 days); Epstein 2002 (J_max)",
            ),
            Param(
                "death_rate_civilian",
                0.0008,
                "δ_c: civilian deaths per person in confrontation per day (no shoot order)",
                0.0,
                1.0,
                unit="1/(person·day)",
                citation="calibrated to 225 deaths by 15 Jan (unrest_2022.csv, PGO)",
            ),
            Param(
                "death_rate_shoot",
                0.002,
                "δ_s: extra civilian deaths per person in confrontation per day under a shoot order",
                0.0,
                1.0,
                unit="1/(person·day)",
                citation="calibrated; Klein & Regan 2018",
            ),
            Param(
                "death_rate_forces",
                0.00016,
                "δ_f: deaths among the forces per person in confrontation per day",
                0.0,
                1.0,
                unit="1/(person·day)",
                citation="calibrated to 19 security deaths (unrest_2022.csv, PGO 15 Jan)",
            ),
        ]

    def define_states(self):
        return [
            State("release_step", np.int32, 0, "step at which a detained citizen is released"),
            State("arrested_now", np.uint8, 0, "1 if arrested in the current step"),
        ]

    def define_results(self):
        return [
            Result("arrests", "new arrests in the step (protesters and sweeps)", "count", True),
            Result("detained_cumulative", "arrests since the start", "count", True),
            Result("deaths_civilian", "civilians killed in the step (persons)", "value", True),
            Result(
                "deaths_security",
                "members of the forces killed in the step (persons)",
                "value",
                True,
            ),
            Result(
                "deaths_civilian_cumulative",
                "civilians killed since the start (persons)",
                "value",
                True,
            ),
            Result(
                "deaths_security_cumulative",
                "members of the forces killed since the start (persons)",
                "value",
                True,
            ),
        ]

    def init(self, sim):
        self.key = sim.streams("arrest").key
        self.death_stream = sim.streams("deaths")
        cs = sim.country
        self._site_n = np.zeros(cs.n_loc)
        self._arrests_site = np.zeros(cs.n_loc)

    def step(self, sim, phase):
        if phase == "record":
            self._record(sim)
            return
        p, pop, cs, t, dt = sim.params, sim.pop, sim.country, sim.t, sim.clock.dt
        cs.arrests_reg[:] = 0.0
        cs.deaths_civ_reg[:] = 0.0
        cs.deaths_sec_reg[:] = 0.0
        cs.repression_seen[:] = 0.0
        if not p["repression_on"]:
            release_kernel(pop.status, pop.release_step, t)
            return
        # releases do not change who is active, so the crowd can be counted first and the
        # releases done in the same pass as the arrests
        site_n = self._site_n
        count_status_by(pop.status, S.ACTIVE, pop.site, site_n)
        A = site_n * cs.scale
        C = cs.forces_eff
        clash = np.divide(C * A, C + A, out=np.zeros(cs.n_loc), where=(C + A) > 0)
        # deaths first (in persons), then arrests among the survivors
        rng = self.death_stream.generator(t)
        civ_rate = float(p["death_rate_civilian"]) + (
            float(p["death_rate_shoot"]) if cs.shoot_order else 0.0
        )
        k_civ = rng.poisson(dt * civ_rate * clash).astype(np.float64)
        k_sec = rng.poisson(dt * float(p["death_rate_forces"]) * clash).astype(np.float64)
        k_civ = np.minimum(k_civ, A)
        killed = self._kill(sim, k_civ, rng)
        # arrests
        cap = float(p["arrest_rate"]) * C * dt
        cap = cap * np.where(cs.emergency[cs.loc_region], float(p["emergency_arrest_mult"]), 1.0)
        p_site = np.minimum(
            float(p["arrest_share_max"]), np.divide(cap, A, out=np.zeros(cs.n_loc), where=A > 0)
        )
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
        cs.deaths_civ_reg[:] = np.bincount(cs.loc_region, weights=k_civ, minlength=cs.n_reg)
        cs.deaths_sec_reg[:] = np.bincount(cs.loc_region, weights=k_sec, minlength=cs.n_reg)
        cs.cum_deaths_civ_reg += cs.deaths_civ_reg
        cs.cum_deaths_sec_reg += cs.deaths_sec_reg
        # what residents saw: arrests where they live, killings where they happened
        seen = self._arrests_site * cs.scale
        seen += float(p["backfire_death_weight"]) * (k_civ + k_sec)
        cs.repression_seen[:] = np.divide(
            seen, cs.loc_persons, out=np.zeros(cs.n_loc), where=cs.loc_persons > 0
        )
        self._killed = killed

    def _kill(self, sim, k_civ, rng):
        """Turn the person count of civilian deaths at each site into dead agents."""
        pop, cs = sim.pop, sim.country
        sites = np.flatnonzero(k_civ > 0)
        if sites.size == 0:
            return 0
        act = np.flatnonzero(pop.status == S.ACTIVE)
        if act.size == 0:
            return 0
        want = k_civ[sites] / cs.scale
        n_agents = np.floor(want).astype(np.int64)
        n_agents += (rng.random(sites.size) < (want - n_agents)).astype(np.int64)
        u = self.death_stream.uniform_for(sim.t, act, slot=7)
        s_of = pop.site[act]
        order = np.lexsort((u, s_of))
        act_sorted, s_sorted = act[order], s_of[order]
        starts = np.searchsorted(s_sorted, sites, side="left")
        ends = np.searchsorted(s_sorted, sites, side="right")
        total = 0
        for j in range(sites.size):
            k = min(int(n_agents[j]), int(ends[j] - starts[j]))
            if k > 0:
                pop.status[act_sorted[starts[j] : starts[j] + k]] = S.DEAD
                total += k
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
