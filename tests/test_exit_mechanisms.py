"""Mechanisms of the exit model: the decade hazard (exact reduction to mechanism 9, binomial
test, cost of leaving), destination choice (exact probabilities, a multinomial test,
conservation), the media diet following internet adoption, the exchange-rate series feeding
hardship, and legitimacy drift with the corruption index."""

import datetime as dt
import math

import numpy as np
import pytest
from exit_fixtures import make_exit_sim, run_exit
from scipy import stats

from tolqyn.core.errors import ScenarioError
from tolqyn.core.random import Stream
from tolqyn.data import series as S
from tolqyn.mechanisms.emigration import emigrate_count_kernel
from tolqyn.models.exit.destinations import Destinations, inclusive_value
from tolqyn.models.exit.exit_hazard import exit_kernel, unmixing_term

DEST_DEFAULTS = {p.name: p.default for p in Destinations.define_params()}


def _inputs(n, seed=5):
    rng = np.random.default_rng(seed)
    return (
        np.zeros(n, np.int8),
        rng.random(n).astype(np.float32),
        rng.random(n).astype(np.float32),
        rng.integers(0, 2, n).astype(np.int8),
        rng.integers(0, 8, n).astype(np.int8),
    )


def test_decade_hazard_reduces_to_mechanism_9():
    """With no cost, no wave and f = 1 the decade kernel draws exactly what mechanism 9 draws."""
    n = 50_000
    st1, G, I, ties, eth = _inputs(n)
    st2 = st1.copy()
    l1, l2 = np.zeros(n, np.uint8), np.zeros(n, np.uint8)
    key = Stream(3, "emigrate").key
    by_region = np.zeros(1, np.int64)
    emigrate_count_kernel(
        key,
        4,
        st1,
        G,
        I,
        ties,
        1e-3,
        2.0,
        1.5,
        0.5,
        0.0,
        30.0,
        l1,
        127,
        np.zeros(n, np.int16),
        by_region,
    )
    exit_kernel(
        key,
        4,
        st2,
        G,
        I,
        ties,
        eth,
        np.zeros(8) + inclusive_value(DEST_DEFAULTS),
        1e-3,
        2.0,
        1.5,
        0.5,
        0.0,
        30.0,
        l2,
    )
    assert np.array_equal(l1, l2) and np.array_equal(st1, st2) and l1.sum() > 0
    assert by_region[0] == l1.sum()


def test_hazard_with_wave_and_cost_matches_binomial():
    """n identical quiet agents of a kin group with wave term W and cost c: the number who leave
    in one step of dt days is Binomial(n, 1 − exp(−h·dt)), h = h0·exp(b_G G + b_I I + b_T + W − c).
    Accept when the two-sided binomial p-value exceeds 0.001 (false-failure rate 0.1 %)."""
    n = 200_000
    status = np.zeros(n, np.int8)
    G = np.full(n, 0.3, np.float32)
    I = np.full(n, 0.6, np.float32)
    ties = np.ones(n, np.int8)
    eth = np.ones(n, np.int8)
    kin = np.zeros(8)
    kin[1] = 0.8
    left = np.zeros(n, np.uint8)
    exit_kernel(
        Stream(21, "emigrate").key,
        1,
        status,
        G,
        I,
        ties,
        eth,
        kin,
        1e-5,
        2.0,
        3.0,
        1.0,
        -1.5,
        30.0,
        left,
    )
    h = 1e-5 * math.exp(2.0 * 0.3 + 3.0 * 0.6 + 1.0 + 0.8 - 1.5)
    p = 1.0 - math.exp(-h * 30.0)
    k = int(left.sum())
    assert (status == 3).sum() == k
    assert stats.binomtest(k, n, p).pvalue > 0.001


def test_unmixing_term_exact():
    assert unmixing_term(2004.0, 1.5, 2004.0, 4.0) == 1.5
    assert unmixing_term(2008.0, 1.5, 2004.0, 4.0) == pytest.approx(1.5 / math.e)
    assert unmixing_term(2000.0, 1.5, 2004.0, 4.0) == 1.5  # held before the reference year


def test_cost_of_leaving_is_monotone():
    """Directional: a higher cost of leaving never raises emigration (same seed, common draws)."""
    base = {"emigration_base": 2e-4, "protest_on": False}
    totals = [
        float(np.nansum(run_exit(params={**base, "exit_cost": c}, steps=6).series("emigrants")))
        for c in (-1.0, 0.0, 1.0, 20.0)
    ]
    assert totals[0] > totals[1] > totals[2] and totals[3] == 0.0


def test_destination_probabilities_exact():
    d = Destinations()
    P = d.probabilities(DEST_DEFAULTS)
    assert np.allclose(P.sum(axis=1), 1.0)
    assert P[1, 0] == pytest.approx(0.97)  # ethnic Russians to Russia
    assert P[5, 1] == pytest.approx(0.65)  # ethnic Germans to Germany
    assert np.allclose(inclusive_value(DEST_DEFAULTS), 0.0)
    p2 = {**DEST_DEFAULTS, "dest_germany_factor": 3.0}
    P2 = d.probabilities(p2)
    w = np.array([0.33, 0.65 * 3.0, 0.02])
    assert np.allclose(P2[5], w / w.sum())
    assert inclusive_value(p2)[5] == pytest.approx(math.log(w.sum()))
    with pytest.raises(ScenarioError, match="exceeds 1"):
        d.probabilities({**DEST_DEFAULTS, "dest_germany_share": (0.5,) * 8})


def test_destinations_conserve_and_follow_probabilities():
    """All emigrants are counted once by group and once by destination (validating mode checks it
    every step), and the destinations of ethnic Russians follow the choice probabilities: a
    chi-square test over the whole run, accepted at p > 0.001 (false-failure rate 0.1 %)."""
    r = run_exit(
        params={"emigration_base": 3e-4, "protest_on": False, "hand_german_share": 0.0},
        steps=12,
        validate=True,
    )
    tot = np.nansum(r.series("emigrants"))
    assert tot > 200
    by_g = sum(np.nansum(r.series(f"emigrants_{g}")) for g in ("kazakh", "russian", "german"))
    by_d = sum(np.nansum(r.series(f"emigrants_to_{d}")) for d in ("russia", "germany", "other"))
    assert by_g == tot and by_d == tot
    # YTD = running sum within the calendar year
    ytd = r.series("emigrants_ytd")
    em = r.series("emigrants")
    assert ytd[12] == pytest.approx(np.nansum(em[1:13]))
    # destinations: Kazakhs and Russians only; expected counts from the probabilities
    P = Destinations().probabilities(DEST_DEFAULTS)
    nk, nr = np.nansum(r.series("emigrants_kazakh")), np.nansum(r.series("emigrants_russian"))
    exp = nk * P[0] + nr * P[1]
    obs = np.array(
        [np.nansum(r.series(f"emigrants_to_{d}")) for d in ("russia", "germany", "other")]
    )
    keep = exp > 0
    chi = float(((obs[keep] - exp[keep]) ** 2 / exp[keep]).sum())
    assert stats.chi2.sf(chi, keep.sum() - 1) > 0.001


def test_germany_pull_raises_german_exit():
    p = {"emigration_base": 3e-4, "protest_on": False, "hand_german_share": 0.3}
    lo = run_exit(params={**p, "dest_germany_factor": 1.0}, steps=6)
    hi = run_exit(params={**p, "dest_germany_factor": 8.0}, steps=6)
    assert np.nansum(hi.series("emigrants_german")) > np.nansum(lo.series("emigrants_german"))
    assert np.nansum(hi.series("emigrants_to_germany")) > np.nansum(
        lo.series("emigrants_to_germany")
    )


def test_media_diet_follows_adoption_and_freezes():
    sim = make_exit_sim(start_date="2004-01-01", steps=24, params={"emigration_on": False})
    sim.init()
    ref = sim.pop.diet_ref.copy()
    on0 = float((sim.pop.media_diet == 2).mean())
    rel = S.internet_adoption(S.decimal_year("2004-01-01")) / S.internet_adoption(2022.0)
    # the online share at the start: the reference online users with u < rel
    expect = float(((ref == 2) & (sim.pop.adopt_u < rel)).mean())
    assert on0 == pytest.approx(expect)
    assert on0 < float((ref == 2).mean())
    # non-online agents never change; formerly online ones watch their TV channel
    tv = ref != 2
    assert np.array_equal(sim.pop.media_diet[tv], ref[tv])
    off = (ref == 2) & (sim.pop.media_diet != 2)
    assert np.array_equal(sim.pop.media_diet[off], sim.pop.tv_channel[off])
    res = sim.run()
    on = res.series("media_share_online")
    assert on[-1] > on[0]
    frozen = run_exit(
        start_date="2004-01-01",
        steps=24,
        params={"emigration_on": False},
        events=[{"at": 1, "params": {"media_shift_on": False}}],
    )
    fo = frozen.series("media_share_online")
    assert np.allclose(fo, fo[0])
    for d in ("state_tv", "foreign_tv", "online"):
        v = res.series(f"identity_kin_{d}")
        assert np.all((v[np.isfinite(v)] >= 0) & (v[np.isfinite(v)] <= 1))
        bins = sum(res.series(f"identity_kin_bin{b}_{d}") for b in range(10))
        assert np.allclose(bins[np.isfinite(bins)], 1.0)


def test_exchange_rate_series_feeds_hardship():
    r = run_exit(
        start_date="2015-06-01", steps=6, params={"emigration_on": False, "protest_on": False}
    )
    fx = r.series("exchange_rate")
    dates = [
        dt.date(2015, 6, 1) + dt.timedelta(days=30.4375 * (s - 1) + 30.4375 / 2)
        for s in range(1, 7)
    ]
    assert np.allclose(fx[1:], [S.exchange_rate().value_at(d) for d in dates])
    shock = r.series("economic_shock")
    assert shock[1] < 0.01 and shock[4] > 0.1  # the float of 20 August 2015
    m = run_exit(
        start_date="2015-06-01",
        steps=6,
        params={"emigration_on": False, "protest_on": False},
        events=[{"at": "2015-07-01", "params": {"fx_multiplier": 1.5}}],
    )
    assert m.series("exchange_rate")[3] == pytest.approx(1.5 * fx[3])
    assert m.series("grievance_mean")[3] > r.series("grievance_mean")[3]


def test_corruption_shifts_slants_exactly():
    sim = make_exit_sim(start_date="2019-03-01", steps=1, params={"corruption_weight": 2.0})
    sim.init()
    delta = 2.0 * (34.0 - 28.0) / 100.0
    assert sim.params["slant_state_tv"] == pytest.approx(0.7 + delta)
    assert sim.params["slant_online"] == pytest.approx(0.35 + delta)
    off = make_exit_sim(start_date="2019-03-01", steps=1, params={"corruption_on": False})
    off.init()
    assert off.params["slant_state_tv"] == pytest.approx(0.7)
