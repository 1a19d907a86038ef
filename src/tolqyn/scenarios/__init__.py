"""Scenarios: TOML files (built-in under library/, or the user's own) loaded into frozen,
validated, hashable Scenario values."""
