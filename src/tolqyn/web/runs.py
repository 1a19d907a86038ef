"""Live runs for the dashboard: one Sim stepped on request, its new result rows handed out
incrementally, events injected while it runs, and polite refusals for runs too large.

Pure Python on top of the core (no web framework here), so it can be tested directly."""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from tolqyn.core.errors import ScenarioError, TolqynError
from tolqyn.core.timeline import Event

# internal timeline actions that are not meaningful to inject by hand
_HIDDEN_ACTIONS = ("ramp_step",)


class RefusedError(TolqynError):
    """A request the server declines on purpose (too large, too many sessions)."""


@dataclass
class Limits:
    """What one dashboard server accepts. Set from `tolqyn serve` options."""

    max_agents: int = 2_000_000  # agents in one run
    max_steps: int = 10_000  # steps in one run
    max_agent_steps: float = 2e9  # agents × steps of one run
    max_sessions: int = 16  # open pages at once
    max_runs_per_session: int = 3  # baseline, counterfactual, classic


def _clean(v):
    """JSON-safe scalar (NaN/inf -> None/strings; NumPy -> Python)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    if isinstance(v, tuple):
        return [_clean(x) for x in v]
    return v


def _freeze(v):
    """JSON values -> hashable values for Event params."""
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        raise ScenarioError("nested tables are not allowed in event parameters", source="dashboard")
    return v


class Catalog:
    """The scenarios a page may name: the built-ins, plus the .toml files of folders given to
    `tolqyn serve --scenarios DIR` (named "DIR-name/relative/path"). A browser can never name
    a file path directly."""

    def __init__(self, extra_dirs=()):
        self.extra_dirs = [Path(d) for d in extra_dirs or ()]

    def files(self) -> dict[str, Path]:
        out = {}
        for d in self.extra_dirs:
            for p in sorted(d.rglob("*.toml")):
                out[f"{d.name}/{p.relative_to(d).with_suffix('').as_posix()}"] = p
        return out

    def names(self) -> list[str]:
        from tolqyn.scenarios.loader import builtin_names

        return builtin_names() + sorted(self.files())

    def resolve(self, name) -> str:
        """A name offered by the catalog -> what `load_scenario` takes."""
        from tolqyn.core.errors import UnknownParamError

        if not isinstance(name, str) or not name:
            raise ScenarioError("choose a scenario", source="dashboard", field="scenario")
        files = self.files()
        if name in files:
            return str(files[name])
        from tolqyn.scenarios.loader import builtin_names

        names = builtin_names()
        if name not in names:
            raise UnknownParamError(
                name, names + sorted(files), source="dashboard", what="scenario"
            )
        return name

    def load(self, name, overrides=None):
        from tolqyn.scenarios.loader import load_scenario

        sc = load_scenario(self.resolve(name), overrides=overrides or None)
        return replace(sc, name=name)


def parse_int(value, field: str, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ScenarioError(
            f"{value!r} is not an integer; allowed: {low}..{high}", source="dashboard", field=field
        )
    if isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            raise ScenarioError(
                f"{value!r} is not an integer; allowed: {low}..{high}",
                source="dashboard",
                field=field,
            ) from None
        value = f
    if isinstance(value, float):
        if not value.is_integer():
            raise ScenarioError(
                f"{value!r} is not an integer; allowed: {low}..{high}",
                source="dashboard",
                field=field,
            )
        value = int(value)
    if not isinstance(value, int):
        raise ScenarioError(
            f"{value!r} is not an integer; allowed: {low}..{high}", source="dashboard", field=field
        )
    if not low <= value <= high:
        raise ScenarioError(
            f"{value} out of range; allowed: {low}..{high}", source="dashboard", field=field
        )
    return value


def scenario_summary(name: str, catalog: Catalog | None = None) -> dict:
    """Everything a page needs to draw a scenario's controls, from the declarations."""
    from tolqyn.models import all_param_specs, get_model

    sc = (catalog or Catalog()).load(name)
    model_cls = get_model(sc.model)
    specs = all_param_specs(model_cls)
    params = []
    for pname, spec in specs.items():
        d = {k: _clean(v) for k, v in spec.describe().items()}
        d["choices"] = [_clean(c) for c in spec.choices]
        d["value"] = _clean(sc.resolved_params[pname])
        params.append(d)
    return {
        "name": sc.name,
        "model": sc.model,
        "description": sc.description,
        "steps": sc.steps,
        "seed": sc.seed,
        "dt": sc.dt,
        "start_date": sc.start_date,
        "params": params,
        "events": [
            {
                k: _clean(v) if not isinstance(v, dict) else {a: _clean(b) for a, b in v.items()}
                for k, v in e.items()
            }
            for e in sc.events
        ],
        "meta": {k: v for k, v in sc.meta.items() if isinstance(v, (str, int, float, bool))},
    }


class LiveRun:
    """One Sim driven step by step from a page."""

    def __init__(
        self,
        scenario: str,
        params: dict | None = None,
        seed=None,
        steps=None,
        limits: Limits | None = None,
        catalog: Catalog | None = None,
    ):
        from tolqyn.core.sim import Sim

        self.limits = limits or Limits()
        catalog = catalog or Catalog()
        if params is not None and not isinstance(params, dict):
            raise ScenarioError("parameters must be a table of name: value", source="dashboard")
        params = {str(k): _freeze(v) for k, v in (params or {}).items()}
        sc = catalog.load(scenario, overrides=params)
        seed = sc.seed if seed in (None, "") else parse_int(seed, "seed", 0, 2**63 - 1)
        steps = sc.steps if steps in (None, "") else parse_int(steps, "steps", 0, 10**9)
        if steps > self.limits.max_steps:
            raise RefusedError(
                f"{steps:,} steps is more than this server allows "
                f"({self.limits.max_steps:,}); choose fewer steps, or start the "
                f"server with a larger --max-steps"
            )
        self.scenario = sc
        self.overrides = dict(params)
        self.sim = Sim(sc, seed=seed, steps=steps)
        # refuse what is too large before any population is built, where the model can tell
        estimate = getattr(self.sim.model_cls, "estimate_agents", None)
        n = estimate(self.sim.params.as_dict()) if estimate else None
        if n is not None and n > self.limits.max_agents:
            self.sim = None
            raise RefusedError(
                f"this run would have about {n:,} agents; the server allows at most "
                f"{self.limits.max_agents:,} per run. Make the lattice smaller or raise 'scale' "
                f"(citizens per agent), or start the server with a larger --max-agents"
            )
        self.sent_rows = 0  # rows 0..sent_rows-1 have been handed out
        self.error: str | None = None

    # ---------------------------------------------------------------- set-up
    def init(self) -> None:
        """Build the population (the slow part); refuse runs above the limits before any step."""
        self.sim.init()
        n = int(self.sim.pop.n)
        lim = self.limits
        if n > lim.max_agents:
            self.sim = None
            raise RefusedError(
                f"this run would have {n:,} agents; the server allows at most "
                f"{lim.max_agents:,} per run. Raise 'scale' (citizens per agent) or "
                f"start the server with a larger --max-agents"
            )
        if n * max(self.n_steps, 1) > lim.max_agent_steps:
            steps_ok = int(lim.max_agent_steps // max(n, 1))
            self.sim = None
            raise RefusedError(
                f"{n:,} agents × {self.n_steps:,} steps is more work than this server "
                f"allows per run; use at most {steps_ok:,} steps"
            )

    @property
    def t(self) -> int:
        return self.sim.t

    @property
    def n_steps(self) -> int:
        return self.sim.n_steps

    @property
    def done(self) -> bool:
        return self.sim.t >= self.sim.n_steps or self.sim.stopped or self.error is not None

    def info(self) -> dict:
        sim = self.sim
        res = sim.results
        # each metric's declaration: stock or flow, how it aggregates, its breakdown cell
        metrics = [{**s.to_dict(), "aggregate": s.aggregate} for s in res.specs.values()]
        dates = None
        if sim.clock.has_calendar:
            dates = [sim.clock.date_at(s) for s in range(sim.n_steps + 1)]
        return {
            "scenario": self.scenario.name,
            "model": self.scenario.model,
            "description": self.scenario.description,
            "seed": sim.seed,
            "n_steps": sim.n_steps,
            "dt": sim.clock.dt,
            "start_date": self.scenario.start_date,
            "dates": dates,
            "regions": list(res.regions),
            "metrics": metrics,
            "n_agents": int(sim.pop.n),
            "scale": float(sim.scale),
            "overrides": {k: _clean(v) for k, v in self.overrides.items()},
            "params": {k: _clean(v) for k, v in sim.params.as_dict().items()},
            "actions": self.actions(),
            "events": self.events(),
            "lattice": lattice_shape(sim),
        }

    # ---------------------------------------------------------------- stepping
    def step(self, n: int = 1) -> int:
        """Advance up to n steps; returns how many were taken. An exception inside the model
        stops this run (and only this run) with its message kept in `error`."""
        done = 0
        try:
            for _ in range(n):
                if self.done:
                    break
                self.sim.step()
                done += 1
        except Exception as e:  # a model bug must not bring the server down
            self.error = f"step {self.sim.t}: {type(e).__name__}: {e}"
        return done

    def new_rows(self) -> dict:
        """Result rows not yet handed out: {metric: [[step, ALL, region1, ...], ...]}; counts
        are multiplied by the population scale, as in exported results."""
        sim = self.sim
        lo, hi = self.sent_rows, sim.t + 1
        out = {}
        if hi <= lo:
            return out
        for name, arr in sim.results.arrays.items():
            spec = sim.results.specs[name]
            factor = sim.scale if spec.kind == "count" else 1.0
            block = arr[lo:hi] * factor
            rows = []
            for i, row in enumerate(block):
                rows.append([lo + i] + [None if not np.isfinite(v) else float(v) for v in row])
            out[name] = rows
        self.sent_rows = hi
        return out

    def result(self):
        """The steps run so far as the one run-result type (the same as an exported run)."""
        from tolqyn.core.sim import run_result

        return run_result(self.sim)

    def observed(self) -> list[dict]:
        """The scenario's observed targets judged on the steps run so far by the observation
        layer (the report's and the calibration's verdicts): records dated after the current
        step are 'pending'."""
        from tolqyn.observe import targets_of

        targets = targets_of(self.scenario.meta, self.scenario.source)
        if not targets:
            return []
        res = self.result()
        clock = self.sim.clock
        out = []
        for t in targets:
            pending = t.date is not None and clock.step_of(t.date) > self.sim.t
            v = None if pending else t.judge(res)
            out.append(
                {
                    "name": t.name,
                    "role": t.role,
                    "region": t.region,
                    "date": t.date,
                    "observed": t.observed_text,
                    "simulated": None if v is None else v.simulated,
                    "verdict": "pending" if v is None else v.text,
                    "distance": None if v is None or not v.terms else _clean(v.distance),
                    "source": t.source,
                }
            )
        return out

    def rewind_sent(self) -> None:
        self.sent_rows = 0

    # ---------------------------------------------------------------- events
    def actions(self) -> list[dict]:
        """Injectable actions with a parameter template taken from the scenario's own events."""
        templates: dict[str, dict] = {}
        for ev in self.sim.timeline.events():
            if ev.action in _HIDDEN_ACTIONS or ev.action in templates:
                continue
            templates[ev.action] = {
                "action": ev.action,
                "params": {k: _clean(v) for k, v in ev.kwargs.items()},
                "label": ev.label,
                "id": ev.id,
            }
        out = []
        for action in self.sim.timeline.actions:
            if action in _HIDDEN_ACTIONS:
                continue
            out.append(
                templates.get(action, {"action": action, "params": {}, "label": "", "id": ""})
            )
        return out

    def events(self) -> list[dict]:
        """Scheduled and applied events, one marker per event (one per ramp)."""
        sim = self.sim
        out, ramps = [], set()
        for ev in sim.timeline.events():
            if ev.action == "ramp_step":
                if ev.id in ramps:
                    continue
                ramps.add(ev.id)
            out.append(
                {
                    "step": ev.step,
                    "date": sim.clock.date_at(ev.step),
                    "action": ev.action,
                    "id": ev.id,
                    "label": ev.label or ev.id or ev.action,
                    "params": {k: _clean(v) for k, v in ev.kwargs.items()},
                    "applied": ev.step <= sim.t,
                }
            )
        return out

    def inject(self, action, params: dict | None = None, label: str = "") -> dict:
        """Schedule an event for the next step (so it is logged like any scenario event)."""
        sim = self.sim
        if (
            not isinstance(action, str)
            or action in _HIDDEN_ACTIONS
            or action not in sim.timeline.actions
        ):
            from tolqyn.core.errors import UnknownParamError

            raise UnknownParamError(
                str(action),
                [a for a in sim.timeline.actions if a not in _HIDDEN_ACTIONS],
                source="dashboard",
                what="event action",
            )
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ScenarioError(
                "event parameters must be a table of name: value", source="dashboard"
            )
        if self.done:
            raise ScenarioError(
                "this run has ended; press reset to start again", source="dashboard"
            )
        params = {str(k): _freeze(v) for k, v in params.items()}
        if action == "set":
            if not params:
                raise ScenarioError("'set' needs at least one parameter", source="dashboard")
            for k, v in params.items():
                if k not in sim.params.specs:
                    from tolqyn.core.errors import UnknownParamError

                    raise UnknownParamError(k, sim.params.specs, source="dashboard")
                params[k] = sim.params.specs[k].coerce(v, source="dashboard")
        else:
            handler = _innermost(sim.timeline._handlers[action])
            try:
                inspect.signature(handler).bind(sim, **params)
            except TypeError as e:
                raise ScenarioError(f"action '{action}': {e}", source="dashboard") from None
            except ValueError:
                pass  # builtins without a signature: let the handler check
        step = sim.t + 1
        if step > sim.n_steps:
            raise ScenarioError("no step left to apply the event to", source="dashboard")
        label = str(label or "")[:80]
        ev = Event(
            step=step,
            action=action,
            params=tuple(sorted(params.items())),
            id=f"live:{action}",
            label=label or f"{action} (live)",
            at=step,
        )
        sim.timeline.schedule(ev, source="dashboard")
        return {"step": step, "date": sim.clock.date_at(step), "action": action, "label": ev.label}

    # ---------------------------------------------------------------- lattice
    def lattice(self):
        return lattice_frame(self.sim)


def _innermost(fn):
    """The function a generic (sim, **kw) wrapper calls, so that its parameters can be checked
    before the event is scheduled rather than when it fires."""
    for _ in range(3):
        fn = getattr(fn, "__wrapped__", fn)
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return fn
        kinds = [p.kind for p in sig.parameters.values()]
        if inspect.Parameter.VAR_KEYWORD not in kinds or len(kinds) > 2:
            return fn
        inner = [
            c.cell_contents
            for c in (getattr(fn, "__closure__", None) or ())
            if callable(getattr(c, "cell_contents", None))
        ]
        if len(inner) != 1:
            return fn
        fn = inner[0]
    return fn


def lattice_shape(sim):
    """{width, height} when the model lives on a lattice the page can draw (a space with a
    uint8 code per site in `cell`: low 4 bits 0 empty, 1 quiet, 2 active, 3 cop, 4 jailed;
    bit 4 the Model II group), else None."""
    sp = sim.space
    w, h = getattr(sp, "width", None), getattr(sp, "height", None)
    cell = getattr(sp, "cell", None)
    if w is None or h is None or not isinstance(cell, np.ndarray) or cell.size != int(w) * int(h):
        return None
    return {"width": int(w), "height": int(h)}


JAILED_CODE = 4


def lattice_frame(sim):
    """(width, height, bytes) of the lattice codes. Jailed citizens that left the lattice are
    drawn on their arrest site while it stays empty, as NetLogo's Rebellion shows them."""
    shape = lattice_shape(sim)
    if shape is None:
        return None
    codes = np.array(sim.space.cell, dtype=np.uint8, copy=True)
    pop = sim.pop
    try:
        home = pop.home
    except (AttributeError, KeyError):
        home = None
    if home is not None:
        from tolqyn.core import status as S

        jailed = (pop.status == S.JAILED) & (home >= 0) & (home < codes.size)
        sites = home[jailed]
        free = sites[codes[sites] == 0]
        codes[free] = JAILED_CODE
    return shape["width"], shape["height"], codes.tobytes()
