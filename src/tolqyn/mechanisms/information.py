"""Mechanism 6 — information channels: state TV, foreign TV, online, word of mouth. They set
what share of protest each citizen *sees* (the input of the bandwagon rule, mechanism 3) and
where protesters gather.

Seen share (capped at 1), from the protest δ days before (mechanism 2's perception lag: each
citizen's protest history; the statuses at the start of the step at dt = δ):

    x_c   = active contacts / contacts                         (word of mouth, the network)
    x_l   = active residents / residents of one's locality     (what one sees in the street)
    b     = 1 + β_in·(1 − ω)                                   in-person information seeking
    s_i   = w_c·(1 − e^{−b·x_c/k_c}) + w_l·(1 − e^{−b·x_l/k_l})
            + ω·a_{d(i)}·w_o·(1 − e^{−N_{r(i)}/N½}) + [d(i) = foreign TV]·w_f·(1 − e^{−N/N½})
            + w_s·shock_{r(i)}

A shared economic shock (mechanism 11) is itself public: everyone in the region knows that
everyone else is hit, which lowers the fear of standing alone (w_s). It becomes common
knowledge with a lag of one day (shock_r of the previous step). How it acts is a structure
(`shock_signal`) for the calibration to weigh: *threshold* (above: it adds to the seen share,
so a large shock alone moves everyone whose threshold is below w_s·shock, on the first day)
or *amplifier* (s_i = (1 + w_s·shock_r)·(the seen terms): it makes protest that is seen more
telling but alone moves no one, so a crowd still grows from first movers through contacts,
the street and the news; Granovetter 1978's thresholds with the shock as a focal point,
McCulloch et al. 2022) or *builds* (as threshold, but what everyone knows that everyone knows
grows towards the shock at a rate κ per day, K_r ← K_r + (1 − e^{−κ·dt})·(shock_r − K_r), and
w_s·K_r is added: common knowledge takes days of talk and news to form, Chwe 2001, so the
shock's first day moves fewer people) or *saturating* (the term is c·(1 − e^{−w_s·shock_r/c}):
w_s·shock for a small shock, never above c, so a unit hit five times harder than another does
not get a signal five times as strong, and the shock alone cannot move everyone above the
grievance gate at once; c = `shock_signal_cap`).

ω ∈ [0, 1] is the state of the internet (1 up, 0 national blackout), a_d the online access of
diet d (1 for online users). Online news carries protest visibility beyond the locality, but
what reaches a citizen of unit r is protest elsewhere weighted by the links between units
(Myers 2000; Andrews & Biggs 2006), not one national count:

    N_r   = Σ_s W_rs·n(A_s),   n(A) = A_0·(1 − e^{−A/A_0})   (A_s: protesters in unit s,
                                  persons; W_rr = w_own; A_0 = 0 means n(A) = A)
    W_rs  = (μ + (1 − μ)·min(1, e^{−d_rs/d_0} + b·[r, s share a border]))·(1 − λ·|k_r − k_s|)

μ is the national media market (news that reaches every unit whatever the distance), d_rs the
distance between centroids, d_0 its decay length (transport, kin and migration ties fall with
distance; Myers 2000), b the extra weight of a shared border, k_r the share of the pack's first group in unit r (Kazakhstan: Kazakhs)
and λ how much a different language and media market discounts the news (region_links.csv,
ethnicity tables; the national market too is split by language, so λ discounts it as well).
μ = 1 with λ = 0 (the defaults) restores one national count. n(A) caps the news of one unit: what travels is that a
place protests (an event, as Myers 2000 and Andrews & Biggs 2006 count diffusion), so a
rally of a few hundred is news everywhere it is linked, and a unit of 30,000 counts little more
than one of 3,000. Online exposure is ω·a_d·w_o·(1 −
e^{−N_r/N½}): a blackout (ω → 0) removes exactly this distant, link-weighted signal
(Hassanpour 2014), while word of mouth (contacts in other units included) and the street
remain. Foreign TV reports national totals: w_f·(1 − e^{−N/N½}), N = Σ_s A_s (state TV
does not report protest). Where protesters gather: with probability q_i = q_0 + ω·a_d·q_on an active citizen goes
to the focal site of the region (its largest locality: the central square), otherwise protests
where he or she lives. A shutdown (ω → 0) removes the distant signal and the coordination on
the focal site, and makes people seek information in person (β_in): protest disperses into
more localities, with a smaller share at the largest site (Hassanpour 2014's Cairo evidence;
Rydzak 2019; Casilli & Tubaro 2012). Seeds: 001 (the internet "jammed", contact lost),
003 (leaderless, uncoordinated crowds), 004."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from tolqyn.core.chunks import chunk_bounds, n_chunks
from tolqyn.core.module import Module
from tolqyn.core.params import Param
from tolqyn.core.population import State
from tolqyn.core.random import draw_u01
from tolqyn.core.results import Result
from tolqyn.mechanisms.structures import BLACKOUT, CITE_BLACKOUT, blackout_online

CITE_H = "Hassanpour 2014, Political Communication 31(1) (SSRN 1903351)"


def link_weights(space, national, d0, border_w, language, own=1.0) -> np.ndarray:
    """W_rs = (μ + (1 − μ)·min(1, e^{−d_rs/d_0} + b·[shared border]))·(1 − λ·|k_r − k_s|),
    W_rr = w_own (1: one's own unit's protest counts in full online). Distances from the packaged table where the space carries it, else from the
    centroids (great circle); no border table means no border term; no ethnic shares means
    no language term."""
    R = int(space.n_regions)
    meta = getattr(space, "meta", None) or {}
    dist = meta.get("region_distance_km")
    if dist is None:
        lat, lon = np.radians(np.asarray(space.region_centroid, dtype=np.float64)).T
        h = (
            np.sin((lat[:, None] - lat[None]) / 2) ** 2
            + np.cos(lat[:, None]) * np.cos(lat[None]) * np.sin((lon[:, None] - lon[None]) / 2) ** 2
        )
        dist = 2.0 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    border = meta.get("region_border_km")
    adj = np.zeros((R, R)) if border is None else (np.asarray(border) > 0).astype(np.float64)
    shares = getattr(space, "region_ethnic_share", None)
    # the pack's first group stands for the language and media market (Kazakhstan: Kazakhs)
    if shares is None or len(space.ethnic_groups) == 0:
        kaz = np.zeros(R)
    else:
        kaz = np.asarray(shares, dtype=np.float64)[:, 0]
    near = np.minimum(1.0, np.exp(-np.asarray(dist, dtype=np.float64) / d0) + border_w * adj)
    lang = 1.0 - language * np.abs(kaz[:, None] - kaz[None])
    W = (national + (1.0 - national) * near) * lang
    np.fill_diagonal(W, own)
    return W


def news_of(active, size) -> np.ndarray:
    """n(A_s) = A_0·(1 − e^{−A_s/A_0}): the news value of protest in a unit, in persons, which
    grows like A_s for small crowds and saturates at A_0 (that a place protests is the news;
    Myers 2000 and Andrews & Biggs 2006 count events). A_0 = 0 counts persons (n = A_s)."""
    if size <= 0.0:
        return active
    return -size * np.expm1(-np.asarray(active, dtype=np.float64) / size)


@njit(parallel=True, cache=True)
def site_kernel(key, locality, region, media, focal, q0, q_on, access, online, out):
    for i in prange(locality.shape[0]):
        q = q0 + online[region[i]] * access[media[i]] * q_on
        if draw_u01(key, 0, i, 0) < q:
            out[i] = focal[region[i]]
        else:
            out[i] = locality[i]


@njit(parallel=True, cache=True)
def seen_kernel(
    status,
    seen_active,
    grievance,
    gate,
    indptr,
    indices,
    locality,
    region,
    media,
    loc_share,
    w_c,
    k_c,
    w_l,
    k_l,
    boost,
    online_term,
    access,
    ftv_term,
    shock_term,
    shock_gain,
    out,
):
    n = status.shape[0]
    for i in prange(n):
        if status[i] > 1 or grievance[i] <= gate:
            out[i] = 0.0  # cannot turn active this step: skip the network work
            continue
        a = indptr[i]
        b = indptr[i + 1]
        xc = 0.0
        if b > a:
            c = 0
            for e in range(a, b):
                if seen_active[indices[e]]:  # the contact protested δ ago
                    c += 1
            xc = c / (b - a)
        xl = loc_share[locality[i]]
        # a zero share adds exactly 0: skip its exponential (most citizens, most steps)
        s = 0.0
        if xc > 0.0:
            s = w_c * (1.0 - math.exp(-boost * xc / k_c))
        if xl > 0.0:
            s += w_l * (1.0 - math.exp(-boost * xl / k_l))
        m = media[i]
        s += online_term[region[i]] * access[m]
        if m == 1:
            s += ftv_term
        s = s * shock_gain[region[i]] + shock_term[region[i]]
        out[i] = s if s < 1.0 else 1.0


SHOCK_SIGNAL = ("threshold", "amplifier", "builds", "saturating")


def shock_signal(structure, w_s, shock, cap=1.0):
    """(additive term, gain) by region of the shared shock's public signal under the
    `shock_signal` structure: threshold (and builds, whose `shock` is the common knowledge
    K_r) adds w_s·shock to the seen share, saturating adds cap·(1 − e^{−w_s·shock/cap}),
    amplifier multiplies the seen share by 1 + w_s·shock."""
    if structure == "amplifier":
        return np.zeros_like(shock), 1.0 + w_s * shock
    if structure == "saturating":
        return cap * (1.0 - np.exp(-w_s * shock / cap)), np.ones_like(shock)
    return w_s * shock, np.ones_like(shock)


def common_knowledge(known, shock, rate, dt):
    """K_r one step on: towards the shock as reported at κ per day (exact for any dt)."""
    return known + (1.0 - math.exp(-rate * dt)) * (shock - known)


HISTORY_STEPS = 32  # steps of protest history a citizen's column holds (bits of a uint32)


@njit(parallel=True, cache=True)
def lagged_counts(status, hist, bit, site, locality, n_loc, site_out, loc_out, seen_active):
    """Shifts each citizen's current status into his or her protest history (bit 0: active
    at the end of the last step, bit j: j steps before), writes seen_active[i] = 1 if the
    citizen was active `bit` steps before the last (one byte a citizen, so that the network
    pass of seen_kernel reads bytes, not the four-byte history), and counts those by protest
    site and by home locality (per-chunk integer counts added in a fixed order: identical on
    any number of threads)."""
    n = status.shape[0]
    nc = n_chunks(n)
    part = np.zeros((nc, 2, n_loc), dtype=np.int64)
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            h = (np.int64(hist[i]) * 2 + (1 if status[i] == 1 else 0)) & 0xFFFFFFFF
            hist[i] = h
            if (h >> bit) & 1:
                seen_active[i] = 1
                part[c, 0, site[i]] += 1
                part[c, 1, locality[i]] += 1
            else:
                seen_active[i] = 0
    for k in range(n_loc):
        a = 0
        b = 0
        for c in range(nc):
            a += part[c, 0, k]
            b += part[c, 1, k]
        site_out[k] = a
        loc_out[k] = b


@njit(parallel=True, cache=True)
def active_counts(status, site, locality, n_loc, site_out, loc_out):
    """Active citizens by protest site and by home locality: per-chunk integer counts added
    in a fixed order (identical on any number of threads)."""
    n = status.shape[0]
    nc = n_chunks(n)
    part = np.zeros((nc, 2, n_loc), dtype=np.int64)
    for c in prange(nc):
        lo, hi = chunk_bounds(n, nc, c)
        for i in range(lo, hi):
            if status[i] == 1:
                part[c, 0, site[i]] += 1
                part[c, 1, locality[i]] += 1
    for k in range(n_loc):
        a = 0
        b = 0
        for c in range(nc):
            a += part[c, 0, k]
            b += part[c, 1, k]
        site_out[k] = a
        loc_out[k] = b


class Information(Module):
    name = "information"
    phases = ("channels", "record")

    @classmethod
    def define_params(cls):
        return [
            Param(
                "information_on",
                True,
                "switch: off removes the distant channels (online, foreign TV) "
                "and the focal-site coordination; word of mouth and the street remain",
                kind="bool",
                sweepable=False,
            ),
            Param(
                "blackout_structure",
                "both",
                "how a blackout acts: coordination (removes the distant signal and crowd "
                "coordination), dispersion (disperses protest, in-person seeking, violent "
                "tactics; the news still travels) or both (mechanisms/structures.py)",
                kind="choice",
                choices=tuple(BLACKOUT),
                sweepable=False,
                citation=CITE_BLACKOUT,
            ),
            Param(
                "w_contacts",
                0.35,
                "weight of word of mouth (share of one's contacts protesting)",
                0.0,
                2.0,
                unit="1",
                citation="Granovetter 1978; Watts 2002; Centola & Macy 2007",
            ),
            Param(
                "k_contacts",
                0.15,
                "contact share at which word of mouth reaches 63 % of its weight",
                1e-4,
                1.0,
                unit="1",
                citation="calibrated (docs/odd/country.md)",
            ),
            Param(
                "w_local",
                0.45,
                "weight of protest seen in one's own locality",
                0.0,
                2.0,
                unit="1",
                citation="Epstein 2002 (actives in vision); Lohmann 1994",
            ),
            Param(
                "k_local",
                0.02,
                "share of residents protesting at which local visibility reaches 63 %",
                1e-5,
                1.0,
                unit="1",
                citation="calibrated (docs/odd/country.md)",
            ),
            Param(
                "w_online",
                0.6,
                "weight of protest seen online (news and social media, nationwide)",
                0.0,
                2.0,
                unit="1",
                citation="Makowsky & Rubin 2013 (network range); " + CITE_H,
            ),
            Param(
                "w_foreign_tv",
                0.1,
                "weight of protest reported by foreign TV",
                0.0,
                2.0,
                unit="1",
                citation="assumption (docs/odd/country.md)",
            ),
            Param(
                "w_shock",
                1.5,
                "weight of a shared economic shock as a public signal (everyone knows everyone is hit)",
                0.0,
                5.0,
                unit="1 per unit of hardship",
                citation="McCulloch et al. 2022 (price shocks as focal points); seed 003",
            ),
            Param(
                "shock_signal",
                "threshold",
                "how the shared shock acts as a public signal: threshold (it adds w_s·shock to "
                "the seen share: everyone knows everyone is hit, whether or not anyone is seen "
                "protesting) or amplifier (it multiplies what one sees of protest by "
                "1 + w_s·shock: the shock makes protest that is seen more telling, but alone "
                "moves no one) or builds (as threshold, with what everyone knows that "
                "everyone knows growing towards the shock at shock_knowledge_rate per day) "
                "or saturating (the added term saturates at shock_signal_cap)",
                kind="choice",
                choices=SHOCK_SIGNAL,
                sweepable=False,
                citation="McCulloch et al. 2022; Granovetter 1978; docs/odd/country.md section 10",
            ),
            Param(
                "shock_knowledge_rate",
                1.0,
                "rate at which the shared shock becomes common knowledge under shock_signal = "
                "builds (K_r approaches the shock by 1 − e^(−κ·dt) of the gap each step)",
                0.05,
                10.0,
                unit="1/day",
                citation="Chwe 2001 (common knowledge forms through public events); assumption",
            ),
            Param(
                "shock_signal_cap",
                0.3,
                "largest share of protest the shared shock alone can stand for under "
                "shock_signal = saturating (its term is cap·(1 − e^(−w_s·shock/cap)))",
                0.05,
                1.0,
                unit="1",
                citation="assumption (docs/odd/country.md section 10: Mangystau's first day)",
            ),
            Param(
                "online_half",
                20000.0,
                "protesters nationwide (persons) at which the online signal reaches 63 %",
                1.0,
                1e8,
                unit="persons",
                citation="calibrated (docs/odd/country.md)",
            ),
            Param(
                "online_unit_size",
                0.0,
                "A_0: protesters in one unit (persons) beyond which its news online grows no "
                "more, n = A_0·(1 − e^{−A/A_0}); 0 counts persons without a cap",
                0.0,
                1e7,
                unit="persons",
                citation="Myers 2000; Andrews & Biggs 2006 (diffusion counts protest events, "
                "not participants); docs/odd/country.md §7.6",
            ),
            Param(
                "link_national_share",
                1.0,
                "μ: weight of protest in any other unit, whatever the distance (the national "
                "media market); 1 = one national count",
                0.0,
                1.0,
                unit="1",
                citation="Andrews & Biggs 2006 (news media and diffusion); 1 (one national "
                "count) by default; kazakhstan-2022 sets its hand-tuned value (docs/odd/country.md §8)",
            ),
            Param(
                "link_distance_km",
                400.0,
                "d_0: decay length of the weight of protest in another unit with the distance "
                "between their centroids",
                1.0,
                1e5,
                unit="km",
                citation="Myers 2000 (diffusion falls with distance); region_links.csv; assumption",
            ),
            Param(
                "link_border",
                0.3,
                "b: extra weight of protest in a unit that shares a border",
                0.0,
                1.0,
                unit="1",
                citation="Myers 2000; region_links.csv (from regions.geojson)",
            ),
            Param(
                "link_language",
                0.0,
                "λ: discount of all news from a unit, national market included, per unit "
                "difference in the first group's share (a different language and media "
                "market); 0 = none",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/country.md §7); ethnicity_by_region_2021.csv",
            ),
            Param(
                "link_own_unit",
                1.0,
                "w_own: weight online of protest in one's own unit (its other localities); "
                "the street and one's contacts show it besides",
                0.0,
                1.0,
                unit="1",
                citation="assumption (docs/odd/country.md §7.6): online news carries protest "
                "beyond the locality (Hassanpour 2014's distant signal)",
            ),
            Param(
                "online_access_state_tv",
                0.35,
                "online reach among people whose main source is state TV",
                0.0,
                1.0,
                unit="1",
                citation="context.csv (internet users 90.9 %); propaganda.kz survey (docs/literature.md §6.3)",
            ),
            Param(
                "online_access_foreign_tv",
                0.35,
                "online reach among people whose main source is foreign TV",
                0.0,
                1.0,
                unit="1",
                citation="as above",
            ),
            Param(
                "inperson_boost",
                1.0,
                "β_in: relative rise of in-person exposure (street, contacts) under a full blackout",
                0.0,
                10.0,
                unit="1",
                citation=CITE_H + " (people sought information in person)",
            ),
            Param(
                "focal_share_offline",
                0.1,
                "q_0: chance that a protester goes to the region's focal site without the internet",
                0.0,
                1.0,
                unit="1",
                citation=CITE_H,
            ),
            Param(
                "focal_share_online",
                0.5,
                "q_on: extra chance of going to the focal site for an online user with the internet up",
                0.0,
                1.0,
                unit="1",
                citation=CITE_H + " (Tahrir drew the connected)",
            ),
        ]

    def define_states(self):
        return [
            State(
                "site",
                np.int32,
                0,
                "locality where the citizen protests (home or the region's focal site)",
            ),
            State("seen", np.float32, 0.0, "share of protest the citizen sees (bandwagon input)"),
            State(
                "protest_history",
                np.uint32,
                0,
                "bit j = 1 if the citizen was active at the end of the step j + 1 steps ago "
                "(protest is seen with the fixed delay δ, mechanism 2)",
            ),
        ]

    def define_results(self):
        return [
            Result("online", "internet availability (1 up, 0 national blackout)", "value"),
            Result("largest_site_share", "share of protesters at the single largest site", "value"),
            Result("sites_active", "number of localities with protesters", "value"),
            Result(
                "focal_share",
                "share of protesters at the focal sites (largest locality) of their regions",
                "value",
            ),
            Result(
                "largest_site_crowd",
                "protesters at the largest single site, persons (one gathering; of the region, "
                "or of the country for ALL, so the regions do not sum to ALL)",
                "value",
                True,
                agg="max",
            ),
            Result(
                "focal_site_crowd",
                "protesters at the region's focal site (its central square)",
                "count",
                True,
            ),
        ]

    def init(self, sim):
        self.key = sim.streams("site").key
        cs = sim.country
        self._site_persons = np.zeros(cs.n_loc)
        self._seen_active = np.zeros(sim.pop.n, dtype=np.uint8)  # active δ ago (bytes)
        self._loc_persons = np.zeros(cs.n_loc)
        self._site_args = None
        self._link_args = None
        self._reg_active = np.zeros(cs.n_reg)
        self._shock_common = np.zeros(cs.n_reg)  # K_r of the builds reading

    def _links(self, sim):
        """W (n_reg, n_reg) from the current parameters (rebuilt only when they change)."""
        p = sim.params
        args = tuple(
            float(p[k])
            for k in (
                "link_national_share",
                "link_distance_km",
                "link_border",
                "link_language",
                "link_own_unit",
            )
        )
        if args != self._link_args:
            self._W = link_weights(sim.space, *args)
            self._link_args = args
        return self._W

    def _access(self, p):
        return np.array([p["online_access_state_tv"], p["online_access_foreign_tv"], 1.0])

    def step(self, sim, phase):
        p, pop, cs = sim.params, sim.pop, sim.country
        on = bool(p["information_on"])
        online = cs.online if on else 0.0
        # the internet state each channel sees under the blackout structure
        focal_on = blackout_online(p["blackout_structure"], cs.online, "focal") if on else 0.0
        signal_on = blackout_online(p["blackout_structure"], cs.online, "signal") if on else 0.0
        if phase == "record":
            self._record(sim, online)
            return

        # by unit: a regional block (mechanism 17) where it is more severe than the national
        # level, for the channels the blackout structure lets see a cut
        def by_unit(level, channel):
            reached = on and blackout_online(p["blackout_structure"], 0.0, channel) == 0.0
            return np.minimum(level, cs.online_region) if reached else np.full(cs.n_reg, level)

        focal_r = by_unit(focal_on, "focal")
        signal_r = by_unit(signal_on, "signal")
        access = self._access(p)
        # the draw behind a site choice is fixed per citizen (step 0), so sites change only
        # when the chances do: recompute on a change of the internet or the parameters
        q_on = float(p["focal_share_online"]) if on else 0.0
        site_args = (float(p["focal_share_offline"]), q_on, tuple(access.tolist()), tuple(focal_r))
        if site_args != self._site_args:
            site_kernel(
                self.key,
                pop.locality,
                pop.region,
                pop.media_diet,
                cs.focal,
                site_args[0],
                q_on,
                access,
                focal_r,
                pop.site,
            )
            self._site_args = site_args
        # protest is seen with a delay of δ days (k steps): what was going on at the same
        # time one δ earlier (at dt = δ, the start-of-step statuses)
        k = sim.clock.lag_steps(
            float(p["perception_lag_days"]), "perception_lag_days", most=HISTORY_STEPS
        )
        lagged_counts(
            pop.status,
            pop.protest_history,
            k - 1,
            pop.site,
            pop.locality,
            cs.n_loc,
            self._site_persons,
            self._loc_persons,
            self._seen_active,
        )
        cs.site_active[:] = self._site_persons * cs.scale
        cs.loc_active[:] = self._loc_persons * cs.scale
        half = float(p["online_half"])
        self._reg_active[:] = np.bincount(cs.loc_region, weights=cs.loc_active, minlength=cs.n_reg)
        cs.exposure = self._links(sim) @ news_of(self._reg_active, float(p["online_unit_size"]))
        online_term = signal_r * float(p["w_online"]) * (1.0 - np.exp(-cs.exposure / half))
        n_nat = float(self._reg_active.sum())
        ftv_term = float(p["w_foreign_tv"]) * (1.0 - math.exp(-n_nat / half)) if on else 0.0
        boost = 1.0 + float(p["inperson_boost"]) * (
            1.0 - blackout_online(p["blackout_structure"], cs.online, "inperson")
        )
        boost = boost if on else 1.0
        loc_share = np.divide(
            cs.loc_active, cs.loc_persons, out=np.zeros(cs.n_loc), where=cs.loc_persons > 0
        )
        shock = cs.econ_shock_known
        if p["shock_signal"] == "builds":
            self._shock_common[:] = common_knowledge(
                self._shock_common, shock, float(p["shock_knowledge_rate"]), sim.clock.dt
            )
            shock = self._shock_common
        net = sim.space.network
        seen_kernel(
            pop.status,
            self._seen_active,
            pop.grievance,
            float(p["activation_threshold"]),
            net.indptr,
            net.indices,
            pop.locality,
            pop.region,
            pop.media_diet,
            loc_share,
            float(p["w_contacts"]),
            float(p["k_contacts"]),
            float(p["w_local"]),
            float(p["k_local"]),
            boost,
            online_term,
            access,
            ftv_term,
            *shock_signal(
                p["shock_signal"], float(p["w_shock"]), shock, float(p["shock_signal_cap"])
            ),
            pop.seen,
        )

    def _record(self, sim, online):
        cs = sim.country
        # the distribution of protest over sites at the end of the step
        active_counts(
            sim.pop.status,
            sim.pop.site,
            sim.pop.locality,
            cs.n_loc,
            self._site_persons,
            self._loc_persons,
        )
        tot = self._site_persons.sum()
        sim.results.record("online", sim.t, float(online))
        sim.results.record(
            "largest_site_share", sim.t, float(self._site_persons.max() / tot) if tot > 0 else 0.0
        )
        sim.results.record("sites_active", sim.t, float((self._site_persons > 0).sum()))
        sim.results.record(
            "focal_share",
            sim.t,
            float(self._site_persons[cs.focal].sum() / tot) if tot > 0 else 0.0,
        )
        # one gathering, comparable with a reported crowd (persons; a value, not a count, as
        # its ALL is the largest of the regions, not their sum)
        largest = np.zeros(cs.n_reg)
        np.maximum.at(largest, cs.loc_region, self._site_persons * cs.scale)
        sim.results.record("largest_site_crowd", sim.t, float(largest.max()), largest)
        focal = self._site_persons[cs.focal]
        sim.results.record("focal_site_crowd", sim.t, float(focal.sum()), focal.copy())
