"""Mechanism 11 over a decade — the tenge's exchange rate as a dated series feeding the economy
module's hardship (the February 2014 and August 2015 devaluations above all).

Each step, before the economy module computes its shock, the exchange rate is set from the
series of `tolqyn.data.series.exchange_rate()` (pack points: ~20 % devaluation on 13 Feb 2014;
188 → 255 KZT/USD at the free float of 20 Aug 2015; 349 on 22 Dec 2015; 431.8 in Jan 2022;
documented assumptions A-FX-* fill the gaps), times a counterfactual multiplier m:

    fx(t) = m(t) · X(t_mid)        X: the series at the middle of the step

The economy module (mechanism 11) turns rises of fx above the rate people are used to into
hardship, w_fx·max(0, ln(fx/fx*)), with fx* adapting at the half-life h. "The tenge falls
again by a third" is m = 1.5 from that date (a third less value per tenge = 1.5 × the KZT/USD
rate). Sources: McCulloch et al. 2022; Drabo et al. 2023 (exchange-rate shocks and unrest);
context.csv; seed 000 (the devaluation that halved savings)."""

from __future__ import annotations

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result


class FxHistory(Module):
    name = "fx_history"
    phases = ("exogenous", "record")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "fx_series_on",
                True,
                "switch: the exchange rate follows the dated series (off: the "
                "`exchange_rate` parameter is left as it is)",
                kind="bool",
                sweepable=False,
                citation="context.csv; tolqyn.data.series (A-FX-*)",
            ),
            Param(
                "fx_multiplier",
                1.0,
                "m: counterfactual multiplier of the KZT/USD rate (1.5 = the tenge "
                "loses a third of its value)",
                0.1,
                10.0,
                unit="1",
                citation="counterfactual input",
            ),
        ]

    def define_results(self):
        return [Result("exchange_rate", "KZT per USD used in the step", "value")]

    def init(self, sim):
        from tolqyn.data.series import exchange_rate

        self._series = exchange_rate()
        self._set(sim, sim.clock.start)

    def _set(self, sim, when):
        p = sim.params
        if not p["fx_series_on"] or when is None:
            return
        sim.params.set("exchange_rate", float(p["fx_multiplier"]) * self._series.value_at(when))

    def step(self, sim, phase):
        if phase == "record":
            sim.results.record("exchange_rate", sim.t, float(sim.params["exchange_rate"]))
            return
        mid = sim.clock.midpoint(sim.t)
        if mid is not None:
            self._set(sim, mid)
