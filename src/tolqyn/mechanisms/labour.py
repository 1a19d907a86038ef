"""Mechanism 16 — a labour dispute: a workforce with its own grievance, and a strike as a
sustained form of voice that escalates or fades over months.

A dispute d has a workforce W_d: citizens of one locality drawn when the strike starts
(`persons`, counter-based draws of the stream "labour"). Its members keep the grievance of
mechanism 1 and add their own:

    h_i  = w_W · g_d + w_D · [i dismissed]            extra hardship of member i
    g_d  = max(0, 1 − paid_d / demand_d)              the pay withheld, as a share of the pay
                                                      the workers hold they are owed
    G_i ← min(1, G_i + h_i) + w_S·a_d                   (G = H(1 − L) of mechanism 1, h added)
    risk_i = ρ_d + (risk − P)_site                     the legal risk of striking in place of
                                                      the street's arrest risk P (mechanisms 2, 3)
    s_i ← min(1, s_i + w_U · a_d)                     a_d: share of the workforce now on strike

The walkout is an input: when a strike starts its members stop work (become active); from
then on each decides every day by the rule of mechanism 2, and the solidarity payoff w_S·a_d
(Olson 1965's selective incentives, Chong 1991's social incentives: standing with colleagues,
the cost of breaking ranks) makes staying out depend on how many others do, so a strike holds
or unravels as a threshold cascade (Granovetter 1978).

The pay gap is relative deprivation against the pay the workers expect (Gurr 1970: value
expectations against capabilities), weighed as the relative deprivation of mechanism 1 is
(w_W = hardship_rd by default); a dismissal takes the job and with it the income (w_D: the
full weight of relative deprivation). That hardship is a claim on the employer, so it is not
scaled by the regime's legitimacy as mechanism 1's is (G = H(1 − L) is grievance against the
state; Hirschman 1970's voice is addressed to the organisation that fails). Withholding one's
labour is lawful until a court says otherwise: a member weighs the dispute's legal risk ρ_d
in place of the street's arrest probability P (the lethal risk and the fear of demobilisation
of the site stay), in the rule of mechanism 2 and in the threshold of mechanism 3. A court
ruling that the strike is illegal adds to ρ_d (an arrest is now lawful: Epstein's R·P term, for
the members only) and is felt by the workforce as an injustice (a legitimacy shock in its
unit). The union is a network of its own: a member sees how much of the workforce is out (w_U), the organisational
tie that makes a strike last where a crowd disperses (McAdam 1986; Olson 1965 on selective
incentives; Tilly 1978 on organisation and mobilisation). A strike fades through the
fatigue of mechanism 14 (it counts days on strike as days protested), arrests, dismissals
that sever nothing but pay, and a settlement (the gap closes with the credibility of the
offer); it escalates when repression seen in the town turns others (mechanism 7's backfire)
and when dismissals deepen the grievance. Strikers are active citizens: they are counted,
policed, arrested and seen as any protester is.

The workforce's size, locality and demand are inputs of a scenario (the episode's), the
weights are assumptions (docs/odd/episodes.md §1): none was set from an episode."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core import status as S
from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.results import Result
from tolqyn.core.timeline import Arg

CITE = "Gurr 1970 (relative deprivation); McAdam 1986; Olson 1965; Tilly 1978"


@njit(parallel=True, cache=True)
def worker_grievance_kernel(status, member, dismissed, h_gap, w_d, solidarity, g):
    """Adds a member's own hardship to G = H(1 − L) and the solidarity payoff of a strike that
    is on (w_S·a_d). The court's risk ρ_d enters the decision rule (mechanism 2), where it
    replaces the street's arrest risk for members."""
    for i in prange(status.shape[0]):
        d = member[i]
        if d < 0 or status[i] >= 3:
            continue
        h = h_gap[d] + (w_d if dismissed[i] != 0 else 0.0)
        v = g[i] + h
        if v > 1.0:
            v = 1.0
        g[i] = v + solidarity[d]


@njit(parallel=True, cache=True)
def union_seen_kernel(status, member, share, w_u, seen):
    for i in prange(status.shape[0]):
        d = member[i]
        if d < 0 or status[i] >= 3:
            continue
        s = seen[i] + w_u * share[d]
        seen[i] = s if s < 1.0 else 1.0


class LabourDispute(Module):
    name = "labour"
    phases = ("channels", "perceive", "record")
    actions = (
        "strike_start",
        "wage_dispute",
        "court_ruling",
        "dismissal",
        "wage_settlement",
        "rehire",
    )
    action_handlers = {a: f"_on_{a}" for a in actions}
    action_args = {
        "strike_start": (
            Arg("dispute", "str", required=True, doc="a name for the dispute"),
            Arg("persons", low=1.0, high=1e7, required=True, doc="size of the workforce"),
            Arg("locality", "str", required=True, doc="the locality where the workers live"),
            Arg("demand", low=1e-9, doc="pay the workers hold they are owed (any unit)"),
            Arg("paid", low=0.0, doc="pay they receive (the same unit)"),
            Arg("label", "str"),
        ),
        "wage_dispute": (
            Arg("dispute", "str", required=True),
            Arg("demand", low=1e-9),
            Arg("paid", low=0.0),
            Arg("label", "str"),
        ),
        "court_ruling": (
            Arg("dispute", "str", required=True),
            Arg("risk", low=0.0, high=5.0, doc="risk added to striking (default ρ)"),
            Arg("legitimacy", low=-1.0, high=1.0, doc="shock in the unit (default −λ_C)"),
            Arg("label", "str"),
        ),
        "dismissal": (
            Arg("dispute", "str", required=True),
            Arg("persons", low=0.0, high=1e7, required=True, doc="workers dismissed (total)"),
            Arg("label", "str"),
        ),
        "wage_settlement": (
            Arg("dispute", "str", required=True),
            Arg("paid", low=0.0, doc="new pay (default: the demand)"),
            Arg("credibility", low=0.0, high=1.0, doc="share believed (default c_S)"),
            Arg("label", "str"),
        ),
        "rehire": (
            Arg("dispute", "str", required=True),
            Arg("credibility", low=0.0, high=1.0, doc="share of the dismissed who believe it"),
            Arg("label", "str"),
        ),
    }

    @classmethod
    def define_params(cls):
        return [
            Param(
                "wage_gap_weight",
                0.45,
                "w_W: hardship per unit pay gap (share of the owed pay withheld); the default "
                "is the weight of relative deprivation in mechanism 1 (hardship_rd)",
                0.0,
                2.0,
                unit="hardship",
                citation="assumption, equal to hardship_rd; " + CITE,
            ),
            Param(
                "dismissal_hardship",
                0.45,
                "w_D: hardship of a dismissed worker (the income falls to the bottom of the "
                "locality: the full relative-deprivation weight)",
                0.0,
                2.0,
                unit="hardship",
                citation="assumption, equal to hardship_rd; Gurr 1970",
            ),
            Param(
                "union_weight",
                0.35,
                "w_U: weight of the share of one's workforce on strike in what a member sees "
                "(the default is the weight of word of mouth, w_contacts)",
                0.0,
                2.0,
                unit="1",
                citation="assumption, equal to w_contacts; McAdam 1986; Tilly 1978",
            ),
            Param(
                "solidarity_weight",
                0.35,
                "w_S: net grievance added to a member by the share of the workforce on strike "
                "(the social payoff of standing with one's colleagues, the cost of breaking "
                "ranks); the default is the union's weight in what a member sees, w_U",
                0.0,
                2.0,
                unit="1",
                citation="assumption, equal to union_weight; Olson 1965 (selective incentives); "
                "Chong 1991 (social incentives in collective action)",
            ),
            Param(
                "illegal_strike_risk",
                0.1,
                "ρ: risk added to striking once a court declares the strike illegal",
                0.0,
                5.0,
                unit="1",
                citation="assumption (docs/odd/episodes.md §1); Epstein 2002 (net risk R·P)",
            ),
            Param(
                "court_ruling_legitimacy",
                0.02,
                "λ_C: fall of legitimacy in the unit when a court rules a strike illegal "
                "(the size of a concession shock of the January 2022 script, with the sign of "
                "an injustice)",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/episodes.md §5, yardstick rule)",
            ),
            Param(
                "settlement_credibility",
                0.8,
                "c_S: share of a signed wage settlement the workers believe",
                0.0,
                1.0,
                unit="1",
                citation="assumption; Lichbach 1987 (a signed agreement is more credible than "
                "a promise under pressure, concession_credibility 0.5)",
            ),
        ]

    def define_states(self):
        return [
            State("workforce", np.int16, -1, "labour dispute the citizen works in (-1 none)"),
            State("dismissed", np.uint8, 0, "1 if dismissed in a labour dispute"),
        ]

    def define_results(self):
        return [
            Result("strikers", "members of a workforce in dispute who are active", "count", True),
            Result("workforce", "members of a workforce in dispute", "count", True),
            Result("dismissed_workers", "workers dismissed in a dispute", "count", True),
        ]

    def init(self, sim):
        self.stream = sim.streams("labour")
        self.disputes: dict[str, int] = {}
        self.gap = np.zeros(0)
        sim.country.dispute_risk = np.zeros(0)
        self._share = np.zeros(0)
        for action, attr in self.action_handlers.items():
            sim.timeline.on(action, getattr(self, attr))

    # ------------------------------------------------------------------ actions
    def _index(self, sim, dispute, action):
        if dispute not in self.disputes:
            from tolqyn.core.errors import UnknownParamError

            raise UnknownParamError(
                dispute,
                sorted(self.disputes),
                source=sim.scenario.source,
                what=f"dispute (in a '{action}' event; start it with strike_start first)",
            )
        return self.disputes[dispute]

    def _set_gap(self, d, demand, paid):
        if demand is not None:
            self.demand[d] = float(demand)
        if paid is not None:
            self.paid[d] = float(paid)
        self.gap[d] = max(0.0, 1.0 - self.paid[d] / self.demand[d])

    def _on_strike_start(self, sim, dispute, persons, locality, demand=1.0, paid=1.0, label=""):
        """A workforce of `persons` citizens of `locality` goes into dispute over pay."""
        space, pop, cs = sim.space, sim.pop, sim.country
        names = list(space.locality_name)
        if locality not in names:
            from tolqyn.core.errors import UnknownParamError

            raise UnknownParamError(
                locality, sorted(set(names)), source=sim.scenario.source, what="locality"
            )
        loc = names.index(locality)
        if dispute in self.disputes:
            raise ScenarioError(
                f"strike_start: dispute '{dispute}' has already started",
                source=sim.scenario.source,
            )
        d = len(self.disputes)
        self.disputes[dispute] = d
        for name in ("gap", "_share"):
            setattr(self, name, np.append(getattr(self, name), 0.0))
        cs.dispute_risk = np.append(cs.dispute_risk, 0.0)
        self.demand = np.append(getattr(self, "demand", np.zeros(0)), 1.0)
        self.paid = np.append(getattr(self, "paid", np.zeros(0)), 1.0)
        self._set_gap(d, demand, paid)
        start = space.locality_start
        lo, hi = int(start[loc]), int(start[loc + 1])
        idx = np.arange(lo, hi)
        idx = idx[(pop.workforce[idx] < 0) & (pop.status[idx] < S.EMIGRATED)]
        n = int(min(idx.size, round(float(persons) / cs.scale)))
        # the workforce: the n citizens of the locality with the lowest draw (dispute d's slot)
        u = self.stream.uniform_for(0, idx, slot=d)
        pick = idx[np.argsort(u, kind="stable")[:n]]
        pop.workforce[pick] = d
        # the walkout is the input (the strike started); whether it lasts is the model's
        out = pick[pop.status[pick] == S.QUIET]
        pop.status[out] = S.ACTIVE
        pop.ever_active[out] = 1
        cs.log.append((sim.t, f"strike {dispute}: {n} agents in {locality}"))

    def _on_wage_dispute(self, sim, dispute, demand=None, paid=None, label=""):
        """The demanded or the paid wage changes (the pay gap of the dispute)."""
        self._set_gap(self._index(sim, dispute, "wage_dispute"), demand, paid)

    def _on_court_ruling(self, sim, dispute, risk=None, legitimacy=None, label=""):
        """A court declares the strike illegal: a risk to striking and an injustice."""
        d = self._index(sim, dispute, "court_ruling")
        p, cs, pop = sim.params, sim.country, sim.pop
        cs.dispute_risk[d] += float(p["illegal_strike_risk"] if risk is None else risk)
        shock = -float(p["court_ruling_legitimacy"]) if legitimacy is None else float(legitimacy)
        regs = np.unique(pop.region[pop.workforce == d])
        cs.legit_shock[regs] += shock

    def _on_dismissal(self, sim, dispute, persons, label=""):
        """`persons` is the total dismissed so far: those who struck go first, then others."""
        d = self._index(sim, dispute, "dismissal")
        pop, cs = sim.pop, sim.country
        members = np.flatnonzero((pop.workforce == d) & (pop.status < S.EMIGRATED))
        want = int(min(members.size, round(float(persons) / cs.scale)))
        more = want - int(pop.dismissed[members].sum())
        if more <= 0:
            return
        cand = members[pop.dismissed[members] == 0]
        u = self.stream.uniform_for(sim.t, cand, slot=16 + d)
        order = np.lexsort((u, 1 - pop.ever_active[cand].astype(np.int64)))
        pop.dismissed[cand[order[:more]]] = 1

    def _on_wage_settlement(self, sim, dispute, paid=None, credibility=None, label=""):
        """The pay is raised towards the demand, believed with a credibility."""
        d = self._index(sim, dispute, "wage_settlement")
        c = float(sim.params["settlement_credibility"] if credibility is None else credibility)
        new = self.demand[d] if paid is None else float(paid)
        # a settlement believed with credibility c: the expected pay moves c of the way
        self._set_gap(d, None, c * new + (1.0 - c) * self.paid[d])

    def _on_rehire(self, sim, dispute, credibility=None, label=""):
        """The dismissed are promised their jobs back; a share c believes it."""
        d = self._index(sim, dispute, "rehire")
        pop = sim.pop
        c = float(sim.params["settlement_credibility"] if credibility is None else credibility)
        gone = np.flatnonzero((pop.workforce == d) & (pop.dismissed == 1))
        u = self.stream.uniform_for(sim.t, gone, slot=48 + d)
        pop.dismissed[gone[u < c]] = 0

    # ------------------------------------------------------------------ dynamics
    def step(self, sim, phase):
        if not self.disputes:
            if phase == "record":
                for name in ("strikers", "workforce", "dismissed_workers"):
                    sim.results.record(name, sim.t, 0.0, np.zeros(sim.country.n_reg))
            return
        pop = sim.pop
        if phase == "record":
            R = sim.country.n_reg
            member = pop.workforce >= 0
            alive = pop.status < S.EMIGRATED
            for name, sel in (
                ("strikers", member & (pop.status == S.ACTIVE)),
                ("workforce", member & alive),
                ("dismissed_workers", member & (pop.dismissed == 1)),
            ):
                by = np.bincount(pop.region[sel], minlength=R).astype(float)
                sim.results.record(name, sim.t, float(by.sum()), by)
            return
        if phase == "channels":
            member = pop.workforce
            act = np.bincount(
                member[(member >= 0) & (pop.status == S.ACTIVE)], minlength=len(self.gap)
            )
            tot = np.bincount(
                member[(member >= 0) & (pop.status < S.EMIGRATED)], minlength=len(self.gap)
            )
            self._share = np.divide(act, tot, out=np.zeros(len(self.gap)), where=tot > 0)
            union_seen_kernel(
                pop.status, pop.workforce, self._share, float(sim.params["union_weight"]), pop.seen
            )
            return
        p = sim.params
        worker_grievance_kernel(
            pop.status,
            pop.workforce,
            pop.dismissed,
            float(p["wage_gap_weight"]) * self.gap,
            float(p["dismissal_hardship"]),
            float(p["solidarity_weight"]) * self._share,
            pop.grievance,
        )
