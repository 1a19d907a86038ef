"""Population synthesis from a country pack: regions -> localities -> agents -> social network.

`synthesize_country(params, seed_stream, scale, pack)` builds a `CountrySpace` from the country
pack named by the `country` parameter (docs/packs.md; default the packaged Kazakhstan pack,
about 19.8 million citizens) with one agent per `scale` citizens.

Steps (all vectorised or in Numba kernels; nothing loops over agents in Python):

1. Regions: the pack's units with their population and urban/rural split (or the units of
   its earlier boundaries, `region_basis`), optionally rescaled to `population_total`.
2. Localities: the pack's named cities, the rest of the urban population in equal towns of
   `town_size`, the rural population in equal localities of `rural_locality_size`
   (assumptions A-LOC-*).
3. Agents per region: round(population / scale) (half up); agents per locality: largest
   remainder apportionment of the region's agents by locality population, so every count
   is deterministic and sums exactly.
4. Ethnicity: multinomial draw per locality from the region's (filled and raked) group
   shares (assumption A-ETH-FILL); agents are sorted by region, locality, then ethnic group.
5. Attributes: income = rank within the locality ((k + 1/2)/n of a random order), risk
   aversion U(0,1) (Epstein 2002), main media (online / foreign TV / state TV) by
   urban-rural and group, ties abroad by group; counter-based draws indexed by agent.
6. Network: each agent starts Bernoulli-rounded halves of `ties_local`, `ties_regional`,
   `ties_national` ties; targets are uniform in the agent's locality (or, with probability
   `ethnic_homophily`, in its own group there), in the other localities of its region, and in
   the other regions. The started ties are written in parallel, agent by agent; the reverse
   direction is grouped by target with a stable two-pass radix sort (no global lexsort, no
   random scatter over the whole population); each CSR row is the sorted, de-duplicated
   union of both, so the network is symmetric and simple (no self-loops, no multi-edges).
"""

from __future__ import annotations

import time
from typing import Any, Mapping

import numpy as np
from numba import njit, prange

from tolqyn.core.errors import ScenarioError
from tolqyn.core.params import Param
from tolqyn.core.random import draw_int, draw_u01
from tolqyn.data import loaders
from tolqyn.data.assumptions import ASSUMPTIONS, list_assumptions
from tolqyn.data.loaders import ETHNIC_GROUPS
from tolqyn.packs.reader import Pack, load_pack
from tolqyn.space.network import Network
from tolqyn.space.regions import CountrySpace

N_GROUPS = len(ETHNIC_GROUPS)  # of the Kazakhstan pack (the exit model's groups)
RUSSOPHONE = np.array([g in ("russian", "ukrainian", "german", "tatar") for g in ETHNIC_GROUPS])

# per-agent columns and their meaning (the CountrySpace contract)
AGENT_COLUMNS = {
    "region": ("int16", "region index (order of CountrySpace.region_codes)"),
    "locality": ("int32", "locality index"),
    "ethnicity": ("int8", "index into CountrySpace.ethnic_groups"),
    "urban": ("int8", "1 if the locality is urban"),
    "income": ("float32", "relative income rank within the locality, (k + 1/2)/n"),
    "risk_aversion": ("float32", "U(0,1), Epstein 2002"),
    "media_diet": ("int8", "main news source: 0 state TV, 1 foreign TV, 2 online"),
    "ties_abroad": ("int8", "1 if the agent has kin or friends abroad"),
}

# counter 'step' values of the synthesis stream (one per purpose, so draws never collide)
_STEP_ATTR = 1
_STEP_INCOME = 2
_STEP_NET = 3


def _assumption_param(a: dict) -> Param:
    kind = a["kind"]
    return Param(
        a["param"],
        a["default"],
        a["text"],
        low=a.get("low"),
        high=a.get("high"),
        unit=a["unit"],
        citation=f"{a['id']}: {a['source']}",
        kind=kind,
        choices=tuple(a.get("choices", ())),
        sweepable=kind in ("float", "int"),
        role="country",
    )


SYNTHESIS_PARAMS: list[Param] = [
    Param(
        "scale",
        100.0,
        "Citizens represented by one agent (1 = one agent per citizen). Agents per region = "
        "round(population / scale).",
        low=1.0,
        high=100000.0,
        unit="citizens per agent",
        citation="docs/architecture.md §8 (explicit scaling)",
        sweepable=False,
        structural=True,
        sweep_range=(100.0, 10000.0),
        role="setting",
    ),
    Param(
        "country",
        "kazakhstan",
        "Country pack: the name of a packaged pack or the path of a folder with a "
        "datapackage.json (docs/packs.md). Its tables give the units, localities, groups and "
        "composition; its parameter rows (forces, media, economy) set country parameters "
        "that the scenario does not set itself.",
        kind="str",
        citation="docs/packs.md",
        sweepable=False,
        role="country",
    ),
    *[_assumption_param(a) for a in ASSUMPTIONS],
]
_SPECS = {p.name: p for p in SYNTHESIS_PARAMS}


def _p(params: Mapping | None, name: str) -> Any:
    """Parameter value from a mapping or ParamSet, validated against its declaration."""
    spec = _SPECS[name]
    if params is not None:
        try:
            present = name in params
        except TypeError:
            present = False
        if present:
            return spec.coerce(params[name], source="params")
    return spec.default


# ------------------------------------------------------------------ deterministic helpers


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder (Hamilton) apportionment of `total` units by `weights`: the result
    sums exactly to total and each entry is floor or ceil of its quota; ties go to the lower
    index. Deterministic."""
    w = np.asarray(weights, dtype=np.float64)
    out = np.zeros(w.shape[0], dtype=np.int64)
    s = w.sum()
    if total <= 0 or s <= 0:
        return out
    q = w / s * total
    base = np.floor(q).astype(np.int64)
    rem = int(total - base.sum())
    if rem > 0:
        order = np.argsort(-(q - base), kind="stable")
        base[order[:rem]] += 1
    return base


def agents_per_region(population: np.ndarray, scale: float) -> np.ndarray:
    """The rounding rule: round half up of population / scale (exact at scale 1)."""
    return np.floor(np.asarray(population, dtype=np.float64) / float(scale) + 0.5).astype(np.int64)


def _ipf(
    seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, iters: int = 1000, tol: float = 1e-10
):
    x = seed.astype(np.float64).copy()
    for _ in range(iters):
        rs = x.sum(axis=1)
        x *= np.divide(rows, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
        cs = x.sum(axis=0)
        x *= np.divide(cols, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
        if np.max(np.abs(x.sum(axis=1) - rows) / np.maximum(rows, 1)) < tol:
            break
    return x


def _pack(params: Mapping | None, pack: Pack | None = None) -> Pack:
    return pack if pack is not None else load_pack(_p(params, "country"))


def ethnic_share_matrix(
    params: Mapping | None = None, basis: str | None = None, pack: Pack | None = None
):
    """Region x group shares (rows sum to 1) used by the synthesis, in region order of
    `pack.units(basis)`; plus a provenance string per region. See A-ETH-FILL."""
    pack = _pack(params, pack)
    basis = basis or _p(params, "region_basis")
    groups = pack.groups
    ng = len(groups)
    units = pack.units("current")
    codes = list(units["code"])
    pop = units["population"].astype(np.float64)
    comp = pack.composition()
    totals = pack.composition_totals()
    if totals is not None and totals.sum() > 0:
        nat = totals / totals.sum()
    else:  # no census: the population-weighted mean of the rows that report a group
        nat = np.full(ng, 1.0 / ng)
    S = comp["shares"].copy()
    known_other = np.zeros(len(codes))
    prov = []
    for r in range(len(codes)):
        if not comp["present"][r]:
            prov.append("no regional row: filled like missing groups")
        elif comp["complete"][r]:
            v = np.where(np.isnan(S[r]), 0.0, S[r])
            S[r] = v / v.sum() * 100.0
            prov.append(comp["provenance"][r] or "complete row")
        else:
            S[r, -1] = np.nan
            known_other[r] = min(comp["other_listed"][r], max(0.0, 100.0 - np.nansum(S[r, :-1])))
            prov.append(f"{comp['provenance'][r]}, {int(np.isnan(S[r, :-1]).sum())} groups filled")
    if ng == 1:
        return _merge_basis(pack, basis, codes, np.ones((len(codes), 1)), prov, pop)
    # Missing cells share the row's residual in proportion to the group's average share in the
    # regions that do not report it: the census count left over after the reporting regions,
    # over their population (the last group, 'other', uses its national share). Uzbeks in
    # Kazakhstan, for instance, are almost all in the regions that report them, so the
    # northern regions get next to none.
    miss = np.isnan(S)
    miss[:, -1] = True
    avg = np.zeros(ng)
    for g in range(ng - 1):
        rep = ~np.isnan(S[:, g])
        left = max(0.0, nat[g] * pop.sum() - np.sum(S[rep, g] / 100.0 * pop[rep]))
        avg[g] = left / pop[~rep].sum() if (~rep).any() else 0.0
    avg[-1] = nat[-1]
    for r in range(len(codes)):
        if comp["present"][r] and comp["complete"][r]:
            continue
        row = np.where(np.isnan(S[r]), 0.0, S[r])
        row[-1] = known_other[r]
        residual = max(0.0, 100.0 - row[:-1].sum() - known_other[r])
        w = avg * miss[r]
        row += residual * w / w.sum() if w.sum() > 0 else 0.0
        S[r] = row
    S = S / S.sum(axis=1, keepdims=True)
    if _p(params, "ethnic_rake") and totals is not None:
        X = _ipf(S * pop[:, None], pop, nat * pop.sum())
        S = X / X.sum(axis=1, keepdims=True)
        prov = [p + ", raked to the national totals" for p in prov]
    return _merge_basis(pack, basis, codes, S, prov, pop)


def _merge_basis(pack: Pack, basis: str, codes, S, prov, pop):
    if basis == "current":
        return codes, S, prov
    keep = list(pack.units(basis)["code"])
    parent = pack.parents()
    S2 = np.zeros((len(keep), S.shape[1]))
    prov2 = []
    for k, c in enumerate(keep):
        m = [i for i, u in enumerate(codes) if parent[u] == c]
        S2[k] = (S[m] * pop[m, None]).sum(axis=0) / pop[m].sum()
        prov2.append(" + ".join(prov[i] for i in m))
    return keep, S2, prov2


def urban_rural_shares(
    p: np.ndarray, urban_share: float, odds: float, kin: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split a region's composition p into urban and rural compositions, with the odds of
    living in a town multiplied by `odds` for the groups with kin abroad (`kin`, the pack's
    groups.csv; Kazakhstan: the Russian-speaking groups); totals preserved."""
    if odds == 1.0 or urban_share <= 0.0 or urban_share >= 1.0:
        return p.copy(), p.copy()
    kin = RUSSOPHONE if kin is None else kin
    seed = np.vstack([p * np.where(kin, odds, 1.0), p])
    x = _ipf(seed, np.array([urban_share, 1.0 - urban_share]), p, iters=2000, tol=1e-12)
    u = x[0] / x[0].sum()
    r = x[1] / x[1].sum()
    return u, r


# ------------------------------------------------------------------ Numba kernels


@njit(parallel=True, cache=True)
def _agent_attributes(
    key, urban, eth, p_online_u, p_online_r, p_foreign, p_ties, risk, media, ties
):
    for i in prange(urban.shape[0]):
        risk[i] = np.float32(draw_u01(key, _STEP_ATTR, i, 0))
        po = p_online_u if urban[i] else p_online_r
        if draw_u01(key, _STEP_ATTR, i, 1) < po:
            media[i] = 2
        elif draw_u01(key, _STEP_ATTR, i, 2) < p_foreign[eth[i]]:
            media[i] = 1
        else:
            media[i] = 0
        ties[i] = 1 if draw_u01(key, _STEP_ATTR, i, 3) < p_ties[eth[i]] else 0


@njit(parallel=True, cache=True)
def _income_rank(key, loc_start, out):
    """Income = rank within the locality, (k + 1/2)/n, of a uniformly random order
    (Fisher-Yates with counter-based draws: O(n), no sort)."""
    nloc = loc_start.shape[0] - 1
    for l in prange(nloc):
        a = loc_start[l]
        n = loc_start[l + 1] - a
        for k in range(n):
            out[a + k] = np.float32((k + 0.5) / n)
        for k in range(n - 1, 0, -1):
            j = draw_int(key, _STEP_INCOME, a + k, 0, k + 1)
            tmp = out[a + k]
            out[a + k] = out[a + j]
            out[a + j] = tmp


@njit(inline="always", cache=True)
def _n_stubs(key, i, half, slot):
    base = np.int64(half)
    if draw_u01(key, _STEP_NET, i, slot) < half - base:
        base += 1
    return base


@njit(inline="always", cache=True)
def _pick_local(key, i, slot, a, b, ea, eb, hom):
    if eb - ea >= 2 and draw_u01(key, _STEP_NET, i, slot + 1) < hom:
        lo, hi = ea, eb
    else:
        lo, hi = a, b
    if hi - lo < 2:
        return -1
    j = lo + draw_int(key, _STEP_NET, i, slot, hi - lo - 1)
    if j >= i:
        j += 1
    return j


@njit(inline="always", cache=True)
def _pick_outside(key, i, slot, lo, hi, xa, xb):
    """Uniform in [lo, hi) minus the block [xa, xb) (which contains i)."""
    m = (hi - lo) - (xb - xa)
    if m < 1:
        return -1
    j = lo + draw_int(key, _STEP_NET, i, slot, m)
    if j >= xa:
        j += xb - xa
    return j


@njit(inline="always", cache=True)
def _target(key, i, t, kind, a, b, ea, eb, ra, rb, n, hom):
    """Target of the t-th tie started by agent i (kind 0 local, 1 regional, 2 national).
    When a pool is empty the tie falls back to the nearest non-empty one: a regional tie in a
    one-locality region (Almaty, Astana, Shymkent) stays in the city; a local tie of a lone
    agent goes to its region; a national tie in a one-region country stays in the region."""
    slot = 16 + 2 * t
    if kind == 0:
        j = _pick_local(key, i, slot, a, b, ea, eb, hom)
        if j < 0:
            j = _pick_outside(key, i, slot, ra, rb, a, b)
    elif kind == 1:
        j = _pick_outside(key, i, slot, ra, rb, a, b)
        if j < 0:
            j = _pick_local(key, i, slot, a, b, ea, eb, 0.0)
    else:
        j = _pick_outside(key, i, slot, 0, n, ra, rb)
        if j < 0:
            j = _pick_outside(key, i, slot, ra, rb, a, b)
            if j < 0:
                j = _pick_local(key, i, slot, a, b, ea, eb, 0.0)
    if j >= 0:
        return j
    # remaining pools empty: anyone else in the country
    if n < 2:
        return -1
    j = draw_int(key, _STEP_NET, i, slot, n - 1)
    if j >= i:
        j += 1
    return j


@njit(parallel=True, cache=True)
def _stub_counts(key, h0, h1, h2, out):
    for i in prange(out.shape[0]):
        out[i] = _n_stubs(key, i, h0, 0) + _n_stubs(key, i, h1, 1) + _n_stubs(key, i, h2, 2)


@njit(parallel=True, cache=True)
def _fill_stubs(
    key,
    loc_of,
    eth_of,
    loc_start,
    loc_region,
    reg_start,
    eth_start,
    n_groups,
    h0,
    h1,
    h2,
    hom,
    fwd_ptr,
    fwd,
):
    """Targets of the ties each agent starts (row i of the 'forward' half-graph); -1 where no
    target exists (a single agent in the whole country)."""
    n = loc_of.shape[0]
    for i in prange(n):
        l = loc_of[i]
        a = loc_start[l]
        b = loc_start[l + 1]
        r = loc_region[l]
        ra = reg_start[r]
        rb = reg_start[r + 1]
        g = l * n_groups + eth_of[i]
        ea = eth_start[g]
        eb = eth_start[g + 1]
        k0 = _n_stubs(key, i, h0, 0)
        k1 = _n_stubs(key, i, h1, 1)
        s = fwd_ptr[i]
        for t in range(fwd_ptr[i + 1] - s):
            kind = 0 if t < k0 else (1 if t < k0 + k1 else 2)
            fwd[s + t] = _target(key, i, t, kind, a, b, ea, eb, ra, rb, n, hom)


_RADIX_CHUNKS = 64  # fixed, so the result never depends on the number of threads


@njit(parallel=True, cache=True)
def _reverse_sorted(fwd_ptr, fwd, a, tmp, bits):
    """All started ties as (target << 32 | source), sorted by target, stably (sources stay
    ascending within a target): a two-pass LSD radix sort whose first pass reads the started
    ties directly. Radix buckets (at most 2**13) keep the scatter streams in cache, unlike a
    direct scatter by agent index over the whole population. Each pass is split into fixed
    chunks with their own bucket offsets, so it runs in parallel and its output (that of a
    stable sort, hence unique) does not depend on the thread count. Missing targets (-1) are
    skipped; returns their number m, the result is in a[:m]."""
    n = fwd_ptr.shape[0] - 1
    lo_bits = (bits + 1) // 2
    nb = 1 << lo_bits
    mask = nb - 1
    C = _RADIX_CHUNKS
    h0 = np.zeros((C, nb), dtype=np.int64)
    h1 = np.zeros((C, nb), dtype=np.int64)
    agent_lo = np.empty(C + 1, dtype=np.int64)
    for c in range(C + 1):
        agent_lo[c] = (n * c) // C
    for c in prange(C):
        for e in range(fwd_ptr[agent_lo[c]], fwd_ptr[agent_lo[c + 1]]):
            j = fwd[e]
            if j >= 0:
                h0[c, j & mask] += 1
    # offsets of chunk c in bucket d: all earlier buckets, then earlier chunks of bucket d
    run = 0
    for d in range(nb):
        for c in range(C):
            v = h0[c, d]
            h0[c, d] = run
            run += v
    m = run
    for c in prange(C):
        for i in range(agent_lo[c], agent_lo[c + 1]):
            for e in range(fwd_ptr[i], fwd_ptr[i + 1]):
                j = fwd[e]
                if j >= 0:
                    d = j & mask
                    tmp[h0[c, d]] = (np.uint64(j) << np.uint64(32)) | np.uint64(i)
                    h0[c, d] += 1
    for c in prange(C):
        for k in range((m * c) // C, (m * (c + 1)) // C):
            h1[c, (tmp[k] >> np.uint64(32 + lo_bits)) & np.uint64(mask)] += 1
    run = 0
    for d in range(nb):
        for c in range(C):
            v = h1[c, d]
            h1[c, d] = run
            run += v
    for c in prange(C):
        for k in range((m * c) // C, (m * (c + 1)) // C):
            d = (tmp[k] >> np.uint64(32 + lo_bits)) & np.uint64(mask)
            a[h1[c, d]] = tmp[k]
            h1[c, d] += 1
    return m


@njit(parallel=True, cache=True)
def _split_pairs(pairs, rev_ptr, rev):
    """From pairs sorted by target: rev_ptr (CSR offsets by target; each entry written once,
    at the first pair of its target or after the last pair) and rev (sources)."""
    n = rev_ptr.shape[0] - 1
    m = pairs.shape[0]
    if m == 0:
        rev_ptr[:] = 0
        return
    for k in prange(m):
        j = np.int64(pairs[k] >> np.uint64(32))
        rev[k] = pairs[k] & np.uint64(0xFFFFFFFF)
        jp = np.int64(pairs[k - 1] >> np.uint64(32)) if k > 0 else -1
        for t in range(jp + 1, j + 1):
            rev_ptr[t] = k
    last = np.int64(pairs[m - 1] >> np.uint64(32))
    for t in range(last + 1, n + 1):
        rev_ptr[t] = m


@njit(parallel=True, cache=True)
def _merge_rows(fwd_ptr, fwd, rev_ptr, rev, indptr, indices, count_only, newdeg):
    """Row i = sorted union of the ties i started (fwd) and the ties started towards i (rev,
    already sorted), duplicates removed. count_only: just the sizes."""
    n = fwd_ptr.shape[0] - 1
    for i in prange(n):
        fs = fwd_ptr[i]
        fe = fwd_ptr[i + 1]
        if count_only:  # first pass sorts each started-ties row in place (insertion
            for x in range(fs + 1, fe):  # sort: rows hold a handful of entries)
                v = fwd[x]
                y = x - 1
                while y >= fs and fwd[y] > v:
                    fwd[y + 1] = fwd[y]
                    y -= 1
                fwd[y + 1] = v
        while fs < fe and fwd[fs] < 0:
            fs += 1
        rs = rev_ptr[i]
        re_ = rev_ptr[i + 1]
        w = indptr[i] if not count_only else 0
        c = 0
        last = -1
        while fs < fe or rs < re_:
            if rs >= re_ or (fs < fe and fwd[fs] <= rev[rs]):
                v = fwd[fs]
                fs += 1
            else:
                v = rev[rs]
                rs += 1
            if v != last:
                if not count_only:
                    indices[w + c] = v
                c += 1
                last = v
        newdeg[i] = c


def _carve(buf: np.ndarray, shapes) -> list[np.ndarray] | None:
    """Arrays of the given (dtype, length) laid one after the other in the memory of `buf`
    (each at an 8-byte aligned offset), or None if they do not fit. Reusing a buffer whose
    pages are already mapped saves the kernel's zeroing of fresh pages, which dominated the
    system time of a network build at one agent per citizen (measured: about 2 s of system
    time per GB of fresh memory)."""
    raw = buf.view(np.uint8).reshape(-1)
    out, off = [], 0
    for dtype, length in shapes:
        dtype = np.dtype(dtype)
        nbytes = int(length) * dtype.itemsize
        if off + nbytes > raw.shape[0]:
            return None
        out.append(raw[off : off + nbytes].view(dtype))
        off += -(-nbytes // 8) * 8
    return out


def build_network(
    key,
    locality,
    ethnicity,
    locality_start,
    locality_region,
    region_start,
    eth_start,
    ties_local: float,
    ties_regional: float,
    ties_national: float,
    homophily: float,
    n_groups: int = N_GROUPS,
) -> Network:
    """The social network as symmetric CSR (see module docstring, step 6).

    Every agent's started ties are written in parallel into its own slots; the reverse
    direction is grouped by target with a stable radix sort (cache-friendly, instead of a
    random scatter over all agents); each row is then the sorted, de-duplicated union.
    Buffers that are done with are reused for the next arrays (the sort's scratch for the
    reverse CSR, the sorted pairs for the final indices, the stub counts for the row sizes):
    the values are the same, only fewer fresh pages are mapped."""
    n = locality.shape[0]
    key = np.uint64(key)
    h = (ties_local / 2.0, ties_regional / 2.0, ties_national / 2.0)
    k = np.empty(n, dtype=np.int64)
    _stub_counts(key, h[0], h[1], h[2], k)
    fwd_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(k, out=fwd_ptr[1:])
    idx_t = np.int32 if n < 2**31 else np.int64
    fwd = np.empty(int(fwd_ptr[-1]), dtype=idx_t)
    _fill_stubs(
        key,
        locality,
        ethnicity,
        locality_start,
        locality_region,
        region_start,
        eth_start,
        n_groups,
        h[0],
        h[1],
        h[2],
        homophily,
        fwd_ptr,
        fwd,
    )
    pairs = np.empty(fwd.shape[0], dtype=np.uint64)
    tmp = np.empty_like(pairs)
    m = _reverse_sorted(fwd_ptr, fwd, pairs, tmp, max(2, int(n - 1).bit_length()))
    carved = _carve(tmp, [(np.int64, n + 1), (idx_t, m)])
    if carved is None:
        rev_ptr, rev = np.empty(n + 1, dtype=np.int64), np.empty(m, dtype=idx_t)
    else:
        rev_ptr, rev = carved
    del tmp, carved
    _split_pairs(pairs[:m], rev_ptr, rev)
    # row sizes: the first pass writes them straight into indptr[1:] (summed in place), the
    # second pass, which reads indptr, writes its (equal) sizes into the stub counts' buffer
    indptr = np.zeros(n + 1, dtype=np.int64)
    _merge_rows(fwd_ptr, fwd, rev_ptr, rev, indptr, fwd[:1], True, indptr[1:])
    np.cumsum(indptr[1:], out=indptr[1:])
    nnz = int(indptr[-1])
    # the sorted pairs' buffer holds the indices when they fill nearly all of it (the
    # indices keep the whole buffer: every started tie, counted from both ends, minus the
    # few duplicates)
    fits = nnz * np.dtype(idx_t).itemsize >= 0.9 * pairs.nbytes
    carved = _carve(pairs, [(idx_t, nnz)]) if fits else None
    indices = np.empty(nnz, dtype=idx_t) if carved is None else carved[0]
    del pairs, carved
    _merge_rows(fwd_ptr, fwd, rev_ptr, rev, indptr, indices, False, k)
    return Network(indptr=indptr, indices=indices)


# ------------------------------------------------------------------ localities


def _localities(reg, city_tab, params) -> list:
    """Per region: list of (name, population, urban) in order cities, towns, rural."""
    town_size = _p(params, "town_size")
    rural_size = _p(params, "rural_locality_size")
    max_size = _p(params, "max_locality_size")
    city_unit = city_tab["unit_code"]
    out = []
    for r in range(len(reg["code"])):
        code = reg["code"][r]
        name = reg["name"][r]
        urban = int(reg["urban"][r])
        rural = int(reg["rural"][r])
        m = np.nonzero(city_unit == code)[0]
        m = m[np.argsort(-city_tab["population"][m], kind="stable")]
        cpop = city_tab["population"][m].astype(np.int64)
        if cpop.sum() > urban:  # guard: listed cities cannot exceed the urban population
            cpop = apportion(urban, cpop)
        locs = [(str(city_tab["name"][k]), int(p), True) for k, p in zip(m, cpop)]
        rest = urban - int(cpop.sum())
        if rest > 0:
            nt = max(1, int(round(rest / town_size)))
            locs += [
                (f"{name} town {k + 1}", int(p), True)
                for k, p in enumerate(apportion(rest, np.ones(nt)))
            ]
        if rural > 0:
            nr = max(1, int(round(rural / rural_size)))
            locs += [
                (f"{name} rural {k + 1}", int(p), False)
                for k, p in enumerate(apportion(rural, np.ones(nr)))
            ]
        if max_size > 0:
            split = []
            for nm, p, u in locs:
                if p > max_size:
                    k = int(np.ceil(p / max_size))
                    split += [
                        (f"{nm} district {d + 1}", int(q), u)
                        for d, q in enumerate(apportion(p, np.ones(k)))
                    ]
                else:
                    split.append((nm, p, u))
            locs = split
        out.append(locs)
    return out


def _scaled_regions(pack: Pack, basis: str, total: int) -> dict:
    reg = dict(pack.units(basis))
    pop = reg["population"].astype(np.int64)
    if total and total != int(pop.sum()):
        new = apportion(total, pop)
        f = new / pop
        urban = np.floor(reg["urban"] * f + 0.5).astype(np.int64)
        reg.update(population=new, urban=urban, rural=new - urban)
    return reg


def estimate_agents(params: Mapping) -> int:
    """Agents a synthesis with these parameters will build, from the pack's unit populations
    alone (no localities, no draws): lets a server refuse a run before building it."""
    pack = _pack(params)
    reg = _scaled_regions(pack, _p(params, "region_basis"), _p(params, "population_total"))
    scale = float(_p(params, "scale"))
    return int(np.sum(np.maximum(1, np.floor(reg["population"] / scale + 0.5))))


def _pack_links_and_indicators(pack: Pack, basis: str, reg: dict):
    """Centroid distances (haversine, km), shared borders (links.csv adjacency values, km;
    0 where not given) and regional indicators of a pack without the Kazakhstan tables:
    unemployment relative to the national rate from economy.csv (1 where missing), the urban
    share; wages and LPG vehicles are not in the format and stay at the national level (1)."""
    codes = list(reg["code"])
    lat = np.radians(reg["centroid_lat"])
    lon = np.radians(reg["centroid_lon"])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    dist = 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    pos = {c: i for i, c in enumerate(codes)}
    par = pack.parents() if basis != "current" else {c: c for c in pack.codes}
    border = np.zeros((len(codes), len(codes)))
    for a, b, _, v in pack.links("adjacency"):
        a, b = par.get(a, a), par.get(b, b)
        if a in pos and b in pos and a != b:
            border[pos[a], pos[b]] += v or 0.0
            border[pos[b], pos[a]] += v or 0.0
    un = {
        r["unit_code"]: r["value"]
        for r in pack.indicators("economy")
        if r["indicator"] == "unemployment_pct" and r["unit_code"]
    }
    nat = [
        r["value"]
        for r in pack.indicators("economy")
        if r["indicator"] == "unemployment_pct" and not r["unit_code"]
    ]
    u_nat = nat[0] if nat else (float(np.mean(list(un.values()))) if un else 1.0)
    ind = {
        "wage_rel": np.ones(len(codes)),
        "unemployment_rel": np.array([un.get(c, u_nat) / u_nat for c in codes]),
        "urban_share": (reg["urban"] / reg["population"]).astype(np.float64),
        "lpg_rel": np.ones(len(codes)),
        "repression_memory": np.zeros(len(codes)),
    }
    return dist, border, ind


def with_pack_parameters(params: Mapping | None, pack: Pack) -> dict:
    """`params` as a dict, with the pack's parameter values for the names it does not set
    (a Sim's ParamSet already holds them: CountryModel.build applies the pack)."""
    out = dict(params.as_dict() if hasattr(params, "as_dict") else (params or {}))
    for k, v in pack.parameters().items():
        out.setdefault(k, v)
    return out


# ------------------------------------------------------------------ main entry


def synthesize_country(
    params: Mapping | None, seed_stream, scale: float | None = None, pack: Pack | None = None
) -> CountrySpace:
    """Build the CountrySpace of a country pack at `scale` citizens per agent (default:
    params' scale). `pack` defaults to the one named by the `country` parameter.

    `seed_stream` is a tolqyn.core.random.Stream; all draws come from it (NumPy generator for
    the per-locality multinomials, counter-based draws for per-agent attributes and ties)."""
    t0 = time.perf_counter()
    timing = {}
    pack = _pack(params, pack)
    if not (hasattr(params, "as_dict") and all(k in params for k in pack.parameters())):
        params = with_pack_parameters(params, pack)
    if scale is None:
        scale = _p(params, "scale")
    scale = _SPECS["scale"].coerce(scale, source="scale")
    basis = _p(params, "region_basis")
    total = _p(params, "population_total")
    key = np.uint64(seed_stream.key)
    groups = pack.groups
    n_groups = len(groups)
    kin = pack.group_kin

    reg = _scaled_regions(pack, basis, total)
    codes = list(reg["code"])
    ecodes, shares, prov = ethnic_share_matrix(params, basis, pack)
    assert ecodes == codes
    odds = _p(params, "russophone_urban_odds")
    city_tab = pack.localities(basis)
    base_pop = pack.units(basis)["population"]
    if total and total != int(base_pop.sum()):
        f = dict(zip(codes, reg["population"] / base_pop))
        city_tab = dict(city_tab)
        city_tab["population"] = np.floor(
            city_tab["population"] * np.array([f[u] for u in city_tab["unit_code"]]) + 0.5
        ).astype(np.int64)
    locs = _localities(reg, city_tab, params)
    timing["tables_s"] = time.perf_counter() - t0

    # agents per region and per locality (deterministic)
    n_reg = agents_per_region(reg["population"], scale)
    loc_region, loc_pop, loc_urban, loc_name, loc_agents = [], [], [], [], []
    for r, rl in enumerate(locs):
        pops = np.array([p for _, p, _ in rl], dtype=np.int64)
        loc_agents.append(apportion(int(n_reg[r]), pops))
        loc_region += [r] * len(rl)
        loc_pop.append(pops)
        loc_urban += [u for _, _, u in rl]
        loc_name += [nm for nm, _, _ in rl]
    loc_region = np.array(loc_region, dtype=np.int16)
    loc_pop = np.concatenate(loc_pop)
    loc_urban = np.array(loc_urban, dtype=bool)
    loc_n = np.concatenate(loc_agents)
    n_loc = loc_n.shape[0]

    # ethnic composition of each locality: multinomial from the urban / rural composition
    comp_u = np.zeros_like(shares)
    comp_r = np.zeros_like(shares)
    for r in range(len(codes)):
        comp_u[r], comp_r[r] = urban_rural_shares(
            shares[r], float(reg["urban"][r] / reg["population"][r]), odds, kin
        )
    P = np.where(loc_urban[:, None], comp_u[loc_region], comp_r[loc_region])
    P = np.clip(P, 0.0, None)
    P /= P.sum(axis=1, keepdims=True)
    rng = seed_stream.generator(0)
    counts = rng.multinomial(loc_n, P).astype(np.int64)  # (n_loc, groups)
    eth_start = np.zeros(n_loc * n_groups + 1, dtype=np.int64)
    np.cumsum(counts.ravel(), out=eth_start[1:])
    loc_start = np.ascontiguousarray(eth_start[::n_groups])
    reg_start = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(n_reg, out=reg_start[1:])
    assert loc_start[-1] == reg_start[-1]
    n = int(reg_start[-1])
    timing["localities_s"] = time.perf_counter() - t0 - timing["tables_s"]

    # per-agent columns
    t1 = time.perf_counter()
    agents: dict[str, np.ndarray] = {}
    agents["region"] = np.repeat(np.arange(len(codes), dtype=np.int16), n_reg)
    agents["locality"] = np.repeat(np.arange(n_loc, dtype=np.int32), loc_n)
    agents["ethnicity"] = np.repeat(
        np.tile(np.arange(n_groups, dtype=np.int8), n_loc), counts.ravel()
    )
    agents["urban"] = np.repeat(loc_urban.astype(np.int8), loc_n)
    agents["income"] = np.empty(n, dtype=np.float32)
    _income_rank(key, loc_start, agents["income"])
    agents["risk_aversion"] = np.empty(n, dtype=np.float32)
    agents["media_diet"] = np.empty(n, dtype=np.int8)
    agents["ties_abroad"] = np.empty(n, dtype=np.int8)
    p_foreign = np.where(
        kin,
        _p(params, "media_foreign_tv_share_russophone"),
        _p(params, "media_foreign_tv_share_other"),
    ).astype(np.float64)
    p_ties = np.asarray(_p(params, "ties_abroad_prob"), dtype=np.float64)
    if p_ties.shape != (n_groups,):
        raise ScenarioError(
            f"needs {n_groups} probabilities ({', '.join(groups)}), got {list(p_ties)}",
            source="params",
            field="ties_abroad_prob",
        )
    _agent_attributes(
        key,
        agents["urban"],
        agents["ethnicity"],
        _p(params, "media_online_share_urban"),
        _p(params, "media_online_share_rural"),
        p_foreign,
        p_ties,
        agents["risk_aversion"],
        agents["media_diet"],
        agents["ties_abroad"],
    )
    agents = {k: agents[k] for k in AGENT_COLUMNS}
    timing["agents_s"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    net = build_network(
        key,
        agents["locality"],
        agents["ethnicity"],
        loc_start,
        loc_region,
        reg_start,
        eth_start,
        _p(params, "ties_local"),
        _p(params, "ties_regional"),
        _p(params, "ties_national"),
        _p(params, "ethnic_homophily"),
        n_groups,
    )
    timing["network_s"] = time.perf_counter() - t2
    timing["total_s"] = time.perf_counter() - t0

    space = CountrySpace(
        region_codes=codes,
        region_names=[str(x) for x in reg["name"]],
        region_population=reg["population"].astype(np.int64),
        region_urban_share=(reg["urban"] / reg["population"]).astype(np.float64),
        region_centroid=np.column_stack([reg["centroid_lat"], reg["centroid_lon"]]).astype(
            np.float64
        ),
        ethnic_groups=list(groups),
        group_kin=kin.copy(),
        n_localities=n_loc,
        locality_region=loc_region,
        locality_start=loc_start,
        locality_urban=loc_urban,
        locality_name=loc_name,
        locality_population=loc_pop,
        region_start=reg_start,
        network=net,
        scale=float(scale),
        agents=agents,
        assumptions=list_assumptions(params),
        region_ethnic_share=shares,
        locality_ethnic_start=eth_start,
        meta={
            "timing": timing,
            "ethnic_provenance": dict(zip(codes, prov)),
            "region_basis": basis,
            "country": pack.name,
            "pack_path": str(pack.path),
            "seed_stream": getattr(seed_stream, "name", ""),
        },
    )
    # links between units (diffusion, mechanism 6) and what makes a unit susceptible
    # (mechanism 1), aligned with region_codes
    if pack.country_code == "KZ":  # the Kazakhstan source tables (data/kazakhstan)
        dist, border = loaders.region_links(codes)
        ind = loaders.region_indicators(codes)
        par = pack.parents() if basis != "current" else {}
        cunit = [par.get(u, u) for u in pack.localities("current")["unit_code"]]
        zh = {str(u) for c, u in zip(pack.localities("current")["name"], cunit) if c == "Zhanaozen"}
        ind["repression_memory"] = np.array([1.0 if c in zh else 0.0 for c in codes])
    else:
        dist, border, ind = _pack_links_and_indicators(pack, basis, reg)
    space.meta["region_distance_km"] = dist
    space.meta["region_border_km"] = border
    # the share of the first group of the pack (Kazakhstan: Kazakhs), which the regional
    # susceptibility reads as 'first_group_share'
    ind["first_group_share"] = shares[:, 0].astype(np.float64)
    space.meta["region_indicators"] = ind
    space.meta["nbytes"] = space.nbytes()
    return space
