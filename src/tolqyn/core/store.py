"""Atomic writing of one run's directory: results.parquet + manifest.json."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path


def write_run_dir(result, out_dir) -> Path:
    import pyarrow.parquet as pq

    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        pq.write_table(result.to_arrow(), tmp / "results.parquet")
        with open(tmp / "manifest.json", "w") as f:
            json.dump(result.manifest, f, indent=2, default=str)
        if out.exists():
            # replace only the files we own, keep anything else the user put there
            for name in ("results.parquet", "manifest.json"):
                os.replace(tmp / name, out / name)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_run_dir(run_dir):
    """(pyarrow table, manifest dict) of a run directory, with clear errors."""
    import pyarrow.parquet as pq

    from tolqyn.core.errors import TolqynError

    d = Path(run_dir)
    rp, mp = d / "results.parquet", d / "manifest.json"
    if not rp.exists() or not mp.exists():
        raise TolqynError(f"{d}: not a run directory (needs results.parquet and manifest.json)")
    with open(mp) as f:
        manifest = json.load(f)
    return pq.read_table(rp), manifest
