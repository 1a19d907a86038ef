"""Scheduled events: parameter changes and named interventions at given steps or dates.

An event is data: `{at, action, params, id, label}`. The built-in action `set` assigns
parameters; `ramp` schedules expand into repeated `set`s. Modules register handlers for
their own actions (e.g. `internet_shutdown`, `deploy_troops`) with `Timeline.on`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from tolqyn.core.errors import ScenarioError, UnknownParamError


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
    every = int(ramp.get("every", 1))
    if every < 1:
        raise ScenarioError("ramp 'every' must be >= 1", source=source, field="ramps.every")
    until = (
        clock.step_of(ramp["until"], source=source, field="ramps.until")
        if "until" in ramp
        else n_steps
    )
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
