"""A small hand-built country for the exit-model tests: the layout of a synthesized
CountrySpace (agents sorted by region and locality, CSR network) with Kazakhs, Russians and
Germans, run under the exit model's modules."""

from __future__ import annotations

import numpy as np
from country_fixtures import hand_space

from tolqyn.core.params import Param
from tolqyn.models.exit.model import ExitModel


class HandExit(ExitModel):
    name = "exit-hand"
    spec = {"KZ-47": [400, 200, 200], "KZ-75": [1200, 300], "KZ-71": [600, 300, 200]}

    @classmethod
    def define_params(cls):
        out = [p for p in ExitModel.define_params() if p.name != "scale"]
        return out + [
            Param("scale", 1.0, "citizens per agent", 1.0, 1e5, unit="citizens/agent"),
            Param("hand_seed", 1, "seed of the hand-built space", 0, 10**9, kind="int"),
            Param("hand_german_share", 0.1, "share of agents made ethnic Germans", 0.0, 1.0),
        ]

    def build(self, sim):
        space = hand_space(
            self.spec, scale=float(sim.params["scale"]), seed=int(sim.params["hand_seed"])
        )
        eth = space.agents["ethnicity"]
        rng = np.random.default_rng(int(sim.params["hand_seed"]) + 7)
        eth[rng.random(eth.size) < float(sim.params["hand_german_share"])] = 5
        return self._adopt(sim, space)


def make_exit_sim(
    params=None, events=(), steps=12, seed=3, start_date="2015-01-01", dt=30.4375, validate=False
):
    from tolqyn import models
    from tolqyn.core.sim import Sim
    from tolqyn.scenarios.loader import from_dict

    models.MODELS.setdefault("exit-hand", "exit_fixtures:HandExit")
    data = {
        "model": "exit-hand",
        "steps": steps,
        "seed": seed,
        "start_date": start_date,
        "dt": dt,
        "params": dict(params or {}),
        "events": [dict(e) for e in events],
    }
    return Sim(from_dict(data, name="exit-hand"), seed=seed, validate=validate)


def run_exit(**kw):
    return make_exit_sim(**kw).run()
