"""TOML -> Scenario. Every error names the file and the field, and unknown keys are refused
with the nearest valid name."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tolqyn.models  # noqa: F401  (registers the built-in models with the engine)
from tolqyn.core.errors import ScenarioError, UnknownParamError
from tolqyn.core.params import ParamSet

LIBRARY = Path(__file__).parent / "library"

TOP_KEYS = (
    "name",
    "description",
    "model",
    "extends",
    "steps",
    "seed",
    "dt",
    "start_date",
    "params",
    "events",
    "ramps",
    "remove_events",
    "meta",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    model: str
    source: str
    description: str = ""
    steps: int = 100
    seed: int = 0
    dt: float = 1.0
    start_date: str | None = None
    params: dict = field(default_factory=dict)  # as written (overrides of defaults)
    events: tuple = ()
    ramps: tuple = ()
    meta: dict = field(default_factory=dict)
    hash: str = ""
    resolved_params: dict = field(default_factory=dict, compare=False)

    def with_params(self, overrides: dict, source: str = "--set") -> "Scenario":
        params = {**self.params, **overrides}
        return _finish(replace(self, params=params), source=source)

    def with_events(self, extra: list[dict]) -> "Scenario":
        return _finish(replace(self, events=tuple(self.events) + tuple(extra)), source=self.source)


def builtin_names() -> list[str]:
    return sorted(
        str(p.relative_to(LIBRARY).with_suffix("")).replace("\\", "/")
        for p in LIBRARY.rglob("*.toml")
    )


def resolve_path(name_or_path: str | Path) -> tuple[Path, str]:
    """A built-in name or a file path -> (path, scenario name)."""
    s = str(name_or_path)
    p = Path(s)
    if s.endswith(".toml") or p.exists():
        if not p.exists():
            raise ScenarioError("file not found", source=s)
        if p.is_dir():
            raise ScenarioError("is a directory, expected a .toml scenario file", source=s)
        return p, p.stem
    cand = LIBRARY / f"{s}.toml"
    if cand.exists():
        return cand, s
    raise UnknownParamError(s, builtin_names(), what="scenario")


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"malformed TOML: {e}", source=str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioError("not a UTF-8 text file", source=str(path)) from None


def _raw(name_or_path, seen: tuple = ()) -> tuple[dict, str, str]:
    path, name = resolve_path(name_or_path)
    src = str(path) if not str(path).startswith(str(LIBRARY)) else f"builtin:{name}"
    if src in seen:
        raise ScenarioError("scenario extends itself (cycle)", source=src, field="extends")
    data = _read_toml(path)
    for k in data:
        if k not in TOP_KEYS:
            raise UnknownParamError(k, TOP_KEYS, source=src, what="scenario key")
    if "extends" in data:
        parent_ref = data["extends"]
        if not isinstance(parent_ref, str):
            raise ScenarioError("must be a scenario name or path", source=src, field="extends")
        # a relative path is relative to the extending file
        if parent_ref.endswith(".toml") and not Path(parent_ref).is_absolute():
            parent_ref = str(path.parent / parent_ref)
        parent, _, _ = _raw(parent_ref, seen + (src,))
        data = _merge(parent, data, src)
    return data, name, src


def _merge(parent: dict, child: dict, src: str) -> dict:
    out = {k: v for k, v in parent.items() if k not in ("name", "description")}
    for k, v in child.items():
        if k == "params":
            out["params"] = {**parent.get("params", {}), **v}
        elif k == "events":
            out["events"] = list(out.get("events", [])) + list(v)
        elif k == "ramps":
            out["ramps"] = list(out.get("ramps", [])) + list(v)
        elif k == "meta":
            out["meta"] = {**parent.get("meta", {}), **v}
        elif k == "remove_events":
            ids = set(v)
            known = {e.get("id") for e in out.get("events", [])} | {
                r.get("id") for r in out.get("ramps", [])
            }
            for i in ids:
                if i not in known:
                    raise UnknownParamError(i, [k for k in known if k], source=src, what="event id")
            out["events"] = [e for e in out.get("events", []) if e.get("id") not in ids]
            out["ramps"] = [r for r in out.get("ramps", []) if r.get("id") not in ids]
        elif k == "extends":
            continue
        else:
            out[k] = v
    return out


def load_scenario(name_or_path, overrides: dict | None = None) -> Scenario:
    data, name, src = _raw(name_or_path)
    return from_dict(data, name=data.get("name", name), source=src, overrides=overrides)


def from_dict(
    data: dict, *, name: str = "custom", source: str = "<dict>", overrides: dict | None = None
) -> Scenario:
    for k in data:
        if k not in TOP_KEYS:
            raise UnknownParamError(k, TOP_KEYS, source=source, what="scenario key")
    if "model" not in data:
        raise ScenarioError(
            "missing 'model' (e.g. model = \"epstein\")", source=source, field="model"
        )

    def typed(key, kind, default, check=None, msg=""):
        v = data.get(key, default)
        if v is None:
            return None
        if kind is int and (isinstance(v, bool) or not isinstance(v, int)):
            raise ScenarioError(f"{v!r} is not an integer", source=source, field=key)
        if kind is float and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ScenarioError(f"{v!r} is not a number", source=source, field=key)
        if kind is str and not isinstance(v, str):
            raise ScenarioError(f"{v!r} is not a string", source=source, field=key)
        if check and not check(v):
            raise ScenarioError(f"{v!r} out of range; allowed: {msg}", source=source, field=key)
        return v

    steps = typed("steps", int, 100, lambda v: 0 <= v <= 10_000_000, "0..10000000")
    seed = typed("seed", int, 0, lambda v: 0 <= v < 2**63, "0..2^63-1")
    dt = float(
        typed("dt", float, 1.0, lambda v: 0 < v <= 365 and math.isfinite(v), "(0, 365] days")
    )
    start = data.get("start_date")
    if isinstance(start, (_dt.date, _dt.datetime)):
        start = start.isoformat()
    if start is not None:
        try:
            _dt.datetime.fromisoformat(str(start))
        except ValueError:
            raise ScenarioError(
                f"{start!r} is not an ISO date", source=source, field="start_date"
            ) from None
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ScenarioError("must be a table of name = value", source=source, field="params")
    events = data.get("events", [])
    ramps = data.get("ramps", [])
    for key, lst in (("events", events), ("ramps", ramps)):
        if not isinstance(lst, list) or not all(isinstance(e, dict) for e in lst):
            raise ScenarioError(f"must be an array of tables ([[{key}]])", source=source, field=key)
    events = [_norm_event(e) for e in events]
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise ScenarioError("must be a table", source=source, field="meta")
    _check_observed(meta.get("observed"), source)
    sc = Scenario(
        name=str(name),
        model=str(data["model"]),
        source=source,
        description=str(data.get("description", "")),
        steps=steps,
        seed=seed,
        dt=dt,
        start_date=start,
        params=dict(params),
        events=tuple(events),
        ramps=tuple(ramps),
        meta=dict(meta),
    )
    if overrides:
        sc = replace(sc, params={**sc.params, **overrides})
    return _finish(sc, source=source if not overrides else f"{source} (with --set)")


OBSERVED_KEYS = (
    "target",
    "metric",
    "region",
    "date",
    "value",
    "unit",
    "label",
    "source",
    "tolerance_factor",
    "min_active",
)


def _check_observed(observed, source: str) -> None:
    """[[meta.observed]]: the figures reports and calibration compare with. Checked here so
    that a typo fails at load time, not inside a report."""
    if observed is None:
        return
    if not isinstance(observed, list) or not all(isinstance(o, dict) for o in observed):
        raise ScenarioError(
            "must be an array of tables ([[meta.observed]])", source=source, field="meta.observed"
        )
    for i, o in enumerate(observed):
        where = f"meta.observed[{i}]"
        for k in o:
            if k not in OBSERVED_KEYS:
                raise UnknownParamError(k, OBSERVED_KEYS, source=source, what=f"key of {where}")
        for k, low, text in (
            ("tolerance_factor", 1.0, "a number > 1"),
            ("min_active", 0.0, "a number >= 0"),
        ):
            v = o.get(k)
            if v is None:
                continue
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            if not ok or v < low or (k == "tolerance_factor" and v == low):
                raise ScenarioError(
                    f"{v!r} out of range; allowed: {text}", source=source, field=f"{where}.{k}"
                )


def _norm_event(e: dict) -> dict:
    e = dict(e)
    for k, v in list(e.items()):
        if isinstance(v, (_dt.date, _dt.datetime)):
            e[k] = v.isoformat()
    return e


def _finish(sc: Scenario, source: str) -> Scenario:
    """Validate parameters against the model's declarations, check events, compute the hash."""
    from tolqyn.core.clock import Clock
    from tolqyn.models import all_param_specs, get_model

    model_cls = get_model(sc.model, source=sc.source)
    specs = all_param_specs(model_cls)
    ps = ParamSet(specs, sc.params, source=sc.source)
    clock = Clock(sc.steps, sc.dt, sc.start_date)
    actions = {"set"} | {a for m in model_cls.module_classes() for a in m.actions}
    allowed_event_keys = ("at", "action", "id", "label", "params")
    for i, ev in enumerate(sc.events):
        where = f"events[{i}]"
        for k in ev:
            if k not in allowed_event_keys:
                raise UnknownParamError(k, allowed_event_keys, source=sc.source, what="event key")
        if "at" not in ev:
            raise ScenarioError(
                "needs 'at' (a step number or a date)", source=sc.source, field=where
            )
        clock.step_of(ev["at"], source=sc.source, field=f"{where}.at")
        action = ev.get("action", "set")
        if action not in actions:
            raise UnknownParamError(action, actions, source=sc.source, what="event action")
        if not isinstance(ev.get("params", {}), dict):
            raise ScenarioError(
                "'params' must be a table", source=sc.source, field=f"{where}.params"
            )
        if action == "set":
            for k, v in ev.get("params", {}).items():
                if k not in specs:
                    raise UnknownParamError(k, specs, source=sc.source)
                specs[k].coerce(v, source=sc.source)
    for i, r in enumerate(sc.ramps):
        for k in r:
            if k not in (
                "param",
                "delta",
                "start",
                "every",
                "until",
                "stop",
                "from",
                "id",
                "label",
            ):
                raise UnknownParamError(
                    k,
                    ["param", "delta", "start", "every", "until", "stop", "from", "id", "label"],
                    source=sc.source,
                    what="ramp key",
                )
        if r.get("param") not in specs:
            raise UnknownParamError(str(r.get("param")), specs, source=sc.source)
    resolved = ps.as_dict()
    payload = {
        "model": sc.model,
        "steps": sc.steps,
        "dt": sc.dt,
        "start_date": sc.start_date,
        "params": {k: _canon(v) for k, v in sorted(resolved.items())},
        "events": [{k: _canon(v) for k, v in sorted(e.items())} for e in sc.events],
        "ramps": [{k: _canon(v) for k, v in sorted(r.items())} for r in sc.ramps],
    }
    h = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return replace(sc, hash=h, resolved_params=resolved)


def _canon(v: Any):
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, tuple):
        return [_canon(x) for x in v]
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in sorted(v.items())}
    return v


def parse_set_options(items: list[str] | None) -> dict:
    """`--set key=value` pairs -> dict (values parsed as TOML scalars where possible)."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError(f"'{item}' is not key=value", source="--set")
        k, _, v = item.partition("=")
        k, v = k.strip(), v.strip()
        try:
            out[k] = tomllib.loads(f"x = {v}")["x"]
        except tomllib.TOMLDecodeError:
            out[k] = v
    return out
