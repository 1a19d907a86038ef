"""The dashboard server: a Starlette app with a few JSON routes and one WebSocket per page.

Each page owns its runs through its WebSocket: two pages never see each other's runs, and
closing a page (or losing it: no heartbeat) stops its runs. Sims are stepped on one worker
thread shared by all pages, so the event loop stays responsive and compiled kernels are
never entered from two threads at once."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from tolqyn.core.errors import TolqynError
from tolqyn.web import geo
from tolqyn.web.runs import Catalog, Limits, LiveRun, RefusedError, scenario_summary

STATIC = Path(__file__).parent / "static"
SPEEDS = (0, 1, 2, 5, 10, 20, 50, 100)  # steps per second; 0 = as fast as possible
HEARTBEAT_TIMEOUT_S = 45.0  # a page that stays silent this long is gone
MAX_MESSAGE_BYTES = 64 * 1024
MAX_NUMBER_DIGITS = 20  # digits of one number in a page's message (2^63 has 19)
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def host_of(header: str) -> str:
    """The host name of a Host header or an Origin's netloc, without the port, lower case."""
    h = (header or "").strip().lower()
    if h.startswith("["):  # [::1]:8000
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """A page may reach the server by an IP address (a browser sends the address it
    connects to) or by a name the server was told about; any other name is what DNS
    rebinding would send, so it is refused."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return host in LOOPBACK_NAMES or host in allowed


class HostGuard:
    """ASGI middleware: refuse HTTP requests and WebSockets whose Host header names a host
    this server does not answer to (HTTP 421 / WebSocket close 1008)."""

    def __init__(self, app, allowed_hosts=()):
        self.app = app
        self.allowed = tuple(h.lower() for h in allowed_hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers") or [])
            host = host_of(headers.get(b"host", b"").decode("latin-1"))
            if not host_allowed(host, self.allowed):
                if scope["type"] == "http":
                    resp = JSONResponse(
                        {"error": f"host {host!r} is not served here"}, status_code=421
                    )
                    await resp(scope, receive, send)
                else:
                    await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)


def origin_ok(origin: str | None, host_header: str) -> bool:
    """A WebSocket from a browser carries the Origin of the page that opened it: it must be
    this server's own page (same host and port as the Host the browser connected to).
    Clients that are not browsers send no Origin and cannot be driven by another site."""
    if origin is None:
        return True
    from urllib.parse import urlsplit

    try:
        u = urlsplit(origin)
    except ValueError:
        return False
    if u.scheme not in ("http", "https") or not u.netloc:
        return False
    return u.netloc.lower() == (host_header or "").strip().lower()


def _bounded_int(text: str):
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"number with more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _bounded_float(text: str):
    x = float(text)
    if not math.isfinite(x):
        raise ValueError("number out of range")
    return x


def _no_constant(name: str):
    raise ValueError(f"{name} is not allowed")


def parse_message(text: str) -> dict:
    """A page's JSON message with bounded numbers (no NaN/Infinity, at most 20 digits) and
    bounded nesting; anything else is a ValueError with a one-line reason."""
    from tolqyn.scenarios.loader import check_values

    try:
        msg = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(msg, dict):
        raise ValueError("not an object")
    try:
        check_values(msg, "message")
    except TolqynError as e:
        raise ValueError(str(e)) from None
    return msg


class Session:
    """The runs of one page: views ('country', 'classic'), each with slots ('base', 'alt')."""

    def __init__(self, server: "Server", ws: WebSocket):
        self.server = server
        self.ws = ws
        self.views: dict[str, dict] = {}
        self.send_lock = asyncio.Lock()
        self.sim_lock = asyncio.Lock()
        self.last_seen = time.monotonic()
        self.busy = 0
        self.closed = False

    # ------------------------------------------------------------ plumbing
    async def send(self, msg: dict) -> None:
        if self.closed:
            return
        async with self.send_lock:
            try:
                await self.ws.send_text(json.dumps(msg, allow_nan=False))
            except Exception:
                self.closed = True

    async def error(self, message: str, view: str | None = None, field: str | None = None) -> None:
        await self.send({"type": "error", "view": view, "message": message, "field": field})

    async def compute(self, fn, *args):
        self.busy += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.server.executor, fn, *args)
        finally:
            self.busy -= 1
            self.last_seen = time.monotonic()

    def view(self, name) -> dict:
        if name not in ("country", "classic"):
            raise TolqynError(f"unknown view {name!r}; expected 'country' or 'classic'")
        return self.views.setdefault(
            name, {"slots": {}, "playing": False, "speed": 10, "task": None, "config": {}}
        )

    async def close(self) -> None:
        self.closed = True
        for v in self.views.values():
            v["playing"] = False
            if v["task"] is not None:
                v["task"].cancel()
            v["slots"].clear()
        self.views.clear()

    # ------------------------------------------------------------ messages
    async def handle(self, msg: dict) -> None:
        op = msg.get("op")
        if op == "ping":
            await self.send({"type": "pong", "t": msg.get("t")})
            return
        name = msg.get("view", "country")
        try:
            v = self.view(name)
            if op == "setup":
                await self.setup(name, v, msg)
            elif op == "step":
                await self.pause(name, v)
                n = msg.get("n", 1)
                if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 1000:
                    raise TolqynError("'n' must be an integer from 1 to 1000")
                await self.advance(name, v, n)
            elif op == "play":
                await self.play(name, v)
            elif op == "pause":
                await self.pause(name, v)
            elif op == "speed":
                s = msg.get("value")
                if s not in SPEEDS:
                    raise TolqynError(f"speed must be one of {', '.join(map(str, SPEEDS))} steps/s")
                v["speed"] = s
                await self.state(name, v)
            elif op == "reset":
                await self.pause(name, v)
                for slot, cfg in list(v["config"].items()):
                    await self.setup(name, v, {**cfg, "slot": slot})
            elif op == "inject":
                await self.inject(name, v, msg)
            elif op == "drop":
                slot = msg.get("slot")
                if slot == "base":
                    raise TolqynError("the baseline cannot be dropped; press reset instead")
                v["slots"].pop(slot, None)
                v["config"].pop(slot, None)
                await self.send({"type": "dropped", "view": name, "slot": slot})
            else:
                raise TolqynError(f"unknown operation {op!r}")
        except RefusedError as e:
            await self.send({"type": "refused", "view": name, "message": str(e)})
        except TolqynError as e:
            await self.error(str(e), name, getattr(e, "field", None))

    async def setup(self, name: str, v: dict, msg: dict) -> None:
        slot = msg.get("slot", "base")
        if slot not in ("base", "alt"):
            raise TolqynError("slot must be 'base' or 'alt'")
        if slot == "alt" and "base" not in v["slots"]:
            raise TolqynError("set up the baseline first, then the counterfactual")
        await self.pause(name, v)
        held = sum(len(w["slots"]) for w in self.views.values())
        new = slot not in v["slots"] and not (slot == "base" and v["slots"])
        if new and held >= self.server.limits.max_runs_per_session:
            raise RefusedError(
                f"this page already holds {held} runs (at most "
                f"{self.server.limits.max_runs_per_session}); drop one or press reset"
            )
        cfg = {
            "scenario": msg.get("scenario"),
            "params": msg.get("params") or {},
            "seed": msg.get("seed"),
            "steps": msg.get("steps"),
        }
        if slot == "alt":
            base = v["slots"]["base"]
            if cfg["seed"] in (None, ""):
                cfg["seed"] = base.sim.seed  # common random numbers: same seed as baseline
            if cfg["steps"] in (None, ""):
                cfg["steps"] = base.n_steps
        limits = self.server.limits
        await self.send({"type": "busy", "view": name, "message": f"setting up {cfg['scenario']}…"})
        cat = self.server.catalog
        run = LiveRun(cfg["scenario"], cfg["params"], cfg["seed"], cfg["steps"], limits, cat)
        async with self.sim_lock:
            await self.compute(run.init)
        if slot == "base":
            v["slots"].clear()
            v["config"] = {}
        elif "base" in v["slots"]:
            # the counterfactual restarts the baseline so both stand at the same step
            base_cfg = v["config"]["base"]
            base = LiveRun(
                base_cfg["scenario"],
                base_cfg["params"],
                base_cfg["seed"],
                base_cfg["steps"],
                limits,
                cat,
            )
            async with self.sim_lock:
                await self.compute(base.init)
            v["slots"]["base"] = base
            await self.send_setup(name, "base", base)
        v["slots"][slot] = run
        v["config"][slot] = cfg
        await self.send_setup(name, slot, run)
        await self.state(name, v)

    async def send_setup(self, name, slot, run: LiveRun) -> None:
        await self.send({"type": "setup", "view": name, "slot": slot, "info": run.info()})
        await self.send_frame(name, slot, run)

    async def send_frame(self, name, slot, run: LiveRun) -> None:
        rows = run.new_rows()
        msg = {"type": "frame", "view": name, "slot": slot, "t": run.t, "rows": rows}
        if run.done and not run.error:
            msg["observed"] = run.observed()  # verdicts of the scenario's observed targets
        lat = run.lattice()
        if lat is not None:
            w, h, data = lat
            msg["lattice"] = {"width": w, "height": h, "cells": base64.b64encode(data).decode()}
        await self.send(msg)
        if run.error:
            await self.error(f"{slot} run stopped: {run.error}", name)

    async def state(self, name: str, v: dict) -> None:
        slots = v["slots"]
        await self.send(
            {
                "type": "state",
                "view": name,
                "playing": v["playing"],
                "speed": v["speed"],
                "t": {s: r.t for s, r in slots.items()},
                "n_steps": {s: r.n_steps for s, r in slots.items()},
                "done": all(r.done for r in slots.values()) if slots else True,
            }
        )

    async def advance(self, name: str, v: dict, n: int) -> int:
        slots = v["slots"]
        if not slots:
            raise TolqynError("press setup first")
        async with self.sim_lock:
            taken = 0
            for slot, run in list(slots.items()):
                taken = max(taken, await self.compute(run.step, n))
        for slot, run in list(slots.items()):
            await self.send_frame(name, slot, run)
            if any(e["step"] == run.t for e in run.events()):
                await self.send(
                    {"type": "events", "view": name, "slot": slot, "events": run.events()}
                )
        await self.state(name, v)
        return taken

    async def play(self, name: str, v: dict) -> None:
        if not v["slots"]:
            raise TolqynError("press setup first")
        if v["playing"]:
            return
        if all(r.done for r in v["slots"].values()):
            raise TolqynError("the run has reached its last step; press reset to run again")
        v["playing"] = True
        v["task"] = asyncio.create_task(self._play_loop(name, v))
        await self.state(name, v)

    async def pause(self, name: str, v: dict) -> None:
        task = v.get("task")
        v["playing"] = False
        if task is not None and task is not asyncio.current_task():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=30)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
                pass
        v["task"] = None
        await self.state(name, v)

    async def _play_loop(self, name: str, v: dict) -> None:
        try:
            while v["playing"] and not self.closed:
                t0 = time.monotonic()
                speed = v["speed"]
                n = 1 if speed else self._fast_batch(v)
                t_step = time.monotonic()
                taken = await self.advance(name, v, n)
                v["_step_s"] = (time.monotonic() - t_step) / max(taken, 1)
                if taken == 0 or all(r.done for r in v["slots"].values()):
                    v["playing"] = False
                    await self.state(name, v)
                    break
                wait = (1.0 / speed - (time.monotonic() - t0)) if speed else 0.0
                await asyncio.sleep(max(wait, 0.0))
        except asyncio.CancelledError:
            pass
        except Exception as e:  # never let one page's failure escape
            v["playing"] = False
            await self.error(f"run stopped: {type(e).__name__}: {e}", name)

    @staticmethod
    def _fast_batch(v) -> int:
        """Steps per frame at full speed: about 0.1 s of work, at least one step."""
        per = v.get("_step_s") or 0.05
        return int(min(200, max(1, 0.1 / max(per, 1e-5))))

    async def inject(self, name: str, v: dict, msg: dict) -> None:
        target = msg.get("slot", "base")
        slots = v["slots"]
        if not slots:
            raise TolqynError("press setup first")
        chosen = list(slots) if target == "both" else [target]
        for s in chosen:
            if s not in slots:
                raise TolqynError(f"no {s!r} run to inject into")
        async with self.sim_lock:
            done = [
                (s, slots[s].inject(msg.get("action"), msg.get("params"), msg.get("label", "")))
                for s in chosen
            ]
        for s, ev in done:
            await self.send(
                {
                    "type": "events",
                    "view": name,
                    "slot": s,
                    "events": slots[s].events(),
                    "injected": ev,
                }
            )


class Server:
    def __init__(self, limits: Limits, experiments_dir: Path | None, catalog: Catalog):
        self.limits = limits
        self.catalog = catalog
        self.experiments_dir = experiments_dir
        self.sessions: set[Session] = set()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tolqyn-sim")
        self._scenarios: list[dict] | None = None

    def scenarios(self) -> list[dict]:
        if self._scenarios is None:
            out = []
            for name in self.catalog.names():
                try:
                    sc = self.catalog.load(name)
                    out.append(
                        {
                            "name": name,
                            "model": sc.model,
                            "steps": sc.steps,
                            "start_date": sc.start_date,
                            "description": (sc.description.strip().splitlines() or [""])[0],
                        }
                    )
                except Exception as e:  # a broken built-in shows up, it does not hide the rest
                    out.append({"name": name, "model": None, "error": str(e)})
            self._scenarios = out
        return self._scenarios


def create_app(
    limits: Limits | None = None,
    experiments_dir: str | Path | None = None,
    scenario_dirs=(),
    allowed_hosts=(),
) -> Starlette:
    """The dashboard app. `scenario_dirs`: folders of extra scenario files to offer;
    `allowed_hosts`: host names (besides IP addresses and localhost) the server answers to."""
    server = Server(
        limits or Limits(),
        Path(experiments_dir) if experiments_dir else None,
        Catalog(scenario_dirs),
    )

    async def index(request: Request):
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def api_scenarios(request: Request):
        return JSONResponse(
            {
                "scenarios": await asyncio.to_thread(server.scenarios),
                "limits": server.limits.__dict__,
            }
        )

    async def api_scenario(request: Request):
        name = request.query_params.get("name", "")
        return JSONResponse(await asyncio.to_thread(scenario_summary, name, server.catalog))

    async def api_geo(request: Request):
        regions = [r for r in request.query_params.get("regions", "").split(",") if r]
        found = await asyncio.to_thread(geo.find_geometry, regions)
        if found is None:
            return JSONResponse(
                {"error": "no packaged boundaries match these regions"}, status_code=404
            )
        return JSONResponse(found)

    async def api_experiments(request: Request):
        from tolqyn.web import experiments as ex

        return JSONResponse(await asyncio.to_thread(ex.list_experiments, server.experiments_dir))

    async def api_experiment(request: Request):
        from tolqyn.web import experiments as ex

        return JSONResponse(
            await asyncio.to_thread(
                ex.experiment_detail, server.experiments_dir, request.query_params.get("id", "")
            )
        )

    async def api_experiment_download(request: Request):
        from tolqyn.web import experiments as ex

        exp_id = request.query_params.get("id", "")
        fname = request.query_params.get("file", "")
        fmt = request.query_params.get("format", "parquet")
        data, media, out_name = await asyncio.to_thread(
            ex.download, server.experiments_dir, exp_id, fname, fmt
        )
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{out_name}"'},
        )

    async def api_health(request: Request):
        return JSONResponse({"ok": True, "sessions": len(server.sessions)})

    async def ws_endpoint(ws: WebSocket):
        if not origin_ok(ws.headers.get("origin"), ws.headers.get("host", "")):
            await ws.close(code=1008)  # another site's page may not drive runs here
            return
        await ws.accept()
        if len(server.sessions) >= server.limits.max_sessions:
            await ws.send_text(
                json.dumps(
                    {
                        "type": "refused",
                        "view": None,
                        "message": f"this server already serves {len(server.sessions)} "
                        "pages; close one and reload",
                    }
                )
            )
            await ws.close(code=1013)
            return
        sess = Session(server, ws)
        server.sessions.add(sess)
        watchdog = asyncio.create_task(_watchdog(sess))
        await sess.send({"type": "hello", "speeds": list(SPEEDS), "limits": server.limits.__dict__})
        try:
            while True:
                text = await ws.receive_text()
                sess.last_seen = time.monotonic()
                if len(text) > MAX_MESSAGE_BYTES:
                    await sess.error("message too large")
                    continue
                try:
                    msg = parse_message(text)
                except ValueError as e:
                    await sess.error(f"malformed message: {e}")
                    continue
                # requests are handled in order; 'play' runs in its own task, so 'pause' and
                # 'inject' are heard while a run plays
                await _guarded(sess, msg)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            watchdog.cancel()
            server.sessions.discard(sess)
            await sess.close()

    async def _guarded(sess: Session, msg: dict):
        try:
            await sess.handle(msg)
        except Exception as e:
            await sess.error(f"internal error: {type(e).__name__}: {e}", msg.get("view"))

    async def _watchdog(sess: Session):
        while not sess.closed:
            await asyncio.sleep(5)
            if not sess.busy and time.monotonic() - sess.last_seen > HEARTBEAT_TIMEOUT_S:
                await sess.close()
                try:
                    await sess.ws.close(code=1001)
                except Exception:
                    pass
                return

    async def tolqyn_error(request: Request, exc: TolqynError):
        return JSONResponse(
            {"error": str(exc), "field": getattr(exc, "field", None)}, status_code=400
        )

    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    async def any_error(request: Request, exc: Exception):
        return JSONResponse(
            {"error": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500
        )

    routes = [
        Route("/", index),
        Route("/api/health", api_health),
        Route("/api/scenarios", api_scenarios),
        Route("/api/scenario", api_scenario),
        Route("/api/geo", api_geo),
        Route("/api/experiments", api_experiments),
        Route("/api/experiment", api_experiment),
        Route("/api/experiment/download", api_experiment_download),
        WebSocketRoute("/ws", ws_endpoint),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            TolqynError: tolqyn_error,
            HTTPException: http_error,
            Exception: any_error,
        },
    )
    app.add_middleware(HostGuard, allowed_hosts=tuple(allowed_hosts))
    app.state.server = server
    return app
