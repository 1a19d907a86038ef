"""A tiny real model used by the core tests: each agent turns active with probability
p_active each step. Registered under the name "coin" by conftest.py."""

import numpy as np

from tolqyn.core import status as S
from tolqyn.core.module import Model, Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.results import Result


class Coin(Module):
    name = "coin"
    phases = ("decide", "record")
    actions = ("flip_all",)

    @classmethod
    def define_params(cls):
        return [
            Param("p_active", 0.3, "probability of being active in a step", 0.0, 1.0, unit="1"),
            Param("mode", "fair", "a switch", kind="choice", choices=("fair", "biased")),
            Param("jail_term", 10, "an integer that may be infinite", 0, float("inf"), kind="int"),
        ]

    def define_states(self):
        return [State("times_active", np.int32, 0, "number of steps spent active")]

    def define_results(self):
        return [
            Result("active", "number active"),
            Result("quiet", "number quiet"),
            Result("p", "current p_active", kind="value"),
        ]

    def init(self, sim):
        sim.timeline.on(
            "flip_all", lambda sim: sim.params.set("p_active", 1.0 - sim.params["p_active"])
        )

    def step(self, sim, phase):
        if phase == "decide":
            u = sim.streams("coin").uniform(sim.t, sim.pop.n)
            active = u < sim.params["p_active"]
            sim.pop.status[:] = np.where(active, S.ACTIVE, S.QUIET)
            sim.pop.times_active[active] += 1
        else:
            st = sim.pop.status
            sim.results.record("active", sim.t, float((st == S.ACTIVE).sum()))
            sim.results.record("quiet", sim.t, float((st == S.QUIET).sum()))
            sim.results.record("p", sim.t, sim.params["p_active"])


class CoinModel(Model):
    name = "coin"
    modules = (Coin,)

    @classmethod
    def define_params(cls):
        return [
            Param("n_agents", 1000, "number of agents", 1, 10_000_000, kind="int"),
            Param("scale", 1.0, "citizens per agent", 1, 1e6),
        ]

    def build(self, sim):
        return sim.params["n_agents"], []

    def scale(self, sim):
        return sim.params["scale"]
