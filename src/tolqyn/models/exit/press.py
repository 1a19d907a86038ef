"""The press and the voices in exile: critical journalists and bloggers whose jailing or exile
changes what the online channel carries.

A small group — critical journalists and bloggers, a share `journalist_share` of the population
(about a thousand people in Kazakhstan) — is followed as a cohort in persons, not as agents: at
one agent per 400 citizens it would be two or three agents, too few to carry the mechanism. Its
members are at home and working (N_h), jailed (N_j) or in exile (N_e); the flows of a step of Δ
years are binomial draws (counter-based stream "press", keyed by the step):

    jailed   ~ Bin(N_h, 1 − exp(−r_J · p(t) · Δ))           p(t): press-repression index
    exiled   ~ Bin(N_h − jailed, 1 − exp(−r_E · p(t) · Δ))
    released ~ Bin(N_j, 1 − exp(−Δ / term))                  back home and working

p(t) = (rank − 1) / (countries − 1) from Reporters Without Borders' index for Kazakhstan
(press_freedom_rsf.csv; 0 = the freest country, 1 = the least free), linear between editions.
What the online channel carries is the critical content

    C(t) = (N_h + w_e · N_e) / N_0                           w_e: reach of a voice from abroad

and it acts in two ways:
* less critical content: the online channel's legitimacy slant rises, s_online += κ · (1 − C);
* fear (the chilling effect): every citizen's bandwagon threshold rises by a_chill · N_j / N_0,
  the share of the group in jail (mechanism 3's τ0).

Sources: Siegel 2011 and Lawrence 2017 (arresting visible nodes changes what a network carries);
Stern & Hassid 2012 (self-censorship under the threat of arrest — the chilling effect); Guriev &
Treisman 2019 (informational autocrats jail few journalists but enough to be seen); Hirschman
1970 and Moses 2005 (exit that keeps a voice: emigrant voice towards home); seeds 000 and 004
(bloggers jailed for reprinting a text; the journalist who left to keep writing). Every rate and
weight is an assumption (docs/odd/exit.md §7.8): the mechanism is off in the replay
(`press_on = false`) and enters through the free-press counterfactual, which compares the
historical index with a free one, both with the mechanism on."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.models.exit.slants import slant_shifts

CITE = "Siegel 2011; Lawrence 2017; Stern & Hassid 2012; Guriev & Treisman 2019; seeds 000, 004"

# the ranges the free-press counterfactual draws the unidentified parameters from (§7.8)
PRIOR_RANGES = {
    "press_jail_rate": (0.005, 0.05),
    "press_exile_rate": (0.01, 0.08),
    "press_slant_weight": (0.05, 0.3),
    "press_chill": (0.0, 2.0),
    "exile_voice_weight": (0.2, 0.8),
}


@lru_cache(maxsize=1)
def press_repression_points() -> tuple[np.ndarray, np.ndarray]:
    """(edition year, index p) of the RSF editions in the package."""
    from tolqyn.data.loaders import DataError, read_csv

    t = read_csv("press_freedom_rsf.csv")
    rank, n = t["rank"], t["countries"]
    bad = np.flatnonzero(rank > n)
    if bad.size:
        raise DataError(
            f"row {bad[0] + 2}: rank above the number of countries", source=t.source, field="rank"
        )
    order = np.argsort(t["edition"])
    return t["edition"][order].astype(float), ((rank - 1) / (n - 1))[order].astype(float)


def press_repression(year: float) -> float:
    ys, vs = press_repression_points()
    return float(np.interp(year, ys, vs))


class Press(Module):
    name = "press"
    phases = ("exogenous", "record")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "press_on",
                False,
                "switch: critical journalists and bloggers as a cohort "
                "whose jailing and exile change the online channel",
                kind="bool",
                sweepable=False,
                citation=CITE,
            ),
            Param(
                "journalist_share",
                5e-5,
                "critical journalists and bloggers, share of the population",
                0.0,
                0.01,
                unit="1",
                citation="assumption (§7.8: about 1,000 people in Kazakhstan)",
            ),
            Param(
                "press_repression_override",
                -1.0,
                "p held at this value instead of the "
                "RSF index (−1 = the index; 0.1 ≈ a free press)",
                -1.0,
                1.0,
                unit="1",
                citation="press_freedom_rsf.csv",
            ),
            Param(
                "press_jail_rate",
                0.02,
                "r_J: yearly rate of jailing a working journalist at p = 1",
                0.0,
                1.0,
                unit="1/year",
                citation="assumption; " + CITE,
            ),
            Param(
                "press_exile_rate",
                0.04,
                "r_E: yearly rate of leaving the country at p = 1",
                0.0,
                1.0,
                unit="1/year",
                citation="assumption; Moses 2005",
            ),
            Param(
                "press_jail_term",
                3.0,
                "mean time in jail",
                0.1,
                20.0,
                unit="years",
                citation="assumption",
            ),
            Param(
                "exile_voice_weight",
                0.5,
                "w_e: reach of a journalist's voice from abroad, relative to at home",
                0.0,
                1.0,
                unit="1",
                citation="assumption; Moses 2005",
            ),
            Param(
                "press_slant_weight",
                0.15,
                "κ: rise of the online slant when all critical content is gone",
                0.0,
                1.0,
                unit="1",
                citation="assumption; " + CITE,
            ),
            Param(
                "press_chill",
                1.0,
                "a_chill: rise of every bandwagon threshold per unit share of the group in jail",
                0.0,
                10.0,
                unit="1",
                citation="assumption; Stern & Hassid 2012",
            ),
        ]

    def define_results(self):
        return [
            Result(
                "journalists_home", "critical journalists and bloggers at home, working", "value"
            ),
            Result("journalists_jailed", "critical journalists and bloggers in jail", "value"),
            Result("journalists_exiled", "critical journalists and bloggers in exile", "value"),
            Result("press_repression", "p: press-repression index used in the step", "value"),
            Result(
                "critical_content",
                "C: critical content the online channel carries (1 = as at the start)",
                "value",
            ),
        ]

    def init(self, sim):
        p = sim.params
        self.on = bool(p["press_on"])
        self.stream = sim.streams("press")
        n0 = float(p["journalist_share"]) * float(sim.pop.n) * float(sim.scale)
        self.n0 = int(round(n0))
        self.home, self.jailed, self.exiled = self.n0, 0, 0
        self.p_now = float("nan")
        self.content = 1.0
        self._chill_applied = 0.0
        self._slant = slant_shifts(sim)

    def index_at(self, sim) -> float:
        override = float(sim.params["press_repression_override"])
        if override >= 0.0:
            return override
        mid = sim.clock.midpoint(sim.t)
        if mid is None:
            return 0.0
        year = mid.year + (mid.timetuple().tm_yday - 1) / 365.25
        return press_repression(year)

    def step(self, sim, phase):
        if phase == "record":
            for m, v in (
                ("journalists_home", self.home),
                ("journalists_jailed", self.jailed),
                ("journalists_exiled", self.exiled),
                ("press_repression", self.p_now),
                ("critical_content", self.content),
            ):
                sim.results.record(m, sim.t, float(v))
            return
        if not self.on or self.n0 == 0:
            return
        p = sim.params
        years = sim.clock.dt / 365.25
        self.p_now = self.index_at(sim)
        # counter-based counts, one index each: a change in one rate leaves the others' draws
        b = self.stream.binomial
        pj = 1.0 - math.exp(-float(p["press_jail_rate"]) * self.p_now * years)
        jail = b(sim.t, self.home, pj, index=0)
        pe = 1.0 - math.exp(-float(p["press_exile_rate"]) * self.p_now * years)
        leave = b(sim.t, self.home - jail, pe, index=1)
        free = b(sim.t, self.jailed, 1.0 - math.exp(-years / float(p["press_jail_term"])), index=2)
        self.home += free - jail - leave
        self.jailed += jail - free
        self.exiled += leave
        self.content = (self.home + float(p["exile_voice_weight"]) * self.exiled) / self.n0
        self._apply(sim)

    def _apply(self, sim):
        p = sim.params
        shift = float(p["press_slant_weight"]) * max(0.0, 1.0 - self.content)
        self._slant.set(p, "press", "slant_online", shift)
        # fear: thresholds move by the change of the jailed share since the last step
        chill = float(p["press_chill"]) * self.jailed / self.n0
        if chill != self._chill_applied:
            tau0 = sim.pop.tau0  # mechanism 3's own thresholds: the exit model always has it
            tau0 += tau0.dtype.type(chill - self._chill_applied)
            self._chill_applied = chill
