"""Mechanism 10 — exit ↔ voice coupling (Hirschman 1970/1993; Pfaff 2006).

Two channels:
* drain: emigrants leave the pool of would-be protesters (they are no longer in the
  population that decides; mechanism 9 takes them out);
* signal: exit that people see is read as a sign of the regime's weakness. With E_r the
  emigrants of region r over the last W days per 1,000 residents,

      x_r = γ·E_r            lowers every bandwagon threshold in r (mechanism 3)
      L_i −= λ_x·E_{r(i)}·L_i·dt   (legitimacy, once per day)

With both channels on, voice as a function of the exit rate should first rise (signal) and
then fall (drain): Pfaff's inverted U, a validation target (docs/literature.md, target 17).
The coupling is our synthesis; no published ABM joins exit and protest (docs/literature.md §4.2).
Seed: 000 (one who leaves to speak from abroad; the cup of patience)."""

from __future__ import annotations

import numpy as np

from tolqyn.core.module import Module
from tolqyn.core.params import Param


class ExitVoice(Module):
    name = "exit_voice"
    phases = ("perceive",)

    @classmethod
    def define_params(cls):
        cite = "Hirschman 1993; Pfaff 2006; docs/literature.md §4.2 (our synthesis)"
        return [
            Param(
                "exit_voice_on",
                True,
                "switch: off removes the signal channel (the drain remains)",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "exit_signal_weight",
                0.1,
                "γ: threshold fall per emigrant per 1,000 residents over the window",
                0.0,
                100.0,
                unit="1 per (emigrants/1000)",
                citation=cite,
            ),
            Param(
                "exit_legit_weight",
                0.002,
                "λ_x: daily relative fall of legitimacy per emigrant per 1,000 residents",
                0.0,
                100.0,
                unit="1/day per (emigrants/1000)",
                citation=cite,
            ),
            Param(
                "exit_window_days",
                30.0,
                "W: how long an emigration stays visible",
                1.0,
                3650.0,
                unit="days",
                citation="assumption",
            ),
        ]

    def init(self, sim):
        self._window: list[np.ndarray] = []

    def step(self, sim, phase):
        p, cs = sim.params, sim.country
        # the flow recorded by the emigration module in the previous step
        self._window.append(cs.emig_reg * cs.scale)
        keep = max(1, int(round(float(p["exit_window_days"]) / sim.clock.dt)))
        if len(self._window) > keep:
            self._window = self._window[-keep:]
        per_mille = np.sum(self._window, axis=0) / np.maximum(cs.reg_persons, 1.0) * 1000.0
        if not p["exit_voice_on"]:
            cs.exit_signal[:] = 0.0
            return
        cs.exit_signal[:] = float(p["exit_signal_weight"]) * per_mille
        cs.legit_shock[:] -= float(p["exit_legit_weight"]) * per_mille * sim.clock.dt
