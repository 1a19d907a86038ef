"""Packaged Kazakhstan data: schemas, clean tables, region bases, boundaries, assumptions."""

import json

import numpy as np
import pytest

from tolqyn.core.errors import ScenarioError
from tolqyn.data import loaders
from tolqyn.data.assumptions import ASSUMPTIONS, list_assumptions
from tolqyn.data.loaders import DATA_DIR, DataError


def test_every_packaged_csv_has_a_schema_and_validates():
    packaged = sorted(p.name for p in DATA_DIR.glob("*.csv"))
    assert packaged == sorted(loaders.SCHEMAS)
    rows = loaders.validate_all()
    assert rows["regions.csv"] == 20
    assert rows["regions_population_urban_2023.csv"] == 21
    assert all(n > 0 for n in rows.values())


def test_sources_and_readme_are_packaged():
    for name in ("SOURCES.md", "SOURCES2.md", "README.md", "regions.geojson"):
        assert (DATA_DIR / name).is_file(), name


def _broken_copy(tmp_path, name, old, new):
    src = DATA_DIR / name
    text = src.read_text(encoding="utf-8")
    assert old in text
    dst = tmp_path / name
    dst.write_text(text.replace(old, new, 1), encoding="utf-8")
    return dst


def test_broken_value_names_file_row_field_and_range(tmp_path):
    # Mangystau's population made negative
    p = _broken_copy(
        tmp_path, "regions_population_urban_2023.csv", "2023-01-01,766956,", "2023-01-01,-766956,"
    )
    with pytest.raises(DataError) as e:
        loaders.read_csv("regions_population_urban_2023.csv", path=p)
    msg = str(e.value)
    assert "regions_population_urban_2023.csv" in msg
    assert "population_total" in msg and "row 14" in msg
    assert "allowed: an integer in [1, 2.5e+07]" in msg
    assert isinstance(e.value, ScenarioError) and e.value.field == "population_total"


def test_broken_text_in_number_and_bad_code(tmp_path):
    p = _broken_copy(tmp_path, "regions.csv", ",48.67,80.102,", ",north,80.102,")
    with pytest.raises(DataError, match=r"regions.csv.*centroid_lat.*not a number"):
        loaders.read_csv("regions.csv", path=p)
    p = _broken_copy(tmp_path, "unrest_2022_regions.csv", "\nKZ-47,", "\nKZ47,")
    with pytest.raises(DataError, match=r"field 'iso_3166_2'.*ISO 3166-2"):
        loaders.read_csv("unrest_2022_regions.csv", path=p)


def test_missing_column_is_named(tmp_path):
    src = DATA_DIR / "cities_population_2023.csv"
    text = src.read_text(encoding="utf-8").replace("pop_city_proper_2023_01_01", "pop_proper", 1)
    p = tmp_path / "cities_population_2023.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="missing column.*pop_city_proper_2023_01_01"):
        loaders.read_csv("cities_population_2023.csv", path=p)


def test_region_populations_sum_to_national_total():
    cur = loaders.regions("current")
    jan = loaders.regions("jan2022")
    total = loaders.national_population()
    assert total == 19_765_004
    assert int(cur["population"].sum()) == total  # exact: BNS units sum to the national row
    assert int(jan["population"].sum()) == total
    assert len(cur) == 20 and len(jan) == 17
    assert np.all(cur["urban"] + cur["rural"] == cur["population"])
    assert np.all((cur["urban_share"] >= 0) & (cur["urban_share"] <= 1))
    # context.csv reports the same national total and its urban part
    ctx = loaders.context()
    i = [
        k
        for k, (n, d) in enumerate(zip(ctx["indicator"], ctx["year_or_date"]))
        if n == "population" and d == "2023-01-01"
    ]
    assert ctx["value_num"][i[0]] == total
    assert int(cur["urban"].sum()) == 12_208_259


def test_jan2022_merge_of_split_units():
    cur = loaders.regions("current")
    jan = loaders.regions("jan2022")
    pc = dict(zip(cur["iso_3166_2"], cur["population"]))
    pj = dict(zip(jan["iso_3166_2"], jan["population"]))
    assert pj["KZ-63"] == pc["KZ-63"] + pc["KZ-10"]
    assert pj["KZ-19"] == pc["KZ-19"] + pc["KZ-33"]
    assert pj["KZ-35"] == pc["KZ-35"] + pc["KZ-62"]
    assert not ({"KZ-10", "KZ-33", "KZ-62"} & set(pj))
    assert {"KZ-47", "KZ-75"} <= set(pj) and {"KZ-47", "KZ-75"} <= set(pc)


def test_split_mapping_agrees_with_unrest_table():
    u = loaders.read_csv("unrest_2022_regions.csv")
    names = dict(zip(u["iso_3166_2"], u["unit_in_jan2022"]))
    assert names["KZ-10"].startswith("East Kazakhstan")
    assert names["KZ-33"].startswith("Almaty Region")
    assert names["KZ-62"].startswith("Karaganda")
    cities = loaders.cities()
    for c, parent in zip(cities["iso_3166_2"], cities["iso_jan2022"]):
        assert parent == loaders.SPLIT_2022.get(c, c)


def test_unrest_tables():
    u = loaders.unrest_regions()
    row = {c: i for i, c in enumerate(u["iso_3166_2"])}
    assert u["first_protest_date"][row["KZ-47"]] == np.datetime64("2022-01-01")
    assert u["first_protest_date"][row["KZ-10"]] == np.datetime64("2022-01-04")
    assert u["first_protest_date_latest"][row["KZ-10"]] == np.datetime64("2022-01-05")
    assert np.isnat(u["first_protest_date"][row["KZ-62"]])
    assert u["detained"][row["KZ"]] == 9900 and u["deaths"][row["KZ"]] == 225
    assert u["detained"][row["KZ-39"]] == 650
    assert u["building_attack"][row["KZ-75"]] == "Y"
    j = loaders.unrest_regions("jan2022")
    rj = {c: i for i, c in enumerate(j["iso_3166_2"])}
    assert len(j) == 18  # 17 units + national
    assert j["first_protest_date"][rj["KZ-63"]] == np.datetime64("2022-01-03")
    ev = loaders.unrest_events()
    assert np.all(~np.isnat(ev["date_start"])) and np.all(ev["date_end"] >= ev["date_start"])
    assert 9900 in set(ev["count"][~np.isnan(ev["count"])])
    assert loaders.exchange_rate_jan2022() == pytest.approx(431.8)


def test_cities_fit_inside_their_regions():
    reg = loaders.regions()
    urban = dict(zip(reg["iso_3166_2"], reg["urban"]))
    c = loaders.cities()
    for code in set(c["iso_3166_2"]):
        assert c["population"][c["iso_3166_2"] == code].sum() <= urban[code]


def test_other_tables_load():
    assert len(loaders.security_forces()) == 26
    sf = loaders.security_forces()
    assert sf["value_num"][list(sf["indicator"]).index("csto_troops_deployed")] == 2030
    assert len(loaders.emigration()) == 19
    assert len(loaders.misc_indicators()) == 24
    assert len(loaders.unemployment()) == 21 and len(loaders.wages()) == 273
    assert loaders.first_number("73,000-75,000") == 73000 and np.isnan(loaders.first_number("none"))


def test_regions_geojson_small_with_codes_and_attribution():
    p = DATA_DIR / "regions.geojson"
    assert p.stat().st_size < 200_000
    g = json.loads(p.read_text(encoding="utf-8"))
    codes = sorted(f["properties"]["iso_3166_2"] for f in g["features"])
    assert codes == sorted(loaders.regions()["iso_3166_2"])
    assert "CC BY 4.0" in g["attribution"] and g["license"] == "CC-BY-4.0"
    for f in g["features"]:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_ethnic_matrix_raked_to_census():
    from tolqyn.data.synthesis import ethnic_share_matrix

    codes, S, prov = ethnic_share_matrix({})
    pop = loaders.regions()["population"].astype(float)
    census = loaders.census_2021_national()
    nat = np.array([census[g] for g in loaders.ETHNIC_GROUPS], float)
    assert np.allclose(S.sum(axis=1), 1.0)
    assert np.allclose((S * pop[:, None]).sum(axis=0) / pop.sum(), nat / nat.sum(), atol=1e-8)
    r = dict(zip(codes, S))
    assert r["KZ-43"][0] > 0.94  # Kyzylorda: >96 % Kazakh in the pack
    assert (
        r["KZ-59"][1] > r["KZ-59"][0] - 0.01
    )  # North Kazakhstan: Russians about as many as Kazakhs
    assert r["KZ-61"][2] > 0.12 and r["KZ-59"][2] < 0.02  # Uzbeks in the south, not the north
    raw = ethnic_share_matrix({"ethnic_rake": False})[1]
    assert (raw * pop[:, None]).sum(axis=0)[1] / pop.sum() > nat[
        1
    ] / nat.sum()  # pre-census basis overstates Russians


def test_assumptions_listed_and_overridable():
    from tolqyn.data.synthesis import SYNTHESIS_PARAMS

    names = {p.name for p in SYNTHESIS_PARAMS}
    for a in ASSUMPTIONS:
        assert a["id"] and a["text"] and a["source"] and a["param"] in names
    ids = [a["id"] for a in ASSUMPTIONS]
    assert len(ids) == len(set(ids))
    base = list_assumptions({})
    assert not any(a["overridden"] for a in base)
    over = list_assumptions({"town_size": 12345, "ties_abroad_prob": [0.5] * 8})
    d = {a["param"]: a for a in over}
    assert d["town_size"]["overridden"] and d["town_size"]["value"] == 12345
    assert d["ties_abroad_prob"]["value"] == [0.5] * 8 and d["ties_abroad_prob"]["overridden"]
    assert not d["ties_local"]["overridden"]
