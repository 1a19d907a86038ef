"""Mechanism 11 — economy shocks: fuel prices by region, the exchange rate and inflation become
hardship, and people adapt to a new price level with a half-life.

    shock_r(t) = w_fuel · f_r^γ · max(0, ln(p_r / p*_r)) + w_fx · max(0, ln(fx / fx*)) + w_inf · max(0, π − π*)
    p*_r(t+dt) = p*_r(t) + (p_r(t) − p*_r(t)) · (1 − 2^(−dt / h))      (same for fx*)

f_r is the fuel dependence of unit r, LPG vehicles per resident relative to the most
dependent unit (misc_indicators.csv: more than half of Mangystau's cars run on gas, f = 1;
Atyrau 0.23, West Kazakhstan 0.18, every other unit the national figure, 0.20). γ =
`fuel_dependence_power` (default 1) says how closely the hardship follows it: below 1 the
rise also reaches those who buy no LPG (freight, heating, the prices that follow fuel).
p is the price people face, p* the price they have got used to (the reference point), h the
adaptation half-life. A price rise is felt in full on the day it happens and fades as p* moves
towards p; a price cut below the reference point removes the shock at once.
Sources: McCulloch et al. 2022 (fuel-price shocks drive riots, notably in fixed-price energy
exporters); von Uexkull et al. 2024; Drabo et al. 2023; seeds 000 (devaluation) and 003
(the fuel price that sparked January 2022)."""

from __future__ import annotations

import math

import numpy as np

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.core.timeline import Arg

CITE = "McCulloch, Natalini, Hossain & Justino 2022, World Development 157:105935; von Uexkull, Rød & Svensson 2024"


class Economy(Module):
    name = "economy"
    phases = ("exogenous", "record")
    actions = ("fuel_price",)
    action_args = {
        "fuel_price": (
            Arg(
                "price",
                low=1e-9,
                required=True,
                doc="retail fuel price, in the currency of the country pack per litre",
            ),
            Arg("regions", "regions"),
        )
    }

    @classmethod
    def define_params(cls):
        return [
            Param(
                "economy_on",
                True,
                "switch: economic shocks feed hardship",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "fuel_price_base",
                60.0,
                "retail price of the fuel whose price changes, before the shock, every region (the pack's economy.csv)",
                1e-3,
                1e7,
                unit="local currency/litre",
                citation="unrest_2022.csv (theglobaleye.it; RFE/RL)",
                role="country",
            ),
            Param(
                "fuel_price_scope",
                "events",
                "where a fuel_price event sets the price: events (the regions it names) or "
                "nationwide (every region, each feeling it by its fuel dependence f): the "
                "pack gives LPG prices for Mangystau only, and the cap was lifted everywhere",
                kind="choice",
                choices=("events", "nationwide"),
                sweepable=False,
                citation="unrest_2022.csv (exchange trading of LPG nationwide from 1 Jan 2022); "
                "docs/odd/country.md section 10",
            ),
            Param(
                "fuel_weight",
                0.3,
                "hardship per unit log-increase of the fuel price over its reference, where "
                "fuel dependence is highest (f = 1)",
                0.0,
                3.0,
                unit="hardship per ln-unit",
                citation=CITE,
            ),
            Param(
                "fuel_dependence_power",
                1.0,
                "γ: the hardship of a fuel price rise follows f_r^γ (1: in proportion to LPG "
                "vehicles per resident; 0: the same in every unit, as if the price passed into "
                "heating, freight and other prices everywhere)",
                0.0,
                1.0,
                unit="1",
                citation="docs/odd/country.md section 7.11 (an assumption the pack cannot settle)",
            ),
            Param(
                "exchange_rate",
                431.8,
                "local currency per USD (the pack's rate at the start of the episode)",
                1.0,
                5000.0,
                unit="local currency/USD",
                citation="the country pack's economy.csv",
                role="country",
            ),
            Param(
                "fx_weight",
                0.5,
                "hardship per unit log-depreciation of the tenge over its reference",
                0.0,
                3.0,
                unit="hardship per ln-unit",
                citation="Drabo et al. 2023 (exchange-rate instability amplifies fuel-price protest); seed 000",
            ),
            Param(
                "inflation_annual",
                0.084,
                "consumer-price inflation, Dec/Dec",
                -0.5,
                5.0,
                unit="1/year",
                citation="context.csv (IMF WEO: 8.4 % in 2021)",
                role="episode",
            ),
            Param(
                "inflation_reference",
                0.084,
                "inflation people are used to (no hardship at or below it)",
                -0.5,
                5.0,
                unit="1/year",
                citation="adaptation-level assumption (documented in docs/odd/country.md)",
                role="country",
            ),
            Param(
                "inflation_weight",
                1.0,
                "hardship per unit of inflation above the reference",
                0.0,
                10.0,
                unit="hardship per (1/year)",
                citation="Bellemare 2015 (price levels drive unrest)",
            ),
            Param(
                "adaptation_half_life",
                12.0,
                "half-life of adaptation of the reference price to the current price",
                0.1,
                3650.0,
                unit="days",
                citation="adaptation-level theory; chosen so that a shock is still felt a week later (calibrated, docs/odd/country.md)",
            ),
        ]

    def define_results(self):
        return [
            Result("fuel_price", "LPG retail price", "value", True),
            Result("economic_shock", "hardship added by economic shocks", "value", True),
        ]

    def init(self, sim):
        cs = sim.country
        p0 = float(sim.params["fuel_price_base"])
        cs.fuel_price = np.full(cs.n_reg, p0)
        cs.fuel_ref = np.full(cs.n_reg, p0)
        cs.fx_ref = float(sim.params["exchange_rate"])
        cs.econ_shock_known = np.zeros(cs.n_reg)
        # LPG vehicles per resident relative to the most dependent unit (a price rise hurts
        # where cars run on gas); 1 everywhere when the space carries no indicators
        ind = (getattr(sim.space, "meta", None) or {}).get("region_indicators", {})
        f = np.asarray(ind.get("lpg_rel", np.ones(cs.n_reg)), dtype=np.float64)
        cs.fuel_dependence = (f / f.max()) ** float(sim.params["fuel_dependence_power"])
        self._history: list = []
        sim.timeline.on("fuel_price", self._on_fuel_price)
        self._update(sim)

    @staticmethod
    def _on_fuel_price(sim, price, regions="ALL"):
        """Set the retail fuel price in some regions (local currency per litre)."""
        cs = sim.country
        if not (isinstance(price, (int, float)) and price > 0):
            from tolqyn.core.errors import ScenarioError

            raise ScenarioError(
                f"fuel_price: price must be a positive number, got {price!r}",
                source=sim.scenario.source,
                field="events.params.price",
            )
        if sim.params["fuel_price_scope"] == "nationwide":
            regions = "ALL"  # the price path of the event everywhere; f weighs what it costs
        cs.fuel_price[cs.region_mask(regions, sim.scenario.source)] = float(price)
        cs.log.append((sim.t, f"fuel price {price} in {regions}"))

    def _update(self, sim):
        cs, p = sim.country, sim.params
        if not p["economy_on"]:
            cs.econ_shock[:] = 0.0
            return
        fuel = np.maximum(0.0, np.log(cs.fuel_price / cs.fuel_ref))
        fx = max(0.0, math.log(float(p["exchange_rate"]) / cs.fx_ref))
        infl = max(0.0, float(p["inflation_annual"]) - float(p["inflation_reference"]))
        cs.econ_shock[:] = (
            float(p["fuel_weight"]) * cs.fuel_dependence * fuel
            + float(p["fx_weight"]) * fx
            + float(p["inflation_weight"]) * infl
        )

    def step(self, sim, phase):
        # events of this step have been applied: the shock is felt today, adaptation follows
        if phase == "record":
            self._record(sim)
            return
        cs = sim.country
        # what people know of the shared shock is a day old: word gets round in a day
        self._history.append(cs.econ_shock.copy())
        lag = max(1, int(round(1.0 / sim.clock.dt)))
        self._history = self._history[-lag:]
        cs.econ_shock_known[:] = self._history[0]
        self._update(sim)
        a = 1.0 - 2.0 ** (-sim.clock.dt / float(sim.params["adaptation_half_life"]))
        cs.fuel_ref += (cs.fuel_price - cs.fuel_ref) * a
        cs.fx_ref += (float(sim.params["exchange_rate"]) - cs.fx_ref) * a

    def _record(self, sim):
        cs = sim.country
        w = cs.reg_persons / max(cs.reg_persons.sum(), 1.0)
        sim.results.record(
            "fuel_price", sim.t, float((cs.fuel_price * w).sum()), cs.fuel_price.copy()
        )
        sim.results.record(
            "economic_shock", sim.t, float((cs.econ_shock * w).sum()), cs.econ_shock.copy()
        )
