"""Mechanism 8 — identity of minorities: affinity I_i ∈ [0, 1] with a neighbouring state,
pulled towards the slant of the foreign channel an agent watches (bounded confidence: only
if it is within ε of that slant) and pushed away from it when the agent is treated well at
home (perceived legitimacy above one half).

    I_i(0) = clip(I0_{e(i)} + b_ftv·[d(i) = foreign TV] + σ_I·(2u_i − 1), 0, 1)
    I_i   += μ_I·dt·(s_f − I_i)        if d(i) = foreign TV and |I_i − s_f| < ε
    I_i   −= η·dt·(L_i − ½)

I raises the emigration hazard (mechanism 9) and sets the reaction to foreign troops
(mechanism 7: the majority with low I loses trust in a government that calls them in, the
minority with high I gains it). Sources: Hegselmann & Krause 2015 (constant media signal),
Deffuant et al. 2000 (bounded confidence), Peisakhin & Rozenas 2018 (Russian TV moved those
with close priors, polarising), Kuran 1998 (ethnification cascades), Lustick 2000.
Seed: 002 (ethnic Russians' loyalty drifting with Russian television; love cannot be forced)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.random import draw_u01

# groups whose kin state is the one the foreign channel speaks for (Russian-language TV)
KIN_GROUPS = ("russian", "ukrainian", "german", "tatar")


@njit(parallel=True, cache=True)
def identity_init_kernel(key, ethnicity, media, base_by_group, ftv_bonus, spread, out):
    for i in prange(ethnicity.shape[0]):
        v = base_by_group[ethnicity[i]] + spread * (2.0 * draw_u01(key, 0, i, 0) - 1.0)
        if media[i] == 1:
            v += ftv_bonus
        out[i] = min(1.0, max(0.0, v))


@njit(parallel=True, cache=True)
def identity_step_kernel(status, media, legit, ident, slant, eps, mu, eta):
    for i in prange(status.shape[0]):
        if status[i] >= 3:
            continue
        I = ident[i]
        if media[i] == 1 and abs(I - slant) < eps:
            I += mu * (slant - I)
        I -= eta * (legit[i] - 0.5)
        ident[i] = min(1.0, max(0.0, I))


class Identity(Module):
    name = "identity"
    phases = ("perceive",)

    @classmethod
    def define_params(cls):
        cite = "Hegselmann & Krause 2015; Deffuant et al. 2000; Peisakhin & Rozenas 2018"
        return [
            Param(
                "identity_on",
                True,
                "switch: off freezes identity at its initial value",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "identity_kin_base",
                0.45,
                "initial mean affinity with the neighbouring state of kin minorities "
                "(Russians, Ukrainians, Germans, Tatars)",
                0.0,
                1.0,
                unit="1",
                citation="seed 002; Kuran 1998",
                role="country",
            ),
            Param(
                "identity_other_base",
                0.1,
                "initial mean affinity of everyone else",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/country.md)",
                role="country",
            ),
            Param(
                "identity_foreign_tv_bonus",
                0.15,
                "initial affinity added for foreign-TV viewers",
                0.0,
                1.0,
                unit="1",
                citation="Peisakhin & Rozenas 2018",
            ),
            Param(
                "identity_spread",
                0.15,
                "half-width of the personal deviation of initial affinity",
                0.0,
                1.0,
                unit="1",
                citation="assumption",
            ),
            Param(
                "foreign_slant",
                0.9,
                "identity slant of the foreign channel",
                0.0,
                1.0,
                unit="1",
                citation=cite,
                role="country",
            ),
            Param(
                "identity_confidence",
                0.35,
                "bounded-confidence radius ε: the channel moves only those within ε of it",
                0.0,
                1.0,
                unit="1",
                citation=cite,
            ),
            Param(
                "identity_pull",
                0.01,
                "daily pull towards the foreign slant (within ε)",
                0.0,
                1.0,
                unit="1/day",
                citation=cite,
            ),
            Param(
                "identity_home_effect",
                0.002,
                "daily drift away from the foreign slant per unit of legitimacy above ½",
                0.0,
                1.0,
                unit="1/day",
                citation="seed 002 (treated well at home); Kuran 1998",
            ),
        ]

    def define_states(self):
        return [State("identity", np.float32, 0.0, "affinity I with the neighbouring state")]

    def init(self, sim):
        p = sim.params
        groups = list(getattr(sim.space, "ethnic_groups", []))
        kin = getattr(sim.space, "group_kin", None)  # from the country pack's groups.csv
        if kin is None or len(kin) != len(groups):
            kin = [g in KIN_GROUPS for g in groups]
        base = np.array(
            [p["identity_kin_base"] if k else p["identity_other_base"] for k in kin]
            or [p["identity_other_base"]],
            dtype=np.float64,
        )
        if sim.pop.n and int(sim.pop.ethnicity.max()) >= base.shape[0]:
            from tolqyn.core.errors import ScenarioError

            raise ScenarioError("ethnicity codes exceed space.ethnic_groups")
        identity_init_kernel(
            sim.streams("identity").key,
            sim.pop.ethnicity,
            sim.pop.media_diet,
            base,
            float(p["identity_foreign_tv_bonus"]),
            float(p["identity_spread"]),
            sim.pop.identity,
        )

    def step(self, sim, phase):
        p = sim.params
        if not p["identity_on"]:
            return
        dt = sim.clock.dt
        identity_step_kernel(
            sim.pop.status,
            sim.pop.media_diet,
            sim.pop.legitimacy,
            sim.pop.identity,
            float(p["foreign_slant"]),
            float(p["identity_confidence"]),
            1.0 - (1.0 - float(p["identity_pull"])) ** dt,
            float(p["identity_home_effect"]) * dt,
        )
