"""Every ```python block of docs/tutorials/*.md runs, in order, in a fresh namespace per file;
every code cell of the jupytext percent scripts docs/tutorials/*.py (the notebook tutorials)
runs in order too, as a notebook kernel would run them."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs" / "tutorials"
FILES = sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text())
NOTEBOOKS = sorted(DOCS.glob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_tutorial_runs(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)
    assert blocks
    ns: dict = {"__name__": "__tutorial__"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"{path.name}[block {i}]", "exec"), ns)


def test_there_is_a_notebook_tutorial():
    assert [p.name for p in NOTEBOOKS] == ["notebook.py"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_tutorial_runs(path, tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    monkeypatch.chdir(tmp_path)
    nb = jupytext.read(path)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert len(cells) >= 5
    ns: dict = {"__name__": "__main__"}  # a notebook's namespace; it has no script file
    for i, cell in enumerate(cells):
        exec(compile(cell.source, f"{path.name}[cell {i}]", "exec"), ns)
    if path.name == "notebook.py":
        assert (tmp_path / "replay.png").stat().st_size > 10_000
        assert (tmp_path / "no-shutdown.png").stat().st_size > 10_000
        # the counterfactual without the shutdown: the paired difference has bands (4 seeds)
        diff = ns["diff"]
        assert (diff[0.95] >= diff[0.5]).all() and (diff[0.5] >= diff[0.05]).all()
