"""Mechanism 14 — competing ways a wave ends. Each is a mechanism with its own switch and
parameters, so which one ends a wave is a question for the data (and the structural
comparison of the calibration), not an assumption of the model:

    fatigue            G_i −= φ_F·(1 − e^{−d_i/D_F})        d_i: days protested, recovering
                       d_i ← d_i + τ if active, else d_i·e^{−dt/D_R}      at rate 1/D_R when quiet
                       τ: the step's days in the street (mechanism 4, `street_days_per_month`)
      and attrition    G_i −= φ_A·(1 − e^{−max(0, a_i − D_A)/D_A})   a_i: days protested, recovering
                       a_i ← a_i + τ if active, else a_i·e^{−dt/D_AR}     rebuilt over D_AR when quiet
    organisers         G_i −= φ_O·j_r                        j_r: share of the region's past
                                                              participants now in detention
    fear of killing    risk_l += λ_D·(1 − e^{−K_r/K½})       K_r: killings in the region,
                       K_r ← K_r·e^{−dt/τ_K} + deaths of the step δ ago remembered over τ_K days
    curfew             risk_l += c_E·[region under a curfew]  (an emergency has one unless declared without)
    concession         mechanism 5 (`concession_credibility`: the share of a promised cut believed)
    blackout           mechanism 6 (the `internet` events: the distant signal and coordination)
    shoot order        mechanism 2 (`lethal_weight`: the announced risk of being shot)

G is the grievance of mechanism 1 after it is computed for the step, so the terms lower the
net grievance that moves a citizen to act and do not accumulate across steps; risk is the
risk of mechanism 2 (multiplied by one's risk aversion R_i). Every term is recorded by region
(`ending_*`), so a run shows which mechanisms were at work when protest fell.

Fatigue has two time scales. The fast one (D_F of a few days) is the tiredness of a wave; it
saturates at φ_F and fades within a week of rest, so on its own it cannot end protest that goes
on for months: a core whose net grievance clears T by more than φ_F stays out indefinitely
(docs/odd/episodes.md §7). The slow one, attrition, is the cost of time taken from work and
household (Olson 1965: participation has private costs that the collective good does not repay;
McAdam 1986: biographical availability; Tarrow 1998 and Koopmans 1993: a cycle of contention
declines as participation becomes too costly to sustain). It starts only once the days protested
exceed D_A, one month (the pay period of `street_days_per_month`'s M = 30.4375 days: what a
household that lives from one monthly pay to the next can forgo before the loss is felt; an
assumption), grows to φ_A over the next D_A, and is rebuilt over D_AR of ordinary life (a year:
lost pay is made good from savings, a small share of income, so much more slowly than it is
lost; an assumption). Someone who protests every other day for months tires too, not only
someone out every day. Within a month of a first protest it is exactly zero.

Sources: Tarrow 1998 and Koopmans 1993 (protest cycles exhaust themselves: fatigue and
demobilisation); Olson 1965 and McAdam 1986 (the private cost of sustained participation); Siegel 2011 (removing well-connected organisers breaks collective action);
Davenport 2007 and Lichbach 1987 (killings deter in the short run); Hassanpour 2014 and
Rydzak 2019 (the blackout); Lichbach 1987 (the credibility of concessions)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from tolqyn.core.chunks import chunk_bounds, n_chunks
from tolqyn.core.clock import DelayLine
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.results import Result
from tolqyn.mechanisms.repression import street_days
from tolqyn.mechanisms.structures import CITE_ENDING, ENDING, ending_acts


@njit(parallel=True, cache=True)
def fatigue_kernel(
    status,
    ever,
    region,
    days,
    grievance,
    dt,
    recover,
    phi_f,
    d_f,
    phi_o,
    detained_share,
    out,
    days_long,
    recover_long,
    phi_a,
    d_a,
):
    """Updates the days protested (fast and slow memory), lowers G by fatigue, attrition and
    the arrest of organisers, and counts, by region, past participants, those of them
    detained, and the fatigue term (fast + slow) summed over past participants (per-chunk
    partial sums added in a fixed order). Attrition is exactly 0 while a_i ≤ D_A."""
    n = status.shape[0]
    n_reg = out.shape[0]
    nc = n_chunks(n)
    part = np.zeros((nc, n_reg, 3))
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            st = status[i]
            if st >= 3:
                continue
            d = days[i]
            a = days_long[i]
            if st == 1:
                d += dt
                a += dt
            else:
                d *= recover
                a *= recover_long
            days[i] = d
            days_long[i] = a
            if ever[i] == 0:
                continue
            r = region[i]
            f = phi_f * (1.0 - math.exp(-d / d_f)) if d_f > 0.0 else 0.0
            if phi_a > 0.0 and a > d_a:
                f += phi_a * (1.0 - math.exp(-(a - d_a) / d_a))
            g = grievance[i] - f - phi_o * detained_share[r]
            grievance[i] = g if g > 0.0 else 0.0
            part[c, r, 0] += 1.0
            if st == 2:
                part[c, r, 1] += 1.0
            part[c, r, 2] += f
    for k in range(n_reg):
        for j in range(3):
            a = 0.0
            for c in range(nc):
                a += part[c, k, j]
            out[k, j] = a


def _acts(p, mechanism: str) -> bool:
    """An ending mechanism acts when its own switch is on and the structure includes it."""
    return bool(p[f"{mechanism}_on"]) and ending_acts(p["ending_structure"], mechanism)


class Demobilisation(Module):
    name = "demobilisation"
    phases = ("perceive", "record")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "ending_structure",
                "all",
                "which ending mechanisms act: exhaustion (fatigue, organisers), repression "
                "(fear of killing, curfew) or all; each also needs its own switch "
                "(mechanisms/structures.py)",
                kind="choice",
                choices=tuple(ENDING),
                sweepable=False,
                citation=CITE_ENDING,
            ),
            Param(
                "fatigue_on",
                True,
                "switch: protesting wears people out",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "fatigue_weight",
                0.05,
                "φ_F: largest fall of net grievance from fatigue",
                0.0,
                1.0,
                unit="1",
                citation="Tarrow 1998; Koopmans 1993; assumption for the size",
            ),
            Param(
                "fatigue_days",
                4.0,
                "D_F: days of protest over which fatigue builds up (e-folding)",
                0.01,
                365.0,
                unit="days",
                citation="assumption",
            ),
            Param(
                "fatigue_recovery_days",
                7.0,
                "D_R: days over which fatigue fades when quiet (e-folding)",
                0.01,
                365.0,
                unit="days",
                citation="assumption",
            ),
            Param(
                "attrition_weight",
                0.3,
                "φ_A: largest fall of net grievance from attrition, the slow fatigue of "
                "sustained protest (time taken from work and household); the default is the "
                "organisers' weight φ_O, the other exhaustion term",
                0.0,
                2.0,
                unit="1",
                citation="Olson 1965; McAdam 1986; Tarrow 1998; assumption for the size "
                "(= organisers_weight)",
            ),
            Param(
                "attrition_days",
                30.4375,
                "D_A: days protested before attrition starts, the scale over which it grows "
                "and the days of ordinary life over which it is rebuilt (one month: the pay "
                "period)",
                1.0,
                3650.0,
                unit="days",
                citation="assumption: a household living from one monthly pay to the next "
                "(M = 30.4375 days of street_days_per_month, mechanism 4)",
            ),
            Param(
                "attrition_recovery_days",
                365.25,
                "D_AR: days of ordinary life over which the days protested are made good "
                "(e-folding; a year: lost pay is rebuilt from savings, a small share of income)",
                1.0,
                3650.0,
                unit="days",
                citation="assumption (docs/odd/episodes.md §7)",
            ),
            Param(
                "organisers_on",
                True,
                "switch: detaining past participants (the organisers among them) "
                "lowers the efficacy of protest for the rest",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "organisers_weight",
                0.3,
                "φ_O: fall of net grievance when all of a region's past participants are detained",
                0.0,
                2.0,
                unit="1",
                citation="Siegel 2011; assumption for the size",
            ),
            Param(
                "lethal_fear_on",
                True,
                "switch: killings in one's region raise the perceived risk of protest",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "lethal_fear_weight",
                0.25,
                "λ_D: largest risk added by killings in the region",
                0.0,
                5.0,
                unit="1",
                citation="Davenport 2007; Lichbach 1987; assumption for the size",
            ),
            Param(
                "lethal_fear_half",
                10.0,
                "K½: remembered killings in the region that give 1 − 1/e of the largest fear",
                0.01,
                1e5,
                unit="persons",
                citation="assumption",
            ),
            Param(
                "lethal_fear_memory",
                5.0,
                "τ_K: days over which killings are remembered (e-folding)",
                0.01,
                365.0,
                unit="days",
                citation="assumption",
            ),
            Param(
                "curfew_on",
                True,
                "switch: a curfew under a state of emergency raises the cost of being out",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "curfew_risk",
                0.03,
                "c_E: risk added in a region under a state of emergency (curfew 23:00–07:00)",
                0.0,
                5.0,
                unit="1",
                citation="unrest_2022.csv (curfews from 5 Jan); assumption for the size",
            ),
        ]

    def define_states(self):
        return [
            State("days_active", np.float32, 0.0, "days protested, fading when quiet"),
            State(
                "days_attrition",
                np.float32,
                0.0,
                "days protested, rebuilt over D_A when quiet (attrition)",
            ),
        ]

    def define_results(self):
        return [
            Result(
                "ending_fatigue",
                "mean fall of net grievance from fatigue (fast and slow: attrition) among past "
                "participants",
                "value",
                True,
            ),
            Result(
                "ending_organisers",
                "fall of net grievance from detained organisers (φ_O·j_r)",
                "value",
                True,
            ),
            Result("ending_lethal_fear", "risk added by remembered killings", "value", True),
            Result("ending_curfew", "risk added by the curfew", "value", True),
        ]

    def init(self, sim):
        cs = sim.country
        self.killings = np.zeros(cs.n_reg)
        self.detained_share = np.zeros(cs.n_reg)
        self.sums = np.zeros((cs.n_reg, 3))
        self.fear = np.zeros(cs.n_reg)
        self.curfew = np.zeros(cs.n_reg)
        self._deaths_lag = None

    def step(self, sim, phase):
        p, pop, cs, dt = sim.params, sim.pop, sim.country, sim.clock.dt
        if phase == "record":
            ever = self.sums[:, 0]
            fat = np.divide(self.sums[:, 2], ever, out=np.zeros(cs.n_reg), where=ever > 0)
            tot = float(ever.sum())
            r = sim.results
            r.record(
                "ending_fatigue", sim.t, float(self.sums[:, 2].sum() / tot) if tot else 0.0, fat
            )
            org = (
                float(p["organisers_weight"]) * self.detained_share
                if _acts(p, "organisers")
                else 0 * fat
            )
            r.record("ending_organisers", sim.t, float(org.max(initial=0.0)), org)
            r.record(
                "ending_lethal_fear", sim.t, float(self.fear.max(initial=0.0)), self.fear.copy()
            )
            r.record(
                "ending_curfew", sim.t, float(self.curfew.max(initial=0.0)), self.curfew.copy()
            )
            return
        # killings become known δ days after they happen (mechanism 2's perception lag; the
        # last step's, from mechanism 4's consequences phase, at dt = δ)
        k = sim.clock.lag_steps(float(p["perception_lag_days"]), "perception_lag_days")
        if self._deaths_lag is None or self._deaths_lag.k != k:
            self._deaths_lag = DelayLine(np.zeros(cs.n_reg), k)
        known = self._deaths_lag.shift(cs.deaths_civ_reg + cs.deaths_sec_reg)
        self.killings = self.killings * math.exp(-dt / float(p["lethal_fear_memory"])) + known
        phi_f = float(p["fatigue_weight"]) if _acts(p, "fatigue") else 0.0
        phi_o = float(p["organisers_weight"]) if _acts(p, "organisers") else 0.0
        fatigue_kernel(
            pop.status,
            pop.ever_active,
            pop.region,
            pop.days_active,
            pop.grievance,
            # days protested: a month counted active is a few days in the street
            street_days(dt, float(p["street_days_per_month"])),
            math.exp(-dt / float(p["fatigue_recovery_days"])),
            phi_f,
            float(p["fatigue_days"]),
            phi_o,
            self.detained_share,
            self.sums,
            pop.days_attrition,
            math.exp(-dt / float(p["attrition_recovery_days"])),
            float(p["attrition_weight"]) if _acts(p, "fatigue") else 0.0,
            float(p["attrition_days"]),
        )
        ever = self.sums[:, 0]
        self.detained_share = np.divide(
            self.sums[:, 1], ever, out=np.zeros(cs.n_reg), where=ever > 0
        )
        self.fear = (
            float(p["lethal_fear_weight"])
            * (1.0 - np.exp(-self.killings / float(p["lethal_fear_half"])))
            if _acts(p, "lethal_fear")
            else np.zeros(cs.n_reg)
        )
        self.curfew = (
            float(p["curfew_risk"]) * cs.curfew.astype(float)
            if _acts(p, "curfew")
            else np.zeros(cs.n_reg)
        )
        cs.risk += (self.fear + self.curfew)[cs.loc_region]
