"""Sweeps: a design × replicates, run by an executor, written to a resumable store.

`sweep(...)` is what `tolqyn sweep` calls. Running it again with the same arguments on the same
directory runs only what is missing (and retries runs that failed).
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import dataclass, field

from tolqyn.core.errors import TolqynError
from tolqyn.experiments.designs import Design, axes_for, build_design, replicate_seeds
from tolqyn.experiments.executors import Executor, Task, make_executor
from tolqyn.experiments.store import ExperimentStore, run_id


@dataclass
class SweepReport:
    out: str
    total: int
    done_before: int
    ran: int = 0
    failed: int = 0
    interrupted: bool = False
    wall_s: float = 0.0
    executor: str = ""
    errors: list = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return (
            not self.interrupted
            and self.done_before + self.ran - self.failed >= self.total
            and self.failed == 0
        )

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.ran / self.wall_s if self.wall_s > 0 else float("nan")


def plan_experiment(
    scenario,
    *,
    design: str = "grid",
    samples: int = 3,
    replicates: int = 1,
    params: list[str] | None = None,
    steps: int | None = None,
    seed: int | None = None,
    design_obj: Design | None = None,
    point_seeds: list[int] | None = None,
):
    """(spec, design, per-point scenarios, seeds) without running anything. `point_seeds`
    gives each design point its own seed (one run per point) instead of the same replicate
    seeds at every point: posterior draws, each paired across scenarios by its seed."""
    from tolqyn.models import MODELS, all_param_specs, get_model

    specs = all_param_specs(get_model(scenario.model))
    if design_obj is None:
        if design == "ensemble" and params:
            raise TolqynError(
                "--design ensemble varies no parameter; drop --param or pick a design"
            )
        if design != "ensemble" and not params:
            # every declared parameter over its validity bounds is never what anyone meant
            raise TolqynError(
                "name what the design varies: params=['NAME=LOW:HIGH', ...] (or 'NAME' for its "
                "declared sweep range); nothing is swept unless named"
            )
        axes = [] if design == "ensemble" else axes_for(specs, params)
        design_obj = build_design(design, axes, samples, seed=0 if seed is None else seed)
    base_seed = scenario.seed if seed is None else int(seed)
    seeds = replicate_seeds(base_seed, replicates)
    if point_seeds is not None:
        if int(replicates) != 1:
            raise TolqynError("point_seeds gives one run per design point: replicates must be 1")
        if len(point_seeds) != len(design_obj.points):
            raise TolqynError(
                f"point_seeds has {len(point_seeds)} seeds for {len(design_obj.points)} points"
            )
    point_scenarios = [
        scenario.with_params(pt, source=f"design point {i}")
        for i, pt in enumerate(design_obj.points)
    ]
    spec = {
        "format": "tolqyn-experiment/1",
        "scenario": scenario.name,
        "scenario_hash": scenario.hash,
        "scenario_source": scenario.source,
        "model": scenario.model,
        "model_ref": MODELS.get(scenario.model, ""),
        "fixed_params": {k: _plain(v) for k, v in scenario.params.items()},
        "steps": scenario.steps if steps is None else int(steps),
        "base_seed": base_seed,
        "replicates": int(replicates),
        "seeds": seeds,
        "design": design_obj.to_dict(),
        "n_points": len(design_obj.points),
        "n_runs": len(design_obj.points) * int(replicates),
        "point_hashes": [s.hash for s in point_scenarios],
        "point_seeds": None if point_seeds is None else [int(x) for x in point_seeds],
        "version": _version(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if design_obj.raw is not None:
        spec["design"]["raw"] = design_obj.raw.tolist()
    fp_src = {k: spec[k] for k in ("scenario_hash", "model", "steps", "seeds", "point_hashes")}
    if point_seeds is not None:
        fp_src["point_seeds"] = spec["point_seeds"]
    fp_src["design"] = {k: v for k, v in spec["design"].items()}
    spec["fingerprint"] = hashlib.sha256(
        json.dumps(fp_src, sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    return spec, design_obj, point_scenarios, seeds


def points_table(design: Design):
    import pyarrow as pa

    cols = {"point_id": pa.array(range(len(design.points)), type=pa.int32())}
    for a in design.axes:
        vals = [p[a.name] for p in design.points]
        if a.kind == "int":
            cols[a.name] = pa.array(vals, type=pa.int64())
        elif a.kind == "float":
            cols[a.name] = pa.array(vals, type=pa.float64())
        else:
            cols[a.name] = pa.array([str(v) if a.kind == "choice" else bool(v) for v in vals])
    return pa.table(cols)


def sweep(
    scenario,
    out,
    *,
    design: str = "grid",
    samples: int = 3,
    replicates: int = 1,
    params: list[str] | None = None,
    steps: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
    executor_kind: str = "process",
    progress: bool = True,
    on_outcome=None,
    design_obj: Design | None = None,
    console=None,
    point_seeds: list[int] | None = None,
) -> SweepReport:
    """Run (or finish) an experiment. `scenario` is a Scenario (with any --set applied).

    `on_outcome(record)` is called after each run is stored (used by progress displays and
    tests). KeyboardInterrupt stops the sweep, leaves a resumable store and re-raises."""
    from tolqyn.models import MODELS

    spec, design_obj, point_scenarios, seeds = plan_experiment(
        scenario,
        design=design,
        samples=samples,
        replicates=replicates,
        params=params,
        steps=steps,
        seed=seed,
        design_obj=design_obj,
        point_seeds=point_seeds,
    )
    store = ExperimentStore(out)
    if store.create_or_check(spec, points_table(design_obj)) == "resume":
        store.verify()  # damaged files are quarantined; their runs are redone below
    done = store.finished()
    model_refs = ((scenario.model, MODELS[scenario.model]),) if scenario.model in MODELS else ()
    index = {}
    tasks = []
    for pid, sc in enumerate(point_scenarios):
        for rep, s in enumerate(seeds if point_seeds is None else [spec["point_seeds"][pid]]):
            rid = run_id(pid, rep)
            index[rid] = (pid, rep, s)
            if rid not in done:
                tasks.append(Task(rid, sc, s, spec["steps"], model_refs))
    report = SweepReport(out=str(out), total=spec["n_runs"], done_before=len(done))
    own_executor = executor is None
    t0 = time.perf_counter()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if not tasks:
        _write_manifest(store, spec, report, started, "none")
        return report
    if own_executor:
        executor = make_executor(executor_kind, workers, dask_address)
    report.executor = executor.describe()
    prog = None
    try:
        if progress:
            prog, task_id = _progress(console, spec, len(done), report.executor)
        for outcome in executor.run(tasks):
            pid, rep, s = index[outcome.key]
            rec = store.write_outcome(outcome, pid, rep, s)
            report.ran += 1
            if not outcome.ok:
                report.failed += 1
                report.errors.append((outcome.key, outcome.error))
            if prog is not None:
                prog.update(
                    task_id,
                    advance=1,
                    failed=report.failed,
                    rate=60.0 * report.ran / max(1e-9, time.perf_counter() - t0),
                )
            if on_outcome is not None:
                on_outcome(rec)
    except KeyboardInterrupt:
        report.interrupted = True
        raise
    finally:
        if prog is not None:
            prog.stop()
        if own_executor and executor is not None:
            executor.close()
        report.wall_s = time.perf_counter() - t0
        _write_manifest(store, spec, report, started, report.executor)
    return report


def _progress(console, spec, done_before, executor_desc):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    prog = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.1f} runs/min"),
        TextColumn("[red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    prog.start()
    task_id = prog.add_task(
        f"{spec['scenario']} on {executor_desc}",
        total=spec["n_runs"],
        completed=done_before,
        failed=0,
        rate=0.0,
    )
    return prog, task_id


def _write_manifest(
    store: ExperimentStore, spec: dict, report: SweepReport, started: str, executor_desc: str
) -> None:
    recs = store.records()
    ok = [r for r in recs.values() if r.get("status") == "ok"]
    failed = [r for r in recs.values() if r.get("status") != "ok"]
    old = store.manifest()
    sessions = list(old.get("sessions", []))
    sessions.append(
        {
            "started": started,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "executor": executor_desc,
            "runs": report.ran,
            "failed": report.failed,
            "wall_s": round(report.wall_s, 3),
            "interrupted": report.interrupted,
            "host": platform.node(),
        }
    )
    run_s = sum(r.get("elapsed_s") or 0.0 for r in ok)
    manifest = {
        "scenario": spec["scenario"],
        "scenario_hash": spec["scenario_hash"],
        "model": spec["model"],
        "version": spec["version"],
        "base_seed": spec["base_seed"],
        "seeds": spec["seeds"],
        "steps": spec["steps"],
        "design": spec["design"]["kind"],
        "n_points": spec["n_points"],
        "n_runs": spec["n_runs"],
        "runs_ok": len(ok),
        "runs_failed": len(failed),
        "runs_missing": spec["n_runs"] - len(ok) - len(failed),
        "complete": len(ok) == spec["n_runs"],
        "timings": {
            "run_s_total": round(run_s, 3),
            "run_s_mean": round(run_s / len(ok), 4) if ok else None,
            "wall_s_total": round(sum(s["wall_s"] for s in sessions), 3),
        },
        "hosts": sorted({r.get("host", "") for r in recs.values()}),
        "parent_host": {
            "node": platform.node(),
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "sessions": sessions,
        "failures": [{"run_id": r["run_id"], "error": r.get("error")} for r in failed][:50],
    }
    store.write_manifest(manifest)
    try:
        store.write_catalog()
    except Exception:  # the catalog is a convenience; the files are the record
        pass


def _plain(v):
    if isinstance(v, tuple):
        return list(v)
    return v


def _version() -> str:
    from tolqyn import __version__

    return __version__


def load_for_sweep(scenario: str, sets: list[str] | None = None):
    from tolqyn.scenarios.loader import load_scenario, parse_set_options

    overrides = parse_set_options(sets)
    return load_scenario(scenario, overrides=overrides or None)
