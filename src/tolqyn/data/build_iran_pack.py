"""Build the packaged Iran pack (src/tolqyn/packs/iran/) from the input tables of
data/iran/ (copied from the project's Iran data folder; SOURCES.md there).

    python -m tolqyn.data.build_iran_pack

Inputs only: the folder has no figures on casualties, arrests, participation or protest
locations, and none are used. What the pack lacks is a documented assumption (basis
'assumption' with the reason in notes):
- groups: Iran's census records neither ethnicity nor mother tongue, and no shares by province
  exist, so the pack has one group ('all'), no composition and no kin-state television; the
  national estimates are kept as context rows in media.csv notes.
- forces by province: none public; national rows only (police per 100,000 from the Law
  Enforcement Force's about 300,000 personnel with conscripts, the basis of Kazakhstan's figure;
  the reserve from the Basij's 90,000 staff).
- media diet: internet users 69 % (Nov 2019), satellite TV viewers 42 % (IRIB 2013).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from tolqyn.data.build_kazakhstan_pack import UNIT_COLUMNS, _w

SRC = Path(__file__).resolve().parent / "iran"
OUT = Path(__file__).resolve().parents[1] / "packs" / "iran"
POP_2016 = 79_926_270

# model parameters of role 'country': (resource, indicator, param, value, unit, basis, source,
# notes)
PARAMS = [
    (
        "forces",
        "police_per_100k",
        "police_per_100k",
        375.0,
        "officers per 100,000",
        "estimate",
        "national_indicators.csv police_naja_personnel_total (about 300,000, about half of them "
        "conscripts: Golkar 2012 via GlobalSecurity.org)",
        "300,000 / 79.9 million (2016 census) = 375: the whole Law Enforcement Force with its "
        "conscripts, the same basis as the Kazakhstan pack's 393 (every Interior Ministry police "
        "officer). Other figures: 40,000-60,000 on duty (CRS 2013), 100,000-120,000 (2004 "
        "estimate), about 500,000 with conscripts and reserves. The earlier 75 (60,000, on-duty "
        "basis) left the no-trigger variant protesting in every province within three days, "
        "where Kazakhstan's stays quiet: an input on a different basis, not a finding",
    ),
    (
        "forces",
        "reserve_forces",
        "reserve_forces",
        90000.0,
        "persons",
        "assumption",
        "national_indicators.csv basij_active (90,000 staff, CSIS 2005)",
        "the forces the state can add under emergency: the Basij's staff (not its 600,000 'available "
        "for mission' or the IRGC's 100,000-150,000 ground forces); a lower-end choice",
    ),
    (
        "media",
        "online_main_source_urban",
        "media_online_share_urban",
        0.45,
        "share",
        "assumption",
        "national_indicators.csv internet_users_2019_share (69 %, RFE/RL Nov 2019); "
        "satellite_tv_news_daily_2021 (41 %, GAMAAN)",
        "main news source online: below the 69 % who use the internet, as in the Kazakhstan pack "
        "(51 % reach -> 0.40)",
    ),
    (
        "media",
        "online_main_source_rural",
        "media_online_share_rural",
        0.30,
        "share",
        "assumption",
        "national_indicators.csv (no urban/rural split of internet use)",
        "rural below urban, by the same ratio as the Kazakhstan pack's assumption",
    ),
    (
        "media",
        "foreign_tv_share_kin",
        "media_foreign_tv_share_russophone",
        0.42,
        "share",
        "assumption",
        "no group with kin abroad in this pack; set like the rest of the population",
        "unused while no group has kin_abroad",
    ),
    (
        "media",
        "foreign_tv_share_other",
        "media_foreign_tv_share_other",
        0.42,
        "share",
        "estimate",
        "national_indicators.csv satellite_tv_viewers_share_irib_2013 (42 % watch "
        "satellite channels, IRIB research 2013)",
        "foreign TV = Persian-language satellite channels (BBC Persian, Manoto, Iran International)",
    ),
    (
        "economy",
        "fuel_price_base",
        "fuel_price_base",
        10000.0,
        "rials/litre",
        "observed",
        "national_indicators.csv petrol_price_regular_before",
        "regular petrol until 14 Nov 2019",
    ),
    (
        "economy",
        "inflation_reference",
        "inflation_reference",
        0.42,
        "1/year",
        "observed",
        "national_indicators.csv inflation_12m_mehr_1398 (42.0 %, SCI)",
        "inflation people were used to: the 12-month average of the month before",
    ),
]


def build(out: Path = OUT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    prov = list(csv.DictReader(open(SRC / "provinces.csv", encoding="utf-8")))
    units = []
    for p in prov:
        pop, urb = int(p["population_2016"]), int(p["urban_pop_2016"])
        units.append(
            [
                p["iso_3166_2"],
                p["name_en"],
                pop,
                urb / pop,
                urb,
                float(p["area_km2_sci"]),
                p["capital"],
                float(p["centroid_lat"]),
                float(p["centroid_lon"]),
                "2016-09-24",
                "",
                "",
                "SCI census 2016 (provinces.csv); rural includes the "
                "unsettled (nomadic) population",
            ]
        )
    _w(
        out / "units.csv",
        UNIT_COLUMNS,
        units,
    )
    cities = list(csv.DictReader(open(SRC / "cities.csv", encoding="utf-8")))
    _w(
        out / "localities.csv",
        ["name", "unit_code", "population", "population_date", "source"],
        [
            [
                c["city_en"],
                c["province_iso"],
                int(c["population_2016"]),
                "2016-09-24",
                "SCI census 2016 (cities.csv; cities of about 100,000 or more)",
            ]
            for c in cities
        ],
    )
    _w(
        out / "groups.csv",
        ["group", "name", "kin_abroad", "ties_abroad_prob", "source"],
        [
            [
                "all",
                "all residents",
                False,
                0.2,
                "assumption: no shares by province exist (the census records no ethnicity); close kin or "
                "friends abroad set at 0.2, between the Kazakhstan pack's majority (0.1) and 'other' "
                "(0.25) groups; no survey in the input folder",
            ]
        ],
    )
    adj = list(csv.DictReader(open(SRC / "adjacency.csv", encoding="utf-8")))
    _w(
        out / "links.csv",
        ["unit_a", "unit_b", "kind", "value", "unit", "source"],
        [
            [
                a["iso_a"],
                a["iso_b"],
                "adjacency",
                float(a["shared_boundary_km"]),
                "km",
                "adjacency.csv (OpenStreetMap polygons, shared boundary length)",
            ]
            for a in adj
        ],
    )
    ind = ["indicator", "unit_code", "value", "unit", "date", "param", "basis", "source", "notes"]
    rows: dict[str, list] = {"forces": [], "media": [], "economy": []}
    for res, name, param, value, unit, basis, src, notes in PARAMS:
        rows[res].append([name, "", value, unit, "2019-11", param, basis, src, notes])
    for p in prov:
        if p["unemployment_1398_autumn_pct"]:
            rows["economy"].append(
                [
                    "unemployment_pct",
                    p["iso_3166_2"],
                    float(p["unemployment_1398_autumn_pct"]),
                    "%",
                    "autumn 1398 (23 Sep - 21 Dec 2019)",
                    "",
                    "observed",
                    "provinces.csv (SCI Labour Force Survey via MCLSW yearbook)",
                    "",
                ]
            )
    rows["economy"].append(
        [
            "unemployment_pct",
            "",
            10.6,
            "%",
            "autumn 1398",
            "",
            "observed",
            "national_indicators.csv unemployment_1398 (quarterly 10.6)",
            "",
        ]
    )
    for res, r in rows.items():
        _w(out / f"{res}.csv", ind, r)
    shutil.copyfile(SRC / "provinces.geojson", out / "boundaries.geojson")
    shutil.copyfile(SRC / "SOURCES.md", out / "SOURCES.md")
    from tolqyn.packs.format import RESOURCES, table_schema

    resources = []
    for name in RESOURCES:
        if not (out / RESOURCES[name]["path"]).exists():
            continue
        resources.append(
            {
                "name": name,
                "path": RESOURCES[name]["path"],
                "profile": "tabular-data-resource",
                "format": "csv",
                "encoding": "utf-8",
                "description": RESOURCES[name]["doc"],
                "schema": table_schema(name, ["all"]),
            }
        )
    resources.append(
        {
            "name": "boundaries",
            "path": "boundaries.geojson",
            "format": "geojson",
            "mediatype": "application/geo+json",
            "description": "province polygons, OpenStreetMap (ODbL)",
            "licenses": [{"name": "ODbL-1.0", "path": "https://www.openstreetmap.org/copyright"}],
        }
    )
    meta = {
        "name": "iran",
        "title": "Iran: 31 provinces (2016 census), cities, adjacency, forces, media, economy",
        "description": "Built by tolqyn.data.build_iran_pack from data/iran/ (SOURCES.md). "
        "Inputs only; no outcomes of November 2019.",
        "version": "1.0.0",
        "profile": "data-package",
        "licenses": [
            {
                "name": "ODbL-1.0",
                "path": "https://www.openstreetmap.org/copyright",
                "title": "boundaries and adjacency derive from OpenStreetMap (ODbL); tables "
                "compiled from SCI statistics (see SOURCES.md)",
            }
        ],
        "sources": [
            {"title": "Statistical Centre of Iran, census 2016", "path": "https://www.amar.org.ir"},
            {"title": "OpenStreetMap province boundaries", "path": "https://www.openstreetmap.org"},
            {"title": "per-row sources: SOURCES.md"},
        ],
        "tolqyn": {
            "country_code": "IR",
            "earlier_basis": None,
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
