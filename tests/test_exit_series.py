"""Data series of the decade scenario: the pack's points are read exactly, interpolation is
exact, schema violations name the series and the allowed range, and the emigration figures are
split into fitted and checked ones as documented."""

import datetime as dt
import math

import pytest

from tolqyn.data import series as S
from tolqyn.data.loaders import DataError


def test_exchange_rate_pack_points():
    fx = S.exchange_rate()
    assert fx.value_at("2015-08-19") == 188.0
    assert fx.value_at("2015-08-20") == 255.0
    assert fx.value_at("2015-12-22") == 349.0
    assert fx.value_at("2022-01-03") == 431.8
    assert fx.value_at("2014-02-13") == 185.0
    # ~20 % step of 13 Feb 2014 (pack) from the assumed pre-step level
    assert fx.value_at("2014-02-12") == pytest.approx(185.0 / 1.2, abs=0.06)
    # constant outside the points
    assert fx.value_at("1999-01-01") == 136.0 and fx.value_at("2030-01-01") == fx.points[-1].value
    # geometric interpolation: the midpoint in time is the geometric mean
    a, b = fx.points[7], fx.points[8]
    mid = a.date + (b.date - a.date) / 2
    assert fx.value_at(mid) == pytest.approx(math.sqrt(a.value * b.value), rel=1e-3)


def test_every_point_is_pack_or_documented():
    for s in (S.exchange_rate(), S.corruption_index()):
        for p in s.points:
            assert p.basis == "pack" or p.basis in S.SERIES_ASSUMPTIONS


def test_corruption_index():
    cpi = S.corruption_index()
    assert cpi.value_at("2010-06-01") == 28.0  # A-CPI-PRE2015
    assert cpi.value_at("2019-06-01") == 34.0
    assert cpi.value_at("2024-12-31") == 40.0


def test_internet_logistic_fits_pack_points():
    for year, share in S.internet_points():
        assert S.internet_adoption(year) == pytest.approx(share, abs=0.02)
    assert S.internet_adoption(2004) < S.internet_adoption(2013) < S.internet_adoption(2022)


def test_schema_errors_name_series_and_range():
    bad = S.Series(
        "fx_test",
        "KZT/USD",
        (S.Point(dt.date(2004, 1, 1), 5000.0, "pack"),),
        "loglinear",
        50.0,
        2000.0,
    )
    with pytest.raises(DataError, match=r"fx_test.*allowed \[50, 2000\]"):
        bad.check()
    undocumented = S.Series(
        "x", "u", (S.Point(dt.date(2004, 1, 1), 1.0, "A-NOPE"),), "step", 0.0, 2.0
    )
    with pytest.raises(DataError, match="documented assumption"):
        undocumented.check()
    backwards = S.Series(
        "y",
        "u",
        (S.Point(dt.date(2005, 1, 1), 1.0, "pack"), S.Point(dt.date(2004, 1, 1), 1.0, "pack")),
        "step",
        0.0,
        2.0,
    )
    with pytest.raises(DataError, match="must not decrease"):
        backwards.check()


def test_figures_fit_and_check_roles():
    figs = {f.name: f for f in S.emigration_figures()}
    fit = {n for n, f in figs.items() if f.role == "fit"}
    assert fit == {
        "total_2004",
        "total_2013",
        "total_2014",
        "total_2017",
        "total_2018",
        "total_2019",
        "russian_2019",
        "german_2019",
    }
    assert figs["total_2019"].observed == 45200 and figs["russian_2019"].observed == 32800
    assert (
        figs["to_russia_2018_H1"].role == "check" and figs["to_russia_2018_H1"].end == "2018-07-01"
    )
    assert figs["total_2015_Jan-Oct"].end == "2015-11-01"
    # no figure after 2019 is used
    assert all(int(f.start[:4]) <= 2019 for f in figs.values())
