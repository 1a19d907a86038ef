"""The Sim owns the loop. Each step runs the fixed phases in order; every module joins the
phases it declares; every (phase, module) call is timed; the plan can be printed and one
step can be run at a time."""

from __future__ import annotations

import os
import platform
import time
from collections import defaultdict

import numpy as np

from tolqyn.core import status as S
from tolqyn.core.clock import Clock
from tolqyn.core.errors import InvariantError, ScenarioError, UnknownParamError
from tolqyn.core.module import PHASES
from tolqyn.core.params import ParamSet
from tolqyn.core.population import Population, State
from tolqyn.core.random import Streams
from tolqyn.core.registry import all_param_specs, get_model, package_version
from tolqyn.core.results import Results, RunResult
from tolqyn.core.timeline import Event, Timeline, expand_ramp


class Sim:
    def __init__(
        self, scenario, seed: int | None = None, steps: int | None = None, validate: bool = False
    ):

        self.scenario = scenario
        self.seed = int(scenario.seed if seed is None else seed)
        if self.seed < 0:
            raise ScenarioError("seed must be >= 0", source=scenario.source, field="seed")
        self.model_cls = get_model(scenario.model, source=scenario.source)
        self.model = self.model_cls()
        self.params = ParamSet(
            all_param_specs(self.model_cls), scenario.params, source=scenario.source
        )
        self.n_steps = int(scenario.steps if steps is None else steps)
        if self.n_steps < 0:
            raise ScenarioError("steps must be >= 0", source=scenario.source, field="steps")
        self.clock = Clock(self.n_steps, scenario.dt, scenario.start_date)
        self.streams = Streams(self.seed)
        self.timeline = Timeline()
        self.modules = [cls() for cls in self.model_cls.module_classes()]
        self.validate = bool(validate)
        self.timings: dict[str, float] = defaultdict(float)
        self.t = 0
        self.initialized = False
        self.stopped = False
        self.space = None
        self.pop: Population | None = None
        self.results: Results | None = None
        self.scale = 1.0
        self._dead_before: np.ndarray | None = None

    # ---------------------------------------------------------------- plan
    def plan(self) -> list[tuple[str, list[str]]]:
        """The step order: for each phase, the modules that run in it."""
        out = []
        for phase in PHASES:
            names = [m.name for m in self.modules if phase in m.phases]
            if phase == "exogenous":
                names = ["timeline"] + names
            if phase == "finish" and self.validate:
                names = names + ["invariants"]
            out.append((phase, names))
        return out

    def plan_text(self) -> str:
        return "\n".join(
            f"{i}. {p:<13} {', '.join(n) if n else '-'}" for i, (p, n) in enumerate(self.plan())
        )

    # ---------------------------------------------------------------- set-up
    def init(self) -> "Sim":
        if self.initialized:
            return self
        t0 = time.perf_counter()
        n_agents, regions = self.model.build(self)
        self.scale = float(self.model.scale(self))
        self.pop = Population(n_agents)
        self.pop.add(State("status", np.int8, S.QUIET, "quiet/active/jailed/emigrated/dead code"))
        for m in self.modules:
            for st in m.define_states():
                self.pop.add(st)
        self.results = Results(self.n_steps, regions)
        for m in self.modules:
            for r in m.define_results():
                self.results.define(r)
        self.timeline.on("set", _set_params)
        self.timeline.on("ramp_step", _ramp_step)
        for m in self.modules:
            t1 = time.perf_counter()
            m.init(self)
            self.timings[f"init/{m.name}"] += time.perf_counter() - t1
        self._schedule_scenario_events()
        self.initialized = True
        self.t = 0
        self._run_phase("record")
        if self.validate:
            self._check()
        self.timings["init_s"] = time.perf_counter() - t0
        return self

    def _schedule_scenario_events(self) -> None:
        src = self.scenario.source
        for ev in self.scenario.events:
            ev = dict(ev)
            at = ev.pop("at", None)
            if at is None:
                raise ScenarioError(
                    "each event needs 'at' (a step number or a date)", source=src, field="events"
                )
            action = ev.pop("action", "set")
            eid = ev.pop("id", "")
            label = ev.pop("label", "")
            params = ev.pop("params", {})
            if ev:
                raise UnknownParamError(
                    next(iter(ev)),
                    ["at", "action", "id", "label", "params"],
                    source=src,
                    what="event key",
                )
            step = self.clock.step_of(at, source=src, field=f"events[{eid or action}].at")
            if action == "set":
                for k, v in params.items():
                    self.params.specs.get(k) or _raise_unknown(k, self.params.specs, src)
                    self.params.specs[k].coerce(v, source=src)
            event = Event(
                step=step,
                action=action,
                params=tuple(sorted(params.items())),
                id=eid,
                label=label,
                at=at,
            )
            self.timeline.schedule(event, source=src)
        for ramp in self.scenario.ramps:
            if ramp.get("param") not in self.params.specs:
                _raise_unknown(str(ramp.get("param")), self.params.specs, src)
            for event in expand_ramp(dict(ramp), self.clock, self.n_steps, source=src):
                self.timeline.schedule(event, source=src)

    # ---------------------------------------------------------------- loop
    def _run_phase(self, phase: str) -> None:
        timings = self.timings
        if phase == "exogenous":
            t1 = time.perf_counter()
            self.timeline.apply(self, self.t)
            timings["phase/exogenous/timeline"] += time.perf_counter() - t1
        for m in self.modules:
            if phase in m.phases:
                t1 = time.perf_counter()
                m.step(self, phase)
                timings[f"phase/{phase}/{m.name}"] += time.perf_counter() - t1

    def step(self) -> None:
        if not self.initialized:
            self.init()
        if self.t >= self.n_steps or self.stopped:
            return
        self.t += 1
        self.clock.t = self.t
        for phase in PHASES:
            if phase == "finish":
                self._run_phase(phase)
                if self.validate:
                    t1 = time.perf_counter()
                    self._check()
                    self.timings["phase/finish/invariants"] += time.perf_counter() - t1
            else:
                self._run_phase(phase)

    def request_stop(self) -> None:
        """A module may end the run early (e.g. a threshold model at its fixed point)."""
        self.stopped = True

    def run(self, progress=None) -> "RunResult":
        t0 = time.perf_counter()
        self.init()
        t_loop = time.perf_counter()
        threads = _cap_threads(self.pop.n, getattr(self.model, "parallel_min_agents", None))
        try:
            while self.t < self.n_steps and not self.stopped:
                self.step()
                if progress is not None:
                    progress(self.t, self.n_steps)
        finally:
            _restore_threads(threads)
        loop_s = time.perf_counter() - t_loop
        for m in self.modules:
            m.finalize(self)
        if self.t < self.n_steps:
            self.results.truncate(self.t + 1)
        self.timings["loop_s"] = loop_s
        self.timings["total_s"] = time.perf_counter() - t0
        return run_result(self)

    # ---------------------------------------------------------------- invariants
    def _check(self) -> None:
        st = self.pop.status
        if st.size and (st.min() < 0 or st.max() >= S.N_STATUS):
            raise InvariantError(f"step {self.t}: status code out of range")
        counts = np.bincount(st, minlength=S.N_STATUS)
        if counts.sum() != self.pop.n:
            raise InvariantError(f"step {self.t}: statuses do not sum to the population")
        dead = st == S.DEAD
        # a population may grow (births): compare the agents that existed before
        if self._dead_before is not None and np.any(
            self._dead_before & ~dead[: self._dead_before.size]
        ):
            raise InvariantError(f"step {self.t}: an agent returned from the dead")
        self._dead_before = dead
        if self.results is not None:
            for name, arr in self.results.arrays.items():
                spec = self.results.specs[name]
                # a largest or smallest value (agg max/min) is not a sum over regions
                additive = spec.agg not in ("max", "min")
                if (
                    spec.by_region
                    and spec.kind == "count"
                    and additive
                    and not np.isnan(arr[self.t, 0])
                ):
                    if not np.isclose(arr[self.t, 1:].sum(), arr[self.t, 0], rtol=1e-9, atol=1e-6):
                        raise InvariantError(
                            f"step {self.t}: '{name}' by region does not sum to ALL"
                        )
        for m in self.modules:
            m.check(self)

    # ---------------------------------------------------------------- helpers
    def dates(self) -> list[str] | None:
        if not self.clock.has_calendar:
            return None
        return [self.clock.date_at(s) for s in range(self.results.n_rows)]


# Below this many agents a step's kernels run on one thread: each parallel launch costs a
# wake-up of the other threads (and, on a shared machine, a wait for a core), more than the
# work it splits. Results do not depend on the thread count, so this changes only speed.
# TOLQYN_PARALLEL_MIN_AGENTS=0 keeps every thread (tests of thread invariance use it).
PARALLEL_MIN_AGENTS = int(os.environ.get("TOLQYN_PARALLEL_MIN_AGENTS", "1000000"))


def _cap_threads(n_agents: int, model_min: int | None = None):
    # a model may lower the bar (parallel_min_agents) for kernels that split well
    bar = PARALLEL_MIN_AGENTS if model_min is None else min(PARALLEL_MIN_AGENTS, model_min)
    if n_agents >= bar:
        return None
    import numba

    before = numba.get_num_threads()
    if before > 1:
        numba.set_num_threads(1)
    return before


def _restore_threads(before) -> None:
    if before is not None and before > 1:
        import numba

        numba.set_num_threads(before)


def _raise_unknown(name, specs, src):
    raise UnknownParamError(name, specs, source=src)


def _set_params(sim: Sim, **values) -> None:
    for k, v in values.items():
        sim.params.set(k, v, source=sim.scenario.source)


def _ramp_step(sim: Sim, param: str, delta: float, k: int, base=None, stop=None) -> None:
    current = sim.params[param] if not (k == 1 and base is not None) else base
    new = current + delta
    if stop is not None:
        new = max(new, stop) if delta < 0 else min(new, stop)
    spec = sim.params.specs[param]
    if spec.low is not None:
        new = max(new, spec.low)
    if spec.high is not None:
        new = min(new, spec.high)
    if spec.kind == "int":
        new = int(round(new))
    sim.params.set(param, new)


def run_result(sim: Sim) -> RunResult:
    """The RunResult of a finished Sim: tidy columns, manifest and metric declarations."""
    cols = sim.results.to_columns(scale=sim.scale, dates=sim.dates())
    timings = {k: round(v, 6) for k, v in sorted(sim.timings.items())}
    manifest = {
        "scenario": sim.scenario.name,
        "scenario_hash": sim.scenario.hash,
        "seed": sim.seed,
        "model": sim.scenario.model,
        "steps": sim.t,
        "steps_requested": sim.n_steps,
        "dt_days": sim.clock.dt,
        "start_date": sim.scenario.start_date,
        "scale": sim.scale,
        "n_agents": sim.pop.n,
        "parameters": _jsonable(sim.params.initial),
        "events_applied": [
            {
                "step": s,
                "date": sim.clock.date_at(s),
                "action": e.action,
                "id": e.id,
                "label": e.label,
                "params": _jsonable(e.kwargs),
            }
            for s, e in sim.timeline.log
            if e.action != "ramp_step"
        ],
        "scenario_description": sim.scenario.description,
        "scenario_meta": _jsonable(sim.scenario.meta),
        "regions": list(sim.results.regions),
        "results": [spec.to_dict() for spec in sim.results.specs.values()],
        "version": package_version(),
        "timings": {
            "init_s": timings.get("init_s", 0.0),
            "loop_s": timings.get("loop_s", 0.0),
            "total_s": timings.get("total_s", 0.0),
            "detail": {
                k: v for k, v in timings.items() if k not in ("init_s", "loop_s", "total_s")
            },
        },
        "validated": sim.validate,
        "host": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "machine": platform.machine(),
            "node": platform.node(),
        },
    }
    return RunResult(cols, manifest, dict(sim.results.specs))


def _jsonable(d):
    import math

    out = {}
    for k, v in d.items():
        if isinstance(v, float) and math.isinf(v):
            out[k] = "inf" if v > 0 else "-inf"
        elif isinstance(v, tuple):
            out[k] = list(v)
        elif isinstance(v, np.generic):
            out[k] = v.item()
        else:
            out[k] = v
    return out
