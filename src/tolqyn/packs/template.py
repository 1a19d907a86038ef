"""`tolqyn pack new DIR`: a small, valid pack to start from, with comments on every file.

The template is a two-unit country ('Ruritania', codes XR-01 and XR-02) with every resource of
the format filled in, so that `tolqyn pack validate DIR` passes and a scenario can run on it
at once; each CSV is explained in README.md (CSV has no comments), each column in
datapackage.json. Replace the rows with your country's.
"""

from __future__ import annotations

import json
from pathlib import Path

from tolqyn.core.errors import ScenarioError
from tolqyn.packs.format import BOUNDARIES, RESOURCES, table_schema

FILES = {
    "units.csv": """code,name,population,urban_share,urban_population,area_km2,capital,centroid_lat,centroid_lon,population_date,parent_code,parent_name,source
XR-01,Northland,600000,0.7,420000,12000,Nordburg,45.2,20.1,2020-01-01,,,census 2020 (example)
XR-02,Southland,400000,0.4,160000,18000,Sudstadt,44.1,20.6,2020-01-01,,,census 2020 (example)
""",
    "localities.csv": """name,unit_code,population,population_date,source
Nordburg,XR-01,250000,2020-01-01,census 2020 (example)
Sudstadt,XR-02,90000,2020-01-01,census 2020 (example)
""",
    "groups.csv": """group,name,kin_abroad,ties_abroad_prob,source
majority,Ruritanians,false,0.1,assumption (example)
minority,Borduvians,true,0.4,assumption (example)
other,other groups,false,0.2,assumption (example)
""",
    "composition.csv": """unit_code,majority,minority,other,other_listed_pct,complete,basis,source
XR-01,85,12,3,,true,observed 2020,census 2020 (example)
XR-02,60,,,,false,estimate 2019,survey (example): minority share not reported
""",
    "composition_totals.csv": """group,persons,date,source
majority,750000,2020-01-01,census 2020 (example)
minority,210000,2020-01-01,census 2020 (example)
other,40000,2020-01-01,census 2020 (example)
""",
    "links.csv": """unit_a,unit_b,kind,value,unit,source
XR-01,XR-02,adjacency,140,km,shared border length (example)
XR-01,XR-02,distance,160,km,road distance between capitals (example)
""",
    "forces.csv": """indicator,unit_code,value,unit,date,param,basis,source,notes
police_per_100k,,300,officers per 100000,2020,police_per_100k,observed,interior ministry (example),
reserve_forces,,2000,persons,2020,reserve_forces,estimate,defence white paper (example),riot units
police_personnel,XR-01,2000,persons,2020,,observed,regional police (example),context only
""",
    "media.csv": """indicator,unit_code,value,unit,date,param,basis,source,notes
online_main_source_urban,,0.45,share,2020,media_online_share_urban,observed,media survey (example),
online_main_source_rural,,0.25,share,2020,media_online_share_rural,observed,media survey (example),
foreign_tv_share_kin,,0.5,share,2020,media_foreign_tv_share_russophone,estimate,audience data (example),TV-first members of groups with kin_abroad
foreign_tv_share_other,,0.1,share,2020,media_foreign_tv_share_other,estimate,audience data (example),
internet_users_share,,0.8,share,2020,,observed,ITU (example),context only
""",
    "economy.csv": """indicator,unit_code,value,unit,date,param,basis,source,notes
fuel_price_base,,1.2,currency/litre,2020,fuel_price_base,observed,price regulator (example),
exchange_rate,,4.0,currency/USD,2020,exchange_rate,observed,central bank (example),
inflation_reference,,0.05,1/year,2020,inflation_reference,observed,statistics office (example),
unemployment_pct,XR-01,6.5,%,2020,,observed,labour force survey (example),
unemployment_pct,XR-02,11.0,%,2020,,observed,labour force survey (example),
""",
}

README = """# A country pack

A Frictionless Data Package (https://specs.frictionlessdata.io/data-package/) that tolqyn reads
as a country (docs/packs.md). `datapackage.json` lists the resources with a Table Schema for
each (column names, types, constraints and a description of every column), and the pack's
sources and licences. Check it with `tolqyn pack validate .`; name it in a scenario with
`country = "path/to/this/folder"`.

The rows are an example (a two-unit country, 'Ruritania'); replace them with your country's.

{files}

Empty cells mean 'not known'. A row of forces.csv, media.csv or economy.csv whose `param` names
a model parameter of role 'country' sets that parameter for every scenario on this pack (a
scenario can still override it); rows without `param` are context. Record every value's source;
write `assumption` in `basis` where there is none, and say why in `notes`.
"""


def new_pack(directory: str | Path, name: str | None = None) -> Path:
    out = Path(directory)
    if out.exists() and any(out.iterdir()):
        raise ScenarioError(
            "folder exists and is not empty; choose a new folder", source=str(out), field="DIR"
        )
    out.mkdir(parents=True, exist_ok=True)
    for fname, text in FILES.items():
        (out / fname).write_text(text, encoding="utf-8")
    groups = [ln.split(",")[0] for ln in FILES["groups.csv"].splitlines()[1:]]
    resources = [
        {
            "name": rname,
            "path": spec["path"],
            "profile": "tabular-data-resource",
            "format": "csv",
            "encoding": "utf-8",
            "description": spec["doc"],
            "schema": table_schema(rname, groups),
        }
        for rname, spec in RESOURCES.items()
    ]
    meta = {
        "name": name or out.name.lower().replace(" ", "-"),
        "title": "Ruritania (example pack; replace with your country)",
        "description": "Written by `tolqyn pack new`. See README.md and docs/packs.md.",
        "version": "0.1.0",
        "profile": "data-package",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "sources": [{"title": "name each source here (statistics office, census, survey)"}],
        "tolqyn": {
            "country_code": "XR",
            "earlier_basis": None,
            "boundary_code_property": "code",
            "optional_boundaries": BOUNDARIES["doc"],
        },
        "resources": resources,
    }
    (out / "datapackage.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    files = "\n".join(
        f"- `{spec['path']}`{' (required)' if spec['required'] else ''}: {spec['doc']}"
        for spec in RESOURCES.values()
    )
    files += (
        f"\n- `{BOUNDARIES['path']}` (optional, add it to datapackage.json): {BOUNDARIES['doc']}"
    )
    (out / "README.md").write_text(README.format(files=files), encoding="utf-8")
    return out
