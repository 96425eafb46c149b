"""The materials library: ``library.toml`` read into typed records.

Numbers live in the data file with their references, not in code, so that a reviewer checks
a density against its paper without reading Python. This module only reads and looks up.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..platform.errors import ParameterError, unknown

#: Avogadro's constant in 1/mol, scaled so that g/mol over cubic angstrom gives g/cm^3
AVOGADRO_CM3 = 0.602214076


@dataclass(frozen=True)
class Fact:
    """One number of the library with its unit and reference."""

    value: float
    unit: str
    source: str
    note: str = ""
    window: tuple[float, float] | None = None   # V, for a capacity
    checked: bool = True                        # False: cited from knowledge, not re-read


@dataclass(frozen=True)
class Material:
    """A library material: its kind and the facts that have a source (others are absent)."""

    name: str
    kind: str
    formula: str = ""
    note: str = ""
    facts: dict[str, Fact] = field(default_factory=dict)
    crystal: dict[str, Any] | None = None

    @property
    def rho(self) -> float | None:
        """Particle (skeletal) density in g/cm^3, or None when the library has no source for it."""
        return self.facts["rho"].value if "rho" in self.facts else None

    def crystal_density(self) -> float | None:
        """rho = Z M / (N_A V) from the crystal data, g/cm^3 (None without crystal data)."""
        if self.crystal is None:
            return None
        c = self.crystal
        if c["system"] == "hexagonal":
            volume = math.sqrt(3) / 2 * c["a"] ** 2 * c["c"]
        elif c["system"] == "cubic":
            volume = c["a"] ** 3
        else:
            volume = c["a"] * c["b"] * c["c"]
        mass = c.get("formula_mass", self.facts["molar_mass"].value if "molar_mass" in self.facts else math.nan)
        return c["Z"] * mass / (AVOGADRO_CM3 * volume)


@dataclass(frozen=True)
class ParameterSetInfo:
    """Which active materials a cell parameter set describes (its positive electrode)."""

    name: str
    materials: tuple[str, ...]
    source: str


@cache
def _data() -> dict[str, Any]:
    return tomllib.loads(resources.files("celltwin.materials").joinpath("library.toml").read_text())


@cache
def library() -> dict[str, Material]:
    """Every material of the library by name."""
    out = {}
    for name, entry in _data()["materials"].items():
        facts = {k: Fact(float(v["value"]), v["unit"], v["source"], v.get("note", ""),
                         tuple(v["window"]) if "window" in v else None, v.get("checked", True))
                 for k, v in entry.items() if isinstance(v, dict) and k != "crystal"}
        out[name] = Material(name, entry["kind"], entry.get("formula", ""), entry.get("note", ""), facts,
                             entry.get("crystal"))
    return out


def material(name: str, *, kind: str | None = None) -> Material:
    """The library material ``name``; a ParameterError naming the closest one otherwise."""
    lib = library()
    choices = [n for n, m in lib.items() if kind is None or m.kind == kind]
    if name not in choices:
        what = f"{kind} material" if kind else "material"
        raise ParameterError(unknown(what, name, choices), parameter="materials", value=name,
                             valid=", ".join(choices))
    return lib[name]


def parameter_set(name: str) -> ParameterSetInfo | None:
    """The active materials a parameter set describes, or None when the library does not record them."""
    entry = _data()["sets"].get(name)
    return None if entry is None else ParameterSetInfo(name, tuple(entry["materials"]), entry["source"])
