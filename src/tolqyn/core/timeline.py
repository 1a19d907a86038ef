"""Scheduled events: parameter changes and named interventions at given steps or dates.

An event is data: `{at, action, params, id, label}`. The built-in action `set` assigns
parameters; `ramp` schedules expand into repeated `set`s. Modules register handlers for
their own actions (e.g. `internet_shutdown`, `deploy_troops`) with `Timeline.on`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from tolqyn.core.errors import ScenarioError, UnknownParamError

RAMP_KEYS = ("param", "delta", "start", "every", "until", "stop", "from", "id", "label")


@dataclass(frozen=True)
class Arg:
    """One parameter of an event action, declared by the module that handles the action so a
    scenario's events are checked when it is loaded, not when the event fires.

    kind: "number" (finite, within [low, high]), "bool", "str", or "regions" ("ALL", a region
    code, or a list of codes; the codes themselves are checked by the model at run time)."""

    name: str
    kind: str = "number"
    low: float | None = None
    high: float | None = None
    required: bool = False
    doc: str = ""

    def __post_init__(self):
        if self.kind not in ("number", "bool", "str", "regions"):
            raise ValueError(f"bad kind {self.kind} for action argument {self.name}")

    @property
    def allowed(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            return "a string"
        if self.kind == "regions":
            return '"ALL", a region code or a list of region codes'
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"a number in [{lo}, {hi}]"

    def check(self, value, source=None, field=None):
        """The value if it is of the declared kind, else a ScenarioError naming the field."""

        def bad(what):
            return ScenarioError(f"{what}; allowed: {self.allowed}", source=source, field=field)

        if self.kind == "bool":
            if not isinstance(value, bool):
                raise bad(f"{_short(value)} is not a boolean")
            return value
        if self.kind == "str":
            if not isinstance(value, str):
                raise bad(f"{_short(value)} is not a string")
            return value
        if self.kind == "regions":
            if isinstance(value, str):
                return value
            if (
                isinstance(value, (list, tuple))
                and value
                and all(isinstance(v, str) for v in value)
            ):
                return value
            raise bad(f"{_short(value)} is not a region code or a list of them")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad(f"{_short(value)} is not a number")
        try:
            x = float(value)
        except OverflowError:
            raise bad("the number is too large") from None
        if not math.isfinite(x):
            raise bad(f"{value!r} is not finite")
        if (self.low is not None and x < self.low) or (self.high is not None and x > self.high):
            raise bad(f"{value!r} is out of range")
        return value


def check_action_params(
    action: str, params, args: tuple[Arg, ...], source=None, field: str = "params"
) -> dict:
    """Check an event's parameters against its action's declared arguments: known names only
    (with the nearest valid one), required ones present, each of the declared kind."""
    if not isinstance(params, Mapping):
        raise ScenarioError("must be a table of name = value", source=source, field=field)
    by_name = {a.name: a for a in args}
    for k in params:
        if not isinstance(k, str) or k not in by_name:
            raise UnknownParamError(
                str(k), by_name, source=source, what=f"parameter of action '{action}' ({field})"
            )
    for a in args:
        if a.required and a.name not in params:
            raise ScenarioError(
                f"action '{action}' needs '{a.name}' ({a.allowed})", source=source, field=field
            )
    return {k: by_name[k].check(v, source=source, field=f"{field}.{k}") for k, v in params.items()}


def _short(value) -> str:
    r = repr(value)
    return r if len(r) <= 60 else r[:57] + "..."


@dataclass(frozen=True)
class Event:
    step: int
    action: str
    params: tuple  # sorted (key, value) pairs, hashable
    id: str = ""
    label: str = ""
    at: Any = None  # the date or step as written, for reports

    @property
    def kwargs(self) -> dict:
        return dict(self.params)


class Timeline:
    def __init__(self):
        self._handlers: dict[str, Callable] = {}
        self._by_step: dict[int, list[Event]] = {}
        self.log: list[tuple[int, Event]] = []  # events applied, in order

    def on(self, action: str, handler: Callable) -> None:
        self._handlers[action] = handler

    @property
    def actions(self) -> list[str]:
        return sorted(self._handlers)

    def schedule(self, event: Event, source: str | None = None) -> None:
        if event.action not in self._handlers:
            raise UnknownParamError(
                event.action, self._handlers, source=source, what="event action"
            )
        self._by_step.setdefault(event.step, []).append(event)

    def events(self) -> list[Event]:
        return [e for s in sorted(self._by_step) for e in self._by_step[s]]

    def due(self, step: int) -> list[Event]:
        return self._by_step.get(step, [])

    def apply(self, sim, step: int) -> None:
        for ev in self._by_step.get(step, ()):
            self._handlers[ev.action](sim, **ev.kwargs)
            self.log.append((step, ev))


def expand_ramp(ramp: dict, clock, n_steps: int, source: str | None = None) -> list[Event]:
    """A ramp changes one parameter by `delta` every `every` steps from `start`, stopping at
    `stop` (a bound that is never crossed) or at step `until`."""
    try:
        param = ramp["param"]
        delta = float(ramp["delta"])
    except KeyError as e:
        raise ScenarioError(f"ramp needs '{e.args[0]}'", source=source, field="ramps") from None
    start = clock.step_of(ramp.get("start", 1), source=source, field="ramps.start")
    every = ramp.get("every", 1)
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ScenarioError(
            f"{every!r}: allowed: an integer >= 1", source=source, field="ramps.every"
        )
    until = (
        clock.step_of(ramp["until"], source=source, field="ramps.until")
        if "until" in ramp
        else n_steps
    )
    until = min(until, n_steps)  # no event past the last step (and no giant schedule)
    from_value = ramp.get("from")
    stop = ramp.get("stop")
    events = []
    value = None if from_value is None else float(from_value)
    # the base value is resolved at run time if 'from' is not given: we store relative steps
    k = 0
    for step in range(max(start, 1), until + 1, every):
        k += 1
        events.append(
            Event(
                step=step,
                action="ramp_step",
                params=tuple(
                    sorted(
                        {
                            "param": param,
                            "delta": delta,
                            "k": k,
                            "base": value,
                            "stop": stop,
                        }.items()
                    )
                ),
                id=ramp.get("id", f"ramp:{param}"),
                label=ramp.get("label", ""),
            )
        )
    return events
