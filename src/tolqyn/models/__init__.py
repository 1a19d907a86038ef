"""The models, one folder each: `epstein/` (civil violence, 2002), `thresholds/` (Granovetter,
Kuran, Watts), `country/` (the country model of docs/odd/country.md), `exit/` (the country model
over years). Importing this package registers them with the engine (`tolqyn.core.registry`);
shared country mechanisms live in `tolqyn.mechanisms`."""

from __future__ import annotations

from tolqyn.core.registry import MODELS, all_param_specs, get_model, register_model

BUILTIN = {
    "epstein": "tolqyn.models.epstein.model:EpsteinModel",
    "granovetter": "tolqyn.models.thresholds.granovetter:GranovetterModel",
    "kuran": "tolqyn.models.thresholds.kuran:KuranModel",
    "watts": "tolqyn.models.thresholds.watts:WattsModel",
    "country": "tolqyn.models.country.model:CountryModel",
    "country_exit": "tolqyn.models.exit.model:ExitModel",
}
for _name, _target in BUILTIN.items():
    register_model(_name, _target)

__all__ = ["MODELS", "BUILTIN", "all_param_specs", "get_model", "register_model"]
