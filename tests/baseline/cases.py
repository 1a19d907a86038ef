"""The regression baseline: which run each built-in scenario gets, and the key outputs kept.

Every built-in scenario runs once at its own seed; the two country scenarios run at a coarse
scale so the whole baseline takes seconds. For each metric and region the summary keeps

    first, last, min, max   values at step 0, the last step, the smallest and the largest
    peak                    the first step (or date, for calendar scenarios) of the largest value
    sum                     the sum over all steps (the total of a flow; for a stock, its area)

which covers the totals, peaks and dates that reviews talk about. Floats are kept as Python's
shortest repr, so JSON round-trips them exactly and the comparison is exact.

`scripts/update_baseline.py` rewrites the files; `tests/test_baseline.py` compares against them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# Coarse scales for the country family (citizens per agent): 1:1000 gives ~20,000 agents for
# January 2022, 1:2000 ~10,000 for the exit decade; both run in well under a second.
SCALE = {"country": 1000.0, "country_exit": 2000.0}

STATS = ("first", "last", "min", "max", "peak", "sum")


def names() -> list[str]:
    from tolqyn.scenarios.loader import builtin_names

    return builtin_names()


def path_of(name: str) -> Path:
    return HERE / f"{name}.json"


def stored_names() -> list[str]:
    return sorted(str(p.relative_to(HERE).with_suffix("")) for p in HERE.rglob("*.json"))


def run_spec(name: str) -> dict:
    """How the baseline runs `name`: the scenario's own seed and steps, a coarse scale for the
    country models."""
    from tolqyn.scenarios.loader import load_scenario

    sc = load_scenario(name)
    overrides = {"scale": SCALE[sc.model]} if sc.model in SCALE else {}
    return {"seed": int(sc.seed), "steps": int(sc.steps), "overrides": overrides}


def _num(x: float):
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return repr(x)  # JSON has no NaN/inf; keep them visible as strings
    return x


# Metrics kept region by region (the rest only for the whole country): where and when
# protest, repression and exit happen.
REGIONAL = (
    "active",
    "arrests",
    "detained_cumulative",
    "deaths_civilian_cumulative",
    "deaths_security_cumulative",
    "participants_cumulative",
    "emigrants",
    "grievance_mean",
    "legitimacy_mean",
)


def summarize(result) -> dict:
    """Key outputs of one run, as plain JSON values."""
    c = result.columns
    has_dates = "date" in c
    # one sort groups the tidy table by (metric, region, step)
    order = np.lexsort((c["step"], c["region"], c["metric"]))
    metric, region = c["metric"][order], c["region"][order]
    step, value = c["step"][order], c["value"][order]
    date = c["date"][order] if has_dates else None
    cut = np.flatnonzero((metric[1:] != metric[:-1]) | (region[1:] != region[:-1])) + 1
    bounds = zip(np.r_[0, cut], np.r_[cut, metric.size], strict=True)
    metrics: dict[str, dict] = {}
    for a, b in bounds:
        m, r = str(metric[a]), str(region[a])
        if r != "ALL" and m not in REGIONAL:
            continue
        v = value[a:b]
        i = int(np.argmax(v))
        metrics.setdefault(m, {})[r] = {
            "first": _num(v[0]),
            "last": _num(v[-1]),
            "min": _num(v.min()),
            "max": _num(v[i]),
            "peak": str(date[a + i]) if has_dates else int(step[a + i]),
            "sum": _num(math.fsum(v.tolist())),
        }
    for m in metrics:  # ALL first, then the regions in order
        metrics[m] = dict(sorted(metrics[m].items(), key=lambda kv: (kv[0] != "ALL", kv[0])))
    man = result.manifest
    return {
        "steps": int(man["steps"]),
        "n_agents": int(man["n_agents"]),
        "scale": _num(man["scale"]),
        "metrics": metrics,
    }


def compute(name: str) -> dict:
    from tolqyn.api import run_one

    spec = run_spec(name)
    r = run_one(name, seed=spec["seed"], steps=spec["steps"], overrides=spec["overrides"] or None)
    return {"scenario": name, "run": spec, **summarize(r)}


def dumps(doc: dict) -> str:
    """JSON with one line per (metric, region), so a changed number is a changed line."""
    head = {k: v for k, v in doc.items() if k != "metrics"}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)},")
    lines.append('  "metrics": {')
    metric_items = list(doc["metrics"].items())
    for mi, (metric, regions) in enumerate(metric_items):
        lines.append(f"    {json.dumps(metric)}: {{")
        reg_items = list(regions.items())
        for ri, (region, stats) in enumerate(reg_items):
            comma = "," if ri < len(reg_items) - 1 else ""
            lines.append(f"      {json.dumps(region)}: {json.dumps(stats)}{comma}")
        lines.append("    }" + ("," if mi < len(metric_items) - 1 else ""))
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def load(name: str) -> dict | None:
    p = path_of(name)
    return json.loads(p.read_text()) if p.exists() else None


def diff(old: dict | None, new: dict | None, prefix: str = "") -> list[str]:
    """Every leaf that differs, as 'path: old -> new' lines (exact comparison)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in list(old) + [k for k in new if k not in old]:
            sub = f"{prefix}/{k}" if prefix else str(k)
            if k not in new:
                out.append(f"{sub}: removed (was {json.dumps(old[k])[:80]})")
            elif k not in old:
                out.append(f"{sub}: added ({json.dumps(new[k])[:80]})")
            else:
                out.extend(diff(old[k], new[k], sub))
        return out
    if old == new and type(old) is type(new):  # 1 and 1.0 differ: the JSON would
        return []
    return [f"{prefix}: {json.dumps(old)} -> {json.dumps(new)}{_rel(old, new)}"]


def _rel(old, new) -> str:
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and old not in (0, 0.0):
        return f"  ({(new - old) / abs(old):+.3%})"
    return ""
