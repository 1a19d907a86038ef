"""Runs every `$ tolqyn ...` command of docs/tutorials/experiments.md, in order, in a
temporary directory, and checks that each succeeds and says something sensible."""

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

DOC = Path(__file__).resolve().parent.parent / "docs" / "tutorials" / "experiments.md"


def blocks():
    text = DOC.read_text()
    return re.findall(r"```(console|toml)\n(.*?)```", text, flags=re.S)


def test_tutorial_commands_run(tmp_path, monkeypatch):
    import numba

    from tolqyn.cli import app

    monkeypatch.chdir(tmp_path)
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    outputs = []
    try:
        for kind, body in blocks():
            if kind == "toml":
                first, _, rest = body.partition("\n")
                name = first.lstrip("# ").strip()
                assert name.endswith(".toml"), first
                (tmp_path / name).write_text(rest)
                continue
            for line in body.splitlines():
                if not line.startswith("$ tolqyn "):
                    continue
                args = shlex.split(line[len("$ tolqyn ") :])
                r = CliRunner().invoke(app, args)
                assert r.exit_code == 0, f"{line}\n{r.output}\n{r.exception!r}"
                outputs.append((args[0], r.output))
    finally:
        numba.set_num_threads(old)
    cmds = [c for c, _ in outputs]
    assert cmds == [
        "sweep", "sweep", "query", "query", "discover", "sensitivity", "calibrate",
        "report", "report", "report",
    ]  # fmt: skip
    assert "24 run now" in outputs[0][1] and "24 already done, 0 run now" in outputs[1][1]
    assert "threshold_mean" in outputs[2][1]
    assert "tutorial-sweep" in outputs[3][1] and "ok" in outputs[3][1]
    assert "CART" in outputs[4][1] and "PRIM" in outputs[4][1]
    assert "mu*" in outputs[5][1]
    assert "posterior (90% interval)" in outputs[6][1] and "threshold_mean" in outputs[6][1]
    assert (tmp_path / "runs" / "tutorial-calibration" / "posterior.parquet").exists()
    for name in ("tutorial-sweep", "tutorial-morris", "tutorial-calibration"):
        assert (tmp_path / "runs" / name / "report.html").exists()
    assert "Scenario discovery" in (tmp_path / "runs/tutorial-sweep/report.html").read_text()
