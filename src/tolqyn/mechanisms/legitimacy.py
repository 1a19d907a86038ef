"""Mechanism 7 — perceived legitimacy L_i: heterogeneous, moved by the media one watches,
by salient injustice, by concessions, by repression seen nearby (backfire) and by foreign
troops.

    L_i(0)   = clip(L0 + m_{d(i)} + σ·(2u_i − 1), 0, 1)              d(i): media diet
    L_i     += μ·dt·(s_d − L_i)                 pull towards the channel's slant (if it is on)
    L_i     += Δ_r·(1 − L_i)  if Δ_r > 0,  Δ_r·L_i if Δ_r < 0         concession / injustice events
    L_i     −= β·m_l·ρ_{l(i)}·L_i               backfire: ρ = (arrests + κ·deaths) / residents, last step
    m_l      = e^{−max(0, r_l − D_N)/D_N}      r_l: days of repression seen in locality l,
    r_l     ← r_l + dt if ρ_l > 0, else r_l·e^{−dt/D_N}        fading over D_N without it
    L_i     −= c_troops·(1 − I_i)·L_i + g_troops·I_i·(1 − L_i)   once, when foreign troops arrive

Backfire is the reaction to repression as news (a new injustice, seen nearby). Repression that
has gone on in a locality for more than D_N days (a month by default) has become routine and
predictable: its marginal backfire falls (m_l). Lichbach 1987: consistent repression deters,
inconsistent repression escalates; Francisco 2004 (mobilisation in the wake of massacres) and
Davenport 2007 (the effects of repression change with its timing and duration); the month is
an assumption. Without it a months-long wave turns
every killing into a permanent loss of legitimacy and the wave feeds itself
(docs/odd/episodes.md §7). Within D_N days of the first repression m_l is exactly 1.

Sources: Lemos, Lopes & Coelho 2016 (heterogeneous, endogenous legitimacy); Epstein 2002
("salami tactics": the path of L matters); Sullivan & Davenport and Lawrence 2017 (repression
seen through one's network backfires); foreign regime-maintenance interventions delegitimise
(docs/literature.md §8.3). Seeds: 000 and 004 (impunity and unequal sentences), 003 (the Kazakh
majority will not accept foreign soldiers)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.random import draw_u01
from tolqyn.core.timeline import Arg
from tolqyn.mechanisms.structures import troops_act


@njit(parallel=True, cache=True)
def legit_init_kernel(key, media, base, offsets, spread, out):
    for i in prange(media.shape[0]):
        v = base + offsets[media[i]] + spread * (2.0 * draw_u01(key, 0, i, 0) - 1.0)
        out[i] = min(1.0, max(0.0, v))


@njit(parallel=True, cache=True)
def legit_step_kernel(
    status,
    media,
    region,
    locality,
    identity,
    legit,
    slant,
    channel_on,
    mu,
    shock,
    seen,
    beta,
    troop_cost,
    troop_gain,
    apply_troops,
):
    for i in prange(status.shape[0]):
        if status[i] >= 3:
            continue
        L = legit[i]
        m = media[i]
        if channel_on[m]:
            L += mu * (slant[m] - L)
        d = shock[region[i]]
        if d > 0.0:
            L += d * (1.0 - L)
        elif d < 0.0:
            L += d * L
        L -= beta * seen[locality[i]] * L
        if apply_troops:
            I = identity[i]
            L -= troop_cost * (1.0 - I) * L
            L += troop_gain * I * (1.0 - L)
        legit[i] = min(1.0, max(0.0, L))


class Legitimacy(Module):
    name = "legitimacy"
    phases = ("perceive",)
    actions = ("legitimacy_shock",)
    action_handlers = {"legitimacy_shock": "_on_shock"}  # read by `tolqyn describe`
    action_args = {
        "legitimacy_shock": (
            Arg("size", low=-1.0, high=1.0, required=True),
            Arg("regions", "regions"),
            Arg("label", "str"),
        )
    }

    @classmethod
    def define_params(cls):
        cite_l = "Lemos, Lopes & Coelho 2016; Lemos 2018"
        return [
            Param(
                "legitimacy_on",
                True,
                "switch: off freezes L at its initial value",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "legitimacy",
                0.55,
                "mean perceived legitimacy of the regime at the start (L0)",
                0.0,
                1.0,
                unit="1",
                citation="Epstein 2002 (L); calibrated to January 2022 (docs/odd/country.md)",
                role="episode",
            ),
            Param(
                "legitimacy_spread",
                0.25,
                "half-width of the uniform personal deviation of L",
                0.0,
                1.0,
                unit="1",
                citation=cite_l + " (heterogeneous L)",
            ),
            Param(
                "legit_offset_state_tv",
                0.08,
                "initial L offset of state-TV viewers",
                -1.0,
                1.0,
                unit="1",
                citation="Enikolopov, Petrova & Zhuravskaya 2011 (media exposure shifts support)",
            ),
            Param(
                "legit_offset_foreign_tv",
                0.0,
                "initial L offset of foreign-TV viewers",
                -1.0,
                1.0,
                unit="1",
                citation="Peisakhin & Rozenas 2018",
            ),
            Param(
                "legit_offset_online",
                -0.08,
                "initial L offset of people who get news online",
                -1.0,
                1.0,
                unit="1",
                citation="Enikolopov et al. 2011; Internews 2022 trust survey (context.csv)",
            ),
            Param(
                "media_pull",
                0.01,
                "daily pull of L towards the slant of one's main channel",
                0.0,
                1.0,
                unit="1/day",
                citation="Hegselmann & Krause 2015 (media as a constant signal)",
            ),
            Param(
                "slant_state_tv",
                0.7,
                "legitimacy slant of state TV",
                0.0,
                1.0,
                unit="1",
                citation="Guriev & Treisman 2019 (informational autocracy)",
                role="country",
            ),
            Param(
                "slant_foreign_tv",
                0.55,
                "legitimacy slant of foreign TV about the government (the kin state's channels)",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/country.md)",
                role="country",
            ),
            Param(
                "slant_online",
                0.35,
                "legitimacy slant of online news and social media",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/country.md)",
                role="country",
            ),
            Param(
                "backfire",
                4.0,
                "relative fall of L per unit of repression seen in one's locality "
                "((arrests + κ·deaths) per resident, last step)",
                0.0,
                100.0,
                unit="1 per (events/resident)",
                citation="Sullivan & Davenport; Lawrence 2017; Lichbach 1987",
            ),
            Param(
                "backfire_death_weight",
                20.0,
                "κ: a killing counts as this many arrests in the backfire term",
                0.0,
                1000.0,
                unit="arrests/death",
                citation="assumption (docs/odd/country.md)",
            ),
            Param(
                "backfire_novelty_days",
                30.4375,
                "D_N: days of repression seen in a locality after which it is routine and its "
                "backfire falls (e-folding D_N), and over which that routine fades without "
                "repression (one month)",
                1.0,
                3650.0,
                unit="days",
                citation="Lichbach 1987 (consistent repression deters); Davenport 2007; "
                "Francisco 2004; assumption for the size (one month, as attrition_days)",
            ),
            Param(
                "troops_legit_cost",
                0.08,
                "relative fall of L, for people with identity I = 0, when foreign troops arrive",
                0.0,
                1.0,
                unit="1",
                citation="docs/literature.md §8.3 (foreign regime-maintenance interventions delegitimise); seed 003",
            ),
            Param(
                "troops_legit_gain",
                0.05,
                "relative rise of L, for people with identity I = 1, when foreign troops arrive",
                0.0,
                1.0,
                unit="1",
                citation="Peisakhin & Rozenas 2018; seed 002",
            ),
        ]

    def define_states(self):
        return [State("legitimacy", np.float32, 0.5, "perceived legitimacy L_i")]

    def init(self, sim):
        p = sim.params
        offsets = np.array(
            [p["legit_offset_state_tv"], p["legit_offset_foreign_tv"], p["legit_offset_online"]],
            dtype=np.float64,
        )
        legit_init_kernel(
            sim.streams("legitimacy").key,
            sim.pop.media_diet,
            float(p["legitimacy"]),
            offsets,
            float(p["legitimacy_spread"]),
            sim.pop.legitimacy,
        )
        sim.timeline.on("legitimacy_shock", self._on_shock)
        self.routine = np.zeros(sim.country.n_loc)

    @staticmethod
    def _on_shock(sim, size, regions="ALL", label=""):
        """A salient event that moves legitimacy: size > 0 (a concession, a fair verdict) or
        size < 0 (impunity, an unequal sentence)."""
        cs = sim.country
        if not isinstance(size, (int, float)) or not -1.0 <= size <= 1.0:
            from tolqyn.core.errors import ScenarioError

            raise ScenarioError(
                f"legitimacy_shock: size must be in [-1, 1], got {size!r}",
                source=sim.scenario.source,
                field="events.params.size",
            )
        cs.legit_shock[cs.region_mask(regions, sim.scenario.source)] += float(size)

    def step(self, sim, phase):
        p, pop, cs = sim.params, sim.pop, sim.country
        if not p["legitimacy_on"]:
            cs.legit_shock[:] = 0.0
            cs.troops_legit_shock = 0.0
            return
        slant = np.array([p["slant_state_tv"], p["slant_foreign_tv"], p["slant_online"]])
        channel_on = np.array([True, True, cs.online > 0.5])
        mu = 1.0 - (1.0 - float(p["media_pull"])) ** sim.clock.dt
        apply_troops = cs.troops_legit_shock > 0 and troops_act(p["troops_structure"], "legitimacy")
        # repression seen for more than D_N days in a locality is routine: its backfire falls
        # (exactly 1 while r_l <= D_N)
        d_n = float(p["backfire_novelty_days"])
        dt = sim.clock.dt
        self.routine = np.where(
            cs.repression_seen > 0, self.routine + dt, self.routine * np.exp(-dt / d_n)
        )
        seen = cs.repression_seen
        if (self.routine > d_n).any():
            seen = seen * np.exp(-np.maximum(0.0, self.routine - d_n) / d_n)
        legit_step_kernel(
            pop.status,
            pop.media_diet,
            pop.region,
            pop.locality,
            pop.identity,
            pop.legitimacy,
            slant,
            channel_on,
            mu,
            np.clip(cs.legit_shock, -1, 1),
            seen,
            float(p["backfire"]),
            float(p["troops_legit_cost"]),
            float(p["troops_legit_gain"]),
            apply_troops,
        )
        cs.legit_shock[:] = 0.0
        cs.troops_legit_shock = 0.0
