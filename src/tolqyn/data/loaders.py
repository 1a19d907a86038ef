"""Schema-validated loaders for the packaged Kazakhstan data pack (`data/kazakhstan/`).

Every CSV has a declared schema (column names, types, ranges). A broken file raises a
`DataError` that names the file, the row, the field and the allowed range, instead of a
traceback from deep inside a parser. Loaders return `Table`s: a column name -> NumPy array
mapping (numbers as float64 with NaN for empty cells, or int64 where a column may not be
empty; text as object arrays; dates as datetime64[D] with NaT).

Only the standard library and NumPy are imported here; pandas/pyarrow are imported lazily by
`Table.to_pandas()` / `Table.to_arrow()`.

Region units. The pack's regional tables use the 20 first-level units that exist since
8 June 2022 (ISO 3166-2 numeric codes). In January 2022 there were 17: Abai (KZ-10) was part
of East Kazakhstan (KZ-63), Jetisu (KZ-33) part of Almaty Region (KZ-19) and Ulytau (KZ-62)
part of Karaganda (KZ-35). `regions(basis="current")` returns the 20 units, each with its
January-2022 parent in `iso_jan2022`; `regions(basis="jan2022")` merges them into the 17 units
of January 2022 (keeping the parent's code, so KZ-19 then means the pre-split Almaty Region).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from tolqyn.core.errors import ScenarioError

DATA_DIR = Path(__file__).resolve().parent / "kazakhstan"

# January-2022 parent of each unit created on 8 June 2022 (decree of 4 May 2022; SOURCES.md §1).
SPLIT_2022 = {"KZ-10": "KZ-63", "KZ-33": "KZ-19", "KZ-62": "KZ-35"}
# Names of the parents as they were in January 2022 (before the split; Astana was Nur-Sultan).
JAN2022_NAMES = {
    "KZ-19": "Almaty Region (incl. Jetisu)",
    "KZ-35": "Karaganda Region (incl. Ulytau)",
    "KZ-63": "East Kazakhstan Region (incl. Abai)",
    "KZ-71": "Nur-Sultan",
}

ETHNIC_GROUPS = ["kazakh", "russian", "uzbek", "ukrainian", "uyghur", "german", "tatar", "other"]

_ISO_RE = re.compile(r"^KZ(-\d{2})?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUM_RE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


class DataError(ScenarioError):
    """A packaged (or user-supplied) data file does not match its schema."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "str"  # str | text | code | int | float | date | choice
    nullable: bool = False  # may a cell be empty?
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    doc: str = ""

    def allowed(self) -> str:
        k = self.kind
        if k == "code":
            return "an ISO 3166-2:KZ code such as 'KZ-47' (or 'KZ' for national rows)"
        if k == "date":
            return "a date YYYY-MM-DD"
        if k == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if k in ("int", "float"):
            lo = "-inf" if self.low is None else f"{self.low:g}"
            hi = "inf" if self.high is None else f"{self.high:g}"
            return f"{'an integer' if k == 'int' else 'a number'} in [{lo}, {hi}]"
        return "non-empty text"


def _S(name, nullable=False, doc=""):
    return Field(name, "str", nullable, doc=doc)


def _T(name):  # free text, may be empty
    return Field(name, "text", True)


def _F(name, low=None, high=None, nullable=True, doc=""):
    return Field(name, "float", nullable, low, high, doc=doc)


def _I(name, low=0, high=None, nullable=False, doc=""):
    return Field(name, "int", nullable, low, high, doc=doc)


def _C(name, nullable=False):
    return Field(name, "code", nullable)


_POP_MAX = 25_000_000
_ETH = [f"{g}_pct" for g in ETHNIC_GROUPS[:-1]]

SCHEMAS: dict[str, list[Field]] = {
    "regions.csv": [
        _C("iso_3166_2"),
        _I("kato_prefix", 10, 79),
        _S("name_en"),
        _S("name_kk"),
        _S("name_ru"),
        _S("unit_type"),
        _S("capital"),
        _S("pre2022_origin_or_change"),
        _F("centroid_lat", 40.0, 56.0, nullable=False),
        _F("centroid_lon", 46.0, 88.0, nullable=False),
        _T("centroid_note"),
        _F("area_km2_official", 100, 400_000),
        _T("area_official_source"),
        _F("area_km2_computed", 100, 400_000, nullable=False),
        _F("population_2023_01_01", 1e5, 3e6),
        _T("population_2023_source"),
        _F("population_latest", 1e5, 3e6),
        _T("population_latest_date"),
        _T("population_latest_source"),
        _F("urban_share_pct", 0, 100),
        _T("urban_share_date"),
        _T("urban_share_source"),
    ],
    "regions_population_urban_2023.csv": [
        _C("iso_3166_2"),
        _S("name_en"),
        _S("name_kk_in_source"),
        Field("date", "date"),
        _I("population_total", 1, _POP_MAX),
        _I("male", 0, _POP_MAX),
        _I("female", 0, _POP_MAX),
        _I("urban", 0, _POP_MAX),
        _I("rural", 0, _POP_MAX),
        _F("urban_share_pct_derived", 0, 100, nullable=False),
        _T("urban_share_note"),
        _F("population_c_oct2022_geokz", 1e4, _POP_MAX),
        _T("source"),
    ],
    "cities_population_2023.csv": [
        _S("city_en"),
        _S("name_in_source_kk"),
        _C("iso_3166_2_unit_post2022"),
        _S("unit_post2022"),
        _S("unit_pre2022_jan2022"),
        _F("pop_city_proper_2023_01_01", 1000, 5e6),
        _F("pop_city_administration_2023_01_01", 1000, 5e6),
        _T("source"),
        _T("notes"),
    ],
    "ethnicity_by_region_2021.csv": [
        _S("unit_name_en"),
        _C("iso_3166_2"),
        _S("boundary_basis"),
        _T("data_date"),
        _S("data_basis"),
        *[_F(c, 0, 100) for c in _ETH],
        _T("other_groups_listed_pct"),
        _F("other_pct", 0, 100),
        *[_F(f"{g}_n", 0, _POP_MAX) for g in ETHNIC_GROUPS[:-1]],
        _F("total_n", 0, _POP_MAX),
        _S("recommended_for_model"),
        _T("source"),
        _T("notes"),
    ],
    # first-pass ethnicity file: some cells are approximate text such as "~71"
    "ethnicity_by_region.csv": [
        _S("region_name_en"),
        _C("iso_3166_2"),
        _S("boundary_basis"),
        _S("data_date"),
        _S("data_basis"),
        _F("total_population", 0, _POP_MAX),
        *[f for g in ETHNIC_GROUPS for f in (_F(f"{g}_n", 0, _POP_MAX), _T(f"{g}_pct"))],
        _T("source"),
        _T("notes"),
    ],
    "unrest_2022.csv": [
        _S("date"),
        _T("time_local"),
        _S("city"),
        _T("region"),
        _S("event_type"),
        _S("description"),
        _T("count_value"),
        _T("count_unit"),
        _T("source"),
    ],
    "unrest_2022_regions.csv": [
        _C("iso_3166_2"),
        _S("unit_post2022"),
        _S("unit_in_jan2022"),
        _T("key_cities"),
        _T("first_protest_date"),
        _S("first_date_basis"),
        _S("clashes_with_security_forces"),
        _T("clashes_evidence"),
        _S("building_attack_or_seizure"),
        _T("building_evidence"),
        _T("participants_reported"),
        _T("state_of_emergency_from"),
        _T("state_of_emergency_lifted"),
        _T("casualties_detentions_reported"),
        _T("sources"),
        _T("notes"),
    ],
    "security_forces.csv": [
        _S("indicator"),
        _T("value"),
        _T("unit"),
        _T("date_or_period"),
        _S("scope"),
        _S("basis"),
        _T("source"),
        _T("notes"),
    ],
    "emigration.csv": [
        _S("year"),
        _S("period"),
        *[
            _F(c, -1e6, 1e6)
            for c in (
                "emigrants_total",
                "immigrants_total",
                "net_migration",
                "emig_to_CIS",
                "emig_to_nonCIS",
                "emig_to_russia",
                "emig_to_germany",
            )
        ],
        _F("dest_russia_share_pct", 0, 100),
        _F("dest_germany_share_pct", 0, 100),
        *[
            _F(c, 0, 1e6)
            for c in (
                "emig_russians",
                "emig_germans",
                "emig_ukrainians",
                "emig_kazakhs",
                "emig_tatars",
            )
        ],
        _F("share_russians_pct", 0, 100),
        _F("share_germans_pct", 0, 100),
        _F("share_ukrainians_pct", 0, 100),
        _S("data_type"),
        _T("source"),
        _T("notes"),
    ],
    "court_cases.csv": [
        Field("date", "date"),
        _S("case"),
        Field("kind", "choice", choices=("impunity", "unequal", "political", "accountable")),
        _I("state_tv", 0, 1),
        _I("foreign_tv", 0, 1),
        _I("online", 0, 1),
        _S("source_url"),
        _T("coding_note"),
    ],
    "press_freedom_rsf.csv": [
        _I("edition", 2002, 2100),
        _I("rank", 1, 250),
        _I("countries", 100, 250),
        _S("source_url"),
        _T("note"),
    ],
    "context.csv": [
        _S("indicator"),
        _T("value"),
        _T("unit"),
        _T("year_or_date"),
        _T("source"),
        _T("notes"),
    ],
    "misc_indicators.csv": [
        _S("topic"),
        _S("indicator"),
        _T("value"),
        _T("unit"),
        _T("date_or_period"),
        _T("geography"),
        _T("basis"),
        _T("source"),
        _T("notes"),
    ],
    "unemployment_by_region_2020_2022.csv": [
        _C("iso_3166_2"),
        _S("name_en"),
        _S("name_in_source"),
        *[
            _F(c, 0, 30)
            for c in (
                "u2020_Y",
                "u2021_Q1",
                "u2021_Q2",
                "u2021_Q3",
                "u2021_Q4",
                "u2021_Y",
                "u2022_Q1",
                "u2022_Q2",
                "u2022_Q3",
                "u2022_Q4",
                "u2022_Y",
            )
        ],
        _T("boundary_note"),
        _T("source"),
    ],
    "region_links.csv": [
        _C("iso_a"),
        _C("iso_b"),
        _F("distance_km", 0, 5000, nullable=False),
        _F("shared_border_km", 0, 20000, nullable=False),
    ],
    "wages_income_by_region.csv": [
        _C("iso_3166_2"),
        _S("name_en"),
        _S("indicator"),
        _S("period"),
        _F("value", 1, 5e6, nullable=False),
        _S("unit"),
        _S("basis"),
        _T("source"),
        _T("notes"),
    ],
}


# ------------------------------------------------------------------ tables


class Table:
    """Columns of equal length, by name. Cheap to build, no pandas needed."""

    def __init__(self, name: str, columns: dict[str, np.ndarray], source: str = ""):
        self.name = name
        self.source = source
        self._cols = dict(columns)
        lens = {len(v) for v in self._cols.values()}
        if len(lens) > 1:
            raise ValueError(f"{name}: columns of unequal length {lens}")
        self._n = lens.pop() if lens else 0

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, col: str) -> np.ndarray:
        try:
            return self._cols[col]
        except KeyError:
            raise KeyError(
                f"table {self.name} has no column '{col}' (has: {', '.join(self._cols)})"
            ) from None

    def __contains__(self, col: str) -> bool:
        return col in self._cols

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    def rows(self) -> Iterator[dict[str, Any]]:
        for i in range(self._n):
            yield {c: v[i] for c, v in self._cols.items()}

    def take(self, idx) -> "Table":
        idx = np.asarray(idx)
        return Table(self.name, {c: v[idx] for c, v in self._cols.items()}, self.source)

    def where(self, col: str, value) -> "Table":
        return self.take(np.nonzero(self[col] == value)[0])

    def to_dict(self) -> dict[str, np.ndarray]:
        return dict(self._cols)

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(self._cols)

    def to_arrow(self):
        import pyarrow as pa

        return pa.table(
            {c: (v.tolist() if v.dtype == object else v) for c, v in self._cols.items()}
        )

    def __repr__(self) -> str:
        return f"<Table {self.name}: {self._n} rows x {len(self._cols)} cols>"


# ------------------------------------------------------------------ parsing


def _parse_cell(f: Field, raw: str, file: str, row: int):
    s = raw.strip()

    def bad(why):
        return DataError(
            f"row {row}: {why} (value {raw!r}); allowed: {f.allowed()}", source=file, field=f.name
        )

    if s == "":
        if f.nullable or f.kind == "text":
            return None
        raise bad("empty cell")
    k = f.kind
    if k in ("str", "text"):
        return s
    if k == "code":
        if not _ISO_RE.match(s):
            raise bad("not an ISO 3166-2:KZ code")
        return s
    if k == "date":
        if not _DATE_RE.match(s):
            raise bad("not a date")
        try:
            return np.datetime64(s, "D")
        except ValueError:
            raise bad("not a valid date") from None
    if k == "choice":
        if s not in f.choices:
            raise bad("not an allowed value")
        return s
    try:
        v = float(s)
    except ValueError:
        raise bad("not a number") from None
    if math.isnan(v):
        raise bad("NaN")
    if k == "int" and not v.is_integer():
        raise bad("not an integer")
    if (f.low is not None and v < f.low) or (f.high is not None and v > f.high):
        raise bad("out of range")
    return int(v) if k == "int" else v


def read_csv(name: str, path: str | Path | None = None, schema: list[Field] | None = None) -> Table:
    """Read and validate one CSV of the pack (or `path`, validated against the schema of
    `name`). Raises DataError naming the file, row and field on any violation."""
    schema = schema if schema is not None else SCHEMAS.get(name)
    if schema is None:
        raise DataError(
            f"no schema for '{name}'; known files: {', '.join(sorted(SCHEMAS))}", source=name
        )
    p = Path(path) if path is not None else DATA_DIR / name
    if not p.is_file():
        raise DataError("file not found", source=str(p))
    with open(p, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataError("empty file (no header)", source=str(p)) from None
        missing = [f.name for f in schema if f.name not in header]
        if missing:
            raise DataError(
                f"missing column(s) {', '.join(missing)}; header has: {', '.join(header)}",
                source=str(p),
                field=missing[0],
            )
        pos = {h: i for i, h in enumerate(header)}
        values: dict[str, list] = {f.name: [] for f in schema}
        for rnum, rec in enumerate(reader, start=2):
            if not rec or all(not c.strip() for c in rec):
                continue
            if len(rec) != len(header):
                raise DataError(
                    f"row {rnum}: {len(rec)} cells, header has {len(header)}", source=str(p)
                )
            for f in schema:
                values[f.name].append(_parse_cell(f, rec[pos[f.name]], str(p), rnum))
    cols = {}
    for f in schema:
        v = values[f.name]
        if f.kind in ("float", "int"):
            if f.kind == "int" and not f.nullable:
                cols[f.name] = np.array(v, dtype=np.int64)
            else:
                cols[f.name] = np.array([np.nan if x is None else x for x in v], dtype=np.float64)
        elif f.kind == "date":
            cols[f.name] = np.array(
                [np.datetime64("NaT") if x is None else x for x in v], dtype="datetime64[D]"
            )
        else:
            cols[f.name] = np.array(["" if x is None else x for x in v], dtype=object)
    return Table(Path(name).stem, cols, source=str(p))


def validate_all() -> dict[str, int]:
    """Validate every packaged CSV; returns rows per file."""
    return {n: len(read_csv(n)) for n in SCHEMAS}


def first_number(text: str) -> float:
    """The first number in a free-text cell ('>650 detained' -> 650, '73,000-75,000' -> 73000),
    or NaN."""
    if not isinstance(text, str):
        return float("nan")
    m = _NUM_RE.search(text)
    return float(m.group(0).replace(",", "")) if m else float("nan")


# ------------------------------------------------------------------ clean tables


def _check(cond: bool, msg: str, file: str, fieldname: str | None = None):
    if not cond:
        raise DataError(msg, source=str(DATA_DIR / file), field=fieldname)


@lru_cache(maxsize=4)
def _regions_current() -> Table:
    meta = read_csv("regions.csv")
    pop = read_csv("regions_population_urban_2023.csv")
    codes = list(meta["iso_3166_2"])
    _check(
        len(codes) == 20 and len(set(codes)) == 20,
        "expected 20 distinct units",
        "regions.csv",
        "iso_3166_2",
    )
    idx = {c: i for i, c in enumerate(pop["iso_3166_2"])}
    for c in codes:
        _check(c in idx, f"unit {c} missing", "regions_population_urban_2023.csv", "iso_3166_2")
    j = np.array([idx[c] for c in codes])
    total = pop["population_total"][j]
    urban = pop["urban"][j]
    rural = pop["rural"][j]
    bad = np.nonzero(urban + rural != total)[0]
    _check(
        bad.size == 0,
        f"urban + rural != population_total for {[codes[b] for b in bad]}",
        "regions_population_urban_2023.csv",
        "urban",
    )
    nat = idx.get("KZ")
    _check(
        nat is not None,
        "national row 'KZ' missing",
        "regions_population_urban_2023.csv",
        "iso_3166_2",
    )
    _check(
        int(total.sum()) == int(pop["population_total"][nat]),
        f"units sum to {int(total.sum())}, national row says {int(pop['population_total'][nat])}",
        "regions_population_urban_2023.csv",
        "population_total",
    )
    iso_jan = np.array([SPLIT_2022.get(c, c) for c in codes], dtype=object)
    return Table(
        "regions",
        {
            "iso_3166_2": np.array(codes, dtype=object),
            "name_en": meta["name_en"],
            "name_kk": meta["name_kk"],
            "name_ru": meta["name_ru"],
            "unit_type": meta["unit_type"],
            "capital": meta["capital"],
            "iso_jan2022": iso_jan,
            "exists_jan2022": np.array([c not in SPLIT_2022 for c in codes]),
            "centroid_lat": meta["centroid_lat"],
            "centroid_lon": meta["centroid_lon"],
            "area_km2": meta["area_km2_computed"],
            "population": total.astype(np.int64),
            "urban": urban.astype(np.int64),
            "rural": rural.astype(np.int64),
            "male": pop["male"][j].astype(np.int64),
            "female": pop["female"][j].astype(np.int64),
            "urban_share": urban / total,
            "population_date": pop["date"][j],
        },
        source="regions.csv + regions_population_urban_2023.csv",
    )


def regions(basis: str = "current") -> Table:
    """First-level units with BNS population on 1 Jan 2023 (total, urban, rural, sex) and
    geometry centroids. basis='current': the 20 units since June 2022, in ISO-code order;
    basis='jan2022': the 17 units of January 2022 (split units merged into their parent,
    population-weighted centroid)."""
    t = _regions_current()
    if basis == "current":
        return t
    if basis != "jan2022":
        raise DataError(
            f"unknown region basis {basis!r}; allowed: 'current', 'jan2022'", field="region_basis"
        )
    codes = [c for c in t["iso_3166_2"] if c not in SPLIT_2022]
    parent = t["iso_jan2022"]
    cols: dict[str, list] = {
        k: []
        for k in (
            "iso_3166_2",
            "name_en",
            "members",
            "population",
            "urban",
            "rural",
            "male",
            "female",
            "area_km2",
            "centroid_lat",
            "centroid_lon",
        )
    }
    for c in codes:
        m = np.nonzero(parent == c)[0]
        w = t["population"][m].astype(float)
        cols["iso_3166_2"].append(c)
        cols["name_en"].append(
            JAN2022_NAMES.get(c, t["name_en"][m[0]])
            if len(m) > 1 or c == "KZ-71"
            else t["name_en"][m[0]]
        )
        cols["members"].append(";".join(t["iso_3166_2"][m]))
        for k in ("population", "urban", "rural", "male", "female"):
            cols[k].append(int(t[k][m].sum()))
        cols["area_km2"].append(float(t["area_km2"][m].sum()))
        cols["centroid_lat"].append(float(np.average(t["centroid_lat"][m], weights=w)))
        cols["centroid_lon"].append(float(np.average(t["centroid_lon"][m], weights=w)))
    out = {
        k: np.array(v, dtype=object if k in ("iso_3166_2", "name_en", "members") else None)
        for k, v in cols.items()
    }
    out["urban_share"] = out["urban"] / out["population"]
    return Table("regions_jan2022", out, source=t.source)


def national_population() -> int:
    """BNS national total on 1 Jan 2023 (the national row of regions_population_urban_2023.csv)."""
    pop = read_csv("regions_population_urban_2023.csv")
    return int(pop["population_total"][list(pop["iso_3166_2"]).index("KZ")])


def populations() -> Table:
    """Population by unit (20 units, 1 Jan 2023, BNS): total, male, female, urban, rural."""
    t = regions("current")
    return Table(
        "populations",
        {
            k: t[k]
            for k in (
                "iso_3166_2",
                "name_en",
                "population",
                "male",
                "female",
                "urban",
                "rural",
                "population_date",
            )
        },
        t.source,
    )


def urban_shares(basis: str = "current") -> dict[str, float]:
    t = regions(basis)
    return dict(zip(t["iso_3166_2"], t["urban_share"].astype(float)))


def cities() -> Table:
    """Protest-relevant cities with BNS population on 1 Jan 2023. `population` is the city
    proper where given, else the city administration (Turkistan)."""
    t = read_csv("cities_population_2023.csv")
    proper, admin = t["pop_city_proper_2023_01_01"], t["pop_city_administration_2023_01_01"]
    pop = np.where(np.isnan(proper), admin, proper)
    codes = t["iso_3166_2_unit_post2022"]
    known = set(_regions_current()["iso_3166_2"])
    for i, c in enumerate(codes):
        _check(
            c in known,
            f"row {i + 2}: unknown unit {c}",
            "cities_population_2023.csv",
            "iso_3166_2_unit_post2022",
        )
    return Table(
        "cities",
        {
            "city": t["city_en"],
            "iso_3166_2": codes,
            "iso_jan2022": np.array([SPLIT_2022.get(c, c) for c in codes], dtype=object),
            "population": pop.astype(np.int64),
            "population_proper": proper,
            "population_admin": admin,
            "population_basis": np.array(
                ["city proper" if not np.isnan(x) else "city administration" for x in proper],
                dtype=object,
            ),
        },
        t.source,
    )


def ethnicity_recommended() -> Table:
    """The per-unit ethnic shares (%) that the pack marks for model use (column
    `recommended_for_model` starting with 'Y'), one row per unit; NaN where a group is not
    reported. `other_pct` is the pack's 'other' as printed (its coverage of the named minor
    groups varies by source); `other_listed_pct` is the sum of the named minor groups with a
    share (Dungans, Turks, Koreans, Tajiks, Azerbaijanis), which are certainly 'other' in
    tolqyn's eight groups. National census row first (iso 'KZ')."""
    t = read_csv("ethnicity_by_region_2021.csv")
    keep = [i for i, r in enumerate(t["recommended_for_model"]) if r.startswith("Y")]
    codes = t["iso_3166_2"][keep]
    _check(
        len(set(codes)) == len(codes),
        "more than one recommended row per unit",
        "ethnicity_by_region_2021.csv",
        "recommended_for_model",
    )
    shares = np.full((len(keep), len(ETHNIC_GROUPS)), np.nan)
    for gi, g in enumerate(ETHNIC_GROUPS[:-1]):
        shares[:, gi] = t[f"{g}_pct"][keep]
    # named 'other' groups with a share (e.g. "Dungans 5.29; Turks 3.07"); bracketed counts
    # and remarks are ignored ("Koreans 1.86 (28,000)" -> 1.86)
    listed = np.array(
        [
            sum(
                float(x)
                for x in re.findall(r"\b\d+\.\d+\b", re.sub(r"\([^)]*\)|\[[^\]]*\]", "", s))
            )
            for s in t["other_groups_listed_pct"][keep]
        ]
    )
    shares[:, -1] = t["other_pct"][keep]
    for i, c in enumerate(codes):
        tot = np.nansum(shares[i, :-1])
        _check(
            tot <= 100.0 + 1e-6,
            f"unit {c}: named group shares sum to {tot:.2f}% > 100%",
            "ethnicity_by_region_2021.csv",
            "kazakh_pct",
        )
    return Table(
        "ethnicity",
        {
            "iso_3166_2": codes,
            "data_date": t["data_date"][keep],
            "data_basis": t["data_basis"][keep],
            **{f"{g}_pct": shares[:, gi] for gi, g in enumerate(ETHNIC_GROUPS)},
            "other_listed_pct": listed,
            "source": t["source"][keep],
        },
        t.source,
    )


def census_2021_national() -> dict[str, int]:
    """Counts by group in the 2021 census (national control totals; 'other' = rest)."""
    t = read_csv("ethnicity_by_region_2021.csv")
    i = [
        k
        for k, (c, r) in enumerate(zip(t["iso_3166_2"], t["recommended_for_model"]))
        if c == "KZ" and r.startswith("Y")
    ]
    _check(
        len(i) == 1,
        "exactly one recommended national row expected",
        "ethnicity_by_region_2021.csv",
        "iso_3166_2",
    )
    i = i[0]
    out = {g: int(t[f"{g}_n"][i]) for g in ETHNIC_GROUPS[:-1]}
    total = int(t["total_n"][i])
    out["other"] = total - sum(out.values())
    _check(
        out["other"] >= 0, "group counts exceed total_n", "ethnicity_by_region_2021.csv", "total_n"
    )
    return out


def _date_range(s: str) -> tuple[np.datetime64, np.datetime64]:
    """'2022-01-04' -> (4 Jan, 4 Jan); '2022-01-04/05' and '2022-01-03..12' -> ranges; '' -> NaT."""
    s = (s or "").strip()
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:(?:/|\.\.)(\d{2}))?", s)
    if not m:
        nat = np.datetime64("NaT", "D")
        return nat, nat
    y, mo, d, d2 = m.groups()
    a = np.datetime64(f"{y}-{mo}-{d}", "D")
    b = np.datetime64(f"{y}-{mo}-{d2}", "D") if d2 else a
    return a, b


def unrest_events() -> Table:
    """January-2022 events (unrest_2022.csv), with parsed `date_start`/`date_end` and
    `count` (first number of count_value, NaN when none, lower end for ranges)."""
    t = read_csv("unrest_2022.csv")
    d = [_date_range(s) for s in t["date"]]
    for i, (a, _) in enumerate(d):
        _check(
            not np.isnat(a),
            f"row {i + 2}: unparseable date {t['date'][i]!r}; allowed: YYYY-MM-DD, "
            "YYYY-MM-DD/DD or YYYY-MM-DD..DD",
            "unrest_2022.csv",
            "date",
        )
    return Table(
        "unrest_2022",
        {
            **t.to_dict(),
            "date_start": np.array([a for a, _ in d], dtype="datetime64[D]"),
            "date_end": np.array([b for _, b in d], dtype="datetime64[D]"),
            "count": np.array([first_number(s) for s in t["count_value"]]),
        },
        t.source,
    )


def _num_before(text: str, words: str) -> float:
    m = re.search(r"([\d][\d,]*)\s*(?:\w+\s+){0,2}?(?:" + words + ")", text or "")
    return float(m.group(1).replace(",", "")) if m else float("nan")


def unrest_regions(basis: str = "current") -> Table:
    """Per unit: first protest date (earliest, latest where the sources give a range),
    clashes / building attacks (Y/N/unknown, normalised), state-of-emergency dates, and
    detentions, deaths and injuries where reported (NaN otherwise). basis='jan2022' keeps
    the earliest date of the merged units and sums reported counts."""
    t = read_csv("unrest_2022_regions.csv")
    known = set(_regions_current()["iso_3166_2"]) | {"KZ"}
    for i, c in enumerate(t["iso_3166_2"]):
        _check(
            c in known, f"row {i + 2}: unknown unit {c}", "unrest_2022_regions.csv", "iso_3166_2"
        )
    d = [_date_range(s) for s in t["first_protest_date"]]

    def yn(s):
        s = s.strip().lower()
        return (
            "Y"
            if s.startswith("y")
            else ("N" if s.startswith("n") else ("attempted" if s.startswith("att") else "unknown"))
        )

    cas = t["casualties_detentions_reported"]
    out = {
        "iso_3166_2": t["iso_3166_2"],
        "iso_jan2022": np.array([SPLIT_2022.get(c, c) for c in t["iso_3166_2"]], dtype=object),
        "unit_in_jan2022": t["unit_in_jan2022"],
        "key_cities": t["key_cities"],
        "first_protest_date": np.array([a for a, _ in d], dtype="datetime64[D]"),
        "first_protest_date_latest": np.array([b for _, b in d], dtype="datetime64[D]"),
        "clashes": np.array([yn(s) for s in t["clashes_with_security_forces"]], dtype=object),
        "building_attack": np.array([yn(s) for s in t["building_attack_or_seizure"]], dtype=object),
        "participants_reported": t["participants_reported"],
        "soe_from": np.array(
            [_date_range(s)[0] for s in t["state_of_emergency_from"]], dtype="datetime64[D]"
        ),
        "soe_lifted": np.array(
            [_date_range(s)[0] for s in t["state_of_emergency_lifted"]], dtype="datetime64[D]"
        ),
        "detained": np.array([_num_before(s, "detained") for s in cas]),
        "deaths": np.array([_num_before(s, "deaths|dead|killed") for s in cas]),
        "injured": np.array([_num_before(s, "injured") for s in cas]),
    }
    tab = Table("unrest_2022_regions", out, t.source)
    if basis == "current":
        return tab
    if basis != "jan2022":
        raise DataError(
            f"unknown region basis {basis!r}; allowed: 'current', 'jan2022'", field="region_basis"
        )
    par = out["iso_jan2022"]
    keys = [c for c in out["iso_3166_2"] if c not in SPLIT_2022]
    agg: dict[str, list] = {
        k: []
        for k in (
            "iso_3166_2",
            "first_protest_date",
            "first_protest_date_latest",
            "clashes",
            "building_attack",
            "detained",
            "deaths",
            "injured",
        )
    }
    for c in keys:
        m = np.nonzero(par == c)[0]
        agg["iso_3166_2"].append(c)
        for k in ("first_protest_date", "first_protest_date_latest"):
            v = out[k][m]
            v = v[~np.isnat(v)]
            agg[k].append(v.min() if v.size else np.datetime64("NaT", "D"))
        for k in ("clashes", "building_attack"):
            v = set(out[k][m])
            agg[k].append(
                "Y"
                if "Y" in v
                else ("attempted" if "attempted" in v else ("N" if v == {"N"} else "unknown"))
            )
        for k in ("detained", "deaths", "injured"):
            v = out[k][m]
            agg[k].append(float(np.nansum(v)) if np.any(~np.isnan(v)) else float("nan"))
    res = {
        k: np.array(
            v,
            dtype=object
            if k in ("iso_3166_2", "clashes", "building_attack")
            else ("datetime64[D]" if "date" in k else float),
        )
        for k, v in agg.items()
    }
    return Table("unrest_2022_regions_jan2022", res, t.source)


def security_forces() -> Table:
    """Security-force indicators; `value_num` is the first number of `value` (NaN if none)."""
    t = read_csv("security_forces.csv")
    return Table(
        "security_forces",
        {**t.to_dict(), "value_num": np.array([first_number(s) for s in t["value"]])},
        t.source,
    )


def emigration() -> Table:
    """Emigration / immigration counts (patchy series 1994-2019; see SOURCES.md §4)."""
    return read_csv("emigration.csv")


def context() -> Table:
    """National indicators (population, GDP, Gini, CPI, freedom indices, KZT/USD, inflation,
    police per 100k); `value_num` parsed from `value`."""
    t = read_csv("context.csv")
    return Table(
        "context",
        {**t.to_dict(), "value_num": np.array([first_number(s) for s in t["value"]])},
        t.source,
    )


def misc_indicators() -> Table:
    """LPG, internet and TV indicators (national or partial); `value_num` parsed from `value`."""
    t = read_csv("misc_indicators.csv")
    return Table(
        "misc_indicators",
        {**t.to_dict(), "value_num": np.array([first_number(s) for s in t["value"]])},
        t.source,
    )


def indicator(name: str, when: str | None = None) -> float:
    """One value of context.csv by indicator name (and `year_or_date` prefix when several)."""
    t = context()
    m = [
        i
        for i, n in enumerate(t["indicator"])
        if n == name and (when is None or t["year_or_date"][i].startswith(when))
    ]
    if not m:
        raise DataError(
            f"no indicator {name!r}" + (f" for {when!r}" if when else ""),
            source="context.csv",
            field="indicator",
        )
    return float(t["value_num"][m[-1]])


def exchange_rate_jan2022() -> float:
    """NBK official KZT per USD, frozen at 431.8 on 3-12 Jan 2022 (context.csv)."""
    return indicator("kzt_per_usd", "2022-01")


def unemployment() -> Table:
    return read_csv("unemployment_by_region_2020_2022.csv")


def wages() -> Table:
    return read_csv("wages_income_by_region.csv")


# ------------------------------------------------------------------ links and susceptibility


def region_links(codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Distance between centroids (km) and length of shared border (km) for every pair of
    `codes`, as (n, n) symmetric matrices with a zero diagonal (region_links.csv, derived
    from regions.geojson and regions.csv by build_region_links.py). For the 17 units of
    January 2022 a parent's border is the sum of its and its 2022 offspring's borders with
    other parents; its distances are its own rows."""
    t = read_csv("region_links.csv")
    pos = {c: i for i, c in enumerate(codes)}
    n = len(codes)
    dist = np.full((n, n), np.nan)
    border = np.zeros((n, n))
    for a, b, d, s in zip(t["iso_a"], t["iso_b"], t["distance_km"], t["shared_border_km"]):
        if a in pos and b in pos:
            dist[pos[a], pos[b]] = dist[pos[b], pos[a]] = d
        pa, pb = SPLIT_2022.get(a, a), SPLIT_2022.get(b, b)
        if a not in pos or b not in pos:
            a, b = pa, pb
        if a in pos and b in pos and a != b:
            border[pos[a], pos[b]] += s
            border[pos[b], pos[a]] += s
    np.fill_diagonal(dist, 0.0)
    _check(not np.isnan(dist).any(), "a pair of units has no row", "region_links.csv", "iso_a")
    return dist, border


def _wage(code: str) -> float:
    t = wages()
    ok = (t["indicator"] == "avg_monthly_nominal_wage") & (t["period"] == "2021 (annual)")
    m = np.flatnonzero(ok & (t["iso_3166_2"] == code))
    _check(m.size == 1, f"no 2021 annual wage for {code}", "wages_income_by_region.csv", "value")
    return float(t["value"][m[0]])


def _unemployment(code: str) -> float:
    """Unemployment rate, 4th quarter 2021 (units created in June 2022: 1st quarter 2022)."""
    t = unemployment()
    m = np.flatnonzero(t["iso_3166_2"] == code)
    _check(m.size == 1, f"no row for {code}", "unemployment_by_region_2020_2022.csv", "iso_3166_2")
    v = t["u2021_Q4"][m[0]]
    return float(v if np.isfinite(v) else t["u2022_Q1"][m[0]])


def lpg_vehicles_per_1000() -> dict[str, float]:
    """LPG-fuelled vehicles per 1,000 residents where misc_indicators.csv gives a count
    (Mangystau: "most" / "more than half" of its registered passenger cars, read as one half;
    Atyrau, West Kazakhstan: regional energy departments) and the national figure
    (~500,000 vehicles), which stands for every other unit."""
    m = misc_indicators()
    pops = dict(zip(populations()["iso_3166_2"], populations()["population"]))

    def val(ind):
        k = np.flatnonzero(m["indicator"] == ind)
        _check(k.size > 0, f"no indicator {ind}", "misc_indicators.csv", "indicator")
        return float(m["value_num"][k[0]])

    # "300,000 -> ~500,000 (forecast >600,000)": the second figure is the current count
    text = str(m["value"][np.flatnonzero(m["indicator"] == "lpg_vehicles_national")[0]])
    nat = float(_NUM_RE.findall(text)[1].replace(",", ""))
    out = {"KZ": 1000.0 * nat / national_population()}
    out["KZ-47"] = 1000.0 * 0.5 * val("passenger_cars_registered_mangystau") / pops["KZ-47"]
    out["KZ-23"] = 1000.0 * val("lpg_vehicles_atyrau") / pops["KZ-23"]
    out["KZ-27"] = 1000.0 * val("lpg_vehicles_west_kazakhstan") / pops["KZ-27"]
    return out


def region_indicators(codes: list[str]) -> dict[str, np.ndarray]:
    """Per unit of `codes` (current units; a January-2022 parent takes its own row): the
    2021 annual average wage relative to the national one, unemployment (Q4 2021) relative to
    the national rate, the urban share, and LPG vehicles per 1,000 residents relative to the national figure."""
    w_nat, u_nat = _wage("KZ"), _unemployment("KZ")
    urb = urban_shares("current")
    lpg = lpg_vehicles_per_1000()
    return {
        "wage_rel": np.array([_wage(c) / w_nat for c in codes]),
        "unemployment_rel": np.array([_unemployment(c) / u_nat for c in codes]),
        "urban_share": np.array([float(urb[c]) for c in codes]),
        "lpg_rel": np.array([lpg.get(c, lpg["KZ"]) / lpg["KZ"] for c in codes]),
    }
