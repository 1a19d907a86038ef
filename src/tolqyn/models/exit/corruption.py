"""Mechanism 7 over a decade — legitimacy drifts with the corruption perceptions index.

Perceived legitimacy is pulled towards the slant of each citizen's channel (mechanism 7). What
the channels can credibly say moves with how corrupt the state is seen to be: each step the
three slants are shifted by

    δ(t) = w_C · (min(100, CPI(t) + CPI_off(t)) − CPI_ref) / 100      s_d(t) = clip(s_d + δ(t), 0, 1)

CPI is Transparency International's score (0–100, higher = cleaner; context.csv 2015–2024;
held at the 2015 score before, assumption A-CPI-PRE2015); CPI_off is what accountable
government adds (mechanism 12, `accountability.py`; 0 in the replay). s_d are the slants the run started
with (scenario values), so a slant set by an event is overridden while this module is on.
Sources: Clark, Golder & Golder 2017 (the state's responsiveness and exit); docs/literature.md §7
(corruption and impunity erode legitimacy); Lemos, Lopes & Coelho 2016 (endogenous
legitimacy); seeds 000 and 004 (officials who answer upward)."""

from __future__ import annotations

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result

SLANTS = ("slant_state_tv", "slant_foreign_tv", "slant_online")


class CorruptionDrift(Module):
    name = "corruption"
    phases = ("exogenous", "record")

    @classmethod
    def define_params(cls):
        cite = "context.csv cpi_score (TI); docs/literature.md §7; Lemos, Lopes & Coelho 2016"
        return [
            Param(
                "corruption_on",
                True,
                "switch: channel slants drift with the corruption index",
                kind="bool",
                sweepable=False,
                citation=cite,
            ),
            Param(
                "corruption_weight",
                1.0,
                "w_C: shift of every channel's legitimacy slant per unit of CPI/100 "
                "above the reference",
                0.0,
                10.0,
                unit="slant per (CPI/100)",
                citation=cite,
            ),
            Param(
                "corruption_reference",
                28.0,
                "CPI_ref: score at which the slants equal their scenario values (2015 score)",
                0.0,
                100.0,
                unit="CPI score",
                citation="context.csv (2015: 28)",
            ),
        ]

    def define_results(self):
        return [
            Result("corruption_index", "TI corruption perceptions score used in the step", "value"),
            Result(
                "legitimacy_drift",
                "δ: shift of the channel slants from the corruption index",
                "value",
            ),
        ]

    def init(self, sim):
        from tolqyn.data.series import corruption_index
        from tolqyn.models.exit.accountability import Accountability

        self._series = corruption_index()
        # the elections module, where the model has one, runs before this one in each step
        self._accountability = next((m for m in sim.modules if isinstance(m, Accountability)), None)
        self._base = {k: float(sim.params[k]) for k in SLANTS}
        self._cpi = float("nan")
        self._delta = 0.0
        self._apply(sim, sim.clock.start)

    def _apply(self, sim, when):
        p = sim.params
        if not p["corruption_on"] or when is None:
            return
        offset = self._accountability.cpi_offset if self._accountability else 0.0
        self._cpi = min(100.0, self._series.value_at(when) + offset)
        self._delta = (
            float(p["corruption_weight"]) * (self._cpi - float(p["corruption_reference"])) / 100.0
        )
        for k in SLANTS:
            sim.params.set(k, min(1.0, max(0.0, self._base[k] + self._delta)))

    def step(self, sim, phase):
        if phase == "record":
            sim.results.record("corruption_index", sim.t, self._cpi)
            sim.results.record("legitimacy_drift", sim.t, self._delta)
            return
        mid = sim.clock.midpoint(sim.t)
        if mid is not None:
            self._apply(sim, mid)
