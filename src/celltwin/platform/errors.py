"""One exception hierarchy for celltwin.

Every class also inherits the matching builtin so callers can catch ``ValueError``
or ``KeyError`` as usual, and every class pickles with its message so errors can
cross process boundaries in parallel runs.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np


class CelltwinError(Exception):
    """Base class of every error raised by celltwin."""

    def __reduce__(self):
        return (self.__class__, self.args)


class ParameterError(ValueError, CelltwinError):
    """A parameter value, unit or name is not valid."""


class UnitError(ParameterError):
    """Two units that pint cannot convert into each other."""


class ScenarioError(ValueError, CelltwinError):
    """A scenario file or table is malformed."""


class ChainError(ValueError, CelltwinError):
    """A process chain could not be built; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"process chain has {len(self.problems)} problem(s):\n{body}")

    def __reduce__(self):
        return (self.__class__, (self.problems,))


class RegistryError(KeyError, CelltwinError):
    """A name that is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class MissingDependencyError(ImportError, CelltwinError):
    """An optional heavy dependency is not installed; the message says how to get it."""


class SolverError(RuntimeError, CelltwinError):
    """A numerical model failed for a reason that is not the user's input."""


def closest(name: str, choices: Iterable[str]) -> str:
    """A ``did you mean`` hint naming the closest valid choice, or ``""``."""
    choices = list(choices)
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    if not match:
        lowered = {c.lower(): c for c in choices}
        match = [lowered[name.lower()]] if name.lower() in lowered else []
    return f" (did you mean {match[0]!r}?)" if match else ""


def unknown(kind: str, name: str, choices: Iterable[str]) -> str:
    """The message for an unknown name: the closest match and the valid choices."""
    choices = sorted(choices)
    listed = ", ".join(choices) if len(choices) <= 12 else ", ".join(choices[:12]) + ", ..."
    return f"unknown {kind} {name!r}{closest(name, choices)}; valid: {listed}"


def first_offending(values, bad) -> float:
    """The first of ``values`` (broadcast to the mask's shape) where ``bad`` holds: the one a message names."""
    bad = np.asarray(bad, dtype=bool)
    return float(np.broadcast_to(np.asarray(values, dtype=float), bad.shape)[bad].reshape(-1)[0])
