"""Read a country pack (a Frictionless Data Package, docs/packs.md) into typed tables.

`load_pack("kazakhstan")` reads a packaged pack; `load_pack("path/to/dir")` a user's. Reading
checks every cell against the resource's Table Schema (type, required, minimum/maximum, enum,
pattern, unique) and runs tolqyn's own checks (`check_pack`); the first problem raises a
`PackError` naming the file, row and field. `tolqyn pack validate` reports all problems at
once and adds the Frictionless validator's (validate.py). Only the standard library and NumPy
are used here, so a run does not import frictionless.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tolqyn.core.errors import ScenarioError
from tolqyn.packs.format import INDICATOR_RESOURCES, RESOURCES, table_schema

PACKS_DIR = Path(__file__).resolve().parent


class PackError(ScenarioError):
    """A country pack does not follow the format (names file, row and field)."""


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # 1-based line of the CSV (header = 1); None for the whole file
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        return ": ".join([", ".join(where), self.message])


def packaged() -> list[str]:
    """Names of the packs shipped with tolqyn."""
    return sorted(p.parent.name for p in PACKS_DIR.glob("*/datapackage.json"))


def resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A packaged pack's folder by name, or a folder given as a path."""
    s = str(name_or_path)
    if s in packaged():
        return PACKS_DIR / s
    p = Path(s).expanduser()
    if not p.is_absolute() and relative_to is not None and (relative_to / p).exists():
        p = relative_to / p
    if p.is_file() and p.name == "datapackage.json":
        p = p.parent
    if (p / "datapackage.json").is_file():
        return p.resolve()
    close = difflib.get_close_matches(s, packaged(), n=1, cutoff=0.5)
    hint = f" — did you mean '{close[0]}'?" if close else ""
    raise PackError(
        f"no country pack '{s}': not a packaged pack ({', '.join(packaged())}) and no "
        f"datapackage.json in that folder{hint}",
        field="country",
    )


# ------------------------------------------------------------------ cells


def _cell(fdef: dict, raw: str, file: str, row: int, probs: list[Problem]):
    c = fdef.get("constraints", {})
    name = fdef["name"]
    s = raw.strip()
    if s == "":
        if c.get("required"):
            probs.append(Problem(file, row, name, "empty cell; a value is required"))
        return None
    t = fdef.get("type", "string")
    v: Any = s
    if t == "integer":
        try:
            v = int(s)
        except ValueError:
            probs.append(Problem(file, row, name, f"{raw!r} is not an integer"))
            return None
    elif t == "number":
        try:
            v = float(s)
        except ValueError:
            probs.append(Problem(file, row, name, f"{raw!r} is not a number"))
            return None
        if v != v:
            probs.append(Problem(file, row, name, "NaN is not allowed (leave the cell empty)"))
            return None
    elif t == "boolean":
        low = s.lower()
        if low not in ("true", "false", "1", "0", "yes", "no"):
            probs.append(Problem(file, row, name, f"{raw!r} is not true or false"))
            return None
        v = low in ("true", "1", "yes")
    if t in ("integer", "number"):
        lo, hi = c.get("minimum"), c.get("maximum")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
            probs.append(Problem(file, row, name, f"{v!r} out of range; allowed: {rng}"))
            return None
    if "enum" in c and v not in c["enum"]:
        close = difflib.get_close_matches(str(v), c["enum"], n=1, cutoff=0.5)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        probs.append(Problem(file, row, name, f"{v!r} is not one of {', '.join(c['enum'])}{hint}"))
        return None
    if "pattern" in c and not re.fullmatch(c["pattern"], str(v)):
        probs.append(Problem(file, row, name, f"{v!r} does not match {c['pattern']}"))
        return None
    return v


def read_table(path: Path, schema: dict, probs: list[Problem]) -> dict[str, list]:
    """Columns of a CSV by field name (values typed; None for empty cells)."""
    file = path.name
    cols: dict[str, list] = {f["name"]: [] for f in schema["fields"]}
    cols["_row"] = []
    if not path.is_file():
        probs.append(Problem(file, None, None, "file not found"))
        return cols
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            probs.append(Problem(file, None, None, "empty file (no header)"))
            return cols
        pos = {h: i for i, h in enumerate(header)}
        for f in schema["fields"]:
            if f["name"] not in pos and f.get("constraints", {}).get("required"):
                probs.append(
                    Problem(file, 1, f["name"], f"missing column; header has: {', '.join(header)}")
                )
        for rnum, rec in enumerate(reader, start=2):
            if not rec or all(not x.strip() for x in rec):
                continue
            if len(rec) != len(header):
                probs.append(
                    Problem(file, rnum, None, f"{len(rec)} cells, header has {len(header)}")
                )
                continue
            cols["_row"].append(rnum)
            for f in schema["fields"]:
                i = pos.get(f["name"])
                cols[f["name"]].append(None if i is None else _cell(f, rec[i], file, rnum, probs))
    for f in schema["fields"]:
        if f.get("constraints", {}).get("unique"):
            seen: dict = {}
            for v, r in zip(cols[f["name"]], cols["_row"]):
                if v is None:
                    continue
                if v in seen:
                    probs.append(
                        Problem(file, r, f["name"], f"{v!r} repeats row {seen[v]}; must be unique")
                    )
                else:
                    seen[v] = r
    return cols


# ------------------------------------------------------------------ the pack


@dataclass
class Pack:
    """A country pack, read and checked. Tables are column dicts (lists; None = empty)."""

    name: str
    path: Path
    meta: dict
    tables: dict[str, dict[str, list]] = field(default_factory=dict)

    # --- metadata
    @property
    def tolqyn(self) -> dict:
        return dict(self.meta.get("tolqyn", {}))

    @property
    def country_code(self) -> str:
        return str(self.tolqyn.get("country_code", ""))

    @property
    def earlier_basis(self) -> str | None:
        """Name of the earlier boundary basis that `parent_code` describes (e.g. 'jan2022')."""
        return self.tolqyn.get("earlier_basis")

    def has(self, resource: str) -> bool:
        return resource in self.tables

    # --- units
    @property
    def codes(self) -> list[str]:
        return list(self.tables["units"]["code"])

    @property
    def groups(self) -> list[str]:
        if not self.has("groups"):
            return ["all"]
        return list(self.tables["groups"]["group"])

    @property
    def group_kin(self) -> np.ndarray:
        if not self.has("groups"):
            return np.zeros(1, dtype=bool)
        return np.array([bool(x) for x in self.tables["groups"]["kin_abroad"]], dtype=bool)

    def units(self, basis: str = "current") -> dict[str, np.ndarray]:
        """Units as arrays: code, name, population, urban, rural, area_km2, centroid_lat/lon.
        basis='current': the rows as they are; basis=earlier_basis: rows merged into their
        parents (population-weighted centroid; summed counts and areas), in the order of the
        parents' own rows."""
        u = self.tables["units"]
        pop = np.array(u["population"], dtype=np.int64)
        share = np.array(u["urban_share"], dtype=np.float64)
        urban = np.array(
            [
                int(x) if x is not None else int(np.floor(p * s + 0.5))
                for x, p, s in zip(u["urban_population"], pop, share)
            ],
            dtype=np.int64,
        )
        area = np.array([np.nan if a is None else a for a in u["area_km2"]], dtype=np.float64)
        cur = {
            "code": np.array(u["code"], dtype=object),
            "name": np.array(u["name"], dtype=object),
            "population": pop,
            "urban": urban,
            "rural": pop - urban,
            "area_km2": area,
            "centroid_lat": np.array(u["centroid_lat"], dtype=np.float64),
            "centroid_lon": np.array(u["centroid_lon"], dtype=np.float64),
        }
        if basis == "current":
            return cur
        allowed = ["current"] + ([self.earlier_basis] if self.earlier_basis else [])
        if basis not in allowed:
            close = difflib.get_close_matches(basis, allowed, n=1, cutoff=0.3)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise PackError(
                f"unknown region basis {basis!r} for pack {self.name}; allowed: "
                f"{', '.join(map(repr, allowed))}{hint}",
                field="region_basis",
            )
        parent = self.parents()
        order = [c for c in cur["code"] if parent[c] == c]
        order += [p for p in dict.fromkeys(parent[c] for c in cur["code"]) if p not in order]
        codes = list(cur["code"])
        out: dict[str, list] = {k: [] for k in cur}
        out["members"] = []
        for pc in order:
            m = np.array([i for i, c in enumerate(codes) if parent[c] == pc])
            w = cur["population"][m].astype(float)
            head = codes.index(pc) if pc in codes else m[0]
            pname = u["parent_name"][head]
            out["code"].append(pc)
            out["name"].append(pname if pname else cur["name"][head])
            out["members"].append(";".join(cur["code"][m]))
            for k in ("population", "urban", "rural"):
                out[k].append(int(cur[k][m].sum()))
            out["area_km2"].append(float(cur["area_km2"][m].sum()))
            out["centroid_lat"].append(float(np.average(cur["centroid_lat"][m], weights=w)))
            out["centroid_lon"].append(float(np.average(cur["centroid_lon"][m], weights=w)))
        return {
            k: np.array(v, dtype=object if k in ("code", "name", "members") else None)
            for k, v in out.items()
        }

    def parents(self) -> dict[str, str]:
        u = self.tables["units"]
        return {c: (p or c) for c, p in zip(u["code"], u["parent_code"])}

    # --- localities
    def localities(self, basis: str = "current") -> dict[str, np.ndarray]:
        if not self.has("localities"):
            e = np.array([], dtype=object)
            return {"name": e, "unit_code": e, "population": np.array([], dtype=np.int64)}
        t = self.tables["localities"]
        unit = list(t["unit_code"])
        if basis != "current":
            par = self.parents()
            unit = [par[c] for c in unit]
        return {
            "name": np.array(t["name"], dtype=object),
            "unit_code": np.array(unit, dtype=object),
            "population": np.array(t["population"], dtype=np.int64),
        }

    # --- composition
    def composition(self) -> dict[str, Any]:
        """Per unit (in units order) the reported shares (percent, NaN = not reported), the
        known 'other' share, whether the row is complete, and its provenance."""
        g = self.groups
        n = len(self.codes)
        S = np.full((n, len(g)), np.nan)
        other_listed = np.zeros(n)
        complete = np.zeros(n, dtype=bool)
        present = np.zeros(n, dtype=bool)
        prov = [""] * n
        if self.has("composition"):
            t = self.tables["composition"]
            idx = {c: i for i, c in enumerate(self.codes)}
            for k, code in enumerate(t["unit_code"]):
                r = idx[code]
                present[r] = True
                for j, grp in enumerate(g):
                    v = t[grp][k]
                    S[r, j] = np.nan if v is None else float(v)
                ol = t["other_listed_pct"][k]
                other_listed[r] = 0.0 if ol is None else float(ol)
                complete[r] = bool(t["complete"][k])
                prov[r] = str(t["basis"][k] or "")
        return {
            "shares": S,
            "other_listed": other_listed,
            "complete": complete,
            "present": present,
            "provenance": prov,
        }

    def composition_totals(self) -> np.ndarray | None:
        """National persons by group (groups order), or None when the pack has none."""
        if not self.has("composition_totals"):
            return None
        t = self.tables["composition_totals"]
        d = dict(zip(t["group"], t["persons"]))
        return np.array([float(d.get(g, 0)) for g in self.groups])

    # --- links and indicators
    def links(self, kind: str | None = None) -> list[tuple[str, str, str, float | None]]:
        if not self.has("links"):
            return []
        t = self.tables["links"]
        rows = zip(t["unit_a"], t["unit_b"], t["kind"], t["value"])
        return [r for r in rows if kind is None or r[2] == kind]

    def adjacency(self) -> np.ndarray:
        """Symmetric boolean matrix over units (current basis) of kind 'adjacency' links."""
        idx = {c: i for i, c in enumerate(self.codes)}
        A = np.zeros((len(idx), len(idx)), dtype=bool)
        for a, b, _, _ in self.links("adjacency"):
            A[idx[a], idx[b]] = A[idx[b], idx[a]] = True
        return A

    def indicators(self, resource: str) -> list[dict]:
        if not self.has(resource):
            return []
        t = self.tables[resource]
        keys = [k for k in t if k != "_row"]
        return [dict(zip(keys, vals)) for vals in zip(*(t[k] for k in keys))]

    def parameters(self) -> dict[str, Any]:
        """Model parameters the pack sets: `param` cells of forces/media/economy (national
        rows), and ties_abroad_prob from groups.csv."""
        out: dict[str, Any] = {}
        for res in INDICATOR_RESOURCES:
            for r in self.indicators(res):
                if r.get("param") and not r.get("unit_code"):
                    out[r["param"]] = r["value"]
        if self.has("groups"):
            out["ties_abroad_prob"] = tuple(
                float(x) for x in self.tables["groups"]["ties_abroad_prob"]
            )
        return out


def _read_meta(path: Path) -> dict:
    f = path / "datapackage.json"
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise PackError(f"not valid JSON: {e}", source=str(f)) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("resources"), list):
        raise PackError("needs a 'resources' list", source=str(f), field="resources")
    return meta


def read_pack(
    name_or_path: str | Path, relative_to: Path | None = None
) -> tuple[Pack, list[Problem]]:
    """Read a pack and return it with every problem found (empty list = valid)."""
    path = resolve(name_or_path, relative_to)
    meta = _read_meta(path)
    probs: list[Problem] = []
    pack = Pack(name=str(meta.get("name", path.name)), path=path, meta=meta)
    by_name = {}
    for i, r in enumerate(meta["resources"]):
        if not isinstance(r, dict) or "name" not in r or "path" not in r:
            probs.append(
                Problem("datapackage.json", None, f"resources[{i}]", "needs name and path")
            )
            continue
        by_name[r["name"]] = r
    for name in by_name:
        if name not in RESOURCES and name != "boundaries":
            probs.append(
                Problem(
                    "datapackage.json",
                    None,
                    "resources",
                    f"resource '{name}' is not part of "
                    f"the format (kept, not read); known: {', '.join(RESOURCES)}, boundaries",
                )
            )
    for name, spec in RESOURCES.items():
        if name not in by_name:
            if spec["required"]:
                probs.append(
                    Problem("datapackage.json", None, "resources", f"missing resource '{name}'")
                )
            continue
    # groups first: the composition schema depends on them
    order = ["groups"] + [n for n in RESOURCES if n != "groups"]
    for name in order:
        if name not in by_name:
            continue
        groups = pack.groups if name == "composition" else None
        schema = table_schema(name, groups)
        pack.tables[name] = read_table(path / by_name[name]["path"], schema, probs)
    if "units" in pack.tables and not any(
        p.file == by_name["units"]["path"] and p.row is None for p in probs
    ):
        probs += check_pack(pack, by_name)
    return pack, probs


def check_pack(pack: Pack, by_name: dict) -> list[Problem]:
    """tolqyn's own checks, beyond the Table Schemas: codes known and unique, populations
    consistent, links symmetric and between known units, shares summing to 100, parameters
    of role 'country'."""
    probs: list[Problem] = []
    fn = {n: by_name[n]["path"] for n in by_name}
    u = pack.tables["units"]
    codes = set(c for c in u["code"] if c is not None)
    for r, c, p, s, up in zip(
        u["_row"], u["code"], u["population"], u["urban_share"], u["urban_population"]
    ):
        if up is not None and p is not None:
            if up > p:
                probs.append(
                    Problem(fn["units"], r, "urban_population", f"{up} exceeds population {p}")
                )
            elif s is not None and abs(up / p - s) > 1e-3:
                probs.append(
                    Problem(
                        fn["units"],
                        r,
                        "urban_share",
                        f"{s} disagrees with urban_population/population = {up / p:.4f}",
                    )
                )
    for r, pc in zip(u["_row"], u["parent_code"]):
        if pc and pack.earlier_basis is None:
            probs.append(
                Problem(
                    fn["units"],
                    r,
                    "parent_code",
                    "parent codes need tolqyn.earlier_basis in datapackage.json",
                )
            )
            break

    def known(res, col):
        t = pack.tables.get(res)
        if t is None:
            return
        for r, c in zip(t["_row"], t[col]):
            if c and c not in codes:
                close = difflib.get_close_matches(str(c), sorted(codes), n=1, cutoff=0.5)
                hint = f" — did you mean '{close[0]}'?" if close else ""
                probs.append(Problem(fn[res], r, col, f"unknown unit code {c!r}{hint}"))

    known("localities", "unit_code")
    known("composition", "unit_code")
    known("links", "unit_a")
    known("links", "unit_b")
    for res in INDICATOR_RESOURCES:
        known(res, "unit_code")
    # localities cannot hold more people than their unit
    if pack.has("localities"):
        t = pack.tables["localities"]
        tot: dict[str, int] = {}
        for c, p in zip(t["unit_code"], t["population"]):
            if c in codes and p is not None:
                tot[c] = tot.get(c, 0) + p
        popu = dict(zip(u["code"], u["population"]))
        for c, s in tot.items():
            if popu.get(c) is not None and s > popu[c]:
                r = t["_row"][list(t["unit_code"]).index(c)]
                probs.append(
                    Problem(
                        fn["localities"],
                        r,
                        "population",
                        f"localities of {c} hold {s} residents, more than the unit's {popu[c]}",
                    )
                )
    # links: no self-links, each pair consistent both ways
    if pack.has("links"):
        t = pack.tables["links"]
        seen: dict[tuple, tuple] = {}
        for r, a, b, k, v in zip(t["_row"], t["unit_a"], t["unit_b"], t["kind"], t["value"]):
            if a is None or b is None:
                continue
            if a == b:
                probs.append(
                    Problem(fn["links"], r, "unit_b", f"a unit cannot be linked to itself ({a})")
                )
                continue
            key = (k, a, b)
            if key in seen:
                probs.append(
                    Problem(
                        fn["links"], r, "unit_b", f"pair {a}-{b} ({k}) repeats row {seen[key][0]}"
                    )
                )
                continue
            rev = seen.get((k, b, a))
            if rev is not None and rev[1] != v:
                probs.append(
                    Problem(
                        fn["links"],
                        r,
                        "value",
                        f"{a}-{b} ({k}) has {v} but {b}-{a} (row {rev[0]}) has {rev[1]}: "
                        "links are undirected and must be symmetric",
                    )
                )
            seen[key] = (r, v)
    # composition rows sum to at most 100 (complete rows: to 100 within 0.5)
    if pack.has("composition"):
        t = pack.tables["composition"]
        for k, r in enumerate(t["_row"]):
            vals = [t[g][k] for g in pack.groups if t[g][k] is not None]
            s = sum(vals)
            if t["complete"][k]:
                if not vals or abs(sum(vals) - 100.0) > 0.5:
                    probs.append(
                        Problem(
                            fn["composition"],
                            r,
                            pack.groups[0],
                            f"a complete row must sum to 100 (±0.5); shares sum to {sum(vals):.2f}",
                        )
                    )
            elif s > 100.0 + 1e-6:
                probs.append(
                    Problem(fn["composition"], r, pack.groups[0], f"shares sum to {s:.2f} > 100")
                )
    if pack.has("composition_totals"):
        t = pack.tables["composition_totals"]
        for r, g in zip(t["_row"], t["group"]):
            if g not in pack.groups:
                probs.append(
                    Problem(fn["composition_totals"], r, "group", f"group {g!r} not in groups.csv")
                )
    # parameters set by the pack: known, of role 'country', valid values
    probs += _check_params(pack, fn)
    return probs


def _check_params(pack: Pack, fn: dict) -> list[Problem]:
    from tolqyn.models import all_param_specs, get_model

    specs = all_param_specs(get_model("country"))
    probs = []
    for res in INDICATOR_RESOURCES:
        t = pack.tables.get(res)
        if t is None:
            continue
        for r, p, v, uc in zip(t["_row"], t["param"], t["value"], t["unit_code"]):
            if not p:
                continue
            if p not in specs:
                close = difflib.get_close_matches(p, list(specs), n=1, cutoff=0.5)
                hint = f" — did you mean '{close[0]}'?" if close else ""
                probs.append(Problem(fn[res], r, "param", f"unknown model parameter {p!r}{hint}"))
            elif specs[p].role != "country":
                probs.append(
                    Problem(
                        fn[res],
                        r,
                        "param",
                        f"{p!r} is a {specs[p].role} parameter; a pack may set only parameters "
                        "of role 'country'",
                    )
                )
            elif uc:
                probs.append(
                    Problem(fn[res], r, "unit_code", "a row that sets a parameter must be national")
                )
            else:
                try:
                    specs[p].coerce(v, source=fn[res])
                except ScenarioError as e:
                    probs.append(Problem(fn[res], r, "value", str(e)))
    if pack.has("groups"):
        n = len(pack.groups)
        if n < 1:
            probs.append(Problem(fn["groups"], None, "group", "at least one group is needed"))
    return probs


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime: float) -> Pack:
    pack, probs = read_pack(path)
    if probs:
        first = probs[0]
        more = (
            f" (and {len(probs) - 1} more; run `tolqyn pack validate {path}`)"
            if len(probs) > 1
            else ""
        )
        raise PackError(str(first) + more, source=str(path))
    return pack


def load_pack(name_or_path: str | Path, relative_to: Path | None = None) -> Pack:
    """A valid pack (cached by folder and datapackage.json time), or a PackError naming the
    first problem."""
    path = resolve(name_or_path, relative_to)
    return _load_cached(str(path), (path / "datapackage.json").stat().st_mtime)
