"""Small hand-built countries for the country-model tests: real arrays with the layout of a
synthesized CountrySpace (agents sorted by region and locality, CSR network), small enough
for unit tests to run in well under a second."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from tolqyn.core.params import Param
from tolqyn.models.country.model import CountryModel
from tolqyn.space.network import from_edges

ETHNIC = ["kazakh", "russian", "uzbek", "ukrainian", "uyghur", "german", "tatar", "other"]


def hand_space(
    loc_sizes_by_region: dict,
    *,
    scale: float = 1.0,
    degree: float = 8.0,
    cross_share: float = 0.05,
    seed: int = 1,
    russian_share: float = 0.2,
    online_share: float = 0.4,
):
    """A CountrySpace-like object: `loc_sizes_by_region` maps an ISO code to a list of
    locality sizes (agents); the first locality of each region is urban."""
    rng = np.random.default_rng(seed)
    codes = list(loc_sizes_by_region)
    loc_sizes, loc_region, loc_urban, names = [], [], [], []
    for r, code in enumerate(codes):
        for j, n in enumerate(loc_sizes_by_region[code]):
            loc_sizes.append(int(n))
            loc_region.append(r)
            loc_urban.append(j == 0)
            names.append(f"{code}-{j}")
    loc_sizes = np.array(loc_sizes, dtype=np.int64)
    n_loc = loc_sizes.size
    loc_start = np.zeros(n_loc + 1, dtype=np.int64)
    np.cumsum(loc_sizes, out=loc_start[1:])
    n = int(loc_start[-1])
    locality = np.repeat(np.arange(n_loc, dtype=np.int32), loc_sizes)
    loc_region = np.array(loc_region, dtype=np.int16)
    region = loc_region[locality].astype(np.int16)
    region_start = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(region, minlength=len(codes)), out=region_start[1:])
    # income rank within each locality
    income = np.empty(n, dtype=np.float32)
    for l in range(n_loc):
        a, b = loc_start[l], loc_start[l + 1]
        income[a:b] = (rng.permutation(b - a) + 0.5) / max(b - a, 1)
    eth = np.where(rng.random(n) < russian_share, 1, 0).astype(np.int8)
    media = np.where(rng.random(n) < online_share, 2, np.where(rng.random(n) < 0.25, 1, 0)).astype(
        np.int8
    )
    agents = {
        "region": region,
        "locality": locality,
        "ethnicity": eth,
        "urban": np.asarray(loc_urban, dtype=np.int8)[locality],
        "income": income,
        "risk_aversion": rng.random(n).astype(np.float32),
        "media_diet": media,
        "ties_abroad": rng.poisson(0.3 + 1.2 * (eth == 1)).astype(np.int8),
    }
    # network: mostly within the locality, a few ties anywhere
    m = int(degree * n / 2)
    src = rng.integers(0, n, size=m)
    cross = rng.random(m) < cross_share
    loc_of = locality[src]
    within = loc_start[loc_of] + (rng.random(m) * loc_sizes[loc_of]).astype(np.int64)
    dst = np.where(cross, rng.integers(0, n, size=m), within)
    net = from_edges(n, src, dst)
    return SimpleNamespace(
        region_codes=codes,
        region_names=codes,
        region_population=(np.bincount(region, minlength=len(codes)) * scale).astype(np.int64),
        region_urban_share=np.full(len(codes), 0.5),
        region_centroid=np.zeros((len(codes), 2)),
        ethnic_groups=list(ETHNIC),
        n_localities=n_loc,
        locality_region=loc_region,
        locality_start=loc_start,
        locality_urban=np.asarray(loc_urban, dtype=bool),
        locality_name=names,
        locality_population=(loc_sizes * scale).astype(np.int64),
        region_start=region_start,
        network=net,
        scale=float(scale),
        agents=agents,
        assumptions=[],
        n_agents=n,
        n_regions=len(codes),
    )


class HandCountry(CountryModel):
    """The country model on a hand-built space (no data synthesis)."""

    name = "country-hand"
    spec = {"KZ-47": [400, 200, 200], "KZ-75": [1200, 300], "KZ-71": [600, 300, 200]}

    @classmethod
    def define_params(cls):
        return [
            Param("scale", 1.0, "citizens per agent", 1.0, 1e5, unit="citizens/agent"),
            Param("hand_seed", 1, "seed of the hand-built space", 0, 10**9, kind="int"),
        ]

    def build(self, sim):
        space = hand_space(
            self.spec, scale=float(sim.params["scale"]), seed=int(sim.params["hand_seed"])
        )
        return self._adopt(sim, space)


def register_hand() -> None:
    """Make 'country-hand' a model name for scenarios built by hand in a test."""
    from tolqyn import models

    models.MODELS.setdefault("country-hand", "country_fixtures:HandCountry")


def make_sim(
    params=None, events=(), steps=12, seed=3, model="country-hand", start_date="2022-01-01"
):
    from tolqyn.core.sim import Sim
    from tolqyn.scenarios.loader import from_dict

    register_hand()
    data = {
        "model": model,
        "steps": steps,
        "seed": seed,
        "start_date": start_date,
        "params": dict(params or {}),
        "events": [dict(e) for e in events],
    }
    return Sim(from_dict(data, name="hand"), seed=seed)


# a price shock in the first region, and a smaller online half-saturation that fits a
# country of a few thousand citizens
PRICE_HIKE = {
    "id": "price-hike",
    "at": 1,
    "action": "fuel_price",
    "params": {"price": 120.0, "regions": ["KZ-47"]},
}
HAND_PARAMS = {"online_half": 100.0}


def run_hand(params=None, events=(PRICE_HIKE,), steps=12, seed=3, validate=False):
    sim = make_sim(params={**HAND_PARAMS, **(params or {})}, events=events, steps=steps, seed=seed)
    sim.validate = validate
    return sim.run()


def total(r, metric, region="ALL"):
    return float(np.nansum(r.series(metric, region)))


def jan(run, metric, first, stop, region="ALL"):
    """The national (or one region's) series from `first` January up to, not including,
    `stop` January: the replay starts with two quiet weeks of December, so rows are found by
    their date."""
    rows = run.dates()
    first, stop = rows.index(f"2022-01-{first:02d}"), rows.index(f"2022-01-{stop:02d}")
    return run.series(metric, region)[first:stop]
