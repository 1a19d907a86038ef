"""The documentation site builds with MkDocs in strict mode (a broken link or a page missing
from the navigation fails), from the README, the tutorials, the ODD, the ADRs and the results."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    out = tmp_path / "site"
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    index = (out / "index.html").read_text()
    assert "Quick start" in index and "What the flagship scenario shows" in index
    for page in (
        "tutorials/python-api.html",
        "tutorials/experiments.html",
        "tutorials/notebook.html",
        "odd/country.html",
        "adr/0001-counter-based-random-streams.html",
        "literature.html",
        "changelog.html",
        "results/calibration-kazakhstan-2022/index.html",
    ):
        assert (out / page).exists(), page
    # README links into docs/ are site links, links outside docs/ are repository paths
    assert 'href="odd/country.html"' in index
    assert "benchmarks/results/vs_mesa.md</code> in the repository" in index
