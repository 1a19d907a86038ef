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


def test_pfaff_inverted_u_and_hirschman_seesaw():
    """Validation target 17 (docs/literature.md): with the signal and drain channels on, voice
    (protester-days, mean over two fixed seeds) first rises with the exit rate, then falls; with
    the signal channel off, exit only drains voice (Hirschman's 1970 seesaw)."""

    def voice(eb, **p):
        return (
            sum(
                total(
                    run_hand(
                        params={"emigration_base": eb, "exit_signal_weight": 0.3, **p}, seed=s
                    ),
                    "active",
                )
                for s in (1, 2)
            )
            / 2
        )

    low, mid, high = voice(0.0), voice(0.03), voice(0.15)
    assert mid > low and mid > high
    assert voice(0.03, exit_voice_on=False) < voice(0.0, exit_voice_on=False)
