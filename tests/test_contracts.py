"""The contracts where the country model's modules meet (models/country/contract.py): the
declarations match what each module's code touches, a model missing a provider fails at
set-up, and a validated run carries exactly the declared fields."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from country_fixtures import HandCountry, run_hand
from exit_fixtures import run_exit

from tolqyn.core.errors import ScenarioError
from tolqyn.models.country import contract
from tolqyn.models.country.model import CountryModel
from tolqyn.models.exit.model import ExitModel

MODELS = (CountryModel, ExitModel)


def _is_cs(node):
    return (isinstance(node, ast.Name) and node.id == "cs") or (
        isinstance(node, ast.Attribute)
        and node.attr == "country"
        and isinstance(node.value, ast.Name)
        and node.value.id == "sim"
    )


def _is_params(node):
    return (isinstance(node, ast.Name) and node.id in ("p", "params")) or (
        isinstance(node, ast.Attribute) and node.attr == "params"
    )


def _touched(cls):
    """Country fields and parameters named in the source file of a module class; getattr or
    hasattr on the country state (a default instead of a provider) is collected apart."""
    tree = ast.parse(Path(inspect.getsourcefile(cls)).read_text())
    fields, params, defaults = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_cs(node.value):
            fields.add(node.attr)
        elif isinstance(node, ast.Subscript) and _is_params(node.value):
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                params.add(node.slice.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("getattr", "hasattr", "setattr") and node.args:
                if _is_cs(node.args[0]):
                    defaults.add(ast.unparse(node))
    methods = {n for n in vars(type("X", (), {})) if not n.startswith("__")}
    methods |= {"region_index", "region_mask"}
    return fields - methods, params, defaults


def _modules(model):
    return [cls() for cls in model.module_classes()]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_each_module_declares_what_it_takes_from_others(model):
    modules = _modules(model)
    model_params = {p.name for p in model.define_params()}
    for m in modules:
        fields, params, defaults = _touched(type(m))
        assert not defaults, f"{m.name} reads a default instead of a provider: {defaults}"
        own = {f.name for f in contract.FIELDS if f.provider in (m.name, "setup")}
        undeclared = fields - own - set(contract.USES.get(m.name, contract.Uses()).fields)
        assert not undeclared, f"module {m.name} uses undeclared fields {sorted(undeclared)}"
        unknown = fields - set(contract.BY_NAME)
        assert not unknown, f"module {m.name}: fields missing from contract.FIELDS {unknown}"
        own_params = {p.name for p in type(m).define_params()}
        cross = params - own_params - model_params
        declared = set(contract.USES.get(m.name, contract.Uses()).params)
        assert cross == declared, f"module {m.name}: reads {sorted(cross)}, declared {declared}"


def test_declarations_are_not_stale():
    """Every declared use is in the code, and every field a module provides is used (a field
    written and never read has no place in the contract)."""
    touched = {}
    for model in MODELS:
        for m in _modules(model):
            touched.setdefault(m.name, set()).update(_touched(type(m))[0])
    for name, uses in contract.USES.items():
        assert name in touched, f"USES names a module no model has: {name}"
        stale = set(uses.fields) - touched[name]
        assert not stale, f"module {name} declares fields it does not use: {stale}"
    for f in contract.FIELDS:
        if f.provider == "setup":
            continue
        users = [n for n, fs in touched.items() if f.name in fs]
        assert f.provider in users, f"{f.name}: provider {f.provider} never touches it"
    for f in contract.FIELDS:
        assert f.shape in contract.SHAPES


class _NoBandwagon(HandCountry):
    name = "country-hand-no-bandwagon"

    @classmethod
    def module_classes(cls, params=None):
        return tuple(c for c in HandCountry.module_classes() if c.name != "bandwagon")


def test_a_model_missing_a_provider_fails_at_set_up():
    from tolqyn import models
    from tolqyn.core.sim import Sim
    from tolqyn.scenarios.loader import from_dict

    models.MODELS.setdefault(_NoBandwagon.name, "test_contracts:_NoBandwagon")
    scenario = from_dict({"model": _NoBandwagon.name, "steps": 2, "seed": 1}, name="partial")
    with pytest.raises(ScenarioError) as err:
        Sim(scenario).init()
    msg = str(err.value)
    assert "'protest'" in msg and "'site_willing'" in msg and "'bandwagon'" in msg


def test_a_parameter_of_a_missing_module_fails_at_set_up():
    # the exchange-rate history sets the economy module's exchange_rate
    modules = [m for m in _modules(ExitModel) if m.name in ("population", "fx_history")]
    with pytest.raises(ScenarioError, match="'fx_history' reads the parameter 'exchange_rate'"):
        contract.check_providers(modules, "partial")


def test_validated_runs_carry_exactly_the_declared_fields():
    # validating mode calls contract.check_fields after set-up and after every step
    run_hand(steps=4, validate=True)
    run_exit(steps=3, validate=True)


def test_check_fields_names_an_undeclared_field():
    from country_fixtures import make_sim

    sim = make_sim(steps=1).init()
    sim.country.scratch = 1.0
    with pytest.raises(ScenarioError, match="undeclared country fields: scratch"):
        contract.check_fields(sim.country, sim.modules)
