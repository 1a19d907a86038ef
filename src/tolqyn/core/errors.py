"""Errors that say what went wrong, where, and what to do about it."""

from __future__ import annotations

import difflib
from typing import Iterable


class TolqynError(Exception):
    """Base class for every error tolqyn raises on purpose."""


def printable(text: str) -> str:
    """One line: control characters (a newline in a key, a NUL in a path) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


class ScenarioError(TolqynError):
    """A scenario file or value is invalid. Names the file and the field."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.source = source
        self.field = field
        where = []
        if source:
            where.append(str(source))
        if field:
            where.append(f"field '{field}'")
        prefix = ": ".join(where)
        super().__init__(printable(f"{prefix}: {message}" if prefix else message))


class UnknownParamError(ScenarioError):
    """A parameter name that no module declares."""

    def __init__(
        self, name: str, valid: Iterable[str], *, source: str | None = None, what: str = "parameter"
    ):
        valid = sorted(set(valid))
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        if 1 < len(valid) <= 40:  # a short list is more help than one guess
            hint += f" (allowed: {', '.join(valid)})"
        self.suggestion = close[0] if close else None
        super().__init__(f"unknown {what} '{name}'{hint}", source=source, field=name)


class InvariantError(TolqynError):
    """A conservation invariant failed in validating mode (a bug, not a user error)."""
