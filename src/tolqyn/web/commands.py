"""`tolqyn serve`: start the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_url(host: str, port: int) -> str:
    """The address to open: for a wildcard bind (0.0.0.0, ::) this machine's own address on
    its network (what another machine would type), else the address given."""
    import socket

    h = host.strip("[]")
    if h in ("0.0.0.0", "::", ""):
        try:  # the interface a packet out would use (no packet is sent)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect(("192.0.2.1", 9))
                h = s.getsockname()[0]
        except OSError:
            h = socket.gethostname()
    if ":" in h:
        h = f"[{h}]"
    return f"http://{h}:{port}/"


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        port: int = typer.Option(8000, help="TCP port"),
        host: str = typer.Option(
            "127.0.0.1", help="address to listen on (127.0.0.1: this machine only)"
        ),
        experiments: Optional[Path] = typer.Option(
            None,
            help="directory of stored experiments to browse (default: ./runs, where the tutorials write them)",
        ),
        scenarios: Optional[List[Path]] = typer.Option(
            None,
            help="a folder of your own scenario files to offer besides the built-ins (repeatable)",
        ),
        max_agents: int = typer.Option(2_000_000, help="largest run (agents) a page may start"),
        max_steps: int = typer.Option(10_000, help="longest run (steps) a page may start"),
        max_sessions: int = typer.Option(16, help="pages served at once"),
        open_browser: bool = typer.Option(False, "--open", help="open the dashboard in a browser"),
        allow_host: Optional[List[str]] = typer.Option(
            None,
            "--allow-host",
            help="a host name pages may use to reach the server (besides IP addresses and "
            "localhost; repeatable)",
        ),
    ):
        """Serve the web dashboard (works offline: every script, style and map is packaged)."""
        try:
            import uvicorn

            from tolqyn.web.app import create_app
            from tolqyn.web.runs import Limits
        except ImportError as e:
            typer.secho(
                f"error: the dashboard needs the 'web' extra ({e.name} is missing): "
                "pip install 'tolqyn[web]'",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(2)
        for name, value in (
            ("--port", port),
            ("--max-agents", max_agents),
            ("--max-steps", max_steps),
            ("--max-sessions", max_sessions),
        ):
            if value < (0 if name == "--port" else 1) or (name == "--port" and value > 65535):
                typer.secho(f"error: {name} {value} is out of range", fg=typer.colors.RED, err=True)
                raise typer.Exit(2)
        exp_dir = experiments if experiments is not None else Path("runs")
        limits = Limits(max_agents=max_agents, max_steps=max_steps, max_sessions=max_sessions)
        for d in scenarios or []:
            if not d.is_dir():
                typer.secho(f"error: --scenarios {d}: not a folder", fg=typer.colors.RED, err=True)
                raise typer.Exit(2)
        names = list(allow_host or [])
        if not _is_ip(host) and host not in names:
            names.append(host)  # a name given to --host is one the server answers to
        app_ = create_app(limits, exp_dir, scenarios or [], allowed_hosts=names)
        url = serve_url(host, port)
        typer.echo(f"tolqyn dashboard on {url} (Ctrl+C to stop)")
        if not is_loopback(host):
            typer.secho(
                f"WARNING: listening on {host}, beyond this machine: anyone who can reach "
                f"port {port} can start runs and download the experiments served. Use "
                "--host 127.0.0.1 unless you mean it.",
                fg=typer.colors.YELLOW,
                err=True,
            )
        if open_browser:
            import threading
            import webbrowser

            threading.Timer(1.0, webbrowser.open, args=(url,)).start()
        uvicorn.run(app_, host=host, port=port, log_level="warning", ws_max_size=1 << 20)
