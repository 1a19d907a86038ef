"""A pyABC sampler that keeps to a budget and repeats itself.

pyABC's samplers for job-submission clients (ConcurrentFutureSampler, DaskDistributedSampler;
pyABC 0.13) ignore `max_eval` and reseed every job from the operating system's entropy. Two
consequences for a calibration: a generation that accepts nothing (a deadline passed, or the
temperature too low for a model that misses a target) is sampled for ever, and no run can be
repeated. This sampler

* submits jobs to a `concurrent.futures` pool or a Dask client (anything with `submit`
  returning futures with `done`, `result` and `cancel`), a few per worker;
* seeds each job's NumPy and `random` generators from (seed, call, job): the draws of job j of
  the k-th call of a run are the same whatever the number of workers or the order in which
  the jobs finish, and the accepted particles are the first n by job number (not by finishing
  time), as in pyABC's own "static" scheduling, so the posterior is repeatable;
* stops a generation after `max_eval` evaluations (n / min_acceptance_rate) or at the
  deadline, returning a sample marked not ok (pyABC then stops and keeps the last complete
  generation).
"""

from __future__ import annotations

import hashlib
import random
import time

import numpy as np


class BudgetSpent(RuntimeError):
    """The deadline passed while sampling the prior for calibrating the temperature (a
    sample pyABC cannot use unless complete)."""


def job_seed(seed: int, call: int, job: int) -> int:
    key = f"abc-job/{int(seed)}/{int(call)}/{int(job)}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "little")


def _run_job(payload: bytes, job_seed_value: int):
    simulate_one = _loaded(payload)
    random.seed(job_seed_value)
    np.random.seed(job_seed_value)
    return simulate_one()


class InlineClient:
    """A client that runs each job when it is submitted (the serial executor)."""

    def submit(self, fn, *args):
        from concurrent.futures import Future

        fut = Future()
        fut.set_result(fn(*args))
        return fut


_CACHE: dict = {}


def _loaded(payload: bytes):
    """The unpickled simulate function, kept per worker process for the generation (the
    same payload arrives with every job of a generation)."""
    import cloudpickle

    key = hashlib.blake2b(payload, digest_size=16).digest()
    fn = _CACHE.get(key)
    if fn is None:
        _CACHE.clear()
        fn = _CACHE[key] = cloudpickle.loads(payload)
    return fn


def _make_base():
    import pyabc

    class BudgetSampler(pyabc.sampler.Sampler):
        def __init__(self, client, jobs: int, seed: int = 0, deadline: float | None = None):
            super().__init__()
            self.client = client
            self.jobs = max(1, int(jobs))
            self.seed = int(seed)
            self.deadline = deadline  # epoch seconds
            self.calls = 0
            self.stopped_by = None  # "deadline" | "max_eval" once a generation was cut short

        def sample_until_n_accepted(
            self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
        ):
            import cloudpickle

            call = self.calls
            self.calls += 1
            payload = cloudpickle.dumps(simulate_one)
            results: dict[int, object] = {}
            accepted: list[int] = []
            running: dict[int, object] = {}
            next_job = 0
            cut = None
            while True:
                for j, fut in list(running.items()):
                    if fut.done():
                        del running[j]
                        if fut.cancelled():
                            continue
                        particle = fut.result()
                        results[j] = particle
                        if particle.accepted:
                            accepted.append(j)
                accepted.sort()
                if len(accepted) >= n:
                    nth = accepted[n - 1]
                    # the first n accepted by job number: later jobs are not needed, earlier
                    # ones still running must finish (one of them may be accepted)
                    for j in [j for j in running if j > nth]:
                        running.pop(j).cancel()
                    if not any(j < nth for j in running):
                        break
                elif cut is None:
                    if self.deadline is not None and time.time() > self.deadline:
                        cut = "deadline"
                    elif next_job >= max_eval:
                        cut = "max_eval"
                if cut is not None and len(accepted) < n:
                    for j in list(running):
                        running.pop(j).cancel()
                    break
                while len(running) < self.jobs and len(accepted) < n and next_job < max_eval:
                    if self.deadline is not None and time.time() > self.deadline:
                        break
                    running[next_job] = self.client.submit(
                        _run_job, payload, job_seed(self.seed, call, next_job)
                    )
                    next_job += 1
                time.sleep(0.005)
            sample = self._create_empty_sample()
            if cut is None:
                nth = accepted[n - 1]
                for j in sorted(results):
                    if j <= nth:
                        sample.append(results[j])
            else:
                self.stopped_by = cut
                if all_accepted:
                    raise BudgetSpent(f"{cut} reached after {len(results)} simulations")
                for j in sorted(results):
                    sample.append(results[j])
                sample.ok = False
            self.nr_evaluations_ = len(results)
            return sample

    return BudgetSampler


_CLASS = None


def budget_sampler(client, jobs: int, seed: int = 0, deadline: float | None = None):
    """A BudgetSampler on `client` (a concurrent.futures pool or a Dask client)."""
    global _CLASS
    if _CLASS is None:
        _CLASS = _make_base()
    return _CLASS(client, jobs, seed=seed, deadline=deadline)
