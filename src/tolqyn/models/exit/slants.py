"""Shifts of the channels' legitimacy slants by more than one module.

The corruption drift (§7.3) sets the three slants afresh each step from their scenario values;
the press (§7.8) and the court cases (§7.9) add shifts of their own on top. One `SlantShifts`
per Sim holds every owner's shift and what was last written: when no one has set a slant afresh
since, the shifts written before are taken off before the new total is added, so they never
accumulate by accident, whichever of these modules the model has and in whatever order."""

from __future__ import annotations

SLANTS = ("slant_state_tv", "slant_foreign_tv", "slant_online")


class SlantShifts:
    def __init__(self):
        self._shift: dict[tuple[str, str], float] = {}
        self._written: dict[str, float] = {}
        self._applied: dict[str, float] = {}

    def set(self, params, owner: str, name: str, shift: float) -> float:
        """Owner `owner` shifts slant `name` by `shift`; writes (the slant without the shifts
        written before) + the sum of all owners' shifts, in [0, 1], and returns it."""
        current = float(params[name])
        if current == self._written.get(name):
            base = current - self._applied.get(name, 0.0)
        else:  # set afresh since (or never shifted)
            base = current
        self._shift[(owner, name)] = float(shift)
        total = sum(v for (o, n), v in self._shift.items() if n == name)
        value = min(1.0, max(0.0, base + total))
        params.set(name, value)
        self._written[name], self._applied[name] = value, value - base
        return value


def slant_shifts(sim) -> SlantShifts:
    """The Sim's one SlantShifts, made on first use."""
    out = getattr(sim, "_slant_shifts", None)
    if out is None:
        out = sim._slant_shifts = SlantShifts()
    return out
