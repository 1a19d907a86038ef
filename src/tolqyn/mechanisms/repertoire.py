"""Mechanism 13 — repertoires: peaceful and violent protest as distinct states, and organised
violent groups as a switchable reading ("the protest was hijacked").

A citizen who protests (mechanism 2) chooses the violent repertoire — attacking buildings,
looting, fighting the forces — when his or her violent propensity clears the site's threshold:

    violent_i ⟺ active_i  and  G_i·(1 − R_i) > θ_l
    θ_l = θ_0 − b_ω·(1 − ω) − b_B·min(1, B_l) − b_V·v_l − b_W·min(1, W_l/V_l) + b_P·P_l + b_λ·λ_l

    ω    the internet (1 up): peaceful, scheduled protest needs coordination that a blackout
         takes away; violent tactics need less of it (Rydzak 2019; docs/literature.md §8.2)
    B_l  repression the site's crowd met δ days earlier (mechanism 2's perception lag): (persons
         in the dispersal of the peaceful crowd Y_l + arrested and κ·killed per day)/protesters
         (mechanism 4). Repressing non-violence raises violent dissent (Lichbach 1987,
         proposition 1; Davenport 2007)
    P_l  arrest probability at the site (mechanism 2): forces that clearly outnumber a crowd
         deter violence. With B_l this gives violence an inverted U in the strength of the
         forces (Muller & Weede 1990): none where they are absent or fraternise, none where
         they dominate, most where they confront a crowd larger than themselves
    v_l  violent share at the site δ days earlier, organised groups included (violence spreads
         within a crowd)
    W_l  armed persons at the site (weapons seized from armouries, organised groups)
    λ_l  lethal risk of the site (shoot order, mechanism 2): it deters the violent most

Organised violent groups (structure `violence_structure = organised`, action `armed_groups`):
a given number of persons (times `armed_group_scale`), a share of them armed, who are not
citizens of the model's population, appear at the focal sites of the named regions and act
violently from the start. The official narrative of
January 2022 ("20,000 attackers" in Almaty, security_forces.csv: an unverified political
claim) is this structure; the emergent reading has no groups. Which one the data support is a
question for the structural comparison, not an assumption here.

Violence is a sub-state of `active` (status codes are unchanged): the column `violent` is 1
for active citizens in the violent repertoire. Seeds: 003 (the burned akimat, the looting)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core.chunks import chunk_bounds, count_status_by, n_chunks
from tolqyn.core.clock import DelayLine
from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.results import Result
from tolqyn.core.timeline import Arg
from tolqyn.mechanisms.structures import blackout_online

VIOLENCE_STRUCTURE = ("emergent", "organised")

CITE_R = "Lichbach 1987; Davenport 2007; Rydzak 2019; Chenoweth & Stephan 2011"


@njit(parallel=True, cache=True)
def repertoire_kernel(status, grievance, risk_aversion, site, theta, violent, site_violent):
    """violent_i = active and G·(1 − R) > θ of the site; violent citizens counted by site
    (per-chunk integer counts added in a fixed order: identical on any number of threads)."""
    n = status.shape[0]
    n_site = site_violent.shape[0]
    nc = n_chunks(n)
    part = np.zeros((nc, n_site), dtype=np.int64)
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            v = 0
            if status[i] == 1:
                s = site[i]
                if grievance[i] * (1.0 - risk_aversion[i]) > theta[s]:
                    v = 1
                    part[c, s] += 1
            violent[i] = v
    for k in range(n_site):
        a = 0
        for c in range(nc):
            a += part[c, k]
        site_violent[k] = a


def violence_threshold(p, online, backlash, violent_share, armed_share, p_arrest, lethal):
    """θ_l for arrays of sites (module docstring)."""
    return (
        float(p["violence_threshold"])
        - float(p["violence_blackout"]) * (1.0 - online)
        - float(p["violence_backlash"]) * np.minimum(1.0, backlash)
        - float(p["violence_contagion"]) * violent_share
        - float(p["violence_arms"]) * np.minimum(1.0, armed_share)
        + float(p["violence_deterrence"]) * p_arrest
        + float(p["violence_lethal_deterrence"]) * lethal
    )


class Repertoire(Module):
    name = "repertoire"
    phases = ("decide", "record")
    actions = ("armed_groups",)
    action_handlers = {"armed_groups": "_on_groups"}  # read by `tolqyn describe`
    action_args = {  # checked when a scenario loads
        "armed_groups": (
            Arg("persons", low=0.0, required=True),
            Arg("regions", "regions", required=True),
        )
    }

    @classmethod
    def define_params(cls):
        return [
            Param(
                "repertoire_on",
                True,
                "switch: off keeps every protester peaceful (no violent repertoire)",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "violence_threshold",
                0.7,
                "θ_0: violent propensity G·(1 − R) needed to turn violent in a calm, "
                "connected, unrepressed crowd",
                0.0,
                1.0,
                unit="1",
                citation=CITE_R + "; hand-tuned (docs/odd/country.md §8)",
            ),
            Param(
                "violence_blackout",
                0.05,
                "b_ω: fall of θ in a full blackout (violent tactics need less coordination)",
                0.0,
                1.0,
                unit="1",
                citation="Rydzak 2019; Rydzak, Karanja & Opiyo 2020; assumption for the size",
            ),
            Param(
                "violence_backlash",
                1.0,
                "b_B: fall of θ when the whole crowd was repressed last step (B = 1)",
                0.0,
                1.0,
                unit="1",
                citation="Lichbach 1987 (proposition 1); Davenport 2007; assumption for the size",
            ),
            Param(
                "violence_backlash_death_weight",
                20.0,
                "κ: a killing at the site counts as this many arrests in B",
                0.0,
                1000.0,
                unit="arrests/death",
                citation="assumption (as backfire_death_weight, mechanism 7)",
            ),
            Param(
                "violence_contagion",
                0.1,
                "b_V: fall of θ at a wholly violent site (v = 1)",
                0.0,
                1.0,
                unit="1",
                citation="assumption (violence spreads within a crowd)",
            ),
            Param(
                "violence_arms",
                0.1,
                "b_W: fall of θ when every violent protester at the site is armed",
                0.0,
                1.0,
                unit="1",
                citation="assumption (seized armouries: unrest_2022.csv, KNB Almaty 5 Jan)",
            ),
            Param(
                "violence_deterrence",
                0.6,
                "b_P: rise of θ per unit of the site's arrest probability P",
                0.0,
                5.0,
                unit="1",
                citation="Muller & Weede 1990 (inverted U); Epstein 2002 (rule A); assumption",
            ),
            Param(
                "violence_lethal_deterrence",
                0.3,
                "b_λ: rise of θ per unit of the site's lethal risk λ (shoot order)",
                0.0,
                5.0,
                unit="1",
                citation="Davenport 2007 (lethal repression deters in the short run); assumption",
            ),
            Param(
                "violence_structure",
                "emergent",
                "where the violence comes from: emergent (only from the protesters' own "
                "repertoire choice; `armed_groups` events place no one) or organised (the "
                "'hijacked protest' reading: `armed_groups` events place organised groups, "
                "violent from the start, at the focal sites of the regions they name)",
                kind="choice",
                choices=VIOLENCE_STRUCTURE,
                sweepable=False,
                citation="security_forces.csv (official claim of 20,000 attackers, unverified); "
                "docs/odd/country.md section 7.13",
            ),
            Param(
                "armed_group_scale",
                1.0,
                "share of an `armed_groups` event's persons who were there (1 takes the "
                "event's figure, e.g. an official claim, at its word)",
                0.0,
                1.0,
                unit="1",
                citation="assumption (the claim is unverified)",
            ),
            Param(
                "armed_group_armed_share",
                0.5,
                "share of an organised group's members who carry firearms",
                0.0,
                1.0,
                unit="1",
                citation="assumption",
            ),
        ]

    def define_states(self):
        return [State("violent", np.uint8, 0, "1 if active in the violent repertoire")]

    def define_results(self):
        return [
            Result("violent", "citizens protesting violently (status count)", "count", True),
            Result(
                "armed_groups",
                "members of organised violent groups present (persons)",
                "value",
                True,
            ),
        ]

    def init(self, sim):
        cs = sim.country
        self._counts = np.zeros(cs.n_loc)
        self._by_region = np.zeros(cs.n_reg)
        self._lags = None  # delay lines of the backlash and the violent share
        sim.timeline.on("armed_groups", self._on_groups)

    def _on_groups(self, sim, persons, regions):
        """Organised violent groups: `persons` members spread over `regions` by population."""
        if sim.params["violence_structure"] != "organised":
            return
        cs = sim.country
        if not (isinstance(persons, (int, float)) and persons >= 0):
            raise ScenarioError(
                f"armed_groups: persons must be >= 0, got {persons!r}",
                source=sim.scenario.source,
                field="events.params.persons",
            )
        mask = cs.region_mask(regions, sim.scenario.source)
        w = np.where(mask, cs.reg_persons, 0.0)
        add = float(persons) * float(sim.params["armed_group_scale"]) * w / max(w.sum(), 1.0)
        cs.groups_reg += add
        cs.armed_reg += float(sim.params["armed_group_armed_share"]) * add
        cs.log.append((sim.t, f"armed groups +{persons} in {regions}"))

    def group_sites(self, cs):
        """Organised groups stand at their regions' focal sites (persons by site)."""
        g = np.zeros(cs.n_loc)
        np.add.at(g, cs.focal, cs.groups_reg)
        return g

    def step(self, sim, phase):
        p, pop, cs = sim.params, sim.pop, sim.country
        if phase == "record":
            count_status_by(pop.violent, 1, pop.region, self._by_region)
            v = self._by_region  # agents: the export multiplies counts by the scale
            sim.results.record("violent", sim.t, float(v.sum()), v.copy())
            sim.results.record("armed_groups", sim.t, float(cs.groups_reg.sum()), cs.groups_reg)
            return
        if not p["repertoire_on"]:
            pop.violent[:] = 0
            cs.site_violent[:] = 0.0
            return
        # the repression a crowd met and its violent share are seen δ days later (mechanism
        # 2's perception lag; the last step's at dt = δ)
        k = sim.clock.lag_steps(float(p["perception_lag_days"]), "perception_lag_days")
        if self._lags is None or self._lags[0].k != k:
            self._lags = (DelayLine(cs.site_backlash, k), DelayLine(cs.site_vshare, k))
        backlash = self._lags[0].shift(cs.site_backlash)
        vshare = self._lags[1].shift(cs.site_vshare)
        armed_site = np.zeros(cs.n_loc)
        np.add.at(armed_site, cs.focal, cs.armed_reg)
        armed_share = np.divide(
            armed_site, np.maximum(vshare * (cs.site_active + 1.0), 1.0), out=np.zeros(cs.n_loc)
        )
        online = (
            blackout_online(p["blackout_structure"], cs.online, "violence")
            if p["information_on"]
            else 0.0
        )
        theta = violence_threshold(
            p, online, backlash, vshare, armed_share, cs.p_arrest, cs.lethal_risk
        )
        repertoire_kernel(
            pop.status,
            pop.grievance,
            pop.risk_aversion,
            pop.site,
            theta,
            pop.violent,
            self._counts,
        )
        cs.site_violent[:] = self._counts * cs.scale + self.group_sites(cs)
