"""Browse stored experiments (sweeps, calibrations) for the dashboard.

An experiment is a directory with `experiment.json` (see tolqyn.experiments.store). Besides
the store's own tables (points, results, runs), any table whose name mentions a posterior or
sensitivity indices is plotted: posterior samples as histograms (one per parameter column),
sensitivity indices as bars (S1, ST... per parameter, with confidence half-widths)."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

from tolqyn.core.errors import TolqynError

MAX_PLOT_ROWS = 200_000
MARKERS = ("experiment.json", "calibration.json")  # a sweep's store, an ABC calibration
_ID_COLS = {
    "run_id",
    "point_id",
    "replicate",
    "seed",
    "step",
    "chain",
    "draw",
    "sample",
    "iteration",
    "weight",
    "weights",
    "distance",
    "generation",
    "particle",
}


def _root(root) -> Path:
    return Path(root if root is not None else "runs")  # where the README and tutorials write


def list_experiments(root) -> dict:
    r = _root(root)
    out = []
    if r.is_dir():
        dirs = sorted({p.parent for m in MARKERS for p in r.rglob(m)})
        for d in dirs:
            if len(d.relative_to(r).parts) > 4:
                continue
            spec = _spec(d)
            design = spec.get("design") if isinstance(spec.get("design"), dict) else {}
            out.append(
                {
                    "id": str(d.relative_to(r)) if d != r else ".",
                    "scenario": spec.get("scenario"),
                    "kind": spec.get("kind")
                    or design.get("kind")
                    or ("calibration" if (d / "calibration.json").exists() else None),
                    "created": spec.get("created") or spec.get("created_at"),
                    "n_points": spec.get("n_points"),
                    "replicates": spec.get("replicates"),
                }
            )
    return {"root": str(r), "experiments": out}


def _spec(d: Path) -> dict:
    for m in MARKERS:
        try:
            return json.loads((d / m).read_text())
        except (OSError, ValueError):
            continue
    return {}


def _resolve(root, exp_id: str) -> Path:
    r = _root(root).resolve()
    if not isinstance(exp_id, str) or not exp_id or "\x00" in exp_id:
        raise TolqynError("choose an experiment")
    d = (r / exp_id).resolve()
    if d != r and r not in d.parents:
        raise TolqynError(f"experiment {exp_id!r} is outside the experiments folder")
    if not any((d / m).is_file() for m in MARKERS):
        raise TolqynError(f"no experiment {exp_id!r} in {r}")
    return d


def _own(d: Path, pattern: str) -> list[Path]:
    """Files of an experiment folder matching `pattern`, never through a symlink: a link
    (to a file or a folder, inside or outside) is not served, nor is anything whose real
    path leaves the folder."""
    real = d.resolve()
    out = []
    for p in sorted(d.glob(pattern)):
        rel = p.relative_to(d)
        if any((d / Path(*rel.parts[: i + 1])).is_symlink() for i in range(len(rel.parts))):
            continue
        try:
            rp = p.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if real in rp.parents and rp.is_file():
            out.append(p)
    return out


def _tables(d: Path) -> dict[str, Path | str]:
    """Downloadable tables: top-level Parquet/CSV files plus the store's combined views."""
    out: dict[str, Path | str] = {}
    for p in _own(d, "*.parquet") + _own(d, "*.csv"):
        out[p.name] = p
    if _own(d, "results/*/*.parquet"):
        out["results (all runs)"] = "results"
    if _own(d, "runs/*.json"):
        out["runs"] = "runs"
    return out


def _read(d: Path, ref):
    """A pyarrow table for a table reference."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    if ref == "results":
        import pyarrow.dataset as ds

        files = [str(p) for p in _own(d, "results/*/*.parquet")]
        return ds.dataset(files, format="parquet").to_table()
    if ref == "runs":
        rows = []
        for p in _own(d, "runs/*.json"):
            try:
                rec = json.loads(p.read_text())
            except (OSError, ValueError):
                continue
            rec.pop("traceback", None)
            rows.append(
                {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in rec.items()}
            )
        return pa.Table.from_pylist(rows)
    p = Path(ref)
    if p.suffix == ".csv":
        return pcsv.read_csv(p)
    return pq.read_table(p)


def _num(v):
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _plots(d: Path, spec: dict, tables: dict) -> list[dict]:
    plots: list[dict] = []
    for name, ref in tables.items():
        low = name.lower()
        if ref in ("results", "runs"):
            continue
        try:
            t = _read(d, ref)
        except Exception:
            continue
        cols = t.column_names
        if "posterior" in low or "calibration" in low or "abc" in low:
            for c in cols:
                if c.lower() in _ID_COLS:
                    continue
                vals = [_num(v) for v in t.column(c).to_pylist()[:MAX_PLOT_ROWS]]
                vals = [v for v in vals if v is not None]
                if vals:
                    plots.append(
                        {
                            "type": "histogram",
                            "title": f"posterior: {c} ({len(vals):,} samples)",
                            "values": vals,
                        }
                    )
        elif (
            "sensitiv" in low
            or "sobol" in low
            or {"S1", "ST"} & set(cols)
            or {"mu_star"} & set(cols)
        ):
            plots.extend(_sensitivity_plots(t))
        elif name == "points.parquet":
            for c in cols:
                if c == "point_id":
                    continue
                vals = [_num(v) for v in t.column(c).to_pylist()[:MAX_PLOT_ROWS]]
                vals = [v for v in vals if v is not None]
                if vals:
                    plots.append(
                        {
                            "type": "histogram",
                            "title": f"design: {c} ({len(vals):,} points)",
                            "values": vals,
                        }
                    )
    if "results (all runs)" in tables:
        plots.extend(_result_lines(d))
    return plots


def _sensitivity_plots(t) -> list[dict]:
    rows = t.to_pylist()
    cols = t.column_names
    pcol = next((c for c in ("parameter", "param", "name", "names", "factor") if c in cols), None)
    ocol = next((c for c in ("output", "metric", "outcome") if c in cols), None)
    idx = [c for c in ("S1", "ST", "mu_star", "sigma", "delta", "S2") if c in cols]
    if pcol is None or not idx:
        return []
    outputs = sorted({r.get(ocol) for r in rows}) if ocol else [None]
    plots = []
    for out in outputs[:12]:
        bars = []
        sub = [r for r in rows if ocol is None or r.get(ocol) == out]
        for r in sub:
            for g, c in enumerate(idx):
                v = _num(r.get(c))
                if v is None:
                    continue
                err = _num(r.get(f"{c}_conf"))
                bars.append(
                    {
                        "label": f"{r.get(pcol)}" if g == 0 else "",
                        "value": v,
                        "err": err,
                        "group": g,
                    }
                )
        if bars:
            plots.append(
                {
                    "type": "bars",
                    "title": "sensitivity indices" + (f": {out}" if out else ""),
                    "bars": bars,
                    "legend": idx,
                    "groups": len(idx),
                }
            )
    return plots


def _result_lines(d: Path) -> list[dict]:
    """Mean over replicates of the national 'active' series (or the first metric) per point."""
    import duckdb

    files = _own(d, "results/*/*.parquet")
    if not files:
        return []
    # the explicit list of the folder's own files (a glob would follow symlinks)
    listing = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"
    con = duckdb.connect()
    try:
        metrics = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT metric FROM read_parquet({listing}, union_by_name=true) ORDER BY 1"
            ).fetchall()
        ]
        if not metrics:
            return []
        metric = "active" if "active" in metrics else metrics[0]
        rows = con.execute(
            f"SELECT point_id, step, avg(value) FROM read_parquet({listing}, union_by_name=true) "
            "WHERE metric = ? AND region = 'ALL' AND point_id IN (SELECT DISTINCT point_id FROM "
            f"read_parquet({listing}, union_by_name=true) ORDER BY point_id LIMIT 8) "
            "GROUP BY point_id, step ORDER BY point_id, step",
            [metric],
        ).fetchall()
    finally:
        con.close()
    series: dict[int, list] = {}
    for pid, step, v in rows:
        series.setdefault(int(pid), []).append([int(step), _num(v)])
    return [
        {
            "type": "line",
            "title": f"{metric} (national), mean over replicates, first points",
            "series": [{"label": f"point {pid}", "points": pts} for pid, pts in series.items()],
        }
    ]


def experiment_detail(root, exp_id: str) -> dict:
    d = _resolve(root, exp_id)
    spec = _spec(d)
    manifest = {}
    if (d / "manifest.json").exists():
        try:
            manifest = json.loads((d / "manifest.json").read_text())
        except ValueError:
            manifest = {}
    summary = {}
    for k in (
        "scenario",
        "scenario_hash",
        "model",
        "n_points",
        "replicates",
        "steps",
        "version",
        "generations",
        "simulations",
        "population",
    ):
        if spec.get(k) is not None:
            summary[k] = spec[k]
    design = spec.get("design")
    if isinstance(design, dict):
        summary["design"] = design.get("kind")
        axes = design.get("axes") or []
        if axes:
            summary["parameters"] = ", ".join(
                str(a.get("name", a)) if isinstance(a, dict) else str(a) for a in axes
            )
    for k in ("runs_ok", "runs_failed", "n_runs", "wall_s"):
        if k in manifest:
            summary[k] = manifest[k]
    tables = _tables(d)
    files = []
    for name, ref in tables.items():
        rows = None
        try:
            if isinstance(ref, Path) and ref.suffix == ".parquet":
                import pyarrow.parquet as pq

                rows = pq.ParquetFile(ref).metadata.num_rows
        except Exception:
            rows = None
        files.append({"name": name, "rows": rows, "formats": ["parquet", "csv"]})
    return {"id": exp_id, "summary": summary, "files": files, "plots": _plots(d, spec, tables)}


def download(root, exp_id: str, name: str, fmt: str):
    """(bytes, media type, file name) of one table as Parquet or CSV."""
    d = _resolve(root, exp_id)
    tables = _tables(d)
    if name not in tables:
        from tolqyn.core.errors import UnknownParamError

        raise UnknownParamError(name, tables, source=exp_id, what="table")
    if fmt not in ("parquet", "csv"):
        raise TolqynError(f"format {fmt!r} is not offered; choose parquet or csv")
    ref = tables[name]
    stem = Path(name).stem if isinstance(ref, Path) else ref
    if isinstance(ref, Path) and ref.suffix == "." + fmt:
        return ref.read_bytes(), _media(fmt), ref.name
    table = _read(d, ref)
    buf = io.BytesIO()
    if fmt == "csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, buf)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, buf)
    return buf.getvalue(), _media(fmt), f"{stem}.{fmt}"


def _media(fmt: str) -> str:
    return "text/csv" if fmt == "csv" else "application/vnd.apache.parquet"
