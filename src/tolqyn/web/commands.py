"""`tolqyn serve`: start the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        port: int = typer.Option(8000, help="TCP port"),
        host: str = typer.Option(
            "127.0.0.1", help="address to listen on (127.0.0.1: this machine only)"
        ),
        experiments: Optional[Path] = typer.Option(
            None, help="directory of stored experiments to browse (default: ./experiments)"
        ),
        scenarios: Optional[List[Path]] = typer.Option(
            None,
            help="a folder of your own scenario files to offer besides the built-ins (repeatable)",
        ),
        max_agents: int = typer.Option(2_000_000, help="largest run (agents) a page may start"),
        max_steps: int = typer.Option(10_000, help="longest run (steps) a page may start"),
        max_sessions: int = typer.Option(16, help="pages served at once"),
        open_browser: bool = typer.Option(False, "--open", help="open the dashboard in a browser"),
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
        exp_dir = experiments if experiments is not None else Path("experiments")
        limits = Limits(max_agents=max_agents, max_steps=max_steps, max_sessions=max_sessions)
        for d in scenarios or []:
            if not d.is_dir():
                typer.secho(f"error: --scenarios {d}: not a folder", fg=typer.colors.RED, err=True)
                raise typer.Exit(2)
        app_ = create_app(limits, exp_dir, scenarios or [])
        url = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}/"
        typer.echo(f"tolqyn dashboard on {url} (Ctrl+C to stop)")
        if open_browser:
            import threading
            import webbrowser

            threading.Timer(1.0, webbrowser.open, args=(url,)).start()
        uvicorn.run(app_, host=host, port=port, log_level="warning", ws_max_size=1 << 20)
