"""Courts and impunity: salient cases move legitimacy through the channels that carried them.

Instead of hand-placed `legitimacy_shock` events, a sourced table of cases (court_cases.csv:
date, kind, and whether state TV, foreign TV and online media carried it) is read at set-up.
A case is not a one-day shock that mechanism 7's pull back to the channel's slant would erase
within months: it changes what the channel can credibly say about the state's fairness — the
record of the courts (Tyler 2006: legitimacy rests on the accumulated record of fair
procedure). Each channel d's legitimacy slant carries the remembered cases,

    Δs_d(t) = Σ_cases c_{d,k} · ω_d · σ_kind(k) · exp(−(t − t_k) / τ)

c_{d,k} ∈ {0, 1}: did channel d carry case k; ω_d = ω for state TV (it carries the official
version) and 1 otherwise; σ_impunity, σ_unequal, σ_political < 0 (the powerful let off, a harsh
sentence for the powerless or a critic, a political killing or trial), σ_accountable > 0 (the
powerful punished); τ how long the public remembers. Viewers are pulled towards the shifted
slant by mechanism 7 (at `media_pull`), so a case reaches those whose channel reported it.
Sources: Tyler 2006 (procedural justice and legitimacy); Gilley 2006 (legality as a source of
legitimacy); Lemos, Lopes & Coelho 2016 (legitimacy from legality, justification and consent);
seeds 000 and 004 (the petty thief's seven years, the official's two; the oligarch's son who
drives on). Sizes are assumptions (docs/odd/exit.md §7.9); the mechanism is off in the replay
and enters through the fair-courts counterfactual (`tolqyn exit-whatif --courts`)."""

from __future__ import annotations

import datetime as _dt
import math
from functools import lru_cache

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.models.exit.slants import SLANTS, slant_shifts

KINDS = ("impunity", "unequal", "political", "accountable")
CITE = "Tyler 2006; Gilley 2006; Lemos, Lopes & Coelho 2016; seeds 000, 004"

# the ranges the fair-courts counterfactual draws the unidentified sizes from (§7.9)
PRIOR_RANGES = {
    "court_impunity_size": (-0.06, -0.005),
    "court_unequal_size": (-0.06, -0.005),
    "court_political_size": (-0.08, -0.01),
    "court_accountable_size": (0.005, 0.05),
    "court_state_tv_weight": (0.0, 0.5),
    "court_memory_years": (1.0, 10.0),
}


@lru_cache(maxsize=1)
def court_cases() -> tuple:
    """((date, kind index, carried by [state TV, foreign TV, online]), ...) from the package."""
    from tolqyn.data.loaders import read_csv

    t = read_csv("court_cases.csv")
    rows = []
    for d, k, s, f, o in zip(t["date"], t["kind"], t["state_tv"], t["foreign_tv"], t["online"]):
        day = _dt.date.fromisoformat(str(d))
        rows.append((day, KINDS.index(str(k)), (int(s), int(f), int(o))))
    return tuple(sorted(rows))


class Courts(Module):
    name = "courts"
    phases = ("exogenous", "record")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "courts_on",
                False,
                "switch: the sourced court cases move legitimacy through "
                "the channels that carried them",
                kind="bool",
                sweepable=False,
                citation=CITE,
            ),
            Param(
                "courts_fair",
                False,
                "counterfactual: courts that treat the powerful and the "
                "powerless alike — no case of impunity, unequal sentence or political trial",
                kind="bool",
                sweepable=False,
                citation=CITE,
            ),
            Param(
                "court_impunity_size",
                -0.02,
                "σ: legitimacy shock of a case of impunity",
                -1.0,
                0.0,
                unit="1",
                citation="assumption; " + CITE,
            ),
            Param(
                "court_unequal_size",
                -0.02,
                "σ: legitimacy shock of a harsh sentence for the powerless or a critic",
                -1.0,
                0.0,
                unit="1",
                citation="assumption; " + CITE,
            ),
            Param(
                "court_political_size",
                -0.03,
                "σ: legitimacy shock of a political killing, death in custody or political trial",
                -1.0,
                0.0,
                unit="1",
                citation="assumption; " + CITE,
            ),
            Param(
                "court_accountable_size",
                0.02,
                "σ: legitimacy gain when the powerful are punished",
                0.0,
                1.0,
                unit="1",
                citation="assumption; Tyler 2006",
            ),
            Param(
                "court_memory_years",
                4.0,
                "τ: how long the public remembers a case (e-folding time of its shift of the "
                "slants)",
                0.1,
                50.0,
                unit="years",
                citation="assumption",
            ),
            Param(
                "court_state_tv_weight",
                0.25,
                "ω: how strongly state-TV viewers are moved by "
                "a case state TV carried (its official version)",
                0.0,
                1.0,
                unit="1",
                citation="assumption; Guriev & Treisman 2019",
            ),
        ]

    def define_results(self):
        return [
            Result(
                "court_cases", "salient court cases that reached the public in the step", "value"
            )
        ]

    def init(self, sim):
        p = sim.params
        self._cases = []
        self._seen = 0
        self._now = 0
        self._slant = slant_shifts(sim)
        self.shift = [0.0, 0.0, 0.0]
        if not p["courts_on"] or sim.clock.start is None:
            return
        fair = bool(p["courts_fair"])
        # a case before the run's start is part of the record the run starts with
        self._cases = [c for c in court_cases() if not (fair and KINDS[c[1]] != "accountable")]

    def step(self, sim, phase):
        if phase == "record":
            sim.results.record("court_cases", sim.t, float(self._now))
            self._now = 0
            return
        if not self._cases:
            return
        p = sim.params
        sizes = [float(p[f"court_{k}_size"]) for k in KINDS]
        weight = (float(p["court_state_tv_weight"]), 1.0, 1.0)
        tau = float(p["court_memory_years"]) * 365.25
        end = (sim.clock.datetime_at(sim.t) + _dt.timedelta(days=sim.clock.dt)).date()
        shift = [0.0, 0.0, 0.0]
        known = 0
        for day, kind, carried in self._cases:
            if day >= end:
                break
            known += 1
            decay = math.exp(-(end - day).days / tau)
            for d in range(3):
                shift[d] += carried[d] * weight[d] * sizes[kind] * decay
        self._now, self._seen = known - self._seen, known
        for d, name in enumerate(SLANTS):
            self._slant.set(p, "courts", name, shift[d])
        self.shift = shift
