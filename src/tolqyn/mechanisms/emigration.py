"""Mechanism 9 — exit: emigration as a daily hazard (random-utility form).

    h_i = h_0 · exp(b_G·G_i + b_I·I_i + b_T·ties_i − b_V·e)      per day
    p_i = (1 − exp(−h_i·dt)) · [borders open]

e ∈ [0, 1] is the perceived efficacy of voice: the share of the regime's concessions so far,
capped at 1 (voice that works keeps people home). ties_i counts close ties abroad: diasporas
are by far the strongest predictor of migration flows (Beine, Docquier & Özden 2011).
h_0 is set so that the hazard of the average citizen gives Kazakhstan's 45,200 emigrants in
2019 (emigration.csv, lsm.kz): 45,200 / 18.5 M / 365 ≈ 6.7e-6 per day before the exponential
terms. Emigrants leave the population of would-be protesters (mechanism 10's drain channel).
Sources: Klabunde & Willekens 2016; Beine et al. 2011; Hirschman 1970. Seeds: 000 (leaving
"like rats from a ship"; the journalist who writes from abroad), 002 (Russians leaving for
Russia), 001 (friends who left; now one cannot)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from tolqyn.core.chunks import chunk_bounds, n_chunks
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.random import draw_u01
from tolqyn.core.results import Result


@njit(parallel=True, cache=True)
def emigrate_count_kernel(
    key,
    t,
    status,
    grievance,
    identity,
    ties,
    h0,
    b_g,
    b_i,
    b_t,
    voice_term,
    dt,
    left,
    ties_max,
    region,
    out_reg,
):
    """Quiet citizens at liberty leave with probability 1 − e^{−h·dt}; the emigrants are
    counted by region per chunk (a fixed order of sums, the same on any number of threads)."""
    # an upper bound of the step probability (G, I <= 1, ties <= ties_max) lets most agents skip
    # the exponentials: the draw is compared with the exact probability only below the bound
    bound = 1.0 - math.exp(-h0 * math.exp(b_g + b_i + b_t * ties_max - voice_term) * dt)
    n = status.shape[0]
    nc = n_chunks(n)
    n_reg = out_reg.shape[0]
    part = np.zeros((nc, n_reg), dtype=np.int64)
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            left[i] = 0
            if status[i] != 0:
                continue
            u = draw_u01(key, t, i, 0)
            if u >= bound:
                continue
            h = h0 * math.exp(b_g * grievance[i] + b_i * identity[i] + b_t * ties[i] - voice_term)
            if u < 1.0 - math.exp(-h * dt):
                status[i] = 3
                left[i] = 1
                part[c, region[i]] += 1
    for k in range(n_reg):
        a = 0
        for c in range(nc):
            a += part[c, k]
        out_reg[k] = a


@njit(parallel=True, cache=True)
def expected_emigrants_kernel(
    status, grievance, identity, ties, h0, b_g, b_i, b_t, voice_term, dt, region, out_reg
):
    """Σ_i p_i by region over quiet citizens at liberty: the expected emigrants of a step, with
    no draw (per-chunk sums added in a fixed order: the same on any number of threads)."""
    n = status.shape[0]
    nc = n_chunks(n)
    n_reg = out_reg.shape[0]
    part = np.zeros((nc, n_reg))
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            if status[i] != 0:
                continue
            h = h0 * math.exp(b_g * grievance[i] + b_i * identity[i] + b_t * ties[i] - voice_term)
            part[c, region[i]] += 1.0 - math.exp(-h * dt)
    for k in range(n_reg):
        a = 0.0
        for c in range(nc):
            a += part[c, k]
        out_reg[k] = a


class Emigration(Module):
    name = "emigration"
    phases = ("consequences", "record")

    @classmethod
    def define_params(cls):
        cite = "Klabunde & Willekens 2016; Beine, Docquier & Özden 2011"
        return [
            Param(
                "emigration_on",
                True,
                "switch: off means nobody leaves",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "emigration_base",
                2.0e-6,
                "h_0: daily hazard before the exponential terms",
                0.0,
                1.0,
                unit="1/day",
                citation="emigration.csv (45,200 emigrants in 2019, lsm.kz); " + cite,
            ),
            Param(
                "emigration_grievance",
                2.0,
                "b_G: log-hazard per unit of grievance",
                0.0,
                20.0,
                unit="1",
                citation=cite + "; seed 000",
            ),
            Param(
                "emigration_identity",
                1.5,
                "b_I: log-hazard per unit of affinity with the neighbouring state",
                0.0,
                20.0,
                unit="1",
                citation="emigration.csv (ethnic Russians 73 % of 2019 emigrants); seed 002",
            ),
            Param(
                "emigration_ties",
                0.5,
                "b_T: log-hazard per close tie abroad",
                0.0,
                10.0,
                unit="1",
                citation="Beine, Docquier & Özden 2011 (diasporas explain 71 % of flow variance)",
            ),
            Param(
                "emigration_voice",
                0.5,
                "b_V: fall of the log-hazard when voice is seen to work (concessions)",
                0.0,
                10.0,
                unit="1",
                citation="Hirschman 1970; Gehlbach 2006",
            ),
        ]

    def define_states(self):
        return [State("left_now", np.uint8, 0, "1 if the citizen emigrated in the current step")]

    def define_results(self):
        return [Result("emigrants", "citizens who emigrated in the step", "count", True, "flow")]

    def init(self, sim):
        self.key = sim.streams("emigrate").key
        self.ties_max = int(sim.pop.ties_abroad.max()) if sim.pop.n else 0
        self._usual_known = False

    def step(self, sim, phase):
        p, pop, cs = sim.params, sim.pop, sim.country
        if phase == "record":
            sim.results.record("emigrants", sim.t, float(cs.emig_reg.sum()), cs.emig_reg.copy())
            return
        cs.emig_reg[:] = 0.0
        efficacy = min(1.0, float(cs.concessions) / 2.0)
        # the state and the hazard's coefficients, shared by the expected and the drawn flow
        args = (
            pop.status,
            pop.grievance,
            pop.identity,
            pop.ties_abroad,
            float(p["emigration_base"]),
            float(p["emigration_grievance"]),
            float(p["emigration_identity"]),
            float(p["emigration_ties"]),
            float(p["emigration_voice"]) * efficacy,
            sim.clock.dt,
        )
        if not self._usual_known:
            # the usual flow: what the state of the first step makes people do with the borders
            # open; the legitimacy the run starts from already reflects it (mechanism 10)
            self._usual_known = True
            if p["emigration_on"]:
                expected_emigrants_kernel(*args, pop.region, cs.emig_usual)
        if not p["emigration_on"] or not cs.borders_open:
            return
        emigrate_count_kernel(
            self.key, sim.t, *args, pop.left_now, self.ties_max, pop.region, cs.emig_reg
        )
