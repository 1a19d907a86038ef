"""TOML -> Scenario. Every error names the file and the field, and unknown keys are refused
with the nearest valid name."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import stat as _stat
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tolqyn.models  # noqa: F401  (registers the built-in models with the engine)
from tolqyn.core.errors import ScenarioError, UnknownParamError
from tolqyn.core.params import ParamSet
from tolqyn.core.timeline import RAMP_KEYS, check_action_params

LIBRARY = Path(__file__).parent / "library"

MAX_FILE_BYTES = 1_000_000  # a scenario file; the largest built-in is a few kB
MAX_DEPTH = 16  # nesting of tables and arrays
MAX_STR = 100_000  # characters in one string
MAX_INT = 2**63 - 1
MAX_EXTENDS = 16  # files in one `extends` chain
MAX_STEPS = 10_000_000
EVENT_KEYS = ("at", "action", "id", "label", "params")

TOP_KEYS = (
    "name",
    "description",
    "model",
    "country",
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
    "timeline",
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
        params = {**self.params, **_checked_overrides(overrides)}
        return _finish(replace(self, params=params), source=source)

    def with_events(self, extra: list[dict]) -> "Scenario":
        extra = list(extra)
        check_values(extra, self.source, "events")
        _check_shape({"events": extra}, self.source)
        extra = [_norm_event(e) for e in extra]
        return _finish(replace(self, events=tuple(self.events) + tuple(extra)), source=self.source)


def builtin_names() -> list[str]:
    return sorted(
        str(p.relative_to(LIBRARY).with_suffix("")).replace("\\", "/")
        for p in LIBRARY.rglob("*.toml")
    )


def resolve_path(name_or_path: str | Path) -> tuple[Path, str]:
    """A built-in name or a file path -> (path, scenario name)."""
    s = str(name_or_path)
    if not s.strip():
        raise ScenarioError("empty scenario name; allowed: a built-in name or a .toml file")
    if "\x00" in s:
        raise ScenarioError("a scenario name cannot contain a NUL character", source=repr(s))
    p = Path(s)
    try:
        exists = p.exists()
    except OSError as e:  # a name too long for the file system, a loop of symlinks ...
        raise ScenarioError(f"cannot open: {e.strerror or e}", source=s) from None
    if s.endswith(".toml") or exists:
        if not exists:
            raise ScenarioError("file not found", source=s)
        if p.is_dir():
            raise ScenarioError("is a directory, expected a .toml scenario file", source=s)
        return p, p.stem
    cand = LIBRARY / f"{s}.toml"
    if cand.exists():
        return cand, s
    raise UnknownParamError(s, builtin_names(), what="scenario")


def _read_toml(path: Path, src: str | None = None) -> dict:
    """Parse one scenario file. Only regular files of reasonable size are read (a device or a
    FIFO would read forever or block), and nesting deeper than the parser's stack is an error."""
    src = src or str(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ScenarioError(f"cannot open: {e.strerror or e}", source=src) from None
    try:
        st = os.fstat(fd)
        if not _stat.S_ISREG(st.st_mode):
            raise ScenarioError(
                "not a regular file (a device, FIFO or socket?); allowed: a .toml file",
                source=src,
            )
        if st.st_size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"file of {st.st_size:,} bytes; allowed: at most {MAX_FILE_BYTES:,}", source=src
            )
        with os.fdopen(fd, "rb") as f:
            fd = None
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ScenarioError(f"cannot read: {e.strerror or e}", source=src) from None
    finally:
        if fd is not None:
            os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"file larger than {MAX_FILE_BYTES:,} bytes", source=src)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("not a UTF-8 text file", source=src) from None
    return parse_toml_text(text, src)


def parse_toml_text(text: str, src: str) -> dict:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"malformed TOML: {_one_line(e)}", source=src) from None
    except RecursionError:
        raise ScenarioError(
            f"nested too deeply; allowed: at most {MAX_DEPTH} levels", source=src
        ) from None
    check_values(data, src)
    return data


def _one_line(x) -> str:
    return " ".join(str(x).split())


def check_values(value, source: str | None, where: str = "", depth: int = 0) -> None:
    """Refuse, anywhere in a scenario (or a --set value, or a dashboard message), what no
    field accepts: NaN, integers beyond 64 bits, time-zone-aware times, nesting deeper than
    MAX_DEPTH. Named by the path of the value (e.g. `params.tau[3]`)."""
    field = where or None
    if depth > MAX_DEPTH:
        raise ScenarioError(
            f"nested too deeply; allowed: at most {MAX_DEPTH} levels", source=source, field=field
        )
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise ScenarioError(
                "integer too large; allowed: |n| < 2^63", source=source, field=field
            )
    elif isinstance(value, float):
        if math.isnan(value):
            raise ScenarioError("NaN is not allowed; give a number", source=source, field=field)
    elif isinstance(value, (_dt.datetime, _dt.time)):
        if value.tzinfo is not None:
            raise ScenarioError(
                f"{value.isoformat()} has a time zone; allowed: a local date or date-time "
                "(YYYY-MM-DD or YYYY-MM-DDTHH:MM), in the scenario's own calendar",
                source=source,
                field=field,
            )
    elif isinstance(value, str):
        if len(value) > MAX_STR:
            raise ScenarioError(
                f"text of {len(value):,} characters; allowed: at most {MAX_STR:,}",
                source=source,
                field=field,
            )
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ScenarioError(f"key {k!r} is not a string", source=source, field=field)
            check_values(v, source, f"{where}.{k}" if where else k, depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_values(v, source, f"{where}[{i}]", depth + 1)
    elif isinstance(value, _dt.date):
        return
    elif value is not None:
        raise ScenarioError(
            f"{type(value).__name__} values are not allowed", source=source, field=field
        )


def _kind(v) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "an array"
    return f"a {type(v).__name__}"


def _check_shape(data: dict, src: str) -> None:
    """The types of one file's top-level keys, events and ramps, checked before anything is
    merged with a parent (so a wrong type is named in the file that has it)."""
    for k in data:
        if k not in TOP_KEYS:
            raise UnknownParamError(str(k), TOP_KEYS, source=src, what="scenario key")

    def need(key, ok, allowed):
        if key in data and not ok(data[key]):
            raise ScenarioError(f"is {_kind(data[key])}; allowed: {allowed}", source=src, field=key)

    for key in ("name", "description", "model", "country", "extends"):
        need(key, lambda v: isinstance(v, str), "a string")
    for key in ("params", "meta", "timeline"):
        need(key, lambda v: isinstance(v, dict), "a table of name = value")
    for key in ("events", "ramps"):
        need(
            key,
            lambda v: isinstance(v, list) and all(isinstance(e, dict) for e in v),
            f"an array of tables ([[{key}]])",
        )
    need("remove_events", lambda v: isinstance(v, list), "an array of event ids (strings)")
    for i, e in enumerate(data.get("remove_events", [])):
        if not isinstance(e, str):
            raise ScenarioError(
                f"is {_kind(e)}; allowed: an event id (a string)",
                source=src,
                field=f"remove_events[{i}]",
            )
    need(
        "start_date",
        lambda v: isinstance(v, (str, _dt.date)),
        "a date (2022-01-01) or an ISO date string",
    )
    for i, ev in enumerate(data.get("events", [])):
        where = f"events[{i}]"
        for k in ev:
            if k not in EVENT_KEYS:
                raise UnknownParamError(str(k), EVENT_KEYS, source=src, what=f"key of {where}")
        for k in ("action", "id", "label"):
            if k in ev and not isinstance(ev[k], str):
                raise ScenarioError(
                    f"is {_kind(ev[k])}; allowed: a string", source=src, field=f"{where}.{k}"
                )
        if "params" in ev and not isinstance(ev["params"], dict):
            raise ScenarioError(
                f"is {_kind(ev['params'])}; allowed: a table of name = value",
                source=src,
                field=f"{where}.params",
            )
    for i, r in enumerate(data.get("ramps", [])):
        where = f"ramps[{i}]"
        for k in r:
            if k not in RAMP_KEYS:
                raise UnknownParamError(str(k), RAMP_KEYS, source=src, what=f"key of {where}")
        for k in ("param", "id", "label"):
            if k in r and not isinstance(r[k], str):
                raise ScenarioError(
                    f"is {_kind(r[k])}; allowed: a string", source=src, field=f"{where}.{k}"
                )


def _raw(name_or_path, seen: tuple = ()) -> tuple[dict, str, str]:
    path, name = resolve_path(name_or_path)
    src = str(path) if not str(path).startswith(str(LIBRARY)) else f"builtin:{name}"
    try:
        key = str(path.resolve())
    except (OSError, RuntimeError) as e:
        raise ScenarioError(f"cannot resolve the path: {e}", source=src) from None
    # the same file reached again by another spelling (sub/c.toml -> ../sub/c.toml) is a cycle
    if key in seen:
        raise ScenarioError("scenario extends itself (cycle)", source=src, field="extends")
    if len(seen) >= MAX_EXTENDS:
        raise ScenarioError(
            f"'extends' chain longer than {MAX_EXTENDS} files", source=src, field="extends"
        )
    data = _read_toml(path, src)
    _check_shape(data, src)
    if "extends" in data:
        parent_ref = data["extends"]
        # a relative path is relative to the extending file
        if parent_ref.endswith(".toml") and not Path(parent_ref).is_absolute():
            parent_ref = str(path.parent / parent_ref)
        try:
            parent, _, _ = _raw(parent_ref, seen + (key,))
        except ScenarioError as e:
            if seen or e.source == src:
                raise
            raise ScenarioError(f"{e}", source=src, field="extends") from None
        data = _merge(parent, data, src)
    if "timeline" in data:
        data = _with_timeline(data, path, src)
    return data, name, src


def _with_timeline(data: dict, path: Path, src: str) -> dict:
    """The rows of a CSV timeline (`[timeline]`, tolqyn.scenarios.timeline_csv) become events
    placed before the file's own [[events]], so a variant can remove them by id."""
    from tolqyn.models import get_model
    from tolqyn.scenarios.timeline_csv import expand_timeline

    args = {}
    if isinstance(data.get("model"), str):
        for m in get_model(data["model"], source=src).module_classes():
            for a in m.actions:
                args[a] = tuple(m.action_args.get(a, ()))
    events, left = expand_timeline(data, path, src, args)
    out = {k: v for k, v in data.items() if k != "timeline"}
    out["events"] = events + list(data.get("events", []))
    out["meta"] = {**data.get("meta", {}), "timeline_left_out": left}
    out["meta"]["timeline_file"] = str(data["timeline"].get("file"))
    return out


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
            known = {i for i in known if isinstance(i, str) and i}
            for i in sorted(ids):
                if i not in known:
                    raise UnknownParamError(
                        i, known, source=src, what="event id (in remove_events)"
                    )
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
    if not isinstance(data, dict):
        raise ScenarioError(f"is {_kind(data)}; allowed: a table", source=source)
    check_values(data, source)
    _check_shape(data, source)
    if "model" not in data:
        raise ScenarioError(
            "missing 'model' (e.g. model = \"epstein\")", source=source, field="model"
        )

    def typed(key, kind, default, check=None, msg=""):
        v = data.get(key, default)
        if v is None:
            return None
        if kind is int and (isinstance(v, bool) or not isinstance(v, int)):
            raise ScenarioError(
                f"{v!r} is not an integer; allowed: {msg}", source=source, field=key
            )
        if kind is float and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ScenarioError(f"{v!r} is not a number; allowed: {msg}", source=source, field=key)
        if check and not check(v):
            raise ScenarioError(f"{v!r} out of range; allowed: {msg}", source=source, field=key)
        return v

    steps = typed("steps", int, 100, lambda v: 0 <= v <= MAX_STEPS, f"0..{MAX_STEPS}")
    seed = typed("seed", int, 0, lambda v: 0 <= v < 2**63, "0..2^63-1")
    dt = float(
        typed("dt", float, 1.0, lambda v: math.isfinite(v) and 0 < v <= 365, "(0, 365] days")
    )
    start = _iso_date(data.get("start_date"), source, "start_date")
    events = [_norm_event(e) for e in data.get("events", [])]
    ramps = list(data.get("ramps", []))  # as written (dates kept: the hash depends on them)
    meta = data.get("meta", {})
    _check_observed(meta.get("observed"), source)
    sc = Scenario(
        name=str(name),
        model=data["model"],
        source=source,
        description=data.get("description", ""),
        steps=steps,
        seed=seed,
        dt=dt,
        start_date=start,
        # the country pack (docs/packs.md), a packaged name or a folder, is a parameter
        params={
            **({"country": data["country"]} if "country" in data else {}),
            **data.get("params", {}),
        },
        events=tuple(events),
        ramps=tuple(ramps),
        meta=dict(meta),
    )
    if overrides:
        sc = replace(sc, params={**sc.params, **_checked_overrides(overrides)})
    return _finish(sc, source=source if not overrides else f"{source} (with --set)")


def _checked_overrides(overrides) -> dict:
    if not isinstance(overrides, dict):
        raise ScenarioError(f"is {_kind(overrides)}; allowed: a table", source="--set")
    check_values(overrides, "--set")
    return dict(overrides)


def _iso_date(value, source, field) -> str | None:
    """A start date as written (TOML date, local date-time or ISO string) -> ISO string."""
    if value is None:
        return None
    if isinstance(value, (_dt.date, _dt.datetime)):
        moment = value
    elif isinstance(value, str):
        try:
            moment = _dt.datetime.fromisoformat(value)
        except ValueError:
            raise ScenarioError(
                f"{value!r} is not an ISO date; allowed: YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                source=source,
                field=field,
            ) from None
    else:
        raise ScenarioError(
            f"is {_kind(value)}; allowed: a date (YYYY-MM-DD)", source=source, field=field
        )
    if isinstance(moment, _dt.datetime) and moment.tzinfo is not None:
        raise ScenarioError(
            f"{value} has a time zone; allowed: a local date or date-time",
            source=source,
            field=field,
        )
    return value if isinstance(value, str) else moment.isoformat()


def _check_observed(observed, source: str) -> None:
    """[[meta.observed]]: read by the observation layer's one reader here, so that a typo
    fails at load time, not inside a report."""
    from tolqyn.observe import targets_of

    targets_of({"observed": observed}, source)


def _norm_event(e: dict) -> dict:
    e = dict(e)
    for k, v in list(e.items()):
        if isinstance(v, (_dt.date, _dt.datetime)):
            e[k] = v.isoformat()
    return e


def _finish(sc: Scenario, source: str) -> Scenario:
    """Validate parameters, events and ramps against the model's declarations (everything
    set-up will use), compute the hash."""
    from tolqyn.core.clock import Clock
    from tolqyn.models import all_param_specs, get_model

    if not isinstance(sc.model, str):
        raise ScenarioError(
            f"is {_kind(sc.model)}; allowed: a model name", source=source, field="model"
        )
    model_cls = get_model(sc.model, source=sc.source)
    specs = all_param_specs(model_cls)
    for k in sc.params:
        if not isinstance(k, str):
            raise ScenarioError(f"parameter name {k!r} is not a string", source=source)
    ps = ParamSet(specs, sc.params, source=source)
    clock = Clock(sc.steps, sc.dt, sc.start_date)
    action_args = {"set": None}
    for m in model_cls.module_classes():
        for a in m.actions:
            action_args[a] = tuple(m.action_args.get(a, ()))
    for i, ev in enumerate(sc.events):
        where = f"events[{i}]"
        if "at" not in ev:
            raise ScenarioError("needs 'at' (a step number or a date)", source=source, field=where)
        _step_of(clock, ev["at"], source, f"{where}.at")
        action = ev.get("action", "set")
        if action not in action_args:
            raise UnknownParamError(
                action, action_args, source=source, what=f"event action (in {where})"
            )
        params = ev.get("params", {})
        if action == "set":
            if not params:
                raise ScenarioError(
                    "a 'set' event needs at least one parameter", source=source, field=where
                )
            for k, v in params.items():
                if k not in specs:
                    raise UnknownParamError(k, specs, source=source)
                specs[k].coerce(v, source=source)
        else:
            check_action_params(
                action, params, action_args[action], source=source, field=f"{where}.params"
            )
            if "regions" in params:
                _check_region_codes(params["regions"], ps, source, f"{where}.params.regions")
    for i, r in enumerate(sc.ramps):
        where = f"ramps[{i}]"
        for k in ("param", "delta"):
            if k not in r:
                raise ScenarioError(f"a ramp needs '{k}'", source=source, field=where)
        name = r["param"]
        if name not in specs:
            raise UnknownParamError(name, specs, source=source, what=f"parameter (in {where})")
        if specs[name].kind not in ("float", "int"):
            raise ScenarioError(
                f"'{name}' is a {specs[name].kind} parameter; allowed: a numeric parameter",
                source=source,
                field=f"{where}.param",
            )
        delta = r["delta"]
        if (
            isinstance(delta, bool)
            or not isinstance(delta, (int, float))
            or not math.isfinite(float(delta))
        ):
            raise ScenarioError(
                f"{delta!r}: allowed: a finite number", source=source, field=f"{where}.delta"
            )
        for k in ("from", "stop"):
            if k in r:
                v = r[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise ScenarioError(
                        f"{v!r}: allowed: {specs[name].bounds_text}",
                        source=source,
                        field=f"{where}.{k}",
                    )
                specs[name].coerce(v, source=source)
        for k in ("start", "until"):
            if k in r:
                _step_of(clock, r[k], source, f"{where}.{k}")
        every = r.get("every", 1)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ScenarioError(
                f"{every!r}: allowed: an integer >= 1", source=source, field=f"{where}.every"
            )
    resolved = ps.as_dict()
    _model_check(model_cls, resolved, source, explicit=set(sc.params))
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


def _model_check(model_cls, params: dict, source: str, explicit=()) -> None:
    """Constraints between parameters that a model declares (e.g. densities summing to at
    most 1), checked at load so that `validate` and sweep planning see them; `explicit`
    names the parameters the scenario wrote, not left at their defaults."""
    check = getattr(model_cls, "check_params", None)
    if check is not None:
        check(params, source=source, explicit=explicit)


def _step_of(clock, at, source, field) -> int:
    if isinstance(at, str) or isinstance(at, _dt.date):
        if isinstance(at, str):
            _iso_date(at, source, field)
        return clock.step_of(at, source=source, field=field)
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        raise ScenarioError(
            f"is {_kind(at)}; allowed: a step number or an ISO date", source=source, field=field
        )
    step = clock.step_of(at, source=source, field=field)
    if step < 0:
        raise ScenarioError(
            f"{at!r} is negative; allowed: a step >= 0 or an ISO date", source=source, field=field
        )
    return step


def _canon(v: Any):
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, tuple):
        return [_canon(x) for x in v]
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in sorted(v.items())}
    return v


def check_run_options(*, seed=None, steps=None, source: str = "command line") -> None:
    """A seed or step count given outside the scenario file, with the file's own limits."""
    if steps is not None and not (0 <= steps <= MAX_STEPS):
        raise ScenarioError(
            f"--steps {steps}: allowed: 0..{MAX_STEPS:,}", source=source, field="steps"
        )
    if seed is not None and not (0 <= seed < 2**63):
        raise ScenarioError(f"--seed {seed}: allowed: 0..2^63-1", source=source, field="seed")


def parse_set_options(items: list[str] | None) -> dict:
    """`--set key=value` pairs -> dict (values parsed as TOML values where possible, else kept
    as text for the parameter's own parsing). The same value checks as a scenario file."""
    out = {}
    for item in items or []:
        if not isinstance(item, str) or "=" not in item:
            raise ScenarioError(f"'{item}' is not key=value", source="--set")
        k, _, v = item.partition("=")
        k, v = k.strip(), v.strip()
        if not k:
            raise ScenarioError(f"'{item}' has no parameter name before '='", source="--set")
        if len(v) > MAX_STR:
            raise ScenarioError(
                f"value longer than {MAX_STR:,} characters", source="--set", field=k
            )
        try:
            out[k] = tomllib.loads(f"x = {v}")["x"]
        except tomllib.TOMLDecodeError:
            out[k] = v
        except RecursionError:
            raise ScenarioError(
                f"nested too deeply; allowed: at most {MAX_DEPTH} levels", source="--set", field=k
            ) from None
        check_values(out[k], "--set", k)
    return out


def _check_region_codes(regions, ps, source, field) -> None:
    """An event's `regions` names units of the scenario's country pack ("ALL", a code or a
    list of codes), checked at load so that a typo fails `validate`, not day 5 of a run."""
    if "country" not in ps or "region_basis" not in ps:
        return  # not a country model: its handler checks what it takes
    from tolqyn.packs.reader import load_pack

    here = Path(str(source).split(" (")[0]) if source else None
    folder = here.parent if here is not None and here.suffix == ".toml" else None
    codes = [str(c) for c in load_pack(ps["country"], folder).units(ps["region_basis"])["code"]]
    given = [regions] if isinstance(regions, str) else regions
    if not isinstance(given, (list, tuple)):
        raise ScenarioError(
            f'is {_kind(regions)}; allowed: "ALL", a unit code or a list of codes',
            source=source,
            field=field,
        )
    for code in given:
        if code == "ALL" and len(given) == 1:
            continue
        if not isinstance(code, str) or code not in codes:
            raise UnknownParamError(str(code), codes, source=source, what=f"unit code (in {field})")
