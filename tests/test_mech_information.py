"""Mechanism 6: online visibility carries protest beyond the locality; a shutdown disperses
protest (Hassanpour 2014): a smaller share at the regions' focal sites and more localities
per protester."""

import numpy as np
from country_fixtures import PRICE_HIKE, run_hand, total


def test_online_signal_carries_protest_to_other_regions():
    on = run_hand()
    off = run_hand(params={"w_online": 0.0, "w_foreign_tv": 0.0})
    others = lambda r: total(r, "active", "KZ-75") + total(r, "active", "KZ-71")
    assert others(on) > others(off)


def test_shutdown_disperses_protest():
    """Shutdown from step 4 on, with the same seed and draws: during the shutdown the share
    of protesters at focal sites is lower and the number of localities per protester higher."""
    p = {"tau_mean": 0.25}
    shut = [PRICE_HIKE, {"id": "shutdown", "at": 4, "action": "internet", "params": {"level": 0.0}}]
    a = run_hand(params=p)
    b = run_hand(params=p, events=shut)
    days = slice(4, 9)
    assert b.series("focal_share")[days].mean() < a.series("focal_share")[days].mean()
    spread = lambda r: (
        r.series("sites_active")[days] / np.maximum(r.series("active")[days], 1)
    ).mean()
    assert spread(b) > spread(a)


def test_information_switch_off_removes_distant_channels():
    r = run_hand(params={"information_on": False})
    assert r.series("online").max() == 0.0
    assert total(r, "active", "KZ-75") <= total(run_hand(), "active", "KZ-75")
