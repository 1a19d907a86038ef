"""`--until DATE`: the number of steps after which a calendar scenario's run ends at DATE (the
last step is the one whose interval contains DATE). A scenario may cap how far it can be run
with `meta.until_max` (an ISO date): beyond its history it runs as a projection up to that cap."""

from __future__ import annotations

import datetime as _dt
import math

from tolqyn.core.errors import ScenarioError


def _parse(value, source, field) -> _dt.datetime:
    try:
        return _dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(
            f"{value!r} is not an ISO date (YYYY-MM-DD)", source=source, field=field
        ) from None


def steps_until(scenario, until: str) -> int:
    """Steps from the scenario's start to the step that contains `until`."""
    src = scenario.source
    if not scenario.start_date:
        raise ScenarioError(
            "--until needs a scenario with a start_date", source=src, field="start_date"
        )
    start = _parse(scenario.start_date, src, "start_date")
    end = _parse(until, "--until", "until")
    if end < start:
        raise ScenarioError(
            f"{until} is before the scenario's start ({scenario.start_date})",
            source="--until",
            field="until",
        )
    cap = (scenario.meta or {}).get("until_max")
    if cap is not None:
        cap_dt = _parse(cap, src, "meta.until_max")
        if end > cap_dt:
            raise ScenarioError(
                f"{until} is beyond the latest date this scenario can run to ({cap}); "
                f"allowed: {scenario.start_date} .. {cap}",
                source="--until",
                field="until",
            )
    days = (end - start).total_seconds() / 86400.0
    return max(1, int(math.floor(days / scenario.dt + 1e-9)) + 1)
