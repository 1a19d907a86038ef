"""Where a command will write, checked before any work is done: a run that takes an hour must
not fail at the end because its output directory is a file, lies under a file or cannot be
written, and an earlier run must not be overwritten (or half-kept) by accident."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tolqyn.core.errors import TolqynError

# the files a run directory holds; --overwrite removes exactly these (and nothing the user
# put beside them)
RUN_FILES = ("results.parquet", "manifest.json", "report.html")


class OutputError(TolqynError):
    """An output location that cannot or must not be written."""


def prepare_out_dir(out, *, overwrite: bool = False, what: str = "--out", files=RUN_FILES) -> Path:
    """Check `out` (and create it): refuse '' and paths that are files, lie under a file or
    are not writable; refuse a directory that already holds a run unless `overwrite`, in
    which case the previous run's files (results, manifest, report) are removed first."""
    if out is None or str(out).strip() == "":
        raise OutputError(f"{what}: empty path; give a directory, e.g. {what} runs/mine")
    text = str(out)
    if "\x00" in text:
        raise OutputError(f"{what}: a path cannot contain a NUL character")
    p = Path(text).expanduser()
    try:
        if p.exists() and not p.is_dir():
            raise OutputError(f"{what} {p}: is a file, not a directory")
        # the nearest existing ancestor must be a directory we may write into
        anc = p
        while not anc.exists():
            if anc.parent == anc:
                break
            anc = anc.parent
        if not anc.is_dir():
            raise OutputError(f"{what} {p}: lies under {anc}, which is a file")
        if not os.access(anc, os.W_OK | os.X_OK):
            raise OutputError(f"{what} {p}: {anc} is not writable")
        if p.is_dir():
            old = [f for f in files if (p / f).exists()]
            if old and not overwrite:
                raise OutputError(
                    f"{what} {p}: already holds a run ({', '.join(old)}); pass --overwrite to "
                    "replace it or choose another --out"
                )
            for f in old:
                (p / f).unlink()
        p.mkdir(parents=True, exist_ok=True)
        # a real write: catches read-only file systems and permissions os.access misses
        fd, probe = tempfile.mkstemp(prefix=".tolqyn-write-check-", dir=p)
        os.close(fd)
        os.unlink(probe)
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(f"{what} {p}: cannot write there ({e.strerror or e})") from None
    return p
