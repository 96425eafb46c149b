"""Slot-die coating: wet film thickness and wet mass loading (seed 004, eqs. 10-11)."""
from __future__ import annotations

from ..platform.registry import containers
from .formulation import ElectrodeContainer


@containers.register
class Coating(ElectrodeContainer):
    """Slot-die coating: h_wet = V_dot / (v_web * w_coat) (eq. 10), m_wet = rho_slurry * h_wet (eq. 11).

    Declared in one coherent unit system (cm, g, h) so the equations carry no factors.
    """

    name = "coating"

    def inputs(self):
        return {"V_dot": "cm^3/h", "v_web": "cm/h", "w_coat": "cm", "rho_slurry": "g/cm^3"}

    def outputs(self):
        return {"h_wet": "cm", "m_wet": "g/cm^2"}

    def evaluate(self, inputs):
        h_wet = inputs["V_dot"] / (inputs["v_web"] * inputs["w_coat"])
        return {"h_wet": h_wet, "m_wet": inputs["rho_slurry"] * h_wet}
