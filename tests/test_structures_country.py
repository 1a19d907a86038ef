"""The named alternative structures of the country model (mechanisms/structures.py):
exact where a structure removes a channel, directional on the flagship with common random
numbers (same seed, one structure changed; every seed must agree)."""

from dataclasses import replace

import numpy as np
import pytest
from country_fixtures import jan

from tolqyn.core.errors import ScenarioError
from tolqyn.mechanisms.structures import SWITCHES, blackout_online, structure_params

SEEDS = (2022, 1)


def _run(overrides=None, remove=(), seed=2022):
    import tolqyn
    from tolqyn.scenarios.loader import load_scenario

    sc = load_scenario("kazakhstan-2022", overrides={"scale": 400.0, **(overrides or {})})
    sc = replace(sc, events=tuple(e for e in sc.events if e.get("id") not in remove))
    return tolqyn.run_one(sc, seed, steps=14 + 12)  # two quiet weeks, then 1-12 Jan


def test_each_channel_sees_the_blackout_only_in_its_structures():
    for structure, chans in SWITCHES["blackout_structure"].items():
        for ch in ("signal", "coordination", "focal", "inperson", "violence"):
            assert blackout_online(structure, 0.0, ch) == (0.0 if ch in chans else 1.0)
    own = structure_params({"blackout_structure": "coordination", "ending_structure": "all"})
    assert "inperson_boost" not in own and "coordination_online" in own
    assert "lethal_fear_weight" in own and "fatigue_weight" in own


def test_an_unknown_structure_is_refused_with_the_choices():
    from tolqyn.scenarios.loader import load_scenario

    with pytest.raises(ScenarioError, match="coordination"):
        load_scenario("kazakhstan-2022", overrides={"blackout_structure": "dispersal"})


@pytest.mark.parametrize("seed", SEEDS)
def test_the_blackout_structures_give_opposite_readings(seed):
    """coordination: the shutdown lowers protest; dispersion: it spreads protest over more
    localities and raises violence."""
    coord = _run({"blackout_structure": "coordination"}, seed=seed)
    coord_on = _run({"blackout_structure": "coordination"}, ("shutdown",), seed)
    assert jan(coord, "active", 5, 11).sum() < jan(coord_on, "active", 5, 11).sum()
    disp = _run({"blackout_structure": "dispersion"}, seed=seed)
    disp_on = _run({"blackout_structure": "dispersion"}, ("shutdown",), seed)
    assert jan(disp, "sites_active", 6, 11).mean() > jan(disp_on, "sites_active", 6, 11).mean()
    assert jan(disp, "violent", 5, 11).sum() > jan(disp_on, "violent", 5, 11).sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_troops_act_only_through_their_structure(seed):
    street = _run({"troops_structure": "street"}, seed=seed)
    signal = _run({"troops_structure": "signal"}, seed=seed)
    legit = _run({"troops_structure": "legitimacy"}, seed=seed)
    assert jan(signal, "obedience", 6, 11).mean() > jan(street, "obedience", 6, 11).mean()
    assert (
        jan(legit, "legitimacy_mean", 7, 11).mean() < jan(street, "legitimacy_mean", 7, 11).mean()
    )


def test_ending_structures_switch_their_mechanisms_off_exactly():
    exh = _run({"ending_structure": "exhaustion"})
    rep = _run({"ending_structure": "repression"})
    for m in ("ending_lethal_fear", "ending_curfew"):
        assert np.all(exh.series(m) == 0.0) and rep.series(m).max() > 0.0
    for m in ("ending_fatigue", "ending_organisers"):
        assert np.all(rep.series(m) == 0.0) and exh.series(m).max() > 0.0
    both = _run({"ending_structure": "all"})
    # with all four at work the wave after the peak is smaller than with either half
    after = jan(both, "active", 6, 11).sum()
    assert after < jan(exh, "active", 6, 11).sum()
    assert after < jan(rep, "active", 6, 11).sum()
