"""The command line, in process (Typer's runner) and once as a real subprocess."""

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tolqyn.cli import app

runner = CliRunner()


def test_run_writes_results_and_manifest(coin_toml, tmp_path):
    out = tmp_path / "run"
    r = runner.invoke(
        app,
        [
            "run",
            str(coin_toml),
            "--seed",
            "3",
            "--steps",
            "7",
            "--set",
            "p_active=0.5",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 3 and m["steps"] == 7 and m["parameters"]["p_active"] == 0.5
    assert (out / "results.parquet").exists()
    r = runner.invoke(app, ["report", str(out)])
    assert r.exit_code == 0, r.output
    html = (out / "report.html").read_text()
    assert "<img" in html and "coin" in html


def test_bad_set_value_is_refused_and_writes_nothing(coin_toml, tmp_path):
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", str(coin_toml), "--set", "p_active=7", "--out", str(out)])
    assert r.exit_code == 2
    assert "p_active" in r.output and "[0, 1]" in r.output
    assert "Traceback" not in r.output
    assert not out.exists()
    r = runner.invoke(app, ["run", str(coin_toml), "--set", "p_actve=0.2", "--out", str(out)])
    assert r.exit_code == 2 and "did you mean 'p_active'" in r.output
    assert not out.exists()


def test_validate_and_describe(coin_toml, tmp_path):
    r = runner.invoke(app, ["validate", str(coin_toml)])
    assert r.exit_code == 0 and "ok:" in r.output
    bad = tmp_path / "bad.toml"
    bad.write_text("model = 'coin'\n[params\n")
    r = runner.invoke(app, ["validate", str(bad)])
    assert r.exit_code == 2 and "bad.toml" in r.output and "malformed TOML" in r.output
    r = runner.invoke(app, ["describe", str(coin_toml), "--json"])
    assert r.exit_code == 0
    d = json.loads(r.output)
    p = {x["name"]: x for x in d["parameters"]}
    assert p["p_active"]["value"] == 0.25 and p["p_active"]["high"] == 1.0 and p["p_active"]["doc"]
    r = runner.invoke(app, ["describe", "no-such-scenario"])
    assert r.exit_code == 2 and "unknown scenario" in r.output


def test_compare_two_runs(coin_toml, tmp_path):
    for name, p in (("a", "0.2"), ("b", "0.6")):
        r = runner.invoke(
            app,
            [
                "run",
                str(coin_toml),
                "--set",
                f"p_active={p}",
                "--out",
                str(tmp_path / name),
                "--quiet",
            ],
        )
        assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c.html")],
    )
    assert r.exit_code == 0, r.output
    html = (tmp_path / "c.html").read_text()
    assert "p_active" in html and "Parameters that differ" in html


def test_report_on_missing_dir_is_clear(tmp_path):
    r = runner.invoke(app, ["report", str(tmp_path)])
    assert r.exit_code == 2 and "not a run directory" in r.output


def test_console_script_lists_builtins():
    exe = Path(sys.executable).parent / "tolqyn"
    r = subprocess.run([str(exe), "list"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "ERROR" not in r.stdout
