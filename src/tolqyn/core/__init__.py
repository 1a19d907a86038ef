"""The simulation core: sim loop, modules, population arrays, parameters, random streams,
clock, results and timeline. Nothing here imports the outer layers (CLI, web, reports)."""
