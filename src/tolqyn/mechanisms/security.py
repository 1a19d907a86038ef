"""Mechanism 5b — the security forces' loyalty: whether the police a region has placed obey.

The regime (mechanism 5) decides where the national forces stand; this module decides whether
they act. Each region's force is a unit with an obedient share o_r ∈ [0, 1] that relaxes
towards a target set by the signals its members read:

    o*_r = σ(β_0 + β_O·O_r − β_S·S + β_F·F + β_V·v_r − β_P·ln(1 + π_r))
    o_r ← o_r + (o*_r − o_r)·(1 − e^{−a·dt})

    O_r  clarity of orders in region r (0 none, ½ routine, 1 explicit: `security_orders`
         events; a shoot-without-warning order is an explicit order)
    S    public signal of an elite split (0 united, 1 open split: `elite_signal` events)
    F    foreign backing: 1 once foreign troops are committed (they do not defect and signal
         that the regime will survive; docs/literature.md §8.3)
    v_r  violent share of the region's protesters (forces under attack close ranks)
    π_r  protesters per deployed officer in the region (units facing overwhelming crowds
         without reinforcement withdraw)

The disobedient share splits into inaction (withdrawal, standing aside) and fraternisation,
which is likelier the more peaceful the crowd: φ_r = φ_max·(1 − v_r). Only obedient
officers count as forces at a site (arrests, confrontation, the risk a protester perceives);
foreign troops always obey.

Sources: Nepstad 2011 and Chenoweth & Stephan 2011 (defections follow nonviolent discipline and
signals that the regime may fall); McLauchlin 2010 and Koehler, Ohl & Albrecht 2016 (soldiers
defect when the expected cost of loyalty rises and the regime's survival is in doubt); Barany
2016 (foreign support and elite cohesion); docs/literature.md §1 (the 'cops go quiet' extension of
Epstein's model). The coefficients are assumptions of this model (docs/odd/country.md §7.12).
Pack: police told crowds they were "with the people" in Aktobe and reportedly sided with
protesters in Aktau, and did "not use force" in Kostanay on 5 January
(unrest_2022_regions.csv); these are checks, not inputs."""

from __future__ import annotations

import math

import numpy as np

from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.core.timeline import Arg
from tolqyn.mechanisms.structures import troops_act

CITE_D = "Nepstad 2011; Chenoweth & Stephan 2011; McLauchlin 2010; Koehler, Ohl & Albrecht 2016"


def obedience_target(p, orders, split, foreign, violent_share, pressure):
    """o* for arrays of regions (the logistic of the signals; see the module docstring)."""
    z = (
        float(p["obey_base"])
        + float(p["obey_orders"]) * orders
        - float(p["obey_split"]) * split
        + float(p["obey_foreign"]) * foreign
        + float(p["obey_violence"]) * violent_share
        - float(p["obey_pressure"]) * np.log1p(pressure)
    )
    return 1.0 / (1.0 + np.exp(-z))


class SecurityForces(Module):
    name = "security"
    phases = ("respond", "record")
    actions = ("elite_signal", "security_orders")
    action_handlers = {"elite_signal": "_on_split", "security_orders": "_on_orders"}  # describe
    action_args = {  # checked when a scenario loads
        "elite_signal": (Arg("split", low=0.0, high=1.0, required=True), Arg("label", "str")),
        "security_orders": (
            Arg("level", low=0.0, high=1.0, required=True),
            Arg("regions", "regions"),
        ),
    }

    @classmethod
    def define_params(cls):
        return [
            Param(
                "loyalty_on",
                True,
                "switch: off keeps every officer obedient (the forces of mechanism 5 as placed)",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "obey_base",
                2.5,
                "β_0: logit of obedience with routine orders, no split, no pressure",
                -10.0,
                10.0,
                unit="logit",
                citation=CITE_D + "; assumption for the size",
            ),
            Param(
                "obey_orders",
                2.0,
                "β_O: logit gained from explicit orders (O = 1) over none (O = 0)",
                0.0,
                10.0,
                unit="logit",
                citation="Nepstad 2011 (ambiguous orders precede defection); assumption",
            ),
            Param(
                "orders_routine",
                0.5,
                "O at the start: routine public-order instructions",
                0.0,
                1.0,
                unit="1",
                citation="assumption",
            ),
            Param(
                "obey_split",
                3.0,
                "β_S: logit lost at an open elite split (S = 1)",
                0.0,
                10.0,
                unit="logit",
                citation="McLauchlin 2010; Koehler, Ohl & Albrecht 2016; assumption for the size",
            ),
            Param(
                "obey_foreign",
                1.5,
                "β_F: logit gained once foreign troops are committed (foreign backing)",
                0.0,
                10.0,
                unit="logit",
                citation="Barany 2016; docs/literature.md §8.3 (no-defection guarantee); assumption",
            ),
            Param(
                "foreign_backing_on",
                True,
                "switch: foreign troops signal the regime's survival to the national forces",
                kind="bool",
                sweepable=False,
                citation="issue 13 (the troops' signal as a structure of its own)",
            ),
            Param(
                "obey_violence",
                2.0,
                "β_V: logit gained when the crowd facing the unit is violent (v = 1)",
                0.0,
                10.0,
                unit="logit",
                citation="Chenoweth & Stephan 2011 (violence hardens the forces' loyalty)",
            ),
            Param(
                "obey_pressure",
                0.8,
                "β_P: logit lost per unit of ln(1 + protesters per deployed officer)",
                0.0,
                10.0,
                unit="logit",
                citation="Epstein extension 'cops go quiet' (docs/literature.md §1); assumption",
            ),
            Param(
                "obey_rate",
                1.5,
                "a: rate at which a unit's obedience moves to its target",
                0.0,
                100.0,
                unit="1/day",
                citation="assumption (orders and news reach units within a day)",
            ),
            Param(
                "fraternise_max",
                0.5,
                "φ_max: share of the disobedient who side with a wholly peaceful crowd "
                "(the rest stand aside)",
                0.0,
                1.0,
                unit="1",
                citation="Nepstad 2011; unrest_2022_regions.csv (Aktau, Aktobe); assumption",
            ),
        ]

    def define_results(self):
        return [
            Result("obedience", "obedient share of the national forces", "value", True),
            Result(
                "forces_inactive",
                "national forces standing aside or withdrawn (persons)",
                "value",
                True,
            ),
            Result(
                "forces_fraternising",
                "national forces siding with the crowds (persons)",
                "value",
                True,
            ),
            Result("elite_split", "public signal of an elite split S", "value", False),
        ]

    def init(self, sim):
        p, cs = sim.params, sim.country
        cs.orders = np.full(cs.n_reg, float(p["orders_routine"]))
        cs.elite_split = 0.0
        zero = np.zeros(cs.n_reg)
        cs.obedience = obedience_target(p, cs.orders, 0.0, 0.0, zero, zero)
        if not p["loyalty_on"]:
            cs.obedience[:] = 1.0
        sim.timeline.on("elite_signal", self._on_split)
        sim.timeline.on("security_orders", self._on_orders)

    @staticmethod
    def _level(sim, action, value, name):
        if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
            raise ScenarioError(
                f"{action}: {name} must be in [0, 1], got {value!r}",
                source=sim.scenario.source,
                field=f"events.params.{name}",
            )
        return float(value)

    def _on_split(self, sim, split, label=""):
        """A public signal of how divided the ruling elite is (0 united, 1 open split)."""
        sim.country.elite_split = self._level(sim, "elite_signal", split, "split")
        sim.country.log.append((sim.t, f"elite split {split} {label}".strip()))

    def _on_orders(self, sim, level, regions="ALL"):
        """Clarity of the orders the forces receive in `regions` (0 none, 1 explicit)."""
        cs = sim.country
        cs.orders[cs.region_mask(regions, sim.scenario.source)] = self._level(
            sim, "security_orders", level, "level"
        )
        cs.log.append((sim.t, f"orders {level} in {regions}"))

    def step(self, sim, phase):
        p, cs = sim.params, sim.country
        if phase == "record":
            police_reg = np.bincount(cs.loc_region, weights=cs.police, minlength=cs.n_reg)
            placed = police_reg + cs.inactive_reg + cs.fraternising_reg
            tot = placed.sum()
            overall = float(police_reg.sum() / tot) if tot > 0 else 1.0
            r = sim.results
            r.record("obedience", sim.t, overall, cs.obedience.copy())
            r.record("forces_inactive", sim.t, float(cs.inactive_reg.sum()), cs.inactive_reg.copy())
            r.record(
                "forces_fraternising",
                sim.t,
                float(cs.fraternising_reg.sum()),
                cs.fraternising_reg.copy(),
            )
            r.record("elite_split", sim.t, float(cs.elite_split))
            return
        # respond: the regime has just placed the police (cs.police); units read the signals
        if not (p["loyalty_on"] and p["regime_on"]):
            cs.inactive_reg[:] = 0.0
            cs.fraternising_reg[:] = 0.0
            return
        A = cs.respond_active  # protesters by site after this step's decisions (persons)
        V = cs.site_violent
        reg_A = np.bincount(cs.loc_region, weights=A, minlength=cs.n_reg)
        reg_A = reg_A + cs.groups_reg  # organised groups face the forces too
        reg_V = np.bincount(cs.loc_region, weights=V, minlength=cs.n_reg)
        placed = np.bincount(cs.loc_region, weights=cs.police, minlength=cs.n_reg)
        v = np.minimum(1.0, np.divide(reg_V, reg_A, out=np.zeros(cs.n_reg), where=reg_A > 0))
        pressure = reg_A / np.maximum(placed, 1.0)
        backing = p["foreign_backing_on"] and troops_act(p["troops_structure"], "signal")
        foreign = 1.0 if (backing and float(cs.troops_target.sum()) > 0.0) else 0.0
        # a shoot-without-warning order is an explicit order everywhere
        orders = np.maximum(cs.orders, 1.0) if cs.shoot_order else cs.orders
        target = obedience_target(p, orders, cs.elite_split, foreign, v, pressure)
        w = 1.0 - math.exp(-float(p["obey_rate"]) * sim.clock.dt)
        cs.obedience += (target - cs.obedience) * w
        o = cs.obedience
        away = (1.0 - o) * placed
        frat = np.where(reg_A > 0, float(p["fraternise_max"]) * (1.0 - v), 0.0)
        cs.fraternising_reg[:] = away * frat
        cs.inactive_reg[:] = away - cs.fraternising_reg
        cs.police *= o[cs.loc_region]
