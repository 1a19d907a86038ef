"""Mechanism 9 over a decade — the emigration hazard with a cost of leaving and the decaying
post-Soviet "unmixing" wave.

    h_i(t) = h_0 · exp(b_G·G_i + b_I·I_i + b_T·ties_i + [kin(i)]·W(t) + ln M_g(i) − b_V·e − c)   per day
    W(t)   = w_U · exp(−(y(t) − y_U) / τ_U)            (y: decimal calendar year)
    p_i    = (1 − exp(−h_i·dt)) · [borders open]

It is mechanism 9 of the day-scale model (`tolqyn.mechanisms.emigration`, same parameters and
the same meaning) with two terms that only matter over years:

* c, the cost of leaving (log-hazard units; the alternative-specific constant of the random-
  utility rule): border closures raise it, the exit–voice experiment sweeps it. c = 0 and
  w_U = 0 give back the day-scale hazard exactly.
* W(t), the tail of the post-Soviet return migration of the "kin" minorities (Russians,
  Ukrainians, Germans, Tatars): 614,000 Russians and 480,000 Germans left in 1991–96 and the
  outflow fell every year from 2000 to 2013 (emigration.csv). Brubaker (1995) calls it the
  "unmixing of peoples" after empire, a wave that ebbs as those most ready to leave have left.
* ln M_g, the inclusive value of the destinations open to group g (mechanism `destinations`):
  a destination's attractiveness raises the hazard of leaving of the groups that go there.

Sources: Klabunde & Willekens 2016 (random-utility hazard); Beine, Docquier & Özden 2011
(diasporas); Brubaker 1995, Ethnic and Racial Studies 18(2): 189–218 (unmixing after empire).
Seeds: 000 ("like rats from a ship"), 002 (Russians leaving for Russia)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from tolqyn.core.chunks import chunk_bounds, n_chunks
from tolqyn.core.params import Param
from tolqyn.core.random import draw_u01
from tolqyn.mechanisms.emigration import Emigration
from tolqyn.mechanisms.identity import KIN_GROUPS


@njit(inline="always")
def _hazard(hz, i):
    """h_i of §7.4 from hz = (grievance, identity, ties, ethnicity, kin_term, h0, b_g, b_i,
    b_t, offset): one formula for the draw and for the expected flow."""
    grievance, identity, ties, ethnicity, kin_term, h0, b_g, b_i, b_t, offset = hz
    return h0 * math.exp(
        b_g * grievance[i] + b_i * identity[i] + b_t * ties[i] + kin_term[ethnicity[i]] + offset
    )


@njit(parallel=True, cache=True)
def exit_kernel(
    key,
    t,
    status,
    grievance,
    identity,
    ties,
    ethnicity,
    kin_term,
    h0,
    b_g,
    b_i,
    b_t,
    offset,
    dt,
    left,
):
    """`kin_term[g]`: the wave term of ethnic group g; `offset` = −b_V·e − c (shared)."""
    hz = (grievance, identity, ties, ethnicity, kin_term, h0, b_g, b_i, b_t, offset)
    for i in prange(status.shape[0]):
        left[i] = 0
        if status[i] != 0:  # only quiet citizens at liberty leave
            continue
        if draw_u01(key, t, i, 0) < 1.0 - math.exp(-_hazard(hz, i) * dt):
            status[i] = 3
            left[i] = 1


@njit(parallel=True, cache=True)
def expected_exit_kernel(status, hz, dt, region, out_reg):
    """Σ_i p_i by region (no draw) of exit_kernel's hazard (`hz` as `_hazard`'s): the
    expected emigrants of a step (per-chunk sums in a fixed order, the same on any number of
    threads)."""
    n = status.shape[0]
    nc = n_chunks(n)
    part = np.zeros((nc, out_reg.shape[0]))
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            if status[i] == 0:
                part[c, region[i]] += 1.0 - math.exp(-_hazard(hz, i) * dt)
    for k in range(out_reg.shape[0]):
        a = 0.0
        for c in range(nc):
            a += part[c, k]
        out_reg[k] = a


def unmixing_term(year: float, weight: float, ref_year: float, decay_years: float) -> float:
    """W(t) = w_U·exp(−(y − y_U)/τ_U); before y_U it is held at w_U."""
    return weight * math.exp(-max(0.0, year - ref_year) / decay_years)


class ExitEmigration(Emigration):
    """The emigration module of the exit model (same name, results and day-scale parameters)."""

    @classmethod
    def define_params(cls):
        cite_u = (
            "Brubaker 1995 (unmixing of peoples after empire); emigration.csv (decline 2000-2013)"
        )
        return super().define_params() + [
            Param(
                "exit_cost",
                0.0,
                "c: cost of leaving in log-hazard units (0 = today's cost; +1 divides the "
                "hazard by e; border closures raise it; the exit-voice experiment sweeps it)",
                -10.0,
                20.0,
                unit="log-hazard",
                citation="Klabunde & Willekens 2016 (alternative-specific constant); Hirschman 1970",
            ),
            Param(
                "unmixing_weight",
                0.0,
                "w_U: extra log-hazard of kin minorities (Russians, Ukrainians, Germans, "
                "Tatars) at the reference year, ebbing with time",
                0.0,
                10.0,
                unit="log-hazard",
                citation=cite_u,
            ),
            Param(
                "unmixing_ref_year",
                2004.0,
                "y_U: year at which the wave term equals w_U",
                1991.0,
                2100.0,
                unit="year",
                citation=cite_u,
            ),
            Param(
                "unmixing_decay_years",
                4.0,
                "τ_U: e-folding time of the wave",
                0.1,
                100.0,
                unit="years",
                citation=cite_u,
            ),
        ]

    def init(self, sim):
        super().init(sim)
        groups = list(getattr(sim.space, "ethnic_groups", []))
        self._kin = np.array([g in KIN_GROUPS for g in groups] or [False], dtype=bool)

    def step(self, sim, phase):
        p, pop, cs = sim.params, sim.pop, sim.country
        if phase == "record":
            return super().step(sim, phase)
        cs.emig_reg[:] = 0.0
        usual_now = not self._usual_known and p["emigration_on"]
        self._usual_known = True
        if not usual_now and (not p["emigration_on"] or not cs.borders_open):
            pop.left_now[:] = 0
            return
        year = _decimal_year(sim)
        w = unmixing_term(
            year,
            float(p["unmixing_weight"]),
            float(p["unmixing_ref_year"]),
            float(p["unmixing_decay_years"]),
        )
        kin_term = np.where(self._kin, w, 0.0)
        if "dest_russia_share" in p:
            from tolqyn.models.exit.destinations import inclusive_value

            if kin_term.shape[0] == len(inclusive_value(p)):
                kin_term = kin_term + inclusive_value(p)
        efficacy = min(1.0, float(cs.concessions) / 2.0)
        offset = -float(p["emigration_voice"]) * efficacy - float(p["exit_cost"])
        args = (
            float(p["emigration_base"]),
            float(p["emigration_grievance"]),
            float(p["emigration_identity"]),
            float(p["emigration_ties"]),
            offset,
            sim.clock.dt,
        )
        if usual_now:
            # the usual flow (mechanism 10): the first step's expected emigrants
            people = (pop.grievance, pop.identity, pop.ties_abroad, pop.ethnicity, kin_term)
            hz = people + args[:-1]
            expected_exit_kernel(pop.status, hz, sim.clock.dt, pop.region, cs.emig_usual)
            if not cs.borders_open:
                pop.left_now[:] = 0
                return
        exit_kernel(
            self.key,
            sim.t,
            pop.status,
            pop.grievance,
            pop.identity,
            pop.ties_abroad,
            pop.ethnicity,
            kin_term,
            *args,
            pop.left_now,
        )
        left = np.flatnonzero(pop.left_now)
        cs.emig_reg[:] = np.bincount(pop.region[left], minlength=cs.n_reg)


def _decimal_year(sim) -> float:
    """Decimal calendar year at the middle of the current step (0 without a calendar)."""

    year = sim.clock.decimal_year(sim.t)
    return 0.0 if year is None else year
