"""Kuran's preference falsification and revolutionary bandwagons (Kuran 1989, 1991, 1995).

Each person i holds a private preference x_i in [0, 1] (degree of opposition to the regime;
privately opposed when x_i > opposition_cutoff) and shows a binary public preference. i
opposes in public iff the share of public opposition it sees, S_i, reaches its personal
revolutionary threshold T_i. With everybody seeing the national share S this is the
Granovetter map on shares:

    S_{t+1} = (1/N) #{i : T_i <= S_t},   S_0 = 0.

Thresholds are either an explicit list or derived from private preferences and repression.
The derivation is our restatement of Kuran's three payoffs (intrinsic payoff ignored, as it
is negligible for one person): public dissent gives
    integrity      (2 x_i - 1)       (> 0 for the privately opposed),
    reputation     kappa (2 S - 1)   (pressure towards the visible majority),
    punishment    -rho               (repression of dissent),
and i dissents iff their sum is >= 0, i.e. iff S >= T_i with

    T_i = max(0, 1/2 + (rho - (2 x_i - 1)) / (2 kappa)).

T_i > 1 means "never in public". Supporters (x_i < 1/2) have T_i > 1/2: they join once the
opposition is the visible majority and then falsify in the other direction ("fear changes
sides"). In the derived mode T_i is recomputed every step, so timeline events on
`repression` or `reputation_weight` move thresholds during a run.

On a network (Makowsky & Rubin 2013) i sees S_i = w S + (1 - w) (public dissenters among
its contacts) / (its contacts), with w = broadcast_weight; the network's range stands for
the reach of communication technology.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from tolqyn.core import status as S
from tolqyn.core.errors import InvariantError, ScenarioError
from tolqyn.core.module import Model, Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.models.thresholds.granovetter import (
    events_pending,
    given_explicitly,
    quantile_points,
    refuse_setup_changes,
)
from tolqyn.space import network as nw

KURAN = "Kuran (1989) Public Choice 61: 41-74; Kuran (1991) World Politics 44(1): 7-48"
KURAN_FORM = KURAN + "; functional form of T(x, rho) is our restatement of Kuran (1995)"
MAKOWSKY = "Makowsky & Rubin (2013), PLoS ONE 8(11): e80380"
_TOL = 1e-12  # T_i <= S up to rounding: 3/10 and 0.3 must compare equal


@njit(cache=True)
def visible_share(indptr, indices, public, global_share, w, out):
    """out[i] = w * global_share + (1 - w) * (public contacts of i) / (contacts of i);
    a person without contacts sees only the broadcast part."""
    n = indptr.shape[0] - 1
    for i in range(n):
        k = indptr[i + 1] - indptr[i]
        if k == 0:
            out[i] = w * global_share
            continue
        c = 0
        for e in range(indptr[i], indptr[i + 1]):
            if public[indices[e]]:
                c += 1
        out[i] = w * global_share + (1.0 - w) * (c / k)
    return out


def thresholds_from_preferences(x, repression: float, reputation_weight: float) -> np.ndarray:
    """T_i = max(0, 1/2 + (rho - (2 x_i - 1)) / (2 kappa)), see the module docstring."""
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(0.0, 0.5 + (repression - (2.0 * x - 1.0)) / (2.0 * reputation_weight))


def preferences_from_thresholds(t, repression: float, reputation_weight: float) -> np.ndarray:
    """Inverse of the derivation (clipped to [0, 1]): the private preference that makes a
    person with threshold T_i indifferent at S = T_i under the given repression."""
    t = np.asarray(t, dtype=np.float64)
    return np.clip(0.5 + (repression + reputation_weight * (1.0 - 2.0 * t)) / 2.0, 0.0, 1.0)


def kuran_equilibrium(thresholds, n: int | None = None) -> int:
    """Number publicly opposed at the fixed point of S -> (1/N)#{T_i <= S} from S = 0."""
    t = np.sort(np.asarray(thresholds, dtype=np.float64))
    if t.ndim != 1 or np.isnan(t).any() or (t < 0).any():
        raise ValueError("thresholds must be a one-dimensional sequence of shares >= 0")
    n = t.size if n is None else n
    count = 0
    while True:
        nxt = int(np.searchsorted(t, count / n + _TOL, side="right"))
        if nxt == count:
            return count
        count = nxt


_SETUP_PARAMS = (
    "n_agents",
    "thresholds",
    "preferences",
    "preference_mean",
    "preference_concentration",
    "sampling",
    "network",
    "network_range",
    "rewire",
    "mean_degree",
)


class Falsification(Module):
    """Public vs private preference with personal revolutionary thresholds."""

    name = "kuran"
    phases = ("perceive", "decide", "record")
    doc = "Kuran's revolutionary thresholds on the national or network-visible public share"

    @classmethod
    def define_params(cls):
        return [
            Param(
                "repression",
                0.2,
                "punishment of public dissent (rho), in units of the "
                "integrity payoff of a fully opposed person; derived thresholds only",
                0.0,
                100.0,
                unit="1",
                citation=KURAN_FORM,
            ),
            Param(
                "reputation_weight",
                0.5,
                "weight kappa of the reputational payoff of "
                "siding with the visible majority; derived thresholds only",
                1e-6,
                1e6,
                unit="1",
                citation=KURAN_FORM,
            ),
            Param(
                "threshold_shift",
                0.0,
                "offset added to every revolutionary threshold "
                "(a shock); may change through timeline events",
                -1.0,
                1.0,
                unit="share",
                citation=KURAN,
            ),
            Param(
                "opposition_cutoff",
                0.5,
                "a person is privately opposed when x_i exceeds it",
                0.0,
                1.0,
                unit="1",
                citation=KURAN,
            ),
            Param(
                "broadcast_weight",
                0.0,
                "on a network, weight w of the national public "
                "share in what a person sees (1 = everyone sees the national share)",
                0.0,
                1.0,
                unit="1",
                citation=MAKOWSKY,
            ),
        ]

    def define_results(self):
        return [
            Result("active", "number opposing in public"),
            Result("quiet", "number not opposing in public"),
            Result("private_opposition", "number privately opposed (x_i > cutoff)"),
            Result("public_opposition", "number opposing in public"),
            Result(
                "falsifiers",
                "number whose public preference differs from the private "
                "one (hidden opponents and, after a cascade, hidden supporters)",
            ),
            Result("public_share", "public opposition / N", kind="value"),
            Result("private_share", "private opposition / N", kind="value"),
        ]

    def init(self, sim):
        p = sim.params
        src = sim.scenario.source
        refuse_setup_changes(sim, _SETUP_PARAMS)
        n = sim.pop.n
        given_t = p["thresholds"]
        given_x = p["preferences"]
        if given_x and given_t and len(given_x) != len(given_t):
            raise ScenarioError(
                f"'preferences' has {len(given_x)} entries but 'thresholds' has {len(given_t)}",
                source=src,
                field="preferences",
            )
        self.fixed_thresholds = None
        if given_t:
            self.fixed_thresholds = np.array(given_t, dtype=np.float64)
            x = (
                np.array(given_x, dtype=np.float64)
                if given_x
                else preferences_from_thresholds(
                    self.fixed_thresholds, p["repression"], p["reputation_weight"]
                )
            )
        elif given_x:
            x = np.array(given_x, dtype=np.float64)
        else:
            gen = sim.streams("preferences").generator(0)
            x = _draw_beta(
                n, p["preference_mean"], p["preference_concentration"], p["sampling"], gen
            )
            if p["sampling"] == "quantile":
                # quantiles come sorted; on a network neighbours would share preferences
                x = x[gen.permutation(n)]
        sim.pop.attach("preference", x, "private opposition x_i in [0, 1]")
        sim.pop.attach("rev_threshold", np.zeros(n), "revolutionary threshold T_i (share)")
        self.net = sim.space
        self.seen = np.zeros(n)
        self.public = np.zeros(n, dtype=np.bool_)
        self.previous = self.public.copy()
        self.cycle = False
        sim.pop.status[:] = S.QUIET
        self._update_thresholds(sim)

    def _update_thresholds(self, sim):
        p = sim.params
        if self.fixed_thresholds is None:
            t = thresholds_from_preferences(
                sim.pop.preference, p["repression"], p["reputation_weight"]
            )
        else:
            t = self.fixed_thresholds
        sim.pop.rev_threshold[:] = t + p["threshold_shift"]

    def _perceive(self, sim, public, out):
        share = np.count_nonzero(public) / sim.pop.n
        if self.net is None:
            out[:] = share
        else:
            visible_share(
                self.net.indptr,
                self.net.indices,
                public,
                share,
                sim.params["broadcast_weight"],
                out,
            )
        return out

    def step(self, sim, phase):
        if phase == "perceive":
            self._update_thresholds(sim)
            self._perceive(sim, self.public, self.seen)
        elif phase == "decide":
            self.previous = self.public
            self.public = sim.pop.rev_threshold <= self.seen + _TOL
            sim.pop.status[:] = np.where(self.public, S.ACTIVE, S.QUIET)
        elif phase == "record":
            self._record(sim)
            # fixed point: one more application of the map changes nobody. On a network the
            # synchronous map may instead settle into a 2-cycle (Goles & Olivos 1980), a
            # flicker that never ends: that is an attractor too, so the run stops there.
            seen = self._perceive(sim, self.public, np.empty(sim.pop.n))
            nxt = sim.pop.rev_threshold <= seen + _TOL
            if events_pending(sim):
                return
            if np.array_equal(nxt, self.public):
                sim.request_stop()
            elif sim.t > 0 and np.array_equal(nxt, self.previous):
                self.cycle = True
                sim.request_stop()

    def _record(self, sim):
        n = sim.pop.n
        private = sim.pop.preference > sim.params["opposition_cutoff"]
        pub = int(np.count_nonzero(self.public))
        priv = int(np.count_nonzero(private))
        r = sim.results
        r.record("active", sim.t, pub)
        r.record("quiet", sim.t, n - pub)
        r.record("public_opposition", sim.t, pub)
        r.record("private_opposition", sim.t, priv)
        r.record("falsifiers", sim.t, int(np.count_nonzero(private != self.public)))
        r.record("public_share", sim.t, pub / n)
        r.record("private_share", sim.t, priv / n)

    def check(self, sim):
        if int(np.count_nonzero(sim.pop.status == S.ACTIVE)) != int(np.count_nonzero(self.public)):
            raise InvariantError(f"step {sim.t}: statuses disagree with public preferences")


def _draw_beta(n, mean, concentration, sampling, gen):
    a, b = mean * concentration, (1.0 - mean) * concentration
    if sampling == "quantile":
        from scipy.special import betaincinv

        return betaincinv(a, b, quantile_points(n))
    return gen.beta(a, b, size=n)


class KuranModel(Model):
    """N people, optionally on a network of a given range (Makowsky & Rubin 2013)."""

    name = "kuran"
    doc = "Kuran's preference falsification and revolutionary bandwagon"
    modules = (Falsification,)

    @classmethod
    def define_params(cls):
        return [
            Param(
                "n_agents",
                1000,
                "number of people (ignored when a list is given)",
                1,
                100_000_000,
                unit="people",
                kind="int",
                citation=KURAN,
            ),
            Param(
                "thresholds",
                (),
                "explicit revolutionary thresholds, share of public "
                "opposition needed (0.2 = 20 %; above 1 = never)",
                0.0,
                math.inf,
                unit="share",
                kind="list",
                citation=KURAN,
            ),
            Param(
                "preferences",
                (),
                "explicit private preferences x_i in [0, 1]; with no "
                "threshold list, thresholds are derived from them",
                0.0,
                1.0,
                unit="1",
                kind="list",
                citation=KURAN,
            ),
            Param(
                "preference_mean",
                0.6,
                "mean of the Beta law of private preferences",
                0.001,
                0.999,
                unit="1",
                citation=KURAN,
            ),
            Param(
                "preference_concentration",
                15.0,
                "a + b of the Beta law (larger = more homogeneous)",
                0.01,
                1e6,
                unit="1",
                citation=KURAN,
            ),
            Param(
                "sampling",
                "quantile",
                "quantile: preferences at mid-point quantiles "
                "(deterministic); random: i.i.d. draws from the 'preferences' stream",
                kind="choice",
                choices=("quantile", "random"),
                sweepable=False,
                citation=KURAN,
            ),
            Param(
                "network",
                "none",
                "who sees whom: none (everyone sees the national share), "
                "ring (contacts within network_range on a circle), small_world (ring with "
                "a share 'rewire' of long ties), erdos_renyi (random contacts, mean_degree)",
                kind="choice",
                choices=("none", "ring", "small_world", "erdos_renyi"),
                sweepable=False,
                citation=MAKOWSKY,
            ),
            Param(
                "network_range",
                2,
                "ring/small_world: contacts on each side (reach of communication)",
                1,
                100_000,
                unit="people",
                kind="int",
                citation=MAKOWSKY,
            ),
            Param(
                "rewire",
                0.1,
                "small_world: probability that a ring tie is rewired to a random person",
                0.0,
                1.0,
                unit="1",
                citation="Watts & Strogatz (1998), Nature 393: 440-442",
            ),
            Param(
                "mean_degree",
                6.0,
                "erdos_renyi: mean number of contacts",
                0.0,
                1e4,
                unit="contacts",
                citation=MAKOWSKY,
            ),
        ]

    def build(self, sim):
        p = sim.params
        src = sim.scenario.source
        lists = [(k, len(p[k])) for k in ("thresholds", "preferences") if p[k]]
        n = lists[0][1] if lists else p["n_agents"]
        if lists and given_explicitly(sim, "n_agents") and p["n_agents"] != n:
            raise ScenarioError(
                f"n_agents = {p['n_agents']} but '{lists[0][0]}' has {n} "
                "entries; drop n_agents or make them agree",
                source=src,
                field="n_agents",
            )
        gen = sim.streams("network").generator(0)
        kind = p["network"]
        if kind == "none":
            sim.space = None
        elif kind in ("ring", "small_world"):
            if 2 * p["network_range"] >= n:
                raise ScenarioError(
                    f"network_range = {p['network_range']} needs more than "
                    f"{2 * p['network_range']} people (have {n})",
                    source=src,
                    field="network_range",
                )
            rw = p["rewire"] if kind == "small_world" else 0.0
            sim.space = nw.watts_strogatz(n, p["network_range"], rw, gen)
        else:
            sim.space = nw.erdos_renyi(n, p["mean_degree"], gen)
        return n, []
