"""Mechanism 3 — bandwagon and preference falsification: a citizen who privately would
protest (Epstein's rule, mechanism 2) does so publicly only when the share of protest he or
she sees reaches a personal threshold; thresholds fall with grievance and rise with
repression and fall when others are seen leaving the country (mechanism 10).

    τ_i(t) = τ0_i − a_G·G_i + a_R·risk_{site(i)} − x_{r(i)}      τ0_i ~ N(μ_τ, σ_τ)
    public dissent ⟺ s_i ≥ τ_i                                     (s_i from mechanism 6)

With no one protesting and no shared shock, s_i = 0, so only citizens with τ_i ≤ 0 (first
movers) can start. The risk in τ is the risk at one's site δ days earlier (the perception lag of
mechanism 2, a fixed time: the previous step at dt = δ). Citizens who would
dissent publicly and whose grievance exceeds T are the "willing"; their number at each site
is announced (calls to gather, word of mouth, online) and enters the crowd size A that sets
the arrest probability of mechanism 2.
Sources: Granovetter 1978 (thresholds, the 0..99 riot); Kuran 1989/1991 (private vs public
preference, revolutionary thresholds that depend on repression); Watts 2002; Makowsky &
Rubin 2013 (network range). Seed: 001 (friends and relatives who think the demands are fair
but do not go out)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from tolqyn.core.chunks import chunk_bounds, n_chunks
from tolqyn.core.clock import DelayLine
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.random import draw_u01
from tolqyn.mechanisms.protest import perceived_risk


@njit(parallel=True, cache=True)
def tau_init_kernel(key, mean, sd, out):
    for i in prange(out.shape[0]):
        u1 = draw_u01(key, 0, i, 0)
        u2 = draw_u01(key, 0, i, 1)
        z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        out[i] = mean + sd * z


@njit(parallel=True, cache=True)
def voice_willing_kernel(
    status,
    tau0,
    grievance,
    site,
    risk,
    region,
    exit_signal,
    seen,
    a_g,
    a_r,
    use_bandwagon,
    threshold,
    out,
    willing,
    member,
    p_arrest,
    dispute_risk,
):
    """Who would dissent publicly (out[i] = 1 if seen_i >= tau_i, with
    tau_i = tau0_i - a_g·G_i + a_r·risk_site - exit_signal_region; everyone when the switch is
    off, nobody who is jailed, gone or dead) and, in the same pass, how many of them at liberty
    have grievance above T, by site (summed per chunk, added in a fixed order). A member of a
    workforce in dispute (member ≥ 0) weighs the legal risk of striking ρ_d instead of the
    street's arrest risk, as in mechanism 2."""
    n = status.shape[0]
    n_site = willing.shape[0]
    nc = n_chunks(n)
    part = np.zeros((nc, n_site), dtype=np.int64)
    members = dispute_risk.shape[0] > 0
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            st = status[i]
            if not use_bandwagon:
                v = 1
            elif st > 1:
                v = 0
            else:
                r = risk[site[i]]
                if members:
                    r = perceived_risk(r, p_arrest[site[i]], member[i], dispute_risk)
                tau = tau0[i] - a_g * grievance[i] + a_r * r - exit_signal[region[i]]
                v = 1 if seen[i] >= tau else 0
            out[i] = v
            if st <= 1 and v != 0 and grievance[i] > threshold:
                part[c, site[i]] += 1
    for k in range(n_site):
        a = 0
        for c in range(nc):
            a += part[c, k]
        willing[k] = a


class Bandwagon(Module):
    name = "bandwagon"
    phases = ("perceive",)

    @classmethod
    def define_params(cls):
        cite = "Granovetter 1978; Kuran 1989, 1991"
        return [
            Param(
                "bandwagon_on",
                True,
                "switch: off lets private dissent become public without a threshold "
                "(pure Epstein rule)",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "tau_mean",
                0.35,
                "μ_τ: mean personal threshold (share of protest one must see)",
                -1.0,
                2.0,
                unit="1",
                citation=cite
                + "; docs/literature.md mechanism map (τ ~ N(0.25, 0.05–0.2) before grievance)",
            ),
            Param(
                "tau_sd",
                0.12,
                "σ_τ: spread of personal thresholds",
                0.0,
                1.0,
                unit="1",
                citation=cite,
            ),
            Param(
                "tau_grievance",
                0.3,
                "a_G: fall of the threshold per unit of grievance",
                0.0,
                5.0,
                unit="1",
                citation="Kuran 1991 (private preference lowers the revolutionary threshold)",
            ),
            Param(
                "tau_repression",
                0.25,
                "a_R: rise of the threshold per unit of perceived risk",
                0.0,
                5.0,
                unit="1",
                citation="Kuran 1991 (thresholds depend on the punishment of dissent)",
            ),
        ]

    def define_states(self):
        return [
            State(
                "tau0",
                np.float32,
                0.0,
                "personal bandwagon threshold before grievance and repression",
            ),
            State(
                "voice_ok", np.uint8, 0, "1 if the citizen sees enough protest to dissent publicly"
            ),
        ]

    def init(self, sim):
        self._willing = np.zeros(sim.country.n_loc)
        # made at the first step, from the risk of the initial state
        self._risk_lag = self._arrest_lag = None
        tau_init_kernel(
            sim.streams("threshold").key,
            float(sim.params["tau_mean"]),
            float(sim.params["tau_sd"]),
            sim.pop.tau0,
        )

    def step(self, sim, phase):
        p, pop, cs = sim.params, sim.pop, sim.country
        # the risk seen is δ days old (cs.risk holds the last step's); the protest module
        # turns the willing crowd of this step into the crowd size that sets this step's risk
        k = sim.clock.lag_steps(float(p["perception_lag_days"]), "perception_lag_days")
        if self._risk_lag is None or self._risk_lag.k != k:
            self._risk_lag = DelayLine(cs.risk, k)
            self._arrest_lag = DelayLine(cs.p_arrest, k)
        seen_risk = self._risk_lag.shift(cs.risk)
        seen_arrest = self._arrest_lag.shift(cs.p_arrest)
        voice_willing_kernel(
            pop.status,
            pop.tau0,
            pop.grievance,
            pop.site,
            seen_risk,
            pop.region,
            cs.exit_signal,
            pop.seen,
            float(p["tau_grievance"]),
            float(p["tau_repression"]),
            bool(p["bandwagon_on"]),
            float(p["activation_threshold"]),
            pop.voice_ok,
            self._willing,
            pop.workforce,
            seen_arrest,
            cs.dispute_risk,
        )
        cs.site_willing[:] = self._willing * cs.scale
