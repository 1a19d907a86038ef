"""Mechanism 8: bounded-confidence pull of the foreign channel on identity."""

import numpy as np

from tolqyn.mechanisms.identity import identity_step_kernel


def test_bounded_confidence_pull_exact():
    status = np.zeros(4, np.int8)
    media = np.array([1, 1, 0, 1], np.int8)  # foreign TV, foreign TV, state TV, foreign TV
    legit = np.full(4, 0.5, np.float32)  # neutral home treatment
    ident = np.array([0.7, 0.2, 0.7, 0.9], np.float32)
    identity_step_kernel(status, media, legit, ident, 0.9, 0.35, 0.1, 0.0)
    # within eps of the slant: moves 10 % of the way; outside eps or no foreign TV: unchanged
    assert np.allclose(ident, [0.72, 0.2, 0.7, 0.9], atol=1e-6)


def test_treated_well_at_home_moves_away():
    ident = np.array([0.5, 0.5], np.float32)
    identity_step_kernel(
        np.zeros(2, np.int8),
        np.zeros(2, np.int8),
        np.array([0.9, 0.1], np.float32),
        ident,
        0.9,
        0.35,
        0.0,
        0.1,
    )
    assert ident[0] < 0.5 < ident[1]
