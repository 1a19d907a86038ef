"""The Module base class: one module per mechanism, one fixed set of hook names.

Hooks (all optional, never renamed):
    define_params()   classmethod -> list[Param]      parameters, declared once
    define_states()   -> list[State]                  population columns this module owns
    define_results()  -> list[Result]                 result series this module fills
    init(sim)         after the population exists, before step 1
    step(sim, phase)  once per step in each phase listed in `phases`
    check(sim)        invariants, called every step in validating mode
    finalize(sim)     after the last step
"""

from __future__ import annotations

from typing import ClassVar

PHASES = (
    "start",
    "exogenous",
    "channels",
    "perceive",
    "decide",
    "respond",
    "consequences",
    "record",
    "finish",
)


class Module:
    name: ClassVar[str] = "module"
    phases: ClassVar[tuple[str, ...]] = ()
    actions: ClassVar[tuple[str, ...]] = ()  # timeline event actions this module handles
    # the parameters of each action (tolqyn.core.timeline.Arg), checked when a scenario loads
    action_args: ClassVar[dict] = {}
    doc: ClassVar[str] = ""

    @classmethod
    def define_params(cls) -> list:
        return []

    def define_states(self) -> list:
        return []

    def define_results(self) -> list:
        return []

    def init(self, sim) -> None:
        pass

    def step(self, sim, phase: str) -> None:
        pass

    def check(self, sim) -> None:
        pass

    def finalize(self, sim) -> None:
        pass

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} phases={self.phases}>"


class Model:
    """A model names its modules (in order within each phase) and builds the space and the
    population size. Scenarios pick a model by name (`model = "epstein"`)."""

    name: ClassVar[str] = "model"
    doc: ClassVar[str] = ""
    modules: ClassVar[tuple[type[Module], ...]] = ()

    @classmethod
    def define_params(cls) -> list:
        """Parameters of the model itself (space, population source, scale)."""
        return []

    @classmethod
    def module_classes(cls, params: dict | None = None) -> tuple[type[Module], ...]:
        return cls.modules

    def build(self, sim) -> tuple[int, list[str]]:
        """Create `sim.space` and return (number of agents, region labels for results)."""
        raise NotImplementedError

    def scale(self, sim) -> float:
        """Citizens per agent (counts are multiplied by it at export)."""
        return 1.0
