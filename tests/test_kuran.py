"""Kuran's preference falsification: the ten-person example, the threshold derivation,
the thaw/freeze hysteresis, network range (Makowsky & Rubin 2013), CRN and input errors."""

import numpy as np
import pytest

from tolqyn import run_one
from tolqyn.core.errors import ScenarioError, UnknownParamError
from tolqyn.models.thresholds.kuran import (
    kuran_equilibrium,
    preferences_from_thresholds,
    thresholds_from_preferences,
)
from tolqyn.scenarios.loader import from_dict, load_scenario

TEN = [0.0, 0.2, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0]
TEN_CHANGED = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0]


# ------------------------------------------------------------------ exact cases
def test_ten_person_example_pure():
    assert kuran_equilibrium(TEN) == 1
    assert kuran_equilibrium(TEN_CHANGED) == 9
    # percent written as shares compare exactly with k/N (0.3 == 3/10 up to rounding)
    assert kuran_equilibrium([0.0, 0.1, 0.2, 0.3]) == 4
    with pytest.raises(ValueError, match=">= 0"):
        kuran_equilibrium([0.1, -0.2])


def test_ten_person_builtin_one_of_ten():
    r = run_one("kuran/ten-person")
    np.testing.assert_array_equal(r.series("public_opposition"), [0, 1])
    assert r.series("active")[-1] == 1 and r.series("quiet")[-1] == 9
    assert r.series("public_share")[-1] == pytest.approx(0.1)
    # preferences inferred at repression 0.2, kappa 0.5: x = 0.85 - T/2, opposed iff T < 0.7
    assert r.series("private_opposition")[-1] == 7
    assert r.series("falsifiers")[-1] == 6


def test_ten_person_one_change_nine_of_ten():
    r = run_one("kuran/ten-person-one-change")
    np.testing.assert_array_equal(r.series("public_opposition"), np.arange(10))
    assert r.series("public_share")[-1] == pytest.approx(0.9)
    # the two supporters with thresholds 0.7 and 0.8 now falsify the other way
    assert r.series("falsifiers")[-1] == 2


def test_explicit_preferences_set_private_opposition():
    x = [0.9, 0.9, 0.1, 0.1, 0.6, 0.6, 0.6, 0.6, 0.4, 0.2]
    sc = from_dict({"model": "kuran", "params": {"thresholds": TEN, "preferences": x}})
    r = run_one(sc)
    assert r.series("private_opposition")[-1] == 6
    assert r.series("public_opposition")[-1] == 1


# ------------------------------------------------------------------ threshold derivation
def test_derived_thresholds_follow_the_payoffs():
    x = np.linspace(0, 1, 101)
    t = thresholds_from_preferences(x, 0.2, 0.5)
    assert np.all(np.diff(t) <= 0), "stronger private opposition, lower threshold"
    assert np.all(thresholds_from_preferences(x, 0.4, 0.5) >= t), "repression raises thresholds"
    assert t.min() == 0.0
    # integrity + reputation - punishment = 0 exactly at S = T for interior thresholds
    inner = t > 0
    lhs = (2 * x[inner] - 1) + 0.5 * (2 * t[inner] - 1) - 0.2
    np.testing.assert_allclose(lhs, 0.0, atol=1e-12)
    np.testing.assert_allclose(
        preferences_from_thresholds(t[inner], 0.2, 0.5), x[inner], atol=1e-12
    )


def test_thaw_freeze_crackdown_shows_falsification_and_hysteresis():
    """Derived thresholds, deterministic quantile preferences (79 % privately opposed)."""
    r = run_one("kuran/thaw")
    pub = r.series("public_opposition")
    priv = r.series("private_opposition")
    assert priv[0] == pytest.approx(7880, abs=1)
    assert pub[19] < 0.05 * 10_000, "under repression 0.2 almost everyone falsifies"
    assert r.series("falsifiers")[19] > 7000
    assert pub[59] > 0.9 * 10_000, "the thaw (0.1) sets off a cascade"
    assert pub[89] > 0.9 * 10_000, "back at 0.2 the public majority holds: hysteresis"
    assert pub[-1] < 0.05 * 10_000, "a harder crackdown (0.3) silences it"
    # same repression (0.2), opposite outcomes, depending on history
    assert pub[89] - pub[19] > 8000
    # after the cascade, supporters falsify in the other direction
    assert r.series("falsifiers")[59] > 1500 and pub[59] > priv[59]


def test_repression_tipping_is_sharp():
    """Lowering repression in equal steps: the equilibrium public share moves little, then
    jumps (Kuran's 'unanticipated revolution')."""
    rhos = np.round(np.arange(0.05, 0.31, 0.025), 3)
    shares = np.array(
        [
            run_one(
                from_dict(
                    {
                        "model": "kuran",
                        "steps": 500,
                        "params": {"n_agents": 5000, "repression": float(rho)},
                    }
                )
            ).series("public_share")[-1]
            for rho in rhos
        ]
    )
    assert np.all(np.diff(shares) <= 1e-12), "more repression never raises public dissent"
    assert np.max(-np.diff(shares)) > 0.8, "one small step of repression flips the outcome"


# ------------------------------------------------------------------ networks
def test_network_range_reduces_falsification():
    """Makowsky & Rubin (2013): the longer the range of communication, the more of the
    private opposition shows. Each configuration is averaged over 2 seeds. Over 6 other
    seeds (10-15) the per-seed results of neighbouring ranges never overlapped (ring range 1:
    1713-1945, range 5: 2823-3305, range 20: 6459-8351, national share: 9907 of 10,000),
    the closest pair being 878 people apart."""

    def public(**net):
        sc = from_dict(
            {
                "model": "kuran",
                "steps": 2000,
                "params": {"n_agents": 10_000, "repression": 0.1, **net},
            }
        )
        return np.mean([run_one(sc, seed=s).series("public_opposition")[-1] for s in (0, 1)])

    ring1 = public(network="ring", network_range=1)
    ring5 = public(network="ring", network_range=5)
    ring20 = public(network="ring", network_range=20)
    national = public(network="none")
    assert ring1 < ring5 < ring20 < national
    assert national > 0.9 * 10_000 and ring1 < 0.3 * 10_000


def test_broadcast_weight_one_equals_national_share():
    base = {"n_agents": 2000, "repression": 0.12, "network": "erdos_renyi", "mean_degree": 4.0}
    net = run_one(
        from_dict({"model": "kuran", "params": {**base, "broadcast_weight": 1.0}}), seed=2
    )
    nat = run_one(from_dict({"model": "kuran", "params": {**base, "network": "none"}}), seed=2)
    np.testing.assert_array_equal(net.series("public_opposition"), nat.series("public_opposition"))


# ------------------------------------------------------------------ CRN
def test_same_seed_same_result():
    sc = load_scenario("kuran/network-range", overrides={"sampling": "random", "n_agents": 3000})
    a, b = run_one(sc, seed=4), run_one(sc, seed=4)
    for k in ("step", "metric", "value"):
        np.testing.assert_array_equal(a.columns[k], b.columns[k])
    c = run_one(sc, seed=5)
    assert not np.array_equal(a.series("public_opposition"), c.series("public_opposition"))


# ------------------------------------------------------------------ bad input
def test_bad_input_is_refused_clearly():
    with pytest.raises(ScenarioError, match=r"field 'thresholds'.*-0.1 is below the minimum"):
        from_dict({"model": "kuran", "params": {"thresholds": [0.0, -0.1]}})
    with pytest.raises(ScenarioError, match=r"field 'preferences'.*above the maximum"):
        from_dict({"model": "kuran", "params": {"preferences": [0.5, 1.2]}})
    with pytest.raises(UnknownParamError, match="did you mean 'repression'"):
        from_dict({"model": "kuran", "params": {"represion": 0.1}})
    with pytest.raises(ScenarioError, match="'preferences' has 3 entries but 'thresholds' has 10"):
        run_one(
            from_dict(
                {"model": "kuran", "params": {"thresholds": TEN, "preferences": [0.1, 0.2, 0.3]}}
            )
        )
    with pytest.raises(ScenarioError, match="network_range = 6 needs more than 12 people"):
        run_one(
            from_dict(
                {
                    "model": "kuran",
                    "params": {"thresholds": TEN, "network": "ring", "network_range": 6},
                }
            )
        )
    with pytest.raises(ScenarioError, match="'network' sets up the initial population"):
        run_one(from_dict({"model": "kuran", "events": [{"at": 2, "params": {"network": "ring"}}]}))
