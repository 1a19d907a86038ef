"""Mechanism 17 — announced rallies and pre-emptive repression: a call to rally, and what a
state does before the day: a ban, detentions of those who said they would come, cordons at
the announced sites, and blocks of social media or mobile internet in some units.

    call       s_i += w_K · a_{d(i)} · ω_{r(i)}                on the called days, in the called units
    ban        risk_l += r_B                                   from the ban to the end of the called days
    campaign   risk_l += r_D,  and each day a willing citizen of unit r who is reachable online
               (G_i > T, online diet) is detained w.p. p_r = min(1, α·π·C_r·dt / W_r)
    cordon     police_site += κ·C_r (moved from the unit's other localities), or + persons sent in
    block      ω_r = min(ω, min over the blocks in force in r of their level)

s: the seen share of mechanism 6 (the input of the bandwagon rule); a call is common
knowledge of a date and a place, the coordination device that a protest without leaders lacks
(Schelling 1960; Lohmann 1994; Kuran 1991), received through online channels (a_d: the online
reach of diet d, ω_r the internet in r). A ban makes any gathering illegal, a detention
campaign announces that the police know who is coming: both raise the risk people perceive
(Epstein's P; the default of both is the curfew's c_E, mechanism 14). The campaign takes
people out before the day (Siegel 2011: removing the connected breaks collective action;
Davenport 2007: preventive repression), with the capacity of the calibrated arrest rate α of
mechanism 4 for the share π of a unit's street police C_r assigned to it; W_r: willing
citizens (persons). A cordon is Epstein's rule A at the announced site: more forces per
protester there, so a higher arrest probability (mechanism 2). A block sets the internet of
mechanism 6 in the units it covers (the national level ω stays the `internet` action's; the
more severe of the two applies). Detainees serve terms drawn as mechanism 4's (the event's
term range), counted in `arrests` and `detained_cumulative`.

Sizes are assumptions (docs/odd/episodes.md §4); none was set from an episode."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core import status as S
from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.core.timeline import Arg
from tolqyn.mechanisms.cordons import _days

CITE_CALL = "Schelling 1960; Lohmann 1994; Kuran 1991 (focal points and coordination)"
CITE_PRE = "Davenport 2007 (preventive repression); Siegel 2011; Epstein 2002 (P)"


@njit(parallel=True, cache=True)
def call_seen_kernel(status, region, media, call_r, access, seen):
    for i in prange(status.shape[0]):
        c = call_r[region[i]]
        if c <= 0.0 or status[i] >= 3:
            continue
        s = seen[i] + c * access[media[i]]
        seen[i] = s if s < 1.0 else 1.0


class AnnouncedRallies(Module):
    name = "announced"
    phases = ("exogenous", "channels", "perceive", "consequences", "record")
    actions = ("rally_call", "rally_ban", "preemptive_detention", "internet_block")
    action_handlers = {a: f"_on_{a}" for a in actions}
    action_args = {
        "rally_call": (
            Arg("regions", "regions"),
            Arg("days", low=0.0, high=3650.0, doc="days called (default 1)"),
            Arg("label", "str"),
        ),
        "rally_ban": (
            Arg("regions", "regions"),
            Arg("days", low=0.0, high=3650.0, doc="days in force (default 1)"),
            Arg("label", "str"),
        ),
        "preemptive_detention": (
            Arg("regions", "regions"),
            Arg("days", low=0.0, high=3650.0, doc="length of the campaign (default 1)"),
            Arg("term_min", low=0.0, high=3650.0, doc="shortest term (default jail_min_days)"),
            Arg("term_max", low=0.0, high=3650.0, doc="longest term (default jail_max_days)"),
            Arg("label", "str"),
        ),
        "internet_block": (
            Arg("level", low=0.0, high=1.0, required=True, doc="availability, 1 = normal"),
            Arg("regions", "regions"),
            Arg("days", low=0.0, high=3650.0, doc="days in force (default 1)"),
            Arg("label", "str"),
        ),
    }

    @classmethod
    def define_params(cls):
        return [
            Param(
                "call_weight",
                0.1,
                "w_K: share added to what a citizen reached online sees on a called day",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/episodes.md §4); " + CITE_CALL,
            ),
            Param(
                "ban_risk",
                0.03,
                "r_B: risk added where a rally is banned (the default is curfew_risk)",
                0.0,
                5.0,
                unit="1",
                citation="assumption, equal to curfew_risk; " + CITE_PRE,
            ),
            Param(
                "preemptive_risk",
                0.03,
                "r_D: risk added where a pre-emptive detention campaign runs (the default is "
                "curfew_risk)",
                0.0,
                5.0,
                unit="1",
                citation="assumption, equal to curfew_risk; " + CITE_PRE,
            ),
            Param(
                "preemptive_police_share",
                0.1,
                "π: share of a unit's street police assigned to a pre-emptive detention campaign",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/episodes.md §4)",
            ),
        ]

    def define_results(self):
        return [
            Result(
                "preemptive_detentions", "detained before a called rally", "count", True, "flow"
            ),
            Result("online_region", "internet availability by unit (1 up)", "value", True),
        ]

    def init(self, sim):
        cs = sim.country
        self.stream = sim.streams("preemptive")
        self.calls: list[tuple[int, np.ndarray]] = []
        self.bans: list[tuple[int, np.ndarray]] = []
        self.campaigns: list[tuple[int, np.ndarray, float, float]] = []
        self.blocks: list[tuple[int, np.ndarray, float]] = []
        self._detained = np.zeros(cs.n_reg)
        cs.online_region[:] = 1.0
        for action, attr in self.action_handlers.items():
            sim.timeline.on(action, getattr(self, attr))

    def _end(self, sim, days):
        return sim.t + _days(days, sim.clock.dt) - 1

    def _mask(self, sim, regions):
        return sim.country.region_mask(regions, sim.scenario.source)

    def _on_rally_call(self, sim, regions="ALL", days=1.0, label=""):
        """A call to rally on `days` days: the date and place become common knowledge online."""
        self.calls.append((self._end(sim, days), self._mask(sim, regions)))

    def _on_rally_ban(self, sim, regions="ALL", days=1.0, label=""):
        """Rallies are banned for `days` days: gathering is illegal, perceived risk rises."""
        self.bans.append((self._end(sim, days), self._mask(sim, regions)))

    def _on_preemptive_detention(
        self, sim, regions="ALL", days=1.0, term_min=None, term_max=None, label=""
    ):
        """Police detain those who said they would come, for `days` days before a rally."""
        p = sim.params
        lo = float(p["jail_min_days"] if term_min is None else term_min)
        hi = float(p["jail_max_days"] if term_max is None else term_max)
        if hi < lo:
            raise ScenarioError(
                f"preemptive_detention: term_max {hi:g} < term_min {lo:g}",
                source=sim.scenario.source,
            )
        self.campaigns.append((self._end(sim, days), self._mask(sim, regions), lo, hi))

    def _on_internet_block(self, sim, level, regions="ALL", days=1.0, label=""):
        """Internet at `level` of normal in `regions` for `days` days (social media, mobile data)."""
        self.blocks.append((self._end(sim, days), self._mask(sim, regions), float(level)))

    def _in_force(self, t):
        self.calls = [c for c in self.calls if c[0] >= t]
        self.bans = [c for c in self.bans if c[0] >= t]
        self.campaigns = [c for c in self.campaigns if c[0] >= t]
        self.blocks = [c for c in self.blocks if c[0] >= t]

    @staticmethod
    def _any(items, n):
        out = np.zeros(n, dtype=bool)
        for it in items:
            out |= it[1]
        return out

    def step(self, sim, phase):
        cs, p, pop, t = sim.country, sim.params, sim.pop, sim.t
        if phase == "record":
            sim.results.record(
                "preemptive_detentions", t, float(self._detained.sum()), self._detained.copy()
            )
            sim.results.record(
                "online_region", t, float(cs.online_region.min()), cs.online_region.copy()
            )
            self._detained[:] = 0.0
            return
        if phase == "exogenous":
            self._in_force(t)
            lev = np.ones(cs.n_reg)
            for _, mask, level in self.blocks:
                lev = np.where(mask, np.minimum(lev, level), lev)
            cs.online_region[:] = lev
            return
        if phase == "channels":
            if not self.calls or not p["information_on"]:
                return
            online = np.minimum(cs.online, cs.online_region)
            call_r = float(p["call_weight"]) * online * self._any(self.calls, cs.n_reg)
            access = np.array(
                [p["online_access_state_tv"], p["online_access_foreign_tv"], 1.0], dtype=float
            )
            call_seen_kernel(pop.status, pop.region, pop.media_diet, call_r, access, pop.seen)
            return
        if phase == "perceive":
            add = float(p["ban_risk"]) * self._any(self.bans, cs.n_reg) + float(
                p["preemptive_risk"]
            ) * self._any(self.campaigns, cs.n_reg)
            if add.any():
                cs.risk += add[cs.loc_region]
            return
        # consequences: the day's pre-emptive detentions (after mechanism 4's arrests)
        if not self.campaigns or not p["repression_on"]:
            return
        self._detain(sim)

    def _detain(self, sim):
        cs, p, pop, t, dt = sim.country, sim.params, sim.pop, sim.t, sim.clock.dt
        willing = (
            (pop.status == S.QUIET)
            & (pop.media_diet == 2)
            & (pop.grievance > float(p["activation_threshold"]))
        )
        street = np.bincount(cs.loc_region, weights=cs.police_base, minlength=cs.n_reg)
        for _, mask, lo, hi in self.campaigns:
            cand = np.flatnonzero(willing & mask[pop.region])
            if cand.size == 0:
                continue
            w_r = np.bincount(pop.region[cand], minlength=cs.n_reg) * cs.scale
            cap = float(p["arrest_rate"]) * float(p["preemptive_police_share"]) * street * dt
            p_r = np.minimum(1.0, np.divide(cap, w_r, out=np.zeros(cs.n_reg), where=w_r > 0))
            u = self.stream.uniform_for(t, cand, slot=0)
            take = cand[u < p_r[pop.region[cand]]]
            if take.size == 0:
                continue
            term = lo + (hi - lo) * self.stream.uniform_for(t, take, slot=1)
            steps = np.maximum(1, np.ceil(term / dt - 1e-9)).astype(np.int64)
            pop.status[take] = S.JAILED
            pop.release_step[take] = t + steps
            pop.arrested_now[take] = 1
            by = np.bincount(pop.region[take], minlength=cs.n_reg).astype(float)
            cs.arrests_reg += by
            cs.cum_detained_reg += by
            self._detained += by
            willing[take] = False
