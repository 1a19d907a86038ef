"""Every command of the README runs, in order, in a temporary directory, and every TOML block
(named by its first line, `# file.toml`) is written there first and validated.

Commands that are long on purpose run at a reduced size; the mapping is below, in plain view,
and each entry must still match a README command (a stale mapping fails the test)."""

import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# the README's size -> the size the test runs (same command otherwise)
REDUCED = {
    "--scale 100": "--scale 4000",  # kazakhstan-2022: 198,000 agents -> 4,900
    "--scale 500": "--scale 20000",  # kazakhstan-exit: 40,000 agents -> 1,000
    "--set width=1000 --set height=1000": "--set width=200 --set height=200",
    "--steps 200": "--steps 20",
}
# options added to commands whose README form has no size option at all
ADDED = {
    "exit-whatif": ["--draws", "2", "--scale", "20000", "--workers", "1"],
    "exit-report": ["--draws", "2", "--scale", "20000", "--no-exit-voice", "--workers", "1"],
    "calibrate kazakhstan-2022": [
        "--population",
        "4",
        "--generations",
        "1",
        "--predictive",
        "2",
        "--set",
        "scale=20000",
        "--serial",
    ],  # fmt: skip
}
# lines that are not run here, and why
NOT_RUN = {
    "make demo": "the setup itself; its run is the README's `tolqyn run kazakhstan-2022` line",
    "make test": "runs this test suite",
    "source .venv/bin/activate": "a shell built-in; the tests run the installed package",
    "python scripts/update_baseline.py --check": "tests/test_baseline.py makes the same check",
    "python scripts/update_baseline.py": "rewrites the repository's baselines, on purpose only",
    "git add": "a maintainer's commit",
}


def _not_run(line: str) -> bool:
    return any(line == k or line.startswith(k + " ") for k in NOT_RUN)


def readme_blocks():
    return re.findall(r"```(bash|toml)\n(.*?)```", README.read_text(), flags=re.S)


def readme_commands():
    cmds = []
    for kind, body in readme_blocks():
        if kind != "bash":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line:
                cmds.append(line)
    return cmds


def test_every_readme_line_is_run_or_said_why_not():
    for line in readme_commands():
        assert line.startswith("tolqyn ") or _not_run(line), line


def _reduce(line: str) -> list[str]:
    for long, short in REDUCED.items():
        line = line.replace(long, short)
    args = shlex.split(line)[1:]
    for key, extra in ADDED.items():
        if " ".join(args).startswith(key):
            args += extra
    return args


def test_reductions_are_current():
    cmds = readme_commands()
    for long in REDUCED:
        assert any(long in c for c in cmds), f"REDUCED entry {long!r} matches no README command"
    for key in ADDED:
        assert any(c.startswith("tolqyn " + key) for c in cmds), key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_once(args: list[str], cwd: Path) -> str:
    """`tolqyn serve` runs until stopped: start it, fetch the page, stop it."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tolqyn.cli", *args, "--port", str(port)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    return r.read().decode()
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.slow
def test_readme_commands_run(tmp_path, monkeypatch):
    from tolqyn.cli import app

    monkeypatch.chdir(tmp_path)
    for kind, body in readme_blocks():
        if kind == "toml":
            first, _, _ = body.partition("\n")
            name = first.lstrip("# ").strip()
            assert name.endswith(".toml"), "a README TOML block must start with '# file.toml'"
            (tmp_path / name).write_text(body)
    outputs = {}
    for line in readme_commands():
        if _not_run(line):
            continue
        args = _reduce(line)
        if args[0] == "serve":
            page = _serve_once(args, tmp_path)
            assert "<html" in page.lower()
            outputs[line] = page
            continue
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 0, f"{line}\n  ran as: tolqyn {' '.join(args)}\n{r.output}"
        outputs[line] = r.output
    by_cmd = {line.split()[1]: out for line, out in outputs.items()}
    assert "kazakhstan-2022/no-shutdown" in by_cmd["list"]
    assert "ok: my-scenario" in by_cmd["validate"]
    assert (tmp_path / "runs" / "kz" / "report.html").exists()
    assert (tmp_path / "runs" / "run2-real" / "report.html").exists()
    assert (tmp_path / "runs" / "exit" / "report.html").exists()
    assert "comparison:" in by_cmd["compare"]
    # the report's region table names each region beside its code (the names were empty once)
    html = (tmp_path / "runs" / "kz" / "report.html").read_text()
    assert re.search(r"KZ-11</td><td[^>]*>Akmola Region</td>", html)
    # every report page the README makes, seen in headless Chromium (test-artifacts/reports/)
    from test_report import screenshot_pages

    from tolqyn.report import markdown_page

    runs = tmp_path / "runs"
    pages = {f"readme-{d}": runs / d / "report.html" for d in ("kz", "run2-real", "exit")}
    pages["readme-compare"] = next(runs.glob("compare_*.html"))
    pages["readme-exit-report"] = markdown_page(runs / "exit-report" / "report.md")
    screenshot_pages(pages, skip=False)
