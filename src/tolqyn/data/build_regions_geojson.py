"""Build the packaged `kazakhstan/regions.geojson` from the geokz ADM1 2024 boundaries.

Run once, at build time (needs shapely, which tolqyn does not need at run time):

    python -m tolqyn.data.build_regions_geojson SOURCE.geojson [OUT.geojson] [--tolerance 0.01]

Geometry is simplified with Douglas-Peucker (shapely `simplify`, topology preserved per
polygon) and coordinates are rounded to 3 decimals (~100 m), which keeps the file well under
200 KB while staying accurate enough for choropleth maps of first-level units. Shared borders
are simplified independently on each side, so slivers of up to about `tolerance` degrees can
appear between neighbours; the file is for display, not for spatial joins.

The official ISO 3166-2 numeric codes (e.g. KZ-47 for Mangystau) are attached from the KATO
prefix; geokz's own alpha codes (which predate the 2022 reform) are kept as `iso_3166_2_geokz`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ATTRIBUTION = (
    "Boundaries: geokz R package (A. Rodionov), CC BY 4.0, from OCHA HDX COD-AB "
    "Kazakhstan (data.humdata.org/dataset/cod-ab-kaz); simplified (Douglas-Peucker) "
    "for tolqyn. https://creativecommons.org/licenses/by/4.0/"
)

# KATO prefix -> ISO 3166-2:KZ numeric code (ISO newsletter 2022-11); see regions.csv.
_NAMES = {
    "10": "Abai Region",
    "11": "Akmola Region",
    "15": "Aktobe Region",
    "19": "Almaty Region",
    "23": "Atyrau Region",
    "27": "West Kazakhstan Region",
    "31": "Jambyl Region",
    "33": "Jetisu Region",
    "35": "Karaganda Region",
    "39": "Kostanay Region",
    "43": "Kyzylorda Region",
    "47": "Mangystau Region",
    "55": "Pavlodar Region",
    "59": "North Kazakhstan Region",
    "61": "Turkistan Region",
    "62": "Ulytau Region",
    "63": "East Kazakhstan Region",
    "71": "Astana",
    "75": "Almaty",
    "79": "Shymkent",
}


def _round(obj, nd):
    if isinstance(obj, (list, tuple)):
        return [_round(o, nd) for o in obj]
    return round(float(obj), nd)


def build(src: Path, out: Path, tolerance: float = 0.01, digits: int = 3) -> int:
    import shapely
    from shapely.geometry import mapping, shape

    data = json.loads(Path(src).read_text(encoding="utf-8"))
    feats = []
    for f in data["features"]:
        p = f["properties"]
        kato2 = str(p["KATO"])[:2]
        geom = shape(f["geometry"]).simplify(tolerance, preserve_topology=True)
        # snap to a 10^-digits grid; set_precision keeps the result valid (rounding alone
        # can make a ring touch itself, e.g. Akmola around the Astana enclave)
        geom = shapely.set_precision(geom, 10.0**-digits)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        g = mapping(geom)
        feats.append(
            {
                "type": "Feature",
                "properties": {
                    "iso_3166_2": f"KZ-{kato2}",
                    "name_en": _NAMES[kato2],
                    "name_kk": p.get("ADM1_KK"),
                    "name_ru": p.get("ADM1_RU"),
                    "kato": p.get("KATO"),
                    "adm1_pcode": p.get("ADM1_PCODE"),
                    "iso_3166_2_geokz": p.get("ISO_3166_2"),
                    "boundary_year": p.get("Year"),
                },
                "geometry": {"type": g["type"], "coordinates": _round(g["coordinates"], digits)},
            }
        )
    feats.sort(key=lambda f: f["properties"]["iso_3166_2"])
    fc = {
        "type": "FeatureCollection",
        "name": "kazakhstan_adm1_2024_simplified",
        "attribution": ATTRIBUTION,
        "license": "CC-BY-4.0",
        "simplification": {
            "method": "Douglas-Peucker (shapely simplify, preserve_topology)",
            "tolerance_deg": tolerance,
            "coordinate_decimals": digits,
        },
        "features": feats,
    }
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    Path(out).write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument(
        "out", nargs="?", default=str(Path(__file__).parent / "kazakhstan" / "regions.geojson")
    )
    ap.add_argument("--tolerance", type=float, default=0.01)
    ap.add_argument("--digits", type=int, default=3)
    a = ap.parse_args(argv)
    size = build(Path(a.src), Path(a.out), a.tolerance, a.digits)
    print(f"wrote {a.out}: {size} bytes")


if __name__ == "__main__":
    main()
