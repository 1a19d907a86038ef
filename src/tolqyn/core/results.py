"""Results are preallocated arrays (step × group) filled during the run, exported at the end
as a tidy long table: step, region, metric, value (+ date when the scenario has a calendar).

Count metrics are multiplied by the population scale (one agent per k citizens) once, at export."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Result:
    name: str
    doc: str
    kind: str = "count"  # count (scaled by k at export) | value (not scaled)
    by_region: bool = False  # one column per region in addition to ALL


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
