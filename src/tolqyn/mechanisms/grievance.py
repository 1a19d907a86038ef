"""Mechanism 1 — grievance: hardship H from relative deprivation within the locality plus
economic shocks, turned into grievance G by perceived illegitimacy.

    RD_i = max(0, 0.5 − y_i) / 0.5                 (y_i: income rank within the locality)
    H_i  = h_own · u_i + h_rd · RD_i + shock_{r(i)} + σ_{r(i)}  (u_i ~ U(0,1), a fixed draw)
    G_i  = min(1, H_i · (1 − L_i))

σ_r is the susceptibility of unit r from the data pack (wages_income_by_region.csv,
unemployment_by_region_2020_2022.csv, the ethnic tables, cities_population_2023.csv):

    σ_r = β_w·ln(w̄ / w_r) + β_u·(u_r / ū − 1) + β_k·(k_r − k̄) + β_z·m_r

w: the 2021 average wage (deprivation relative to the national wage, Gurr 1970; a regional
version of the within-locality term), u: unemployment in Q4 2021, k: the share of the pack's first group (in Kazakhstan the Kazakhs: the
Kazakh-language public sphere in which the protest's calls and slogans circulated; the
Russophone north has a distinct media market and a readier exit, Hirschman 1970 — an
assumption, docs/odd/country.md §7), k̄ the national share; the last term is the memory of
the shooting of striking oil workers in Zhanaozen in December 2011 (docs/literature.md §7). Fuel
dependence enters through the price shock (mechanism 11); urban share and internet use
through the localities and media diets of the synthesis.

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
def grievance_kernel(key, status, region, income, legit, shock, h_own, h_rd, out, suscept):
    for i in prange(status.shape[0]):
        if status[i] >= 3:  # emigrated or dead: no longer perceive
            continue
        u = draw_u01(key, 0, i, 0)
        rd = 0.5 - income[i]
        rd = rd / 0.5 if rd > 0.0 else 0.0
        h = h_own * u + h_rd * rd + shock[region[i]] + suscept[region[i]]
        g = h * (1.0 - legit[i])
        if g > 1.0:
            g = 1.0
        elif g < 0.0:
            g = 0.0
        out[i] = g


def susceptibility(space, p) -> np.ndarray:
    """σ_r of the module docstring; zeros where the space carries no regional indicators."""
    R = int(space.n_regions)
    ind = (getattr(space, "meta", None) or {}).get("region_indicators")
    if not ind:
        return np.zeros(R)
    pop = np.asarray(space.region_population, dtype=np.float64)
    k = np.asarray(ind["first_group_share"], dtype=np.float64)
    k_nat = float((k * pop).sum() / pop.sum())
    return (
        float(p["suscept_wage"]) * -np.log(np.asarray(ind["wage_rel"]))
        + float(p["suscept_unemployment"]) * (np.asarray(ind["unemployment_rel"]) - 1.0)
        + float(p["suscept_first_group"]) * (k - k_nat)
        + float(p["suscept_repression_memory"]) * np.asarray(ind["repression_memory"])
    )


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
            Param(
                "suscept_wage",
                0.0,
                "β_w: hardship per unit log-shortfall of the unit's average wage below the national",
                0.0,
                3.0,
                unit="hardship per ln-unit",
                citation="Gurr 1970 (relative deprivation); wages_income_by_region.csv; 0: the "
                "western oil units rose first and earn most (docs/odd/country.md §8)",
            ),
            Param(
                "suscept_unemployment",
                0.0,
                "β_u: hardship per unit relative excess of the unit's unemployment rate",
                0.0,
                5.0,
                unit="hardship",
                citation="unemployment_by_region_2020_2022.csv; assumption for the size",
            ),
            Param(
                "suscept_first_group",
                0.0,
                "β_k: hardship per unit share of the pack's first group above the national share",
                0.0,
                2.0,
                unit="hardship",
                citation="assumption (docs/odd/country.md §7); ethnicity_by_region_2021.csv; "
                "0 in kazakhstan-2022: > 0 held the north back but took Almaty's lead (§8)",
            ),
            Param(
                "suscept_repression_memory",
                0.0,
                "β_z: hardship added in a unit that remembers a past shooting of protesters "
                "(the pack's memory indicator; docs/odd/country.md §7)",
                0.0,
                1.0,
                unit="hardship",
                citation="docs/literature.md §7; cities_population_2023.csv; assumption for the size",
            ),
        ]

    def define_states(self):
        return [State("grievance", np.float32, 0.0, "grievance G = H(1 − L)")]

    def init(self, sim):
        self.key = sim.streams("hardship").key
        sim.country.susceptibility = susceptibility(sim.space, sim.params)
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
            cs.susceptibility if on else np.zeros_like(cs.econ_shock),
        )
