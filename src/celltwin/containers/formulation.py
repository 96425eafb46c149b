"""Sums over the formulation's components, shared by every container that needs them."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..platform.errors import first_offending

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
