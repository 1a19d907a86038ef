"""Parameters are declared once — name, default, bounds, unit, doc, citation, role — and
validation, CLI help, dashboard widgets, sweep ranges and calibration priors all derive
from that single declaration.

Roles say what may change between countries and episodes:

- behavioural: how people and institutions respond (thresholds, weights, rates); calibrated
  once, on January 2022, and carried unchanged to other episodes;
- country: a fact about the country (population structure, media, forces, prices, laws),
  normally supplied by its data pack (docs/packs.md);
- episode: the state of the country when the episode starts, or its timeline;
- setting: switches, modes and the scale of a run (no substantive claim).

A parameter that does not declare a role is a setting if it is a switch or a choice
(bool, choice, str) and behavioural otherwise."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from tolqyn.core.errors import ScenarioError, UnknownParamError

ROLES = ("behavioural", "country", "episode", "setting")


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    unit: str = ""
    citation: str = ""
    kind: str = "float"  # float | int | bool | choice | str | list
    choices: tuple = ()
    sweepable: bool = True  # False for switches that make no sense as a sweep axis
    # structural (lattice size, population scale): never a sweep axis unless named, and then
    # only over `sweep_range` or a range given with it
    structural: bool = False
    sweep_range: tuple | None = None  # practical sweep range, inside the validity bounds
    module: str = ""  # filled in by the registry
    role: str = ""  # behavioural | country | episode | setting ("" = derived from the kind)

    def __post_init__(self):
        if self.kind not in ("float", "int", "bool", "choice", "str", "list"):
            raise ValueError(f"bad kind {self.kind} for {self.name}")
        if not self.role:
            derived = "setting" if self.kind in ("bool", "choice", "str") else "behavioural"
            object.__setattr__(self, "role", derived)
        if self.role not in ROLES:
            raise ValueError(f"bad role {self.role} for {self.name}; allowed: {', '.join(ROLES)}")

    @property
    def bounds_text(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(map(repr, self.choices))
        if self.kind == "bool":
            return "true or false"
        if self.low is None and self.high is None:
            return "any"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"[{lo}, {hi}]"

    def coerce(self, value: Any, source: str | None = None) -> Any:
        """Return the value in the declared kind, or raise a ScenarioError that names the
        parameter, the value and the allowed range."""

        def bad(msg: str):
            return ScenarioError(
                f"{msg}; allowed: {self.bounds_text}" + (f" ({self.unit})" if self.unit else ""),
                source=source,
                field=self.name,
            )

        k = self.kind
        if k == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in (
                "true",
                "false",
                "1",
                "0",
                "yes",
                "no",
                "on",
                "off",
            ):
                return value.lower() in ("true", "1", "yes", "on")
            raise bad(f"{value!r} is not a boolean")
        if k == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            close = difflib.get_close_matches(str(value), list(self.choices), n=1, cutoff=0.5)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise bad(f"{value!r} is not a valid choice{hint}")
        if k == "str":
            if not isinstance(value, str):
                raise bad(f"{value!r} is not a string")
            return value
        if k == "list":
            if isinstance(value, str):
                value = [v for v in value.replace(",", " ").split()]
            if not isinstance(value, (list, tuple)):
                raise bad(f"{value!r} is not a list")
            try:
                out = tuple(float(v) for v in value if not isinstance(v, bool))
                if len(out) != len(value):
                    raise TypeError
            except (TypeError, ValueError, OverflowError):
                raise bad(f"{value!r} is not a list of numbers") from None
            for v in out:
                if math.isnan(v):
                    raise bad("NaN is not allowed")
                self._check_range(v, bad)
            return out
        # numbers
        if isinstance(value, bool):
            raise bad(f"{value!r} is a boolean, not a number")
        if isinstance(value, str):
            try:
                value = float(value) if k == "float" else _parse_int(value)
            except ValueError:
                raise bad(f"{value!r} is not a number") from None
        if not isinstance(value, (int, float)):
            raise bad(f"{value!r} is not a number")
        if k == "int":
            if isinstance(value, float):
                if math.isinf(value) and self.high is not None and math.isinf(self.high):
                    return value  # e.g. an infinite jail term
                if not value.is_integer():
                    raise bad(f"{value!r} is not an integer")
                value = int(value)
        else:
            value = float(value)
            if math.isnan(value):
                raise bad("NaN is not allowed")
        self._check_range(value, bad)
        return value

    def _check_range(self, value, bad):
        if self.low is not None and value < self.low:
            raise bad(f"{value!r} is below the minimum")
        if self.high is not None and value > self.high:
            raise bad(f"{value!r} is above the maximum")

    def describe(self) -> dict:
        return {
            "name": self.name,
            "module": self.module,
            "default": self.default,
            "kind": self.kind,
            "low": self.low,
            "high": self.high,
            "choices": list(self.choices),
            "unit": self.unit,
            "doc": self.doc,
            "citation": self.citation,
            "sweepable": self.sweepable,
            "structural": self.structural,
            "sweep_range": list(self.sweep_range) if self.sweep_range else None,
            "role": self.role,
        }


def _parse_int(text: str):
    t = text.strip().lower()
    if t in ("inf", "infinity"):
        return float("inf")
    f = float(t)
    if not f.is_integer():
        raise ValueError(text)
    return int(f)


class ParamSet:
    """The resolved, validated parameter values of one Sim, by name.

    Values may change during a run (timeline events); `initial` keeps what the run started with."""

    def __init__(
        self,
        specs: Mapping[str, Param],
        values: Mapping[str, Any] | None = None,
        source: str | None = None,
    ):
        self.specs = dict(specs)
        self._values = {n: p.default for n, p in self.specs.items()}
        for name, value in (values or {}).items():
            self.set(name, value, source=source)
        self.initial = dict(self._values)

    def set(self, name: str, value: Any, source: str | None = None) -> None:
        if name not in self.specs:
            raise UnknownParamError(name, self.specs, source=source)
        self._values[name] = self.specs[name].coerce(value, source=source)

    def __getitem__(self, name: str):
        try:
            return self._values[name]
        except KeyError:
            raise UnknownParamError(name, self.specs) from None

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def as_dict(self) -> dict:
        return dict(self._values)


def collect_specs(module_classes: Iterable[type]) -> dict[str, Param]:
    """Merge the declarations of several modules; a name declared twice is a bug."""
    specs: dict[str, Param] = {}
    for cls in module_classes:
        for p in cls.define_params():
            if p.name in specs and specs[p.name] != p.__class__(
                **{**p.__dict__, "module": specs[p.name].module}
            ):
                raise ValueError(
                    f"parameter '{p.name}' declared by both {specs[p.name].module} and {cls.name}"
                )
            specs.setdefault(p.name, Param(**{**p.__dict__, "module": cls.name}))
    return specs
