"""Mechanism 5 — regime response: a scripted timeline (historical replay) or a policy rule on
observed unrest, with the same actions in both modes: concession (price cut), government
resignation, state of emergency / curfew, internet shutdown, redeploying police, inviting
foreign troops, a shoot-without-warning order, closing the borders.

Police on public-order duty start where people live (a share at each region's focal site)
and every step a share ρ of a region's police moves to the sites where people protest; under
an emergency a national reserve (National Guard) joins, spread over the emergency regions in
proportion to protest and mobilising over a few days (level ℓ from 0 to 1):

    police_l = (1 − ρ)·base_l + ρ·Σ_region(base)·A_l/Σ_region(A) + ℓ·reserve·A_l/Σ_emergency(A)

Policy rule (regime_mode = "policy"), N = protesters nationwide (persons): concede when N
exceeds n_concede; declare an emergency where protest is and cut the internet when N exceeds
n_repress; request foreign troops when the largest protest outnumbers the forces at its site
by the factor r_troops (they arrive after a delay); order shooting when N still exceeds n_shoot
after troops were requested. Sources: Moore 2000 (substitution of repression and
accommodation); Lichbach 1987 (inconsistent policy); Klein & Regan 2018 (concession costs vs
disruption costs); Gehlbach 2006; docs/literature.md §8.3 (our synthesis). Seed: 003 (the
government resigned, cut the price, cut the internet and called in foreign troops)."""

from __future__ import annotations

import numpy as np

from tolqyn.core import status as S
from tolqyn.core.chunks import count_status_by
from tolqyn.core.clock import DelayLine
from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.core.timeline import Arg
from tolqyn.mechanisms.structures import CITE_TROOPS, TROOPS

ACTIONS = (
    "concession",
    "resignation",
    "emergency",
    "internet",
    "deploy_troops",
    "withdraw_troops",
    "shoot_order",
    "borders",
)


class Regime(Module):
    name = "regime"
    phases = ("exogenous", "respond", "record")
    actions = ACTIONS
    # action -> handler (a static method below); `tolqyn describe` reads their signatures
    action_handlers = {
        "concession": "_concession",
        "resignation": "_resignation",
        "emergency": "_emergency",
        "internet": "_internet",
        "deploy_troops": "_deploy",
        "withdraw_troops": "_withdraw",
        "shoot_order": "_shoot",
        "borders": "_borders",
    }
    action_args = {
        "concession": (
            Arg("price", low=1e-9, doc="announced fuel price, local currency per litre"),
            Arg("regions", "regions"),
            Arg("legitimacy", low=-1.0, high=1.0, doc="legitimacy shock where it applies"),
        ),
        "resignation": (Arg("legitimacy", low=-1.0, high=1.0),),
        "emergency": (
            Arg("regions", "regions"),
            Arg("on", "bool"),
            Arg(
                "curfew",
                "bool",
                doc="with a curfew (default true); false: the reserve deploys and emergency "
                "powers apply without one",
            ),
        ),
        "internet": (Arg("level", low=0.0, high=1.0, doc="1 = up, 0 = national blackout"),),
        "deploy_troops": (
            Arg("persons", low=0.0, required=True),
            Arg("regions", "regions", required=True),
            Arg("days", low=0.0, doc="days over which they arrive"),
        ),
        "withdraw_troops": (Arg("days", low=0.0),),
        "shoot_order": (Arg("on", "bool"),),
        "borders": (Arg("open", "bool"),),
    }

    @classmethod
    def define_params(cls):
        cite_p = (
            "Moore 2000; Lichbach 1987; Klein & Regan 2018 (our synthesis, docs/literature.md §8.3)"
        )
        return [
            Param(
                "troops_structure",
                "all",
                "how foreign troops act: street (street forces), signal (to the national "
                "security forces), legitimacy (a legitimacy cost) or all "
                "(mechanisms/structures.py)",
                kind="choice",
                choices=tuple(TROOPS),
                sweepable=False,
                citation=CITE_TROOPS,
            ),
            Param(
                "regime_on",
                True,
                "switch: off ignores regime actions and keeps police where people live",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "regime_mode",
                "script",
                "script: the scenario's timeline of actions; policy: the rule on observed unrest",
                kind="choice",
                choices=("script", "policy"),
                sweepable=False,
                citation=cite_p,
            ),
            Param(
                "concession_credibility",
                0.5,
                "share of an announced price cut that people believe at once "
                "(perceived price = c·announced + (1 − c)·current)",
                0.0,
                1.0,
                unit="1",
                citation="Lichbach 1987 (inconsistent policy); unrest_2022.csv (protests went on after the 4 Jan cut); assumption for the size",
            ),
            Param(
                "police_per_100k",
                393.0,
                "police officers per 100,000 population",
                0.0,
                5000.0,
                unit="persons/100k",
                citation="security_forces.csv (Interior Minister, Feb 2020)",
                role="country",
            ),
            Param(
                "police_street_share",
                0.35,
                "share of police available for public-order duty on a given day",
                0.0,
                1.0,
                unit="1",
                citation="assumption (security_forces.csv: local police 25,000 of ~75,000)",
                role="country",
            ),
            Param(
                "police_urban_weight",
                2.0,
                "police per resident in urban localities relative to rural ones",
                0.0,
                20.0,
                unit="1",
                citation="assumption (docs/odd/country.md)",
                role="country",
            ),
            Param(
                "police_focal_share",
                0.3,
                "share of a region's street police stationed at its focal site (the centre)",
                0.0,
                1.0,
                unit="1",
                citation="assumption",
            ),
            Param(
                "police_redeploy",
                0.5,
                "ρ: share of a region's police that moves to where people protest each step",
                0.0,
                1.0,
                unit="1",
                citation="Epstein 2002 (cops move towards actives); assumption for the size",
            ),
            Param(
                "reserve_forces",
                15000.0,
                "national reserve (National Guard public-order units) deployed under an emergency",
                0.0,
                1e6,
                unit="persons",
                citation="security_forces.csv (~13,000 NG conscripts; ~5,000 in public-order units per call-up)",
                role="country",
            ),
            Param(
                "reserve_ramp_days",
                2.0,
                "days the national reserve needs to reach full strength after the first emergency",
                0.0,
                60.0,
                unit="days",
                citation="assumption (units move from their bases; docs/odd/country.md)",
                role="country",
            ),
            Param(
                "policy_concede_at",
                5000.0,
                "policy mode: protesters nationwide at which the regime concedes",
                0.0,
                1e8,
                unit="persons",
                citation=cite_p,
            ),
            Param(
                "policy_concession_legit",
                0.05,
                "policy mode: legitimacy shock of a concession",
                -1.0,
                1.0,
                unit="1",
                citation=cite_p,
            ),
            Param(
                "policy_repress_at",
                30000.0,
                "policy mode: protesters nationwide at which it declares an emergency "
                "where protest is and cuts the internet",
                0.0,
                1e8,
                unit="persons",
                citation=cite_p,
            ),
            Param(
                "policy_shutdown_days",
                5.0,
                "policy mode: length of an internet shutdown",
                0.0,
                365.0,
                unit="days",
                citation="unrest_2022.csv (blackout 5–10 Jan)",
            ),
            Param(
                "policy_troops_ratio",
                3.0,
                "policy mode: protesters per member of the forces at the largest site "
                "that makes it request foreign troops",
                0.0,
                1e6,
                unit="1",
                citation=cite_p,
            ),
            Param(
                "policy_troops",
                2030.0,
                "policy mode: foreign troops requested",
                0.0,
                1e6,
                unit="persons",
                citation="unrest_2022.csv (CSTO 2,030)",
                role="episode",
            ),
            Param(
                "policy_troops_delay",
                1.0,
                "policy mode: days between the request and the first arrivals",
                0.0,
                60.0,
                unit="days",
                citation="unrest_2022.csv (request 5 Jan, first landings 6 Jan)",
            ),
            Param(
                "policy_shoot_at",
                30000.0,
                "policy mode: protesters nationwide after troops were requested at which "
                "shooting is ordered",
                0.0,
                1e8,
                unit="persons",
                citation=cite_p,
            ),
        ]

    def define_results(self):
        return [
            Result(
                "forces_deployed",
                "police placed on public-order duty (obedient or not) plus foreign troops (persons)",
                "value",
                True,
            ),
            Result("troops", "foreign troops in the country (persons)", "value", True),
            Result("emergency", "1 if a state of emergency is in force", "value", True),
        ]

    # ------------------------------------------------------------------ set-up
    def init(self, sim):
        p, cs = sim.params, sim.country
        self._active_lag = None  # delay line of the crowds the regime sees
        total = (
            float(p["police_per_100k"])
            / 1e5
            * cs.loc_persons.sum()
            * float(p["police_street_share"])
        )
        w = cs.loc_persons * np.where(cs.loc_urban, float(p["police_urban_weight"]), 1.0)
        base = np.zeros(cs.n_loc)
        wsum = w.sum()
        if wsum > 0:
            base = total * w / wsum
        # a share of each region's police guards its centre
        reg_tot = np.bincount(cs.loc_region, weights=base, minlength=cs.n_reg)
        focal_share = float(p["police_focal_share"])
        base *= 1.0 - focal_share
        np.add.at(base, cs.focal, focal_share * reg_tot)
        cs.police_base[:] = base
        cs.police[:] = base
        self._policy = {
            "conceded": False,
            "repressed": False,
            "troops_at": None,
            "shoot": False,
            "restore_at": None,
        }
        for action, attr in self.action_handlers.items():
            sim.timeline.on(action, self._guard(getattr(self, attr)))

    @staticmethod
    def _guard(handler):
        def run(sim, **kw):
            if not sim.params["regime_on"]:
                return
            try:
                handler(sim, **kw)
            except TypeError as e:
                raise ScenarioError(
                    f"{handler.__name__.strip('_')}: {e}",
                    source=sim.scenario.source,
                    field="events.params",
                ) from None

        return run

    # ------------------------------------------------------------------ actions
    @staticmethod
    def _concession(sim, price=None, regions="ALL", legitimacy=0.0):
        """Cut the fuel price (if `price` is given) in `regions` and move legitimacy there.
        The cut reaches as far as the rise it reverses: every region when the price rise is
        read as nationwide (`fuel_price_scope`, mechanism 11), the named ones otherwise."""
        cs = sim.country
        mask = cs.region_mask(regions, sim.scenario.source)
        regions_priced = regions
        if price is not None:
            if not (isinstance(price, (int, float)) and price > 0):
                raise ScenarioError(
                    f"concession: price must be > 0, got {price!r}", source=sim.scenario.source
                )
            p = sim.params
            nationwide = "fuel_price_scope" in p and p["fuel_price_scope"] == "nationwide"
            priced = np.ones_like(mask) if nationwide else mask
            if nationwide:
                regions_priced = "ALL (the rise was nationwide)"
            # a promise made under pressure is believed only in part (credibility c)
            c = float(p["concession_credibility"])
            cs.fuel_price[priced] = c * float(price) + (1.0 - c) * cs.fuel_price[priced]
        cs.legit_shock[mask] += float(legitimacy)
        cs.concessions += 1
        cs.log.append((sim.t, f"concession price={price} regions={regions_priced}"))

    @staticmethod
    def _resignation(sim, legitimacy=0.0):
        """The government resigns: a legitimacy shock everywhere."""
        sim.country.legit_shock[:] += float(legitimacy)
        sim.country.concessions += 1
        sim.country.log.append((sim.t, "government resigns"))

    @staticmethod
    def _emergency(sim, regions="ALL", on=True, curfew=True):
        """State of emergency on (or off) in `regions`: the national reserve joins the police
        there, with a curfew unless `curfew` is false."""
        cs = sim.country
        mask = cs.region_mask(regions, sim.scenario.source)
        cs.emergency[mask] = bool(on)
        cs.curfew[mask] = bool(on) and bool(curfew)
        what = "on" if on else "off"
        cs.log.append((sim.t, f"emergency {what}{'' if curfew else ' (no curfew)'} in {regions}"))

    @staticmethod
    def _internet(sim, level=0.0):
        """Internet access as a share of normal: 0 = shut down, 1 = restored."""
        if not (isinstance(level, (int, float)) and 0.0 <= level <= 1.0):
            raise ScenarioError(
                f"internet: level must be in [0, 1], got {level!r}", source=sim.scenario.source
            )
        sim.country.online = float(level)
        sim.country.log.append((sim.t, f"internet level {level}"))

    @staticmethod
    def _deploy(sim, persons, regions, days=1.0):
        """Foreign troops: `persons` spread over `regions` (in proportion to population), arriving
        linearly over `days`."""
        cs = sim.country
        mask = cs.region_mask(regions, sim.scenario.source)
        if not (isinstance(persons, (int, float)) and persons >= 0):
            raise ScenarioError(
                f"deploy_troops: persons must be >= 0, got {persons!r}", source=sim.scenario.source
            )
        w = np.where(mask, cs.reg_persons, 0.0)
        add = float(persons) * w / max(w.sum(), 1.0)
        cs.troops_target += add
        cs.troops_speed = np.maximum(
            cs.troops_speed, np.abs(cs.troops_target - cs.troops_reg) / max(float(days), 1e-9)
        )
        if cs.troops_reg.sum() == 0 and persons > 0:
            cs.troops_legit_shock = 1.0  # the arrival of foreign troops is felt once
        cs.log.append((sim.t, f"troops +{persons} to {regions}"))

    @staticmethod
    def _withdraw(sim, days=1.0):
        """All foreign troops leave, linearly over `days`."""
        cs = sim.country
        cs.troops_target[:] = 0.0
        cs.troops_speed = cs.troops_reg / max(float(days), 1e-9)
        cs.log.append((sim.t, "troops withdraw"))

    @staticmethod
    def _shoot(sim, on=True):
        """Order to fire on crowds (on) or revoke it: protesters then risk death as well as arrest."""
        sim.country.shoot_order = bool(on)
        sim.country.log.append((sim.t, f"shoot order {'on' if on else 'off'}"))

    @staticmethod
    def _borders(sim, open=True):
        """Open or close the borders to emigration."""
        sim.country.borders_open = bool(open)

    # ------------------------------------------------------------------ dynamics
    def step(self, sim, phase):
        cs, p = sim.country, sim.params
        if phase == "exogenous":
            dt = sim.clock.dt
            # the national reserve mobilises while any emergency is in force
            ramp = float(p["reserve_ramp_days"])
            step_up = 1.0 if ramp <= 0 else dt / ramp
            cs.reserve_level = min(1.0, cs.reserve_level + step_up) if cs.emergency.any() else 0.0
            # troops move towards their target at the scheduled speed
            diff = cs.troops_target - cs.troops_reg
            move = np.clip(diff, -cs.troops_speed * dt, cs.troops_speed * dt)
            cs.troops_reg += move
            cs.troops[:] = 0.0
            np.add.at(cs.troops, cs.focal, cs.troops_reg)
            return
        if phase == "record":
            # placed forces, whether or not they obey (mechanism 5b splits them)
            forces = (
                np.bincount(cs.loc_region, weights=cs.police, minlength=cs.n_reg)
                + cs.inactive_reg
                + cs.fraternising_reg
                + cs.troops_reg
            )
            sim.results.record("forces_deployed", sim.t, float(forces.sum()), forces)
            sim.results.record("troops", sim.t, float(cs.troops_reg.sum()), cs.troops_reg.copy())
            sim.results.record(
                "emergency", sim.t, float(cs.emergency.any()), cs.emergency.astype(float)
            )
            return
        # respond: observe protest after the decisions of this step
        pop = sim.pop
        A = np.zeros(cs.n_loc)
        count_status_by(pop.status, S.ACTIVE, pop.site, A)
        A *= cs.scale
        # the regime and the forces see protest with the same fixed delay δ as citizens do
        # (mechanism 2): the crowds of δ days before the end of this step (this step's at dt = δ)
        k = sim.clock.lag_steps(float(p["perception_lag_days"]), "perception_lag_days")
        if self._active_lag is None or self._active_lag.k != k:
            self._active_lag = DelayLine(np.zeros(cs.n_loc), k)
        A = self._active_lag.shift(A)
        cs.respond_active = A  # read by the security forces' loyalty (mechanism 5b)
        if p["regime_on"] and p["regime_mode"] == "policy":
            self._policy_rule(sim, A)
        self._redeploy(sim, A)

    def _redeploy(self, sim, A):
        cs, p = sim.country, sim.params
        if not p["regime_on"]:
            cs.police[:] = cs.police_base
            return
        rho = float(p["police_redeploy"])
        reg_A = np.bincount(cs.loc_region, weights=A, minlength=cs.n_reg)
        reg_base = np.bincount(cs.loc_region, weights=cs.police_base, minlength=cs.n_reg)
        share = np.divide(
            A, reg_A[cs.loc_region], out=np.zeros(cs.n_loc), where=reg_A[cs.loc_region] > 0
        )
        hot = reg_A[cs.loc_region] > 0
        police = np.where(
            hot,
            (1.0 - rho) * cs.police_base + rho * reg_base[cs.loc_region] * share,
            cs.police_base,
        )
        if cs.emergency.any():
            em = cs.emergency[cs.loc_region]
            A_em = np.where(em, A, 0.0)
            tot = A_em.sum()
            if tot > 0:
                police += cs.reserve_level * float(p["reserve_forces"]) * A_em / tot
            else:  # no protest where the emergency is: the reserve patrols the emergency regions' centres
                foc = cs.focal[cs.emergency]
                np.add.at(
                    police, foc, cs.reserve_level * float(p["reserve_forces"]) / max(foc.size, 1)
                )
        cs.police[:] = police

    def _policy_rule(self, sim, A):
        cs, p, st = sim.country, sim.params, self._policy
        n = float(A.sum())
        if st["restore_at"] is not None and sim.t >= st["restore_at"]:
            self._internet(sim, level=1.0)
            st["restore_at"] = None
        if not st["conceded"] and n >= float(p["policy_concede_at"]):
            shocked = cs.fuel_price > float(p["fuel_price_base"])
            if shocked.any():
                cs.fuel_price[shocked] = float(p["fuel_price_base"])
            cs.legit_shock[:] += float(p["policy_concession_legit"])
            cs.concessions += 1
            st["conceded"] = True
            cs.log.append((sim.t, "policy: concession"))
        if not st["repressed"] and n >= float(p["policy_repress_at"]):
            reg_A = np.bincount(cs.loc_region, weights=A, minlength=cs.n_reg)
            cs.emergency |= reg_A > 0
            cs.curfew |= reg_A > 0
            self._internet(sim, level=0.0)
            st["restore_at"] = sim.t + int(np.ceil(float(p["policy_shutdown_days"]) / sim.clock.dt))
            st["repressed"] = True
            cs.log.append((sim.t, "policy: emergency and shutdown"))
        if st["troops_at"] is None and n > 0:
            ratio = A / np.maximum(cs.forces_eff, 1.0)
            j = int(np.argmax(ratio))
            if ratio[j] >= float(p["policy_troops_ratio"]) and float(p["policy_troops"]) > 0:
                reg_A = np.bincount(cs.loc_region, weights=A, minlength=cs.n_reg)
                top = np.argsort(-reg_A)[:3]
                st["troops_at"] = sim.t
                days = max(float(p["policy_troops_delay"]), sim.clock.dt) + 2.0
                self._deploy(
                    sim,
                    persons=float(p["policy_troops"]),
                    regions=[cs.region_codes[k] for k in top if reg_A[k] > 0],
                    days=days,
                )
                cs.log.append((sim.t, "policy: troops requested"))
        if st["troops_at"] is not None and not st["shoot"] and n >= float(p["policy_shoot_at"]):
            cs.shoot_order = True
            st["shoot"] = True
            cs.log.append((sim.t, "policy: shoot order"))
