"""Observed targets: the one reader of a scenario's `[[meta.observed]]` records, and the
verdict (match or miss, with a distance) of a run against each.

A record names what was observed (`target`), where (`metric`, `region`), when (`date`) and how
much (`value`), where it comes from (`source`), and whether the model was fitted to it or it is
held back for checking (`role` = "fitted" | "checked"; a calibration never sees a checked
target). Kinds, by `target`:

- `onset`: the region's first date with `min_active` persons active, and the region being
  among the first to get there (two terms: the date, and the days behind the first region);
- `spread`: regions that had reached `min_active` persons by the date (`value`);
- `peak`: the date of the national maximum of the metric, and (with a region) that region
  being the largest on that day (two terms);
- `end`: the wave is over by the date — its end (the first day after the peak at or below
  `end_share` of the peak) comes no later than the date (one term: the days it is late);
- `order`: the rank order of the first dates with `min_active` persons across units, against
  a chronology's first-protest dates (`dates`: a table of region = date, or region = [first,
  last] where the chronology gives a range; its mean is taken): Spearman's ρ, matching when
  ρ ≥ `value` (one term);
- `never`: units a chronology says never joined (`regions`: a list): how many of them the
  run has reached by the date (one term; matches within `tolerance_units`, default 0);
- any other name with a numeric `value`: the count at the date (end of the run without one).

Each kind becomes one or more *terms*, numbers in the target's own units with a tolerance:
counts on a log scale (a term matches when simulated and observed are within
`tolerance_factor` of each other), dates in days (within `tolerance_days`), regions in units
(within `tolerance_units`). A target matches when all its terms do. The calibration's distance
is built from the same terms, each divided by its scale, so the report's verdict, the ABC
distance and the tests cannot disagree."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

from tolqyn.observe import stats as st

KINDS = ("onset", "spread", "peak", "end", "order", "never")
ROLES = ("fitted", "checked")
KEYS = (
    "target",
    "name",
    "role",
    "metric",
    "region",
    "date",
    "value",
    "unit",
    "label",
    "source",
    "tolerance_factor",
    "tolerance_days",
    "tolerance_units",
    "min_active",
    "end_share",
    "dates",
    "regions",
    "error",  # measurement-error model of the calibration (experiments/structures.py)
    "error_sd",
    "error_sd_above",
)


@dataclass(frozen=True)
class Term:
    """One number of a target: simulated vs observed, in the target's units."""

    name: str
    simulated: float
    observed: float
    tolerance: float  # |simulated - observed| <= tolerance is a match
    scale: float  # the calibration divides the difference by this
    at_most: bool = False  # an upper bound: any simulated value up to observed + tolerance

    @property
    def match(self) -> bool:
        gap = self.simulated - self.observed
        return math.isfinite(self.simulated) and (gap if self.at_most else abs(gap)) <= (
            self.tolerance + 1e-9
        )

    @property
    def distance(self) -> float:
        gap = self.simulated - self.observed
        return (max(gap, 0.0) if self.at_most else gap) / self.scale


@dataclass(frozen=True)
class Verdict:
    target: "Target"
    terms: tuple
    simulated: str  # what the run did, in words and numbers
    match: bool | None  # None: the run cannot say (the metric was not recorded)

    @property
    def distance(self) -> float:
        """The 2-norm of the terms' scaled differences (0 = exact)."""
        return math.sqrt(sum(t.distance**2 for t in self.terms)) if self.terms else math.nan

    @property
    def text(self) -> str:
        return {True: "match", False: "miss", None: "not simulated"}[self.match]


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # onset | spread | peak | end | count
    metric: str
    role: str = "fitted"
    region: str = "ALL"
    date: str | None = None
    value: object = None  # the observed number (count, regions) or a description
    unit: str = ""
    label: str = ""
    source: str = ""
    min_active: float = st.DEFAULTS["min_active"]
    end_share: float = st.DEFAULTS["end_share"]
    tolerance_factor: float = st.DEFAULTS["tolerance_factor"]
    tolerance_days: float = st.DEFAULTS["tolerance_days"]
    tolerance_units: float | None = None
    dates: tuple = ()  # order: ((region, (date, ...)), ...), the chronology's first dates
    regions: tuple = ()  # never: the units that never joined
    at_most: bool = False  # count: the observed figure bounds the simulated one from above
    record: dict = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------ reading the scenario
    @classmethod
    def from_record(cls, o: dict, where: str, source: str | None = None) -> "Target":
        from tolqyn.core.errors import ScenarioError, UnknownParamError

        for k in o:
            if k not in KEYS:
                raise UnknownParamError(k, KEYS, source=source, what=f"key of {where}")
        for k, low, text in (
            ("tolerance_factor", 1.0, "a number > 1"),
            ("min_active", 0.0, "a number >= 0"),
            ("tolerance_days", 0.0, "a number >= 0"),
            ("tolerance_units", 0.0, "a number >= 0"),
            ("end_share", 0.0, "a number in [0, 1)"),
        ):
            v = o.get(k)
            if v is None:
                continue
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            if (
                not ok
                or v < low
                or (k == "tolerance_factor" and v == low)
                or (k == "end_share" and v >= 1)
            ):
                raise ScenarioError(
                    f"{v!r} out of range; allowed: {text}", source=source, field=f"{where}.{k}"
                )
        if "target" not in o:
            raise ScenarioError("missing 'target'", source=source, field=where)
        role = o.get("role", "fitted")
        if role not in ROLES:
            raise UnknownParamError(str(role), ROLES, source=source, what=f"{where}.role")
        name = str(o["target"])
        kind = name if name in KINDS else "count"
        value = o.get("value")
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind in ("count", "spread", "order") and not numeric:
            raise ScenarioError(
                f"target '{name}' needs a numeric 'value'", source=source, field=f"{where}.value"
            )
        if kind in KINDS and kind != "order" and not o.get("date"):
            raise ScenarioError(
                f"target '{name}' needs a 'date'", source=source, field=f"{where}.date"
            )
        if kind == "count" and numeric and value <= 0:
            raise ScenarioError(
                f"{value!r} out of range; allowed: a count > 0",
                source=source,
                field=f"{where}.value",
            )
        date = o.get("date")
        if isinstance(date, (_dt.date, _dt.datetime)):
            date = date.isoformat()
        if date:
            try:
                _dt.datetime.fromisoformat(str(date))
            except ValueError:
                raise ScenarioError(
                    f"{date!r} is not an ISO date (YYYY-MM-DD)",
                    source=source,
                    field=f"{where}.date",
                ) from None
        dates, regions = _dates_and_regions(o, kind, where, source)
        if kind == "order" and not -1.0 <= value < 1.0:
            raise ScenarioError(
                f"{value!r} out of range; allowed: a least Spearman rho in [-1, 1)",
                source=source,
                field=f"{where}.value",
            )
        kw = {
            k: float(o[k])
            for k in ("min_active", "end_share", "tolerance_factor", "tolerance_days")
            if k in o
        }
        return cls(
            name=str(o.get("name", name)),
            kind=kind,
            metric=str(o.get("metric", "active")),
            role=role,
            region=str(o.get("region", "ALL")),
            date=str(date) if date else None,
            value=value,
            unit=str(o.get("unit", "")),
            label=str(o.get("label", "")),
            source=str(o.get("source", "")),
            tolerance_units=float(o["tolerance_units"]) if "tolerance_units" in o else None,
            dates=dates,
            regions=regions,
            record=dict(o),
            **kw,
        )

    @property
    def fitted(self) -> bool:
        return self.role == "fitted"

    # ------------------------------------------------------------ against a run
    def expected(self, clock) -> tuple:
        """(name, observed, tolerance, scale) of each term, from the scenario's clock alone
        (the calibration needs them before any run). Dates are in days from the start."""
        dt = clock.dt
        tol_d, scale_d = self.tolerance_days, max(self.tolerance_days, dt)
        if self.kind == "count":
            lf = math.log(self.tolerance_factor)
            return ((self.name, math.log(self.value), lf, lf),)
        if self.kind == "spread":
            tol = self.tolerance_units
            tol = st.spread_tolerance(self.value) if tol is None else tol
            return ((self.name, float(self.value), tol, max(tol, 1.0)),)
        if self.kind == "order":
            tol = 1.0 - float(self.value)
            return ((self.name, 1.0, tol, max(tol, 0.1)),)
        if self.kind == "never":
            tol = 0.0 if self.tolerance_units is None else self.tolerance_units
            return ((self.name, 0.0, tol, max(tol, 1.0)),)
        day = clock.day_number(min(clock.step_of(self.date), clock.n_steps))
        if self.kind == "onset":
            return ((self.name, day, tol_d, scale_d), (f"{self.name}.first", 0.0, tol_d, scale_d))
        if self.kind == "peak":
            out = [(self.name, day, tol_d, scale_d)]
            if self.region != "ALL":
                out.append((f"{self.name}.region", 0.0, 0.0, 1.0))
            return tuple(out)
        if self.kind == "end":
            return ((self.name, 0.0, tol_d, scale_d),)
        raise AssertionError(self.kind)

    def simulated(self, run) -> tuple:
        """The run's value of each term, in the order of `expected`."""
        dt = float(run.manifest.get("dt_days", 1.0))
        horizon = run.n_rows * dt  # "never" is one step past the end of the run

        def days(row):
            return horizon if row is None else st.day_of_row(run, row)

        if self.kind == "count":
            return (math.log(max(st.value_at(run, self.metric, self.date, self.region), 1.0)),)
        if self.kind == "spread":
            return (float(st.units_reached(run, self.date, self.metric, self.min_active)),)
        if self.kind == "order":
            return (
                st.onset_rank_correlation(
                    run, self.observed_days(run), self.metric, self.min_active
                ),
            )
        if self.kind == "never":
            reached = st.units_reached_of(
                run, self.regions, self.date, self.metric, self.min_active
            )
            return (float(len(reached)),)
        if self.kind == "onset":
            first = st.onsets(run, self.metric, self.min_active)
            mine = first.get(self.region)
            started = [r for r in first.values() if r is not None]
            # days behind the first region to get there (0: among the first)
            lag = (days(mine) - days(min(started))) if started else horizon
            return (days(mine), lag)
        if self.kind == "peak":
            p, _ = st.peak(run, self.metric)
            out = [days(p)]
            if self.region != "ALL":
                out.append(float(st.largest_region(run, self.metric, p) != self.region))
            return tuple(out)
        if self.kind == "end":
            # the record says the wave is over by the date: days by which its end comes later
            e = st.end_of_wave(run, self.metric, self.region, self.end_share)
            return (max(0.0, days(e) - st.day_of_row(run, st.row_of(run, self.date))),)
        raise AssertionError(self.kind)

    def terms(self, run) -> tuple:
        """The target's terms for one run (RunResult); () if the metric was not recorded."""
        if not st.has(run, self.metric):
            return ()
        spec = self.expected(st.clock_of(run))
        upper = self.at_most and self.kind == "count"
        return tuple(
            Term(name, sim, obs, tol, scale, upper)
            for (name, obs, tol, scale), sim in zip(spec, self.simulated(run))
        )

    def headline(self, run):
        """The run's one-number answer to the record, for tables: the count or the number of
        regions, or the simulated date (onset of the region, national peak, end of the wave)."""
        if self.kind == "count":
            return st.value_at(run, self.metric, self.date, self.region)
        if self.kind == "spread":
            return st.units_reached(run, self.date, self.metric, self.min_active)
        if self.kind == "order":
            return st.onset_rank_correlation(
                run, self.observed_days(run), self.metric, self.min_active
            )
        if self.kind == "never":
            return len(
                st.units_reached_of(run, self.regions, self.date, self.metric, self.min_active)
            )
        if self.kind == "onset":
            return st.date_of(run, st.onsets(run, self.metric, self.min_active).get(self.region))
        if self.kind == "peak":
            return st.date_of(run, st.peak(run, self.metric)[0])
        return st.date_of(run, st.end_of_wave(run, self.metric, self.region, self.end_share))

    def judge(self, run) -> Verdict:
        terms = self.terms(run)
        if not terms:
            return Verdict(self, (), "metric not recorded", None)
        return Verdict(self, terms, self.describe(run), all(t.match for t in terms))

    def describe(self, run) -> str:
        """What the run did for this target, in words (the report's 'simulated' cell)."""
        crowd = f" of ≥{self.min_active:,.0f} persons" if self.min_active > 0 else ""
        if self.kind == "count":
            return _fmt(st.value_at(run, self.metric, self.date, self.region))
        if self.kind == "spread":
            n = st.units_reached(run, self.date, self.metric, self.min_active)
            return f"{n} of {len(run.regions)} regions had protest{crowd} by {self.date}"
        if self.kind == "order":
            rho = st.onset_rank_correlation(
                run, self.observed_days(run), self.metric, self.min_active
            )
            n = sum(1 for c in self.observed_days(run))
            return f"Spearman ρ = {_fmt(rho)} over {n} dated units (first day{crowd})"
        if self.kind == "never":
            got = st.units_reached_of(run, self.regions, self.date, self.metric, self.min_active)
            return f"reached{crowd} by {self.date}: {', '.join(got) or 'none'} of {', '.join(self.regions)}"
        if self.kind == "onset":
            first = st.onsets(run, self.metric, self.min_active)
            started = [r for r in first.values() if r is not None]
            day = min(started) if started else None
            leaders = sorted(c for c, r in first.items() if r is not None and r == day)
            mine = st.date_of(run, first.get(self.region))
            return (
                f"{self.region} first protest{crowd} {mine or 'never'}; first region(s): "
                f"{', '.join(leaders) or '–'} on {st.date_of(run, day) or '–'}"
            )
        if self.kind == "peak":
            p, size = st.peak(run, self.metric)
            largest = st.largest_region(run, self.metric, p)
            return (
                f"national peak {st.date_of(run, p) or '–'} ({_fmt(size)}); "
                f"largest region that day {largest or '–'}"
            )
        if self.kind == "end":
            e = st.end_of_wave(run, self.metric, self.region, self.end_share)
            p, size = st.peak(run, self.metric, self.region)
            at = st.value_at(run, self.metric, self.date, self.region)
            share = 100 * at / size if size > 0 else 0.0
            return (
                f"below {100 * self.end_share:g}% of the peak from {st.date_of(run, e) or 'never'}; "
                f"{_fmt(at)} active on {self.date} ({share:.1f}% of the peak)"
            )
        raise AssertionError(self.kind)

    def observed_days(self, run) -> dict:
        """{region: observed first row} of an `order` record on the run's clock (the mean of a
        range), for the units the run has."""
        clock = st.clock_of(run)
        have = set(run.regions)
        return {c: sum(clock.step_of(d) for d in ds) / len(ds) for c, ds in self.dates if c in have}

    @property
    def observed_text(self) -> str:
        if self.kind == "order":
            return f"the chronology's order of {len(self.dates)} units (ρ ≥ {self.value:g})"
        if self.kind == "never":
            return f"never joined: {', '.join(self.regions)}"
        v = self.value
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return f"{_fmt(v)} {self.unit}".strip()
        return str(v if v is not None else self.date)


def _dates_and_regions(o: dict, kind: str, where: str, source) -> tuple:
    """The `dates` table of an order record and the `regions` list of a never record, checked."""
    from tolqyn.core.errors import ScenarioError

    dates, regions = (), ()
    if kind == "order":
        raw = o.get("dates")
        if not isinstance(raw, dict) or len(raw) < 3:
            raise ScenarioError(
                "an order target needs 'dates', a table of at least three region = date",
                source=source,
                field=f"{where}.dates",
            )
        out = []
        for code, d in raw.items():
            ds = d if isinstance(d, list) else [d]
            iso = []
            for x in ds:
                x = x.isoformat() if isinstance(x, (_dt.date, _dt.datetime)) else str(x)
                try:
                    _dt.datetime.fromisoformat(x)
                except ValueError:
                    raise ScenarioError(
                        f"{x!r} is not an ISO date (YYYY-MM-DD)",
                        source=source,
                        field=f"{where}.dates.{code}",
                    ) from None
                iso.append(x)
            if not iso:
                raise ScenarioError(
                    "an empty list; allowed: a date or [first, last]",
                    source=source,
                    field=f"{where}.dates.{code}",
                )
            out.append((str(code), tuple(iso)))
        dates = tuple(out)
    if kind == "never":
        raw = o.get("regions")
        if not isinstance(raw, list) or not raw or not all(isinstance(c, str) for c in raw):
            raise ScenarioError(
                "a never target needs 'regions', a non-empty list of region codes",
                source=source,
                field=f"{where}.regions",
            )
        regions = tuple(raw)
    return dates, regions


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, int) or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


# ------------------------------------------------------------------ collections
def targets_of(meta: dict | None, source: str | None = None, role: str | None = None) -> list:
    """The targets of a scenario's meta (its `observed` records), optionally of one role.
    Names are made unique by their date when a kind repeats (spread 2022-01-04, ...)."""
    from tolqyn.core.errors import ScenarioError

    records = (meta or {}).get("observed")
    if records is None:
        return []
    if not isinstance(records, list) or not all(isinstance(o, dict) for o in records):
        raise ScenarioError(
            "must be an array of tables ([[meta.observed]])", source=source, field="meta.observed"
        )
    out = [Target.from_record(o, f"meta.observed[{i}]", source) for i, o in enumerate(records)]
    names = [t.name for t in out]
    dup = {n for n in names if names.count(n) > 1}
    out = [
        t if t.name not in dup or "name" in t.record else _renamed(t, f"{t.name} {t.date}")
        for t in out
    ]
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise ScenarioError(
            "observed targets must have distinct names (give 'name')",
            source=source,
            field="meta.observed",
        )
    return [t for t in out if role is None or t.role == role]


def _renamed(t: Target, name: str) -> Target:
    from dataclasses import replace

    return replace(t, name=name)


def evaluate(run, targets=None) -> list:
    """The verdict of every target (the run's own scenario's when none are given)."""
    if targets is None:
        targets = targets_of(run.manifest.get("scenario_meta"), run.manifest.get("scenario"))
    return [t.judge(run) for t in targets]
