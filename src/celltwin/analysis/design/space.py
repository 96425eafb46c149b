"""The design space: the free parameters of an inverse, product or robust run.

Each free parameter has bounds in its catalog unit, always inside the catalog's valid
range; optimisers work in the unit box ``[0, 1]^d`` and :class:`DesignSpace` maps to and
from it and reports which parameters ended at a bound (after GEMSEO's ``DesignSpace``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ...platform.errors import ParameterError, closest
from ...platform.scenario import Scenario
from ...platform.units import unit_suffix

#: default half-width of the box around the start value of a free parameter (relative)
DEFAULT_SPAN = 0.5


@dataclass
class DesignSpace:
    """Free parameters with their bounds (catalog units) and units."""

    names: list[str]
    low: np.ndarray
    high: np.ndarray
    units: list[str]

    @classmethod
    def of(cls, sc: Scenario, free, start: Mapping[str, float], span: float = DEFAULT_SPAN) -> DesignSpace:
        """Bounds of each free input: given ones (``name -> (low, high)``), else ±``span`` of its
        start value; always inside the catalog's valid range (an open end is kept strictly open)."""
        items = free.items() if isinstance(free, Mapping) else ((name, None) for name in free)
        names, lows, highs, units = [], [], [], []
        for name, box in items:
            if name not in sc.catalog:
                raise ParameterError(f"free parameter: unknown parameter {name!r}{closest(name, sc.catalog)}",
                                     parameter=name)
            if name not in sc.given or name == sc.balance:
                raise ParameterError(f"free parameter {name!r} is not an input of this scenario "
                                     f"(it is computed by the chain or closes the mass balance); free inputs: "
                                     f"{', '.join(sorted(sc.given - {sc.balance}))}", parameter=name)
            entry = sc.catalog[name]
            x0 = start[name]
            low, high = ((x0 - span * abs(x0), x0 + span * abs(x0)) if box is None
                         else (float(box[0]), float(box[1])))
            if box is not None and not low < high:
                raise ParameterError(f"free parameter {name}: low = {low:g} must be below high = {high:g} "
                                     f"{entry.unit}", parameter=name, value=(low, high), unit=entry.unit)
            pad = 1e-9 * max(abs(low), abs(high), 1.0)
            low = max(low, entry.low + (pad if entry.low_open else 0.0))
            high = min(high, entry.high - (pad if entry.high_open else 0.0))
            if not low < high:
                raise ParameterError(f"free parameter {name}: bounds leave nothing of its valid range "
                                     f"{entry.range_text} {entry.unit}", parameter=name, unit=entry.unit,
                                     valid=entry.range_text)
            names.append(name)
            lows.append(low)
            highs.append(high)
            units.append(entry.unit)
        if not names:
            raise ParameterError("no free parameters: name at least one", parameter="free")
        return cls(names, np.array(lows), np.array(highs), units)

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        return {n: (float(lo), float(hi)) for n, lo, hi in zip(self.names, self.low, self.high, strict=True)}

    @property
    def dimension(self) -> int:
        return len(self.names)

    def to_unit(self, x) -> np.ndarray:
        """Catalog values -> the unit box (not clipped)."""
        return (np.asarray(x, dtype=float) - self.low) / (self.high - self.low)

    def from_unit(self, z) -> np.ndarray:
        """The unit box -> catalog values (``z`` clipped to [0, 1] first)."""
        return self.low + np.clip(np.asarray(z, dtype=float), 0.0, 1.0) * (self.high - self.low)

    def clip(self, x) -> np.ndarray:
        return np.clip(np.asarray(x, dtype=float), self.low, self.high)

    def values(self, z) -> dict[str, float]:
        """One point of the unit box as ``name -> catalog value``."""
        return {k: float(v) for k, v in zip(self.names, self.from_unit(z), strict=True)}

    def at_bound(self, z, tol: float = 1e-7) -> dict[str, str]:
        """``name -> "lower" | "upper"`` for the parameters within ``tol`` of a face of the box."""
        return {n: side for n, zz in zip(self.names, np.asarray(z, dtype=float), strict=True)
                for side, hit in (("lower", zz <= tol), ("upper", zz >= 1 - tol)) if hit}

    def describe_at_bound(self, at_bound: Mapping[str, str]) -> str:
        """``"q_L sits at its upper bound 126 N/mm, ..."``, for a message that says why."""
        b = self.bounds
        return ", ".join(f"{n} sits at its {side} bound {b[n][0 if side == 'lower' else 1]:.6g}"
                         f"{unit_suffix(self.units[self.names.index(n)])}" for n, side in at_bound.items())
