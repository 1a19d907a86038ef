"""The country model: one agent per citizen (or per `scale` citizens), regions -> localities ->
social network, and the mechanisms of docs/odd/country.md (grievance, protest, bandwagon,
repression, regime response, information, legitimacy, identity, emigration, exit-voice
coupling, economy).

Mechanisms talk to each other through population columns (`sim.pop.<name>`) and through one
small per-locality / per-region state object, `sim.country` (a `CountryState`, whose fields
and the module providing each are declared in contract.py). Everything
per agent is an array; everything per locality is aggregated with bincounts over the sorted
locality ranges (`locality_start`)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tolqyn.core import status as S
from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Model, Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.models.country import contract

SYNTH_COLUMNS = {
    "region": "region index (int16, into space.region_codes)",
    "locality": "locality index (int32)",
    "ethnicity": "ethnic group index (into space.ethnic_groups)",
    "urban": "1 if the agent lives in an urban locality",
    "income": "relative income rank within the locality, 0 = poorest, 1 = richest",
    "risk_aversion": "risk aversion R in [0, 1] (Epstein 2002)",
    "media_diet": "main information source: 0 state TV, 1 foreign TV, 2 online",
    "ties_abroad": "number of close ties abroad (diaspora)",
}


class CountryState:
    """Per-locality and per-region state shared by the mechanisms of one Sim. Its fields are
    declared in contract.py, each with the module that provides it; `modules` are the
    model's modules, whose fields are allocated here and whose uses are checked."""

    def __init__(self, space, scale: float, modules=(), model: str = "", model_params=()):
        contract.check_providers(modules, model, set(model_params))
        self.scale = float(scale)
        self.n_loc = int(space.n_localities)
        self.n_reg = int(space.n_regions)
        loc_start = np.asarray(space.locality_start, dtype=np.int64)
        self.loc_region = np.asarray(space.locality_region, dtype=np.int64)
        self.loc_persons = np.diff(loc_start).astype(np.float64) * self.scale
        self.loc_urban = np.asarray(space.locality_urban, dtype=bool)
        self.region_codes = list(space.region_codes)
        self.reg_persons = np.bincount(
            self.loc_region, weights=self.loc_persons, minlength=self.n_reg
        ).astype(np.float64)
        # the focal site of a region: its most populous locality (the central square that
        # online coordination makes everyone converge on; Hassanpour 2014)
        self.focal = np.zeros(self.n_reg, dtype=np.int64)
        for r in range(self.n_reg):
            locs = np.flatnonzero(self.loc_region == r)
            if locs.size == 0:
                raise ScenarioError(f"region {self.region_codes[r]} has no locality")
            self.focal[r] = locs[np.argmax(self.loc_persons[locs])]
        self.log: list[tuple[int, str]] = []
        contract.allocate(self, modules)

    def region_index(self, code: str, source: str = "event") -> int:
        try:
            return self.region_codes.index(code)
        except ValueError:
            from tolqyn.core.errors import UnknownParamError

            raise UnknownParamError(
                code, self.region_codes, source=source, what="region code"
            ) from None

    def region_mask(self, regions, source: str = "event") -> np.ndarray:
        """`regions` = "ALL", a code, or a list of codes -> boolean mask over regions."""
        mask = np.zeros(self.n_reg, dtype=bool)
        if regions is None or regions == "ALL" or regions == ["ALL"]:
            mask[:] = True
            return mask
        if isinstance(regions, str):
            regions = [regions]
        for code in regions:
            mask[self.region_index(str(code), source)] = True
        return mask


# ---------------------------------------------------------------------------------- kernels
@njit(parallel=True, cache=True)
def record_kernel(status, region, ever, grievance, legit, n_regions, n_status):
    """One pass over the agents: status counts, participants, and grievance / legitimacy sums
    of living residents, by region (thread-private partial sums, fixed reduction order).
    Agents are sorted by region, so each chunk meets a region in one run: the run is summed
    in registers and written once (the same additions in the same order as summing into
    the per-chunk row directly)."""
    if n_status != 5:
        raise ValueError("record_kernel counts the five status codes of core/status.py")
    n = status.shape[0]
    n_chunks = 64
    counts = np.zeros((n_chunks, n_regions, n_status), dtype=np.int64)
    evers = np.zeros((n_chunks, n_regions), dtype=np.int64)
    sums = np.zeros((n_chunks, n_regions, 2))
    chunk = (n + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        lo = c * chunk
        hi = min(n, lo + chunk)
        i = lo
        while i < hi:
            r = region[i]
            c0 = 0
            c1 = 0
            c2 = 0
            c3 = 0
            c4 = 0
            ev = 0
            sg = sums[c, r, 0]
            sl = sums[c, r, 1]
            while i < hi and region[i] == r:
                st = status[i]
                if st == 0:
                    c0 += 1
                elif st == 1:
                    c1 += 1
                elif st == 2:
                    c2 += 1
                elif st == 3:
                    c3 += 1
                else:
                    c4 += 1
                if ever[i] != 0:
                    ev += 1
                if st <= 2:
                    sg += grievance[i]
                    sl += legit[i]
                i += 1
            counts[c, r, 0] += c0
            counts[c, r, 1] += c1
            counts[c, r, 2] += c2
            counts[c, r, 3] += c3
            counts[c, r, 4] += c4
            evers[c, r] += ev
            sums[c, r, 0] = sg
            sums[c, r, 1] = sl
    return counts.sum(axis=0), evers.sum(axis=0), sums.sum(axis=0)


# ---------------------------------------------------------------------------------- modules
class CountryPopulation(Module):
    """Adopts the synthesized agent columns and records the status counts and the
    cumulative measures that the other mechanisms update."""

    name = "population"
    phases = ("record",)

    def define_results(self):
        out = [Result(n, f"{n} citizens (status count)", "count", True) for n in S.NAMES]
        out += [
            Result(
                "participants_cumulative",
                "distinct citizens who protested at least once",
                "count",
                True,
            ),
            Result(
                "grievance_mean", "mean grievance G = H(1 - L) of living residents", "value", True
            ),
            Result(
                "legitimacy_mean", "mean perceived legitimacy L of living residents", "value", True
            ),
        ]
        return out

    def init(self, sim):
        space = sim.space
        for col, doc in SYNTH_COLUMNS.items():
            if col not in space.agents:
                raise ScenarioError(f"synthesized population lacks column '{col}'")
            sim.pop.attach(col, space.agents[col], doc)

    def check(self, sim):
        contract.check_fields(sim.country, sim.modules)

    def step(self, sim, phase):
        pop, t = sim.pop, sim.t
        c, ev, sums = record_kernel(
            pop.status,
            pop.region,
            pop.ever_active,
            pop.grievance,
            pop.legitimacy,
            sim.space.n_regions,
            S.N_STATUS,
        )
        tot = c.sum(axis=0)
        for k, name in enumerate(S.NAMES):
            sim.results.record(name, t, float(tot[k]), c[:, k])
        sim.results.record("participants_cumulative", t, float(ev.sum()), ev)
        living = (c[:, S.QUIET] + c[:, S.ACTIVE] + c[:, S.JAILED]).astype(np.float64)
        tot_w = living.sum()
        for j, res in enumerate(("grievance_mean", "legitimacy_mean")):
            m = np.divide(sums[:, j], living, out=np.full(living.shape, np.nan), where=living > 0)
            overall = float(sums[:, j].sum() / tot_w) if tot_w > 0 else float("nan")
            sim.results.record(res, t, overall, m)


def _mechanism_classes():
    from tolqyn.mechanisms.bandwagon import Bandwagon
    from tolqyn.mechanisms.cordons import Cordons
    from tolqyn.mechanisms.demobilisation import Demobilisation
    from tolqyn.mechanisms.economy import Economy
    from tolqyn.mechanisms.elections import Elections
    from tolqyn.mechanisms.emigration import Emigration
    from tolqyn.mechanisms.exit_voice import ExitVoice
    from tolqyn.mechanisms.grievance import Grievance
    from tolqyn.mechanisms.identity import Identity
    from tolqyn.mechanisms.information import Information
    from tolqyn.mechanisms.labour import LabourDispute
    from tolqyn.mechanisms.legitimacy import Legitimacy
    from tolqyn.mechanisms.policy import PolicyGrievance
    from tolqyn.mechanisms.preemptive import AnnouncedRallies
    from tolqyn.mechanisms.protest import Protest
    from tolqyn.mechanisms.regime import Regime
    from tolqyn.mechanisms.repertoire import Repertoire
    from tolqyn.mechanisms.repression import Repression
    from tolqyn.mechanisms.security import SecurityForces

    # order within a phase follows this tuple
    return (
        CountryPopulation,
        Economy,
        PolicyGrievance,  # after Economy: adds to the regional hardship it has just set
        Regime,
        Cordons,  # after the regime places the police, before the forces' loyalty splits them
        Information,
        Legitimacy,
        Identity,
        ExitVoice,
        Grievance,
        LabourDispute,  # after Grievance (adds a workforce's own hardship to G)
        Bandwagon,
        Protest,
        Demobilisation,
        Repertoire,
        SecurityForces,
        Repression,
        AnnouncedRallies,  # after Protest/Demobilisation (risk) and Repression (detentions)
        Elections,
        Emigration,
    )


class CountryModel(Model):
    """Any country described by a country pack (docs/packs.md): regions, localities, a social
    network and one agent per `scale` citizens."""

    name = "country"
    doc = __doc__

    @classmethod
    def module_classes(cls, params=None):
        return _mechanism_classes()

    @classmethod
    def define_params(cls):
        from tolqyn.data.synthesis import SYNTHESIS_PARAMS

        params = list(SYNTHESIS_PARAMS)
        params.append(
            Param(
                "population_seed",
                -1,
                "seed of the synthesised population (-1: the run's seed). A fixed seed gives "
                "every run the same population, synthesised once per process and reused "
                "(a calibration's draws then differ in their parameters and dynamics only)",
                -1,
                2**62,
                kind="int",
                sweepable=False,
                role="setting",
                citation="docs/adr/0012-calibration-over-structures.md",
            )
        )
        if not any(p.name == "scale" for p in params):
            params.append(
                Param(
                    "scale",
                    100.0,
                    "citizens per agent (1 = one agent per citizen)",
                    1.0,
                    1e5,
                    unit="citizens/agent",
                    citation="docs/architecture.md §8",
                )
            )
        return params

    @classmethod
    def estimate_agents(cls, p) -> int:
        """Agents the synthesis will build, known from the pack's populations before it runs;
        None where the pack is a folder named relative to a scenario file (counted at set-up)."""
        from tolqyn.data.synthesis import estimate_agents
        from tolqyn.packs.reader import PackError

        try:
            return estimate_agents(p)
        except PackError:
            return None

    def build(self, sim):
        from tolqyn.data.synthesis import synthesize_country
        from tolqyn.packs.reader import load_pack

        pack = load_pack(sim.params["country"], _scenario_dir(sim))
        apply_pack_parameters(sim, pack)
        seed = int(sim.params["population_seed"])
        if seed < 0:
            space = synthesize_country(
                sim.params, sim.streams("synthesis"), float(sim.params["scale"]), pack=pack
            )
        else:
            space = _shared_population(sim.params, seed, pack)
        return self._adopt(sim, space)

    def _adopt(self, sim, space):
        sim.space = space
        sim.country = CountryState(
            space,
            self.scale(sim),
            sim.modules,
            model=self.name,
            model_params=[p.name for p in type(self).define_params()],
        )
        return int(space.n_agents), list(space.region_codes)

    def scale(self, sim):
        sp = getattr(sim, "space", None)
        if sp is not None and getattr(sp, "scale", None):
            return float(sp.scale)
        return float(sim.params["scale"])


# populations synthesised with a fixed `population_seed`, reused within one process
_POPULATIONS: dict = {}


def _shared_population(params, seed: int, pack):
    """The population of (pack, synthesis parameters, seed), synthesised on first use; each
    run gets its own copy of the agent columns (the mechanisms may write to them), the rest
    of the space (network, localities, links) is read only."""
    import copy

    from tolqyn.core.random import Streams
    from tolqyn.data.synthesis import SYNTHESIS_PARAMS, synthesize_country

    key = (
        str(getattr(pack, "path", pack.name)),
        seed,
        tuple((p.name, repr(params[p.name])) for p in SYNTHESIS_PARAMS),
    )
    if key not in _POPULATIONS:
        if len(_POPULATIONS) >= 2:
            _POPULATIONS.pop(next(iter(_POPULATIONS)))
        _POPULATIONS[key] = synthesize_country(
            params, Streams(seed)("synthesis"), float(params["scale"]), pack=pack
        )
    space = copy.copy(_POPULATIONS[key])
    space.agents = {k: v.copy() for k, v in _POPULATIONS[key].agents.items()}
    space.meta = dict(space.meta)
    return space


def _scenario_dir(sim):
    src = getattr(getattr(sim, "scenario", None), "source", None)
    if not src or str(src).startswith("<"):
        return None
    from pathlib import Path

    p = Path(str(src).split(" (")[0])
    return p.parent if p.suffix == ".toml" else None


def apply_pack_parameters(sim, pack) -> None:
    """The pack's values of country parameters (forces, media, economy rows; groups.csv), for
    every parameter the scenario does not set itself; recorded as the run's initial values."""
    written = getattr(getattr(sim, "scenario", None), "params", {}) or {}
    for name, value in pack.parameters().items():
        if name in written:
            continue
        sim.params.set(name, value, source=f"country pack {pack.name}")
        sim.params.initial[name] = sim.params[name]
