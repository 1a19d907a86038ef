"""Named alternative structures: scenario-level switches that say *how* a mechanism carrying a
counterfactual acts, so that which reading the data support is a question for the calibration
over structures (tolqyn.experiments.structures), not an assumption of the model.

Each switch is a choice parameter declared by the mechanism it belongs to; each value names
the channels through which the mechanism acts. A channel that a structure leaves out does not
act at all (its parameters are then not identified and a calibration does not free them).

blackout_structure (mechanism 6, `information`): the channels a blackout (ω < 1) reaches.
    coordination   it removes the distant online signal of protest elsewhere and the crowd
                   coordination of called gatherings (κ_on): mobilisation falls
    dispersion     it removes the coordination on the focal site (protest disperses into
                   more localities), sends people to seek information in person (β_in) and
                   lowers the threshold of violent tactics (b_ω); the news of protest
                   elsewhere still travels (phone, word of mouth) (Hassanpour 2014;
                   Rydzak 2019; Gohdes 2015)
    both           all of these (the model before the switch existed)

troops_structure (mechanisms 2, 5b, 7: `protest`, `security`, `legitimacy`): how foreign
troops act.
    street         they add street forces (τ per soldier at their sites)
    signal         they tell the security forces that the regime will survive (β_F)
    legitimacy     their arrival costs (or, for those identifying with the ally, gains) the
                   regime legitimacy (c_troops, g_troops)
    all            all three

ending_structure (mechanism 14, `demobilisation`): which of the competing ending mechanisms
are at work (each also keeps its own switch: a mechanism acts when its switch is on *and* the
structure includes it).
    exhaustion     fatigue and the arrest of organisers: the wave burns itself out
                   (Tarrow 1998; Siegel 2011)
    repression     the fear of killing and the curfew: it is stopped by force
                   (Davenport 2007; Lichbach 1987)
    all            all four
"""

from __future__ import annotations

BLACKOUT = {
    "coordination": ("signal", "coordination"),
    "dispersion": ("focal", "inperson", "violence"),
    "both": ("signal", "coordination", "focal", "inperson", "violence"),
}
TROOPS = {
    "street": ("street",),
    "signal": ("signal",),
    "legitimacy": ("legitimacy",),
    "all": ("street", "signal", "legitimacy"),
}
ENDING = {
    "exhaustion": ("fatigue", "organisers"),
    "repression": ("lethal_fear", "curfew"),
    "all": ("fatigue", "organisers", "lethal_fear", "curfew"),
}
# switch parameter -> {value: channels}
SWITCHES = {
    "blackout_structure": BLACKOUT,
    "troops_structure": TROOPS,
    "ending_structure": ENDING,
}
# the parameters through which each channel acts (a calibration frees them only in the
# structures that have the channel)
CHANNEL_PARAMS = {
    ("blackout_structure", "signal"): (),
    ("blackout_structure", "coordination"): ("coordination_online",),
    ("blackout_structure", "focal"): ("focal_share_online",),
    ("blackout_structure", "inperson"): ("inperson_boost",),
    ("blackout_structure", "violence"): ("violence_blackout",),
    ("troops_structure", "street"): ("troops_street_factor",),
    ("troops_structure", "signal"): ("obey_foreign",),
    ("troops_structure", "legitimacy"): ("troops_legit_cost", "troops_legit_gain"),
    ("ending_structure", "fatigue"): ("fatigue_weight", "fatigue_days"),
    ("ending_structure", "organisers"): ("organisers_weight",),
    ("ending_structure", "lethal_fear"): ("lethal_fear_weight", "lethal_fear_half"),
    ("ending_structure", "curfew"): ("curfew_risk",),
}

CITE_BLACKOUT = "Hassanpour 2014; Rydzak 2019; Gohdes 2015"
CITE_TROOPS = "Barany 2016; docs/literature.md §8.3; security_forces.csv"
CITE_ENDING = "Tarrow 1998; Koopmans 1993; Siegel 2011; Davenport 2007"


# The callers pass the switch's value (p["blackout_structure"]), so that each module's
# source names the parameters it reads (models/country/contract.py checks them).
def blackout_online(structure: str, online: float, channel: str) -> float:
    """The internet state ω that one channel sees: the real one where the blackout structure
    reaches the channel, 1 (as if up) where it does not."""
    return float(online) if channel in BLACKOUT[structure] else 1.0


def troops_act(structure: str, channel: str) -> bool:
    return channel in TROOPS[structure]


def ending_acts(structure: str, mechanism: str) -> bool:
    return mechanism in ENDING[structure]


def structure_params(values: dict) -> tuple:
    """The parameters that act only through channels of this structure ({switch: value})."""
    out = []
    for switch, value in values.items():
        for ch in SWITCHES[switch][value]:
            out.extend(CHANNEL_PARAMS.get((switch, ch), ()))
    return tuple(dict.fromkeys(out))


def channel_params() -> set:
    """Every parameter that belongs to some structure's channel."""
    return {p for ps in CHANNEL_PARAMS.values() for p in ps}
