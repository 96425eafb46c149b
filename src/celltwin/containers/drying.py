"""Drying: dry mass loading, thickness and density after drying (seed 004, eqs. 12-14)."""
from __future__ import annotations

from ..platform.container import Container
from ..platform.registry import containers


def compacted(m_dry, rho_solids, porosity):
    """Thickness and density of a layer of dry mass m_dry at a porosity (eqs. 13-14).

    Units: m_dry in g/cm^2 and rho_solids in g/cm^3 give thickness in cm.
    """
    h = m_dry / (rho_solids * (1.0 - porosity))
    return h, m_dry / h


@containers.register
class Drying(Container):
    """Drying: m_dry = m_wet * x_solids (eq. 12); h_dry, rho_dry from the porosity (eqs. 13-14).

    ``porosity = "given"`` reads eps_dry from the scenario (a measured value);
    ``porosity = "metamodel"`` predicts it from the wet mass loading with the
    DEM-backed drying metamodel.
    """

    name = "drying"
    options = {"porosity": "given"}
    choices = {"porosity": ("given", "metamodel")}

    def inputs(self):
        base = {"m_wet": "g/cm^2", "x_solids": "1", "rho_solids": "g/cm^3"}
        if self.settings["porosity"] == "given":
            base["eps_dry"] = "1"
        return base

    def outputs(self):
        out = {"m_dry": "g/cm^2", "h_dry": "cm", "rho_dry": "g/cm^3"}
        if self.settings["porosity"] == "metamodel":
            out["eps_dry"] = "1"
        return out

    def porosity(self, inputs):
        if self.settings["porosity"] == "given":
            return inputs["eps_dry"]
        raise NotImplementedError("the DEM-backed drying metamodel is not available yet")

    def evaluate(self, inputs):
        eps = self.porosity(inputs)
        m_dry = inputs["m_wet"] * inputs["x_solids"]
        h_dry, rho_dry = compacted(m_dry, inputs["rho_solids"], eps)
        out = {"m_dry": m_dry, "h_dry": h_dry, "rho_dry": rho_dry}
        if self.settings["porosity"] == "metamodel":
            out["eps_dry"] = eps
        return out
