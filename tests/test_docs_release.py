"""A release you can install: `python -m build` makes an sdist and a wheel; the wheel (not an
editable install) goes into a fresh virtual environment and runs the flagship scenario at a
coarse scale, from a directory outside the source tree, without downloading anything.

The fresh environment reuses the dependencies already installed beside the test runner (a
`.pth` file pointing at their site-packages: pip installs the wheel with --no-deps --no-index),
so the test needs no network. It costs about 15 s to build and, because the installed copy's
kernels are compiled afresh, about a minute to run."""

import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: build with the setuptools installed here (the test extra pins it), so
    # nothing is fetched; the isolated default is what `python -m build` does on a clean machine
    r = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out


def test_build_makes_wheel_and_sdist_with_the_package_data(dist):
    v = _version()
    wheel = dist / f"tolqyn-{v}-py3-none-any.whl"
    sdist = dist / f"tolqyn-{v}.tar.gz"
    assert wheel.exists() and sdist.exists(), sorted(p.name for p in dist.iterdir())
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "tolqyn/scenarios/library/kazakhstan-2022.toml",
        "tolqyn/data/kazakhstan/regions.csv",
        "tolqyn/data/kazakhstan/SOURCES.md",
        "tolqyn/web/static/index.html",
        "tolqyn/exit_decade/calibrated/posterior.csv",
        "tolqyn/describe.py",
        f"tolqyn-{v}.dist-info/licenses/LICENSE",
    ):
        assert needed in names, needed
    with tarfile.open(sdist) as t:
        members = {m.split("/", 1)[1] for m in t.getnames() if "/" in m}
    assert {"README.md", "LICENSE", "pyproject.toml"} <= members


def test_wheel_installs_in_a_fresh_venv_and_runs(dist, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    # the dependencies: those installed beside this test runner, appended after the venv's own
    here = [p for p in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}]
    (site / "zz_tolqyn_test_deps.pth").write_text("\n".join(here) + "\n")
    wheel = next(dist.glob("tolqyn-*.whl"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NUMBA_CACHE_DIR")}
    env["PIP_NO_INDEX"] = "1"
    r = subprocess.run(
        [py, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    work = tmp_path / "work"
    work.mkdir()
    info = subprocess.check_output(
        [py, "-c", "import tolqyn; print(tolqyn.__file__); print(tolqyn.__version__)"],
        cwd=work,
        env=env,
        text=True,
    ).split()
    assert info[0].startswith(str(site)), info  # the installed copy, not the source tree
    assert info[1] == _version()
    tolqyn_exe = env_dir / "bin" / "tolqyn"
    r = subprocess.run(
        [tolqyn_exe, "run", "kazakhstan-2022", "--scale", "20000", "--out", "kz", "--report"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "compiling the simulation kernels" in r.stdout + r.stderr  # a fresh install is cold
    assert re.search(r"kazakhstan-2022: 34 steps, [\d,]+ agents", r.stdout)
    assert (work / "kz" / "results.parquet").exists() and (work / "kz" / "report.html").exists()
