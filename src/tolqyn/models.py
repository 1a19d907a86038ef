"""Registry of models, imported lazily so that `tolqyn list` stays fast and a model's heavy
dependencies load only when it runs."""
from __future__ import annotations

import importlib

from tolqyn.core.errors import UnknownParamError

MODELS = {
    "epstein": "tolqyn.mechanisms.epstein:EpsteinModel",
    "granovetter": "tolqyn.mechanisms.threshold:GranovetterModel",
    "kuran": "tolqyn.mechanisms.falsification:KuranModel",
    "watts": "tolqyn.mechanisms.cascade:WattsModel",
    "country": "tolqyn.country:CountryModel",
    "country_exit": "tolqyn.exit_decade.model:ExitModel",
}


def get_model(name: str, source: str | None = None):
    if name not in MODELS:
        raise UnknownParamError(name, MODELS, source=source, what="model")
    mod, _, cls = MODELS[name].partition(":")
    return getattr(importlib.import_module(mod), cls)


def all_param_specs(model_cls) -> dict:
    from tolqyn.core.params import Param, collect_specs

    class _Own:
        name = model_cls.name
        define_params = model_cls.define_params
    specs = collect_specs([_Own])
    specs.update({k: v for k, v in collect_specs(model_cls.module_classes()).items() if k not in specs})
    return specs
