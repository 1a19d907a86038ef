"""Documented assumptions that fill the gaps of the Kazakhstan data pack.

Each assumption has an id, a text, a value, the scenario parameter that overrides it, and a
source or justification. Every value here is a parameter default: a scenario overrides it in
its [params] table (e.g. `ethnic_shares_kz63 = [45, 50, 0.1, 1, 0.1, 1.6, 1.3, 0.9]`), and
`list_assumptions(params)` reports the values actually used, flagging overrides, so that a
run's report can list them.

Values of ethnic shares are percentages in the order of `ETHNIC_GROUPS`
(kazakh, russian, uzbek, ukrainian, uyghur, german, tatar, other).
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
        "text": "Region populations are the BNS estimates of 1 January 2023 (the only complete table "
        "for all 20 units); for January-2022 runs they are rescaled proportionally to this "
        "national total. The default keeps the 1-Jan-2023 total.",
        "default": 19_765_004,
        "unit": "citizens",
        "low": 1_000_000,
        "high": 30_000_000,
        "kind": "int",
        "source": "regions_population_urban_2023.csv (BNS bulletin, 1 Jan 2023; units sum exactly to "
        "19,765,004). 2021 census 19,186,015 (context.csv) for a January-2022 rescaling.",
    },
    {
        "id": "A-REGION-BASIS",
        "param": "region_basis",
        "text": "The model's regions are the 20 first-level units that exist since 8 June 2022 "
        "('current'): every table of the pack has them, and they refine the 17 units of "
        "January 2022 (Abai was part of East Kazakhstan, Jetisu of Almaty Region, Ulytau of "
        "Karaganda). 'jan2022' merges them back into the 17 units of January 2022, keeping "
        "the parent's ISO code (KZ-19, KZ-35, KZ-63 then mean the pre-split regions).",
        "default": "current",
        "unit": "",
        "choices": ("current", "jan2022"),
        "kind": "choice",
        "source": "regions.csv (pre2022_origin_or_change; decree of 4 May 2022, in force 8 Jun 2022); "
        "unrest_2022_regions.csv attributes events to today's units by city.",
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
        "id": "A-ETH-KZ10",
        "param": "ethnic_shares_kz10",
        "text": "Abai Region (no data in the pack): Kazakh majority around Semey and in the rural districts; "
        f"shares in % ({_ETH_ORDER}).",
        "default": (74.0, 21.0, 0.1, 0.8, 0.1, 1.0, 1.2, 1.8),
        "unit": "%",
        "low": 0,
        "high": 100,
        "kind": "list",
        "source": "Assumption constrained by: pre-split East Kazakhstan Kazakhs 54.5-55 % / Russians 40.5-41 % "
        "(old, undated; ethnicity_by_region.csv) and 469.7k Russians on 1 Jan 2022 in the pre-split "
        "region (Finprom), split so that the reduced East Kazakhstan keeps the larger Russian share.",
    },
    {
        "id": "A-ETH-KZ63",
        "param": "ethnic_shares_kz63",
        "text": "East Kazakhstan Region after the split (no data in the pack): Oskemen, Ridder and Altai are "
        f"largely Russian-speaking; shares in % ({_ETH_ORDER}).",
        "default": (47.0, 47.5, 0.1, 1.0, 0.1, 1.6, 1.3, 1.4),
        "unit": "%",
        "low": 0,
        "high": 100,
        "kind": "list",
        "source": "Assumption: 469.7k Russians in pre-split EKO on 1 Jan 2022 (Finprom via globalnews.kz) minus "
        "the Abai assumption (about 128k) over 730,172 residents (BNS 1 Jan 2023) ≈ 47 %.",
    },
    {
        "id": "A-ETH-KZ19",
        "param": "ethnic_shares_kz19",
        "text": "Almaty Region after the split (no shares in the pack); largest Uyghur community; many minor "
        f"groups (Turks, Kurds, Chechens, Azerbaijanis, Dungans, Koreans) in 'other'; % ({_ETH_ORDER}).",
        "default": (68.0, 12.0, 0.2, 0.5, 8.0, 0.7, 0.8, 9.8),
        "unit": "%",
        "low": 0,
        "high": 100,
        "kind": "list",
        "source": "Uyghurs: 120k of 297k live here (BNS Apr 2023 via fergana.news) / 1,505,984 residents = 8.0 %. "
        "Other values are assumptions.",
    },
    {
        "id": "A-ETH-KZ33",
        "param": "ethnic_shares_kz33",
        "text": f"Jetisu Region (no data in the pack; Taldykorgan, Zharkent); % ({_ETH_ORDER}).",
        "default": (74.0, 14.0, 0.1, 0.6, 6.0, 1.0, 0.8, 3.5),
        "unit": "%",
        "low": 0,
        "high": 100,
        "kind": "list",
        "source": "Assumption; Uyghur share reflects the Panfilov district (Zharkent) Uyghur community.",
    },
    {
        "id": "A-ETH-KZ62",
        "param": "ethnic_shares_kz62",
        "text": f"Ulytau Region (no data in the pack; Zhezkazgan, Satbayev); % ({_ETH_ORDER}).",
        "default": (80.0, 13.0, 0.1, 1.5, 0.0, 1.5, 1.0, 2.9),
        "unit": "%",
        "low": 0,
        "high": 100,
        "kind": "list",
        "source": "Assumption: former Zhezkazgan oblast is predominantly Kazakh; Karaganda's own row "
        "(52.9 % Kazakh) probably covers the post-split region (boundary basis unclear).",
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
        "text": f"Probability of having kin or friends abroad, by ethnic group ({_ETH_ORDER}).",
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


def param_names() -> list[str]:
    return [a["param"] for a in ASSUMPTIONS]


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
