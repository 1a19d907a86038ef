"""Build the packaged Kazakhstan country pack (src/tolqyn/packs/kazakhstan/) from the source
tables of data/kazakhstan/ (read and checked by `tolqyn.data.loaders`).

    python -m tolqyn.data.build_kazakhstan_pack

What goes where (docs/packs.md):
- units.csv: the 20 units since 8 June 2022, BNS population and urban/rural on 1 Jan 2023,
  polygon centroids and areas (regions.csv); `parent_code` / `parent_name` give the 17 units of
  January 2022 (earlier basis 'jan2022').
- localities.csv: the 28 cities of cities_population_2023.csv (city proper, else the city
  administration).
- groups.csv, composition.csv, composition_totals.csv: eight groups; the pack's recommended
  regional rows (reported groups only) plus the five units without data as documented
  assumptions A-ETH-KZ10/19/33/62/63 (complete rows); national 2021-census counts.
- links.csv: adjacency of the 20 units from the boundary polygons (shared border > 1 km).
- forces.csv, media.csv, economy.csv: the values the model's country parameters take, each
  with its source, and context rows.
Numbers are written with Python's repr, so the pack reproduces the source tables exactly.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np

from tolqyn.data import loaders

OUT = Path(__file__).resolve().parents[1] / "packs" / "kazakhstan"
GROUP_NAMES = {
    "kazakh": "Kazakhs",
    "russian": "Russians",
    "uzbek": "Uzbeks",
    "ukrainian": "Ukrainians",
    "uyghur": "Uyghurs",
    "german": "Germans",
    "tatar": "Tatars",
    "other": "other groups",
}
KIN = ("russian", "ukrainian", "german", "tatar")
TIES_ABROAD = (0.10, 0.55, 0.30, 0.45, 0.20, 0.70, 0.35, 0.25)
TIES_SOURCE = (
    "Assumption A-TIES-ABROAD scaled to emigration.csv: ~614k Russians left 1991-96 and Russians "
    "were ~73 % of emigrants in 2019; 480k ethnic Germans left 1992-96 (bpb.de, SOURCES.md §4); "
    "Uzbeks and Uyghurs have cross-border kin."
)

# units without a regional row in the source tables: documented assumptions (percent, in the
# order of GROUP_NAMES), formerly A-ETH-* of data/assumptions.py
ETH_ASSUMED = {
    "KZ-10": (
        (74.0, 21.0, 0.1, 0.8, 0.1, 1.0, 1.2, 1.8),
        "A-ETH-KZ10",
        "Abai Region: constrained by pre-split East Kazakhstan Kazakhs 54.5-55 % / Russians "
        "40.5-41 % (ethnicity_by_region.csv) and 469.7k Russians on 1 Jan 2022 in the pre-split "
        "region (Finprom), split so that the reduced East Kazakhstan keeps the larger share.",
    ),
    "KZ-63": (
        (47.0, 47.5, 0.1, 1.0, 0.1, 1.6, 1.3, 1.4),
        "A-ETH-KZ63",
        "East Kazakhstan after the split: 469.7k Russians in pre-split EKO on 1 Jan 2022 (Finprom "
        "via globalnews.kz) minus the Abai assumption (about 128k) over 730,172 residents.",
    ),
    "KZ-19": (
        (68.0, 12.0, 0.2, 0.5, 8.0, 0.7, 0.8, 9.8),
        "A-ETH-KZ19",
        "Almaty Region after the split: Uyghurs 120k of 297k (BNS Apr 2023 via fergana.news) / "
        "1,505,984 residents = 8.0 %; other values are assumptions.",
    ),
    "KZ-33": (
        (74.0, 14.0, 0.1, 0.6, 6.0, 1.0, 0.8, 3.5),
        "A-ETH-KZ33",
        "Jetisu Region: assumption; the Uyghur share reflects the Panfilov district (Zharkent).",
    ),
    "KZ-62": (
        (80.0, 13.0, 0.1, 1.5, 0.0, 1.5, 1.0, 2.9),
        "A-ETH-KZ62",
        "Ulytau Region: assumption; the former Zhezkazgan oblast is predominantly Kazakh.",
    ),
}

# model parameters of role 'country' the pack sets: (resource, indicator, param, value, unit,
# basis, source)
PARAMS = [
    (
        "forces",
        "police_per_100k",
        "police_per_100k",
        393.0,
        "officers per 100,000",
        "observed",
        "security_forces.csv (Interior Minister, Feb 2020)",
    ),
    (
        "forces",
        "police_street_share",
        "police_street_share",
        0.35,
        "share",
        "assumption",
        "share of police on public-order duty on a given day (docs/odd/country.md)",
    ),
    (
        "forces",
        "police_urban_weight",
        "police_urban_weight",
        2.0,
        "ratio",
        "assumption",
        "police per resident in towns relative to villages (docs/odd/country.md)",
    ),
    (
        "forces",
        "reserve_forces",
        "reserve_forces",
        15000.0,
        "persons",
        "estimate",
        "security_forces.csv (~13,000 NG conscripts; ~5,000 in public-order units per call-up)",
    ),
    (
        "forces",
        "reserve_ramp_days",
        "reserve_ramp_days",
        2.0,
        "days",
        "assumption",
        "days for the national reserve to reach full strength",
    ),
    (
        "media",
        "online_main_source_urban",
        "media_online_share_urban",
        0.40,
        "share",
        "assumption",
        "A-MEDIA-ONLINE-URBAN: TNS 2018 daily reach urban TV 76 %, internet 51 %; "
        "Internews 2022 trust TV 58.1 %, online 34.3 % (misc_indicators.csv, context.csv)",
    ),
    (
        "media",
        "online_main_source_rural",
        "media_online_share_rural",
        0.25,
        "share",
        "assumption",
        "A-MEDIA-ONLINE-RURAL: rural dissatisfaction with internet quality 40.6 % vs "
        "32.1 % urban (misc_indicators.csv)",
    ),
    (
        "media",
        "foreign_tv_share_kin",
        "media_foreign_tv_share_russophone",
        0.55,
        "share",
        "assumption",
        "A-MEDIA-FOREIGN-RU: 185 of 270 foreign channels are Russian (2018); 67 % of "
        "Russian-speakers in 4 cities name TV/radio as main source (misc_indicators.csv)",
    ),
    (
        "media",
        "foreign_tv_share_other",
        "media_foreign_tv_share_other",
        0.20,
        "share",
        "assumption",
        "A-MEDIA-FOREIGN-OTHER: Eurasia First Channel ~20 % weekly TV audience share "
        "(TNS, March 2014; misc_indicators.csv)",
    ),
    (
        "economy",
        "fuel_price_base",
        "fuel_price_base",
        60.0,
        "KZT/litre",
        "observed",
        "LPG retail price in 2021 (unrest_2022.csv: theglobaleye.it; RFE/RL)",
    ),
    (
        "economy",
        "exchange_rate",
        "exchange_rate",
        431.8,
        "KZT/USD",
        "observed",
        "NBK official rate, frozen 3-12 Jan 2022 (context.csv)",
    ),
    (
        "economy",
        "inflation_reference",
        "inflation_reference",
        0.084,
        "1/year",
        "observed",
        "inflation people are used to: 8.4 % in 2021 (IMF WEO, context.csv)",
    ),
]


# the columns of a pack's units.csv, in the order both packaged builders write them
UNIT_COLUMNS = [
    "code",
    "name",
    "population",
    "urban_share",
    "urban_population",
    "area_km2",
    "capital",
    "centroid_lat",
    "centroid_lon",
    "population_date",
    "parent_code",
    "parent_name",
    "source",
]


def _w(path: Path, header: list[str], rows: list[list]) -> None:
    def cell(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, (bool, np.bool_)):
            return "true" if v else "false"
        if isinstance(v, (float, np.floating)):
            return repr(float(v))
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        return str(v)

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([cell(v) for v in r])


def _vertices(geom: dict) -> np.ndarray:
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return np.array([pt[:2] for poly in polys for ring in poly for pt in ring], dtype=float)


def _adjacency(geojson: Path, codes: list[str], tol: float = 0.02, min_pts: int = 3):
    """Units whose boundaries run together: at least `min_pts` vertices of one within `tol`
    degrees of a vertex of the other (the simplified polygons do not share vertices exactly;
    a single touching point does not count)."""
    from scipy.spatial import cKDTree

    feats = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    pts = {f["properties"]["iso_3166_2"]: _vertices(f["geometry"]) for f in feats}
    trees = {c: cKDTree(v) for c, v in pts.items()}
    rows = []
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            if a in pts and b in pts:
                d, _ = trees[b].query(pts[a], distance_upper_bound=tol)
                if int(np.isfinite(d).sum()) >= min_pts:
                    rows.append(
                        [
                            a,
                            b,
                            "adjacency",
                            None,
                            "",
                            "vertices of the regions.geojson "
                            f"polygons within {tol} degrees at {min_pts}+ points",
                        ]
                    )
    return rows


def build(out: Path = OUT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    reg = loaders.regions("current")
    codes = list(reg["iso_3166_2"])
    parent_names = loaders.JAN2022_NAMES
    units = []
    for i, c in enumerate(codes):
        parent = loaders.SPLIT_2022.get(c, "")
        pname = parent_names.get(c, "") if not parent else ""
        units.append(
            [
                c,
                reg["name_en"][i],
                int(reg["population"][i]),
                float(reg["urban_share"][i]),
                int(reg["urban"][i]),
                float(reg["area_km2"][i]),
                reg["capital"][i],
                float(reg["centroid_lat"][i]),
                float(reg["centroid_lon"][i]),
                str(reg["population_date"][i]),
                parent,
                pname,
                "BNS 1 Jan 2023 (regions_population_urban_2023.csv); regions.csv",
            ]
        )
    _w(
        out / "units.csv",
        UNIT_COLUMNS,
        units,
    )
    cit = loaders.cities()
    _w(
        out / "localities.csv",
        ["name", "unit_code", "population", "population_date", "source"],
        [
            [
                cit["city"][i],
                cit["iso_3166_2"][i],
                int(cit["population"][i]),
                "2023-01-01",
                f"BNS 1 Jan 2023, {cit['population_basis'][i]} (cities_population_2023.csv)",
            ]
            for i in range(len(cit))
        ],
    )
    groups = loaders.ETHNIC_GROUPS
    _w(
        out / "groups.csv",
        ["group", "name", "kin_abroad", "ties_abroad_prob", "source"],
        [[g, GROUP_NAMES[g], g in KIN, TIES_ABROAD[k], TIES_SOURCE] for k, g in enumerate(groups)],
    )
    rec = loaders.ethnicity_recommended()
    rows_by = {c: i for i, c in enumerate(rec["iso_3166_2"])}
    comp = []
    for c in codes:
        if c in ETH_ASSUMED:
            v, aid, text = ETH_ASSUMED[c]
            comp.append([c, *v, None, True, f"assumption {aid}", text])
        elif c in rows_by:
            i = rows_by[c]
            shares = [rec[f"{g}_pct"][i] for g in groups[:-1]]
            comp.append(
                [
                    c,
                    *shares,
                    None,
                    float(rec["other_listed_pct"][i]),
                    False,
                    f"pack row ({rec['data_date'][i] or 'undated'})",
                    rec["source"][i],
                ]
            )
    _w(
        out / "composition.csv",
        ["unit_code", *groups, "other_listed_pct", "complete", "basis", "source"],
        comp,
    )
    census = loaders.census_2021_national()
    _w(
        out / "composition_totals.csv",
        ["group", "persons", "date", "source"],
        [
            [
                g,
                census[g],
                "2021-10-01",
                "2021 census (ethnicity_by_region_2021.csv, row KZ); "
                "'other' = total minus the named groups",
            ]
            for g in groups
        ],
    )
    _w(
        out / "links.csv",
        ["unit_a", "unit_b", "kind", "value", "unit", "source"],
        _adjacency(loaders.DATA_DIR / "regions.geojson", codes),
    )
    ind = ["indicator", "unit_code", "value", "unit", "date", "param", "basis", "source", "notes"]
    by_res: dict[str, list] = {"forces": [], "media": [], "economy": []}
    for res, name, param, value, unit, basis, src in PARAMS:
        by_res[res].append([name, "", value, unit, "2022-01", param, basis, src, ""])
    un = loaders.unemployment()
    for i, c in enumerate(un["iso_3166_2"]):
        if c != "KZ" and not np.isnan(un["u2021_Y"][i]):
            by_res["economy"].append(
                [
                    "unemployment_pct",
                    c,
                    float(un["u2021_Y"][i]),
                    "%",
                    "2021",
                    "",
                    "observed",
                    "unemployment_by_region_2020_2022.csv (BNS)",
                    un["boundary_note"][i],
                ]
            )
    for res, rows in by_res.items():
        _w(out / f"{res}.csv", ind, rows)
    shutil.copyfile(loaders.DATA_DIR / "regions.geojson", out / "boundaries.geojson")
    from tolqyn.packs.format import RESOURCES, table_schema

    resources = []
    for name in RESOURCES:
        resources.append(
            {
                "name": name,
                "path": RESOURCES[name]["path"],
                "profile": "tabular-data-resource",
                "format": "csv",
                "encoding": "utf-8",
                "description": RESOURCES[name]["doc"],
                "schema": table_schema(name, list(groups)),
            }
        )
    resources.append(
        {
            "name": "boundaries",
            "path": "boundaries.geojson",
            "format": "geojson",
            "mediatype": "application/geo+json",
            "description": "simplified first-level boundaries (geokz / OCHA COD-AB)",
            "licenses": [
                {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}
            ],
        }
    )
    meta = {
        "name": "kazakhstan",
        "title": "Kazakhstan: first-level units, cities, ethnic composition, forces, media, economy",
        "description": "Built by tolqyn.data.build_kazakhstan_pack from data/kazakhstan/ "
        "(see SOURCES.md there). Units are the 20 since 8 June 2022; the earlier basis "
        "'jan2022' merges Abai, Jetisu and Ulytau into their January-2022 parents.",
        "version": "1.0.0",
        "profile": "data-package",
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0 (tables compiled from official "
                "statistics; boundaries CC BY 4.0, geokz / OCHA)",
            }
        ],
        "sources": [
            {
                "title": "Bureau of National Statistics of Kazakhstan (BNS): population on 1 Jan "
                "2023, 2021 census, unemployment",
                "path": "https://stat.gov.kz",
            },
            {
                "title": "geokz R package / OCHA HDX COD-AB Kazakhstan (boundaries, centroids)",
                "path": "https://data.humdata.org/dataset/cod-ab-kaz",
            },
            {"title": "per-row sources: src/tolqyn/data/kazakhstan/SOURCES.md and SOURCES2.md"},
        ],
        "tolqyn": {
            "country_code": "KZ",
            "earlier_basis": "jan2022",
            "earlier_basis_doc": "the 17 units of January 2022 (before the split of 8 June 2022)",
            "boundary_code_property": "iso_3166_2",
        },
        "resources": resources,
    }
    (out / "datapackage.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return out


if __name__ == "__main__":
    print(build())
