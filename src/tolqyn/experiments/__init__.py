"""The experiments layer: ensembles, sweeps, sensitivity analysis, calibration and scenario
discovery around the pure `tolqyn.run_one`. Heavy libraries (Dask, SALib, pyABC, DuckDB,
scikit-learn) are imported inside the functions that need them, never here."""
