"""Build the packaged `kazakhstan/region_links.csv` (pairs of first-level units: distance
between centroids and length of shared border) from the packaged boundaries and centroids.

Run once, at build time (NumPy only):

    python -m tolqyn.data.build_region_links [OUT.csv] [--snap-km 8]

Shared border: the boundaries of `regions.geojson` were simplified independently on each
side (build_regions_geojson.py), so neighbours do not share vertices exactly. A vertex of A
counts as on the border with B when it lies within `snap_km` of one of B's boundary
segments; the shared length is the length of A's boundary segments whose two ends both
count, averaged over the two directions (A -> B and B -> A). Enclaves (Astana in Akmola,
Almaty city in Almaty Region, Shymkent in Turkistan) come out as bordering only their host.
Distance: great-circle distance between the polygon centroids of `regions.csv`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

EARTH_KM = 6371.0
HERE = Path(__file__).parent / "kazakhstan"


def _rings(geom) -> list[np.ndarray]:
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return [np.asarray(ring, dtype=np.float64) for poly in polys for ring in poly]


def _to_km(lonlat: np.ndarray, lat0: float) -> np.ndarray:
    """Equirectangular projection around latitude lat0 (error < 1 % over one border)."""
    k = np.pi / 180.0 * EARTH_KM
    return np.column_stack([lonlat[:, 0] * k * np.cos(np.radians(lat0)), lonlat[:, 1] * k])


def _point_segment_km(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from each point p (n, 2) to the nearest of segments a->b (m, 2)."""
    ab = b - a
    ap = p[:, None, :] - a[None, :, :]
    den = np.maximum((ab**2).sum(axis=1), 1e-12)
    t = np.clip((ap * ab[None]).sum(axis=2) / den[None], 0.0, 1.0)
    d = ap - t[:, :, None] * ab[None]
    return np.sqrt((d**2).sum(axis=2)).min(axis=1)


def _shared_km(ra: list[np.ndarray], rb: list[np.ndarray], lat0: float, snap: float) -> float:
    pa = [_to_km(r, lat0) for r in ra]
    pb = [_to_km(r, lat0) for r in rb]
    sa = np.concatenate([r[:-1] for r in pb])
    sb = np.concatenate([r[1:] for r in pb])
    total = 0.0
    for r in pa:
        near = _point_segment_km(r, sa, sb) <= snap
        seg = np.sqrt(((r[1:] - r[:-1]) ** 2).sum(axis=1))
        total += float(seg[near[1:] & near[:-1]].sum())
    return total


def great_circle_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2.0 * EARTH_KM * np.arcsin(np.sqrt(h))


def build(snap_km: float = 8.0) -> list[tuple[str, str, float, float]]:
    import csv

    gj = json.loads((HERE / "regions.geojson").read_text(encoding="utf-8"))
    rings = {f["properties"]["iso_3166_2"]: _rings(f["geometry"]) for f in gj["features"]}
    with open(HERE / "regions.csv", encoding="utf-8") as fh:
        cen = {
            r["iso_3166_2"]: (float(r["centroid_lat"]), float(r["centroid_lon"]))
            for r in csv.DictReader(fh)
        }
    codes = sorted(rings)
    rows = []
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            lat0 = 0.5 * (cen[a][0] + cen[b][0])
            shared = 0.5 * (
                _shared_km(rings[a], rings[b], lat0, snap_km)
                + _shared_km(rings[b], rings[a], lat0, snap_km)
            )
            d = float(great_circle_km(*cen[a], *cen[b]))
            rows.append((a, b, round(d, 1), round(shared, 1)))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=str(HERE / "region_links.csv"))
    ap.add_argument("--snap-km", type=float, default=8.0)
    a = ap.parse_args(argv)
    rows = build(a.snap_km)
    with open(a.out, "w", encoding="utf-8") as fh:
        fh.write("iso_a,iso_b,distance_km,shared_border_km\n")
        for r in rows:
            fh.write(",".join(str(x) for x in r) + "\n")
    print(f"{len(rows)} pairs -> {a.out}")


if __name__ == "__main__":
    main()
