"""Where the engine finds models by name. The engine knows no model: the model layer
(`tolqyn.models`) registers its built-ins here, and a user's package can register its own
with `register_model`. Entries are "module:Class" strings, imported on first use, so that
listing scenarios stays fast and a model's dependencies load only when it runs."""

from __future__ import annotations

import functools
import importlib
from importlib import metadata

from tolqyn.core.errors import UnknownParamError

MODELS: dict[str, str] = {}


@functools.cache
def package_version() -> str:
    """The installed distribution's version: one place (pyproject.toml), read from metadata
    (once per process: reading it costs milliseconds, paid by every run's manifest)."""
    try:
        return metadata.version("tolqyn")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def register_model(name: str, target: str) -> None:
    """Register a model class by "package.module:Class" (imported lazily)."""
    if ":" not in target:
        raise ValueError(f"model target must be 'module:Class', got {target!r}")
    MODELS[name] = target


def get_model(name: str, source: str | None = None):
    if name not in MODELS:
        raise UnknownParamError(name, MODELS, source=source, what="model")
    mod, _, cls = MODELS[name].partition(":")
    return getattr(importlib.import_module(mod), cls)


def all_param_specs(model_cls) -> dict:
    """The parameters of a model: its own declarations, then its modules'."""
    from tolqyn.core.params import collect_specs

    class _Own:
        name = model_cls.name
        define_params = model_cls.define_params

    specs = collect_specs([_Own])
    specs.update(
        {k: v for k, v in collect_specs(model_cls.module_classes()).items() if k not in specs}
    )
    return specs
