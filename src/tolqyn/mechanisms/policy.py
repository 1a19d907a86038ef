"""Mechanism 15 — a law or a policy as a grievance, and a moratorium or a commission as a
concession with a credibility.

A policy p (a law passed, a plan announced) weighs on everyone in the units it concerns in
proportion to its stake and to how salient it is; a suspension (a moratorium, a commission
set up to reconsider it) lifts the share of it that people believe:

    h_r(t)   = Σ_p w_P · stake_p · s_p(t) · m_p(t)            (added to the regional hardship of mechanism 1)
    s_p     ← s_p · 2^(−dt/h_S)                              attention fades (half-life h_S)
    s_p     ← s_p + a·(1 − s_p)                              an announcement of size a makes it salient
    m_p     ← m_p · (1 − c)                                  a suspension believed with credibility c

stake: how much the policy takes from the people it concerns, in units of hardship at full
salience (1 = the default weight w_P); s ∈ [0, 1] its salience; m ∈ [0, 1] the share of the
policy people still expect to be applied (1 until it is suspended). A moratorium is believed
with c_M, a commission to reconsider with c_C < c_M: a commission promises deliberation, not a
decision (Lichbach 1987 on the credibility of concessions; Moore 2000 on accommodation and
repression as substitutes). Attention to an issue rises with its announcements and fades
when nothing new happens (Downs 1972's issue-attention cycle; McCombs & Shaw 1972 on
salience). The term enters hardship H in the same place as the economic shock of mechanism 11
(shock_r of mechanism 1), so legitimacy turns it into grievance: G = H(1 − L).

Every size here is an assumption (docs/odd/episodes.md §2): no episode was used to set one."""

from __future__ import annotations

import numpy as np

from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.core.timeline import Arg

CITE = "Downs 1972 (issue-attention cycle); McCombs & Shaw 1972 (salience)"
CITE_C = "Lichbach 1987 (credibility of concessions); Moore 2000"


class PolicyGrievance(Module):
    name = "policy"
    phases = ("exogenous", "record")
    actions = ("policy_grievance", "policy_salience", "policy_suspend")
    action_handlers = {
        "policy_grievance": "_on_policy",
        "policy_salience": "_on_salience",
        "policy_suspend": "_on_suspend",
    }
    action_args = {
        "policy_grievance": (
            Arg("policy", "str", required=True, doc="a name for the policy (events refer to it)"),
            Arg("stake", low=0.0, high=10.0, doc="hardship at full salience, in units of w_P"),
            Arg("salience", low=0.0, high=1.0, doc="salience when it is passed"),
            Arg("regions", "regions"),
            Arg("label", "str"),
        ),
        "policy_salience": (
            Arg("policy", "str", required=True),
            Arg("size", low=0.0, high=1.0, doc="a: share of the gap to full salience closed"),
            Arg("label", "str"),
        ),
        "policy_suspend": (
            Arg("policy", "str", required=True),
            Arg("kind", "str", doc="moratorium (credibility c_M) or commission (c_C)"),
            Arg("credibility", low=0.0, high=1.0, doc="overrides the kind's credibility"),
            Arg("label", "str"),
        ),
    }

    @classmethod
    def define_params(cls):
        return [
            Param(
                "policy_weight",
                0.1,
                "w_P: hardship of a policy of stake 1 at full salience (about half the hardship "
                "of a doubling of the fuel price where fuel dependence is highest, 0.3·ln 2)",
                0.0,
                2.0,
                unit="hardship",
                citation="assumption (docs/odd/episodes.md §2); " + CITE,
            ),
            Param(
                "policy_salience_half_life",
                30.0,
                "h_S: half-life of the salience of a policy when nothing new is announced",
                0.5,
                3650.0,
                unit="days",
                citation="assumption; Downs 1972 (attention fades within weeks to months)",
            ),
            Param(
                "policy_salience_initial",
                0.5,
                "salience of a law when it is passed (before any announcement)",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/episodes.md §2)",
            ),
            Param(
                "policy_announcement_size",
                0.5,
                "a: share of the gap to full salience closed by an announcement",
                0.0,
                1.0,
                unit="1",
                citation="assumption; McCombs & Shaw 1972",
            ),
            Param(
                "moratorium_credibility",
                0.5,
                "c_M: share of a policy people believe lifted by a moratorium (the same "
                "default as the credibility of a promised price cut, mechanism 5)",
                0.0,
                1.0,
                unit="1",
                citation="assumption, equal to concession_credibility; " + CITE_C,
            ),
            Param(
                "commission_credibility",
                0.2,
                "c_C: share lifted by a commission set up to reconsider (deliberation, not a "
                "decision)",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/episodes.md §2); " + CITE_C,
            ),
        ]

    def define_results(self):
        return [Result("policy_hardship", "hardship added by policies (h_r)", "value", True)]

    def init(self, sim):
        self.policies: dict[str, dict] = {}
        self.hardship = np.zeros(sim.country.n_reg)
        for action, attr in self.action_handlers.items():
            sim.timeline.on(action, getattr(self, attr))

    def _get(self, sim, policy, action):
        if policy not in self.policies:
            from tolqyn.core.errors import UnknownParamError

            raise UnknownParamError(
                policy,
                sorted(self.policies),
                source=sim.scenario.source,
                what=f"policy (in a '{action}' event; declare it with policy_grievance first)",
            )
        return self.policies[policy]

    def _on_policy(self, sim, policy, stake=1.0, salience=None, regions="ALL", label=""):
        """A law or policy becomes a grievance in `regions`: stake at full salience, salience now."""
        cs = sim.country
        s0 = float(sim.params["policy_salience_initial"]) if salience is None else float(salience)
        old = self.policies.get(policy)
        self.policies[policy] = {
            "stake": float(stake),
            "salience": max(s0, old["salience"]) if old else s0,
            "kept": old["kept"] if old else 1.0,
            "mask": cs.region_mask(regions, sim.scenario.source),
        }
        cs.log.append((sim.t, f"policy {policy} (stake {stake})"))

    def _on_salience(self, sim, policy, size=None, label=""):
        """An announcement makes the policy salient: s += size·(1 − s)."""
        pol = self._get(sim, policy, "policy_salience")
        a = float(sim.params["policy_announcement_size"]) if size is None else float(size)
        pol["salience"] += a * (1.0 - pol["salience"])

    def _on_suspend(self, sim, policy, kind="moratorium", credibility=None, label=""):
        """A moratorium or a commission: the share of the policy believed lifted (credibility)."""
        pol = self._get(sim, policy, "policy_suspend")
        if credibility is None:
            if kind not in ("moratorium", "commission"):
                from tolqyn.core.errors import UnknownParamError

                raise UnknownParamError(
                    kind,
                    ["moratorium", "commission"],
                    source=sim.scenario.source,
                    what="kind of policy_suspend",
                )
            credibility = sim.params[f"{kind}_credibility"]
        c = float(credibility)
        if not 0.0 <= c <= 1.0:
            raise ScenarioError(
                f"policy_suspend: credibility must be in [0, 1], got {c!r}",
                source=sim.scenario.source,
            )
        pol["kept"] *= 1.0 - c
        sim.country.log.append((sim.t, f"policy {policy} suspended ({kind}, c={c:g})"))

    def step(self, sim, phase):
        cs = sim.country
        if phase == "record":
            w = cs.reg_persons / max(cs.reg_persons.sum(), 1.0)
            sim.results.record(
                "policy_hardship", sim.t, float((self.hardship * w).sum()), self.hardship.copy()
            )
            return
        p = sim.params
        decay = 2.0 ** (-sim.clock.dt / float(p["policy_salience_half_life"]))
        self.hardship[:] = 0.0
        w = float(p["policy_weight"])
        for pol in self.policies.values():
            self.hardship += np.where(
                pol["mask"], w * pol["stake"] * pol["salience"] * pol["kept"], 0
            )
            pol["salience"] *= decay
        # the regional hardship term of mechanism 1 (Economy has just set its own part)
        if p["grievance_on"]:
            cs.econ_shock += self.hardship
