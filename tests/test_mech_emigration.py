"""Mechanism 9: the emigration hazard (a statistical test with its false-failure rate),
closed borders, and the identity and ties terms."""

import math

import numpy as np
from country_fixtures import run_hand, total
from scipy import stats

from tolqyn.core.random import Stream
from tolqyn.mechanisms.emigration import emigrate_count_kernel


def test_hazard_matches_binomial():
    """n = 100,000 quiet agents with the same hazard h: the number who leave in one step is
    Binomial(n, 1 − e^{−h}). Accept when the two-sided binomial p-value exceeds 0.001, so the
    test fails by chance in 0.1 % of seeds."""
    n = 100_000
    status = np.zeros(n, np.int8)
    G = np.full(n, 0.4, np.float32)
    I = np.full(n, 0.5, np.float32)
    ties = np.ones(n, np.int8)
    left = np.zeros(n, np.uint8)
    h0, bg, bi, bt = 1e-3, 2.0, 1.5, 0.5
    region = np.repeat(np.arange(4, dtype=np.int16), n // 4)
    by_region = np.zeros(4, np.int64)
    emigrate_count_kernel(
        Stream(11, "emigrate").key,
        1,
        status,
        G,
        I,
        ties,
        h0,
        bg,
        bi,
        bt,
        0.0,
        1.0,
        left,
        127,
        region,
        by_region,
    )
    h = h0 * math.exp(bg * 0.4 + bi * 0.5 + bt)
    p = 1 - math.exp(-h)
    k = int(left.sum())
    assert (status == 3).sum() == k
    assert np.array_equal(by_region, np.bincount(region[left == 1], minlength=4))
    assert stats.binomtest(k, n, p).pvalue > 0.001


def test_closed_borders_and_switch():
    ev = [{"id": "b", "at": 1, "action": "borders", "params": {"open": False}}]
    p = {"emigration_base": 1e-2}
    assert total(run_hand(params=p), "emigrants") > 0
    assert total(run_hand(params=p, events=ev), "emigrants") == 0
    assert total(run_hand(params={**p, "emigration_on": False}), "emigrants") == 0


def test_ties_abroad_raise_exit():
    p = {"emigration_base": 2e-3, "protest_on": False}
    few = run_hand(params={**p, "emigration_ties": 0.0})
    many = run_hand(params={**p, "emigration_ties": 2.0})
    assert total(many, "emigrants") > total(few, "emigrants")
