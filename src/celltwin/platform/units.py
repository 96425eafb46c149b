"""Units: one pint registry for the whole package.

Conversions are resolved once, when a chain or scenario is built, into an affine
map ``y = scale * x + offset`` so that hot loops run on plain floats.
"""
from __future__ import annotations

import math
from functools import cache

import pint

from .errors import UnitError

ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("percent_fraction = 0.01 = pct")


def normalize(unit: str) -> str:
    """Accept the spellings engineers type (``%``, ``1``, ``-``, ``µm``)."""
    u = unit.strip()
    if u in ("", "1", "-"):
        return "dimensionless"
    if u == "%":
        return "percent"
    return u.replace("µ", "u").replace("μ", "u")


def affine(src: str, dst: str) -> tuple[float, float]:
    """``(scale, offset)`` with ``value_dst = scale * value_src + offset``."""
    for u in (src, dst):
        if not isinstance(u, str):
            raise UnitError(f"a unit must be a string such as 'mm' or '%', got {u!r}")
    return _affine(src, dst)


@cache
def _affine(src: str, dst: str) -> tuple[float, float]:
    try:
        q0 = ureg.Quantity(0.0, normalize(src)).to(normalize(dst)).magnitude
        q1 = ureg.Quantity(1.0, normalize(src)).to(normalize(dst)).magnitude
    except (pint.errors.DimensionalityError, pint.errors.UndefinedUnitError) as exc:
        raise UnitError(f"cannot convert {src!r} to {dst!r}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - pint's parser raises many kinds for a malformed unit
        raise UnitError(f"cannot read the unit {src!r} (or {dst!r}): {type(exc).__name__}: {exc}") from None
    if not (math.isfinite(q0) and math.isfinite(q1)):
        raise UnitError(f"cannot convert {src!r} to {dst!r}: not a finite conversion")
    return float(q1 - q0), float(q0)


def convert(value, src: str, dst: str):
    """Convert a float or array from ``src`` to ``dst`` units."""
    if src == dst:
        return value
    scale, offset = affine(src, dst)
    return value * scale + offset


def unit_suffix(unit: str) -> str:
    """The unit as it follows a number in a message: ``" N/mm"``, nothing for a fraction."""
    return "" if unit in ("1", "dimensionless") else f" {unit}"


def check_unit(unit: str) -> None:
    """Raise :class:`UnitError` if pint does not know ``unit``."""
    if not isinstance(unit, str):
        raise UnitError(f"a unit must be a string such as 'mm' or '%', got {unit!r}")
    try:
        ureg.Unit(normalize(unit))
    except Exception as exc:  # noqa: BLE001 - pint's parser raises many kinds for a malformed unit
        raise UnitError(f"unknown unit {unit!r}: {type(exc).__name__}: {exc}") from None
