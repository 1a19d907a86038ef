"""Executors: one interface, three ways to run many `run_one` calls.

    serial   — in this process, one after the other (debugging, tests)
    process  — a local process pool (the default)
    dask     — a Dask cluster: an existing scheduler (`tcp://host:8786`) or a LocalCluster

Every executor takes `Task`s and yields `Outcome`s as they complete, in any order. The unit of
work is `execute(task)`, a module-level function of picklable values that wraps the pure
`tolqyn.run_one`; so a result does not depend on which executor computed it.

A worker that dies (killed, out of memory) loses only the runs it held: the process executor
restarts its pool and hands them out again; Dask reschedules them itself. A run that kills its
worker again and again is reported as failed, not retried forever.
"""

from __future__ import annotations

import os
import platform
import time
import traceback
from dataclasses import dataclass, field
from typing import Iterable, Iterator

# a run that takes down its worker this many times is recorded as failed
MAX_WORKER_DEATHS = 2


@dataclass(frozen=True)
class Task:
    """One run: a scenario (frozen, picklable), one seed, optional step count, a key."""

    key: str
    scenario: object
    seed: int
    steps: int | None = None
    # model registrations the worker needs (plugin models registered only in the parent)
    model_refs: tuple = ()


@dataclass
class Outcome:
    key: str
    ok: bool
    result: object = None  # RunResult when ok
    error: str = ""  # one-line error when not ok
    traceback: str = ""
    elapsed_s: float = 0.0
    host: str = ""
    pid: int = 0
    extra: dict = field(default_factory=dict)


def execute(task: Task) -> Outcome:
    """Run one task; never raises for a failing model (the error is part of the outcome)."""
    from tolqyn.api import run_one

    if task.model_refs:
        from tolqyn import models

        for name, ref in task.model_refs:
            models.MODELS.setdefault(name, ref)
    t0 = time.perf_counter()
    host, pid = platform.node(), os.getpid()
    try:
        res = run_one(task.scenario, task.seed, steps=task.steps)
    except Exception as e:  # a failing run is data: record it and let the sweep go on
        return Outcome(
            task.key,
            False,
            error=f"{type(e).__name__}: {e}",
            traceback=traceback.format_exc(limit=20),
            elapsed_s=time.perf_counter() - t0,
            host=host,
            pid=pid,
        )
    return Outcome(
        task.key, True, result=res, elapsed_s=time.perf_counter() - t0, host=host, pid=pid
    )


def _die_with_parent(poll_s: float = 0.5) -> None:
    """A worker whose parent is gone (killed with SIGKILL, say) exits instead of lingering:
    a daemon thread watches the parent pid. (PR_SET_PDEATHSIG would fire when the parent's
    *thread* that started the worker ends, which a pool does not guarantee.)"""
    import threading

    parent = os.getppid()

    def watch():
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(poll_s)

    threading.Thread(target=watch, name="tolqyn-parent-watch", daemon=True).start()


def _worker_init(threads: int | None) -> None:
    # Ctrl-C is the parent's business: it stops handing out work and leaves a resumable store.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if threads:
        try:
            import numba

            numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        except Exception:
            pass


class Executor:
    """Base interface. Use as a context manager; `run(tasks)` yields Outcomes as they finish."""

    name = "executor"
    workers = 1

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class SerialExecutor(Executor):
    name = "serial"

    def run(self, tasks):
        for t in tasks:
            yield execute(t)


def unguarded_main_script() -> str:
    """A process pool starts each worker by re-running the main script (the 'spawn' start
    method). A script that starts the pool at its top level, outside an
    `if __name__ == "__main__":` block, would start it again in every worker, and each worker
    dies at once. Say so, with the fix, instead of letting the runs fail as "killed". Empty
    when there is no such problem (a notebook, an interactive session, a guarded script)."""
    import ast
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not os.path.exists(path):
        return ""  # notebooks and the interactive prompt have no script to re-run
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return ""
    guarded = []
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            guarded.append((node.lineno, node.end_lineno))
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == path and frame.f_code.co_name == "<module>":
            line = frame.f_lineno
            if any(lo <= line <= hi for lo, hi in guarded):
                return ""
            return (
                f"{path}, line {line}: a process pool re-runs this script in each worker, so "
                "the code that starts runs must sit under a main guard; indent it below\n\n"
                '    if __name__ == "__main__":\n\n'
                'or run in this process with executor="serial" (or the --serial option)'
            )
        frame = frame.f_back
    return ""  # no top-level frame of the script on the stack (a thread, a callback)


class ProcessExecutor(Executor):
    """A local pool of worker processes ('spawn': safe with Numba's thread pool, which does
    not survive fork). Each worker runs Numba on `threads_per_worker` threads so that N workers
    do not oversubscribe N cores; results do not depend on the thread count."""

    name = "process"

    def __init__(self, workers: int | None = None, threads_per_worker: int | None = 1):
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.threads = threads_per_worker
        self._pool = None
        self.restarts = 0

    def _start(self):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        problem = unguarded_main_script()
        if problem:
            from tolqyn.core.errors import TolqynError

            raise TolqynError(problem)

        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=mp.get_context("spawn"),
            initializer=_worker_init,
            initargs=(self.threads,),
        )

    def worker_pids(self) -> list[int]:
        """Pids of the live worker processes (for monitoring, and for the test that kills one)."""
        procs = getattr(self._pool, "_processes", None) or {}
        return [p.pid for p in list(procs.values()) if p.is_alive()]

    def run(self, tasks):
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pending = list(tasks)[::-1]  # a stack; pop() hands out tasks in the given order
        deaths: dict[str, int] = {}
        if self._pool is None:
            self._start()
        inflight = {}
        window = 2 * self.workers  # few tasks queued: a dead pool loses little, Ctrl-C is quick
        while pending or inflight:
            broken = False
            try:
                while pending and len(inflight) < window:
                    t = pending[-1]
                    inflight[self._pool.submit(execute, t)] = t
                    pending.pop()
            except BrokenProcessPool:
                broken = True
            if not broken:
                done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                broken = any(isinstance(f.exception(), BrokenProcessPool) for f in done)
                if not broken:
                    for fut in done:
                        yield fut.result()
                        del inflight[fut]
                    continue
            # A worker died: every unfinished future of the pool fails. Keep what finished,
            # hand the rest out again on a fresh pool; a task caught in too many deaths fails.
            for fut, t in list(inflight.items()):
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    yield fut.result()
                    continue
                deaths[t.key] = deaths.get(t.key, 0) + 1
                if deaths[t.key] >= MAX_WORKER_DEATHS:
                    yield Outcome(
                        t.key,
                        False,
                        error=f"worker process died {deaths[t.key]} times "
                        "while this task was in flight (killed or out of memory)",
                    )
                else:
                    pending.append(t)
            inflight.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self.restarts += 1
            self._start()

    def close(self):
        if self._pool is not None:
            pool, self._pool = self._pool, None
            procs = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:  # do not wait for runs nobody will collect (Ctrl-C)
                if p.is_alive():
                    p.terminate()
            for p in procs:
                p.join(timeout=5)


class DaskExecutor(Executor):
    """Runs tasks on a Dask cluster: `address` of an existing scheduler, or a LocalCluster
    of `workers` single-threaded worker processes. Dask reschedules the tasks of a worker
    that dies (up to its `allowed-failures`)."""

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        threads_per_worker: int | None = 1,
    ):
        from dask.distributed import Client, LocalCluster

        self._cluster = None
        if address:
            self._client = Client(address)
        else:
            n = max(1, int(workers or os.cpu_count() or 1))
            self._cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            self._client = Client(self._cluster)
        self.threads = threads_per_worker
        self._client.run(_worker_init_dask, threads_per_worker)
        self.workers = len(self._client.scheduler_info().get("workers", {})) or 1
        self.address = address or self._cluster.scheduler_address

    def describe(self) -> str:
        return f"dask at {self.address} ({self.workers} workers)"

    def run(self, tasks):
        from dask.distributed import as_completed

        by_key = {}
        futures = []
        for t in tasks:
            f = self._client.submit(
                _execute_dask,
                t,
                self.threads,
                key=f"tolqyn-run-{t.key}-{os.getpid()}-{id(self)}",
                pure=False,
            )
            by_key[f.key] = t
            futures.append(f)
        try:
            for fut in as_completed(futures):
                t = by_key[fut.key]
                try:
                    yield fut.result()
                except Exception as e:  # e.g. KilledWorker after repeated worker deaths
                    yield Outcome(t.key, False, error=f"{type(e).__name__}: {e}")
                finally:
                    fut.release()
        finally:
            for f in futures:  # Ctrl-C or an early stop: nothing left running for nobody
                if not f.done():
                    f.cancel()

    def close(self):
        try:
            self._client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()


def _execute_dask(task, threads):
    # Numba's thread count is per calling thread: set it in the thread that runs the task
    # (client.run's init runs elsewhere), or each worker oversubscribes the cores
    _worker_init_dask(threads)
    return execute(task)


def _worker_init_dask(threads):
    if threads:
        try:
            import numba

            numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        except Exception:
            pass
    return True


def make_executor(
    kind: str = "process", workers: int | None = None, dask_address: str | None = None
) -> Executor:
    """'serial', 'process' (default) or 'dask' (with an address, or a LocalCluster of
    `workers`)."""
    if dask_address:
        return DaskExecutor(address=dask_address)
    if kind == "dask":
        return DaskExecutor(workers=workers)
    if kind == "serial":
        return SerialExecutor()
    if kind == "process":
        return ProcessExecutor(workers)
    from tolqyn.core.errors import TolqynError

    raise TolqynError(f"unknown executor '{kind}'; allowed: serial, process, dask")
