"""Where the country model's modules meet: the fields of `sim.country` (a CountryState) and
the parameters one module reads from another.

Every field is declared once, with the module that provides it (gives it its meaning: writes
it, or for a mailbox such as `legit_shock`, applies and clears what others add to it), its
shape (one value per site, per region, or one national value) and its type. The set-up
("setup") fields come from the synthesized space. A module that uses a field or reads a
parameter of another module declares it in USES. When a Sim is set up, CountryState
allocates the fields of the modules present, and a module whose provider is missing stops
the set-up with one clear error; nothing reads a default instead (tests/test_contracts.py
checks these declarations against the modules' code)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tolqyn.core.errors import ScenarioError

SHAPES = ("site", "region", "scalar")


@dataclass(frozen=True)
class Field:
    name: str
    provider: str  # module name, or "setup" (built from the space by CountryState itself)
    shape: str  # "site" (per locality), "region" or "scalar"
    dtype: type
    doc: str
    # allocated at set-up with this value; None: the provider computes it in its init()
    initial: float | bool | None = 0.0


def _f(name, provider, shape, doc, dtype=float, initial=0.0):
    return Field(name, provider, shape, dtype, doc, initial)


FIELDS: tuple[Field, ...] = (
    # set-up: the space, fixed for the run
    _f("scale", "setup", "scalar", "citizens per agent", initial=None),
    _f("n_loc", "setup", "scalar", "number of localities (sites)", int, None),
    _f("n_reg", "setup", "scalar", "number of regions", int, None),
    _f("loc_region", "setup", "site", "region index of each locality", np.int64, None),
    _f("loc_persons", "setup", "site", "residents of each locality (persons)", initial=None),
    _f("loc_urban", "setup", "site", "1 if the locality is urban", bool, None),
    _f("region_codes", "setup", "scalar", "region codes (list of str)", list, None),
    _f("reg_persons", "setup", "region", "residents of each region (persons)", initial=None),
    _f("focal", "setup", "region", "the region's most populous locality", np.int64, None),
    _f("log", "setup", "scalar", "(step, text) of the run's institutional events", list, None),
    # regime (mechanism 4) and its timeline actions
    _f("police_base", "regime", "site", "police on public-order duty before redeployment"),
    _f("police", "regime", "site", "police placed at each site this step (persons)"),
    _f("troops", "regime", "site", "foreign troops at each site (persons)"),
    _f("troops_reg", "regime", "region", "foreign troops in each region (persons)"),
    _f("troops_target", "regime", "region", "troops each region is to receive"),
    _f("troops_speed", "regime", "region", "troops arriving per day"),
    _f("respond_active", "regime", "site", "protesters by site as the regime sees them (δ ago)"),
    _f("emergency", "regime", "region", "state of emergency in force", bool, False),
    _f("curfew", "regime", "region", "curfew in force (under an emergency)", bool, False),
    _f("reserve_level", "regime", "scalar", "mobilised share of the national reserve, 0-1"),
    _f("concessions", "regime", "scalar", "concessions so far (voice seen to work)"),
    _f("online", "regime", "scalar", "internet level: 1 up, 0 national blackout", initial=1.0),
    _f("shoot_order", "regime", "scalar", "shoot-without-warning order in force", bool, False),
    _f("borders_open", "regime", "scalar", "borders open to emigration", bool, True),
    # legitimacy (mechanism 7): mailboxes that others add to and legitimacy applies, then clears
    _f("legit_shock", "legitimacy", "region", "pending legitimacy changes, applied in perceive"),
    _f("troops_legit_shock", "legitimacy", "scalar", "pending effect of foreign troops"),
    # protest (mechanism 2)
    _f("forces_eff", "protest", "site", "effective forces at a site, after multipliers"),
    _f("p_arrest", "protest", "site", "perceived arrest probability"),
    _f("lethal_risk", "protest", "site", "perceived lethal risk"),
    _f("risk", "protest", "site", "perceived risk (arrest + lethal + fear of demobilisation)"),
    # information (mechanism 6)
    _f("site_active", "information", "site", "protesters at each site δ days before"),
    _f("loc_active", "information", "site", "protesters by home locality δ days before"),
    _f("exposure", "information", "region", "protest seen through the links (persons)"),
    # bandwagon (mechanism 3)
    _f("site_willing", "bandwagon", "site", "citizens willing to join at each site (persons)"),
    # repertoire (mechanism 5c)
    _f("site_violent", "repertoire", "site", "violent citizens at each site (persons)"),
    _f("site_backlash", "repertoire", "site", "repression per protester, last step"),
    _f("site_vshare", "repertoire", "site", "violent share of the crowd, last step (incl. groups)"),
    _f("armed_reg", "repertoire", "region", "armed persons (seized weapons, groups)"),
    _f("groups_reg", "repertoire", "region", "organised group members (persons)"),
    # security forces' loyalty (mechanism 5b)
    _f("orders", "security", "region", "level of the orders given", initial=None),
    _f("obedience", "security", "region", "share of the forces that obey", initial=None),
    _f("elite_split", "security", "scalar", "public signal of an elite split"),
    _f("inactive_reg", "security", "region", "forces placed but standing aside (persons)"),
    _f("fraternising_reg", "security", "region", "forces placed and fraternising (persons)"),
    # repression (mechanism 5): this step's flows and the run's totals
    _f("repression_seen", "repression", "site", "arrests + deaths per resident, last step"),
    _f("arrests_reg", "repression", "region", "arrests this step (agents)"),
    _f("deaths_civ_reg", "repression", "region", "civilian deaths this step (persons)"),
    _f("deaths_sec_reg", "repression", "region", "security deaths this step (persons)"),
    _f("cum_detained_reg", "repression", "region", "detained so far (agents)"),
    _f("cum_deaths_civ_reg", "repression", "region", "civilian deaths so far (persons)"),
    _f("cum_deaths_sec_reg", "repression", "region", "security deaths so far (persons)"),
    # economy (mechanism 1)
    _f("econ_shock", "economy", "region", "economic shock felt this step"),
    _f("econ_shock_known", "economy", "region", "the shock as reported (lagged)", initial=None),
    _f("fuel_price", "economy", "region", "fuel price (local currency)", initial=None),
    _f("fuel_ref", "economy", "region", "reference fuel price (adaptive)", initial=None),
    _f("fx_ref", "economy", "scalar", "reference exchange rate (adaptive)", initial=None),
    _f("fuel_dependence", "economy", "region", "relative fuel dependence", initial=None),
    # grievance (mechanism 1)
    _f("susceptibility", "grievance", "region", "hardship felt per unit shock", initial=None),
    # exit-voice coupling (mechanism 9) and emigration (mechanism 8)
    _f("exit_signal", "exit_voice", "region", "emigration seen per mille (voice signal)"),
    _f("emig_reg", "emigration", "region", "emigrants this step (agents)"),
    _f(
        "emig_usual",
        "emigration",
        "region",
        "expected emigrants a step in the first step's state (agents): the usual flow",
    ),
    # labour disputes (mechanism 16, docs/odd/episodes.md §1)
    _f(
        "dispute_risk",
        "labour",
        "scalar",
        "risk of striking per dispute (ρ_d: the legal risk that replaces a member's street "
        "arrest risk; array, one value per dispute)",
        np.ndarray,
        None,
    ),
    # announced rallies and pre-emptive repression (mechanism 17, docs/odd/episodes.md §4)
    _f(
        "online_region",
        "announced",
        "region",
        "internet level by unit under regional blocks",
        initial=1.0,
    ),
)

BY_NAME = {f.name: f for f in FIELDS}


@dataclass(frozen=True)
class Uses:
    """What a module takes from others: fields of `sim.country` provided by another module
    and parameters declared by another module (the model's own parameters need no entry)."""

    fields: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # population columns another module defines (define_states)


USES: dict[str, Uses] = {
    "elections": Uses(("concessions", "legit_shock")),
    "policy": Uses(("econ_shock",), params=("grievance_on",)),
    "labour": Uses(("legit_shock",)),
    "cordons": Uses(("police", "police_base")),
    "announced": Uses(
        ("online", "risk", "police_base", "arrests_reg", "cum_detained_reg"),
        params=(
            "information_on",
            "online_access_state_tv",
            "online_access_foreign_tv",
            "jail_min_days",
            "jail_max_days",
            "activation_threshold",
            "arrest_rate",
            "repression_on",
        ),
    ),
    "fx_history": Uses(params=("exchange_rate",)),
    "economy": Uses(("reg_persons",)),
    "regime": Uses(
        (
            "forces_eff",
            "fuel_price",
            "inactive_reg",
            "fraternising_reg",
            "legit_shock",
            "troops_legit_shock",
        ),
        params=("fuel_price_base", "fuel_price_scope", "perception_lag_days"),
    ),
    "information": Uses(
        ("econ_shock_known", "online", "online_region"),
        params=("activation_threshold", "perception_lag_days"),
    ),
    "legitimacy": Uses(("online", "repression_seen"), params=("troops_structure",)),
    "exit_voice": Uses(("borders_open", "emig_reg", "emig_usual", "legit_shock")),
    "grievance": Uses(("econ_shock",)),
    "bandwagon": Uses(
        ("dispute_risk", "exit_signal", "p_arrest", "risk"),
        params=("activation_threshold", "perception_lag_days"),
        columns=("workforce",),
    ),
    "protest": Uses(
        (
            "dispute_risk",
            "emergency",
            "online",
            "online_region",
            "police",
            "reserve_level",
            "shoot_order",
            "site_active",
            "site_willing",
            "troops",
        ),
        params=("bandwagon_on", "information_on", "blackout_structure", "troops_structure"),
        columns=("workforce",),
    ),
    "demobilisation": Uses(
        ("curfew", "deaths_civ_reg", "deaths_sec_reg", "risk"),
        params=("perception_lag_days", "street_days_per_month"),
    ),
    "repertoire": Uses(
        ("lethal_risk", "online", "p_arrest", "site_active"),
        params=("information_on", "perception_lag_days", "blackout_structure"),
    ),
    "security": Uses(
        ("police", "respond_active", "shoot_order", "site_violent", "groups_reg", "troops_target"),
        params=("regime_on", "troops_structure"),
    ),
    "repression": Uses(
        (
            "emergency",
            "forces_eff",
            "shoot_order",
            "site_violent",
            "site_backlash",
            "site_vshare",
            "armed_reg",
            "groups_reg",
        ),
        params=("backfire_death_weight", "violence_backlash_death_weight"),
        columns=("violent",),
    ),
    "emigration": Uses(("borders_open", "concessions")),
    "destinations": Uses(("emig_reg",)),
    "diaspora": Uses(
        (), params=("online_access_state_tv", "online_access_foreign_tv"), columns=("legitimacy",)
    ),
}


def check_providers(modules, model: str = "", declared_params=None) -> None:
    """Every field and parameter a module uses is provided by a module of the model; else one
    error naming the user, the field and the missing provider."""
    present = {m.name for m in modules}
    owners, columns = {}, set()
    for m in modules:
        for p in m.define_params():
            owners.setdefault(p.name, m.name)
        columns.update(st.name for st in m.define_states())
    for m in modules:
        uses = USES.get(m.name, Uses())
        for name in uses.fields:
            f = BY_NAME.get(name)
            if f is None:
                raise ScenarioError(f"module '{m.name}' uses undeclared country field '{name}'")
            if f.provider != "setup" and f.provider not in present:
                raise ScenarioError(
                    f"model '{model}': module '{m.name}' uses the country field '{name}' "
                    f"({f.doc}), provided by module '{f.provider}', which the model does not "
                    f"include (modules: {', '.join(sorted(present))})"
                )
        for name in uses.params:
            if name not in owners and not (declared_params and name in declared_params):
                raise ScenarioError(
                    f"model '{model}': module '{m.name}' reads the parameter '{name}', declared "
                    f"by a module the model does not include"
                )
        for name in uses.columns:
            if name not in columns:
                raise ScenarioError(
                    f"model '{model}': module '{m.name}' reads the population column '{name}', "
                    f"defined by a module the model does not include"
                )


def allocate(cs, modules) -> None:
    """The fields of the modules present, at their declared initial values."""
    present = {m.name for m in modules}
    size = {"site": cs.n_loc, "region": cs.n_reg}
    for f in FIELDS:
        if f.provider == "setup" or f.provider not in present or f.initial is None:
            continue
        if f.shape == "scalar":
            value = f.dtype(f.initial)
        else:
            value = np.full(size[f.shape], f.initial, dtype=f.dtype)
        setattr(cs, f.name, value)


def check_fields(cs, modules) -> None:
    """After set-up: the declared fields of the modules present exist with their shapes, and
    `sim.country` carries nothing undeclared (validating mode calls this every step)."""
    present = {m.name for m in modules} | {"setup"}
    size = {"site": cs.n_loc, "region": cs.n_reg}
    for f in FIELDS:
        if f.provider not in present:
            continue
        if not hasattr(cs, f.name):
            raise ScenarioError(f"module '{f.provider}' did not set country field '{f.name}'")
        v = getattr(cs, f.name)
        if f.shape != "scalar" and np.shape(v) != (size[f.shape],):
            raise ScenarioError(
                f"country field '{f.name}' has shape {np.shape(v)}, declared {f.shape} "
                f"({size[f.shape]},)"
            )
    extra = sorted(set(vars(cs)) - set(BY_NAME))
    if extra:
        raise ScenarioError(f"undeclared country fields: {', '.join(extra)} (contract.py)")
