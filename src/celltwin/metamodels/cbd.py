"""The carbon-binder domain (CBD) as a porous, solvent-swollen particle phase, and the porosity split.

Lombardo et al. (2021, seed 000) and Ngandjong et al. (2021) represent the CBD as effective
particles that carry carbon, binder and solvent: in the slurry they are swollen, and drying
removes the solvent by shrinking them. The dry CBD keeps a nanoporosity of about 50 % (seed 000,
from FIB-SEM of Zielke et al. 2015), so the dry electrode has two kinds of pores: the *bulk* pores
between the particles and the *nanopores* inside the CBD; the *overall* porosity is their sum and
is the one eq. 13 gives from masses and densities (seed 004).

Here a CBD particle holds a fixed mass of carbon and binder (the formulation's ratio); its dry
envelope volume is that solid volume divided by (1 - nanoporosity); in the slurry it is swollen
to ``swelling`` times the dry envelope by solvent (nanopores filled, binder gel swollen), and the
excess shrinks in proportion to the solvent still in the film. Volumes in µm^3, masses in pg,
densities in g/cm^3 (= pg/µm^3).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..platform.errors import ParameterError

#: seed 000 (Lombardo et al. 2021): "(solid) CBD nanoporosity of ~50 %, as found experimentally" (Zielke 2015)
NANOPOROSITY = 0.5


@dataclass(frozen=True)
class CarbonBinderDomain:
    """Carbon + binder + nanopores, swollen by solvent in the slurry.

    ``rho_CA``, ``rho_PB`` (g/cm^3) and the mass fractions ``w_CA``, ``w_PB`` fix the solid;
    ``nanoporosity`` (1) the dry envelope; ``swelling`` (1, >= 1) the wet-to-dry envelope
    volume ratio at the start of drying.
    """

    w_CA: float
    w_PB: float
    rho_CA: float
    rho_PB: float
    nanoporosity: float = NANOPOROSITY
    swelling: float = 2.0

    def __post_init__(self):
        if not 0.0 <= self.nanoporosity < 1.0:
            raise ParameterError(f"CBD nanoporosity = {self.nanoporosity!r} (unit 1) is out of range [0, 1)",
                                 parameter="nanoporosity", value=self.nanoporosity, unit="1", valid="[0, 1)")
        if not (np.isfinite(self.swelling) and self.swelling >= 1.0):
            raise ParameterError(f"CBD swelling = {self.swelling!r} (unit 1, wet/dry envelope volume) is out of "
                                 f"range [1, inf)", parameter="swelling", value=self.swelling, unit="1",
                                 valid="[1, inf)")
        if not (self.w_CA + self.w_PB > 0):
            raise ParameterError("the carbon-binder domain needs w_CA + w_PB > 0", parameter="w_CA")

    @property
    def solid_density(self) -> float:
        """True density of the carbon-binder solid (mass-weighted harmonic mean), g/cm^3."""
        return (self.w_CA + self.w_PB) / (self.w_CA / self.rho_CA + self.w_PB / self.rho_PB)

    @property
    def envelope_density(self) -> float:
        """Density of the dry CBD including its nanopores (empty), g/cm^3."""
        return self.solid_density * (1.0 - self.nanoporosity)

    def solid_mass(self, dry_radius):
        """Carbon + binder mass of a CBD particle of dry envelope radius (µm), pg: constant while drying."""
        return self.envelope_density * 4.0 / 3.0 * np.pi * np.asarray(dry_radius, dtype=float) ** 3

    def wet_radius(self, dry_radius, solvent_left):
        """Envelope radius (µm) when a fraction ``solvent_left`` (0..1) of the swelling solvent is still held."""
        x = np.clip(np.asarray(solvent_left, dtype=float), 0.0, 1.0)
        return np.asarray(dry_radius, dtype=float) * (1.0 + (self.swelling - 1.0) * x) ** (1.0 / 3.0)

    def solvent_mass(self, dry_radius, solvent_left, rho_solvent: float):
        """Solvent held by a CBD particle (pg): its nanopores plus the swelling still left."""
        dry = 4.0 / 3.0 * np.pi * np.asarray(dry_radius, dtype=float) ** 3
        wet = 4.0 / 3.0 * np.pi * self.wet_radius(dry_radius, solvent_left) ** 3
        return rho_solvent * (self.nanoporosity * dry + wet - dry)

    def wet_density(self, dry_radius, solvent_left, rho_solvent: float):
        """Density of the swollen, solvent-filled CBD particle, g/cm^3."""
        wet = 4.0 / 3.0 * np.pi * self.wet_radius(dry_radius, solvent_left) ** 3
        return (self.solid_mass(dry_radius) + self.solvent_mass(dry_radius, solvent_left, rho_solvent)) / wet

    def buoyant_mass(self, dry_radius, rho_solvent: float):
        """Mass minus displaced solvent (pg): the solid skeleton's only, whatever the swelling (Archimedes)."""
        return self.solid_mass(dry_radius) * (1.0 - rho_solvent / self.solid_density)


@dataclass(frozen=True)
class PorositySplit:
    """Porosities of a dry layer (fractions): overall = bulk + nano."""

    overall: float
    bulk: float
    nano: float


def porosity_split(thickness: float, area: float, am_volume: float, cbd_envelope_volume: float,
                   nanoporosity: float) -> PorositySplit:
    """Bulk pores (between particles), CBD nanopores and their sum in a layer of ``thickness`` µm on ``area`` µm^2.

    ``am_volume`` and ``cbd_envelope_volume`` (dry, with nanopores) in µm^3. The overall porosity
    equals eq. 13's 1 - m_dry / (rho_solids h) because the solids' volumes come from their masses.
    """
    total = thickness * area
    nano = nanoporosity * cbd_envelope_volume / total
    bulk = 1.0 - (am_volume + cbd_envelope_volume) / total
    return PorositySplit(overall=bulk + nano, bulk=bulk, nano=nano)
