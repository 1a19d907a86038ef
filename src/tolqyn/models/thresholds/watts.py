"""Watts (2002) threshold cascades on random networks.

Node i with k_i contacts, m_i of them adopters, adopts (for good) when

    m_i / k_i >= phi_i,

all nodes updated synchronously from the state at the start of the step. A node with no
contacts never adopts unless it is a seed. The run starts from `n_seeds` adopters chosen
at random (Watts: one) and stops at the fixed point, when a step would add nobody.

A node is *vulnerable* when one adopting contact is enough (k_i >= 1 and 1/k_i >= phi_i).
A global cascade from one seed needs the vulnerable cluster to percolate; on Erdos-Renyi
graphs with phi = 0.18 that gives the cascade window of mean degree z, roughly 1 < z < 6-7
for N = 10^4 (Watts 2002, Fig. 1; docs/literature.md §2.2, checked by the tests).

The update runs in Numba kernels over the CSR arrays and only visits the contacts of new
adopters. Each step also computes who adopts next, so the fixed point is known without an
extra idle step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tolqyn.core import status as S
from tolqyn.core.errors import InvariantError, ScenarioError
from tolqyn.core.module import Model, Module
from tolqyn.core.params import Param
from tolqyn.core.results import Result
from tolqyn.models.thresholds.granovetter import refuse_setup_changes
from tolqyn.space import network as nw

WATTS = "Watts (2002), PNAS 99(9): 5766-5771"


@njit(cache=True)
def next_adopters(indptr, indices, adopted, phi, out):
    """Full synchronous scan: out[i] = 1 if i is not yet an adopter and
    (adopting contacts)/(contacts) >= phi_i. Returns how many. Used once at set-up (it
    catches nodes with phi = 0) and by the tests as the reference for `advance`."""
    n = indptr.shape[0] - 1
    total = 0
    for i in range(n):
        flag = 0
        if adopted[i] == 0:
            k = indptr[i + 1] - indptr[i]
            if k > 0:
                m = 0
                for e in range(indptr[i], indptr[i + 1]):
                    m += adopted[indices[e]]
                # m / k is a correctly rounded division: 1/5 equals the literal 0.2 exactly
                if m / k >= phi[i]:
                    flag = 1
        out[i] = flag
        total += flag
    return total


@njit(cache=True)
def advance(
    indptr, indices, phi, adopted, m, pending, n_pending, mark, cand, status, active_code, out
):
    """One synchronous step on the frontier. The `n_pending` nodes in `pending` adopt; the
    adopting-contact counts m of their contacts go up; those contacts that now satisfy
    m/k >= phi are written to `out` (returned count). Only contacts of new adopters can
    change, so a whole run costs O(edges) instead of O(steps x edges). The decision uses
    counts that include all of this step's adopters and none of the next, which is the
    synchronous rule."""
    for a in range(n_pending):
        i = pending[a]
        adopted[i] = 1
        status[i] = active_code
    nc = 0
    for a in range(n_pending):
        i = pending[a]
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            m[j] += 1
            if adopted[j] == 0 and mark[j] == 0:
                mark[j] = 1
                cand[nc] = j
                nc += 1
    n_out = 0
    for c in range(nc):
        j = cand[c]
        mark[j] = 0
        k = indptr[j + 1] - indptr[j]
        if m[j] / k >= phi[j]:
            out[n_out] = j
            n_out += 1
    return n_out


def vulnerable_mask(degree: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Nodes that adopt after a single adopting contact: k >= 1 and 1/k >= phi."""
    k = degree.astype(np.float64)
    return (degree >= 1) & (1.0 / np.maximum(k, 1.0) >= phi)


_SETUP_PARAMS = (
    "n_agents",
    "network",
    "mean_degree",
    "rewire",
    "phi",
    "phi_dist",
    "phi_sd",
    "n_seeds",
    "cascade_cutoff",
)


class ThresholdCascade(Module):
    name = "watts"
    phases = ("decide", "record")
    doc = "synchronous fractional-threshold adoption on a network (Watts 2002)"

    def define_results(self):
        return [
            Result("active", "number of adopters"),
            Result("quiet", "number not (yet) adopting"),
            Result("adopters", "number of adopters (seeds included)"),
            Result("new_adopters", "adopters added in this step", measure="flow"),
            Result("vulnerable", "nodes that one adopting contact tips (recorded at step 0)"),
            Result("cascade_size", "adopters / N", kind="value"),
            Result(
                "global_cascade",
                "1 if the final cascade_size exceeds cascade_cutoff, "
                "else 0 (recorded at the last step)",
                kind="value",
            ),
        ]

    def init(self, sim):
        p = sim.params
        refuse_setup_changes(sim, _SETUP_PARAMS)
        n = sim.pop.n
        net = sim.space
        if p["n_seeds"] > n:
            raise ScenarioError(
                f"n_seeds = {p['n_seeds']} exceeds the population ({n})",
                source=sim.scenario.source,
                field="n_seeds",
            )
        sim.pop.attach("phi", draw_phi(sim, n), "Watts adoption threshold (share of contacts)")
        self.adopted = np.zeros(n, dtype=np.uint8)
        seeds = np.sort(
            sim.streams("seeds").generator(0).choice(n, size=p["n_seeds"], replace=False)
        )
        self.adopted[seeds] = 1
        sim.pop.status[:] = S.QUIET
        sim.pop.status[seeds] = S.ACTIVE
        self.count = int(seeds.size)
        self.new = self.count
        self.n_vulnerable = int(np.count_nonzero(vulnerable_mask(net.degree(), sim.pop.phi)))
        # adopting-contact counts, kept up to date by `advance`
        self.m = nw.count_marked_neighbours(
            net.indptr, net.indices, self.adopted, np.zeros(n, dtype=np.int64)
        )
        flags = np.zeros(n, dtype=np.uint8)
        next_adopters(net.indptr, net.indices, self.adopted, sim.pop.phi, flags)
        self.pending = np.zeros(n, dtype=np.int64)
        self.out = np.zeros(n, dtype=np.int64)
        self.cand = np.zeros(n, dtype=np.int64)
        self.mark = np.zeros(n, dtype=np.uint8)
        first = np.flatnonzero(flags)
        self.n_pending = first.size
        self.pending[: first.size] = first

    def step(self, sim, phase):
        net = sim.space
        if phase == "decide":
            n_new = self.n_pending
            n_next = advance(
                net.indptr,
                net.indices,
                sim.pop.phi,
                self.adopted,
                self.m,
                self.pending,
                n_new,
                self.mark,
                self.cand,
                sim.pop.status,
                S.ACTIVE,
                self.out,
            )
            self.pending, self.out = self.out, self.pending
            self.n_pending = n_next
            self.new = n_new
            self.count += n_new
        elif phase == "record":
            self._record(sim)
            if self.n_pending == 0:
                sim.request_stop()

    def _record(self, sim):
        n = sim.pop.n
        r = sim.results
        r.record("active", sim.t, self.count)
        r.record("adopters", sim.t, self.count)
        r.record("quiet", sim.t, n - self.count)
        r.record("new_adopters", sim.t, self.new)
        r.record("cascade_size", sim.t, self.count / n)
        if sim.t == 0:
            r.record("vulnerable", 0, self.n_vulnerable)

    def finalize(self, sim):
        share = self.count / sim.pop.n
        sim.results.record(
            "global_cascade", sim.t, 1.0 if share > sim.params["cascade_cutoff"] else 0.0
        )

    def check(self, sim):
        if (
            int(self.adopted.sum(dtype=np.int64)) != self.count
            or int(np.count_nonzero(sim.pop.status == S.ACTIVE)) != self.count
        ):
            raise InvariantError(f"step {sim.t}: adopter count out of step with the states")


def draw_phi(sim, n: int) -> np.ndarray:
    p = sim.params
    phi, sd, dist = p["phi"], p["phi_sd"], p["phi_dist"]
    if dist == "fixed":
        return np.full(n, phi)
    gen = sim.streams("phi").generator(0)
    if dist == "normal":
        raw = gen.normal(phi, sd, size=n)
    else:  # uniform with the same mean and standard deviation
        half = sd * np.sqrt(3.0)
        raw = gen.uniform(phi - half, phi + half, size=n)
    return np.clip(raw, 0.0, 1.0)


class WattsModel(Model):
    """Threshold cascades on a generated network."""

    name = "watts"
    doc = "Watts (2002) global cascades on random networks"
    modules = (ThresholdCascade,)

    @classmethod
    def define_params(cls):
        c = WATTS
        return [
            Param(
                "n_agents",
                10_000,
                "number of nodes",
                1,
                100_000_000,
                unit="nodes",
                kind="int",
                citation=c,
            ),
            Param(
                "network",
                "erdos_renyi",
                "erdos_renyi: G(N, z/(N-1)); small_world: ring "
                "with round(z/2) ties each side and a share 'rewire' rewired; ring: the same "
                "with no rewiring",
                kind="choice",
                choices=("erdos_renyi", "small_world", "ring"),
                sweepable=False,
                citation=c,
            ),
            Param("mean_degree", 4.0, "mean degree z", 0.0, 1e4, unit="contacts", citation=c),
            Param(
                "rewire",
                0.1,
                "small_world: rewiring probability per tie",
                0.0,
                1.0,
                unit="1",
                citation="Watts & Strogatz (1998), Nature 393: 440-442",
            ),
            Param(
                "phi",
                0.18,
                "adoption threshold: share of contacts that must have adopted "
                "(mean of the law when phi_dist is not fixed)",
                0.0,
                1.0,
                unit="share",
                citation=c,
            ),
            Param(
                "phi_dist",
                "fixed",
                "fixed: every node has phi; normal or uniform: drawn "
                "with mean phi and standard deviation phi_sd, clipped to [0, 1]",
                kind="choice",
                choices=("fixed", "normal", "uniform"),
                sweepable=False,
                citation=c,
            ),
            Param(
                "phi_sd",
                0.05,
                "standard deviation of the threshold law",
                0.0,
                1.0,
                unit="share",
                citation=c,
            ),
            Param(
                "n_seeds",
                1,
                "initial adopters, chosen uniformly at random",
                0,
                100_000_000,
                unit="nodes",
                kind="int",
                citation=c,
            ),
            Param(
                "cascade_cutoff",
                0.5,
                "a final share above this counts as a global cascade",
                0.0,
                1.0,
                unit="share",
                citation=c,
            ),
        ]

    def build(self, sim):
        p = sim.params
        n = p["n_agents"]
        gen = sim.streams("network").generator(0)
        if p["network"] == "erdos_renyi":
            sim.space = nw.erdos_renyi(n, p["mean_degree"], gen)
        else:
            k_half = int(round(p["mean_degree"] / 2.0))
            if 2 * k_half >= n:
                raise ScenarioError(
                    f"mean_degree = {p['mean_degree']:g} is too large for a ring of {n} nodes",
                    source=sim.scenario.source,
                    field="mean_degree",
                )
            rw = p["rewire"] if p["network"] == "small_world" else 0.0
            sim.space = nw.watts_strogatz(n, k_half, rw, gen)
        return n, []
