"""Running scenarios from Python: the functions a script or notebook calls.

    result = tolqyn.run_one("kazakhstan-2022", seed=1, overrides={"scale": 2000})
    result.to_df()                      # tidy table (RunResult, tolqyn.core.results)
    result.plot()                       # national series with the event timeline
    ens = tolqyn.ensemble("kazakhstan-2022/no-shutdown", seeds=10, params={"scale": 2000})
    ens.quantiles("active")             # 5/25/50/75/95 % over seeds, by step
    ens.plot("active", minus=baseline)  # paired difference against another ensemble

Ensembles run over the experiments layer's executors (a process pool by default, `executor=
"serial"` in this process, `"dask"`), with the same results on each."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tolqyn import figures
from tolqyn.core.results import RunResult
from tolqyn.core.sim import Sim

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
STATUSES = ("quiet", "active", "jailed", "emigrated", "dead")


def _scenario(scenario, overrides=None):
    from tolqyn.scenarios.loader import Scenario, load_scenario

    if not isinstance(scenario, Scenario):
        return load_scenario(scenario, overrides=overrides)
    return scenario.with_params(overrides) if overrides else scenario


def run_one(
    scenario,
    seed: int | None = None,
    *,
    steps: int | None = None,
    overrides: dict | None = None,
    validate: bool = False,
) -> RunResult:
    """Run one scenario with one seed. Pure: the same arguments give the same result, in
    any process, on any number of threads. `scenario` may be a Scenario, a built-in name or
    a path to a TOML file."""
    return Sim(_scenario(scenario, overrides), seed=seed, steps=steps, validate=validate).run()


# ---------------------------------------------------------------------------- plotting
def _x(result: RunResult):
    """The x axis: dates for calendar scenarios, steps otherwise."""
    return figures.x_of(result)


def _timeline(ax, result: RunResult, x, listing: bool = True) -> None:
    """The event timeline (tolqyn.figures): shaded steps, numbers above, the key below."""
    figures.timeline([ax], result, x, key=listing)


def _format_axes(ax, kind: str, x=None) -> None:
    figures.plain_numbers(ax)
    if kind == "date":
        figures.date_axis(ax, x)
    else:
        ax.set_xlabel("step")
    ax.grid(alpha=0.3)


def plot_run(
    result: RunResult,
    metrics: Iterable[str] | str | None = None,
    regions: Iterable[str] | None = None,
    ax=None,
    events: bool = True,
):
    """National series of a run with its event timeline (shaded bands, numbered, and listed
    below unless `events=False`); `regions` adds one line per region (ISO 3166-2 code or
    name). Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    if metrics is None:
        metrics = [m for m in STATUSES if result.has(m)] or result.metrics[:3]
    elif isinstance(metrics, str):
        metrics = [metrics]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    x, kind = _x(result)
    names = figures.region_names(result)
    for m in metrics:
        ax.plot(x, result.series(m), label=f"{m} (national)", lw=1.6)
        for r in regions or ():
            code = region_code(r)
            ax.plot(
                x,
                result.series(m, code),
                lw=1,
                ls="--",
                label=f"{m}, {figures.region_label(code, names)}",
            )
    _format_axes(ax, kind, x)
    _timeline(ax, result, x, listing=events)
    scale = result.manifest.get("scale")
    ax.set_ylabel("persons" if scale else "agents")
    title = result.manifest.get("scenario", "")
    if scale:
        title += f" (one agent per {scale:g} citizens, seed {result.manifest.get('seed')})"
    ax.set_title(title, fontsize=10)
    figures.legend_outside(ax)
    return ax


def region_names() -> dict[str, str]:
    """ISO 3166-2 code -> English name, from the packaged Kazakhstan pack."""
    return figures.region_names()


def region_code(region: str) -> str:
    """A region's code from its code or its name (case-insensitive); unknown names are
    refused with the nearest one."""
    names = region_names()
    if region in names or region == "ALL":
        return region
    by_name = {n.lower(): c for c, n in names.items()}
    if region.lower() in by_name:
        return by_name[region.lower()]
    from tolqyn.core.errors import UnknownParamError

    raise UnknownParamError(region, [*names, *names.values()], what="region")


# ---------------------------------------------------------------------------- ensembles
class Ensemble:
    """Runs of one scenario over several seeds. Two ensembles over the same seeds share their
    random draws (common random numbers), so `minus=` gives paired differences seed by seed."""

    def __init__(self, scenario, seeds: list[int], results: list[RunResult]):
        self.scenario = scenario
        self.seeds = list(seeds)
        self.results = list(results)

    def __repr__(self) -> str:
        return f"Ensemble({self.scenario.name!r}, {len(self.seeds)} seeds)"

    def __len__(self) -> int:
        return len(self.results)

    def values(self, metric: str = "active", region: str = "ALL", minus=None) -> np.ndarray:
        """seeds × rows array of one series; with `minus` (another Ensemble over the same
        seeds) the paired difference self − other."""
        region = region_code(region) if region != "ALL" else region
        rows = [r.series(metric, region) for r in self.results]
        n = max(len(v) for v in rows)
        # a run that stopped early (at a fixed point) keeps its last state
        a = np.vstack([np.concatenate([v, np.full(n - len(v), v[-1])]) for v in rows])
        if minus is None:
            return a
        if list(minus.seeds) != self.seeds:
            from tolqyn.core.errors import TolqynError

            raise TolqynError(
                f"paired difference needs the same seeds: {self.seeds} vs {list(minus.seeds)}"
            )
        b = minus.values(metric, region)
        n = min(a.shape[1], b.shape[1])
        return a[:, :n] - b[:, :n]

    def quantiles(self, metric: str = "active", region: str = "ALL", q=QUANTILES, minus=None):
        """A DataFrame indexed by step (with a date column for calendar scenarios): one column
        per quantile over seeds (0.05 … 0.95), and the mean."""
        import pandas as pd

        v = self.values(metric, region, minus)
        df = pd.DataFrame(np.quantile(v, q, axis=0).T, columns=list(q))
        df.insert(len(q), "mean", v.mean(axis=0))
        df.index.name = "step"
        dates = max((r.dates() or [] for r in self.results), key=len)
        if dates:
            df.insert(0, "date", dates[: len(df)])
        return df

    def to_df(self, wide: bool = False):
        """All runs in one table: each run's `to_df()` with a `seed` column first."""
        import pandas as pd

        frames = []
        for s, r in zip(self.seeds, self.results):
            d = r.to_df(wide=wide)
            if wide:
                d = d.reset_index()
            d.insert(0, "seed", s)
            frames.append(d)
        return pd.concat(frames, ignore_index=True)

    def plot(self, metric: str = "active", region: str = "ALL", minus=None, ax=None, events=True):
        """Median with 50 % and 90 % bands over seeds and the event timeline (listed below
        unless `events=False`); with `minus`, the paired difference against another ensemble
        over the same seeds. Returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4), layout="constrained")
        qs = self.quantiles(metric, region, minus=minus)
        first = max(self.results, key=lambda r: r.n_rows)
        x, kind = _x(first)
        x = x[: len(qs)]
        what = metric if region == "ALL" else f"{metric}, {region_names()[region_code(region)]}"
        if minus is not None:
            what += f": {self.scenario.name} − {minus.scenario.name}"
            ax.axhline(0, color="0.4", lw=0.8)
        ax.fill_between(x, qs[0.05], qs[0.95], alpha=0.18, color="tab:blue", lw=0, label="90 %")
        ax.fill_between(x, qs[0.25], qs[0.75], alpha=0.35, color="tab:blue", lw=0, label="50 %")
        ax.plot(x, qs[0.5], color="tab:blue", lw=1.8, label="median")
        _format_axes(ax, kind, x)
        _timeline(ax, first, x, listing=events)
        ax.set_title(f"{what} ({len(self)} seeds)", fontsize=10)
        figures.legend_outside(ax)
        return ax


def ensemble(
    scenario,
    seeds: int | Iterable[int] = 10,
    params: dict | None = None,
    *,
    steps: int | None = None,
    executor: str = "process",
    workers: int | None = None,
) -> Ensemble:
    """Run `scenario` (with `params` overriding its parameters) once per seed. `seeds` is a
    count (seeds 0 … n−1) or the seeds themselves. Runs go to the experiments layer's executor:
    `"process"` (a local pool, default), `"serial"` (this process) or `"dask"`."""
    from tolqyn.core.errors import TolqynError
    from tolqyn.experiments.executors import Task, make_executor

    sc = _scenario(scenario, params)
    seed_list = list(range(int(seeds))) if isinstance(seeds, (int, np.integer)) else list(seeds)
    if not seed_list:
        raise TolqynError("ensemble: needs at least one seed")
    tasks = [Task(key=str(s), scenario=sc, seed=int(s), steps=steps) for s in seed_list]
    by_key = {}
    with make_executor(executor, workers) as ex:
        for out in ex.run(tasks):
            if not out.ok:
                raise TolqynError(f"ensemble: seed {out.key} failed: {out.error}")
            by_key[out.key] = out.result
    return Ensemble(sc, seed_list, [by_key[str(s)] for s in seed_list])
