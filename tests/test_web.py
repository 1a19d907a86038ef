"""Dashboard server without a browser: live runs, event injection, limits, boundaries,
experiments, and the per-page WebSocket sessions (isolation, clean-up, bad input)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from tolqyn.core.errors import ScenarioError, UnknownParamError  # noqa: E402
from tolqyn.web.runs import Catalog, Limits, LiveRun, RefusedError, lattice_frame  # noqa: E402

REBELLION = """
name = "rebellion"
description = "NetLogo Rebellion settings, legitimacy cut at step 15"
model = "epstein"
steps = 40
seed = 3
[params]
legitimacy = 0.82
cop_density = 0.04
max_jail_term = 30
[[events]]
at = 15
action = "set"
id = "cut"
label = "legitimacy cut"
params = { legitimacy = 0.6 }
"""

COUNTRY = """
name = "kz-small"
description = "January 2022, coarse (one agent per 4,000 citizens), the historical timeline"
extends = "kazakhstan-2022"
steps = 5
[params]
scale = 4000.0
"""

COUNTRY_ALT = """
extends = "kz-small.toml"
description = "the same without the shutdown"
remove_events = ["shutdown"]
"""


def write_scenarios(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "rebellion.toml").write_text(REBELLION)
    (d / "kz-small.toml").write_text(COUNTRY)
    (d / "kz-no-shutdown.toml").write_text(COUNTRY_ALT)
    return d


@pytest.fixture(scope="module")
def scen_dir(tmp_path_factory):
    return write_scenarios(tmp_path_factory.mktemp("web") / "mine")


@pytest.fixture(scope="module")
def catalog(scen_dir):
    return Catalog([scen_dir])


def test_import_tolqyn_stays_light():
    code = "import sys, tolqyn, tolqyn.web; print(any(m.split('.')[0] in ('starlette', 'uvicorn') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_catalog_offers_own_files_and_refuses_paths(catalog):
    names = catalog.names()
    assert "mine/rebellion" in names and "mine/kz-no-shutdown" in names
    with pytest.raises(UnknownParamError, match="unknown scenario"):
        catalog.resolve("/etc/passwd")
    with pytest.raises(UnknownParamError, match="did you mean 'mine/rebellion'"):
        catalog.resolve("mine/rebelion")


def test_lattice_frame_matches_recorded_counts(catalog):
    run = LiveRun("mine/rebellion", {}, None, None, Limits(), catalog)
    run.init()
    assert run.info()["lattice"] == {"width": 40, "height": 40}
    first = run.new_rows()
    assert [r[0] for r in first["active"]] == [0]
    run.step(20)
    rows = run.new_rows()
    assert [r[0] for r in rows["active"]] == list(range(1, 21))  # only the new rows
    assert run.new_rows() == {}
    w, h, data = lattice_frame(run.sim)
    codes = np.frombuffer(data, dtype=np.uint8) & 15
    res = run.sim.results.arrays
    t = run.t
    # every citizen on the lattice is quiet or active; cops as recorded; jailed drawn off-lattice
    assert (codes == 1).sum() == res["quiet"][t, 0]
    assert (codes == 2).sum() == res["active"][t, 0]
    assert (codes == 3).sum() == res["cops"][t, 0]
    assert (codes == 4).sum() <= res["jailed"][t, 0]
    # the scenario's event is listed and marked applied
    ev = [e for e in run.info()["events"] if e["id"] == "cut"][0]
    assert ev["step"] == 15 and ev["applied"]


def test_inject_set_applies_next_step_and_validates(catalog):
    run = LiveRun("mine/rebellion", {}, 5, 30, Limits(), catalog)
    run.init()
    run.step(3)
    out = run.inject("set", {"legitimacy": 0.3})
    assert out["step"] == 4
    assert run.sim.params["legitimacy"] == 0.82
    run.step(1)
    assert run.sim.params["legitimacy"] == 0.3
    assert any(e["id"] == "live:set" and e["applied"] for e in run.events())
    with pytest.raises(ScenarioError, match="above the maximum"):
        run.inject("set", {"legitimacy": 1.5})
    with pytest.raises(UnknownParamError, match="did you mean 'legitimacy'"):
        run.inject("set", {"legitimcy": 0.5})
    with pytest.raises(UnknownParamError, match="event action"):
        run.inject("ramp_step", {})


def test_country_run_injects_regime_action(catalog):
    run = LiveRun("mine/kz-small", {}, 1, None, Limits(), catalog)
    run.init()
    info = run.info()
    assert len(info["regions"]) == 20 and info["dates"][1] == "2021-12-18"
    actions = {a["action"]: a for a in info["actions"]}
    first_cut = next(e for e in run.sim.scenario.events if e.get("action") == "internet")
    assert actions["internet"]["params"] == first_cut["params"]  # template from the scenario
    run.step(1)
    run.inject("deploy_troops", {"persons": 1000, "regions": ["KZ-75"]}, label="troops now")
    with pytest.raises(ScenarioError, match="internet"):
        run.inject("internet", {"nonsense": 1})
    run.step(1)
    assert run.error is None
    assert run.sim.results.arrays["troops"][2, 0] > run.sim.results.arrays["troops"][1, 0]


def test_limits_refuse_politely(catalog):
    with pytest.raises(RefusedError, match="--max-steps"):
        LiveRun("mine/rebellion", {}, None, 50_000, Limits(max_steps=1000), catalog)
    # refused from the lattice's size before the population is built
    with pytest.raises(RefusedError, match="agents; the server allows at most 500"):
        LiveRun("mine/rebellion", {}, None, None, Limits(max_agents=500), catalog)
    with pytest.raises(ScenarioError, match="allowed: 0..9223372036854775807"):
        LiveRun("mine/rebellion", {}, -1, None, Limits(), catalog)
    with pytest.raises(ScenarioError, match="not an integer"):
        LiveRun("mine/rebellion", {}, None, "ten", Limits(), catalog)


def test_geometry_matches_iso_and_alternative_codes():
    from tolqyn.web.geo import find_geometry

    iso = find_geometry(["KZ-47", "KZ-75", "KZ-99"])
    assert iso["property"] == "iso_3166_2" and iso["matched"] == ["KZ-47", "KZ-75"]
    assert iso["unmatched"] == ["KZ-99"] and "CC BY" in iso["attribution"]
    alt = find_geometry(["KZ-MAN", "KZ-ALA"])
    assert alt["property"] == "iso_3166_2_geokz" and len(alt["matched"]) == 2
    assert find_geometry(["XX-1"]) is None and find_geometry([]) is None


def test_experiments_browse_plot_download(tmp_path, catalog):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tolqyn.experiments.sweep import sweep
    from tolqyn.web import experiments as ex

    root = tmp_path / "experiments"
    sc = catalog.load("mine/rebellion")
    sweep(
        sc,
        root / "legit",
        design="grid",
        samples=2,
        replicates=1,
        params=["legitimacy"],
        steps=10,
        executor_kind="serial",
        progress=False,
    )
    pq.write_table(
        pa.table(
            {
                "parameter": ["legitimacy", "cop_density"],
                "S1": [0.6, 0.2],
                "ST": [0.7, 0.3],
                "S1_conf": [0.05, 0.04],
            }
        ),
        root / "legit" / "sensitivity.parquet",
    )
    pq.write_table(
        pa.table({"legitimacy": [0.7, 0.75, 0.8, 0.82]}), root / "legit" / "posterior.parquet"
    )
    listing = ex.list_experiments(root)
    assert [e["id"] for e in listing["experiments"]] == ["legit"]
    d = ex.experiment_detail(root, "legit")
    kinds = {(p["type"], p["title"].split(":")[0]) for p in d["plots"]}
    assert ("histogram", "posterior") in kinds and ("bars", "sensitivity indices") in kinds
    assert any(p["type"] == "line" for p in d["plots"])
    data, media, name = ex.download(root, "legit", "results (all runs)", "csv")
    header = data.decode().splitlines()[0]
    assert (
        media == "text/csv" and "metric" in header and "value" in header and name == "results.csv"
    )
    assert data.decode().count("\n") > 10
    with pytest.raises(Exception, match="outside the experiments folder"):
        ex.experiment_detail(root, "../..")


# ---------------------------------------------------------------- over the wire
@pytest.fixture(scope="module")
def server(scen_dir, tmp_path_factory):
    sys.path.insert(0, str(Path(__file__).parent))
    from web_support import LiveServer

    with LiveServer(Limits(max_agents=200_000), tmp_path_factory.mktemp("exps"), [scen_dir]) as srv:
        yield srv


def _ws(server):
    import websocket

    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws", timeout=60)
    assert json.loads(ws.recv())["type"] == "hello"
    return ws


def _until(ws, types, n=200):
    for _ in range(n):
        m = json.loads(ws.recv())
        if m["type"] in types:
            return m
    raise AssertionError(f"no {types}")


def test_sessions_isolated_and_stopped_on_close(server):
    a, b = _ws(server), _ws(server)
    try:
        a.send(json.dumps({"op": "setup", "view": "classic", "scenario": "mine/rebellion"}))
        setup = _until(a, {"setup"})
        assert setup["info"]["scenario"] == "mine/rebellion"
        # page b has no run: stepping there is refused, and a's run is untouched
        b.send(json.dumps({"op": "step", "view": "classic", "n": 1}))
        assert "setup first" in _until(b, {"error"})["message"]
        a.send(json.dumps({"op": "play", "view": "classic"}))
        while _until(a, {"frame"})["t"] < 1:
            pass
        sess_a = [s for s in server.sessions if s.views.get("classic", {}).get("slots")]
        assert len(sess_a) == 1
        task = sess_a[0].views["classic"]["task"]
        assert task is not None and not task.done()
    finally:
        a.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (len(server.sessions) != 1 or not task.done()):
        time.sleep(0.05)
    assert len(server.sessions) == 1 and task.done()  # a's runs stopped, b still served
    b.close()


def test_bad_input_keeps_server_up(server):
    import urllib.request

    ws = _ws(server)
    try:
        ws.send("{not json")
        assert "malformed" in _until(ws, {"error"})["message"]
        ws.send(
            json.dumps(
                {
                    "op": "setup",
                    "view": "classic",
                    "scenario": "mine/rebellion",
                    "params": {"legitimacy": 7},
                }
            )
        )
        err = _until(ws, {"error"})
        assert "above the maximum" in err["message"] and err["field"] == "legitimacy"
        ws.send(
            json.dumps(
                {
                    "op": "setup",
                    "view": "country",
                    "scenario": "mine/kz-small",
                    "params": {"scale": 10.0},
                }
            )
        )
        assert "200,000 per run" in _until(ws, {"refused"})["message"]
        ws.send(json.dumps({"op": "speed", "view": "classic", "value": 3}))
        assert "speed must be one of" in _until(ws, {"error"})["message"]
    finally:
        ws.close()
    with urllib.request.urlopen(server.url + "api/health") as r:
        assert json.load(r)["ok"] is True
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(server.url + "api/scenario?name=..%2F..%2Fetc%2Fpasswd")
    assert e.value.code == 400 and "unknown scenario" in json.load(e.value)["error"]


def test_calibration_directory_is_listed_with_its_posterior(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tolqyn.web import experiments as ex

    d = tmp_path / "calib"
    d.mkdir()
    (d / "calibration.json").write_text(
        json.dumps({"scenario": "kazakhstan-2022", "generations": 3})
    )
    pq.write_table(
        pa.table({"legitimacy": [0.5, 0.6, 0.62], "weight": [0.2, 0.3, 0.5]}),
        d / "posterior.parquet",
    )
    (d / "sensitivity.csv").write_text(
        "output,parameter,mu_star,mu_star_conf,sigma\nactive,legitimacy,3.0,0.5,1.0\n"
    )
    assert ex.list_experiments(tmp_path)["experiments"][0]["kind"] == "calibration"
    det = ex.experiment_detail(tmp_path, "calib")
    titles = [p["title"] for p in det["plots"]]
    assert titles[0].startswith("posterior: legitimacy (3 samples)") and len(titles) == 2
    assert det["plots"][1]["legend"] == ["mu_star", "sigma"] and det["summary"]["generations"] == 3
