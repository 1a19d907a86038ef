"""Where emigrants go: destination choice by ethnic group (Russia, Germany, elsewhere), and the
flows of emigrants by group and destination.

Each citizen who emigrates in a step (mechanism 9 marks them in `left_now`) picks one
destination d ∈ {russia, germany, other} with the multinomial-logit probabilities of a random-
utility rule whose alternative-specific constants are the base shares of the citizen's group:

    P(d | g) = s_{g,d}·f_d / Σ_d' s_{g,d'}·f_d'          (f_other = 1)
    M_g      = Σ_d s_{g,d}·f_d                         (the inclusive value, exp of the log-sum)


s_{g,d} is the share of group g's emigrants that go to d when no destination has changed
(f_d = 1); f_d is the relative attractiveness of destination d, which events can move (e.g.
Russia's September 2022 mobilisation made it less attractive to men of call-up age). As in a
nested logit, the attractiveness of the destinations open to a group also raises the group's
hazard of leaving at all: mechanism 9 adds ln M_g to the log-hazard (`inclusive_value`), so a
more attractive Germany draws more ethnic Germans out, and a less attractive Russia keeps some
Russians home. The pull of Germany (f_germany) is calibrated to the ethnic Germans' count. Kin-state
destinations dominate: ethnic Russians, Ukrainians and Tatars go mostly to Russia, ethnic Germans
mostly to Germany (the Aussiedler route), Kazakhs and others to Russia or elsewhere.

Defaults come from emigration.csv: in the first half of 2018, 15,000 of 17,100 emigrants went
to Russia (88 %) and 1,100 to Germany (6.4 %); in 2019, 40,900 of 45,200 went to CIS countries,
32,800 emigrants were ethnic Russians and 3,100 Germans. The group shares are assumptions that
reproduce these totals (docs/odd/exit.md §Destinations); only the totals are observed.
Sources: Klabunde & Willekens 2016 (random-utility destination choice); Beine, Docquier & Özden
2011 (diasporas pull their own); Brubaker 1995 (kin-state return). Seed: 002."""

from __future__ import annotations

import numpy as np

from tolqyn.core.errors import ScenarioError
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.data.loaders import ETHNIC_GROUPS

DESTINATIONS = ("russia", "germany", "other")
_ORDER = "order: " + ", ".join(ETHNIC_GROUPS)
_CITE = (
    "emigration.csv (2018 H1: 15,000 of 17,100 to Russia, 1,100 to Germany; 2019: 40,900 of 45,200 to CIS); "
    "Klabunde & Willekens 2016; Beine, Docquier & Özden 2011"
)


def share_matrix(p) -> np.ndarray:
    """(groups × destinations) base shares s_{g,d}, validated."""
    r = np.asarray(p["dest_russia_share"], dtype=np.float64)
    g = np.asarray(p["dest_germany_share"], dtype=np.float64)
    n = len(ETHNIC_GROUPS)
    if r.shape != (n,) or g.shape != (n,):
        raise ScenarioError(
            f"dest_russia_share and dest_germany_share need {n} values ({_ORDER})",
            field="dest_russia_share",
        )
    other = 1.0 - r - g
    if np.any(other < -1e-9):
        bad = ETHNIC_GROUPS[int(np.argmin(other))]
        raise ScenarioError(
            f"dest_russia_share + dest_germany_share exceeds 1 for group {bad}",
            field="dest_germany_share",
        )
    return np.column_stack([r, g, np.maximum(other, 0.0)])


def weights(p) -> np.ndarray:
    """s_{g,d}·f_d (groups × destinations)."""
    f = np.array([float(p["dest_russia_factor"]), float(p["dest_germany_factor"]), 1.0])
    return share_matrix(p) * f[None, :]


def inclusive_value(p) -> np.ndarray:
    """ln M_g per group: the log-hazard added by the attractiveness of the group's destinations."""
    m = weights(p).sum(axis=1)
    return np.log(np.maximum(m, 1e-12))


def declared_results() -> list:
    """The results the destinations module records (what `Destinations.define_results`
    declares), readable without a simulation."""
    by_group = [("group", g, f"of ethnic group {g}", f"of group {g}") for g in ETHNIC_GROUPS]
    by_destination = [("destination", d, f"who went to {d}", f"to {d}") for d in DESTINATIONS]
    # a cell's name: emigrants_<group>, emigrants_to_<destination>, and the same after _ytd
    prefix = {"group": "", "destination": "to_"}
    flows = [
        Result(
            f"emigrants_{prefix[dim]}{key}",
            f"new emigrants {flow_doc} in the step",
            "count",
            True,
            "flow",
            base="emigrants",
            dims=((dim, key),),
        )
        for dim, key, flow_doc, _ in by_group + by_destination
    ]
    totals = [
        Result("emigrants_ytd", "emigrants since 1 January of the step's year", "count"),
        Result("emigrants_cumulative", "emigrants since the start of the run", "count"),
    ]
    ytd = [
        Result(
            f"emigrants_ytd_{prefix[dim]}{key}",
            f"emigrants {ytd_doc} since 1 January",
            base="emigrants_ytd",
            dims=((dim, key),),
        )
        for dim, key, _, ytd_doc in by_group + by_destination
    ]
    return flows + totals + ytd


def cell_metric(base: str, **dims) -> str:
    """The recorded metric that is the cell `dims` of `base` (emigrants or emigrants_ytd), by
    the declarations: `cell_metric("emigrants_ytd", group="russian")` -> its name."""
    if not dims:
        return base
    want = tuple(sorted((k, str(v)) for k, v in dims.items()))
    for r in declared_results():
        if r.base_name == base and tuple(sorted(r.dims)) == want:
            return r.name
    from tolqyn.core.errors import TolqynError

    raise TolqynError(f"the exit model records no cell {dict(want)} of '{base}'")


class Destinations(Module):
    name = "destinations"
    phases = ("consequences", "record")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "dest_russia_share",
                (0.60, 0.97, 0.25, 0.93, 0.25, 0.33, 0.95, 0.50),
                f"s_(g,russia): share of each group's emigrants who go to Russia at f = 1 ({_ORDER})",
                0.0,
                1.0,
                unit="share",
                kind="list",
                citation=_CITE + "; group shares are assumptions",
            ),
            Param(
                "dest_germany_share",
                (0.05, 0.01, 0.01, 0.02, 0.02, 0.65, 0.01, 0.05),
                f"s_(g,germany): share of each group's emigrants who go to Germany at f = 1 ({_ORDER})",
                0.0,
                1.0,
                unit="share",
                kind="list",
                citation=_CITE + "; bpb.de via SOURCES.md §4 (Aussiedler)",
            ),
            Param(
                "dest_russia_factor",
                1.0,
                "f_russia: relative attractiveness of Russia (1 = as in 2004-2019)",
                0.01,
                20.0,
                unit="1",
                citation="random-utility rule (Klabunde & Willekens 2016)",
            ),
            Param(
                "dest_germany_factor",
                1.0,
                "f_germany: relative attractiveness of Germany (its pull on the "
                "hazard of leaving and on the choice of destination)",
                0.01,
                20.0,
                unit="1",
                citation="random-utility rule (Klabunde & Willekens 2016); Mayda 2010 (destination income pulls)",
            ),
        ]

    def define_results(self):
        return declared_results()

    def init(self, sim):
        groups = list(getattr(sim.space, "ethnic_groups", ETHNIC_GROUPS))
        if groups != list(ETHNIC_GROUPS):
            raise ScenarioError(
                f"destinations need the ethnic groups {ETHNIC_GROUPS}, got {groups}"
            )
        self._stream = sim.streams("destination")
        n_reg = sim.country.n_reg
        self._by_group = np.zeros((len(ETHNIC_GROUPS), n_reg))
        self._by_dest = np.zeros((len(DESTINATIONS), n_reg))
        self._ytd_group = np.zeros(len(ETHNIC_GROUPS))
        self._ytd_dest = np.zeros(len(DESTINATIONS))
        self._cum = 0.0
        self._year = None

    def probabilities(self, p) -> np.ndarray:
        """(groups × destinations) choice probabilities."""
        w = weights(p)
        tot = w.sum(axis=1, keepdims=True)
        return np.divide(w, tot, out=np.full_like(w, 1.0 / 3.0), where=tot > 0)

    def step(self, sim, phase):
        if phase == "record":
            self._record(sim)
            return
        pop = sim.pop
        self._by_group[:] = 0.0
        self._by_dest[:] = 0.0
        idx = np.flatnonzero(pop.left_now)
        if idx.size == 0:
            return
        P = self.probabilities(sim.params)
        eth = pop.ethnicity[idx].astype(np.int64)
        reg = pop.region[idx].astype(np.int64)
        u = self._stream.uniform_for(sim.t, idx)
        cum = np.cumsum(P, axis=1)[eth]
        dest = (u[:, None] >= cum[:, :-1]).sum(axis=1)
        np.add.at(self._by_group, (eth, reg), 1.0)
        np.add.at(self._by_dest, (dest, reg), 1.0)

    def _record(self, sim):
        t = sim.t
        start = sim.clock.datetime_at(t) if t > 0 else None
        year = start.year if start is not None else None
        if t == 0 or year != self._year:
            self._ytd_group[:] = 0.0
            self._ytd_dest[:] = 0.0
            self._year = year
        if t == 0:
            self._by_group[:] = 0.0
            self._by_dest[:] = 0.0
        for k, g in enumerate(ETHNIC_GROUPS):
            sim.results.record(
                f"emigrants_{g}", t, float(self._by_group[k].sum()), self._by_group[k].copy()
            )
        for k, d in enumerate(DESTINATIONS):
            sim.results.record(
                f"emigrants_to_{d}", t, float(self._by_dest[k].sum()), self._by_dest[k].copy()
            )
        self._ytd_group += self._by_group.sum(axis=1)
        self._ytd_dest += self._by_dest.sum(axis=1)
        self._cum += float(self._by_group.sum())
        sim.results.record("emigrants_ytd", t, float(self._ytd_group.sum()))
        sim.results.record("emigrants_cumulative", t, self._cum)
        for k, g in enumerate(ETHNIC_GROUPS):
            sim.results.record(f"emigrants_ytd_{g}", t, float(self._ytd_group[k]))
        for k, d in enumerate(DESTINATIONS):
            sim.results.record(f"emigrants_ytd_to_{d}", t, float(self._ytd_dest[k]))

    def check(self, sim):
        from tolqyn.core.errors import InvariantError

        if not np.isclose(self._by_group.sum(), self._by_dest.sum()):
            raise InvariantError(f"step {sim.t}: emigrants by group and by destination differ")
        if not np.isclose(self._by_group.sum(), sim.country.emig_reg.sum()):
            raise InvariantError(
                f"step {sim.t}: emigrants by group differ from the emigration flow"
            )
