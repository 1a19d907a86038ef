"""The exit model: the country model (all eleven mechanisms, docs/odd/country.md) plus the
mechanisms that matter over years (docs/odd/exit.md): the media diet following internet
adoption, the exchange-rate series, legitimacy drift with the corruption index, the emigration
hazard with a cost of leaving and the ebbing post-Soviet wave, destination choice,
elections that can replace a government (mechanism 12), the press with its voices in exile,
and court cases carried by the media (all three off in the replay).

It is a separate model (`model = "country_exit"`) so that the day-scale scenarios
(kazakhstan-2022) keep their parameters, hashes and results."""

from __future__ import annotations

from tolqyn.models.country.model import CountryModel, _mechanism_classes


def exit_module_classes():
    from tolqyn.mechanisms.elections import Elections
    from tolqyn.mechanisms.emigration import Emigration
    from tolqyn.models.exit.accountability import Accountability
    from tolqyn.models.exit.corruption import CorruptionDrift
    from tolqyn.models.exit.courts import Courts
    from tolqyn.models.exit.destinations import Destinations
    from tolqyn.models.exit.diaspora import Diaspora
    from tolqyn.models.exit.exit_hazard import ExitEmigration
    from tolqyn.models.exit.fx_history import FxHistory
    from tolqyn.models.exit.media_history import MediaHistory
    from tolqyn.models.exit.press import Press

    base = list(_mechanism_classes())
    # the diet must be set before legitimacy and identity initialise from it, and the
    # exchange rate and slants before the economy and legitimacy modules read them; elections
    # move the corruption index before the slants are drifted from it, and the press and the
    # court cases shift the slants after the drift has set them
    out = [base[0], MediaHistory, FxHistory, Accountability, CorruptionDrift, Press, Courts]
    for cls in base[1:]:
        if cls is Elections:
            continue  # Accountability is the election mechanism here (a subclass of it)
        out.append(ExitEmigration if cls is Emigration else cls)
    out.append(Destinations)
    out.append(Diaspora)  # after legitimacy: the voice from abroad acts on this step's L
    return tuple(out)


class ExitModel(CountryModel):
    """Kazakhstan over years: emigration, identity, media and economic shocks."""

    name = "country_exit"
    doc = __doc__

    @classmethod
    def module_classes(cls, params=None):
        return exit_module_classes()
