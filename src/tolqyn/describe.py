"""What `tolqyn describe` shows: a scenario's parameters, the event actions its model handles
(with their parameters) and its own timeline, as data (`--json`) or as text that fits a
terminal (citations listed once and referred to by number; `full=True` for everything)."""

from __future__ import annotations

import inspect
import shutil
import textwrap

_HIDDEN_ACTIONS = ("ramp_step",)  # internal: `[[ramps]]` expand into these


def action_handler(module_cls, action: str):
    """The function a module registers for `action`: named in the module's `action_handlers`
    table, else `_on_<action>`, else `_<action>`. None when there is none."""
    name = getattr(module_cls, "action_handlers", {}).get(action)
    for attr in (name, f"_on_{action}", f"_{action}"):
        if attr and hasattr(module_cls, attr):
            return getattr(module_cls, attr)
    return None


def _action_params(fn) -> list[dict]:
    out = []
    for name, p in inspect.signature(fn).parameters.items():
        if name in ("self", "sim") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        d = {"name": name, "required": p.default is inspect.Parameter.empty}
        if not d["required"]:
            d["default"] = p.default
        out.append(d)
    return out


def model_actions(model_cls) -> list[dict]:
    """Every event action of a model: name, the module that handles it, its parameters and
    what it does. `set` (any parameter) comes first."""
    rows = [
        {
            "action": "set",
            "module": "core",
            "params": [{"name": "<parameter>", "required": True}],
            "doc": "Assign parameters from this step on: params = { name = value, ... }.",
        }
    ]
    for m in model_cls.module_classes():
        for action in m.actions:
            if action in _HIDDEN_ACTIONS:
                continue
            fn = action_handler(m, action)
            rows.append(
                {
                    "action": action,
                    "module": m.name,
                    "params": _action_params(fn) if fn else [],
                    "doc": " ".join(inspect.getdoc(fn).split()) if fn and fn.__doc__ else "",
                }
            )
    return rows


def describe_data(sc) -> dict:
    """Everything `describe` knows about a scenario, JSON-serialisable."""
    from tolqyn.models import all_param_specs, get_model

    model_cls = get_model(sc.model)
    specs = all_param_specs(model_cls)
    params = []
    for name, p in specs.items():
        d = p.describe()
        d["value"] = sc.resolved_params[name]
        d["allowed"] = p.bounds_text
        params.append(d)
    citations: list[str] = []
    for d in params:
        if d["citation"] and d["citation"] not in citations:
            citations.append(d["citation"])
    return {
        "scenario": sc.name,
        "model": sc.model,
        "hash": sc.hash,
        "steps": sc.steps,
        "dt": sc.dt,
        "start_date": sc.start_date,
        "description": sc.description,
        "events": list(sc.events),
        "actions": model_actions(model_cls),
        "citations": citations,
        "parameters": params,
    }


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    if width <= 1:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def _signature(a: dict) -> str:
    parts = []
    for p in a["params"]:
        parts.append(p["name"] if p["required"] else f"{p['name']}={_fmt(p['default'])}")
    return f"{a['action']}({', '.join(parts)})"


def format_text(data: dict, width: int | None = None, full: bool = False) -> str:
    """The describe page as plain text, every line at most `width` characters (default: the
    terminal's width, at most 100). Compact: one line per parameter, the doc clipped, the
    citation as [n]; `full`: the doc, the default, the module and the citation in full."""
    width = width or min(shutil.get_terminal_size((80, 24)).columns, 100)
    width = max(width, 60)
    wrap = textwrap.TextWrapper(width=width, break_long_words=True, break_on_hyphens=False)
    ind = textwrap.TextWrapper(
        width=width,
        initial_indent="      ",
        subsequent_indent="      ",
        break_long_words=True,
        break_on_hyphens=False,
    )
    out: list[str] = []
    head = f"{data['scenario']}  model {data['model']}  {data['steps']} steps of {data['dt']:g} d"
    if data["start_date"]:
        head += f" from {data['start_date']}"
    out += wrap.wrap(head + f"  hash {data['hash']}")
    if data["description"]:
        out += wrap.wrap(" ".join(data["description"].split()))
    cite_no = {c: i + 1 for i, c in enumerate(data["citations"])}

    params = data["parameters"]
    changed = sum(1 for p in params if p["value"] != p["default"])
    out += ["", f"PARAMETERS ({len(params)}; * = changed by this scenario from the default)"]
    by_module: dict[str, list[dict]] = {}
    for p in params:
        by_module.setdefault(p["module"] or "model", []).append(p)
    for module, rows in by_module.items():
        out.append(f"  {module}")
        for p in rows:
            mark = "*" if p["value"] != p["default"] else " "
            unit = f" {p['unit']}" if p["unit"] and p["unit"] != "1" else ""
            if full:
                out.append(
                    f"   {mark}" + _clip(f"{p['name']} = {_fmt(p['value'])}{unit}", width - 4)
                )
                meta = f"role {p['role']}; default {_fmt(p['default'])}; allowed {p['allowed']}"
                if p["unit"]:
                    meta += f"; unit {p['unit']}"
                out += ind.wrap(meta)
                if p["doc"]:
                    out += ind.wrap(p["doc"])
                if p["citation"]:
                    out += ind.wrap("source: " + p["citation"])
                continue
            ref = f"  [{cite_no[p['citation']]}]" if p["citation"] else ""
            tail = f"  {p['allowed']}  {p['role']}{ref}"
            head = f"   {mark}{p['name']} = "
            value = _clip(_fmt(p["value"]) + unit, max(width - len(head) - len(tail), 12))
            line = head + value
            line += " " * max(width - len(line) - len(tail), 0) + tail
            if len(line) > width:  # a long allowed list: clip it, keep the reference
                line = (
                    head
                    + value
                    + "  "
                    + _clip(p["allowed"], width - len(head + value + ref) - 2)
                    + ref
                )
            out.append(line[:width])
            if p["doc"]:
                out.append("      " + _clip(p["doc"], width - 6))
    if changed == 0:
        out.append("  (all at their defaults)")
    if data["citations"] and not full:
        out += ["", "SOURCES"]
        for c, i in cite_no.items():
            out += textwrap.wrap(
                c,
                width=width,
                initial_indent=f"  [{i}] ",
                subsequent_indent=" " * 6,
                break_on_hyphens=False,
            )

    actions = data["actions"]
    out += ["", 'EVENT ACTIONS ([[events]] at = ..., action = "...", params = { ... })']
    for a in actions:
        sig = _signature(a)
        line = f"  {sig}" + (f"  ({a['module']})" if full else "")
        out += textwrap.wrap(line, width=width, subsequent_indent="      ", break_on_hyphens=False)
        if a["doc"]:
            out += ind.wrap(a["doc"]) if full else ["    " + _clip(a["doc"], width - 4)]

    events = data["events"]
    if events:
        out += ["", f"EVENTS OF THIS SCENARIO ({len(events)})"]
        for e in sorted(events, key=lambda e: (str(type(e.get("at"))), e.get("at"))):
            kw = " ".join(f"{k}={_fmt(v)}" for k, v in (e.get("params") or {}).items())
            line = f"{e.get('at')}  {e.get('action', 'set')} {kw}"
            if e.get("label"):
                line += f"  — {e['label']}"
            if full:
                out += textwrap.wrap(
                    line, width=width, initial_indent="  ", subsequent_indent="      "
                )
            else:
                out.append("  " + _clip(line, width - 2))
    if not full:
        out += ["", "(--full: every doc and citation in full; --json: for tools)"]
    return "\n".join(out) + "\n"
