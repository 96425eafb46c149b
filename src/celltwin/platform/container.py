"""The container: one process (or cell) model behind a uniform, vectorized interface.

A container declares its inputs and outputs by catalog name together with the unit it
computes in. The chain converts catalog units into those units once, at build time,
so ``evaluate`` only ever sees plain float arrays in the units it asked for.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .errors import ParameterError, unknown

Arrays = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Limit:
    """A physical bound on one of a container's outputs at given inputs.

    ``bound`` is in the unit the container declares for ``parameter``; ``why`` explains the
    physics in words and numbers; ``depends`` names the inputs the bound moves with (a bound
    none of whose inputs an analysis can move holds for every setting it tries).
    """

    parameter: str
    side: str  # "lower" | "upper"
    bound: float
    why: str
    depends: tuple[str, ...] = ()


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
    #: the components a container works with when none are given (a domain base class sets them)
    default_components: ClassVar[tuple[str, ...]] = ()

    def __init__(self, components: Sequence[str] | None = None, **options: Any):
        self.components = tuple(self.default_components if components is None else components)
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

    def limits(self, inputs: Mapping[str, float]) -> list[Limit]:
        """Physical bounds of the outputs at these (scalar, declared-unit) inputs: what no
        setting of the inputs upstream can get past. Analyses ask for them instead of
        restating the container's equations; empty when there are none."""
        return []

    def design_space(self) -> dict[str, tuple[float, float]]:
        """Ranges of inputs (declared units) outside which the container extrapolates, e.g. a
        metamodel's design space; empty when it is valid wherever its inputs are."""
        return {}

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
