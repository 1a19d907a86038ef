#!/usr/bin/env python
"""Rewrite the regression baseline (tests/baseline/*.json) deliberately and print what moved.

    python scripts/update_baseline.py                 # every built-in scenario
    python scripts/update_baseline.py kazakhstan-2022 epstein-2002/run-2
    python scripts/update_baseline.py --check         # print the diff, write nothing; exit 1 if any

Run it after a change that is meant to move model numbers, read the diff, and commit the
rewritten files together with that change so the move shows up in review.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
if (ROOT / "src").is_dir():
    sys.path.insert(0, str(ROOT / "src"))

from baseline import cases  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="scenarios to update (default: all built-in)")
    ap.add_argument("--check", action="store_true", help="only print the diff; exit 1 if any")
    args = ap.parse_args(argv)

    builtin = cases.names()
    unknown = [n for n in args.names if n not in builtin]
    if unknown:
        import difflib

        near = difflib.get_close_matches(unknown[0], builtin, n=1)
        hint = f" — did you mean '{near[0]}'?" if near else ""
        print(f"error: unknown scenario '{unknown[0]}'{hint}", file=sys.stderr)
        return 2
    todo = args.names or builtin
    stale = [] if args.names else [n for n in cases.stored_names() if n not in builtin]

    t0 = time.perf_counter()
    n_changed = 0
    for name in todo:
        old = cases.load(name)
        new = cases.compute(name)
        changes = cases.diff(old, new) if old is not None else ["new baseline"]
        if changes:
            n_changed += 1
            print(f"== {name}: {len(changes)} change(s)")
            for line in changes:
                print(f"   {line}")
            if not args.check:
                p = cases.path_of(name)
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(cases.dumps(new))
    for name in stale:
        n_changed += 1
        print(f"== {name}: no longer a built-in scenario; baseline removed")
        if not args.check:
            cases.path_of(name).unlink()
    verb = "differ" if args.check else "rewritten"
    print(
        f"{len(todo)} scenario(s) run in {time.perf_counter() - t0:.1f} s; "
        f"{n_changed} {verb}, {len(todo) - n_changed + len(stale)} unchanged"
    )
    return 1 if (args.check and n_changed) else 0


if __name__ == "__main__":
    sys.exit(main())
