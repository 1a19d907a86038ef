"""tolqyn — agent-based simulation of exit, voice and loyalty.

The core import is light: NumPy and Numba only. The names below load on first use, so that
`import tolqyn.core` does not pull in the scenario loader or any model; plotting, the web
server, Dask and calibration libraries are imported lazily by the outer layers."""

from __future__ import annotations

import importlib

from tolqyn.core.registry import package_version

__version__ = package_version()

_LAZY = {
    "TolqynError": "tolqyn.core.errors",
    "ScenarioError": "tolqyn.core.errors",
    "UnknownParamError": "tolqyn.core.errors",
    "load_scenario": "tolqyn.scenarios.loader",
    "Scenario": "tolqyn.scenarios.loader",
    "Sim": "tolqyn.core.sim",
    "run_one": "tolqyn.api",
    "ensemble": "tolqyn.api",
    "Ensemble": "tolqyn.api",
    "RunResult": "tolqyn.core.sim",
}


def _plot(self, metrics=None, regions=None, ax=None, events=True):
    """National series with the event timeline as shaded bands; `regions` (codes or names)
    adds regional lines. Returns the matplotlib Axes (drawn by tolqyn.api.plot_run)."""
    from tolqyn.api import plot_run

    return plot_run(self, metrics, regions, ax, events)


def _attach_plot() -> None:
    # plotting is an outer layer: the core's result type gets its `plot` from here, so that
    # core/ never imports matplotlib or anything above it
    from tolqyn.core.results import RunResult

    RunResult.plot = _plot


_attach_plot()

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tolqyn' has no attribute {name!r}")
