"""One exception hierarchy for celltwin, errors as data.

Every class also inherits the matching builtin so callers can catch ``ValueError`` or
``KeyError`` as usual; :class:`CelltwinError` comes first in the bases, so its keyword
fields and its message (never quoted, as ``KeyError`` would) take precedence. Every error
carries the fields a caller (the CLI, the app, a test) needs as attributes: ``parameter``,
``value``, ``unit``, ``valid`` (the valid range as text) and ``path`` (a file or table).
Library messages speak of parameters; the CLI maps ``parameter`` to its flags. Every error
pickles with its fields, because errors cross process boundaries in parallel runs (the
pattern of ``pint/errors.py``).
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import numpy as np

#: the fields an error may carry, in the order they are shown
FIELDS = ("parameter", "value", "unit", "valid", "path")


class CelltwinError(Exception):
    """Base class of every error raised by celltwin.

    Keyword fields (:data:`FIELDS`, and any other keyword a subclass adds) become attributes
    that default to ``None``; ``fields`` returns the ones that are set.
    """

    parameter: str | None = None
    value: Any = None
    unit: str | None = None
    valid: str | None = None
    path: str | None = None

    def __init__(self, message: str = "", **fields: Any):
        super().__init__(message)
        for key, v in fields.items():
            setattr(self, key, v)
        self._fields = dict(fields)

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    @property
    def fields(self) -> dict[str, Any]:
        """The fields given when the error was raised (name -> value)."""
        return dict(self._fields)

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self._fields))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[CelltwinError], message: str, fields: dict[str, Any]) -> CelltwinError:
    err = cls.__new__(cls)
    CelltwinError.__init__(err, message, **fields)
    return err


class ParameterError(CelltwinError, ValueError):
    """A parameter value, unit or name is not valid."""


class UnitError(ParameterError):
    """Two units that pint cannot convert into each other."""


class ScenarioError(CelltwinError, ValueError):
    """A scenario file or table is malformed."""


class ChainError(CelltwinError, ValueError):
    """A process chain could not be built; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[str] | str = (), **fields: Any):
        problems = [problems] if isinstance(problems, str) else list(problems)
        body = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"process chain has {len(problems)} problem(s):\n{body}", problems=problems, **fields)

    problems: list[str]


class RegistryError(CelltwinError, KeyError):
    """A name that is not registered."""



class MissingDependencyError(CelltwinError, ImportError):
    """An optional heavy dependency is not installed; the message says how to get it."""


class SolverError(CelltwinError, RuntimeError):
    """A numerical model failed for a reason that is not the user's input."""


class UnreachableTargetError(ParameterError):
    """Targets that the free parameters cannot meet (the message says why).

    ``result`` holds the best result the search found, when it ran.
    """

    result: Any = None


class RunStoreError(CelltwinError, LookupError):
    """A run that is not in the store, or a store that cannot be opened."""


class StoreBusyError(RunStoreError):
    """The run store stayed locked by another process longer than the timeout; the record was
    queued beside the store (``run_id``) and is added on the next use of the store."""


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


class CelltwinWarning(UserWarning):
    """A setting celltwin accepts but doubts (e.g. one that will reject many samples), with the
    same fields as the errors; studies collect them for the summary and the report."""

    def __init__(self, message: str = "", **fields: Any):
        super().__init__(message)
        self.message_text = message
        self.fields = dict(fields)
        for key, v in fields.items():
            setattr(self, key, v)

    def __reduce__(self):
        return (_rebuild_warning, (type(self), self.message_text, self.fields))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record: the kind, the message and the fields."""
        return {"kind": type(self).__name__, "message": self.message_text, **self.fields}


def _rebuild_warning(cls: type[CelltwinWarning], message: str, fields: dict[str, Any]) -> CelltwinWarning:
    return cls(message, **fields)


class ExtrapolationWarning(CelltwinWarning):
    """A metamodel was evaluated outside the design space it was fitted on; the fields name the
    output, the input, the design range and the values outside it."""
