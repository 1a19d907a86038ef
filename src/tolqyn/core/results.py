"""Results are preallocated arrays (step × group) filled during the run, exported at the end
as a tidy long table: step, region, metric, value (+ date when the scenario has a calendar).

Count metrics are multiplied by the population scale (one agent per k citizens) once, at export.

Each metric declares what it measures, so that resampling is right in one place
(`RunResult.resample`):

- a *stock* is a level at the end of a step (active persons, legitimacy); over a longer
  period it aggregates by its `last` value (counts) or its `mean` (shares, indices);
- a *flow* is what happened during a step (arrests, emigrants); it aggregates by `sum`.

A metric that is one cell of a breakdown other than region (emigrants by destination or by
ethnic group, identity by media diet) names its `base` metric and its `dims`, e.g.
`Result("emigrants_to_russia", ..., base="emigrants", dims=(("destination", "russia"),))`:
the tidy table then carries a `destination` column, so that nobody parses metric names."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

MEASURES = ("stock", "flow")
COLUMNS = ("step", "region", "metric", "value", "date")  # the tidy columns of one run
# schema metadata of a stored run's table: the metric declarations and the run's manifest
META_RESULTS = b"tolqyn.results"
META_MANIFEST = b"tolqyn.manifest"
AGGREGATES = ("sum", "mean", "last", "max")


@dataclass(frozen=True)
class Result:
    name: str
    doc: str
    kind: str = "count"  # count (scaled by k at export) | value (not scaled)
    by_region: bool = False  # one column per region in addition to ALL
    measure: str = "stock"  # stock (a level at the end of a step) | flow (during the step)
    agg: str = ""  # how it aggregates over time; "" = sum (flow), last (count), mean (value)
    base: str = ""  # the metric this one is a cell of ("" = itself)
    dims: tuple = ()  # ((dimension, key), ...) of that cell, e.g. (("destination", "russia"),)

    def __post_init__(self):
        if self.measure not in MEASURES:
            raise ValueError(f"result '{self.name}': measure must be one of {MEASURES}")
        if self.agg and self.agg not in AGGREGATES:
            raise ValueError(f"result '{self.name}': agg must be one of {AGGREGATES}")
        object.__setattr__(self, "dims", tuple(tuple(d) for d in self.dims))

    @property
    def aggregate(self) -> str:
        """How values of consecutive steps combine into one value of a longer period."""
        if self.agg:
            return self.agg
        if self.measure == "flow":
            return "sum"
        return "last" if self.kind == "count" else "mean"

    @property
    def base_name(self) -> str:
        return self.base or self.name

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "doc": self.doc,
            "kind": self.kind,
            "by_region": self.by_region,
            "measure": self.measure,
            "agg": self.agg,
            "base": self.base,
            "dims": [list(d) for d in self.dims],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Result":
        keys = ("name", "doc", "kind", "by_region", "measure", "agg", "base", "dims")
        return cls(**{k: d[k] for k in keys if k in d})


class Results:
    def __init__(self, n_steps: int, regions: list[str] | None = None):
        self.n_rows = int(n_steps) + 1
        self.regions = list(regions or [])
        self.specs: dict[str, Result] = {}
        self.arrays: dict[str, np.ndarray] = {}

    def define(self, spec: Result) -> np.ndarray:
        if spec.name in self.specs:
            if self.specs[spec.name] != spec:
                raise ValueError(f"result '{spec.name}' declared twice differently")
            return self.arrays[spec.name]
        width = 1 + (len(self.regions) if spec.by_region else 0)
        arr = np.full((self.n_rows, width), np.nan, dtype=np.float64)
        self.specs[spec.name] = spec
        self.arrays[spec.name] = arr
        return arr

    def record(self, name: str, step: int, total: float, by_region=None) -> None:
        arr = self.arrays[name]
        arr[step, 0] = total
        if by_region is not None:
            arr[step, 1:] = by_region

    def series(self, name: str, region: str = "ALL") -> np.ndarray:
        arr = self.arrays[name]
        col = 0 if region == "ALL" else 1 + self.regions.index(region)
        return arr[:, col]

    def __contains__(self, name: str) -> bool:
        return name in self.arrays

    def truncate(self, n_rows: int) -> None:
        self.n_rows = n_rows
        for k in self.arrays:
            self.arrays[k] = self.arrays[k][:n_rows]

    def to_columns(
        self, scale: float = 1.0, dates: list[str] | None = None
    ) -> dict[str, np.ndarray]:
        """Tidy long columns: step, region, metric, value (, date)."""
        steps, regions, metrics, values, date_col = [], [], [], [], []
        step_idx = np.arange(self.n_rows, dtype=np.int64)
        for name, arr in self.arrays.items():
            spec = self.specs[name]
            factor = scale if spec.kind == "count" else 1.0
            labels = ["ALL"] + (self.regions if spec.by_region else [])
            for j, label in enumerate(labels):
                col = arr[:, j]
                keep = ~np.isnan(col)
                n = int(keep.sum())
                steps.append(step_idx[keep])
                regions.append(np.full(n, label, dtype=object))
                metrics.append(np.full(n, name, dtype=object))
                values.append(col[keep] * factor)
                if dates is not None:
                    date_col.append(np.asarray(dates, dtype=object)[keep])
        out = {
            "step": np.concatenate(steps) if steps else np.zeros(0, np.int64),
            "region": np.concatenate(regions) if regions else np.zeros(0, object),
            "metric": np.concatenate(metrics) if metrics else np.zeros(0, object),
            "value": np.concatenate(values) if values else np.zeros(0, np.float64),
        }
        if dates is not None:
            out["date"] = np.concatenate(date_col) if date_col else np.zeros(0, object)
        return out


class RunResult:
    """What a run returns and what a run directory rebuilds (`RunResult.from_dir`): the tidy
    result columns, the manifest, and the declaration of every metric. Small and picklable.

    `series(metric, region)` is one value per result row (row s = state at the end of step s;
    row 0 = the initial state), NaN where the metric was not recorded."""

    def __init__(self, columns: dict, manifest: dict, specs: dict | None = None):
        self.columns = columns
        self.manifest = manifest
        if specs is None:
            specs = {d["name"]: Result.from_dict(d) for d in manifest.get("results", [])}
        self.specs: dict[str, Result] = dict(specs)
        for name in self.metrics:  # a run directory written before metrics were declared
            self.specs.setdefault(name, Result(name, ""))
        self._index: dict | None = None
        self._cache: dict = {}

    def __repr__(self) -> str:
        m = self.manifest
        return (
            f"RunResult({m.get('scenario')!r}, seed={m.get('seed')}, steps={m.get('steps')}, "
            f"{len(self.metrics)} metrics)"
        )

    def __eq__(self, other) -> bool:
        if not isinstance(other, RunResult):
            return NotImplemented
        a, b = self.columns, other.columns
        return (
            self.manifest == other.manifest
            and a.keys() == b.keys()
            and all(np.array_equal(a[k], b[k]) for k in a)
        )

    def __getstate__(self):
        return {"columns": self.columns, "manifest": self.manifest, "specs": self.specs}

    def __setstate__(self, state):
        self.__init__(state["columns"], state["manifest"], state["specs"])

    # ------------------------------------------------------------ building
    @classmethod
    def from_dir(cls, run_dir) -> "RunResult":
        """Rebuild the result of a run directory (results.parquet + manifest.json)."""
        from tolqyn.core.store import read_run_dir

        table, manifest = read_run_dir(run_dir)
        out = cls.from_arrow(table, manifest)
        out.dir = run_dir
        return out

    @classmethod
    def from_arrow(cls, table, manifest: dict | None = None) -> "RunResult":
        """The one reader of stored results: a run directory's results.parquet or one run of
        an experiment store (its key columns run_id, point_id, ... are ignored). The metric
        declarations (stock/flow, aggregation, breakdown cells) and the manifest come from
        the schema metadata that `to_arrow` writes; `manifest` overrides the stored one (a
        run directory's manifest.json) or stands in for files written without it."""
        meta = table.schema.metadata or {}
        if manifest is None:
            raw = meta.get(META_MANIFEST)
            manifest = json.loads(raw) if raw is not None else {}
        specs = None
        raw = meta.get(META_RESULTS)
        if raw is not None:
            specs = {d["name"]: Result.from_dict(d) for d in json.loads(raw)}
        names = set(table.column_names)
        cols = table.select([c for c in COLUMNS if c in names]).to_pydict()
        columns = {
            "step": np.asarray(cols["step"], dtype=np.int64),
            "region": np.asarray(cols["region"], dtype=object),
            "metric": np.asarray(cols["metric"], dtype=object),
            "value": np.asarray(cols["value"], dtype=np.float64),
        }
        if "date" in cols:
            columns["date"] = np.asarray(cols["date"], dtype=object)
        return cls(columns, manifest, specs)

    # ------------------------------------------------------------ shape
    @property
    def metrics(self) -> list[str]:
        return sorted(set(self.columns["metric"].tolist()))

    @property
    def regions(self) -> list[str]:
        """The run's regions (without ALL); empty for models without regions."""
        return [r for r in self.manifest.get("regions", []) if r != "ALL"]

    @property
    def n_rows(self) -> int:
        s = self.columns["step"]
        return int(s.max()) + 1 if s.size else 0

    @property
    def steps(self) -> np.ndarray:
        return np.arange(self.n_rows)

    def has(self, metric: str) -> bool:
        return metric in self.specs and metric in self._idx()

    def spec(self, metric: str) -> Result:
        if metric not in self.specs:
            self._unknown(metric)
        return self.specs[metric]

    def dates(self) -> list[str] | None:
        """The date of each result row (start of the step's interval), or None."""
        if "date" not in self.columns:
            return None
        out = [""] * self.n_rows
        for s, d in zip(self.columns["step"], self.columns["date"]):
            out[s] = d
        return out

    def _idx(self) -> dict:
        if self._index is None:
            c = self.columns
            order = np.lexsort((c["step"], c["region"].astype(str), c["metric"].astype(str)))
            keys = list(zip(c["metric"][order].tolist(), c["region"][order].tolist()))
            idx: dict = {}
            start = 0
            for i in range(1, len(keys) + 1):
                if i == len(keys) or keys[i] != keys[start]:
                    m, r = keys[start]
                    idx.setdefault(m, {})[r] = order[start:i]
                    start = i
            self._index = idx
        return self._index

    def _unknown(self, metric):
        from tolqyn.core.errors import UnknownParamError

        raise UnknownParamError(metric, self.metrics, what="metric")

    def _resolve(self, metric: str, dims: dict) -> str:
        """The recorded metric that is the cell `dims` of `metric` (or `metric` itself)."""
        if not dims:
            return metric
        want = tuple(sorted((k, str(v)) for k, v in dims.items()))
        for name, spec in self.specs.items():
            if spec.base_name == metric and tuple(sorted(spec.dims)) == want:
                return name
        cells = sorted(
            ", ".join(f"{k}={v}" for k, v in s.dims)
            for s in self.specs.values()
            if s.base == metric
        )
        from tolqyn.core.errors import TolqynError

        raise TolqynError(
            f"metric '{metric}' has no cell {dict(want)}"
            + (f"; cells: {'; '.join(cells)}" if cells else " (it has no breakdown)")
        )

    # ------------------------------------------------------------ reading
    def series(self, metric: str, region: str = "ALL", **dims) -> np.ndarray:
        """One value per result row; `dims` pick a cell of a breakdown, e.g.
        `series("emigrants", destination="russia")`."""
        name = self._resolve(metric, dims)
        key = (name, region)
        if key not in self._cache:
            idx = self._idx()
            if name not in idx:
                self._unknown(name)
            out = np.full(self.n_rows, np.nan)
            rows = idx[name].get(region)
            if rows is None:
                from tolqyn.core.errors import TolqynError

                regs = sorted(idx[name])
                raise TolqynError(
                    f"metric '{name}' has no series for region '{region}' (it has: "
                    f"{', '.join(regs[:6])}{' ...' if len(regs) > 6 else ''})"
                )
            out[self.columns["step"][rows]] = self.columns["value"][rows]
            out.setflags(write=False)
            self._cache[key] = out
        return self._cache[key]

    def by_region(self, metric: str, **dims) -> np.ndarray | None:
        """(n_rows, n_regions) in the order of `regions`, or None without regional rows."""
        name = self._resolve(metric, dims)
        regs = self._idx().get(name, {})
        if not self.regions or not any(r in regs for r in self.regions):
            return None
        out = np.full((self.n_rows, len(self.regions)), np.nan)
        for j, r in enumerate(self.regions):
            if r in regs:
                out[:, j] = self.series(name, r)
        return out

    def resample(self, metric: str, freq: str, region: str = "ALL", **dims):
        """The metric over longer periods, aggregated as its declaration says (flows summed,
        count stocks at their last value, other stocks averaged). `freq` is "W" (ISO weeks),
        "M" (months) or "Y" (years) of the calendar. Rows are assigned by the date their
        step starts; row 0 (the initial state) is left out. Returns a pandas Series indexed
        by period label ("2019", "2019-03", "2019-W07")."""
        import pandas as pd

        dates = self.dates()
        if dates is None:
            from tolqyn.core.errors import TolqynError

            raise TolqynError("resampling by calendar needs a scenario with start_date")
        name = self._resolve(metric, dims)
        how = self.spec(name).aggregate
        y = self.series(name, region)[1:]
        d = pd.to_datetime(pd.Series(dates[1:]))
        if freq == "Y":
            label = d.dt.strftime("%Y")
        elif freq == "M":
            label = d.dt.strftime("%Y-%m")
        elif freq == "W":
            iso = d.dt.isocalendar()
            label = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
        else:
            from tolqyn.core.errors import TolqynError

            raise TolqynError(f"freq must be 'W', 'M' or 'Y', not {freq!r}")
        s = pd.Series(y, index=label.to_numpy())
        s = s[np.isfinite(s.to_numpy())]
        g = s.groupby(level=0, sort=True)
        out = {"sum": g.sum, "mean": g.mean, "last": g.last, "max": g.max}[how]()
        out.name = name
        return out

    def to_df(self, wide: bool = False):
        """The results as a pandas DataFrame.

        Tidy (default): one row per step × region × metric, columns step, (date,) region,
        metric, one column per breakdown dimension (destination, group, diet, ...; empty
        where the metric is not a cell of that breakdown), value, and the metric's declared
        measure (stock/flow). The metric column holds the base name: emigrants to Russia is
        metric "emigrants" with destination "russia".

        wide=True: one row per step (and date), one column per recorded metric name, for
        region ALL; regional series are columns (metric, region) when `wide="regions"`."""
        import pandas as pd

        c = self.columns
        name = c["metric"]
        if wide:
            df = pd.DataFrame({k: c[k] for k in ("step", "region", "metric", "value")})
            if wide != "regions":
                df = df[df["region"] == "ALL"]
                out = df.pivot(index="step", columns="metric", values="value")
            else:
                out = df.pivot(index="step", columns=["metric", "region"], values="value")
            out = out.reindex(range(self.n_rows))
            out.columns.name = None
            dates = self.dates()
            if dates is not None:
                out.insert(0, ("date", "") if wide == "regions" else "date", dates)
            return out
        base = np.array([self.specs[m].base_name for m in name.tolist()], dtype=object)
        data = {"step": c["step"]}
        if "date" in c:
            data["date"] = c["date"]
        data["region"] = c["region"]
        data["metric"] = base
        dim_names = sorted({d for s in self.specs.values() for d, _ in s.dims})
        for dim in dim_names:
            cell = {m: dict(s.dims).get(dim) for m, s in self.specs.items()}
            data[dim] = np.array([cell.get(m) for m in name.tolist()], dtype=object)
        data["value"] = c["value"]
        data["measure"] = np.array([self.specs[m].measure for m in name.tolist()], dtype=object)
        return pd.DataFrame(data)

    # ------------------------------------------------------------ writing
    def to_arrow(self):
        import pyarrow as pa

        cols = self.columns
        arrays = {
            "step": pa.array(cols["step"], type=pa.int64()),
            "region": pa.array(cols["region"].tolist(), type=pa.string()),
            "metric": pa.array(cols["metric"].tolist(), type=pa.string()),
            "value": pa.array(cols["value"], type=pa.float64()),
        }
        if "date" in cols:
            arrays["date"] = pa.array(cols["date"].tolist(), type=pa.string())
        table = pa.table(arrays)
        m = self.manifest
        meta = {
            b"tolqyn.scenario": str(m.get("scenario")).encode(),
            b"tolqyn.scenario_hash": str(m.get("scenario_hash")).encode(),
            b"tolqyn.seed": str(m.get("seed")).encode(),
            b"tolqyn.version": str(m.get("version")).encode(),
            # what `from_arrow` needs to rebuild the run from this table alone
            META_RESULTS: json.dumps([s.to_dict() for s in self.specs.values()]).encode(),
            META_MANIFEST: json.dumps(m, default=str).encode(),
        }
        return table.replace_schema_metadata(meta)

    def write(self, out_dir) -> None:
        """Write results.parquet and manifest.json atomically: into a temporary sibling
        directory first, then renamed, so an interrupted write leaves nothing half-done."""
        from tolqyn.core.store import write_run_dir

        write_run_dir(self, out_dir)
