"""tolqyn — agent-based simulation of exit, voice and loyalty.

The core import is light: NumPy and Numba only. Plotting, the web server,
Dask and calibration libraries are imported lazily by the outer layers.
"""
__version__ = "0.1.0"

from tolqyn.core.errors import TolqynError, ScenarioError, UnknownParamError  # noqa: E402
from tolqyn.scenarios.loader import load_scenario, Scenario  # noqa: E402
from tolqyn.core.sim import Sim, run_one, RunResult  # noqa: E402

__all__ = [
    "__version__", "TolqynError", "ScenarioError", "UnknownParamError",
    "load_scenario", "Scenario", "Sim", "run_one", "RunResult",
]
