"""Mechanism 10 — exit ↔ voice coupling (Hirschman 1970/1993; Pfaff 2006).

Two channels:
* drain: emigrants leave the pool of would-be protesters (they are no longer in the
  population that decides; mechanism 9 takes them out);
* signal: exit that people see is read as a sign of the regime's weakness, but only exit
  above the usual: the ordinary emigration of a quiet year is not news, and the legitimacy a
  run starts from already reflects it. With E_r the emigrants of region r over the last W days
  per 1,000 residents and R_r the usual flow over the same steps,

      X_r = E_r − R_r                emigration above (or below) the usual
      x_r = γ·X_r                    lowers every bandwagon threshold in r (mechanism 3)
      L_i −= λ_x·X_{r(i)}·L_i·dt     (legitimacy)

  The usual flow starts as the expected emigrants of the first step (Σ p_i, mechanism 9, with
  no draw) and adapts to the flow that follows with a half-life H (habituation: a rate that
  lasts becomes the usual); while the borders are closed nobody is expected to leave (R = 0
  for those steps). X is signed: fewer leaving than usual reads as a little confidence, and a
  one-sided X would turn the noise of a small flow into a steady fall (E is counted in
  agents of `scale` persons). Without the reference (R = 0) the ordinary emigration of a quiet
  country lowered its legitimacy every day (docs/odd/episodes.md §7.5).

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
            Param(
                "exit_reference_half_life",
                365.0,
                "H: half-life with which the usual emigration flow adapts to the flow that "
                "follows (a rate that lasts stops being news)",
                1.0,
                1e6,
                unit="days",
                citation="assumption (docs/odd/episodes.md section 7.5)",
            ),
        ]

    def init(self, sim):
        self._window: list[np.ndarray] = []  # emigrants a step (persons)
        self._usual_window: list[np.ndarray] = []  # the usual flow of the same steps
        self._usual = None
        self._started = False

    def step(self, sim, phase):
        p, cs = sim.params, sim.country
        if self._started:
            # the flow of the previous step, and the usual flow it is compared with (the
            # emigration module knows the usual flow from its first step on)
            flow = cs.emig_reg * cs.scale
            if self._usual is None:
                self._usual = cs.emig_usual * cs.scale
            self._window.append(flow)
            # closed borders: nobody is expected to leave (and the habit does not adapt)
            self._usual_window.append(self._usual.copy() if self._open else 0.0 * flow)
            if self._open:
                a = 1.0 - 2.0 ** (-sim.clock.dt / float(p["exit_reference_half_life"]))
                self._usual = self._usual + (flow - self._usual) * a
        self._started = True
        self._open = bool(cs.borders_open)  # the borders of the step whose flow comes next
        keep = max(1, int(round(float(p["exit_window_days"]) / sim.clock.dt)))
        if len(self._window) > keep:
            self._window = self._window[-keep:]
            self._usual_window = self._usual_window[-keep:]
        if not p["exit_voice_on"] or not self._window:
            cs.exit_signal[:] = 0.0
            return
        excess = np.sum(self._window, axis=0) - np.sum(self._usual_window, axis=0)
        per_mille = excess / np.maximum(cs.reg_persons, 1.0) * 1000.0
        cs.exit_signal[:] = float(p["exit_signal_weight"]) * per_mille
        cs.legit_shock[:] -= float(p["exit_legit_weight"]) * per_mille * sim.clock.dt
