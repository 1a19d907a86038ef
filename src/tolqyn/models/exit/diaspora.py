"""Emigrants' online voice towards home (mechanism 9, docs/odd/country.md §7.9): an emigrant
keeps his or her ties, and what he or she writes of home reaches the contacts left behind who
are online.

    x_i  = contacts of i who have emigrated / contacts of i
    L_i −= v · a_{d(i)} · x_i · L_i · dt                     (citizens at home, at liberty)

a_d is the online reach of media diet d (mechanism 6: 1 for online users, `online_access_*` for
the others), v (`diaspora_voice`, per day) the weight of a contact's voice from abroad. Those
who leave are, more often than those who stay, those whose grievance was high (mechanism 9's
hazard rises with it), so their voice is taken to be critical. Unlike the journalists of the
press module, who are a cohort in persons, ordinary emigrants are agents, and their voice
travels only along the contact network they leave behind. It adds to mechanism 10's signal
(exit read as news) a channel that lasts as long as the ties do: a stock, not a flow.

Migrants carry political views home (Levitt 1998, International Migration Review 32(4): social
remittances; Pérez-Armendáriz & Crow 2010, Comparative Political Studies 43(1): Mexicans with
migrant contacts hold more democratic beliefs; Batista & Vicente 2011, World Bank Economic Review
25(1): migration abroad raises the demand for accountability at home); Hirschman 1993 (exit
that keeps a voice). v is not identified by Kazakhstan's emigration record: it is 0 in the
replay and enters through the question "emigrants silent towards home" of the exit report,
which draws v over PRIOR_RANGES (docs/odd/exit.md §7.10). Seed 000 (the one who leaves to
keep speaking)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result

# the range the diaspora question draws v from (§7.10): at its top, a citizen online with
# a quarter of his or her contacts abroad loses 0.6 % of legitimacy a month to their voice
PRIOR_RANGES = {"diaspora_voice": (0.0, 8e-4)}

CITE = "Levitt 1998; Pérez-Armendáriz & Crow 2010; Batista & Vicente 2011; Hirschman 1993; seed 000"


@njit(parallel=True, cache=True)
def diaspora_kernel(status, indptr, indices, media, access, legit, rate, out_heard):
    """L_i −= rate·a_d·x_i·L_i for citizens at home and free; out_heard[i] = x_i."""
    for i in prange(status.shape[0]):
        out_heard[i] = 0.0
        if status[i] >= 2:  # detained or emigrated: not reading home's feeds from here
            continue
        a = indptr[i]
        b = indptr[i + 1]
        if b <= a:
            continue
        c = 0
        for e in range(a, b):
            if status[indices[e]] == 3:
                c += 1
        if c == 0:
            continue
        x = c / (b - a)
        out_heard[i] = x
        if rate <= 0.0:
            continue
        L = legit[i] - rate * access[media[i]] * x * legit[i]
        legit[i] = L if L > 0.0 else 0.0


class Diaspora(Module):
    name = "diaspora"
    phases = ("perceive", "record")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "diaspora_voice",
                0.0,
                "v: daily relative fall of an online citizen's legitimacy per share of his or "
                "her contacts abroad (0: emigrants are silent towards home, as in the replay)",
                0.0,
                0.1,
                unit="1/day",
                citation=CITE,
            ),
        ]

    def define_results(self):
        return [
            Result(
                "contacts_abroad_share",
                "mean share of a citizen's contacts who have emigrated (citizens at home)",
                "value",
            ),
        ]

    def init(self, sim):
        self._heard = np.zeros(sim.pop.n)

    def step(self, sim, phase):
        pop = sim.pop
        if phase == "record":
            home = pop.status < 2
            v = float(self._heard[home].mean()) if home.any() else 0.0
            sim.results.record("contacts_abroad_share", sim.t, v)
            return
        p = sim.params
        rate = float(p["diaspora_voice"]) * sim.clock.dt  # 0: x_i is still measured
        net = sim.space.network
        access = np.array([p["online_access_state_tv"], p["online_access_foreign_tv"], 1.0])
        diaspora_kernel(
            pop.status,
            net.indptr,
            net.indices,
            pop.media_diet,
            access,
            pop.legitimacy,
            rate,
            self._heard,
        )
