"""Global sensitivity analysis on a sweep store (SALib).

    morris — elementary effects (Morris 1991; Campolongo et al. 2007): mu*, sigma, with a
             bootstrap confidence interval on mu*; cheap screening, N·(D+1) points
    sobol  — first-order and total Sobol' indices (Saltelli 2002/2010 estimators), bootstrap
             confidence intervals; N·(D+2) points

A stochastic model has noise that no parameter explains. Each point's output is the mean over
its replicates (common random numbers across points), and the report states the share of
output variance that is replicate noise: when it is large, indices are unreliable whatever
their intervals say — add replicates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tolqyn.core.errors import TolqynError
from tolqyn.experiments.designs import Axis, salib_problem
from tolqyn.experiments.store import (
    ExperimentStore,
    atomic_write_json,
    output_name,
    parse_output,
    run_outputs,
)


def _axes_from_spec(spec: dict) -> list[Axis]:
    return [
        Axis(a["name"], a["kind"], a["low"], a["high"], tuple(a.get("choices", ())))
        for a in spec["design"]["axes"]
    ]


def point_means(out, outputs: list[str]):
    """(spec, matrix Y [n_points × n_outputs], noise share per output, column names)."""
    store = ExperimentStore(out)
    spec = store.spec()
    df = run_outputs(out, outputs)
    names = [output_name(*parse_output(o)) for o in outputs]
    n_points = spec["n_points"]
    counts = df.groupby("point_id").size().reindex(range(n_points), fill_value=0)
    missing = [int(p) for p, c in counts.items() if c == 0]
    if missing:
        raise TolqynError(
            f"{out}: {len(missing)} design point(s) have no successful run "
            f"(e.g. point {missing[0]}); finish the sweep (run the same command "
            'again) or inspect failures with `tolqyn query DIR "SELECT * FROM runs '
            "WHERE status <> 'ok'\"`"
        )
    means = df.groupby("point_id")[names].mean().reindex(range(n_points))
    if means.isna().any().any():
        bad = means.columns[means.isna().any()].tolist()
        raise TolqynError(f"output(s) {bad} missing in some runs (metric not recorded?)")
    Y = means.to_numpy(dtype=float)
    noise = []
    for n in names:
        within = (
            df.groupby("point_id")[n].var(ddof=1).mean() if spec["replicates"] > 1 else float("nan")
        )
        # variance of a replicate mean is within-variance / R
        total = float(np.var(Y[:, names.index(n)], ddof=1)) if n_points > 1 else float("nan")
        share = (
            (within / spec["replicates"]) / total
            if total and total > 0 and np.isfinite(within)
            else float("nan")
        )
        noise.append(float(share) if np.isfinite(share) else None)
    return spec, Y, noise, names


def analyze(
    out,
    outputs: list[str],
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
    plots: bool = True,
) -> dict:
    """Indices for every output; writes sensitivity.json, sensitivity.csv and PNG plots."""
    import pandas as pd

    spec, Y, noise, names = point_means(out, outputs)
    kind = spec["design"]["kind"]
    axes = _axes_from_spec(spec)
    problem = salib_problem(axes)
    rows, result = [], {"method": kind, "conf_level": conf_level, "outputs": {}}
    for j, name in enumerate(names):
        y = Y[:, j]
        if kind == "sobol":
            from SALib.analyze import sobol

            if np.ptp(y) == 0:
                raise TolqynError(
                    f"output '{name}' is constant over the design; nothing to attribute"
                )
            si = sobol.analyze(
                problem,
                y,
                calc_second_order=False,
                conf_level=conf_level,
                num_resamples=num_resamples,
                seed=seed,
                print_to_console=False,
            )
            for i, p in enumerate(problem["names"]):
                rows.append(
                    {
                        "output": name,
                        "parameter": p,
                        "S1": si["S1"][i],
                        "S1_conf": si["S1_conf"][i],
                        "ST": si["ST"][i],
                        "ST_conf": si["ST_conf"][i],
                    }
                )
        elif kind == "morris":
            from SALib.analyze import morris

            X = np.asarray(spec["design"]["raw"], dtype=float)
            si = morris.analyze(
                problem,
                X,
                y,
                conf_level=conf_level,
                num_resamples=num_resamples,
                num_levels=spec["design"]["options"].get("num_levels", 4),
                seed=seed,
                print_to_console=False,
            )
            for i, p in enumerate(problem["names"]):
                rows.append(
                    {
                        "output": name,
                        "parameter": p,
                        "mu": si["mu"][i],
                        "mu_star": si["mu_star"][i],
                        "mu_star_conf": si["mu_star_conf"][i],
                        "sigma": si["sigma"][i],
                    }
                )
        else:
            raise TolqynError(
                f"{out}: a '{kind}' design supports no sensitivity analysis; "
                "sweep with --design sobol or --design morris"
            )
        result["outputs"][name] = {
            "noise_share": noise[j],
            "indices": [r for r in rows if r["output"] == name],
        }
    df = pd.DataFrame(rows)
    outp = Path(out)
    df.to_csv(outp / "sensitivity.csv", index=False)
    atomic_write_json(outp / "sensitivity.json", _clean(result))
    if plots:
        result["plots"] = [str(p) for p in _plot(outp, kind, df, names, conf_level)]
    return result


def _clean(o):
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_clean(v) for v in o]
    if isinstance(o, (np.floating, float)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.integer):
        return int(o)
    return o


def _plot(outp: Path, kind: str, df, names, conf_level) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for name in names:
        d = df[df.output == name]
        fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(d) + 1.6))
        y = np.arange(len(d))
        if kind == "sobol":
            ax.barh(y - 0.2, d.S1, 0.4, xerr=d.S1_conf, label="first order S1", capsize=3)
            ax.barh(y + 0.2, d.ST, 0.4, xerr=d.ST_conf, label="total ST", capsize=3)
            ax.set_xlabel(f"Sobol' index ({int(conf_level * 100)}% bootstrap interval)")
        else:
            ax.barh(y, d.mu_star, 0.6, xerr=d.mu_star_conf, capsize=3, label="mu*")
            ax.plot(d.sigma, y, "k^", label="sigma (interaction/non-linearity)")
            ax.set_xlabel(f"Morris elementary effects ({int(conf_level * 100)}% interval on mu*)")
        ax.set_yticks(y)
        ax.set_yticklabels(d.parameter)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(name)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        p = outp / f"sensitivity_{name}.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        paths.append(p)
    return paths


def summary_text(result: dict) -> str:
    lines = [f"{result['method']} sensitivity ({int(result['conf_level'] * 100)}% intervals)"]
    for name, o in result["outputs"].items():
        ns = o["noise_share"]
        lines.append(
            f"\n{name}"
            + (
                f"  (replicate noise: {ns:.0%} of the variance of point means)"
                if ns is not None
                else ""
            )
        )
        for r in sorted(o["indices"], key=lambda r: -(r.get("ST") or r.get("mu_star") or 0)):
            if "ST" in r:
                lines.append(
                    f"  {r['parameter']:<28} S1 {r['S1']:+.3f} ± {r['S1_conf']:.3f}   "
                    f"ST {r['ST']:+.3f} ± {r['ST_conf']:.3f}"
                )
            else:
                lines.append(
                    f"  {r['parameter']:<28} mu* {r['mu_star']:.4g} ± {r['mu_star_conf']:.3g}   "
                    f"sigma {r['sigma']:.4g}"
                )
    return "\n".join(lines)
