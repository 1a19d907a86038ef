"""Mechanism 10: exit drains voice and visible exit signals weakness, but only exit above the
usual flow of the run's first step."""

from country_fixtures import PRICE_HIKE, run_hand, total


def exodus(base, at=2):
    """The price hike, and the hazard of leaving raised to `base` from step `at`: emigration
    above the usual (the first step's) flow."""
    return (PRICE_HIKE, {"at": at, "action": "set", "params": {"emigration_base": base}})


def test_signal_channel_raises_voice():
    sig = run_hand(params={"exit_signal_weight": 0.5}, events=exodus(3e-3))
    nosig = run_hand(params={"exit_voice_on": False}, events=exodus(3e-3))
    assert total(sig, "active") > total(nosig, "active")


def test_the_usual_flow_is_no_news():
    """The same mass emigration from the first step is the usual flow: it is no news, and the
    signal channel moves voice less than when that emigration arrives after the first step
    (the steady flow's excess is only its noise about the expectation, so the runs are
    compared, not asserted equal)."""

    def run(on, events):
        p = {"emigration_base": 3e-3, "exit_signal_weight": 0.5, "exit_voice_on": on}
        return run_hand(params=p, events=events)

    steady_on, steady_off = run(True, (PRICE_HIKE,)), run(False, (PRICE_HIKE,))
    rise_on, rise_off = (
        run_hand(params={"exit_signal_weight": 0.5}, events=exodus(3e-3)),
        run_hand(params={"exit_signal_weight": 0.5, "exit_voice_on": False}, events=exodus(3e-3)),
    )
    steady = abs(total(steady_on, "active") - total(steady_off, "active"))
    rise = total(rise_on, "active") - total(rise_off, "active")
    assert rise > 0 and steady < rise


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
                    run_hand(params={"exit_signal_weight": 0.3, **p}, events=exodus(eb), seed=s),
                    "active",
                )
                for s in (1, 2)
            )
            / 2
        )

    low, mid, high = voice(0.0), voice(0.03), voice(0.15)
    assert mid > low and mid > high
    assert voice(0.03, exit_voice_on=False) < voice(0.0, exit_voice_on=False)
