"""The engine stands on its own: importing `tolqyn.core` loads no outer layer, and no file in
core/ names a module above it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "src" / "tolqyn" / "core"


def test_core_imports_no_outer_module_in_a_fresh_interpreter():
    code = (
        "import sys, tolqyn.core.sim, tolqyn.core.registry, tolqyn.core.store\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('tolqyn'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = [m for m in out.stdout.strip().split(",") if m]
    outer = [m for m in loaded if m != "tolqyn" and not m.startswith("tolqyn.core")]
    assert outer == [], f"tolqyn.core pulled in outer modules: {outer}"
    assert "tolqyn.core.sim" in loaded


def test_no_core_file_names_an_outer_module():
    pattern = re.compile(r"\btolqyn\.(?!core\b)[a-z_]+")
    offenders = []
    for path in CORE.glob("*.py"):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if ("import" in line or "importlib" in line) and pattern.search(line):
                offenders.append(f"{path.name}:{i}: {line.strip()}")
    assert offenders == []


def test_version_comes_from_package_metadata():
    from importlib import metadata

    import tolqyn

    assert tolqyn.__version__ == metadata.version("tolqyn")
