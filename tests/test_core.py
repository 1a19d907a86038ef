"""Core: parameters, scenarios, random streams, timeline, results, invariants, store."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tolqyn import load_scenario, run_one
from tolqyn.core.errors import InvariantError, ScenarioError, UnknownParamError
from tolqyn.core.params import Param
from tolqyn.core.random import Stream, Streams
from tolqyn.core.sim import Sim
from tolqyn.scenarios.loader import from_dict, parse_set_options


# ------------------------------------------------------------------ parameters
def test_param_coercion_and_bounds():
    p = Param("legitimacy", 0.8, "doc", 0.0, 1.0, unit="1")
    assert p.coerce("0.5") == 0.5
    with pytest.raises(ScenarioError, match=r"legitimacy.*above the maximum.*\[0, 1\]"):
        p.coerce(1.5)
    with pytest.raises(ScenarioError, match="not a number"):
        p.coerce("high")
    with pytest.raises(ScenarioError, match="NaN"):
        p.coerce(float("nan"))
    i = Param("max_jail_term", 30, "doc", 0, float("inf"), kind="int")
    assert i.coerce(float("inf")) == float("inf")
    assert i.coerce("inf") == float("inf")
    assert i.coerce(3.0) == 3
    with pytest.raises(ScenarioError, match="not an integer"):
        i.coerce(2.5)
    c = Param("ratio", "floor", "doc", kind="choice", choices=("floor", "real"))
    with pytest.raises(ScenarioError, match="one of 'floor', 'real'"):
        c.coerce("round")
    with pytest.raises(ScenarioError, match="did you mean 'real'.*one of 'floor', 'real'"):
        c.coerce("rea")
    b = Param("movement", True, "doc", kind="bool")
    assert b.coerce("off") is False
    with pytest.raises(ScenarioError):
        b.coerce(3)


def test_unknown_param_suggests_nearest():
    with pytest.raises(UnknownParamError) as e:
        from_dict({"model": "coin", "params": {"p_activ": 0.2}})
    assert "did you mean 'p_active'" in str(e.value)
    assert e.value.suggestion == "p_active"


def test_unknown_top_level_key_and_model():
    with pytest.raises(UnknownParamError, match="did you mean 'steps'"):
        from_dict({"model": "coin", "stesp": 10})
    with pytest.raises(UnknownParamError, match="unknown model 'coins'.*did you mean 'coin'"):
        from_dict({"model": "coins"})


def test_set_options_parse_toml_scalars():
    assert parse_set_options(["a=1", "b=0.5", "c=true", "d=floor", "e=[1, 2]"]) == {
        "a": 1,
        "b": 0.5,
        "c": True,
        "d": "floor",
        "e": [1, 2],
    }
    with pytest.raises(ScenarioError):
        parse_set_options(["novalue"])


# ------------------------------------------------------------------ scenario files
def test_malformed_toml_names_the_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('model = "coin"\nsteps = = 3\n')
    with pytest.raises(ScenarioError, match=r"bad\.toml.*malformed TOML"):
        load_scenario(str(p))


def test_out_of_range_names_file_and_field(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('model = "coin"\n[params]\np_active = 3\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(str(p))
    msg = str(e.value)
    assert "s.toml" in msg and "p_active" in msg and "[0, 1]" in msg


def test_extends_and_remove_events(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(
        textwrap.dedent("""
        model = "coin"
        steps = 10
        [params]
        n_agents = 200
        [[events]]
        id = "flip"
        at = 5
        action = "flip_all"
        [[events]]
        id = "half"
        at = 3
        params = { p_active = 0.5 }
    """)
    )
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\nremove_events = ["flip"]\n[params]\np_active = 0.1\n')
    sc = load_scenario(str(child))
    assert sc.resolved_params["n_agents"] == 200 and sc.resolved_params["p_active"] == 0.1
    assert [e["id"] for e in sc.events] == ["half"]
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "base.toml"\nremove_events = ["flp"]\n')
    with pytest.raises(UnknownParamError, match="did you mean 'flip'"):
        load_scenario(str(bad))


def test_hash_ignores_seed_and_name_but_not_params():
    a = from_dict({"model": "coin", "seed": 1, "params": {"p_active": 0.2}}, name="a")
    b = from_dict({"model": "coin", "seed": 2, "params": {"p_active": 0.2}}, name="b")
    c = from_dict({"model": "coin", "seed": 1, "params": {"p_active": 0.3}}, name="a")
    d = from_dict({"model": "coin", "seed": 1}, name="a")
    e = from_dict({"model": "coin", "seed": 1, "params": {"p_active": 0.3}}, name="a")
    assert a.hash == b.hash != c.hash
    assert (
        d.hash == from_dict({"model": "coin", "params": {"p_active": 0.3}}).hash
    )  # default == explicit
    assert c.hash == e.hash


# ------------------------------------------------------------------ random streams
def test_streams_are_counter_based():
    s = Stream(42, "protest")
    a = s.uniform(7, 1000)
    b = Stream(42, "protest").uniform(7, 1000)
    np.testing.assert_array_equal(a, b)
    # agent i gets the same draw whether or not other agents are drawn (common random numbers)
    ids = np.array([3, 500, 999])
    np.testing.assert_array_equal(s.uniform_for(7, ids), a[ids])
    np.testing.assert_array_equal(s.uniform(7, 10, start=500), a[500:510])
    # other streams, steps, seeds and slots differ
    assert not np.array_equal(a, Stream(42, "arrest").uniform(7, 1000))
    assert not np.array_equal(a, s.uniform(8, 1000))
    assert not np.array_equal(a, Stream(43, "protest").uniform(7, 1000))
    assert not np.array_equal(a, s.uniform(7, 1000, slot=1))


def test_stream_uniformity():
    """Kolmogorov–Smirnov against U(0,1) on 200,000 draws; false-failure rate 0.1% (alpha)."""
    from scipy import stats

    u = Stream(1, "x").uniform(0, 200_000)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # neighbouring agents are uncorrelated (lag-1 correlation of 200,000 draws: sd ~ 0.0022)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.011  # 5 sd: false-failure ~6e-7
    p = Stream(1, "x").permutation(0, 1000)
    assert sorted(p.tolist()) == list(range(1000))


def test_same_result_on_one_and_two_threads(tmp_path):
    code = textwrap.dedent(
        """
        import sys, numpy as np
        sys.path.insert(0, %r)
        from tolqyn.core.random import Stream
        u = Stream(9, "t").uniform(3, 300000)
        np.save(sys.argv[1], u)
    """
        % str(os.path.dirname(__file__))
    )
    outs = []
    for threads in ("1", "2"):
        f = tmp_path / f"u{threads}.npy"
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        subprocess.run([sys.executable, "-c", code, str(f)], check=True, env=env)
        outs.append(np.load(f))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_streams_registry():
    st = Streams(5)
    assert st("a") is st("a")
    assert st.names == ["a"]


# ------------------------------------------------------------------ sim loop
def test_run_is_reproducible_and_seed_sensitive():
    a = run_one(from_dict({"model": "coin", "steps": 15}), seed=3)
    b = run_one(from_dict({"model": "coin", "steps": 15}), seed=3)
    c = run_one(from_dict({"model": "coin", "steps": 15}), seed=4)
    np.testing.assert_array_equal(a.series("active"), b.series("active"))
    assert not np.array_equal(a.series("active"), c.series("active"))


def test_events_and_ramps_apply_at_their_step():
    sc = from_dict(
        {
            "model": "coin",
            "steps": 12,
            "params": {"p_active": 0.2},
            "events": [{"at": 4, "id": "flip", "action": "flip_all", "label": "flip"}],
            "ramps": [{"param": "p_active", "delta": 0.1, "start": 8, "every": 2, "stop": 0.95}],
        }
    )
    r = run_one(sc, seed=1)
    p = r.series("p")
    assert p[3] == pytest.approx(0.2) and p[4] == pytest.approx(0.8)
    assert (
        p[8] == pytest.approx(0.9) and p[10] == pytest.approx(0.95) and p[12] == pytest.approx(0.95)
    )
    assert [e["id"] for e in r.manifest["events_applied"]] == ["flip"]


def test_dates_map_to_steps():
    sc = from_dict(
        {
            "model": "coin",
            "steps": 10,
            "start_date": "2022-01-01",
            "events": [
                {"at": "2022-01-05", "params": {"p_active": 1.0}},
                {"at": "2022-01-05T16:30", "params": {"p_active": 1.0}},
            ],
        }
    )
    r = run_one(sc, seed=1)
    dates = r.columns["date"][(r.columns["metric"] == "active")]
    assert dates[0] == "2021-12-31" and dates[1] == "2022-01-01" and dates[5] == "2022-01-05"
    assert r.series("active")[5] == 1000 and r.series("active")[4] < 1000
    with pytest.raises(ScenarioError, match="not an ISO date"):
        from_dict(
            {"model": "coin", "start_date": "2022-01-01", "events": [{"at": "5 Jan", "params": {}}]}
        )
    with pytest.raises(ScenarioError, match="no start_date"):
        from_dict({"model": "coin", "events": [{"at": "2022-01-05", "params": {}}]})


def test_unknown_event_action_is_refused():
    with pytest.raises(UnknownParamError, match="did you mean 'flip_all'"):
        from_dict({"model": "coin", "events": [{"at": 1, "action": "flip_al"}]})


def test_scale_multiplies_counts_not_values():
    r = run_one(
        from_dict({"model": "coin", "steps": 3, "params": {"scale": 10, "n_agents": 100}}), seed=2
    )
    a = r.series("active") + r.series("quiet")
    assert np.all(a == 1000)
    assert r.series("p")[1] == pytest.approx(0.3)


def test_plan_lists_phases_in_order():
    sim = Sim(from_dict({"model": "coin"}), validate=True)
    names = [p for p, _ in sim.plan()]
    assert names == [
        "start",
        "exogenous",
        "channels",
        "perceive",
        "decide",
        "respond",
        "consequences",
        "record",
        "finish",
    ]
    assert "coin" in dict(sim.plan())["decide"] and "invariants" in dict(sim.plan())["finish"]


def test_step_by_step_equals_run():
    sc = from_dict({"model": "coin", "steps": 6})
    sim = Sim(sc, seed=8).init()
    for _ in range(6):
        sim.step()
    np.testing.assert_array_equal(
        sim.results.series("active"), run_one(sc, seed=8).series("active")
    )


def test_validating_mode_catches_a_resurrection():
    sim = Sim(from_dict({"model": "coin", "steps": 3}), validate=True).init()
    sim.pop.status[0] = 4  # dead
    sim._check()
    sim.pop.status[0] = 0
    with pytest.raises(InvariantError, match="returned from the dead"):
        sim._check()


def test_manifest_contract(tmp_path):
    r = run_one(from_dict({"model": "coin", "steps": 4}, name="coin-test"), seed=11)
    r.write(tmp_path / "run")
    m = json.loads((tmp_path / "run" / "manifest.json").read_text())
    for k in ("scenario", "scenario_hash", "seed", "parameters", "version", "timings"):
        assert k in m
    assert m["seed"] == 11 and "loop_s" in m["timings"]
    import pyarrow.parquet as pq

    t = pq.read_table(tmp_path / "run" / "results.parquet")
    assert t.column_names[:4] == ["step", "region", "metric", "value"]
    assert set(t.column("region").to_pylist()) == {"ALL"}
    assert t.schema.metadata[b"tolqyn.seed"] == b"11"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left
