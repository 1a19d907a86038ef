"""Structure-of-arrays population: one preallocated NumPy array per attribute.

Modules declare their columns with `State`; the population owns the arrays. There is never
one Python object per agent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class State:
    name: str
    dtype: Any
    fill: Any = 0
    doc: str = ""


class Population:
    def __init__(self, n: int):
        if n < 0:
            raise ValueError("population size must be >= 0")
        self.n = int(n)
        self._cols: dict[str, np.ndarray] = {}
        self._docs: dict[str, str] = {}

    def add(self, state: State) -> np.ndarray:
        if state.name in self._cols:
            existing = self._cols[state.name]
            if existing.dtype != np.dtype(state.dtype):
                raise ValueError(f"state '{state.name}' declared twice with different dtypes")
            return existing
        arr = np.full(self.n, state.fill, dtype=state.dtype)
        self._cols[state.name] = arr
        self._docs[state.name] = state.doc
        return arr

    def attach(self, name: str, array: np.ndarray, doc: str = "") -> np.ndarray:
        """Adopt an array built elsewhere (population synthesis) without copying it."""
        if array.shape != (self.n,):
            raise ValueError(f"column '{name}' has shape {array.shape}, expected ({self.n},)")
        self._cols[name] = array
        self._docs[name] = doc
        return array

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name]
        raise AttributeError(f"population has no column '{name}'")

    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        arr = self._cols[name]
        arr[...] = value

    def __contains__(self, name: str) -> bool:
        return name in self._cols

    @property
    def columns(self) -> dict[str, np.ndarray]:
        return dict(self._cols)

    def memory_table(self) -> list[tuple[str, str, int, str]]:
        """(column, dtype, bytes per agent, doc) — the memory budget, column by column."""
        return [
            (n, str(a.dtype), a.dtype.itemsize, self._docs.get(n, ""))
            for n, a in self._cols.items()
        ]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._cols.values())
