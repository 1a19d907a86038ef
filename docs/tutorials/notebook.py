# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Notebook: January 2022, replayed and changed
#
# This tutorial is a [jupytext](https://jupytext.readthedocs.io) percent script: open it as a
# notebook (`jupytext --to notebook docs/tutorials/notebook.py`) or run its cells in any
# editor that knows `# %%`. The test suite runs every cell (`tests/test_tutorials.py`), so what
# you read here works.
#
# We replay the January 2022 unrest in Kazakhstan at a coarse scale (one agent per 1,000
# citizens, about 20,000 agents: seconds per run; the README's figures are at one agent per
# 100), plot it, then ask what the internet shutdown did: an ensemble of the counterfactual
# without it against the replay, over the same seeds, and the paired difference with bands.
# At this scale counts move in steps of 1,000 persons, so read shapes and signs, not exact
# numbers.

# %%
import matplotlib

matplotlib.use("Agg")  # no window: figures are saved (in Jupyter, drop this line)
import matplotlib.pyplot as plt

import tolqyn

SCALE = 1000

# %% [markdown]
# ## One run
#
# `run_one` runs one scenario with one seed and returns a `RunResult`. `to_df()` gives the
# tidy table (step, date, region, metric, value, ...), `to_df(wide=True)` one column per
# national series.

# %%
replay = tolqyn.run_one("kazakhstan-2022", seed=1, overrides={"scale": SCALE})
print(replay)
national = replay.to_df(wide=True)
print(national[["date", "active", "detained_cumulative", "dead"]].head(8))
assert national["active"].max() > 0

# %% [markdown]
# `plot()` draws national series (by default the counts by status) with the scenario's
# events as shaded days, numbered and listed below the axes; `regions=` adds regional lines,
# by code or by name.

# %%
ax = replay.plot("active", regions=["Almaty", "KZ-47"])  # Almaty city and Mangystau
ax.figure.savefig("replay.png", dpi=100, bbox_inches="tight")
plt.close(ax.figure)

# %% [markdown]
# ## A counterfactual ensemble
#
# `ensemble(scenario, seeds=..., params=...)` runs one scenario over several seeds on the
# experiments layer's process pool (`executor="serial"` runs them in this process). Two
# ensembles over the same seeds share every random draw for the same agent and decision
# (common random numbers), so their difference, seed by seed, is the effect of the change.

# %%
seeds = range(4)
baseline = tolqyn.ensemble("kazakhstan-2022", seeds=seeds, params={"scale": SCALE}, workers=2)
no_shutdown = tolqyn.ensemble(
    "kazakhstan-2022/no-shutdown", seeds=seeds, params={"scale": SCALE}, workers=2
)
q = baseline.quantiles("active")
print(q[["date", 0.05, 0.5, 0.95]].head(10))

# %% [markdown]
# `plot()` draws the median over seeds with 50 % and 90 % bands; with `minus=` it draws the
# paired difference against another ensemble over the same seeds.

# %%
fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), layout="constrained", sharex=True)
baseline.plot("active", ax=top, events=False)  # one list of events for the figure
no_shutdown.plot("active", minus=baseline, ax=bottom)
fig.savefig("no-shutdown.png", dpi=100, bbox_inches="tight")
plt.close(fig)

diff = no_shutdown.quantiles("active", minus=baseline)
total = no_shutdown.values("active", minus=baseline).sum(axis=1)  # person-days, per seed
print("extra protester-days without the shutdown, per seed:", total)

# %% [markdown]
# ## Everything in one table
#
# `to_df()` of an ensemble stacks the runs with a `seed` column: ready for pandas, DuckDB or
# a plotting library of your choice.

# %%
df = no_shutdown.to_df()
print(df[df.metric == "active"].groupby("seed")["value"].max())
assert set(df.seed) == set(seeds)
