"""A run kept in the experiment store rebuilds the RunResult the run returned, metric
declarations included: resampling a flow (emigrants, summed) and a stock (active, last value;
legitimacy, mean) from the store equals resampling the run in memory."""

import numpy as np
import pytest

from tolqyn.core.results import RunResult
from tolqyn.experiments.executors import Task, execute
from tolqyn.experiments.store import ExperimentStore
from tolqyn.models import MODELS
from tolqyn.scenarios.loader import load_scenario


@pytest.fixture(scope="module")
def exit_run():
    sc = load_scenario("kazakhstan-exit").with_params({"scale": 4000.0}, source="test")
    task = Task("k", sc, 7, 30, (("country_exit", MODELS["country_exit"]),))
    out = execute(task)
    assert out.ok, out.error
    return out


def test_store_keeps_declarations_and_resampling(tmp_path, exit_run):
    mem = exit_run.result
    store = ExperimentStore(tmp_path / "x")
    store.write_outcome(exit_run, point_id=3, replicate=1, seed=7)
    back = store.run(3, 1)
    assert back.specs == mem.specs
    assert back.spec("emigrants").aggregate == "sum"
    assert back.spec("active").aggregate == "last"
    assert back.manifest["seed"] == mem.manifest["seed"] and back.regions == mem.regions
    for metric in ("emigrants", "active", "legitimacy_mean"):
        for freq in ("Y", "M"):
            a, b = mem.resample(metric, freq), back.resample(metric, freq)
            assert a.index.tolist() == b.index.tolist()
            assert np.array_equal(a.to_numpy(), b.to_numpy()), (metric, freq)
    # the flow really is summed: a year is the sum of its months, not the last month
    y, m = back.resample("emigrants", "Y"), back.resample("emigrants", "M")
    assert y["2005"] == pytest.approx(m[m.index.str.startswith("2005")].sum())
    assert y["2005"] != m["2005-12"]
    for name in mem.metrics:
        assert np.array_equal(back.series(name), mem.series(name), equal_nan=True)
    with pytest.raises(Exception, match="no stored result"):
        store.run(0, 0)


def test_one_reader_for_run_directories_and_the_store(tmp_path, exit_run):
    mem = exit_run.result
    mem.write(tmp_path / "run")
    store = ExperimentStore(tmp_path / "x")
    store.write_outcome(exit_run, point_id=0, replicate=0, seed=7)
    a, b = RunResult.from_dir(tmp_path / "run"), store.run(0, 0)
    assert a.specs == b.specs == mem.specs
    assert a.columns.keys() == b.columns.keys()
    assert all(np.array_equal(a.columns[k], b.columns[k]) for k in a.columns)
    assert a.manifest == b.manifest


def test_exit_ensembles_resume_from_the_store_with_identical_results(tmp_path):
    from tolqyn.exit_decade.ensemble import run_variants, whatif_variants

    variants = whatif_variants(tenge_fall=0.3, at="2005-01-01")
    kw = dict(until="2005-12-31", scale=4000.0, workers=1, executor_kind="serial")
    draws = [{}, {"exit_cost": 1.0}]
    plain = run_variants(variants, draws, **kw)
    first, again, partial = {}, {}, {}
    stored = run_variants(variants, draws, out=tmp_path / "ens", tally=first, **kw)
    assert first == {"ran": 4, "stored": 0}
    (tmp_path / "ens" / "runs" / "p000003-r0000.json").unlink()  # as if interrupted
    resumed = run_variants(variants, draws, out=tmp_path / "ens", tally=partial, **kw)
    assert partial == {"ran": 1, "stored": 3}
    run_variants(variants, draws, out=tmp_path / "ens", tally=again, **kw)
    assert again == {"ran": 0, "stored": 4}
    for ens in (stored, resumed):
        assert ens.keys() == plain.keys()
        for label in plain:
            assert ens[label].runs == plain[label].runs
    assert plain["baseline"].runs[0]["emigrants"][2005] > 0
    with pytest.raises(Exception, match="different experiment"):
        run_variants(variants, draws[:1], out=tmp_path / "ens", **kw)


def test_exit_voice_runs_resume_from_the_store_with_identical_rows(tmp_path):
    from tolqyn.exit_decade import exit_voice

    kw = dict(
        costs=(0.0, -3.0),
        conditions={"drain only": {"exit_voice_on": False}},
        replicates=1,
        scale=20000.0,
        workers=1,
        executor_kind="serial",
    )
    plain = exit_voice.run({}, **kw)
    first, again = {}, {}
    stored = exit_voice.run({}, out=tmp_path / "ev", tally=first, **kw)
    resumed = exit_voice.run({}, out=tmp_path / "ev", tally=again, **kw)
    assert first == {"ran": 2, "stored": 0} and again == {"ran": 0, "stored": 2}
    assert stored == plain == resumed
    assert plain[1]["exit"] > plain[0]["exit"] > 0  # a lower cost of leaving, more exit
