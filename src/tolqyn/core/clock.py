"""One clock per Sim with one time step `dt` (in days). Rates are converted once at init.

Two helpers keep a model's answer independent of the step: `rate_to_prob` turns a rate per day
into a per-step probability, and `lag_steps` / `DelayLine` give a delay that is a fixed time
in days (k = δ/dt steps), not one step. A quantity that citizens perceive with a delay δ is
read from the step that covered the same part of the day δ earlier; at dt = δ this is the
previous step."""

from __future__ import annotations

import datetime as _dt
from collections import deque

import numpy as np


class Clock:
    def __init__(self, n_steps: int, dt: float = 1.0, start_date: str | None = None):
        self.n_steps = int(n_steps)
        self.dt = float(dt)
        self.start = _dt.datetime.fromisoformat(start_date) if start_date else None
        self.t = 0  # index of the step being computed (1..n_steps); 0 is the initial state

    @property
    def has_calendar(self) -> bool:
        return self.start is not None

    def datetime_at(self, step: int) -> _dt.datetime | None:
        """Start of the interval that step `step` covers. Step s (s >= 1) covers
        [start + (s-1)·dt, start + s·dt); step 0 is the initial state, dated one dt earlier.
        Result rows hold the state at the end of their step."""
        if self.start is None:
            return None
        return self.start + _dt.timedelta(days=self.dt * (step - 1))

    def midpoint(self, step: int) -> _dt.datetime | None:
        """The middle of the interval that step `step` covers (when rates that vary over the
        calendar are read for the step)."""
        start = self.datetime_at(step)
        return None if start is None else start + _dt.timedelta(days=self.dt / 2.0)

    def decimal_year(self, step: int) -> float | None:
        """Calendar year with its elapsed fraction at the middle of the step (2015.5 ...)."""
        mid = self.midpoint(step)
        if mid is None:
            return None
        y0 = _dt.datetime(mid.year, 1, 1)
        return mid.year + (mid - y0).total_seconds() / (
            (_dt.datetime(mid.year + 1, 1, 1) - y0).total_seconds()
        )

    def day_number(self, step: int) -> float:
        """Days from the start to the end of step `step`, in whole days when a step is shorter
        than a day (every step of 3 January is day 3, whether dt is 1, 1/2 or 1/4), so that
        dates compare the same at any dt; step·dt at a step of a day or longer."""
        if self.dt >= 1.0:
            return step * self.dt
        import math

        return float(math.floor((step - 1) * self.dt + 1e-9) + 1)

    def date_at(self, step: int) -> str | None:
        d = self.datetime_at(step)
        return None if d is None else d.date().isoformat()

    def step_of(
        self, when: str | int | float, source: str | None = None, field: str | None = None
    ) -> int:
        """The first step at or after a date (ISO string) or an explicit step number."""
        from tolqyn.core.errors import ScenarioError

        if isinstance(when, bool):
            raise ScenarioError(f"{when!r} is not a step or a date", source=source, field=field)
        if isinstance(when, (int, float)):
            import math

            if not math.isfinite(when):
                raise ScenarioError(
                    f"{when!r} is not a step; allowed: a finite step number or an ISO date",
                    source=source,
                    field=field,
                )
            return int(round(when))
        if isinstance(when, (_dt.date, _dt.datetime)):
            when = when.isoformat()
        if self.start is None:
            raise ScenarioError(
                f"date {when!r} given but the scenario has no start_date",
                source=source,
                field=field,
            )
        try:
            moment = _dt.datetime.fromisoformat(str(when))
        except ValueError:
            raise ScenarioError(
                f"{when!r} is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)",
                source=source,
                field=field,
            ) from None
        days = (moment - self.start).total_seconds() / 86400.0
        import math

        if "T" in str(when) or " " in str(when).strip():
            # a time of day: applied at the nearest step boundary, so the error in when it
            # takes effect is at most dt/2 and shrinks with dt (a date alone is midnight,
            # which every dt that divides a day hits exactly)
            return max(0, int(math.floor(days / self.dt + 0.5 + 1e-9)) + 1)
        # the event is applied at the start of the step whose interval contains it
        return max(0, int(math.floor(days / self.dt + 1e-9)) + 1)

    def rate_to_prob(self, rate_per_day: float) -> float:
        """Convert a daily hazard rate into a per-step probability (exact for constant hazards)."""
        import math

        return 1.0 - math.exp(-rate_per_day * self.dt)

    def lag_steps(self, days: float, what: str = "delay", most: int | None = None) -> int:
        """Steps in a delay of `days` (at least one step): δ/dt rounded to a whole step, so a
        delay that dt divides is exact and otherwise off by at most dt/2. `most` is the
        longest delay the caller can hold."""
        from tolqyn.core.errors import ScenarioError

        k = max(1, int(round(float(days) / self.dt)))
        if most is not None and k > most:
            raise ScenarioError(
                f"{what} of {days} days is {k} steps of dt = {self.dt} days; at most {most} "
                f"steps are kept (use dt >= {float(days) / most:g} days or a shorter {what})"
            )
        return k


class DelayLine:
    """A fixed-time delay of k steps for a small array (per site or per region): `shift(x)`
    stores this step's value and returns the value stored k − 1 shifts earlier (x itself for
    k = 1), `initial` until the line has filled."""

    def __init__(self, initial, k: int):
        self.k = int(k)
        first = np.array(initial, dtype=np.float64, copy=True)
        self._buf = deque((first.copy() for _ in range(self.k)), maxlen=self.k)

    def shift(self, x) -> np.ndarray:
        self._buf.append(np.array(x, dtype=np.float64, copy=True))
        return self._buf[0]
