"""The container: one process (or cell) model behind a uniform, vectorized interface.

A container declares its inputs and outputs by catalog name together with the unit it
computes in. The chain converts catalog units into those units once, at build time,
so ``evaluate`` only ever sees plain float arrays in the units it asked for.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from .errors import ParameterError, unknown

Arrays = Mapping[str, np.ndarray]


class Container:
    """Base class of every process container.

    Subclasses set ``name`` and ``kind``, declare ``options`` (defaults) and, for
    enumerated options, ``choices``; they implement :meth:`inputs`, :meth:`outputs`
    and :meth:`evaluate`, and may add relational checks in :meth:`constraints`.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "analytical"  # analytical | metamodel | numerical
    options: ClassVar[dict[str, Any]] = {}
    choices: ClassVar[dict[str, tuple]] = {}

    def __init__(self, components: Sequence[str] = ("AM", "CA", "PB"), **options: Any):
        self.components = tuple(components)
        for key, value in options.items():
            if key not in self.options:
                raise ParameterError(f"container {self.name!r}: " + unknown("option", key, self.options))
            allowed = self.choices.get(key)
            if allowed is not None and value not in allowed:
                raise ParameterError(f"container {self.name!r}: option {key} = {value!r} is not one of "
                                     f"{', '.join(map(repr, allowed))}")
        self.settings: dict[str, Any] = {**self.options, **options}

    def inputs(self) -> dict[str, str]:
        """Catalog name -> unit in which :meth:`evaluate` expects the value."""
        raise NotImplementedError

    def outputs(self) -> dict[str, str]:
        """Catalog name -> unit in which :meth:`evaluate` returns the value."""
        raise NotImplementedError

    def evaluate(self, inputs: Arrays) -> dict[str, np.ndarray]:
        """Vectorized model: arrays of equal shape in, arrays of that shape out."""
        raise NotImplementedError

    def constraints(self, inputs: Arrays) -> list[tuple[np.ndarray, str]]:
        """Relational validity checks beyond per-parameter bounds.

        Returns ``(bad_mask, message)`` pairs; the message names the parameters,
        their values and the rule. Called by the chain before :meth:`evaluate`.
        """
        return []

    def corrections(self) -> dict[str, float]:
        """Bias corrections this container applies (e.g. a metamodel anchored to a measured
        point), so that studies can report them; empty when there are none."""
        return {}

    def describe(self) -> str:
        doc = (type(self).__doc__ or "").strip().splitlines()
        return doc[0] if doc else self.name

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        return f"{type(self).__name__}({opts})"


def per_component(template: str, components: Sequence[str], unit: str) -> dict[str, str]:
    """``{template.format(c=c): unit}`` for each component, for declarations."""
    return {template.format(c=c): unit for c in components}
