"""Time series for the decade scenario (kazakhstan-exit): the tenge exchange rate, the
corruption perceptions index, internet adoption and the emigration figures to fit and check.

Every value comes from the packaged data pack (`context.csv`, `misc_indicators.csv`,
`emigration.csv`, read through the schema-checked loaders) or from a documented assumption in
`SERIES_ASSUMPTIONS` below, which names what the pack lacks and why the value was chosen.
Each series is a list of dated points with a basis ("pack" or an assumption id); `value_at`
interpolates it (step = hold the last point; loglinear = geometric between points).

Schema checks: dates must be ISO and increasing, values positive and within the declared
range; a violation raises a DataError that names the series, the point and the allowed range.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from functools import lru_cache

from tolqyn.data import loaders
from tolqyn.data.loaders import DataError

# ---------------------------------------------------------------------------- assumptions
SERIES_ASSUMPTIONS: dict[str, dict] = {
    "A-FX-PRE2009": {
        "text": "KZT/USD before the February 2009 devaluation: 136 in January 2004, appreciating "
        "log-linearly to 120 by January 2009 (the oil-boom appreciation).",
        "source": "Not in the data pack; National Bank of Kazakhstan annual averages (about 136 in 2004, "
        "120-122 in 2007-2008) as widely reported. Only rises of the rate cause hardship in the "
        "model, so the exact pre-2009 path matters little.",
    },
    "A-FX-2009": {
        "text": "The National Bank devalued the tenge from about 120 to about 150 per USD on 4 February 2009 "
        "and held it near 150 until the devaluation of February 2014.",
        "source": "Not in the data pack; NBK decision of 4 Feb 2009 (widely reported). Consistent with the "
        "pack's ~20 % devaluation of 13 Feb 2014 to the 182-188 band (150 x 1.2 ≈ 185 at mid-band "
        "after drift to ~155).",
    },
    "A-FX-2014": {
        "text": "Rate before the 13 February 2014 devaluation = 185 / 1.2 ≈ 155 (the pack's ~20 % step to the "
        "middle of the 182-188 band); 185 from 13 Feb 2014 until the band was widened in 2015.",
        "source": "context.csv kzt_devaluation_feb_2014 (20 %, 13 Feb 2014; band 182-188, widened to 182-198).",
    },
    "A-FX-2016-2021": {
        "text": "Between the pack's 349 (22 Dec 2015) and 431.8 (3 Jan 2022) the rate is interpolated "
        "geometrically (no intermediate point in the pack).",
        "source": "context.csv (kzt_per_usd 2015-12-22 and 2022-01-03..12).",
    },
    "A-FX-2022": {
        "text": "465.99 on 25 Feb 2022 and 511 in mid-March 2022 after the sanctions on Russia; held at 511 "
        "afterwards (the pack has no later rate).",
        "source": "context.csv notes of kzt_per_usd 2022-01 (NBK via makenerzhan-gif/kazakhstan-economic-data).",
    },
    "A-CPI-PRE2015": {
        "text": "Corruption Perceptions Index held at the 2015 score (28/100) for 2004-2014: the pack starts in "
        "2015, and TI's scores before 2012 used another scale and are not comparable over time.",
        "source": "context.csv cpi_score 2015-2024 (Transparency International via inform.kz and others).",
    },
    "A-RSF-GAPS": {
        "text": "Press-repression index for the RSF editions not found (2009, 2011, 2015, 2017): linear "
        "between the editions around them; before 2004 and after 2025 held at the nearest edition.",
        "source": "press_freedom_rsf.csv (Adil Soz, RSF, Kazakh news sites; SOURCES2.md).",
    },
    "A-INTERNET": {
        "text": "Internet adoption A(t) is a logistic curve whose logit is fitted (least squares) to the pack's "
        "national shares of internet users: 62.2 % (2013), 78.8 % (2017), 90.9 % (c. 2022).",
        "source": "context.csv internet_users_share (2013; c. 2022-23); misc_indicators.csv internet_users_share "
        "(2017, minister Abaev).",
    },
}


@dataclass(frozen=True)
class Point:
    date: _dt.date
    value: float
    basis: str  # "pack" or an assumption id
    note: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    unit: str
    points: tuple[Point, ...]
    interpolation: str  # "step" | "loglinear" | "linear"
    low: float
    high: float

    def check(self) -> "Series":
        if self.interpolation not in ("step", "loglinear", "linear"):
            raise DataError(
                f"unknown interpolation {self.interpolation!r}", source=f"series:{self.name}"
            )
        if not self.points:
            raise DataError("no points", source=f"series:{self.name}")
        prev = None
        for k, p in enumerate(self.points):
            where = f"point {k} ({p.date.isoformat()})"
            if not (isinstance(p.value, float) and math.isfinite(p.value)):
                raise DataError(
                    f"{where}: value {p.value!r} is not a finite number",
                    source=f"series:{self.name}",
                    field="value",
                )
            if not self.low <= p.value <= self.high:
                raise DataError(
                    f"{where}: value {p.value} out of range; allowed [{self.low:g}, {self.high:g}] "
                    f"{self.unit}",
                    source=f"series:{self.name}",
                    field="value",
                )
            if p.basis != "pack" and p.basis not in SERIES_ASSUMPTIONS:
                raise DataError(
                    f"{where}: basis {p.basis!r} is neither 'pack' nor a documented assumption",
                    source=f"series:{self.name}",
                    field="basis",
                )
            if prev is not None and p.date < prev:
                raise DataError(
                    f"{where}: dates must not decrease", source=f"series:{self.name}", field="date"
                )
            prev = p.date
        return self

    def value_at(self, when) -> float:
        """Value at a date (datetime, date or ISO string); constant before the first point and
        after the last."""
        d = _as_date(when)
        pts = self.points
        if d <= pts[0].date:
            return pts[0].value
        if d >= pts[-1].date:
            return pts[-1].value
        j = max(k for k, p in enumerate(pts) if p.date <= d)
        a, b = pts[j], pts[j + 1]
        if self.interpolation == "step" or a.date == b.date or d == a.date:
            return a.value
        f = (d - a.date).days / (b.date - a.date).days
        if self.interpolation == "loglinear":
            return float(math.exp(math.log(a.value) + f * (math.log(b.value) - math.log(a.value))))
        return float(a.value + f * (b.value - a.value))


def _as_date(when) -> _dt.date:
    if isinstance(when, _dt.datetime):
        return when.date()
    if isinstance(when, _dt.date):
        return when
    try:
        return _dt.date.fromisoformat(str(when)[:10])
    except ValueError:
        raise DataError(f"{when!r} is not an ISO date", source="series") from None


def _d(s: str) -> _dt.date:
    return _dt.date.fromisoformat(s)


def _context_value(name: str, when_prefix: str | None = None) -> float:
    return loaders.indicator(name, when_prefix)


# ---------------------------------------------------------------------------- exchange rate
@lru_cache(maxsize=1)
def exchange_rate() -> Series:
    """KZT per USD, 2004-2022 (pack points plus the documented assumptions A-FX-*)."""
    ctx = loaders.context()
    before = _context_value("kzt_per_usd_before_float", "2015-08-19")
    after = _context_value("kzt_per_usd_after_float", "2015-08-20")
    dec15 = _context_value("kzt_per_usd", "2015-12-22")
    jan22 = _context_value("kzt_per_usd", "2022-01")
    step14 = _context_value("kzt_devaluation_feb_2014", "2014-02-13") / 100.0
    band_mid = 185.0
    pre14 = band_mid / (1.0 + step14)
    # the 2022 points sit in the notes of the Jan-2022 row; parse them rather than retype them
    note = [
        n
        for n, i, w in zip(ctx["notes"], ctx["indicator"], ctx["year_or_date"])
        if i == "kzt_per_usd" and w.startswith("2022-01")
    ][0]
    feb22 = loaders.first_number(note[note.index("465") :]) if "465" in note else float("nan")
    mar22 = loaders.first_number(note[note.index("510") :]) + 1.0 if "510" in note else float("nan")
    pts = [
        Point(_d("2004-01-01"), 136.0, "A-FX-PRE2009"),
        Point(_d("2009-02-03"), 120.0, "A-FX-PRE2009"),
        Point(_d("2009-02-04"), 150.0, "A-FX-2009"),
        Point(_d("2014-02-12"), round(pre14, 1), "A-FX-2014"),
        Point(_d("2014-02-13"), band_mid, "A-FX-2014", "~20 % devaluation (pack)"),
        Point(_d("2015-08-19"), before, "pack", "last day of the band"),
        Point(_d("2015-08-20"), after, "pack", "free float"),
        Point(_d("2015-12-22"), dec15, "pack"),
        Point(_d("2022-01-03"), jan22, "A-FX-2016-2021", "pack point; geometric path before it"),
        Point(_d("2022-02-25"), feb22, "A-FX-2022"),
        Point(_d("2022-03-15"), mar22, "A-FX-2022"),
    ]
    return Series("exchange_rate", "KZT/USD", tuple(pts), "loglinear", 50.0, 2000.0).check()


@lru_cache(maxsize=1)
def corruption_index() -> Series:
    """Transparency International CPI score (0-100, higher = cleaner), yearly, held within a year."""
    ctx = loaders.context()
    rows = [
        (int(str(w)[:4]), float(v))
        for i, w, v in zip(ctx["indicator"], ctx["year_or_date"], ctx["value_num"])
        if i == "cpi_score" and math.isfinite(v)
    ]
    if not rows:
        raise DataError("no cpi_score rows", source="context.csv", field="indicator")
    rows.sort()
    first_year, first = rows[0]
    pts = [Point(_dt.date(2004, 1, 1), first, "A-CPI-PRE2015")]
    pts += [Point(_dt.date(y, 1, 1), v, "pack") for y, v in rows]
    return Series(
        "corruption_index", "TI CPI score (0-100)", tuple(pts), "step", 0.0, 100.0
    ).check()


@lru_cache(maxsize=1)
def internet_points() -> list[tuple[float, float]]:
    """(year, share of internet users) points of the pack."""
    ctx = loaders.context()
    misc = loaders.misc_indicators()
    pts = []
    for i, w, v in zip(ctx["indicator"], ctx["year_or_date"], ctx["value_num"]):
        if i == "internet_users_share" and math.isfinite(v):
            y = float(loaders.first_number(str(w)))
            pts.append((y, v / 100.0))
    for i, w, v in zip(misc["indicator"], misc["date_or_period"], misc["value_num"]):
        if i == "internet_users_share" and math.isfinite(v):
            pts.append((float(loaders.first_number(str(w))), v / 100.0))
    pts = sorted(set(pts))
    if len(pts) < 2:
        raise DataError("need at least two internet_users_share points", source="context.csv")
    return pts


@lru_cache(maxsize=1)
def internet_logit() -> tuple[float, float]:
    """(intercept at 2013, slope per year) of logit(internet users share), least squares."""
    pts = internet_points()
    x = [p[0] - 2013.0 for p in pts]
    y = [math.log(p[1] / (1.0 - p[1])) for p in pts]
    # the closed form with exact sums, not np.polyfit: LAPACK's least squares differs in the
    # last digit between builds, and the decade replay's baseline is compared exactly
    n = len(x)
    mx, my = math.fsum(x) / n, math.fsum(y) / n
    sxy = math.fsum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = math.fsum((a - mx) ** 2 for a in x)
    slope = sxy / sxx
    return my - slope * mx, slope


def internet_adoption(year: float) -> float:
    """Share of internet users at a (fractional) year from the fitted logistic (A-INTERNET)."""
    a, b = internet_logit()
    return 1.0 / (1.0 + math.exp(-(a + b * (year - 2013.0))))


def decimal_year(when) -> float:
    d = _as_date(when)
    start = _dt.date(d.year, 1, 1)
    return d.year + (d - start).days / ((_dt.date(d.year + 1, 1, 1) - start).days)


# ---------------------------------------------------------------------------- emigration figures
GROUP_COLUMNS = {
    "russian": "emig_russians",
    "german": "emig_germans",
    "ukrainian": "emig_ukrainians",
    "kazakh": "emig_kazakhs",
    "tatar": "emig_tatars",
}


@dataclass(frozen=True)
class Figure:
    """One observed emigration figure: `metric` (a result of the exit model, the base name)
    in the cell `dims` of its breakdown (e.g. (("group", "russian"),) or
    (("destination", "germany"),); () for all emigrants), summed over the steps whose start
    lies in [start, end), to compare with `observed` (citizens)."""

    name: str
    metric: str
    start: str
    end: str
    observed: float
    role: str  # "fit" or "check"
    source: str
    note: str = ""
    dims: tuple = ()  # ((dimension, key), ...) of the breakdown cell

    @property
    def cell(self) -> dict:
        return dict(self.dims)


def emigration_figures() -> list[Figure]:
    """Figures of emigration.csv for 2004-2019 usable as targets, each marked as fitted or only
    checked. Fitted: yearly totals of 2004, 2013, 2014, 2017, 2018, 2019 and the 2019 counts of
    ethnic Russians and Germans. Checked only: the partial-year totals (2013 Jan-Jul, 2015
    Jan-Oct, 2018 H1), the other 2019 groups, destination figures (2018 H1 Russia/Germany,
    non-CIS totals) and the 2013 Jan-Jul ethnic shares."""
    t = loaders.emigration()
    out: list[Figure] = []
    fit_years = {"2004", "2013", "2014", "2017", "2018", "2019"}
    for r in t.rows():
        y, per, src = str(r["year"]), str(r["period"]), str(r["source"])
        if not y.isdigit() or int(y) < 2004 or int(y) > 2019:
            continue
        tot = r["emigrants_total"]
        yi = int(y)
        if per == "year" and math.isfinite(tot):
            out.append(
                Figure(
                    f"total_{y}",
                    "emigrants",
                    f"{y}-01-01",
                    f"{yi + 1}-01-01",
                    float(tot),
                    "fit" if y in fit_years else "check",
                    src,
                )
            )
        elif per in ("Jan-Jul", "Jan-Oct", "H1", "Q1") and math.isfinite(tot):
            end_month = {"Jan-Jul": 8, "Jan-Oct": 11, "H1": 7, "Q1": 4}[per]
            out.append(
                Figure(
                    f"total_{y}_{per}",
                    "emigrants",
                    f"{y}-01-01",
                    f"{y}-{end_month:02d}-01",
                    float(tot),
                    "check",
                    src,
                    f"partial year ({per})",
                )
            )
        if per == "H1":
            for col, dest in (("emig_to_russia", "russia"), ("emig_to_germany", "germany")):
                if math.isfinite(r[col]):
                    out.append(
                        Figure(
                            f"to_{dest}_{y}_H1",
                            "emigrants",
                            f"{y}-01-01",
                            f"{y}-07-01",
                            float(r[col]),
                            "check",
                            src,
                            dims=(("destination", dest),),
                        )
                    )
        if per == "year" and math.isfinite(r["emig_to_nonCIS"]):
            out.append(
                Figure(
                    f"non_cis_{y}",
                    "emigrants",
                    f"{y}-01-01",
                    f"{yi + 1}-01-01",
                    float(r["emig_to_nonCIS"]),
                    "check",
                    src,
                    "non-CIS total; Germany is the main non-CIS destination, so Germany <= this",
                    dims=(("destination", "germany"),),
                )
            )
        if per == "year":
            for g, col in GROUP_COLUMNS.items():
                if math.isfinite(r[col]):
                    role = "fit" if g in ("russian", "german") else "check"
                    out.append(
                        Figure(
                            f"{g}_{y}",
                            "emigrants",
                            f"{y}-01-01",
                            f"{yi + 1}-01-01",
                            float(r[col]),
                            role,
                            src,
                            dims=(("group", g),),
                        )
                    )
        if per == "Jan-Jul":
            for g in ("russians", "germans", "ukrainians"):
                v = r[f"share_{g}_pct"]
                if math.isfinite(v) and math.isfinite(tot):
                    out.append(
                        Figure(
                            f"{g[:-1]}_{y}_{per}",
                            "emigrants",
                            f"{y}-01-01",
                            f"{y}-08-01",
                            float(v) / 100.0 * float(tot),
                            "check",
                            src,
                            f"{v:g} % of {tot:g} (share in the source)",
                            dims=(("group", g[:-1]),),
                        )
                    )
    if not any(f.role == "fit" for f in out):
        raise DataError("no emigration figure to fit in 2004-2019", source="emigration.csv")
    return out
