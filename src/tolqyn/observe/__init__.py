"""The observation layer: the only code that turns a run into the numbers compared with
observations (`stats`), and the one reader of a scenario's observed targets (`targets`)."""

from tolqyn.observe.stats import DEFAULTS
from tolqyn.observe.targets import ROLES, Target, Term, Verdict, evaluate, targets_of

__all__ = ["DEFAULTS", "ROLES", "Target", "Term", "Verdict", "evaluate", "targets_of"]
