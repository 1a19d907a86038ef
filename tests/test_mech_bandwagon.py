"""Mechanism 3 (Granovetter/Kuran thresholds): the threshold rule exactly, and its
directions (thresholds fall with grievance, rise with repression)."""

import numpy as np
from country_fixtures import run_hand, total

from tolqyn.core.random import Stream
from tolqyn.mechanisms.bandwagon import tau_init_kernel, voice_willing_kernel


def _voice(G, risk, seen, a_g=0.3, a_r=0.25, tau0=0.35, exit_signal=0.0):
    n = len(G)
    out = np.zeros(n, np.uint8)
    willing = np.zeros(1, np.int64)
    voice_willing_kernel(
        np.zeros(n, np.int8),
        np.full(n, tau0, np.float32),
        np.asarray(G, np.float32),
        np.zeros(n, np.int32),
        np.array([risk]),
        np.zeros(n, np.int16),
        np.array([exit_signal]),
        np.asarray(seen, np.float32),
        a_g,
        a_r,
        True,
        0.1,
        out,
        willing,
        np.full(n, -1, np.int16),  # no one in a labour dispute
        np.array([risk]),
        np.zeros(0),
    )
    # willing: those who would dissent and whose grievance exceeds T = 0.1
    assert willing[0] == int(np.sum(out.astype(bool) & (np.asarray(G) > 0.1)))
    return out


def test_threshold_rule_exact():
    # tau = 0.35 - 0.3 G + 0.25 risk; seen share must reach it
    assert _voice([0.5], 0.0, [0.21]).tolist() == [1]  # tau = 0.20
    assert _voice([0.5], 0.0, [0.19]).tolist() == [0]
    assert _voice([0.5], 0.4, [0.21]).tolist() == [0]  # repression raises tau to 0.30
    assert _voice([1.0], 0.0, [0.06]).tolist() == [1]  # grievance lowers it to 0.05
    assert _voice([0.5], 0.0, [0.0], exit_signal=0.3).tolist() == [1]  # visible exit lowers it


def test_threshold_distribution_moments():
    """tau0 ~ N(mu, sd) from counter-based draws: with n = 200,000 the sample mean lies within
    4 standard errors of mu unless the generator is wrong (false-failure rate 6e-5)."""
    out = np.empty(200_000, np.float32)
    tau_init_kernel(Stream(1, "threshold").key, 0.35, 0.12, out)
    se = 0.12 / np.sqrt(out.size)
    assert abs(out.mean() - 0.35) < 4 * se
    assert abs(out.std() - 0.12) < 0.01


def test_higher_thresholds_fewer_protesters():
    lo = run_hand(params={"tau_mean": 0.25})
    hi = run_hand(params={"tau_mean": 0.6})
    assert total(hi, "participants_cumulative") < total(lo, "participants_cumulative")
    # without the gate, private dissent is enough: at least as many protest
    off = run_hand(params={"bandwagon_on": False})
    assert (
        off.series("participants_cumulative")[-1]
        >= run_hand().series("participants_cumulative")[-1]
    )
