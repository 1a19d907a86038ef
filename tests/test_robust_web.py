"""The dashboard trusts only its own page: foreign Host headers and WebSocket Origins are
refused, symlinks never lead out of an experiment folder, messages have bounded depth and
numbers, a page holds a bounded number of runs, and a huge lattice is refused before it is
built. Against the real server (uvicorn on a free port)."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import urllib.parse

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
websocket = pytest.importorskip("websocket")

from web_support import free_port  # noqa: E402

from tolqyn.web.app import create_app, host_of, origin_ok  # noqa: E402
from tolqyn.web.runs import Limits, LiveRun, RefusedError  # noqa: E402


class Live:
    def __init__(self, **kw):
        import uvicorn

        self.app = create_app(**kw)
        self.port = free_port()
        self.local = f"http://127.0.0.1:{self.port}"
        cfg = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(cfg)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive()
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def get(self, path, params=None, host=None):
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        url = path + ("?" + urllib.parse.urlencode(params) if params else "")
        con.putrequest("GET", url, skip_host=True)
        con.putheader("Host", host or f"127.0.0.1:{self.port}")
        con.endheaders()
        r = con.getresponse()
        body = r.read().decode("utf-8", "replace")
        con.close()
        return r.status, body

    def ws(self, origin="own", host=None):
        kw = {"timeout": 60}
        if origin == "own":
            kw["origin"] = self.local
        elif origin is None:
            kw["suppress_origin"] = True
        else:
            kw["origin"] = origin
        if host:
            kw["host"] = host
        return websocket.create_connection(f"ws://127.0.0.1:{self.port}/ws", **kw)


def _refused_ws(live, **kw):
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        live.ws(**kw)
    assert e.value.status_code == 403


def test_foreign_host_is_refused_for_pages_data_and_websockets(tmp_path):
    with Live(experiments_dir=tmp_path) as live:
        assert live.get("/api/health")[0] == 200
        for host in ("evil.example", "attacker.test:8000", "127.0.0.1.nip.io"):
            assert live.get("/api/health", host=host)[0] == 421, host
            assert live.get("/api/experiments", host=host)[0] == 421
            assert live.get("/", host=host)[0] == 421
            _refused_ws(live, host=host, origin=None)
        for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "10.0.0.5:8000"):
            assert live.get("/api/health", host=host)[0] == 200, host


def test_a_named_host_is_served_when_allowed(tmp_path):
    with Live(experiments_dir=tmp_path, allowed_hosts=["lab-server.local"]) as live:
        assert live.get("/api/health", host="lab-server.local:8000")[0] == 200
        assert live.get("/api/health", host="other.local:8000")[0] == 421


def test_foreign_websocket_origin_is_refused(tmp_path):
    with Live(experiments_dir=tmp_path) as live:
        for origin in ("http://evil.example", "http://127.0.0.1:1", "null", "file://"):
            _refused_ws(live, origin=origin)
        ws = live.ws()
        assert json.loads(ws.recv())["type"] == "hello"
        ws.close()
        ws = live.ws(origin=None)  # not a browser: no Origin
        assert json.loads(ws.recv())["type"] == "hello"
        ws.close()


def test_origin_and_host_parsing():
    assert host_of("[::1]:8000") == "::1" and host_of("Example.COM:80") == "example.com"
    assert origin_ok("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not origin_ok("https://127.0.0.1:8001", "127.0.0.1:8000")
    assert not origin_ok("javascript:alert(1)", "127.0.0.1:8000")


HOSTILE = [
    ('{"op": "step", "n": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
    ('{"op": "step", "n": ' + "[" * 30 + "]" * 30 + "}", "nested too deeply"),
    ('{"op": "step", "n": ' + "9" * 4000 + "}", "digits"),
    ('{"op": "step", "n": 1e999}', "out of range"),
    ('{"op": "step", "n": NaN}', "not allowed"),
    ('{"op": "step", "n": -Infinity}', "not allowed"),
    ("[1, 2]", "not an object"),
]


def test_hostile_messages_get_an_error_and_the_session_lives(tmp_path):
    with Live(experiments_dir=tmp_path) as live:
        ws = live.ws()
        assert json.loads(ws.recv())["type"] == "hello"
        for text, expected in HOSTILE:
            ws.send(text)
            reply = json.loads(ws.recv())
            assert reply["type"] == "error" and expected in reply["message"], (text[:40], reply)
            assert "internal error" not in reply["message"]
            ws.send(json.dumps({"op": "ping", "t": 1}))
            assert json.loads(ws.recv())["type"] == "pong"
        ws.close()


def _until(ws, types):
    while True:
        m = json.loads(ws.recv())
        if m["type"] in types:
            return m


def test_per_page_run_limit(tmp_path):
    with Live(limits=Limits(max_runs_per_session=1), experiments_dir=tmp_path) as live:
        ws = live.ws()
        _until(ws, {"hello"})
        setup = {"op": "setup", "view": "classic", "scenario": "granovetter-1978/riot-uniform"}
        ws.send(json.dumps(setup))
        assert _until(ws, {"setup", "error", "refused"})["type"] == "setup"
        ws.send(json.dumps({**setup, "slot": "alt"}))
        m = _until(ws, {"setup", "error", "refused"})
        assert m["type"] == "refused" and "at most 1" in m["message"]
        ws.send(json.dumps({**setup, "view": "country", "scenario": "kazakhstan-2022"}))
        assert _until(ws, {"setup", "error", "refused"})["type"] == "refused"
        ws.send(json.dumps(setup))  # replacing the baseline is not a new run
        assert _until(ws, {"setup", "error", "refused"})["type"] == "setup"
        ws.close()


def test_a_huge_lattice_is_refused_before_it_is_built():
    """20000 x 20000 sites would take minutes and gigabytes to build: refused at once."""
    with pytest.raises(RefusedError, match="about"):
        LiveRun(
            "epstein-2002/run-1",
            {"width": 20000, "height": 20000},
            limits=Limits(max_agents=100_000),
        )


def test_a_country_run_too_large_is_refused_before_its_population_is_built():
    """One agent per citizen of Kazakhstan is 19.8 million agents: refused from the pack's
    populations, before the synthesis (which would take tens of seconds) starts."""
    import time

    t0 = time.perf_counter()
    with pytest.raises(RefusedError, match="about 19,765,004 agents"):
        LiveRun("kazakhstan-2022", {"scale": 1.0}, limits=Limits(max_agents=2_000_000))
    assert time.perf_counter() - t0 < 20


def test_symlinks_never_lead_out_of_an_experiment_folder(tmp_path):
    from tolqyn import models
    from tolqyn.experiments.sweep import sweep
    from tolqyn.scenarios.loader import from_dict

    models.MODELS.setdefault("expcoin", "test_experiments_model:ExpCoinModel")
    root = tmp_path / "exps"
    sc = from_dict(
        {"model": "expcoin", "steps": 5, "seed": 1, "params": {"n_agents": 50}}, name="c"
    )
    sweep(
        sc,
        root / "e1",
        design="grid",
        samples=2,
        params=["p_active"],
        progress=False,
        executor_kind="serial",
    )
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "private.csv").write_text("password\nhunter2\n")
    os.symlink(secret / "private.csv", root / "e1" / "leak.csv")
    os.symlink(secret, root / "e1" / "results" / "point_id=99")
    os.symlink(root / "e1" / "points.parquet", root / "e1" / "inner.parquet")  # even inside
    with Live(experiments_dir=root) as live:
        status, text = live.get("/api/experiment", {"id": "e1"})
        assert status == 200 and "leak.csv" not in text and "inner.parquet" not in text
        status, text = live.get(
            "/api/experiment/download", {"id": "e1", "file": "leak.csv", "format": "csv"}
        )
        assert status == 400 and "hunter2" not in text
        status, text = live.get(
            "/api/experiment/download",
            {"id": "e1", "file": "results (all runs)", "format": "csv"},
        )
        assert status == 200 and "hunter2" not in text
        os.symlink(secret, root / "outside")
        assert live.get("/api/experiment", {"id": "outside"})[0] == 400


def test_serve_warns_beyond_loopback_and_prints_the_right_url():
    from tolqyn.web.commands import is_loopback, serve_url

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    assert serve_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert serve_url("::1", 8000) == "http://[::1]:8000/"
    wild = serve_url("0.0.0.0", 8000)
    assert wild.startswith("http://") and "0.0.0.0" not in wild and "127.0.0.1" not in wild
