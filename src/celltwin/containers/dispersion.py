"""Dispersion: density of the slurry (seed 004, eq. 9)."""
from __future__ import annotations

from ..platform.registry import containers
from .formulation import ElectrodeContainer


@containers.register
class Dispersion(ElectrodeContainer):
    """Dispersion: rho_slurry = (x_solids / rho_solids + (1 - x_solids) / rho_solvent)^-1 (eq. 9).

    Eq. 9 sums w_i/rho_i inside; that sum is 1/rho_solids from mixing, so the
    slurry takes rho_solids as its input and the chain draws the edge.
    """

    name = "dispersion"

    def inputs(self):
        return {"x_solids": "1", "rho_solids": "g/cm^3", "rho_solvent": "g/cm^3"}

    def outputs(self):
        return {"rho_slurry": "g/cm^3"}

    def evaluate(self, inputs):
        x = inputs["x_solids"]
        return {"rho_slurry": 1.0 / (x / inputs["rho_solids"] + (1.0 - x) / inputs["rho_solvent"])}
