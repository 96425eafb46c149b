"""The formulation: its default components, the mass-balance rule, the sums over components
shared by every container that needs them, and the base class of the electrode containers."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..platform.catalog import Catalog
from ..platform.catalog import default_catalog as _catalog
from ..platform.container import Container
from ..platform.errors import first_offending

#: active material, conductive additive (carbon black), polymer binder: seed 004's cathode
DEFAULT_COMPONENTS = ("AM", "CA", "PB")

#: how far the mass fractions may miss 1 before a recipe is refused
MASS_BALANCE_TOL = 1e-6


def specific_volume(inputs: Mapping[str, np.ndarray], components: Sequence[str]) -> np.ndarray:
    """sum_i w_i / rho_i, the volume of one gram of dry solids (cm^3/g)."""
    return sum(inputs[f"w_{c}"] / inputs[f"rho_{c}"] for c in components)


def mass_balance_problems(inputs: Mapping[str, np.ndarray], components: Sequence[str]):
    """Mass fractions must sum to 1: a (bad_mask, message) pair when they do not."""
    total = sum(np.asarray(inputs[f"w_{c}"], dtype=float) for c in components)
    bad = np.abs(total - 1.0) > MASS_BALANCE_TOL
    if not np.any(bad):
        return []
    first = first_offending(total, bad)
    names = " + ".join(f"w_{c}" for c in components)
    return [(bad, f"mass fractions {names} = {first:.6g} (unit 1) must sum to 1 "
                  f"(valid range [1 - {MASS_BALANCE_TOL:g}, 1 + {MASS_BALANCE_TOL:g}]); "
                  f"use w_PB = \"balance\" to close the balance")]


def mass_fractions(components: Sequence[str]) -> list[str]:
    """The mass fractions ``w_<component>``, which sum to 1 (one may close the balance)."""
    return [f"w_{c}" for c in components]


def default_catalog(components: Sequence[str] = DEFAULT_COMPONENTS) -> Catalog:
    """The parameter catalog expanded for a formulation (by default seed 004's AM, CA, PB)."""
    return _catalog(components)


class ElectrodeContainer(Container):
    """Base of the electrode line's containers: seed 004's three components by default."""

    default_components = DEFAULT_COMPONENTS
