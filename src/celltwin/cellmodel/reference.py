"""The ProZell reference cathode of seed 004 (Table A1) through the half-cell, beside the paper.

Table A1 rounds the volume fractions (0.58 + 0.05 + 0.05 + 0.315 = 0.995), so the
reference structure is rebuilt from the unrounded recipe with the chain's own equations
(eq. 13/14 for thickness, eq. 16 for the volume fractions): w = 0.94/0.03/0.03,
rho = 4.75/1.80/1.70 g/cm^3, m_dry = 14.3 mg/cm^2, eps_cal = 0.315. That gives
h_cal = 48.47 um, rho_cal = 2.950 g/cm^3 and X_AM = 0.5838.
"""
from __future__ import annotations

import numpy as np

from ..containers.calendering import volume_fractions
from ..containers.drying import compacted
from ..containers.formulation import specific_volume

#: The paper's result for this cathode at 1 mA/cm^2 (seed 004, section 3.3).
PAPER = {"capacity": (2.41, 0.07), "energy_density": (1892.0, 8.0)}

#: Table A1 recipe and calendered porosity.
RECIPE = {"w_AM": 0.94, "w_CA": 0.03, "w_PB": 0.03, "rho_AM": 4.75, "rho_CA": 1.80, "rho_PB": 1.70}
M_DRY = 14.3       # mg/cm^2
EPS_CAL = 0.315


def reference_structure(eps_cal: float = EPS_CAL, m_dry: float = M_DRY) -> dict[str, float]:
    """Inputs of the "half-cell" container for the reference cathode (catalog units)."""
    comps = ("AM", "CA", "PB")
    rho_solids = 1.0 / specific_volume(RECIPE, comps)
    h_cm, rho_cal = compacted(m_dry * 1e-3, rho_solids, eps_cal)
    X = volume_fractions(RECIPE, comps, eps_cal)
    return {"eps_cal": eps_cal, "h_cal": float(h_cm * 1e4), "rho_cal": float(rho_cal), "m_dry": m_dry,
            "w_AM": RECIPE["w_AM"], **{k: float(v) for k, v in X.items()}}


def reference_cathode(**options) -> dict[str, float]:
    """Nominal performance of the reference cathode; ``options`` go to the container."""
    from .container import HalfCellContainer
    s = reference_structure()
    cell = HalfCellContainer(("AM", "CA", "PB"), **options)
    out = cell.evaluate({k: np.asarray(s[k]) for k in cell.inputs()})
    return {**s, **{k: float(v) for k, v in out.items()}}
