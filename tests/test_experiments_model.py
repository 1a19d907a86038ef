"""A small real model for the experiments tests ("expcoin"): each agent is active in a step
with probability p_active; `dummy` has no effect at all (a known-zero sensitivity index);
`fail_above` makes a run raise when p_active exceeds it (a failing run inside a sweep).
Registered by test_experiments*.py under the name "expcoin"; worker processes find it
through the model reference that the sweep hands them."""

import numpy as np

from tolqyn.core import status as S
from tolqyn.core.module import Model, Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result

MODEL_REF = "test_experiments_model:ExpCoinModel"


class ExpCoin(Module):
    name = "expcoin"
    phases = ("decide", "record")

    @classmethod
    def define_params(cls):
        return [
            Param("p_active", 0.3, "probability of being active in a step", 0.0, 1.0, unit="1"),
            Param("dummy", 0.5, "has no effect (sensitivity control)", 0.0, 1.0),
            Param("level", 2, "an integer parameter", 0, 4, kind="int"),
            Param("fail_above", 1.0, "runs with p_active above this raise", 0.0, 1.0),
        ]

    def define_results(self):
        return [Result("active", "number active"), Result("share", "share active", kind="value")]

    def step(self, sim, phase):
        if phase == "decide":
            if sim.params["p_active"] > sim.params["fail_above"]:
                raise RuntimeError("p_active above fail_above (deliberate test failure)")
            u = sim.streams("coin").uniform(sim.t, sim.pop.n)
            sim.pop.status[:] = np.where(u < sim.params["p_active"], S.ACTIVE, S.QUIET)
        else:
            n_act = float((sim.pop.status == S.ACTIVE).sum())
            sim.results.record("active", sim.t, n_act)
            sim.results.record("share", sim.t, n_act / max(1, sim.pop.n))


class ExpCoinModel(Model):
    name = "expcoin"
    modules = (ExpCoin,)

    @classmethod
    def define_params(cls):
        return [
            Param("n_agents", 400, "number of agents", 1, 1_000_000, kind="int", sweepable=False)
        ]

    def build(self, sim):
        return sim.params["n_agents"], []
