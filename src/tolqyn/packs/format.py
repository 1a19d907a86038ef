"""The country-pack format: which resources a pack may hold and the Table Schema of each.

A pack is a Frictionless Data Package (https://specs.frictionlessdata.io/data-package/): a
folder with `datapackage.json` listing its resources (CSV files, one optional GeoJSON), each
with a Table Schema, and the pack's sources and licences. docs/packs.md describes every field.

The fields below are the ones tolqyn reads; a pack may carry more columns (they are kept and
ignored). `composition` has one column per group of `groups.csv` (percent of the unit's
population), so its schema is completed per pack (`composition_schema`).
"""

from __future__ import annotations

from typing import Any


def _f(name, type_="string", description="", required=False, **constraints) -> dict[str, Any]:
    c = dict(constraints)
    if required:
        c["required"] = True
    out: dict[str, Any] = {"name": name, "type": type_, "description": description}
    if c:
        out["constraints"] = c
    return out


# indicator tables (forces, media, economy): national rows leave unit_code empty
_INDICATOR_FIELDS = [
    _f("indicator", description="what is measured, e.g. police_personnel", required=True),
    _f("unit_code", description="unit the row is about; empty = national"),
    _f("value", "number", "the value (a number; ranges go into notes)", required=True),
    _f("unit", description="unit of measurement, e.g. persons, share, rials/litre"),
    _f("date", description="date or period of the value (ISO date, year, or range)"),
    _f(
        "param",
        description="model parameter this value sets (a parameter of role 'country'); empty = "
        "context only",
    ),
    _f("basis", description="observed | derived | estimate | assumption"),
    _f("source", description="where the value comes from (address, table, page)"),
    _f("notes", description="anything a reader should know"),
]

RESOURCES: dict[str, dict[str, Any]] = {
    "units": {
        "path": "units.csv",
        "required": True,
        "doc": "first-level administrative units (regions, provinces): one row each",
        "primaryKey": "code",
        "fields": [
            _f(
                "code", description="unit code, e.g. ISO 3166-2 'KZ-47'", required=True, unique=True
            ),
            _f("name", description="English name", required=True),
            _f("population", "integer", "residents", required=True, minimum=1),
            _f(
                "urban_share",
                "number",
                "share of residents in urban places",
                required=True,
                minimum=0,
                maximum=1,
            ),
            _f(
                "urban_population",
                "integer",
                "urban residents (optional; when given it is used exactly, and must agree with "
                "urban_share to 0.001)",
                minimum=0,
            ),
            _f("area_km2", "number", "land area", minimum=0),
            _f("capital", description="administrative centre"),
            _f(
                "centroid_lat",
                "number",
                "latitude of a representative point",
                required=True,
                minimum=-90,
                maximum=90,
            ),
            _f(
                "centroid_lon",
                "number",
                "longitude of a representative point",
                required=True,
                minimum=-180,
                maximum=180,
            ),
            _f("population_date", description="reference date of the population"),
            _f(
                "parent_code",
                description="the unit this one belonged to under the pack's earlier boundaries "
                "(empty = itself); see tolqyn.earlier_basis in datapackage.json",
            ),
            _f("parent_name", description="the parent's name under the earlier boundaries"),
            _f("source", description="source of the row"),
        ],
    },
    "localities": {
        "path": "localities.csv",
        "required": False,
        "doc": "named cities or towns; the rest of each unit's urban and rural population is "
        "split into equal towns and villages (assumptions A-LOC-*)",
        "fields": [
            _f("name", description="city name", required=True),
            _f("unit_code", description="code of its unit in units.csv", required=True),
            _f("population", "integer", "residents", required=True, minimum=1),
            _f("population_date", description="reference date"),
            _f("source", description="source of the row"),
        ],
    },
    "groups": {
        "path": "groups.csv",
        "required": False,
        "doc": "ethnic or language groups; without it the country has one group 'all'",
        "primaryKey": "group",
        "fields": [
            _f(
                "group",
                description="identifier, lower case, e.g. 'azeri'",
                required=True,
                unique=True,
                pattern="^[a-z][a-z0-9_]*$",
            ),
            _f("name", description="name as written"),
            _f(
                "kin_abroad",
                "boolean",
                "the group has a kin state whose television reaches it in its language (the "
                "'foreign TV' of the media diet and the identity mechanism)",
                required=True,
            ),
            _f(
                "ties_abroad_prob",
                "number",
                "probability of close kin or friends abroad",
                required=True,
                minimum=0,
                maximum=1,
            ),
            _f("source", description="source or assumption"),
        ],
    },
    "composition": {
        "path": "composition.csv",
        "required": False,
        "doc": "group shares by unit, percent, one column per group (empty = not reported); "
        "missing groups are filled and the table raked to composition_totals (A-ETH-FILL)",
        "fields": [
            _f("unit_code", description="code of the unit", required=True, unique=True),
            # + one number column per group, added by composition_schema()
            _f(
                "other_listed_pct",
                "number",
                "share of named minor groups known to be in 'other'",
                minimum=0,
                maximum=100,
            ),
            _f(
                "complete",
                "boolean",
                "true: the row is taken as it is (normalised to 100); false: unreported groups "
                "are filled",
                required=True,
            ),
            _f("basis", description="observed | estimate | assumption, with its date"),
            _f("source", description="source or assumption"),
        ],
    },
    "composition_totals": {
        "path": "composition_totals.csv",
        "required": False,
        "doc": "national persons by group (a census), to rake the composition to",
        "primaryKey": "group",
        "fields": [
            _f("group", description="group identifier of groups.csv", required=True, unique=True),
            _f("persons", "integer", "persons in the group nationally", required=True, minimum=0),
            _f("date", description="reference date"),
            _f("source", description="source"),
        ],
    },
    "links": {
        "path": "links.csv",
        "required": False,
        "doc": "ties between units: adjacency (shared border), distance, or other ties "
        "(migration, transport); undirected, each pair once or both ways with equal values",
        "fields": [
            _f("unit_a", description="code of one unit", required=True),
            _f("unit_b", description="code of the other unit", required=True),
            _f(
                "kind",
                description="adjacency | distance | other",
                required=True,
                enum=["adjacency", "distance", "other"],
            ),
            _f("value", "number", "shared border (km), distance (km) or tie strength", minimum=0),
            _f("unit", description="unit of value, e.g. km"),
            _f("source", description="source or method"),
        ],
    },
    "forces": {
        "path": "forces.csv",
        "required": False,
        "doc": "security forces: personnel by force, national or by unit",
        "fields": _INDICATOR_FIELDS,
    },
    "media": {
        "path": "media.csv",
        "required": False,
        "doc": "media and internet use: main news source, internet users, foreign TV",
        "fields": _INDICATOR_FIELDS,
    },
    "economy": {
        "path": "economy.csv",
        "required": False,
        "doc": "economic indicators, national or by unit (unemployment, prices, exchange rate)",
        "fields": _INDICATOR_FIELDS,
    },
}

BOUNDARIES = {
    "path": "boundaries.geojson",
    "required": False,
    "doc": "unit polygons as a GeoJSON FeatureCollection; each feature's properties carry the "
    "unit's code under the key named by tolqyn.boundary_code_property (default 'code')",
}

INDICATOR_RESOURCES = ("forces", "media", "economy")


def composition_schema(groups: list[str]) -> dict[str, Any]:
    """Table Schema of composition.csv for these groups (one percent column per group)."""
    base = RESOURCES["composition"]["fields"]
    cols = [
        _f(
            g,
            "number",
            f"share of group '{g}' in the unit, percent (empty = not reported)",
            minimum=0,
            maximum=100,
        )
        for g in groups
    ]
    return {"fields": [base[0], *cols, *base[1:]], "missingValues": [""]}


def table_schema(resource: str, groups: list[str] | None = None) -> dict[str, Any]:
    if resource == "composition":
        return composition_schema(groups or [])
    spec = RESOURCES[resource]
    out: dict[str, Any] = {"fields": spec["fields"], "missingValues": [""]}
    if "primaryKey" in spec:
        out["primaryKey"] = spec["primaryKey"]
    return out
