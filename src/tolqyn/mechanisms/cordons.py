"""Mechanism 17 (part) — cordons: forces placed at the announced sites of a rally before it
starts (docs/odd/episodes.md §4; the rest of the mechanism, calls, bans, detention campaigns
and regional internet blocks, is mechanisms/preemptive.py).

    cordon  police_site += κ·C_r, moved from the unit's other localities (C_r: its street police),
            or police_site += persons sent in, for `days` days

A cordon is Epstein's rule A at the announced site: more forces per protester there, so a higher
arrest probability (mechanism 2); protest moves to other localities. The module runs after the
regime has placed the police and before the security forces' loyalty splits them (the police
sent in obey or stand aside as any other). κ defaults to the share of a unit's police stationed
at its focal site (police_focal_share): an assumption."""

from __future__ import annotations

import math

import numpy as np

from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.timeline import Arg

CITE_PRE = "Davenport 2007 (preventive repression); Epstein 2002 (rule A)"


def _days(days, dt):
    """Steps an action of `days` days covers (at least one)."""
    return max(1, int(math.ceil(float(days) / dt - 1e-9)))


class Cordons(Module):
    """Forces placed at announced sites (runs after the regime has placed the police, before
    the security forces' loyalty splits them)."""

    name = "cordons"
    phases = ("exogenous", "respond")
    actions = ("cordon",)
    action_handlers = {"cordon": "_on_cordon"}
    action_args = {
        "cordon": (
            Arg("regions", "regions", required=True),
            Arg("persons", low=0.0, high=1e7, doc="forces sent in (default: κ of the unit's)"),
            Arg("share", low=0.0, high=1.0, doc="κ: share of the unit's police moved there"),
            Arg("locality", "str", doc="the site (default: the unit's focal site)"),
            Arg("days", low=0.0, high=3650.0, doc="days in place (default 1)"),
            Arg("label", "str"),
        )
    }

    @classmethod
    def define_params(cls):
        return [
            Param(
                "cordon_share",
                0.3,
                "κ: share of a unit's street police moved to an announced site by a cordon "
                "(the default is the share stationed at the focal site, police_focal_share)",
                0.0,
                1.0,
                unit="1",
                citation="assumption, equal to police_focal_share; " + CITE_PRE,
            )
        ]

    def init(self, sim):
        cs = sim.country
        self.cordons: list[tuple[int, np.ndarray]] = []  # (last step, delta police by locality)
        self._added = np.zeros(cs.n_loc)
        sim.timeline.on("cordon", self._on_cordon)

    def _on_cordon(self, sim, regions, persons=None, share=None, locality=None, days=1.0, label=""):
        """Forces occupy the announced site of each unit: moved there (share) or sent in (persons)."""
        cs, p = sim.country, sim.params
        mask = cs.region_mask(regions, sim.scenario.source)
        delta = np.zeros(cs.n_loc)
        names = list(sim.space.locality_name)
        site_of = cs.focal.copy()
        if locality is not None:
            if locality not in names:
                from tolqyn.core.errors import UnknownParamError

                raise UnknownParamError(
                    locality, sorted(set(names)), source=sim.scenario.source, what="locality"
                )
            loc = names.index(locality)
            if not mask[cs.loc_region[loc]]:
                raise ScenarioError(
                    f"cordon: locality {locality} is not in {regions}", source=sim.scenario.source
                )
            site_of[cs.loc_region[loc]] = loc
        if persons is not None:
            w = np.where(mask, cs.reg_persons, 0.0)
            w = w / max(w.sum(), 1.0)
            np.add.at(delta, site_of[mask], float(persons) * w[mask])
        else:
            k = float(p["cordon_share"] if share is None else share)
            inside = mask[cs.loc_region]
            delta[inside] -= k * cs.police_base[inside]
            reg_base = np.bincount(cs.loc_region, weights=cs.police_base, minlength=cs.n_reg)
            np.add.at(delta, site_of[mask], k * reg_base[mask])
        self.cordons.append((sim.t + _days(days, sim.clock.dt) - 1, delta))
        cs.log.append((sim.t, f"cordon in {regions}"))

    def _desired(self, t):
        self.cordons = [(end, d) for end, d in self.cordons if end >= t]
        out = np.zeros_like(self._added)
        for _, d in self.cordons:
            out += d
        return out

    def step(self, sim, phase):
        cs = sim.country
        if phase == "respond":
            self._added[:] = 0.0  # the regime has just placed the police afresh
        want = self._desired(sim.t)
        if not want.any() and not self._added.any():
            return
        cs.police[:] = np.maximum(0.0, cs.police + want - self._added)
        self._added = want
