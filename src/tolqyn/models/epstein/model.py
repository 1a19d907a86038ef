"""Epstein (2002) civil violence: Model I (rebellion against a central authority) and
Model II (inter-group violence policed by cops), with every implementation switch that
separates the paper's text, Epstein's own Ascape code, NetLogo's Rebellion and Mesa's example
(see docs/odd/epstein.md).

Citizens: hardship H ~ U(0,1), risk aversion R ~ U(0,1), grievance G = H(1 − L) [× (1 − T)],
estimated arrest probability P = 1 − exp(−k · ratio(C, A)) with C cops and A = 1 + actives in
vision; rule A: active iff G − R·P > T. Cops: arrest an active citizen in vision, who is
jailed for a term drawn uniformly. Movement: to a random free site in vision, to a random free
Moore neighbour, or (the Ascape code) an attempted step to one random Moore neighbour. Actors
are activated in random order each period (random sequential: one shuffled list, or the
citizens' list then the cops' as the Ascape code's two scapes run), each seeing the lattice as
the previous actor left it. The whole period runs in one Numba kernel (models/epstein/kernels.py).
"""

from __future__ import annotations

import math

import numpy as np

from tolqyn.core import status as S
from tolqyn.core.errors import InvariantError, ScenarioError
from tolqyn.core.module import Model, Module
from tolqyn.core.params import Param
from tolqyn.core.population import Population, State
from tolqyn.core.results import Result
from tolqyn.models.epstein import kernels as K
from tolqyn.space.grid import Torus, offsets, row_runs

EPSTEIN = "Epstein (2002), PNAS 99 suppl. 3: 7243-7250, doi:10.1073/pnas.092080199"
ASCAPE = "Epstein's Ascape code, package edu.brook.cv (Brookings)"
NETLOGO = "Wilensky (2004), NetLogo Rebellion model"
MESA = "Mesa 3.3.1, examples/advanced/epstein_civil_violence"

RATIOS = ("floor", "round_half_even", "real")
MOVE_RULES = ("one_step_moore", "random_site_in_vision", "try_one_step")
ORDERS = ("move_then_act", "act_then_move")
ACTIVATIONS = ("one_list", "citizens_then_cops", "cops_then_citizens", "tiles")  # index = K.ACT_*
RELEASE_RADIUS = 16.0  # Ascape: nearest free site to the arrest site within radius 16


class EpsteinSpace:
    """The lattice: a uint8 code per site and the index of its occupant."""

    def __init__(self, width: int, height: int):
        self.torus = Torus(width, height)
        self.width, self.height = int(width), int(height)
        n = width * height
        self.cell = np.zeros(n, dtype=np.uint8)
        self.who = np.full(n, -1, dtype=np.int32)
        self.cit_sites = np.zeros(0, dtype=np.int64)
        self.cop_sites = np.zeros(0, dtype=np.int64)


def _count(n_sites: int, density: float, placement: str) -> int:
    x = n_sites * density
    if placement == "exact_floor":
        return int(x + 1e-9)  # Ascape: (int)(sites · density)
    return int(math.floor(x + 0.5))  # NetLogo: round(density · sites)


class EpsteinModel(Model):
    name = "epstein"
    doc = "Epstein (2002) civil violence, Models I and II, on a torus lattice"
    # only block-sequential activation runs in parallel, one launch per colour of tiles, each
    # with a few thousand turns per tile: worth two threads well below the country model's bar
    parallel_min_agents = 100_000

    @classmethod
    def define_params(cls):
        return [
            Param(
                "width",
                40,
                "lattice width (sites)",
                5,
                20000,
                "sites",
                EPSTEIN,
                kind="int",
                structural=True,
                sweep_range=(20, 400),
            ),
            Param(
                "height",
                40,
                "lattice height (sites)",
                5,
                20000,
                "sites",
                EPSTEIN,
                kind="int",
                structural=True,
                sweep_range=(20, 400),
            ),
            Param(
                "citizen_density",
                0.7,
                "initial share of sites holding a citizen",
                0.0,
                1.0,
                "share of sites",
                EPSTEIN,
            ),
            Param(
                "cop_density",
                0.04,
                "share of sites holding a cop; a change during the run adds "
                "cops at random free sites or removes cops at random",
                0.0,
                1.0,
                "share of sites",
                EPSTEIN,
            ),
            Param(
                "placement",
                "exact_floor",
                "initial placement: exact counts int(sites·density) "
                "(Ascape), exact counts round(sites·density) (NetLogo), or each site independently "
                "citizen/cop/empty with the densities as probabilities (Mesa)",
                kind="choice",
                choices=("exact_floor", "exact_round", "binomial"),
                sweepable=False,
                citation=f"{ASCAPE}; {NETLOGO}; {MESA}",
            ),
            Param(
                "variant",
                "I",
                "Model I (rebellion) or Model II (two groups, killing, cloning, ageing)",
                kind="choice",
                choices=("I", "II"),
                sweepable=False,
                citation=EPSTEIN,
            ),
        ]

    @classmethod
    def estimate_agents(cls, p) -> int:
        """Citizens and cops a run will hold, known before the lattice is built."""
        sites = int(p["width"]) * int(p["height"])
        return int(sites * min(1.0, float(p["citizen_density"]) + float(p["cop_density"])))

    @classmethod
    def check_params(cls, p, source=None, explicit=()):
        """Constraints between parameters, checked when a scenario loads (and again at set-up):
        the two densities share the sites, and a neighbourhood must not wrap onto itself."""
        cd, kd = float(p["citizen_density"]), float(p["cop_density"])
        if cd + kd > 1.0 + 1e-12:
            raise ScenarioError(
                f"citizen_density + cop_density = {cd + kd:g}; allowed: at most 1",
                source=source,
                field="cop_density",
            )
        if p["jailed"] == "block" and p["cop_moves_to_arrest_site"]:
            raise ScenarioError(
                "cop_moves_to_arrest_site needs jailed = 'leave' (a blocked cell "
                "cannot take the cop)",
                source=source,
                field="cop_moves_to_arrest_site",
            )
        torus = Torus(int(p["width"]), int(p["height"]))
        for what in ("citizen_vision", "cop_vision"):
            off = offsets(p["vision_shape"], float(p[what]))
            if not torus.fits(off):
                raise ScenarioError(
                    f"vision {p[what]:g} reaches {off.reach} sites, too far for a "
                    f"{torus.width}x{torus.height} torus (needs 2·reach + 1 <= "
                    f"{min(torus.width, torus.height)})",
                    source=source,
                    field=what,
                )

    def build(self, sim):
        p = sim.params
        W, H = int(p["width"]), int(p["height"])
        N = W * H
        cd, kd = float(p["citizen_density"]), float(p["cop_density"])
        src = sim.scenario.source
        self.check_params(p, src)  # the loader's check, again for a Sim built without it
        space = EpsteinSpace(W, H)
        gen = sim.streams("placement").generator(0)
        placement = p["placement"]
        if placement == "binomial":
            u = gen.random(N)
            cit = np.flatnonzero(u < cd)
            cop = np.flatnonzero((u >= cd) & (u < cd + kd))
        else:
            nc, nk = _count(N, cd, placement), _count(N, kd, placement)
            if nc + nk > N:
                raise ScenarioError(
                    "more citizens and cops than sites", source=src, field="cop_density"
                )
            perm = gen.permutation(N)
            cit, cop = np.sort(perm[:nc]), perm[nc : nc + nk]
        space.cit_sites = cit.astype(np.int64)
        space.cop_sites = cop.astype(np.int64)
        sim.space = space
        return len(cit), []


class CivilViolence(Module):
    name = "civil_violence"
    phases = ("perceive", "decide", "record")
    doc = "Epstein (2002) rules A (activation), C (arrest), M (movement), jail; Model II killing"

    @classmethod
    def define_params(cls):
        inf = math.inf
        return [
            Param(
                "citizen_vision",
                7.0,
                "citizens' vision radius (real: 1.7 = the 8 Moore "
                "neighbours in the euclidean shape)",
                0.0,
                50.0,
                "sites",
                EPSTEIN,
            ),
            Param("cop_vision", 7.0, "cops' vision radius", 0.0, 50.0, "sites", EPSTEIN),
            Param(
                "vision_shape",
                "euclidean",
                "neighbourhood shape: euclidean disc (Ascape, NetLogo), "
                "von Neumann diamond (Mesa 3.x) or Moore square",
                kind="choice",
                choices=("euclidean", "von_neumann", "moore"),
                sweepable=False,
                citation=f"{ASCAPE}; {MESA}",
            ),
            Param(
                "legitimacy",
                0.82,
                "regime legitimacy L, the same for all citizens",
                0.0,
                1.0,
                "",
                EPSTEIN,
            ),
            Param(
                "max_jail_term",
                30,
                "J_max: jail terms are uniform integers up to it (inf = never released)",
                0,
                inf,
                "periods",
                EPSTEIN,
                kind="int",
            ),
            Param("active_threshold", 0.1, "T: active iff G − R·P > T", 0.0, 1.0, "", EPSTEIN),
            Param(
                "arrest_prob_constant",
                2.3,
                "k in P = 1 − exp(−k·C/A); 2.3 gives P ≈ 0.9 at C = A = 1",
                0.0,
                100.0,
                "",
                EPSTEIN,
            ),
            Param(
                "movement",
                True,
                "citizens move each period (rule M); off in Run 1",
                kind="bool",
                citation=EPSTEIN,
            ),
            Param(
                "cops_always_move",
                True,
                "cops move even when movement is off (Ascape, NetLogo); "
                "false freezes cops too (Mesa)",
                kind="bool",
                sweepable=False,
                citation=f"{NETLOGO}; {MESA}",
            ),
            Param(
                "ratio",
                "floor",
                "how C/A enters P: floor (Epstein's Java integer division, "
                "NetLogo), round_half_even (Mesa 3: Python round), real (the paper's text)",
                kind="choice",
                choices=RATIOS,
                sweepable=False,
                citation=f"{ASCAPE}; {NETLOGO}; {MESA}",
            ),
            Param(
                "count_self_twice",
                False,
                "an active citizen counts itself twice in A (NetLogo: "
                "its own patch is in its neighbourhood)",
                kind="bool",
                sweepable=False,
                citation=NETLOGO,
            ),
            Param(
                "move_rule",
                "one_step_moore",
                "one step to a random free Moore neighbour, a random empty "
                "site within vision (paper, NetLogo, Mesa), or the Ascape code's random walk "
                "(try_one_step: one of the 8 Moore neighbours drawn at random, moved to only if "
                "empty); applies to cops too",
                kind="choice",
                choices=MOVE_RULES,
                sweepable=False,
                citation=f"{ASCAPE}; {EPSTEIN}",
            ),
            Param(
                "order",
                "move_then_act",
                "citizens: move then decide (paper, Ascape, NetLogo) or decide then move (Mesa)",
                kind="choice",
                choices=ORDERS,
                sweepable=False,
                citation=f"{EPSTEIN}; {MESA}",
            ),
            Param(
                "cop_order",
                "act_then_move",
                "cops: arrest then move (Ascape, Mesa) or move then arrest (paper, NetLogo)",
                kind="choice",
                choices=ORDERS,
                sweepable=False,
                citation=f"{ASCAPE}; {NETLOGO}",
            ),
            Param(
                "activation",
                "one_list",
                "activation order within a period: one shuffled list of "
                "citizens and cops (Mesa, NetLogo), or two shuffled lists run one after the other, "
                "citizens then cops (the Ascape code: the model scape iterates its member scapes "
                "in the order added, lattice, citizens, cops) or cops then citizens, or 'tiles': "
                "block-sequential, not Epstein's rule, for large "
                "lattices (checkerboard tiles, one colour at a time, random order inside a tile, "
                "tiles of a colour in parallel)",
                kind="choice",
                choices=ACTIVATIONS,
                sweepable=False,
                citation=f"{ASCAPE}; {MESA}; {NETLOGO}; tiles: docs/odd/epstein.md",
            ),
            Param(
                "arrest_target",
                "nearest",
                "which active a cop arrests: the nearest (Ascape; ties "
                "at random) or a random one in vision (paper, NetLogo, Mesa)",
                kind="choice",
                choices=("nearest", "random"),
                sweepable=False,
                citation=f"{ASCAPE}; {EPSTEIN}",
            ),
            Param(
                "cop_moves_to_arrest_site",
                True,
                "the cop moves onto the arrested citizen's site "
                "(Ascape, NetLogo); not possible when jailed citizens block their cell",
                kind="bool",
                sweepable=False,
                citation=f"{ASCAPE}; {NETLOGO}",
            ),
            Param(
                "jail_term_range",
                "0..J",
                "jail term uniform on 0..J_max inclusive (Ascape, Mesa) "
                "or 0..J_max−1 (NetLogo `random`)",
                kind="choice",
                choices=("0..J", "0..J-1"),
                sweepable=False,
                citation=f"{ASCAPE}; {NETLOGO}",
            ),
            Param(
                "jailed",
                "leave",
                "jailed citizens leave the lattice and are released onto the "
                "nearest free site to their arrest site (Ascape; NetLogo's 'stays but counts "
                "empty' patch) or keep and block their cell (Mesa)",
                kind="choice",
                choices=("leave", "block"),
                sweepable=False,
                citation=f"{ASCAPE}; {MESA}",
            ),
            Param(
                "jail_countdown",
                "own_turn",
                "jail terms count down in the citizen's own turn "
                "(Ascape, Mesa) or for everyone at the end of the period, where a zero term means "
                "no jail (NetLogo)",
                kind="choice",
                choices=("own_turn", "end_of_step"),
                sweepable=False,
                citation=f"{ASCAPE}; {NETLOGO}",
            ),
            Param(
                "release_turn_acts",
                True,
                "a citizen whose term runs out in its own turn acts in "
                "that turn (Ascape) or only from its next turn (Mesa)",
                kind="bool",
                sweepable=False,
                citation=f"{ASCAPE}; {MESA}",
            ),
            Param(
                "grievance_form",
                "H(1-L)",
                "G = H(1−L) (paper, NetLogo, Mesa) or H(1−L)(1−T) (the Ascape code)",
                kind="choice",
                choices=("H(1-L)", "H(1-L)(1-T)"),
                sweepable=False,
                citation=f"{EPSTEIN}; {ASCAPE}",
            ),
            Param(
                "clone_prob",
                0.05,
                "Model II: chance per period that a citizen clones onto a free Moore neighbour",
                0.0,
                1.0,
                "per period",
                EPSTEIN,
            ),
            Param(
                "max_age",
                200,
                "Model II: citizens die when their age exceeds it; initial ages "
                "uniform on 0..max_age",
                1,
                1_000_000,
                "periods",
                EPSTEIN,
                kind="int",
            ),
            Param(
                "death_age",
                "max_age",
                "Model II: citizens die when their age exceeds max_age, initial ages "
                "uniform on 0..max_age (the Ascape code), or each citizen draws its own death "
                "age U(0, max_age) at birth, initial age uniform below it (the paper's text)",
                kind="choice",
                choices=("max_age", "uniform"),
                sweepable=False,
                citation=f"{ASCAPE}; {EPSTEIN} (Model II text)",
            ),
            Param(
                "age_in_jail",
                True,
                "Model II: jailed citizens age (and die) like the free (the Ascape code: age "
                "advances in every turn); false stops their clock while jailed",
                kind="bool",
                sweepable=False,
                citation=f"{ASCAPE}; docs/odd/epstein.md §7",
            ),
            Param(
                "after_kill",
                "active",
                "Model II: the killer stays active after taking the victim's site (the "
                "Ascape code) or turns quiet (a reading of the paper's text)",
                kind="choice",
                choices=("active", "quiet"),
                sweepable=False,
                citation=f"{ASCAPE}; {EPSTEIN}",
            ),
            Param(
                "turn_order",
                "age_first",
                "Model II: a citizen's turn ages it (and it dies past its death age) first, "
                "then jail, move, decide and kill, and last a quiet child is cloned; or the "
                "Ascape code's rule order: move, jail, decide, clone (the child a copy of the "
                "parent, active if the parent is), age and die, kill",
                kind="choice",
                choices=("age_first", "ascape"),
                sweepable=False,
                citation=f"{ASCAPE} (CVModelInterGroup rule list, CitizenBlueGreen.fission)",
            ),
            Param(
                "peacekeeper_density",
                0.0,
                "Model II: share of sites that receive extra cops "
                "(peacekeepers) at random free sites at peacekeeper_step",
                0.0,
                1.0,
                "share of sites",
                EPSTEIN,
            ),
            Param(
                "peacekeeper_step",
                50,
                "step at which peacekeepers arrive",
                0,
                10_000_000,
                "step",
                EPSTEIN,
                kind="int",
            ),
        ]

    def define_states(self):
        return [
            State("hardship", np.float64, 0.0, "H ~ U(0,1), fixed"),
            State("risk_aversion", np.float64, 0.0, "R ~ U(0,1), fixed"),
            State("site", np.int32, -1, "lattice site (y·width + x), -1 when off the lattice"),
            State("home", np.int32, -1, "arrest site (release near it)"),
            State("jail_left", np.int64, 0, "remaining jail term"),
            State("group", np.int8, 0, "Model II group: 0 blue, 1 green"),
            State("age", np.int32, 0, "Model II age in periods"),
            State("death_age", np.int32, 0, "Model II own death age (death_age = 'uniform')"),
        ]

    def define_results(self):
        return [
            Result("quiet", "citizens quiet"),
            Result("active", "citizens active"),
            Result("jailed", "citizens in jail"),
            Result("arrests", "new arrests this step", measure="flow"),
            Result("cops", "cops on the lattice"),
            Result("legitimacy", "regime legitimacy L", kind="value"),
            Result(
                "tension",
                "mean grievance × quiet share / mean risk aversion, non-jailed (Epstein's tension)",
                kind="value",
            ),
            Result("blue", "Model II: living blue citizens"),
            Result("green", "Model II: living green citizens"),
            Result("killed", "Model II: citizens killed this step", measure="flow"),
            Result("births", "Model II: clones born this step", measure="flow"),
            Result("deaths", "Model II: deaths of old age this step", measure="flow"),
            Result("dead", "Model II: dead citizens (cumulative)"),
        ]

    _COLS = (
        "status",
        "hardship",
        "risk_aversion",
        "site",
        "home",
        "jail_left",
        "group",
        "age",
        "death_age",
    )

    # ---------------------------------------------------------------- set-up
    def init(self, sim):
        p = sim.params
        space: EpsteinSpace = sim.space
        self.model2 = p["variant"] == "II"
        src = sim.scenario.source
        if p["jailed"] == "block" and p["cop_moves_to_arrest_site"]:
            raise ScenarioError(
                "cop_moves_to_arrest_site needs jailed = 'leave' (a blocked cell "
                "cannot take the cop)",
                source=src,
                field="cop_moves_to_arrest_site",
            )
        W, H = space.width, space.height
        n = sim.pop.n
        N = W * H
        # own arrays with room for births; sim.pop holds views of the first n_used slots
        cap = n if not self.model2 else max(2 * n, n + N)
        self.cap = cap
        self.arr = {}
        for name in self._COLS:
            src_col = sim.pop[name]
            a = np.zeros(cap, dtype=src_col.dtype)
            a[:n] = src_col
            self.arr[name] = a
        self.nused = np.array([n], dtype=np.int64)
        A = self.arr
        ids = np.arange(n)
        A["hardship"][:n] = sim.streams("hardship").uniform(0, n)
        A["risk_aversion"][:n] = sim.streams("risk_aversion").uniform(0, n)
        A["status"][:n] = S.QUIET
        A["site"][:n] = space.cit_sites
        A["home"][:n] = space.cit_sites
        if self.model2:
            A["group"][:n] = (sim.streams("group").uniform(0, n) < 0.5).astype(np.int8)
            max_age = int(p["max_age"])
            if p["death_age"] == "uniform":
                # the paper's text: each citizen's death age ~ U(0, max_age), its initial age
                # uniform below it (a stream of its own: the default draws are untouched)
                d = np.floor(sim.streams("death_age").uniform(0, n) * (max_age + 1))
                A["death_age"][:n] = d.astype(np.int32)
                A["age"][:n] = np.floor(sim.streams("age").uniform(0, n) * (d + 1)).astype(np.int32)
            else:
                A["age"][:n] = np.floor(sim.streams("age").uniform(0, n) * (max_age + 1)).astype(
                    np.int32
                )
        space.cell[space.cit_sites] = K.C_QUIET | (A["group"][:n].astype(np.uint8) << K.GROUP_SHIFT)
        space.who[space.cit_sites] = ids
        self.cop_site = np.zeros(N, dtype=np.int64)
        self.n_cops = len(space.cop_sites)
        self.cop_site[: self.n_cops] = space.cop_sites
        space.cell[space.cop_sites] = K.COP
        space.who[space.cop_sites] = np.arange(self.n_cops)
        self.fc = np.zeros(N, dtype=np.int16)
        self.fa = np.zeros(N, dtype=np.int16)
        self.actors = np.zeros(cap + N, dtype=np.int64)
        self.out = np.zeros(K.N_OUT, dtype=np.int64)
        self.keys = np.array(
            [
                sim.streams(nm).key
                for nm in (
                    "order",
                    "move",
                    "cop_move",
                    "arrest",
                    "jail_term",
                    "release",
                    "kill",
                    "clone",
                )
            ],
            dtype=np.uint64,
        )
        self._vision = None
        self._set_vision(sim)
        self._tile_key = None
        if p["activation"] == "tiles":
            self._tiles(sim)  # a lattice too small for its tiles fails here, before any step
        self._applied_cop_density = float(p["cop_density"])
        self._summary = np.zeros(7, dtype=np.float64)
        self._attach(sim)

    def _attach(self, sim):
        """Point sim.pop at the first n_used slots of the own arrays (no copy)."""
        n = int(self.nused[0])
        if sim.pop.n != n:
            sim.pop = Population(n)
        for name in self._COLS:
            sim.pop.attach(name, self.arr[name][:n])

    def _set_vision(self, sim):
        p = sim.params
        key = (float(p["citizen_vision"]), float(p["cop_vision"]), p["vision_shape"])
        if key == self._vision:
            return
        space: EpsteinSpace = sim.space
        W, H = space.width, space.height
        cv = offsets(key[2], key[0])
        kv = offsets(key[2], key[1])
        for what, off in (("citizen_vision", cv), ("cop_vision", kv)):
            if not space.torus.fits(off):
                raise ScenarioError(
                    f"vision {p[what]:g} reaches {off.reach} sites, too far for a "
                    f"{W}x{H} torus (needs 2·reach + 1 <= {min(W, H)})",
                    source=sim.scenario.source,
                    field=what,
                )
        mo = offsets("moore", 1.0)
        rl = offsets("euclidean", min(RELEASE_RADIUS, (min(W, H) - 1) // 2), include_center=True)
        self.cv, self.kv, self.mo, self.rl = cv, kv, mo, rl
        self.cv_runs = row_runs(cv, W)
        none = np.zeros((0, 4), dtype=np.int64)

        def shape(o, runs):
            dl = (o.dy.astype(np.int64) * W + o.dx).astype(np.int64)
            return K.Shape(o.dx, o.dy, dl, o.ring_ptr, int(o.reach), runs)

        self.shapes = K.Shapes(
            cit=shape(cv, self.cv_runs),
            cop=shape(kv, none),
            step=shape(mo, none),
            release=shape(rl, none),
        )
        self.same_field = int(key[0] == key[1])
        self._vision = key
        K.rebuild_fields(space.cell, W, H, self.fc, self.fa, self.cv_runs, cv.reach)

    # ---------------------------------------------------------------- cops
    def _set_cop_count(self, sim, target: int, stream: str):
        space: EpsteinSpace = sim.space
        gen = sim.streams(stream).generator(sim.t)
        cur = self.n_cops
        if target > cur:
            free = np.flatnonzero(space.cell == K.EMPTY)
            k = min(target - cur, free.size)
            new = gen.choice(free, size=k, replace=False) if k else free[:0]
            self.cop_site[cur : cur + k] = new
            space.cell[new] = K.COP
            space.who[new] = np.arange(cur, cur + k)
            self.n_cops = cur + k
        elif target < cur:
            keep = np.sort(gen.choice(cur, size=target, replace=False))
            gone = np.setdiff1d(np.arange(cur), keep)
            space.cell[self.cop_site[gone]] = K.EMPTY
            space.who[self.cop_site[gone]] = -1
            self.cop_site[:target] = self.cop_site[keep]
            self.n_cops = target
            space.who[self.cop_site[:target]] = np.arange(target)
        else:
            return
        cv = self.cv
        K.rebuild_fields(
            space.cell, space.width, space.height, self.fc, self.fa, self.cv_runs, cv.reach
        )

    # ---------------------------------------------------------------- step
    def step(self, sim, phase):
        if phase == "perceive":
            self._perceive(sim)
        elif phase == "decide":
            self._decide(sim)
        elif phase == "record":
            self._record(sim)

    def _perceive(self, sim):
        p = sim.params
        self._set_vision(sim)
        kd = float(p["cop_density"])
        if kd != self._applied_cop_density:
            N = sim.space.width * sim.space.height
            placement = p["placement"]
            self._set_cop_count(
                sim,
                _count(N, kd, "exact_floor" if placement == "exact_floor" else "exact_round"),
                "cop_change",
            )
            self._applied_cop_density = kd
        if self.model2 and p["peacekeeper_density"] > 0 and sim.t == int(p["peacekeeper_step"]):
            N = sim.space.width * sim.space.height
            self._set_cop_count(
                sim,
                self.n_cops + _count(N, float(p["peacekeeper_density"]), "exact_round"),
                "peacekeepers",
            )

    def _rules(self, sim) -> K.Rules:
        p = sim.params
        J = p["max_jail_term"]
        inf = isinstance(J, float) and math.isinf(J)
        hi = -1 if inf else (int(J) if p["jail_term_range"] == "0..J" else int(J) - 1)
        T = float(p["active_threshold"])
        return K.Rules(
            legitimacy=float(p["legitimacy"]),
            threshold=T,
            k=float(p["arrest_prob_constant"]),
            gfac=(1.0 - T) if p["grievance_form"] == "H(1-L)(1-T)" else 1.0,
            clone_p=float(p["clone_prob"]) if self.model2 else 0.0,
            ratio_mode=RATIOS.index(p["ratio"]),
            count_self_twice=bool(p["count_self_twice"]),
            move_in_vision=p["move_rule"] == "random_site_in_vision",
            cit_move_first=p["order"] == "move_then_act",
            cop_move_first=p["cop_order"] == "move_then_act",
            arrest_nearest=p["arrest_target"] == "nearest",
            cop_to_site=bool(p["cop_moves_to_arrest_site"]),
            term_hi=hi,
            term_inf=inf,
            jail_block=p["jailed"] == "block",
            end_of_step=p["jail_countdown"] == "end_of_step",
            release_acts=bool(p["release_turn_acts"]),
            movement=bool(p["movement"]),
            cops_move=bool(p["movement"]) or bool(p["cops_always_move"]),
            model2=bool(self.model2),
            max_age=int(p["max_age"]),
            same_field=bool(self.same_field),
            activation=ACTIVATIONS.index(p["activation"]),
            death_uniform=p["death_age"] == "uniform",
            age_in_jail=bool(p["age_in_jail"]),
            killer_quiet=p["after_kill"] == "quiet",
            move_try=p["move_rule"] == "try_one_step",
            m2_ascape_turn=p["turn_order"] == "ascape",
        )

    def _grow(self, need: int):
        cap = max(2 * self.cap, need)
        for name, a in self.arr.items():
            b = np.zeros(cap, dtype=a.dtype)
            b[: a.size] = a
            self.arr[name] = b
        self.actors = np.zeros(cap + self.cop_site.size, dtype=np.int64)
        self.cap = cap

    def _decide(self, sim):
        space: EpsteinSpace = sim.space
        if self.model2:
            # each living citizen clones at most once per period
            n = int(self.nused[0])
            need = n + int(np.count_nonzero(self.arr["status"][:n] != S.DEAD))
            if need > self.cap:
                self._grow(need)
        rules = self._rules(sim)
        A = self.arr
        self.out[:] = 0
        lat = K.Lattice(space.cell, space.who, space.width, space.height, self.fc, self.fa)
        cz = K.Citizens(
            A["status"],
            A["hardship"],
            A["risk_aversion"],
            A["site"],
            A["home"],
            A["jail_left"],
            A["group"],
            A["age"],
            A["death_age"],
            self.nused,
        )
        cops = K.Cops(self.cop_site, self.n_cops)
        t = np.int64(sim.t)
        if rules.activation == K.ACT_TILES:
            tl = self._tiles(sim)
            if tl.tid.size < self.actors.size:
                tl = self._tile_layout = tl._replace(tid=np.empty(self.actors.size, dtype=np.int64))
            K.tiles_kernel(
                t,
                lat,
                cz,
                cops,
                self.shapes,
                rules,
                self.keys,
                self.out,
                self.actors,
                tl,
            )
        else:
            K.step_kernel(
                t,
                lat,
                cz,
                cops,
                self.shapes,
                rules,
                self.keys,
                self.out,
                self.actors,
            )
        if int(self.nused[0]) != sim.pop.n:
            self._attach(sim)

    def _tiles(self, sim) -> K.Tiles:
        """Tile layout of block-sequential activation. D bounds how far from its site an actor
        can read or write in one turn (vision of both kinds, a move, a release disc); tiles at
        least 2·D wide in an even number per axis keep the tiles of one colour of a 2 × 2
        checkerboard from touching the same sites."""
        p = sim.params
        space: EpsteinSpace = sim.space
        W, H = space.width, space.height
        vision = max(self.cv.reach, self.kv.reach)
        moves = bool(p["movement"]) or bool(p["cops_always_move"])
        move = (vision if p["move_rule"] == "random_site_in_vision" else 1) if moves else 0
        release = self.rl.reach if p["jailed"] != "block" else 0
        D = 2 * vision + move + release + 1
        key = (W, H, D)
        if self._tile_key == key:
            return self._tile_layout

        def count(n):
            k = n // (2 * D)
            return k - (k % 2)

        ntx, nty = count(W), count(H)
        if ntx < 2 or nty < 2:
            raise ScenarioError(
                f"'tiles' needs a lattice at least {4 * D} sites wide and high (two tiles "
                f"of 2·D = {2 * D} per axis, D = {D}: the farthest an actor reaches in one turn "
                f"with these visions, moves and releases); this one is {W}x{H}",
                source=sim.scenario.source,
                field="activation",
            )
        colour = np.array([(ty % 2) * 2 + (tx % 2) for ty in range(nty) for tx in range(ntx)])
        colour_list = np.argsort(colour, kind="stable").astype(np.int64)
        colour_ptr = np.searchsorted(colour[colour_list], np.arange(5)).astype(np.int64)
        n_t = ntx * nty
        self._tile_layout = K.Tiles(
            ntx=ntx,
            nty=nty,
            colour_list=colour_list,
            colour_ptr=colour_ptr,
            ptr=np.zeros(n_t + 1, dtype=np.int64),
            out=np.zeros((n_t, K.N_OUT), dtype=np.int64),
            tid=np.empty(self.actors.size, dtype=np.int64),
        )
        self._tile_key = key
        return self._tile_layout

    def _record(self, sim):
        p = sim.params
        A = self.arr
        n = int(self.nused[0])
        gfac = (1.0 - p["legitimacy"]) * (
            (1.0 - p["active_threshold"]) if p["grievance_form"] == "H(1-L)(1-T)" else 1.0
        )
        s = self._summary
        K.summarize(A["status"], A["hardship"], A["risk_aversion"], A["group"], n, gfac, s)
        t = sim.t
        rec = sim.results.record
        rec("quiet", t, s[0])
        rec("active", t, s[1])
        rec("jailed", t, s[2])
        rec("arrests", t, float(self.out[K.OUT_ARRESTS]) if t > 0 else 0.0)
        rec("cops", t, float(self.n_cops))
        rec("legitimacy", t, float(p["legitimacy"]))
        rec("tension", t, s[6])
        if self.model2:
            rec("blue", t, s[4])
            rec("green", t, s[5])
            rec("dead", t, s[3])
            rec("killed", t, float(self.out[K.OUT_KILLED]) if t > 0 else 0.0)
            rec("births", t, float(self.out[K.OUT_BIRTHS]) if t > 0 else 0.0)
            rec("deaths", t, float(self.out[K.OUT_DEATHS]) if t > 0 else 0.0)

    # ---------------------------------------------------------------- invariants
    def check(self, sim):
        space: EpsteinSpace = sim.space
        A = self.arr
        n = int(self.nused[0])
        st, site = A["status"][:n], A["site"][:n]
        kind = space.cell & K.KIND_MASK
        block = sim.params["jailed"] == "block"
        if int(np.count_nonzero(kind == K.COP)) != self.n_cops:
            raise InvariantError(
                f"step {sim.t}: {self.n_cops} cops but "
                f"{int(np.count_nonzero(kind == K.COP))} cop cells"
            )
        if not np.array_equal(np.sort(self.cop_site[: self.n_cops]), np.flatnonzero(kind == K.COP)):
            raise InvariantError(f"step {sim.t}: cop positions disagree with the lattice")
        on = (st == S.QUIET) | (st == S.ACTIVE) | ((st == S.JAILED) & block)
        if np.any(site[on] < 0) or np.any(site[~on] >= 0):
            raise InvariantError(f"step {sim.t}: a citizen's site disagrees with its status")
        sites = site[on]
        if np.unique(sites).size != sites.size:
            raise InvariantError(f"step {sim.t}: two citizens on one site")
        if not np.array_equal(space.who[sites], np.flatnonzero(on)):
            raise InvariantError(f"step {sim.t}: occupant index disagrees with citizen sites")
        want = np.where(
            st[on] == S.ACTIVE, K.C_ACTIVE, np.where(st[on] == S.QUIET, K.C_QUIET, K.C_JAILED)
        )
        if not np.array_equal(kind[sites], want):
            raise InvariantError(f"step {sim.t}: lattice code disagrees with citizen status")
        n_cit_cells = int(
            np.count_nonzero((kind == K.C_QUIET) | (kind == K.C_ACTIVE) | (kind == K.C_JAILED))
        )
        if n_cit_cells != sites.size:
            raise InvariantError(f"step {sim.t}: orphan citizen cells on the lattice")
        # recount by plain offsets, independently of the row-run updates of the kernel
        fc = space.torus.count(kind == K.COP, self.cv)
        fa = space.torus.count(kind == K.C_ACTIVE, self.cv)
        if not (np.array_equal(fc, self.fc) and np.array_equal(fa, self.fa)):
            raise InvariantError(f"step {sim.t}: incremental count fields drifted")


EpsteinModel.modules = (CivilViolence,)
