"""Packaged region boundaries for the dashboard's maps.

Every `tolqyn/data/<country>/regions.geojson` is a candidate; the file and the feature
property whose values match the most of a run's region codes (e.g. ISO 3166-2 `KZ-47`) win.
Nothing is fetched from the network."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=8)
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def candidates() -> list[Path]:
    return sorted(DATA.glob("*/regions.geojson"))


def find_geometry(regions: list[str]) -> dict | None:
    """{geojson, property, matched, unmatched, attribution} for the best file, or None."""
    wanted = set(regions)
    if not wanted:
        return None
    best = None
    for path in candidates():
        try:
            gj = _load(str(path))
        except (OSError, ValueError):
            continue
        counts: dict[str, set] = {}
        for feat in gj.get("features", []):
            for k, v in (feat.get("properties") or {}).items():
                if isinstance(v, str) and v in wanted:
                    counts.setdefault(k, set()).add(v)
        if not counts:
            continue
        prop, hits = max(counts.items(), key=lambda kv: len(kv[1]))
        if best is None or len(hits) > len(best[2]):
            best = (path, prop, hits, gj)
    if best is None:
        return None
    path, prop, hits, gj = best
    return {
        "country": path.parent.name,
        "property": prop,
        "geojson": gj,
        "matched": sorted(hits),
        "unmatched": sorted(wanted - hits),
        "attribution": gj.get("attribution", ""),
        "license": gj.get("license", ""),
    }
