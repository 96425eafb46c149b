"""Dry mixing: density of the dry solid mixture (seed 004, eq. 8)."""
from __future__ import annotations

from ..platform.container import per_component
from ..platform.registry import containers
from .formulation import ElectrodeContainer, mass_balance_problems, specific_volume


@containers.register
class Mixing(ElectrodeContainer):
    """Dry mixing: rho_solids = (sum_i w_i / rho_i)^-1 over all components (eq. 8)."""

    name = "mixing"

    def inputs(self):
        return {**per_component("w_{c}", self.components, "1"),
                **per_component("rho_{c}", self.components, "g/cm^3")}

    def outputs(self):
        return {"rho_solids": "g/cm^3"}

    def evaluate(self, inputs):
        return {"rho_solids": 1.0 / specific_volume(inputs, self.components)}

    def constraints(self, inputs):
        return mass_balance_problems(inputs, self.components)
