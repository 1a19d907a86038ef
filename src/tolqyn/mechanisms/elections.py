"""Mechanism 12 — an election: a chance to replace the government and a legitimacy event. One
mechanism for the decade model (mechanism 12 of docs/odd/exit.md, elections every N years,
`tolqyn.models.exit.accountability`) and for the country model (an election of a scenario's
timeline, `election_result` events, docs/odd/episodes.md §3).

Turnover. At an election e the incumbent loses with

    P_lose(e) = c · 1 / (1 + exp((L̄ − L*) / w))

c: how competitive elections are (0 = a formality, 1 = free and fair); L̄: mean perceived
legitimacy of the resident population; L*: the legitimacy at which a free election is a coin
toss; w: how sharply. The draw uses the counter-based stream "accountability" keyed by the
election's index. A change of government is a fresh mandate (legitimacy shock +λ everywhere)
and voice seen to work (k concessions credited, mechanism 10); Clark, Golder & Golder 2017;
Besley 2006.

Official result against what citizens see. Where the official result is known, each unit
compares the incumbent's official votes per registered voter with the share of its residents
who support the regime (L_i ≥ L_v: who would vote for it):

    gap_r = max(0, v · τ_r − ŝ_r)          v: official vote share, τ_r: official turnout in r
    Δ_r   = −γ · gap_r                     relative fall of legitimacy (mechanism 7's shock)

A result above what people see around them reads as fraud; fraud is a grievance and a focal
point that turns private discontent into common knowledge (Tucker 2007; Kuntz & Thompson
2009; Fearon 2011). ŝ_r is measured once per election, on its day (or at its
first count); a later count of the same election (preliminary, then final) replaces the
earlier one: only the revision of Δ_r is applied. γ and L_v are assumptions (docs/odd/
episodes.md §3): no episode was used to set them."""

from __future__ import annotations

import math

import numpy as np

from tolqyn.core import status as S
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.random import draw_u01
from tolqyn.core.results import Result
from tolqyn.core.timeline import Arg

CITE = "Clark, Golder & Golder 2017; Besley 2006; Ferraz & Finan 2011; seeds 000, 004"
CITE_FRAUD = "Tucker 2007 (Perspectives on Politics 5(3)); Kuntz & Thompson 2009; Fearon 2011"


def election_params() -> list:
    """The parameters of an election, declared once for every model that holds elections."""
    return [
        Param(
            "election_competitiveness",
            0.0,
            "c: how competitive the elections are (0 a formality, 1 free and fair)",
            0.0,
            1.0,
            unit="1",
            citation=CITE,
        ),
        Param(
            "election_survival_legitimacy",
            0.45,
            "L*: mean legitimacy at which a free election is a coin toss for the incumbent",
            0.0,
            1.0,
            unit="1",
            citation="assumption (docs/odd/exit.md §7.7)",
        ),
        Param(
            "election_survival_width",
            0.05,
            "w: width of the logistic of losing against mean legitimacy",
            0.001,
            1.0,
            unit="1",
            citation="assumption (docs/odd/exit.md §7.7)",
        ),
        Param(
            "turnover_concessions",
            1.0,
            "k: concessions credited to voice when a government is replaced (efficacy of "
            "voice, mechanism 10)",
            0.0,
            10.0,
            unit="concessions",
            citation="assumption; Hirschman 1970 (voice that is heard)",
        ),
        Param(
            "turnover_legitimacy",
            0.05,
            "λ: legitimacy shock of a fresh mandate (mechanism 7), share of the gap to 1",
            0.0,
            1.0,
            unit="1",
            citation="assumption; Lemos, Lopes & Coelho 2016 (consent as a source of L)",
        ),
        Param(
            "fraud_legitimacy",
            1.0,
            "γ: relative fall of legitimacy per unit of the official incumbent vote (per "
            "registered voter) above the share of residents who support the regime",
            0.0,
            10.0,
            unit="1",
            citation="assumption (docs/odd/episodes.md §3); " + CITE_FRAUD,
        ),
        Param(
            "vote_legitimacy",
            0.5,
            "L_v: perceived legitimacy from which a citizen supports (would vote for) the regime",
            0.0,
            1.0,
            unit="1",
            citation="assumption (docs/odd/episodes.md §3)",
        ),
    ]


def lose_probability(mean_legitimacy: float, p) -> float:
    c = float(p["election_competitiveness"])
    z = (mean_legitimacy - float(p["election_survival_legitimacy"])) / float(
        p["election_survival_width"]
    )
    return c / (1.0 + math.exp(min(50.0, z)))


def support_share(pop, n_regions: int, vote_at: float) -> np.ndarray:
    """ŝ_r: share of living residents of each unit with L_i ≥ L_v."""
    alive = pop.status < S.EMIGRATED
    reg = pop.region[alive]
    n = np.bincount(reg, minlength=n_regions).astype(np.float64)
    k = np.bincount(reg[pop.legitimacy[alive] >= vote_at], minlength=n_regions)
    return np.divide(k, n, out=np.zeros(n_regions), where=n > 0)


def fraud_shock(official_share, turnout, support, gamma) -> np.ndarray:
    """Δ_r = −γ·max(0, v·τ_r − ŝ_r)."""
    return -float(gamma) * np.maximum(0.0, float(official_share) * np.asarray(turnout) - support)


def hold_election(sim, key, index: int) -> bool:
    """The turnover draw of election `index` (stream key `key`); on a change of government the
    fresh mandate and the concessions are applied. Returns whether the government changed."""
    p, pop, cs = sim.params, sim.pop, sim.country
    alive = pop.status < S.EMIGRATED
    mean_l = float(np.mean(pop.legitimacy[alive])) if alive.any() else 0.0
    u = draw_u01(key, 0, index, 0)
    if u >= lose_probability(mean_l, p):
        return False
    cs.concessions += float(p["turnover_concessions"])
    cs.legit_shock[:] += float(p["turnover_legitimacy"])
    return True


class Elections(Module):
    """Elections of a scenario's timeline in the country model (the turnover draw and the
    official result), with the same parameters as the decade model's accountability."""

    name = "elections"
    phases = ("record",)
    actions = ("election", "election_result")
    action_handlers = {"election": "_on_election", "election_result": "_on_result"}
    action_args = {
        "election": (Arg("election", "str", doc="a name for the election"), Arg("label", "str")),
        "election_result": (
            Arg("election", "str", doc="the election it counts (default: the last held)"),
            Arg("incumbent_share", low=0.0, high=1.0, required=True, doc="official vote share v"),
            Arg("turnout", low=0.0, high=1.0, required=True, doc="official turnout τ"),
            Arg("regions", "regions"),
            Arg("label", "str"),
        ),
    }

    @classmethod
    def define_params(cls):
        return election_params()

    def define_results(self):
        return [
            Result("elections", "elections held in the step", "value", measure="flow"),
            Result(
                "government_changes", "governments replaced in the step", "value", measure="flow"
            ),
            Result("election_fraud_shock", "legitimacy shock of official results", "value", True),
        ]

    def init(self, sim):
        self._key = sim.streams("accountability").key
        self.n_elections = 0
        self._held = self._changed = 0
        self._last = ""
        self._applied: dict[str, np.ndarray] = {}
        self._support: dict[str, np.ndarray] = {}
        self._shock = np.zeros(sim.country.n_reg)
        for action, attr in self.action_handlers.items():
            sim.timeline.on(action, getattr(self, attr))

    def _on_election(self, sim, election="", label=""):
        """An election is held: the turnover draw (competitiveness c) and its expectations."""
        self._last = election or f"election-{self.n_elections}"
        self._applied.setdefault(self._last, np.zeros(sim.country.n_reg))
        self._support_at(sim, self._last)
        changed = hold_election(sim, self._key, self.n_elections)
        self.n_elections += 1
        self._held += 1
        self._changed += int(changed)
        if changed:
            self._after_turnover(sim)
        return changed

    def _support_at(self, sim, name):
        """ŝ_r as citizens saw it on election day (or at its first count): every count of the
        same election is compared with the same expectation."""
        if name not in self._support:
            cs = sim.country
            self._support[name] = support_share(
                sim.pop, cs.n_reg, float(sim.params["vote_legitimacy"])
            )
        return self._support[name]

    def _after_turnover(self, sim):
        """What else a change of government does in a model (the decade model's corruption)."""

    def _on_result(self, sim, incumbent_share, turnout, election="", regions="ALL", label=""):
        """An official count: incumbent votes per registered voter against the support seen."""
        cs, p = sim.country, sim.params
        name = election or self._last or "election-0"
        mask = cs.region_mask(regions, sim.scenario.source)
        ss = self._support_at(sim, name)
        new = fraud_shock(incumbent_share, turnout, ss, p["fraud_legitimacy"])
        old = self._applied.setdefault(name, np.zeros(cs.n_reg))
        delta = np.where(mask, new - old, 0.0)
        old[mask] = new[mask]
        cs.legit_shock += delta
        self._shock += delta

    def step(self, sim, phase):
        sim.results.record("elections", sim.t, self._held)
        sim.results.record("government_changes", sim.t, self._changed)
        sim.results.record(
            "election_fraud_shock", sim.t, float(self._shock.min(initial=0.0)), self._shock.copy()
        )
        self._held = self._changed = 0
        self._shock[:] = 0.0
