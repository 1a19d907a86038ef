"""Documented assumptions of the population synthesis, where a country pack has no table.

Each assumption has an id, a text, a value, the scenario parameter that overrides it, and a
source or justification. Every value here is a parameter default: a scenario overrides it in
its [params] table (e.g. `town_size = 20000`), a country pack's parameter rows (media.csv,
groups.csv) replace the defaults of the country parameters, and `list_assumptions(params)`
reports the values actually used, flagging overrides, so that a run's report can list them.
Defaults of media and ties abroad are the Kazakhstan pack's values; assumptions about single
units of a country (e.g. the composition of a unit without data) are rows of its pack
(Kazakhstan: composition.csv, basis 'assumption A-ETH-KZ10' ...).
"""

from __future__ import annotations

from typing import Any, Mapping

from tolqyn.data.loaders import ETHNIC_GROUPS

_ETH_ORDER = "order: " + ", ".join(ETHNIC_GROUPS)

# id, param, text, default, source/justification, unit, (low, high), kind
ASSUMPTIONS: list[dict[str, Any]] = [
    {
        "id": "A-POP-VINTAGE",
        "param": "population_total",
        "text": "Region populations are those of the country pack (Kazakhstan: BNS estimates of 1 "
        "January 2023, the only complete table for all 20 units). A positive value rescales them "
        "proportionally to this national total (e.g. the 2021 census total, 19,186,015, for a "
        "January-2022 run); 0 keeps the pack's populations.",
        "default": 0,
        "unit": "citizens",
        "low": 0,
        "high": 2_000_000_000,
        "kind": "int",
        "source": "the pack's units.csv (Kazakhstan: regions_population_urban_2023.csv, BNS bulletin, "
        "1 Jan 2023; units sum exactly to 19,765,004). 2021 census 19,186,015 (context.csv).",
    },
    {
        "id": "A-REGION-BASIS",
        "param": "region_basis",
        "text": "Boundaries of the model's regions: 'current' = the pack's units; the name of the "
        "pack's earlier basis (datapackage.json, tolqyn.earlier_basis) merges units into their "
        "parent_code. Kazakhstan: 'current' = the 20 units since 8 June 2022 (every table of the "
        "pack has them, and they refine January 2022's 17); 'jan2022' merges Abai into East "
        "Kazakhstan, Jetisu into Almaty Region and Ulytau into Karaganda, keeping the parent's "
        "ISO code.",
        "default": "current",
        "unit": "",
        "kind": "str",
        "source": "the pack's units.csv (Kazakhstan: regions.csv, pre2022_origin_or_change; decree "
        "of 4 May 2022, in force 8 Jun 2022).",
    },
    {
        "id": "A-LOC-RURAL",
        "param": "rural_locality_size",
        "text": "Rural population of a region is divided into equal localities of about this size "
        "(the scale of a rural okrug, a group of villages under one akim). No settlement-level "
        "table is in the pack.",
        "default": 3000,
        "unit": "citizens",
        "low": 100,
        "high": 1_000_000,
        "kind": "int",
        "source": "Assumption: a locality holds a few thousand people (docs/odd/country.md). Rural population "
        "7,556,745 (BNS 1 Jan 2023) gives about 2,500 rural localities.",
    },
    {
        "id": "A-LOC-TOWN",
        "param": "town_size",
        "text": "Urban population of a region outside the cities listed in cities_population_2023.csv "
        "is divided into equal towns of about this size.",
        "default": 30000,
        "unit": "citizens",
        "low": 1000,
        "high": 3_000_000,
        "kind": "int",
        "source": "Assumption. The listed 28 cities (city proper) hold 10.1 M of the 12.2 M urban "
        "residents; the rest live in small towns and urban-type settlements.",
    },
    {
        "id": "A-LOC-MAX",
        "param": "max_locality_size",
        "text": "Localities (cities) above this size are split into equal districts (0 = never split; "
        "Almaty then is one locality of 2.16 M). Splitting makes 'the locality' of the protest "
        "mechanisms a city district rather than a whole metropolis.",
        "default": 0,
        "unit": "citizens",
        "low": 0,
        "high": 5_000_000,
        "kind": "int",
        "source": "Modelling choice; Almaty has 8 administrative districts (~270k each).",
    },
    {
        "id": "A-ETH-FILL",
        "param": "ethnic_rake",
        "text": "Regional ethnic shares: the pack's recommended row per unit (mostly BNS start-of-2021/22 "
        "estimates on the pre-census basis). Groups a row does not report get the row's residual "
        "(100 minus reported groups minus named minor groups) split in proportion to their national "
        "2021-census shares; the rest is 'other'. The whole region x group table is then raked "
        "(iterative proportional fitting) to the 2021-census national totals and the regional "
        "populations, which removes the ~3 pp overstatement of Russians in pre-census estimates. "
        "Urban and rural localities of a region share its composition unless "
        "`russophone_urban_odds` says otherwise. Set ethnic_rake=false to use the unraked shares.",
        "default": True,
        "unit": "",
        "kind": "bool",
        "source": "ethnicity_by_region_2021.csv (recommended_for_model rows; SOURCES2.md §3 recommends raking "
        "to census totals); national 2021 census counts (same file, row KZ).",
    },
    {
        "id": "A-ETH-URBAN",
        "param": "russophone_urban_odds",
        "text": "Odds ratio of living in an urban (vs rural) locality for Russians, Ukrainians, Germans and "
        "Tatars relative to other groups, within a region; 1 = urban and rural localities share the "
        "region's ethnic composition. Regional totals are preserved (raking of a 2 x 8 table).",
        "default": 1.0,
        "unit": "odds ratio",
        "low": 0.1,
        "high": 10.0,
        "kind": "float",
        "source": "Assumption (no urban/rural by ethnicity table in the pack; the 1999/2009 censuses show "
        "Russians more urban than Kazakhs, so values around 2-3 are plausible).",
    },
    {
        "id": "A-MEDIA-ONLINE-URBAN",
        "param": "media_online_share_urban",
        "text": "Share of urban residents whose main news source is online (vs television).",
        "default": 0.40,
        "unit": "share",
        "low": 0.0,
        "high": 1.0,
        "kind": "float",
        "source": "misc_indicators.csv: TNS 2018 daily reach among urban residents TV 76 %, internet 51 %; "
        "Internews 2022: 58.1 % trust TV, 34.3 % online media (context.csv). Value is an assumption.",
    },
    {
        "id": "A-MEDIA-ONLINE-RURAL",
        "param": "media_online_share_rural",
        "text": "Share of rural residents whose main news source is online.",
        "default": 0.25,
        "unit": "share",
        "low": 0.0,
        "high": 1.0,
        "kind": "float",
        "source": "Assumption; rural dissatisfaction with internet quality 40.6 % vs 32.1 % urban "
        "(misc_indicators.csv, 2023 survey); ICT use 92.9 % of 6-74-year-olds (2021).",
    },
    {
        "id": "A-MEDIA-FOREIGN-RU",
        "param": "media_foreign_tv_share_russophone",
        "text": "Among television-first Russians, Ukrainians, Germans and Tatars, share whose main channel is "
        "foreign (Russian) TV rather than Kazakhstani state TV.",
        "default": 0.55,
        "unit": "share",
        "low": 0.0,
        "high": 1.0,
        "kind": "float",
        "source": "Assumption. 185 of 270 foreign channels are Russian (2018); 'Russian TV channels are the most "
        "popular' (expert view, CABAR); 67 % of Russian-speakers in 4 cities name TV/radio as main "
        "source (misc_indicators.csv). No audience share of Russian TV was found (pack gap).",
    },
    {
        "id": "A-MEDIA-FOREIGN-OTHER",
        "param": "media_foreign_tv_share_other",
        "text": "Among television-first residents of other groups, share whose main channel is foreign TV.",
        "default": 0.20,
        "unit": "share",
        "low": 0.0,
        "high": 1.0,
        "kind": "float",
        "source": "Assumption; Eurasia First Channel (largely retransmitting Russia's Channel One) had ~20 % "
        "weekly TV audience share (TNS, March 2014; misc_indicators.csv).",
    },
    {
        "id": "A-TIES-ABROAD",
        "param": "ties_abroad_prob",
        "text": "Probability of having kin or friends abroad, by group, in the order of the pack's "
        f"groups.csv (Kazakhstan: {_ETH_ORDER}); the pack's ties_abroad_prob column sets it.",
        "default": (0.10, 0.55, 0.30, 0.45, 0.20, 0.70, 0.35, 0.25),
        "unit": "probability",
        "low": 0.0,
        "high": 1.0,
        "kind": "list",
        "source": "Assumption scaled to emigration.csv: ~614k Russians left 1991-96 and Russians were ~73 % of "
        "emigrants in 2019; 480k ethnic Germans left 1992-96 and 673k Kazakhstan-born Aussiedler live "
        "in Germany (bpb.de, SOURCES.md §4); Uzbeks and Uyghurs have cross-border kin.",
    },
    {
        "id": "A-NET-LOCAL",
        "param": "ties_local",
        "text": "Mean number of ties per agent within its locality (a tie is symmetric; each agent starts "
        "half of them).",
        "default": 6.0,
        "unit": "ties per agent",
        "low": 0.0,
        "high": 50.0,
        "kind": "float",
        "source": "Assumption; a few strong ties per person as in threshold-cascade models (Watts 2002 uses "
        "mean degrees of 1-10). Memory grows by about 4 bytes per agent per tie.",
    },
    {
        "id": "A-NET-REGIONAL",
        "param": "ties_regional",
        "text": "Mean number of ties per agent to other localities of the same region.",
        "default": 1.0,
        "unit": "ties per agent",
        "low": 0.0,
        "high": 20.0,
        "kind": "float",
        "source": "Assumption (kin and work ties between villages, towns and the regional centre).",
    },
    {
        "id": "A-NET-NATIONAL",
        "param": "ties_national",
        "text": "Mean number of ties per agent to other regions.",
        "default": 0.5,
        "unit": "ties per agent",
        "low": 0.0,
        "high": 20.0,
        "kind": "float",
        "source": "Assumption (internal migrants, students, relatives in Almaty/Astana).",
    },
    {
        "id": "A-NET-HOMOPHILY",
        "param": "ethnic_homophily",
        "text": "Share of local ties drawn within the agent's own ethnic group in its locality (the rest are "
        "drawn from the whole locality, which also yields same-group ties by chance).",
        "default": 0.5,
        "unit": "share",
        "low": 0.0,
        "high": 1.0,
        "kind": "float",
        "source": "Assumption; ethnic homophily of personal networks (McPherson, Smith-Lovin & Cook 2001).",
    },
]

_BY_PARAM = {a["param"]: a for a in ASSUMPTIONS}
_BY_ID = {a["id"]: a for a in ASSUMPTIONS}


def assumption(aid: str) -> dict:
    return dict(_BY_ID[aid])


def _get(params: Mapping | None, name: str):
    if params is not None:
        try:
            if name in params:
                return params[name]
        except TypeError:
            pass
    return _BY_PARAM[name]["default"]


def _norm(v):
    if isinstance(v, (list, tuple)):
        return tuple(float(x) for x in v)
    return v


def list_assumptions(params: Mapping | None = None) -> list[dict]:
    """The assumptions with the values used under `params` (a mapping or a ParamSet; names it
    lacks take their defaults). Each entry: id, param, text, value, default, overridden, unit,
    source."""
    out = []
    for a in ASSUMPTIONS:
        v = _get(params, a["param"])
        out.append(
            {
                "id": a["id"],
                "param": a["param"],
                "text": a["text"],
                "value": list(v) if isinstance(v, tuple) else v,
                "default": list(a["default"]) if isinstance(a["default"], tuple) else a["default"],
                "overridden": _norm(v) != _norm(a["default"]),
                "unit": a["unit"],
                "source": a["source"],
            }
        )
    return out
