"""Emigrants' online voice towards home (models/exit/diaspora.py; docs/odd/exit.md §7.10)."""

from __future__ import annotations

import numpy as np
import pytest
from exit_fixtures import make_exit_sim

from tolqyn.models.exit.diaspora import diaspora_kernel

MASS_EXIT = {"emigration_base": 2e-3}


def _series(res, metric):
    c = res.columns
    return c["value"][(c["metric"] == metric) & (c["region"] == "ALL")]


def test_kernel_exact():
    """Citizen 0 (online) has 2 of 4 contacts abroad, citizen 1 (state TV, reach 0.25) 1 of 2,
    citizen 2 (emigrated) and citizen 3 (no contacts abroad) are untouched."""
    status = np.array([0, 1, 3, 0, 3, 0], dtype=np.int8)
    indptr = np.array([0, 4, 6, 6, 7, 7, 7])
    indices = np.array([2, 3, 4, 5, 2, 0, 5])
    media = np.array([2, 0, 2, 2, 2, 2], dtype=np.int8)
    access = np.array([0.25, 0.35, 1.0])
    legit = np.full(6, 0.6, dtype=np.float32)
    heard = np.zeros(6)
    diaspora_kernel(status, indptr, indices, media, access, legit, 0.1, heard)
    assert heard[:4] == pytest.approx([0.5, 0.5, 0.0, 0.0])
    assert legit[0] == pytest.approx(0.6 * (1 - 0.1 * 1.0 * 0.5), rel=1e-6)
    assert legit[1] == pytest.approx(0.6 * (1 - 0.1 * 0.25 * 0.5), rel=1e-6)
    assert legit[2] == legit[3] == pytest.approx(0.6)


def test_silent_by_default_and_zero_voice_changes_nothing():
    a = make_exit_sim(steps=12, params=MASS_EXIT).run()
    b = make_exit_sim(steps=12, params={**MASS_EXIT, "diaspora_voice": 0.0}).run()
    for m in ("emigrants", "legitimacy_mean", "active"):
        assert np.array_equal(_series(a, m), _series(b, m), equal_nan=True)
    # the stock of ties abroad grows with emigration whether or not it speaks
    share = _series(a, "contacts_abroad_share")
    assert share[-1] > share[0] >= 0.0


def test_a_voice_from_abroad_lowers_legitimacy_at_home():
    """Directional, exact in sign: the same draws with emigrants speaking home end with a lower
    mean legitimacy, and no emigration means no voice (identical runs)."""
    silent = make_exit_sim(steps=12, params=MASS_EXIT).run()
    loud = make_exit_sim(steps=12, params={**MASS_EXIT, "diaspora_voice": 0.01}).run()
    assert _series(loud, "legitimacy_mean")[-1] < _series(silent, "legitimacy_mean")[-1]
    stay = {"emigration_on": False}
    a = make_exit_sim(steps=6, params=stay).run()
    b = make_exit_sim(steps=6, params={**stay, "diaspora_voice": 0.01}).run()
    assert np.array_equal(_series(a, "legitimacy_mean"), _series(b, "legitimacy_mean"))


def test_the_diaspora_question_pairs_speaking_with_silent():
    from tolqyn.exit_decade.institutions import lever_variants
    from tolqyn.models.exit.diaspora import PRIOR_RANGES

    post = [{"emigration_base": 1e-7}, {"emigration_base": 2e-7}]
    variants, draws = lever_variants("diaspora", post)
    assert set(variants) == {"baseline", "emigrants silent towards home"}
    assert variants["emigrants silent towards home"][0] == {"diaspora_voice": 0.0}
    lo, hi = PRIOR_RANGES["diaspora_voice"]
    assert all(lo <= d["diaspora_voice"] <= hi for d in draws)
    assert [d["emigration_base"] for d in draws] == [1e-7, 2e-7]
