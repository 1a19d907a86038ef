"""Media diet over the years: television gives way to online news as the internet spreads,
and the identity of the Russian-speaking minorities is recorded by what they watch.

The synthesized population carries each citizen's main news source at the reference year
y_ref (about 2022: `media_diet`, assumptions A-MEDIA-*). Going back in time, online news
users were fewer: a citizen whose reference diet is online was online at time t only if

    u_i < min(1, A(t) / A(y_ref))          u_i ~ U(0,1), fixed per citizen (early adopters first)

and before that watched the channel he or she would choose on television: foreign (Russian)
TV with probability p_f(g) of the group, state TV otherwise (the synthesis probabilities
`media_foreign_tv_share_*`). A(t) is internet adoption, a logistic fitted to the pack's
national shares of internet users (62 % in 2013, 79 % in 2017, 91 % about 2022; assumption
A-INTERNET in `tolqyn.data.series`). Citizens whose reference diet is television keep it.
The shift can be frozen (`media_shift_on = false` from some date): everyone keeps the diet of
that date — e.g. foreign TV as popular as in 2014.

Mechanism 8 (identity) reads the diet: the foreign channel pulls the identity of its viewers
within ε of its slant; mechanism 7 (legitimacy) pulls each citizen towards the slant of his or
her channel. So the move online lowers legitimacy (online slant < state TV's) and stops the
foreign channel's pull on identity. Sources: Hegselmann & Krause 2015 (media as constant
signals); Peisakhin & Rozenas 2018; misc_indicators.csv (Kazakhstani TV audience −43 % in
2013–2017; TNS 2018: TV 76 %, internet 51 % daily reach). Seed: 002 (loyalty drifting with
Russian television)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.random import draw_u01
from tolqyn.core.results import Result
from tolqyn.mechanisms.identity import KIN_GROUPS

DIETS = ("state_tv", "foreign_tv", "online")


@njit(parallel=True, cache=True)
def tv_choice_kernel(key, ethnicity, p_foreign, adopt_u, tv_channel):
    for i in prange(ethnicity.shape[0]):
        adopt_u[i] = draw_u01(key, 0, i, 0)
        tv_channel[i] = 1 if draw_u01(key, 0, i, 1) < p_foreign[ethnicity[i]] else 0


@njit(parallel=True, cache=True)
def diet_kernel(status, diet_ref, adopt_u, tv_channel, rel, diet):
    for i in prange(diet_ref.shape[0]):
        if status[i] >= 3:
            continue
        if diet_ref[i] == 2:
            diet[i] = 2 if adopt_u[i] < rel else tv_channel[i]
        else:
            diet[i] = diet_ref[i]


@njit(parallel=True, cache=True)
def identity_by_diet(status, kin, ethnicity, diet, identity, n_bins, counts):
    """counts[d, b]: living kin-minority citizens with diet d and identity in bin b."""
    n = status.shape[0]
    n_chunks = 64
    part = np.zeros((n_chunks, 3, n_bins), dtype=np.int64)
    chunk = (n + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        lo = c * chunk
        hi = min(n, lo + chunk)
        for i in range(lo, hi):
            if status[i] <= 2 and kin[ethnicity[i]]:
                b = int(identity[i] * n_bins)
                if b >= n_bins:
                    b = n_bins - 1
                elif b < 0:
                    b = 0
                part[c, diet[i], b] += 1
    for d in range(3):
        for b in range(n_bins):
            s = 0
            for c in range(n_chunks):
                s += part[c, d, b]
            counts[d, b] = s
    return counts


N_BINS = 10


class MediaHistory(Module):
    name = "media_history"
    phases = ("exogenous", "record")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "media_shift_on",
                True,
                "switch: the media diet follows internet adoption (off: diets stay "
                "as they are when it is switched off)",
                kind="bool",
                sweepable=False,
                citation="assumption A-INTERNET (tolqyn.data.series)",
            ),
            Param(
                "media_reference_year",
                2022.0,
                "y_ref: year at which the synthesized media diet holds",
                2000.0,
                2030.0,
                unit="year",
                citation="A-MEDIA-ONLINE-URBAN/RURAL (Internews 2022; TNS 2018)",
            ),
        ]

    def define_states(self):
        return [
            State("diet_ref", np.int8, 0, "main news source at the reference year (synthesized)"),
            State(
                "adopt_u", np.float32, 0.0, "personal rank of internet adoption (lower = earlier)"
            ),
            State(
                "tv_channel",
                np.int8,
                0,
                "channel watched before going online: 0 state TV, 1 foreign TV",
            ),
        ]

    def define_results(self):
        out = [
            Result(
                f"media_share_{d}",
                f"share of living residents whose main source is {d}",
                "value",
                base="media_share",
                dims=(("diet", d),),
            )
            for d in DIETS
        ]
        out += [
            Result("internet_adoption", "A(t): share of internet users (fitted logistic)", "value")
        ]
        for d in DIETS:
            out += [
                Result(
                    f"identity_kin_{d}",
                    f"mean affinity I of kin minorities whose main source is {d}",
                    "value",
                    base="identity_kin",
                    dims=(("diet", d),),
                ),
                Result(
                    f"identity_kin_high_{d}",
                    f"share of kin-minority {d} audience with I > 0.5",
                    "value",
                    base="identity_kin_high",
                    dims=(("diet", d),),
                ),
                Result(
                    f"kin_audience_{d}",
                    f"kin-minority citizens whose main source is {d}",
                    base="kin_audience",
                    dims=(("diet", d),),
                ),
            ]
        out += [
            Result(
                f"identity_kin_bin{b}_{d}",
                f"share of kin-minority {d} audience with I in "
                f"[{b / N_BINS:.1f}, {(b + 1) / N_BINS:.1f})",
                "value",
                base="identity_kin_bin",
                dims=(("diet", d), ("bin", str(b))),
            )
            for d in DIETS
            for b in range(N_BINS)
        ]
        out += [
            Result("identity_kin_mean", "mean affinity I of living kin-minority citizens", "value")
        ]
        return out

    def init(self, sim):
        from tolqyn.data.synthesis import RUSSOPHONE

        p, pop = sim.params, sim.pop
        groups = list(getattr(sim.space, "ethnic_groups", []))
        self._kin = np.array([g in KIN_GROUPS for g in groups] or [False], dtype=np.bool_)
        russophone = (
            np.array([g in KIN_GROUPS for g in groups])
            if len(groups) != RUSSOPHONE.size
            else RUSSOPHONE
        )
        p_f = np.where(
            russophone,
            float(p["media_foreign_tv_share_russophone"]),
            float(p["media_foreign_tv_share_other"]),
        ).astype(np.float64)
        pop.diet_ref[:] = pop.media_diet
        tv_choice_kernel(
            sim.streams("media_history").key, pop.ethnicity, p_f, pop.adopt_u, pop.tv_channel
        )
        self._counts = np.zeros((3, N_BINS), dtype=np.int64)
        self._rel = 1.0
        # media_diet is shared with legitimacy and identity, which initialise after this module
        self._update(sim)

    def relative_adoption(self, sim) -> float:
        from tolqyn.data.series import internet_adoption
        from tolqyn.models.exit.exit_hazard import _decimal_year

        year = _decimal_year(sim) if sim.t > 0 else _start_year(sim)
        ref = internet_adoption(float(sim.params["media_reference_year"]))
        return min(1.0, internet_adoption(year) / ref) if year > 0 else 1.0

    def _update(self, sim):
        if not sim.params["media_shift_on"]:
            return
        self._rel = self.relative_adoption(sim)
        diet_kernel(
            sim.pop.status,
            sim.pop.diet_ref,
            sim.pop.adopt_u,
            sim.pop.tv_channel,
            self._rel,
            sim.pop.media_diet,
        )

    def step(self, sim, phase):
        if phase == "exogenous":
            self._update(sim)
            return
        pop, t = sim.pop, sim.t
        living = pop.status <= 2
        n_liv = max(int(living.sum()), 1)
        counts = np.bincount(pop.media_diet[living], minlength=3)
        for k, d in enumerate(DIETS):
            sim.results.record(f"media_share_{d}", t, float(counts[k] / n_liv))
        from tolqyn.data.series import internet_adoption
        from tolqyn.models.exit.exit_hazard import _decimal_year

        year = _decimal_year(sim) if t > 0 else _start_year(sim)
        sim.results.record(
            "internet_adoption", t, internet_adoption(year) if year > 0 else float("nan")
        )
        if "identity" not in pop:
            return
        c = identity_by_diet(
            pop.status, self._kin, pop.ethnicity, pop.media_diet, pop.identity, N_BINS, self._counts
        )
        kin_mask = living & self._kin[pop.ethnicity]
        all_mean = float(pop.identity[kin_mask].mean()) if kin_mask.any() else float("nan")
        sim.results.record("identity_kin_mean", t, all_mean)
        for k, d in enumerate(DIETS):
            tot = c[k].sum()
            sim.results.record(f"kin_audience_{d}", t, float(tot))
            sel = kin_mask & (pop.media_diet == k)
            sim.results.record(
                f"identity_kin_{d}", t, float(pop.identity[sel].mean()) if tot else float("nan")
            )
            sim.results.record(
                f"identity_kin_high_{d}",
                t,
                float(c[k, N_BINS // 2 :].sum() / tot) if tot else float("nan"),
            )
            for b in range(N_BINS):
                sim.results.record(
                    f"identity_kin_bin{b}_{d}", t, float(c[k, b] / tot) if tot else float("nan")
                )


def _start_year(sim) -> float:
    """Decimal year of the start date (the initial state); 0 without a calendar."""
    if sim.clock.start is None:
        return 0.0
    from tolqyn.data.series import decimal_year

    return decimal_year(sim.clock.start)
