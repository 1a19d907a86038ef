"""Readings of Epstein (2002) used by the replication study: wait definitions, the tail test,
the Model II switches, and the report's comparison with the paper."""

import numpy as np
import pytest

import tolqyn
from tolqyn.analysis.outbursts import jailed_at_ends, merged_spans, tail_fit, waits
from tolqyn.report_epstein import gaps, largest_outburst_peak


def test_wait_definitions_exact():
    a = np.array([0, 60, 70, 10, 0, 0, 51, 52, 53, 0, 49, 100, 0, 0, 0, 0, 0, 0, 80])
    # spans (1,3), (6,9), (11,12), (18,19)
    assert waits(a).tolist() == [3, 2, 6]
    assert waits(a, definition="start_start").tolist() == [5, 5, 7]
    assert waits(a, definition="peak_peak").tolist() == [6, 3, 7]
    assert merged_spans(a, merge_below=3) == [(1, 3), (6, 12), (18, 19)]
    assert waits(a, merge_below=3).tolist() == [3, 6]
    with pytest.raises(ValueError, match="start_start"):
        waits(a, definition="start-start")
    ends, nxt = jailed_at_ends(a, np.arange(a.size))
    assert ends.tolist() == [2, 8, 11] and nxt.tolist() == [3, 2, 6]


def test_tail_fit_accepts_an_exponential_and_rejects_a_regular_wait():
    """Statistical, fixed seed: 400 waits of 30 + Exp(mean 20) pass the KS test (a false
    failure at alpha 0.01 would have probability 0.01 over seeds; this seed is fixed) and give a
    rate near 1/20; evenly spread waits 30..40 are rejected."""
    rng = np.random.default_rng(5)
    w = 30 + rng.exponential(20.0, 400)
    f = tail_fit(np.floor(w))
    assert f["n_tail"] == 400 and f["ks_p"] > 0.01
    assert 1 / 24 < f["exp_rate"] < 1 / 16 and f["slope"] < 0
    g = tail_fit(np.tile(np.arange(30, 41), 40))
    assert g["ks_p"] < 1e-6


def test_model2_switches_run_and_keep_invariants():
    kw = {"width": 20, "height": 20, "legitimacy": 0.5, "max_age": 40, "cop_density": 0.0}
    base = tolqyn.run_one("epstein-2002/run-7", seed=3, steps=80, overrides=kw, validate=True)
    for extra in ({"death_age": "uniform"}, {"age_in_jail": False}, {"after_kill": "quiet"}):
        r = tolqyn.run_one(
            "epstein-2002/run-7", seed=3, steps=80, overrides={**kw, **extra}, validate=True
        )
        assert r.series("births").sum() > 0
    # uniform death ages: deaths come earlier on average than at a fixed age of 40, so in the
    # first 40 periods (before any fixed-age citizen can die) some die only under 'uniform'
    u = tolqyn.run_one(
        "epstein-2002/run-6", seed=3, steps=30, overrides={**kw, "death_age": "uniform"}
    )
    f = tolqyn.run_one("epstein-2002/run-6", seed=3, steps=30, overrides=kw)
    assert u.series("deaths").sum() > f.series("deaths").sum()
    # after a kill the killer is quiet: actives at the end of a period are never killers, so
    # the killings per period can exceed the actives; with 'active' killers stay active
    q = tolqyn.run_one(
        "epstein-2002/run-7", seed=3, steps=80, overrides={**kw, "after_kill": "quiet"}
    )
    assert q.series("killed").sum() > 0
    assert not np.array_equal(q.series("active"), base.series("active"))


def test_gap_flags_against_the_paper():
    a = np.zeros(400)
    for s in range(10, 400, 40):  # outbursts of 3 steps x 100 actives, waits of 37
        a[s : s + 3] = 100
    rows = {r[0]: r for r in gaps(a)}
    assert rows["mean waiting time"][1] == "37.0" and rows["mean waiting time"][3] == "GAP: -38 %"
    assert rows["mean activation per outburst"][3] == "GAP: -58 %"
    assert largest_outburst_peak(a) == 10
    b = np.zeros(400)
    for s in range(10, 400, 62):
        b[s : s + 7] = 100
    assert {r[0]: r for r in gaps(b)}["mean waiting time"][3] == "within 20 %"
