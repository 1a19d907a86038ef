"""Granovetter (1978) threshold model of collective behaviour.

Each of N people has a threshold tau_i: the number of others who must already take part
before i joins. Starting from r_0 = 0 participants, the crowd evolves by the exact map

    r_{t+1} = #{i : tau_i + shift <= r_t}

one iteration per step, until the fixed point r* = #{i : tau_i + shift <= r*}, where the run
stops. `shift` (default 0) is a timeline-controllable offset on every threshold, so a
scenario can model a shock (repression raises thresholds, a price hike lowers them).

The module also holds the helpers that the Kuran and Watts models share: drawing a
population of values from a named distribution (deterministic quantiles or seeded draws)
and the guard that refuses timeline changes to parameters that only shape the set-up.
"""

from __future__ import annotations

import math

import numpy as np

from tolqyn.core import status as S
from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Model, Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result

GRANOVETTER = "Granovetter (1978), Am. J. Sociol. 83(6): 1420-1443"


# ---------------------------------------------------------------- pure functions
def _as_thresholds(thresholds, what: str = "thresholds") -> np.ndarray:
    tau = np.asarray(thresholds, dtype=np.float64)
    if tau.ndim != 1:
        raise ValueError(f"{what} must be a one-dimensional sequence, got shape {tau.shape}")
    if np.isnan(tau).any():
        raise ValueError(f"{what} contain NaN at index {int(np.flatnonzero(np.isnan(tau))[0])}")
    if (tau < 0).any():
        i = int(np.flatnonzero(tau < 0)[0])
        raise ValueError(f"{what} must be >= 0; {what}[{i}] = {tau[i]:g} is negative")
    return tau


def granovetter_path(thresholds, start: int = 0) -> list[int]:
    """The whole trajectory r_0 = start, r_1, ..., r* of the exact map, ending at the fixed
    point (the last element is not repeated)."""
    tau = np.sort(_as_thresholds(thresholds))
    r = int(start)
    path = [r]
    while True:
        nxt = int(np.searchsorted(tau, r, side="right"))  # #{tau_i <= r}
        if nxt == r:
            return path
        r = nxt
        path.append(r)


def granovetter_equilibrium(thresholds, start: int = 0) -> int:
    """Final number taking part when thresholds (counts of others, >= 0; inf = never) are
    iterated from `start` participants: the first crossing of the threshold CDF with the
    45-degree line (Granovetter 1978). Raises ValueError on negative or NaN thresholds."""
    return granovetter_path(thresholds, start)[-1]


# ---------------------------------------------------------------- shared helpers
def quantile_points(n: int) -> np.ndarray:
    """Mid-point probabilities (i + 1/2)/n, i = 0..n-1: the deterministic 'sample' whose
    empirical distribution is the closest n-point approximation of a continuous law."""
    return (np.arange(n, dtype=np.float64) + 0.5) / n


def draw_normal(n: int, mean: float, sd: float, sampling: str, gen) -> np.ndarray:
    if sampling == "quantile":
        from scipy.special import ndtri

        return mean + sd * ndtri(quantile_points(n))
    return gen.normal(mean, sd, size=n)


def draw_uniform_int(n: int, low: int, high: int, sampling: str, gen) -> np.ndarray:
    """Integers uniform on low..high. The quantile version of N draws on 0..N-1 is exactly
    the sequence 0, 1, ..., N-1 (Granovetter's riot population)."""
    width = high - low + 1
    if sampling == "quantile":
        return (low + np.floor(quantile_points(n) * width)).astype(np.float64)
    return gen.integers(low, high + 1, size=n).astype(np.float64)


def given_explicitly(sim, name: str) -> bool:
    """True when the scenario (or an override) wrote this parameter rather than leaving
    the declared default."""
    return name in sim.scenario.params


def refuse_setup_changes(sim, names) -> None:
    """Parameters that only shape the initial population cannot be changed by timeline
    events: the change would silently do nothing, so it is refused before the run."""
    names = set(names)
    src = sim.scenario.source
    for i, ev in enumerate(sim.scenario.events):
        if ev.get("action", "set") != "set":
            continue
        for k in ev.get("params", {}):
            if k in names:
                raise ScenarioError(
                    f"'{k}' sets up the initial population and cannot be "
                    f"changed by an event (events[{i}])",
                    source=src,
                    field=k,
                )
    for i, r in enumerate(sim.scenario.ramps):
        if r.get("param") in names:
            raise ScenarioError(
                f"'{r['param']}' sets up the initial population and cannot be ramped (ramps[{i}])",
                source=src,
                field=str(r["param"]),
            )


def events_pending(sim) -> bool:
    """Whether any timeline event is still to come (a fixed point is then not final)."""
    return any(ev.step > sim.t for ev in sim.timeline.events())


# ---------------------------------------------------------------- module and model
_SETUP_PARAMS = (
    "n_agents",
    "threshold_dist",
    "thresholds",
    "threshold_low",
    "threshold_high",
    "threshold_mean",
    "threshold_sd",
    "sampling",
)


class GranovetterThreshold(Module):
    """Synchronous threshold rule of Granovetter (1978) on the whole population."""

    name = "granovetter"
    phases = ("decide", "record")
    doc = "exact fixed-point iteration of r -> #{tau_i <= r}"

    @classmethod
    def define_params(cls):
        return [
            Param(
                "threshold_shift",
                0.0,
                "offset added to every threshold during the run (a shock: > 0 deters, "
                "< 0 encourages); may change through timeline events",
                -1e9,
                1e9,
                unit="people",
                citation=GRANOVETTER,
            )
        ]

    def define_results(self):
        return [
            Result("active", "number taking part (r_t)"),
            Result("quiet", "number not taking part"),
        ]

    def init(self, sim):
        sim.pop.attach(
            "threshold",
            draw_granovetter_thresholds(sim),
            "Granovetter threshold: others needed to join",
        )
        refuse_setup_changes(sim, _SETUP_PARAMS)
        # those taking part are always the r people with the lowest thresholds, so a step
        # costs a binary search plus the people who join or leave, not a pass over everyone
        self._order = np.argsort(sim.pop.threshold, kind="stable")
        self._sorted = sim.pop.threshold[self._order]
        self.r = 0  # r_0 = 0: nobody takes part before step 1
        sim.pop.status[:] = S.QUIET

    def _next(self, r: int, shift: float) -> int:
        # #{tau_i + shift <= r} in O(log N) on the sorted thresholds
        return int(np.searchsorted(self._sorted, r - shift, side="right"))

    def step(self, sim, phase):
        shift = sim.params["threshold_shift"]
        if phase == "decide":
            r_new = self._next(self.r, shift)
            if r_new > self.r:
                sim.pop.status[self._order[self.r : r_new]] = S.ACTIVE
            elif r_new < self.r:
                sim.pop.status[self._order[r_new : self.r]] = S.QUIET
            self.r = r_new
        elif phase == "record":
            n = sim.pop.n
            sim.results.record("active", sim.t, self.r)
            sim.results.record("quiet", sim.t, n - self.r)
            if self._next(self.r, shift) == self.r and not events_pending(sim):
                sim.request_stop()

    def check(self, sim):
        from tolqyn.core.errors import InvariantError

        if int(np.count_nonzero(sim.pop.status == S.ACTIVE)) != self.r:
            raise InvariantError(f"step {sim.t}: active statuses do not match r_t = {self.r}")


def check_threshold_list(p, explicit, source=None) -> None:
    """The threshold list and the parameters it must agree with; `explicit` names the
    parameters the scenario wrote (a default does not conflict). Checked when a scenario
    loads (GranovetterModel.check_params) and again at set-up."""
    dist, given = p["threshold_dist"], p["thresholds"]
    if given and "threshold_dist" in explicit and dist != "list":
        raise ScenarioError(
            f"a threshold list was given but threshold_dist = '{dist}'; "
            "set threshold_dist = 'list' or remove 'thresholds'",
            source=source,
            field="threshold_dist",
        )
    if dist == "list" and not given:
        raise ScenarioError(
            "threshold_dist = 'list' needs a non-empty 'thresholds' list",
            source=source,
            field="thresholds",
        )
    if given and "n_agents" in explicit and p["n_agents"] != len(given):
        raise ScenarioError(
            f"n_agents = {p['n_agents']} but the threshold list has "
            f"{len(given)} entries; drop n_agents or make them agree",
            source=source,
            field="n_agents",
        )


def draw_granovetter_thresholds(sim) -> np.ndarray:
    p = sim.params
    src = sim.scenario.source
    dist = p["threshold_dist"]
    given = p["thresholds"]
    check_threshold_list(p, sim.scenario.params, src)
    if given or dist == "list":
        return np.array(given, dtype=np.float64)
    n = p["n_agents"]
    gen = sim.streams("thresholds").generator(0)
    if dist == "uniform":
        low = int(p["threshold_low"])
        high = n - 1 if p["threshold_high"] < 0 else int(p["threshold_high"])
        if high < low:
            raise ScenarioError(
                f"threshold_high = {high} is below threshold_low = {low}",
                source=src,
                field="threshold_high",
            )
        return draw_uniform_int(n, low, high, p["sampling"], gen)
    # normal, truncated at 0: a negative draw means "joins with nobody else" (an instigator)
    return np.maximum(
        draw_normal(n, p["threshold_mean"], p["threshold_sd"], p["sampling"], gen), 0.0
    )


def population_size(sim, list_param: str) -> int:
    given = sim.params[list_param]
    return len(given) if given else sim.params["n_agents"]


class GranovetterModel(Model):
    """N people with thresholds given as a list or drawn from a distribution; no space."""

    name = "granovetter"
    doc = "Granovetter (1978) threshold model of collective behaviour"
    modules = (GranovetterThreshold,)

    @classmethod
    def check_params(cls, p, source=None, explicit=()):
        check_threshold_list(p, explicit, source)

    @classmethod
    def define_params(cls):
        c = GRANOVETTER
        return [
            Param(
                "n_agents",
                100,
                "number of people (ignored when a threshold list is given)",
                1,
                100_000_000,
                unit="people",
                kind="int",
                citation=c,
            ),
            Param(
                "threshold_dist",
                "uniform",
                "where thresholds come from: an explicit list, integers uniform on "
                "threshold_low..threshold_high, or a normal law truncated at 0",
                kind="choice",
                choices=("list", "uniform", "normal"),
                sweepable=False,
                citation=c,
            ),
            Param(
                "thresholds",
                (),
                "explicit thresholds, one per person (number of others "
                "who must take part first; inf = never joins)",
                0.0,
                math.inf,
                unit="people",
                kind="list",
                citation=c,
            ),
            Param(
                "threshold_low",
                0,
                "smallest threshold of the uniform law",
                0,
                100_000_000,
                unit="people",
                kind="int",
                citation=c,
            ),
            Param(
                "threshold_high",
                -1,
                "largest threshold of the uniform law (-1 = N-1)",
                -1,
                100_000_000,
                unit="people",
                kind="int",
                citation=c,
            ),
            Param(
                "threshold_mean",
                25.0,
                "mean of the normal threshold law",
                0.0,
                1e9,
                unit="people",
                citation=c,
            ),
            Param(
                "threshold_sd",
                10.0,
                "standard deviation of the normal threshold law",
                0.0,
                1e9,
                unit="people",
                citation=c,
            ),
            Param(
                "sampling",
                "quantile",
                "quantile: thresholds at the mid-point quantiles (i+1/2)/N of the law, "
                "deterministic (Granovetter's analytic populations); random: i.i.d. draws "
                "from the 'thresholds' stream",
                kind="choice",
                choices=("quantile", "random"),
                sweepable=False,
                citation=c,
            ),
        ]

    def build(self, sim):
        return population_size(sim, "thresholds"), []
