"""Scenario discovery: which parameter regions produce an outcome of interest (e.g. a
nationwide uprising)?

Two classic methods on the runs of a sweep (each run is one case: its point's parameters,
its own outcome):

    CART — a shallow classification tree (scikit-learn; Breiman et al. 1984): rules you can
           read, each leaf with its share of cases showing the outcome
    PRIM — the Patient Rule Induction Method (Friedman & Fisher 1999), as used in scenario
           discovery (Bryant & Lempert 2010): peel a box, a few percent of the cases at a time,
           towards a high density of the outcome; report coverage (share of all outcome cases
           inside the box) and density (share of cases in the box showing the outcome)

The outcome is a boolean condition on per-run outputs, e.g.
`--output active:max --condition "active_max > 500"`.
"""

from __future__ import annotations

import numpy as np

from tolqyn.core.errors import TolqynError
from tolqyn.experiments.store import (
    ExperimentStore,
    atomic_write_json,
    output_name,
    parse_output,
    run_outputs,
)


def cases(out, outputs: list[str], condition: str):
    """(X DataFrame of swept parameters per run, y bool array, outputs DataFrame)."""
    import pandas as pd

    store = ExperimentStore(out)
    spec = store.spec()
    df = run_outputs(out, outputs)
    if df.empty:
        raise TolqynError(f"{out}: no successful runs to analyse")
    points = pd.read_parquet(store.root / "points.parquet")
    merged = df.merge(points, on="point_id", how="left")
    try:
        y = merged.eval(condition)
    except Exception as e:
        cols = [output_name(*parse_output(o)) for o in outputs]
        raise TolqynError(
            f"--condition {condition!r} could not be evaluated ({e}); it may use "
            f"the outputs {cols} and the parameters "
            f"{[a['name'] for a in spec['design']['axes']]}"
        ) from None
    y = np.asarray(y, dtype=bool)
    names = [a["name"] for a in spec["design"]["axes"]]
    X = merged[names].copy()
    for a in spec["design"]["axes"]:
        if a["kind"] in ("bool", "choice"):
            X[a["name"]] = (
                X[a["name"]]
                .astype(str)
                .map({str(v): i for i, v in enumerate(a["choices"] or ["False", "True"])})
            )
    return X, y, merged


def cart(X, y, max_depth: int = 3, min_leaf: float = 0.05, seed: int = 0) -> dict:
    from sklearn.tree import DecisionTreeClassifier

    n = len(y)
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=max(1, int(min_leaf * n)), random_state=seed
    )
    tree.fit(X.to_numpy(dtype=float), y)
    t = tree.tree_
    leaves = []

    def walk(node, conds):
        if t.children_left[node] == -1:
            cnt = t.value[node][0]
            # sklearn stores class fractions (weighted) per node; n_node_samples gives the count
            total = int(t.n_node_samples[node])
            classes = list(tree.classes_)
            frac = float(cnt[classes.index(True)] / cnt.sum()) if True in classes else 0.0
            leaves.append(
                {
                    "rule": " and ".join(conds) or "(all cases)",
                    "cases": total,
                    "share": frac,
                    "positives": int(round(frac * total)),
                }
            )
            return
        name = X.columns[t.feature[node]]
        thr = float(t.threshold[node])
        walk(t.children_left[node], conds + [f"{name} <= {thr:.4g}"])
        walk(t.children_right[node], conds + [f"{name} > {thr:.4g}"])

    walk(0, [])
    leaves.sort(key=lambda l: -l["share"])
    return {
        "leaves": leaves,
        "accuracy": float(tree.score(X.to_numpy(dtype=float), y)),
        "importance": dict(zip(X.columns, map(float, tree.feature_importances_))),
    }


def prim(X, y, alpha: float = 0.05, min_mass: float = 0.05) -> dict:
    """Top-down peeling. Returns the peeling trajectory and the chosen box: the densest box
    that still holds at least `min_mass` of all cases."""
    x = X.to_numpy(dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = x.shape
    if y.sum() == 0:
        return {"box": None, "trajectory": [], "note": "no case shows the outcome"}
    lo, hi = x.min(axis=0).copy(), x.max(axis=0).copy()
    inside = np.ones(n, dtype=bool)
    traj = [_box_stats(lo, hi, inside, y)]
    while inside.sum() > max(min_mass * n, 1):
        best = None
        for j in range(d):
            xi = x[inside, j]
            for side in ("low", "high"):
                q = np.quantile(xi, alpha if side == "low" else 1 - alpha)
                keep = inside & ((x[:, j] >= q) if side == "low" else (x[:, j] <= q))
                if side == "low" and q <= lo[j] or side == "high" and q >= hi[j]:
                    # a discrete axis: peel the whole lowest/highest level instead
                    vals = np.unique(xi)
                    if len(vals) < 2:
                        continue
                    q = vals[1] if side == "low" else vals[-2]
                    keep = inside & ((x[:, j] >= q) if side == "low" else (x[:, j] <= q))
                m = keep.sum()
                if m == inside.sum() or m < max(min_mass * n, 1):
                    continue
                dens = y[keep].mean()
                if best is None or dens > best[0]:
                    best = (dens, j, side, q, keep)
        if best is None:
            break
        _, j, side, q, keep = best
        if side == "low":
            lo[j] = q
        else:
            hi[j] = q
        inside = keep
        traj.append(_box_stats(lo, hi, inside, y))
    chosen = max(traj, key=lambda b: (round(b["density"], 12), b["coverage"]))
    names = list(X.columns)
    full_lo, full_hi = x.min(axis=0), x.max(axis=0)
    limits = {
        names[j]: [chosen["low"][j], chosen["high"][j]]
        for j in range(d)
        if chosen["low"][j] > full_lo[j] or chosen["high"][j] < full_hi[j]
    }
    return {
        "box": {
            "limits": limits,
            "coverage": chosen["coverage"],
            "density": chosen["density"],
            "mass": chosen["mass"],
        },
        "base_density": float(y.mean()),
        "trajectory": [{k: b[k] for k in ("coverage", "density", "mass")} for b in traj],
    }


def _box_stats(lo, hi, inside, y) -> dict:
    n_in = inside.sum()
    return {
        "low": [float(v) for v in lo],
        "high": [float(v) for v in hi],
        "mass": float(n_in / len(y)),
        "density": float(y[inside].mean()) if n_in else 0.0,
        "coverage": float(y[inside].sum() / y.sum()) if y.sum() else 0.0,
    }


def discover(
    out,
    outputs: list[str],
    condition: str,
    method: str = "both",
    max_depth: int = 3,
    alpha: float = 0.05,
    min_mass: float = 0.05,
) -> dict:
    X, y, _ = cases(out, outputs, condition)
    res = {
        "condition": condition,
        "cases": int(len(y)),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()),
    }
    if method in ("cart", "both"):
        res["cart"] = cart(X, y, max_depth=max_depth, min_leaf=min_mass)
    if method in ("prim", "both"):
        res["prim"] = prim(X, y, alpha=alpha, min_mass=min_mass)
    if method not in ("cart", "prim", "both"):
        raise TolqynError(f"unknown method '{method}'; allowed: cart, prim, both")
    atomic_write_json(ExperimentStore(out).root / "discovery.json", res)
    return res


def summary_text(res: dict) -> str:
    lines = [
        f"outcome: {res['condition']} — {res['positives']} of {res['cases']} runs "
        f"({res['base_rate']:.0%})"
    ]
    if "cart" in res:
        c = res["cart"]
        lines.append(
            f"\nCART (training accuracy {c['accuracy']:.0%}); leaves, most outcome-prone first:"
        )
        for leaf in c["leaves"]:
            lines.append(f"  {leaf['share']:>5.0%} of {leaf['cases']:>4} runs  if {leaf['rule']}")
    if "prim" in res:
        p = res["prim"]
        if p.get("box") is None:
            lines.append(f"\nPRIM: {p.get('note', 'no box')}")
        else:
            b = p["box"]
            lims = (
                "; ".join(f"{k} in [{v[0]:.4g}, {v[1]:.4g}]" for k, v in b["limits"].items())
                or "(whole space)"
            )
            lines.append(
                f"\nPRIM box: {lims}\n  density {b['density']:.0%} (base {p['base_density']:.0%}), "
                f"coverage {b['coverage']:.0%} of outcome runs, mass {b['mass']:.0%} of runs"
            )
    return "\n".join(lines)
