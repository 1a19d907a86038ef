"""Mechanism 12 — accountability: elections that can replace a government. The election itself
(the turnover draw, the fresh mandate, its parameters) is the shared mechanism of
`tolqyn.mechanisms.elections`, which the country model also runs for the elections of a
scenario's timeline; this module schedules elections every N years and adds the decade
model's corruption offsets.

An institutional setting of the scenario. With `elections_every = 0` (the default, and the
replay of Kazakhstan 2004-2019, where no national election could change who governs) the module
does nothing and consumes no random draw, so the replay is unchanged to the bit.

With elections every N years from `elections_from`, at each election e the incumbent loses with

    P_lose(e) = c · 1 / (1 + exp((L̄ − L*) / w))

c: how competitive elections are (0 = a formality, 1 = free and fair); L̄: mean perceived
legitimacy of the resident adult population at the election; L*: the legitimacy at which an
incumbent is as likely to lose as to win a free election; w: how sharply. The draw uses the
counter-based stream "accountability", keyed by the election's index, so that two variants with
the same elections see the same luck.

A change of government (Clark, Golder & Golder 2017: the state responds when citizens can
sanction it; Besley 2006: elections select and discipline office-holders) does three things:

    CPI_off  += Δ_turnover                          a new government cleans up (capped at 100)
    concessions += k_turnover                       voice is seen to work (efficacy of voice)
    legitimacy shock  +λ_turnover                   a fresh mandate (mechanism 7's shock)

and competitive elections discipline incumbents even without turnover (Ferraz & Finan 2011:
reelection incentives lower corruption): between elections

    CPI_off  += c · r_discipline · Δt_years

The offset adds to the corruption perceptions index that `CorruptionDrift` feeds into the
channel slants (docs/odd/exit.md §7.3), so accountability reaches legitimacy, grievance and
exit through the mechanisms already there, not through a new shortcut. None of these
parameters can be identified from Kazakhstan's own record (it had no competitive elections):
their ranges are assumptions, and a counterfactual draws them over those ranges
(`tolqyn exit-whatif --elections`)."""

from __future__ import annotations

import datetime as _dt

from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.mechanisms.elections import Elections, election_params, lose_probability

CITE = "Clark, Golder & Golder 2017; Besley 2006; Ferraz & Finan 2011; seeds 000, 004"

# the ranges a counterfactual draws the unidentified parameters from (docs/odd/exit.md §7.7)
PRIOR_RANGES = {
    "election_survival_legitimacy": (0.45, 0.65),
    "turnover_cpi_gain": (2.0, 12.0),
    "discipline_cpi_rate": (0.0, 1.5),
    "turnover_concessions": (0.5, 2.0),
    "turnover_legitimacy": (0.0, 0.15),
}


class Accountability(Elections):
    """The shared election mechanism (turnover draw, official results of a timeline) with
    elections scheduled every N years and the decade model's corruption offsets."""

    name = "accountability"
    phases = ("exogenous", "record")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "elections_every",
                0.0,
                "years between national elections that could replace the government "
                "(0 = none: the replay)",
                0.0,
                20.0,
                unit="years",
                citation=CITE,
                sweepable=False,
            ),
            Param(
                "elections_from",
                "2005-12-04",
                "date of the first such election (default: the 2005 presidential election)",
                kind="str",
                citation="context: presidential election of 4 December 2005",
                sweepable=False,
            ),
            Param(
                "turnover_cpi_gain",
                6.0,
                "Δ: rise of the corruption perceptions score when a government is replaced",
                0.0,
                50.0,
                unit="CPI points",
                citation="assumption; Besley 2006 (selection of office-holders)",
            ),
            Param(
                "discipline_cpi_rate",
                0.5,
                "r: yearly rise of the CPI score under fully competitive elections, turnover "
                "or not (the threat of losing disciplines)",
                0.0,
                10.0,
                unit="CPI points/year",
                citation="assumption; Ferraz & Finan 2011 (reelection incentives and corruption)",
            ),
            *election_params(),
        ]

    def define_results(self):
        return super().define_results() + [
            Result("accountability_cpi_offset", "CPI points added by accountability", "value"),
        ]

    def init(self, sim):
        p = sim.params
        super().init(sim)
        self.cpi_offset = 0.0
        self.n_changes = 0
        self._steps: list[int] = []  # steps whose interval holds an election (the clock's)
        every = float(p["elections_every"])
        if every <= 0.0 or sim.clock.start is None:
            return
        from tolqyn.core.errors import ScenarioError

        try:
            first = _dt.datetime.fromisoformat(str(p["elections_from"]))
        except ValueError as err:
            raise ScenarioError(
                f"not an ISO date: {p['elections_from']!r} ({err})",
                source=sim.scenario.source,
                field="params.elections_from",
            ) from None
        end = sim.clock.start + _dt.timedelta(days=sim.clock.dt * sim.n_steps)
        k = 0
        while True:
            d = first + _dt.timedelta(days=365.25 * every * k)
            if d >= end:
                break
            if d >= sim.clock.start:
                self._steps.append(sim.clock.step_of(d))
            k += 1

    def lose_probability(self, mean_legitimacy: float, p) -> float:
        return lose_probability(mean_legitimacy, p)

    def step(self, sim, phase):
        if phase == "record":
            sim.results.record("accountability_cpi_offset", sim.t, self.cpi_offset)
            super().step(sim, phase)
            return
        if not self._steps and float(sim.params["elections_every"]) <= 0.0:
            return
        p = sim.params
        c = float(p["election_competitiveness"])
        self.cpi_offset += c * float(p["discipline_cpi_rate"]) * sim.clock.dt / 365.25
        while self._steps and self._steps[0] <= sim.t:
            self._steps.pop(0)
            self._election(sim)

    def _election(self, sim):
        self._on_election(sim)

    def _after_turnover(self, sim):
        # a new government cleans up: the decade model's corruption index
        self.n_changes += 1
        self.cpi_offset += float(sim.params["turnover_cpi_gain"])
