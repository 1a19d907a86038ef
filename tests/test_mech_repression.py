"""Mechanism 4: scheduled release, arrest capacity, sweeps, and deaths under a shoot order."""

import numpy as np
from country_fixtures import PRICE_HIKE, run_hand, total

from tolqyn.core.random import Stream
from tolqyn.mechanisms.repression import release_arrest_kernel, release_kernel


def test_release_happens_at_the_scheduled_step():
    status = np.array([2, 2, 2, 1], np.int8)
    rel = np.array([3, 4, 5, 0], np.int32)
    release_kernel(status, rel, 4)
    assert status.tolist() == [0, 0, 2, 1]


def test_arrest_terms_within_bounds_and_probability_one_takes_all():
    n = 1000
    status = np.ones(n, np.int8)
    rel = np.zeros(n, np.int32)
    arrested = np.zeros(n, np.uint8)
    by_region, by_site = np.zeros(1, np.int64), np.zeros(1, np.int64)
    release_arrest_kernel(
        Stream(1, "arrest").key,
        7,
        status,
        np.zeros(n, np.int32),
        np.zeros(n, np.int16),
        np.zeros(n, np.uint8),
        np.array([1.0]),
        np.array([0.0]),
        2.0,
        15.0,
        1.0,
        rel,
        arrested,
        by_region,
        by_site,
    )
    assert (status == 2).all() and arrested.all()
    assert rel.min() >= 7 + 2 and rel.max() <= 7 + 15
    assert by_region[0] == n and by_site[0] == n


def test_arrests_within_capacity_and_off_switch():
    r = run_hand(params={"arrest_rate": 0.5, "sweep_rate": 0.0})
    assert total(r, "arrests") > 0
    off = run_hand(params={"repression_on": False})
    assert (
        total(off, "arrests") == 0
        and total(off, "deaths_civilian") == 0
        and total(off, "dead") == 0
    )


def test_shoot_order_kills_more():
    ev = [PRICE_HIKE, {"id": "shoot", "at": 3, "action": "shoot_order", "params": {"on": True}}]
    # every protester violent (θ_0 = 0): deaths come from confrontation, more under the order
    p = {"death_rate_violent": 0.01, "death_rate_shoot": 0.2, "violence_threshold": 0.0}
    calm = run_hand(params=p)
    shoot = run_hand(params=p, events=ev)
    assert (
        shoot.series("deaths_civilian_cumulative")[-1]
        > calm.series("deaths_civilian_cumulative")[-1]
    )


def test_sweeps_detain_past_participants_under_emergency():
    ev = [PRICE_HIKE, {"id": "em", "at": 4, "action": "emergency", "params": {"regions": "ALL"}}]
    no = run_hand(params={"sweep_rate": 0.0, "arrest_rate": 0.0}, events=ev)
    yes = run_hand(params={"sweep_rate": 0.5, "arrest_rate": 0.0}, events=ev)
    assert total(no, "arrests") == 0 < total(yes, "arrests")
