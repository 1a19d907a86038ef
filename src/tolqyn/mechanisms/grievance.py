"""Mechanism 1 — grievance: hardship H from relative deprivation within the locality plus
economic shocks, turned into grievance G by perceived illegitimacy.

    RD_i = max(0, 0.5 − y_i) / 0.5                 (y_i: income rank within the locality)
    H_i  = h_own · u_i + h_rd · RD_i + shock_{r(i)}  (u_i ~ U(0,1), a fixed personal draw)
    G_i  = min(1, H_i · (1 − L_i))

Epstein (2002) uses H ~ U(0,1) and G = H(1 − L); Lemos (2018) replaces H by relative
deprivation, a sensitivity times the gap between the local median and one's own standing.
Here both are kept: a personal component and a relative-deprivation component, plus the
economic shock of mechanism 11. Seeds: 000 (the "cup of patience" filled by small daily
injustices), 003 (the fuel price that started it)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.random import draw_u01


@njit(parallel=True, cache=True)
def grievance_kernel(key, status, region, income, legit, shock, h_own, h_rd, out):
    for i in prange(status.shape[0]):
        if status[i] >= 3:  # emigrated or dead: no longer perceive
            continue
        u = draw_u01(key, 0, i, 0)
        rd = 0.5 - income[i]
        rd = rd / 0.5 if rd > 0.0 else 0.0
        h = h_own * u + h_rd * rd + shock[region[i]]
        g = h * (1.0 - legit[i])
        if g > 1.0:
            g = 1.0
        elif g < 0.0:
            g = 0.0
        out[i] = g


class Grievance(Module):
    name = "grievance"
    phases = ("perceive",)

    @classmethod
    def define_params(cls):
        return [
            Param(
                "grievance_on",
                True,
                "switch: off sets hardship to the personal component only "
                "(no relative deprivation, no economic shock)",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "hardship_own",
                0.55,
                "weight of the personal hardship draw u ~ U(0,1)",
                0.0,
                2.0,
                unit="hardship",
                citation="Epstein 2002 (H ~ U(0,1))",
            ),
            Param(
                "hardship_rd",
                0.45,
                "weight of relative deprivation (gap below the local median income rank)",
                0.0,
                2.0,
                unit="hardship",
                citation="Lemos 2018 (relative deprivation); Kim & Hanneman 2011",
            ),
        ]

    def define_states(self):
        return [State("grievance", np.float32, 0.0, "grievance G = H(1 − L)")]

    def init(self, sim):
        self.key = sim.streams("hardship").key
        self.step(sim, "perceive")

    def step(self, sim, phase):
        p, pop, cs = sim.params, sim.pop, sim.country
        on = bool(p["grievance_on"])
        shock = cs.econ_shock if on else np.zeros_like(cs.econ_shock)
        grievance_kernel(
            self.key,
            pop.status,
            pop.region,
            pop.income,
            pop.legitimacy,
            shock,
            float(p["hardship_own"]),
            float(p["hardship_rd"]) if on else 0.0,
            pop.grievance,
        )
