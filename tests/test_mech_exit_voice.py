"""Mechanism 10: exit drains voice and visible exit signals weakness."""
from country_fixtures import run_hand, total


def test_signal_channel_raises_voice():
    p = {"emigration_base": 3e-3}
    sig = run_hand(params={**p, "exit_signal_weight": 0.5})
    nosig = run_hand(params={**p, "exit_voice_on": False})
    assert total(sig, "active") > total(nosig, "active")


def test_drain_channel_lowers_voice():
    """Mass exit with the signal channel off: the emigrants are no longer there to protest."""
    drain = run_hand(params={"emigration_base": 0.05, "exit_voice_on": False})
    none = run_hand(params={"emigration_on": False, "exit_voice_on": False})
    assert total(drain, "emigrants") > 0
    assert total(drain, "active") < total(none, "active")
