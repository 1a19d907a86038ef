"""A damaged store heals: a truncated Parquet file or a broken run record is named and
quarantined when the store is queried or resumed, queries go on without it, and resume runs
those runs again; the workers of a sweep die with its main process (SIGKILL)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from tolqyn import models
from tolqyn.scenarios.loader import from_dict

models.MODELS.setdefault("expcoin", "test_experiments_model:ExpCoinModel")

KW = dict(
    design="grid",
    samples=3,
    replicates=2,
    params=["p_active"],
    progress=False,
    executor_kind="serial",
)


def _scenario():
    return from_dict(
        {"model": "expcoin", "steps": 8, "seed": 3, "params": {"n_agents": 200}},
        name="expcoin-store",
    )


def _table(out):
    from tolqyn.experiments.store import query

    return query(
        out, "SELECT run_id, seed, step, metric, value FROM results ORDER BY run_id, metric, step"
    ).reset_index(drop=True)


@pytest.mark.parametrize(
    "damage",
    ["truncate", "empty", "garbage", "bad_footer", "bad_json", "empty_json", "wrong_record"],
)
def test_damaged_file_is_named_quarantined_and_rerun(tmp_path, capsys, damage):
    from tolqyn.experiments.store import ExperimentStore, query
    from tolqyn.experiments.sweep import sweep

    sc = _scenario()
    sweep(sc, tmp_path / "x", **KW)
    sweep(sc, tmp_path / "ref", **KW)
    ref = _table(tmp_path / "ref")
    store = ExperimentStore(tmp_path / "x")
    victim = store.result_path(1, 0)
    record = store.record_path("p000001-r0000")
    if damage == "truncate":
        data = victim.read_bytes()
        victim.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        victim.write_bytes(b"")
    elif damage == "garbage":
        victim.write_bytes(b"PAR1" + os.urandom(200))
    elif damage == "bad_footer":
        data = bytearray(victim.read_bytes())
        data[-8:-4] = (10**6).to_bytes(4, "little")  # a footer longer than the file
        victim.write_bytes(bytes(data))
    elif damage == "bad_json":
        record.write_text('{"run_id": "p000001-r0000", "point_')
    elif damage == "empty_json":
        record.write_text("")
    elif damage == "wrong_record":
        record.write_text('{"run_id": "p000009-r0009"}')
    damaged = victim if damage in ("truncate", "empty", "garbage", "bad_footer") else record
    capsys.readouterr()
    # a query answers (without the damaged run) and names the file
    runs = query(tmp_path / "x", "SELECT count(DISTINCT run_id) AS n FROM results")
    err = capsys.readouterr().err
    assert str(damaged) in err and "damaged" in err
    assert int(runs.n[0]) in (5, 6)
    assert not damaged.exists()
    assert list((tmp_path / "x" / "quarantine").rglob(damaged.name))
    # resume runs it again, and the healed store equals one never damaged
    rep = sweep(sc, tmp_path / "x", **KW)
    assert rep.ran == 1 and rep.done_before == 5
    pd.testing.assert_frame_equal(_table(tmp_path / "x"), ref)


def test_resume_verifies_without_a_query_first(tmp_path, capsys):
    from tolqyn.experiments.store import ExperimentStore
    from tolqyn.experiments.sweep import sweep

    sc = _scenario()
    sweep(sc, tmp_path / "x", **KW)
    victim = ExperimentStore(tmp_path / "x").result_path(2, 1)
    victim.write_bytes(victim.read_bytes()[:-5])
    rep = sweep(sc, tmp_path / "x", **KW)
    assert rep.ran == 1 and str(victim) in capsys.readouterr().err


def test_cli_query_names_the_damaged_file(tmp_path):
    from typer.testing import CliRunner

    from tolqyn.cli import app
    from tolqyn.experiments.store import ExperimentStore
    from tolqyn.experiments.sweep import sweep

    sweep(_scenario(), tmp_path / "x", **KW)
    victim = ExperimentStore(tmp_path / "x").result_path(0, 0)
    victim.write_bytes(b"not parquet at all")
    r = CliRunner().invoke(app, ["query", str(tmp_path / "x"), "SELECT count(*) FROM results"])
    assert r.exit_code == 0, r.output
    assert str(victim) in r.output and "Traceback" not in r.output


SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from tolqyn import models
    models.MODELS.setdefault("expcoin", "test_experiments_model:ExpCoinModel")
    from tolqyn.scenarios.loader import from_dict
    from tolqyn.experiments.executors import ProcessExecutor
    from tolqyn.experiments.sweep import sweep

    if __name__ == "__main__":
        sc = from_dict({{"model": "expcoin", "steps": 400, "seed": 3,
                        "params": {{"n_agents": 20000}}}}, name="expcoin-orphans")
        with ProcessExecutor(2) as ex:
            def report(rec, ex=ex):
                print("PIDS", *ex.worker_pids(), flush=True)
            sweep(sc, {out!r}, design="lhs", samples=40, replicates=1, params=["p_active"],
                  progress=False, executor=ex, on_outcome=report)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its (dead) parent is gone for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_die_with_the_main_process(tmp_path):
    script = tmp_path / "sweep_main.py"
    tests = os.path.dirname(__file__)
    script.write_text(SCRIPT.format(tests=tests, out=str(tmp_path / "exp")))
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    pids = []
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            line = proc.stdout.readline()
            if line.startswith("PIDS"):
                pids = [int(x) for x in line.split()[1:]]
                break
            if proc.poll() is not None:
                break
        assert pids, "the sweep never reported its workers"
        assert all(_alive(p) for p in pids)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.time() + 20
        while time.time() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.2)
        assert not any(_alive(p) for p in pids), f"workers {pids} outlived their parent"
    finally:
        for p in pids:
            if _alive(p):
                os.kill(p, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
