"""Numba kernels of the Epstein (2002) civil-violence model.

The whole step (random sequential activation of citizens and cops, movement, arrest,
jail, Model II killing, cloning and ageing) is one compiled loop over a shuffled actor list.
Every actor sees the lattice exactly as the previous actor left it.

Speed comes from three things:
* a uint8 lattice (`cell`) plus an int32 occupant index (`who`);
* two incremental count fields, `fc[s]` = cops and `fa[s]` = active citizens within citizen
  vision of site s (own site excluded). A citizen's decision reads two numbers instead of
  scanning its neighbourhood; the fields change only when a cop moves or an active citizen
  moves, turns or is removed, which costs one pass over the shape's row runs (contiguous
  adds, one run per lattice row);
* rejection sampling for "random empty site in vision", falling back to an exact scan, so the
  choice is exactly uniform over empty sites.

Draws come only from counter-based streams: draw(key, step, actor, slot).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit, prange

from tolqyn.core.chunks import chunk_bounds, n_chunks
from tolqyn.core.prefetch import prefetch
from tolqyn.core.random import draw_u01
from tolqyn.space.grid import wrap_site

# lattice codes (low 4 bits), group bit for Model II (bit 4: 0 blue, 1 green)
EMPTY = 0
C_QUIET = 1
C_ACTIVE = 2
COP = 3
C_JAILED = 4
KIND_MASK = 15
GROUP_SHIFT = 4

# status codes, as in core/status.py
QUIET = 0
ACTIVE = 1
JAILED = 2
DEAD = 4

BIG = np.int64(1) << np.int64(62)  # an infinite jail term

# The kernel's inputs come in named bundles (namedtuples: Numba passes them as plain structs,
# with no boxing and no lookup by name at run time):
Lattice = namedtuple("Lattice", "cell who W H fc fa")
"""cell: uint8 code per site; who: occupant index (citizen i or cop c); W × H torus; fc, fa:
cops and active citizens within citizen vision of each site (own site excluded)."""

Citizens = namedtuple("Citizens", "status hard risk site home jail group age death nused")
"""Per-citizen arrays (status, hardship H, risk aversion R, site or -1, arrest site, remaining
jail term, Model II group, age and own death age) and nused = [number of slots in use] (grows by cloning)."""

Cops = namedtuple("Cops", "site n")
"""cop c stands on site[c], c < n."""

Shape = namedtuple("Shape", "dx dy dl ptr reach runs")
"""A neighbourhood: offsets (dx, dy), their site offsets away from the edges (dl = dy·W + dx),
ring boundaries (ptr, nearest first), wrap margin (reach) and row runs (for the count fields;
only the citizens' vision needs them, the other shapes carry an empty array)."""

Shapes = namedtuple("Shapes", "cit cop step release")
"""citizen vision, cop vision, one step (Moore neighbours), release disc (centre included)."""

Tiles = namedtuple("Tiles", "ntx nty colour_list colour_ptr ptr out tid")
"""Block-sequential layout (see tiles_kernel): ntx × nty tiles, the tiles of colour c are
colour_list[colour_ptr[c]:colour_ptr[c + 1]]; ptr, out and tid are per-period scratch."""

Rules = namedtuple(
    "Rules",
    "legitimacy threshold k gfac clone_p ratio_mode count_self_twice move_in_vision "
    "cit_move_first cop_move_first arrest_nearest cop_to_site term_hi term_inf jail_block "
    "end_of_step release_acts movement cops_move model2 max_age same_field activation "
    "death_uniform age_in_jail killer_quiet move_try m2_ascape_turn",
)
"""The switches of one period (see CivilViolence.define_params for each one's meaning and
source). gfac: 1 or (1 − T), the Ascape code's extra factor of grievance; ratio_mode: 0 floor,
1 round half even, 2 real; term_hi: largest jail term drawn (≤ 0: always 0); same_field: cop
vision equals citizen vision, so fa[s] == 0 means no active citizen in a cop's view;
activation: one of ACT_*. Model II: death_uniform, each citizen dies when its age exceeds its
own death age (drawn U(0, max_age) at birth) instead of max_age; age_in_jail, jailed citizens
age; killer_quiet, a killer turns quiet after the kill; move_try, a one-step move picks one of
the 8 Moore neighbours at random and is made only if that site is empty (the Ascape code's
random walk) instead of picking among the empty ones; m2_ascape_turn, a Model II citizen's turn
runs in the Ascape code's rule order (move, jail, decide, clone a copy of itself in its new
state, age and die, kill) instead of age-and-die first and cloning a quiet child last."""

ACT_ONE_LIST = 0
ACT_CITIZENS_FIRST = 1
ACT_COPS_FIRST = 2
ACT_TILES = 3  # block-sequential: see tiles_kernel

K_ORDER = 0
K_MOVE = 1
K_COPMOVE = 2
K_ARREST = 3
K_TERM = 4
K_RELEASE = 5
K_KILL = 6
K_CLONE = 7
N_KEYS = 8

OUT_ARRESTS = 0
OUT_KILLED = 1
OUT_BIRTHS = 2
OUT_DEATHS = 3
OUT_RELEASED = 4
N_OUT = 5

MOVE_TRIES = 16

# prefetch distances (in actors / shuffle swaps): far enough to hide a miss, near enough
# that the lines are still in cache when used
PF_AGENT = 16
PF_SITE = 8
PF_SHUFFLE = 16


@njit(cache=True)
def ccode(st, g):
    return np.uint8((C_ACTIVE if st == ACTIVE else C_QUIET) | (g << GROUP_SHIFT))


@njit(cache=True)
def ratio_value(C, A, mode):
    """C/A as Epstein's code (floor), Mesa 3 (Python round: half to even) or the paper (real)."""
    if mode == 0:
        return float(C // A)
    if mode == 1:
        q = C // A
        r = C - q * A
        if 2 * r > A or (2 * r == A and (q & 1) == 1):
            q += 1
        return float(q)
    return C / A


@njit(cache=True)
def arrest_probability(C, others_active, self_active, count_self_twice, k, mode):
    """Estimated arrest probability P = 1 − exp(−k · ratio(C, A)) with A = 1 (self) + active
    citizens in vision (+ 1 more for an already active citizen under NetLogo's double count)."""
    A = np.int64(others_active) + 1
    if count_self_twice and self_active:
        A += 1
    return 1.0 - math.exp(-k * ratio_value(np.int64(C), A, mode))


@njit(cache=True)
def fadd(f, s, runs, reach, W, H, delta):
    """Add delta to the field at every site whose vision contains s (shapes are symmetric).

    The shape comes as row runs (dx0, dy, length, dl = dy·W + dx0): contiguous stretches of
    one lattice row, so that away from the edges the inner loop is a plain vectorisable add."""
    x = s % W
    y = s // W
    nr = runs.shape[0]
    if x >= reach and x < W - reach and y >= reach and y < H - reach:
        for r in range(nr):
            b = s + runs[r, 3]
            for j in range(runs[r, 2]):
                f[b + j] += delta
    else:
        for r in range(nr):
            q = wrap_site(s, runs[r, 0], runs[r, 1], W, H)
            row = q - q % W
            xx = q - row
            for j in range(runs[r, 2]):
                f[row + xx] += delta
                xx += 1
                if xx == W:
                    xx = 0


@njit(cache=True)
def rint(key, t, i, slot, n):
    """A uniform integer in [0, n): 53-bit uniform times n (bias below n / 2^53)."""
    return np.int64(draw_u01(key, t, i, slot) * n)


@njit(cache=True)
def nb(s, x, y, k, dx, dy, dl, reach, W, H):
    """The k-th neighbour of site s = (x, y): a plain add away from the edges."""
    if x >= reach and x < W - reach and y >= reach and y < H - reach:
        return s + dl[k]
    return wrap_site(s, dx[k], dy[k], W, H)


@njit(cache=True)
def random_empty_in(s, dx, dy, dl, reach, cell, W, H, key, t, idx):
    """A uniformly chosen empty site among the offsets of s, or -1 if none: rejection
    sampling, then an exact scan, so the choice is exactly uniform over the empty sites."""
    n = dx.shape[0]
    if n == 0:
        return -1
    x = s % W
    y = s // W
    for tr in range(MOVE_TRIES):
        q = nb(s, x, y, rint(key, t, idx, tr, n), dx, dy, dl, reach, W, H)
        if cell[q] == EMPTY:
            return q
    return random_empty_scan(s, dx, dy, dl, reach, cell, W, H, key, t, idx)


@njit(cache=True)
def random_empty_scan(s, dx, dy, dl, reach, cell, W, H, key, t, idx):
    """A uniformly chosen empty site among the offsets of s by one exact scan; -1 if none."""
    n = dx.shape[0]
    x = s % W
    y = s // W
    m = 0
    for k in range(n):
        if cell[nb(s, x, y, k, dx, dy, dl, reach, W, H)] == EMPTY:
            m += 1
    if m == 0:
        return -1
    pick = rint(key, t, idx, MOVE_TRIES, m)
    for k in range(n):
        q = nb(s, x, y, k, dx, dy, dl, reach, W, H)
        if cell[q] == EMPTY:
            if pick == 0:
                return q
            pick -= 1
    return -1


@njit(cache=True)
def try_step(s, dx, dy, dl, cell, W, H, key, t, idx):
    """The Ascape code's random walk: one of the offsets of s drawn uniformly, returned only if
    that site is empty (else -1: no move), so the walk slows down as the lattice fills."""
    q = nb(s, s % W, s // W, rint(key, t, idx, 0, dx.shape[0]), dx, dy, dl, 1, W, H)
    return q if cell[q] == EMPTY else -1


@njit(cache=True)
def clone_into(
    i, st_child, cz, cell, who, fa, cv_runs, cv_reach, mo_dx, mo_dy, mo_dl, W, H, rules, key, t, out
):
    """Model II cloning: with probability clone_p, citizen i puts a child on a free Moore
    neighbour of its site. The child has the parent's H, R and group, age 0 and state st_child
    (quiet; or, in the Ascape code, whose child is a copy of the parent, the parent's state)."""
    status, hard, risk, site, home, jail, group, age, death, nused = cz
    if draw_u01(key, t, i, 0) >= rules.clone_p:
        return
    q = random_empty_scan(site[i], mo_dx, mo_dy, mo_dl, 1, cell, W, H, key, t, i)
    if q < 0:
        return
    g = group[i]
    j = nused[0]
    nused[0] = j + 1
    status[j] = st_child
    hard[j] = hard[i]
    risk[j] = risk[i]
    group[j] = g
    age[j] = 0
    if rules.death_uniform:
        u = draw_u01(key, t, i, 1)
        death[j] = np.int32(u * (rules.max_age + 1))
    jail[j] = 0
    site[j] = q
    home[j] = q
    cell[q] = ccode(st_child, g)
    who[q] = j
    if st_child == ACTIVE:
        fadd(fa, q, cv_runs, cv_reach, W, H, 1)
    out[OUT_BIRTHS] += 1


@njit(cache=True)
def is_target(code, mode, g):
    """mode 0: an active citizen (arrest); mode 1: a free citizen of the other group than g
    (Model II victim); mode 2: an empty site (release)."""
    if mode == 0:
        return (code & KIND_MASK) == C_ACTIVE
    if mode == 1:
        kind = code & KIND_MASK
        return (kind == C_QUIET or kind == C_ACTIVE) and (code >> GROUP_SHIFT) != g
    return code == EMPTY


@njit(cache=True)
def nearest_in(s, dx, dy, dl, reach, ptr, cell, W, H, mode, g, key, t, idx, slot):
    """Nearest target site (Euclidean rings), random among equally near ones; -1 if none."""
    x = s % W
    y = s // W
    n_ring = ptr.shape[0] - 1
    for r in range(n_ring):
        m = 0
        for k in range(ptr[r], ptr[r + 1]):
            if is_target(cell[nb(s, x, y, k, dx, dy, dl, reach, W, H)], mode, g):
                m += 1
        if m > 0:
            pick = 0 if m == 1 else rint(key, t, idx, slot, m)
            for k in range(ptr[r], ptr[r + 1]):
                q = nb(s, x, y, k, dx, dy, dl, reach, W, H)
                if is_target(cell[q], mode, g):
                    if pick == 0:
                        return q
                    pick -= 1
    return -1


@njit(cache=True)
def random_in(s, dx, dy, dl, reach, cell, W, H, mode, g, key, t, idx, slot):
    """A uniformly random target site among all offsets; -1 if none."""
    x = s % W
    y = s // W
    n = dx.shape[0]
    m = 0
    for k in range(n):
        if is_target(cell[nb(s, x, y, k, dx, dy, dl, reach, W, H)], mode, g):
            m += 1
    if m == 0:
        return -1
    pick = 0 if m == 1 else rint(key, t, idx, slot, m)
    for k in range(n):
        q = nb(s, x, y, k, dx, dy, dl, reach, W, H)
        if is_target(cell[q], mode, g):
            if pick == 0:
                return q
            pick -= 1
    return -1


@njit(cache=True)
def place_released(home, rl_dx, rl_dy, rl_dl, rl_reach, rl_ptr, cell, W, H, key, t, idx, anywhere):
    """Release site: nearest free site to `home` within the release disc (home included),
    random among equally near; else (if `anywhere`) a uniformly random free site of the
    lattice; -1 if none."""
    q = nearest_in(home, rl_dx, rl_dy, rl_dl, rl_reach, rl_ptr, cell, W, H, 2, 0, key, t, idx, 0)
    if q >= 0 or not anywhere:
        return q
    N = W * H
    for tr in range(64):
        q = rint(key, t, idx, 1 + tr, N)
        if cell[q] == EMPTY:
            return q
    m = 0
    for q in range(N):
        if cell[q] == EMPTY:
            m += 1
    if m == 0:
        return -1
    pick = rint(key, t, idx, 100, m)
    for q in range(N):
        if cell[q] == EMPTY:
            if pick == 0:
                return q
            pick -= 1
    return -1


@njit(cache=True)
def shuffle_block(actors, lo, hi, key, t, slot):
    """Fisher-Yates shuffle of actors[lo:hi] with draws (t, j, slot), j the position in the block."""
    for j in range(hi - lo - 1, 0, -1):
        # the swap partner of a later iteration is known now: start loading it
        jf = j - PF_SHUFFLE
        if jf > 0:
            prefetch(actors, lo + rint(key, t, jf, slot, jf + 1))
        r = rint(key, t, j, slot, j + 1)
        tmp = actors[lo + j]
        actors[lo + j] = actors[lo + r]
        actors[lo + r] = tmp


@njit(cache=True)
def run_actors(lo, hi, actors, t, lat, cz, cops, sh, rules, keys, out, anywhere):
    """The turns of actors[lo:hi], one after another, each seeing the lattice as the previous
    one left it. `anywhere`: a released citizen whose release disc is full may be placed on any
    free site of the lattice (off in block-sequential activation, where a tile's actors must
    stay near it: such a citizen stays in jail until his next turn)."""
    # the bundles are unpacked once: the helpers of the inner loops take plain arrays (passing
    # them the bundles cost a factor 3 at 200 x 200). The moves stay written out in line: every
    # way tried of writing the citizen's move once (a helper with inline='always', a plain
    # helper, a loop over move/act/move phases) made the kernel 30-100 % slower at 40 x 40 and
    # 200 x 200 (CPU time per period, benchmarks/results/kernel_speed.md)
    cell, who, W, H, fc, fa = lat
    status, hard, risk, site, home, jail, group, age, death, nused = cz
    cop_site = cops.site
    cv_dx, cv_dy, cv_dl, cv_ptr, cv_reach, cv_runs = sh.cit
    kv_dx, kv_dy, kv_dl, kv_ptr, kv_reach, _ = sh.cop
    mo_dx, mo_dy, mo_dl, _, _, _ = sh.step
    rl_dx, rl_dy, rl_dl, rl_ptr, rl_reach, _ = sh.release
    L = rules.legitimacy
    T = rules.threshold
    kk = rules.k
    gfac = (1.0 - L) * rules.gfac
    clone_p = rules.clone_p
    ratio_mode = rules.ratio_mode
    self2 = rules.count_self_twice
    move_vision = rules.move_in_vision
    cit_first = rules.cit_move_first
    cop_first = rules.cop_move_first
    nearest = rules.arrest_nearest
    cop_to_site = rules.cop_to_site
    term_hi = rules.term_hi
    term_inf = rules.term_inf
    block = rules.jail_block
    end_of_step = rules.end_of_step
    release_acts = rules.release_acts
    movement = rules.movement
    cops_move = rules.cops_move
    model2 = rules.model2
    max_age = rules.max_age
    same_field = rules.same_field
    death_uniform = rules.death_uniform
    age_in_jail = rules.age_in_jail
    killer_quiet = rules.killer_quiet
    move_try = rules.move_try
    m2_ascape = rules.m2_ascape_turn

    for qa in range(lo, hi):
        # prefetch (a hint, no effect on results): the agent record of the actor PF_AGENT
        # turns ahead, and the lattice around the actor PF_SITE turns ahead, whose site
        # was prefetched earlier
        if qa + PF_AGENT < hi:
            af = actors[qa + PF_AGENT]
            if af >= 0:
                prefetch(status, af)
                prefetch(site, af)
                prefetch(hard, af)
                prefetch(risk, af)
                prefetch(group, af)
            else:
                prefetch(cop_site, -1 - af)
        if qa + PF_SITE < hi:
            af = actors[qa + PF_SITE]
            sf = site[af] if af >= 0 else cop_site[-1 - af]
            if sf >= 0:
                prefetch(cell, sf)
                prefetch(fc, sf)
                prefetch(fa, sf)
                prefetch(who, sf)
        a = actors[qa]
        if a >= 0:
            # ------------------------------------------------------------ citizen
            i = a
            st = status[i]
            if st == DEAD:
                continue  # killed earlier in this period
            g = group[i]
            dying = False
            if model2:
                if age_in_jail or st != JAILED:
                    age[i] += 1
                dying = age[i] > (death[i] if death_uniform else max_age)
                # the Ascape code's rule order lets a free citizen move, decide and clone in
                # the turn it dies of age (it dies before its kill)
                if dying and (not m2_ascape or st == JAILED):
                    s = site[i]
                    if s >= 0:
                        if st == ACTIVE:
                            fadd(fa, s, cv_runs, cv_reach, W, H, -1)
                        cell[s] = EMPTY
                        who[s] = -1
                        site[i] = -1
                    status[i] = DEAD
                    out[OUT_DEATHS] += 1
                    continue
            released = False
            if st == JAILED:
                if end_of_step:
                    continue
                if jail[i] > 0:
                    jail[i] -= 1
                    if jail[i] > 0 or not release_acts:
                        continue
                if block:
                    cell[site[i]] = ccode(QUIET, g)
                else:
                    q = place_released(
                        home[i],
                        rl_dx,
                        rl_dy,
                        rl_dl,
                        rl_reach,
                        rl_ptr,
                        cell,
                        W,
                        H,
                        keys[K_RELEASE],
                        t,
                        i,
                        anywhere,
                    )
                    if q < 0:
                        continue  # lattice full: stays in jail, tries again next turn
                    cell[q] = ccode(QUIET, g)
                    who[q] = i
                    site[i] = q
                status[i] = QUIET
                st = QUIET
                released = True
                out[OUT_RELEASED] += 1
            # move (before acting) --------------------------------------------
            if cit_first and movement and not released:
                s = site[i]
                if move_vision:
                    q = random_empty_in(
                        s, cv_dx, cv_dy, cv_dl, cv_reach, cell, W, H, keys[K_MOVE], t, i
                    )
                elif move_try:
                    q = try_step(s, mo_dx, mo_dy, mo_dl, cell, W, H, keys[K_MOVE], t, i)
                else:
                    q = random_empty_scan(s, mo_dx, mo_dy, mo_dl, 1, cell, W, H, keys[K_MOVE], t, i)
                if q >= 0:
                    cell[q] = cell[s]
                    who[q] = i
                    cell[s] = EMPTY
                    who[s] = -1
                    site[i] = q
                    if st == ACTIVE:
                        fadd(fa, s, cv_runs, cv_reach, W, H, -1)
                        fadd(fa, q, cv_runs, cv_reach, W, H, 1)
            # decide (rule A) ---------------------------------------------------
            s = site[i]
            P = arrest_probability(fc[s], fa[s], st == ACTIVE, self2, kk, ratio_mode)
            new = ACTIVE if hard[i] * gfac - risk[i] * P > T else QUIET
            victim = -1
            if model2 and new == ACTIVE:
                victim = nearest_in(
                    s,
                    cv_dx,
                    cv_dy,
                    cv_dl,
                    cv_reach,
                    cv_ptr,
                    cell,
                    W,
                    H,
                    1,
                    g,
                    keys[K_KILL],
                    t,
                    i,
                    0,
                )
                if victim < 0:
                    new = QUIET  # nobody of the other group in sight: stays quiet
            if new != st:
                cell[s] = ccode(new, g)
                status[i] = new
                fadd(fa, s, cv_runs, cv_reach, W, H, 1 if new == ACTIVE else -1)
                st = new
            if m2_ascape and model2:
                # Ascape rule order: fission (the child a copy of the parent, so active if the
                # parent is), then ageing and death, then the attack
                if clone_p > 0.0:
                    clone_into(
                        i,
                        st,
                        cz,
                        cell,
                        who,
                        fa,
                        cv_runs,
                        cv_reach,
                        mo_dx,
                        mo_dy,
                        mo_dl,
                        W,
                        H,
                        rules,
                        keys[K_CLONE],
                        t,
                        out,
                    )
                if dying:
                    if st == ACTIVE:
                        fadd(fa, s, cv_runs, cv_reach, W, H, -1)
                    cell[s] = EMPTY
                    who[s] = -1
                    site[i] = -1
                    status[i] = DEAD
                    out[OUT_DEATHS] += 1
                    continue
            if victim >= 0:
                j = who[victim]
                if status[j] == ACTIVE:
                    fadd(fa, victim, cv_runs, cv_reach, W, H, -1)
                status[j] = DEAD
                site[j] = -1
                out[OUT_KILLED] += 1
                # the killer takes the victim's site
                fadd(fa, s, cv_runs, cv_reach, W, H, -1)
                cell[victim] = cell[s]
                who[victim] = i
                cell[s] = EMPTY
                who[s] = -1
                site[i] = victim
                fadd(fa, victim, cv_runs, cv_reach, W, H, 1)
                if killer_quiet:
                    cell[victim] = ccode(QUIET, g)
                    status[i] = QUIET
                    fadd(fa, victim, cv_runs, cv_reach, W, H, -1)
                    st = QUIET
            # move (after acting) -----------------------------------------------
            if (not cit_first) and movement:
                s = site[i]
                if move_vision:
                    q = random_empty_in(
                        s, cv_dx, cv_dy, cv_dl, cv_reach, cell, W, H, keys[K_MOVE], t, i
                    )
                elif move_try:
                    q = try_step(s, mo_dx, mo_dy, mo_dl, cell, W, H, keys[K_MOVE], t, i)
                else:
                    q = random_empty_scan(s, mo_dx, mo_dy, mo_dl, 1, cell, W, H, keys[K_MOVE], t, i)
                if q >= 0:
                    cell[q] = cell[s]
                    who[q] = i
                    cell[s] = EMPTY
                    who[s] = -1
                    site[i] = q
                    if st == ACTIVE:
                        fadd(fa, s, cv_runs, cv_reach, W, H, -1)
                        fadd(fa, q, cv_runs, cv_reach, W, H, 1)
            # cloning (Model II) -------------------------------------------------
            if model2 and clone_p > 0.0 and not m2_ascape:
                clone_into(
                    i,
                    QUIET,
                    cz,
                    cell,
                    who,
                    fa,
                    cv_runs,
                    cv_reach,
                    mo_dx,
                    mo_dy,
                    mo_dl,
                    W,
                    H,
                    rules,
                    keys[K_CLONE],
                    t,
                    out,
                )
        else:
            # ------------------------------------------------------------ cop
            c = -1 - a
            for phase in range(2):
                if (phase == 0) == cop_first:
                    # move
                    if cops_move:
                        s = cop_site[c]
                        if move_vision:
                            q = random_empty_in(
                                s, kv_dx, kv_dy, kv_dl, kv_reach, cell, W, H, keys[K_COPMOVE], t, c
                            )
                        elif move_try:
                            q = try_step(s, mo_dx, mo_dy, mo_dl, cell, W, H, keys[K_COPMOVE], t, c)
                        else:
                            q = random_empty_scan(
                                s, mo_dx, mo_dy, mo_dl, 1, cell, W, H, keys[K_COPMOVE], t, c
                            )
                        if q >= 0:
                            cell[q] = COP
                            who[q] = c
                            cell[s] = EMPTY
                            who[s] = -1
                            cop_site[c] = q
                            fadd(fc, s, cv_runs, cv_reach, W, H, -1)
                            fadd(fc, q, cv_runs, cv_reach, W, H, 1)
                else:
                    # arrest (rule C)
                    s = cop_site[c]
                    if same_field and fa[s] == 0:
                        continue
                    if nearest:
                        q = nearest_in(
                            s,
                            kv_dx,
                            kv_dy,
                            kv_dl,
                            kv_reach,
                            kv_ptr,
                            cell,
                            W,
                            H,
                            0,
                            0,
                            keys[K_ARREST],
                            t,
                            c,
                            0,
                        )
                    else:
                        q = random_in(
                            s,
                            kv_dx,
                            kv_dy,
                            kv_dl,
                            kv_reach,
                            cell,
                            W,
                            H,
                            0,
                            0,
                            keys[K_ARREST],
                            t,
                            c,
                            0,
                        )
                    if q < 0:
                        continue
                    j = who[q]
                    out[OUT_ARRESTS] += 1
                    fadd(fa, q, cv_runs, cv_reach, W, H, -1)
                    if term_inf:
                        term = BIG
                    elif term_hi <= 0:
                        term = np.int64(0)
                    else:
                        term = rint(keys[K_TERM], t, c, 0, term_hi + 1)
                    if end_of_step and term == 0:
                        # NetLogo: a zero term means the suspect is never actually jailed
                        status[j] = QUIET
                        cell[q] = ccode(QUIET, group[j])
                        continue
                    status[j] = JAILED
                    jail[j] = term
                    home[j] = q
                    if block:
                        cell[q] = np.uint8(C_JAILED | (group[j] << GROUP_SHIFT))
                    else:
                        cell[q] = EMPTY
                        who[q] = -1
                        site[j] = -1
                        if cop_to_site:
                            cell[q] = COP
                            who[q] = c
                            cell[s] = EMPTY
                            who[s] = -1
                            cop_site[c] = q
                            fadd(fc, s, cv_runs, cv_reach, W, H, -1)
                            fadd(fc, q, cv_runs, cv_reach, W, H, 1)


@njit(cache=True)
def countdown_all(t, lat, cz, sh, rules, keys, out):
    """NetLogo: every jailed citizen's term is reduced after all actors have acted."""
    cell, who, W, H = lat.cell, lat.who, lat.W, lat.H
    status, site, jail, group = cz.status, cz.site, cz.jail, cz.group
    for i in range(cz.nused[0]):
        if status[i] == JAILED:
            if jail[i] > 0:
                jail[i] -= 1
            if jail[i] <= 0:
                if rules.jail_block:
                    cell[site[i]] = ccode(QUIET, group[i])
                else:
                    rl = sh.release
                    q = place_released(
                        cz.home[i],
                        rl.dx,
                        rl.dy,
                        rl.dl,
                        rl.reach,
                        rl.ptr,
                        cell,
                        W,
                        H,
                        keys[K_RELEASE],
                        t,
                        i,
                        True,
                    )
                    if q < 0:
                        continue
                    cell[q] = ccode(QUIET, group[i])
                    who[q] = i
                    site[i] = q
                status[i] = QUIET
                out[OUT_RELEASED] += 1


@njit(cache=True)
def step_kernel(t, lat, cz, cops, sh, rules, keys, out, actors):
    """One period of exact random sequential activation. `cz.nused[0]` is the number of
    citizen slots in use (grows by cloning); the arrays must have room for nused[0] + (living
    citizens) more slots."""
    # the actor list: living citizens and cops (coded -1 - c), shuffled by Fisher-Yates, either
    # as one list (Mesa, NetLogo) or as two lists run one after the other (Ascape's two scapes)
    activation = rules.activation
    n_cops = cops.n
    status = cz.status
    n0 = cz.nused[0]
    m = 0
    if activation == ACT_COPS_FIRST:
        for c in range(n_cops):
            actors[m] = -1 - c
            m += 1
    for i in range(n0):
        if status[i] != DEAD:
            actors[m] = i
            m += 1
    if activation != ACT_COPS_FIRST:
        for c in range(n_cops):
            actors[m] = -1 - c
            m += 1
    if activation == ACT_ONE_LIST:
        shuffle_block(actors, 0, m, keys[K_ORDER], t, 0)
    else:
        first = n_cops if activation == ACT_COPS_FIRST else m - n_cops
        shuffle_block(actors, 0, first, keys[K_ORDER], t, 0)
        shuffle_block(actors, first, m, keys[K_ORDER], t, 1)

    run_actors(0, m, actors, t, lat, cz, cops, sh, rules, keys, out, True)
    if rules.end_of_step:
        countdown_all(t, lat, cz, sh, rules, keys, out)


@njit(cache=True)
def tile_of(s, W, H, ntx, nty):
    """Tile index of site s: ntx × nty tiles, row-major."""
    return ((s // W) * nty // H) * ntx + (s % W) * ntx // W


@njit(parallel=True, cache=True)
def tile_buckets(
    t, status, site, home, nused, cop_site, n_cops, W, H, ntx, nty, key, actors, ptr, tid
):
    """Actors grouped by the tile of their site at the start of the period (a jailed citizen
    off the lattice: the tile of his arrest site), citizens then cops in index order, each
    tile's group shuffled with its own draws. ptr[k]:ptr[k+1] is tile k's group; tid is
    scratch (one entry per citizen slot and cop; -1 for the dead)."""
    n_t = ntx * nty
    n0 = nused[0]
    for i in prange(n0):
        if status[i] != DEAD:
            s = site[i] if site[i] >= 0 else home[i]
            tid[i] = tile_of(s, W, H, ntx, nty)
        else:
            tid[i] = -1
    for c in prange(n_cops):
        tid[n0 + c] = tile_of(cop_site[c], W, H, ntx, nty)
    # counting sort in chunks: each chunk counts and then places its own actors, behind the
    # earlier chunks', so every tile lists its actors in index order whatever the threads
    n = n0 + n_cops
    nc = n_chunks(n)
    pos = np.zeros((nc, n_t), dtype=np.int64)
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for j in range(lo, hi):
            if tid[j] >= 0:
                pos[c, tid[j]] += 1
    ptr[0] = 0
    for k in range(n_t):
        start = ptr[k]
        for c in range(nc):
            cnt = pos[c, k]
            pos[c, k] = start
            start += cnt
        ptr[k + 1] = start
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for j in range(lo, hi):
            k = tid[j]
            if k >= 0:
                actors[pos[c, k]] = j if j < n0 else -1 - (j - n0)
                pos[c, k] += 1
    for k in prange(n_t):
        shuffle_block(actors, ptr[k], ptr[k + 1], key, t, 4 + k)


@njit(parallel=True, cache=True)
def run_tiles_parallel(tiles, ptr, actors, t, lat, cz, cops, sh, rules, keys, out_tiles):
    """The tiles of one colour at once: they are far enough apart that no actor of one can
    touch a site another reads or writes, so the result does not depend on the threads."""
    # a parallel loop cannot take tuples holding arrays as free variables: the bundles are
    # unpacked here and packed again inside the loop (struct copies; no data is copied)
    l0, l1, l2, l3, l4, l5 = lat
    z0, z1, z2, z3, z4, z5, z6, z7, z8, z9 = cz
    k0, k1 = cops
    c0, c1, c2, c3, c4, c5 = sh.cit
    p0, p1, p2, p3, p4, p5 = sh.cop
    s0, s1, s2, s3, s4, s5 = sh.step
    r0, r1, r2, r3, r4, r5 = sh.release
    for j in prange(tiles.shape[0]):
        k = tiles[j]
        run_actors(
            ptr[k],
            ptr[k + 1],
            actors,
            t,
            Lattice(l0, l1, l2, l3, l4, l5),
            Citizens(z0, z1, z2, z3, z4, z5, z6, z7, z8, z9),
            Cops(k0, k1),
            Shapes(
                Shape(c0, c1, c2, c3, c4, c5),
                Shape(p0, p1, p2, p3, p4, p5),
                Shape(s0, s1, s2, s3, s4, s5),
                Shape(r0, r1, r2, r3, r4, r5),
            ),
            rules,
            keys,
            out_tiles[k],
            False,
        )


@njit(cache=True)
def tiles_kernel(t, lat, cz, cops, sh, rules, keys, out, actors, tl):
    """One period of block-sequential activation (not Epstein's rule; an option for large
    lattices). The lattice is cut into tl.ntx × tl.nty tiles, each at least twice as wide as the
    farthest an actor can read or write from its site, and coloured like a 2 × 2 checkerboard
    (tl.colour_list[tl.colour_ptr[c]:tl.colour_ptr[c + 1]] are the tiles of colour c). The four
    colours run one after another in an order drawn for the period; the tiles of one colour run
    in parallel; inside a tile the actors take their turns in random order, as in the exact
    kernel. Model II (births take slots from a shared counter) runs the tiles of a colour one
    after another."""
    ptr, out_tiles = tl.ptr, tl.out
    tile_buckets(
        t,
        cz.status,
        cz.site,
        cz.home,
        cz.nused,
        cops.site,
        cops.n,
        lat.W,
        lat.H,
        tl.ntx,
        tl.nty,
        keys[K_ORDER],
        actors,
        ptr,
        tl.tid,
    )
    order = np.arange(4)
    for j in range(3, 0, -1):
        r = rint(keys[K_ORDER], t, j, 3, j + 1)
        tmp = order[j]
        order[j] = order[r]
        order[r] = tmp
    out_tiles[:, :] = 0
    for c in order:
        tiles = tl.colour_list[tl.colour_ptr[c] : tl.colour_ptr[c + 1]]
        if rules.model2:
            for k in tiles:
                run_actors(
                    ptr[k],
                    ptr[k + 1],
                    actors,
                    t,
                    lat,
                    cz,
                    cops,
                    sh,
                    rules,
                    keys,
                    out_tiles[k],
                    False,
                )
        else:
            run_tiles_parallel(tiles, ptr, actors, t, lat, cz, cops, sh, rules, keys, out_tiles)
    for k in range(out_tiles.shape[0]):
        for o in range(N_OUT):
            out[o] += out_tiles[k, o]
    if rules.end_of_step:
        countdown_all(t, lat, cz, sh, rules, keys, out)


@njit(cache=True)
def rebuild_fields(cell, W, H, fc, fa, cv_runs, cv_reach):
    """Recompute both count fields from the lattice (after set-up or a cop count change)."""
    fc[:] = 0
    fa[:] = 0
    for s in range(W * H):
        kind = cell[s] & KIND_MASK
        if kind == COP:
            fadd(fc, s, cv_runs, cv_reach, W, H, 1)
        elif kind == C_ACTIVE:
            fadd(fa, s, cv_runs, cv_reach, W, H, 1)


@njit(cache=True)
def summarize(status, hard, risk, group, n, gfac, out):
    """Counts by status and group, and Epstein's tension: mean grievance of the non-jailed ×
    fraction of the non-jailed who are quiet / mean risk aversion of the non-jailed.
    out = [quiet, active, jailed, dead, blue, green, tension]."""
    nq = 0
    na = 0
    nj = 0
    nd = 0
    nb = 0
    ng = 0
    sg = 0.0
    sr = 0.0
    for i in range(n):
        st = status[i]
        if st == DEAD:
            nd += 1
            continue
        if group[i] == 0:
            nb += 1
        else:
            ng += 1
        if st == JAILED:
            nj += 1
            continue
        if st == QUIET:
            nq += 1
        else:
            na += 1
        sg += hard[i]
        sr += risk[i]
    out[0] = nq
    out[1] = na
    out[2] = nj
    out[3] = nd
    out[4] = nb
    out[5] = ng
    free = nq + na
    if free > 0 and sr > 0.0:
        out[6] = (sg * gfac / free) * (nq / free) / (sr / free)
    else:
        out[6] = np.nan
