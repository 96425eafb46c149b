"""Solid-state composite cathodes: the solid electrolyte's ionic path and the single-ion half-cell.

In a composite cathode of active material (AM), solid electrolyte (SE), carbon-binder matrix
and empty pores, lithium ions move only through the SE grains and electrons only through AM
and carbon (seed 001, Alabdali et al.; Minnmann et al., J. Electrochem. Soc. 168, 040537, 2021).
This module gives

- the effective ionic conductivity ``kappa_ion_eff`` of the SE network from its volume
  fraction X_SE, by the percolation power law of :func:`~celltwin.cellmodel.structure.percolation_conductivity`
  (optionally in parallel with a liquid in the pores: a "hybrid" cell);
- how a PyBaMM DFN half-cell is set up for it: the electrolyte phase is the SE, a single-ion
  conductor (cation transference number 1: no salt gradient, no diffusion potential), its
  volume fraction is X_SE and its tortuosity factor tau_e = kappa_SE X_SE / kappa_ion_eff,
  so that PyBaMM's kappa_SE eps / tau equals kappa_ion_eff exactly; the separator is dense SE.

Why PyBaMM's DFN and not a dedicated solid-state code: with t+ = 1 the DFN's electrolyte
equations reduce to Ohm's law in the SE with a uniform lithium concentration, which is the
standard homogenised composite-cathode model (e.g. Bielefeld et al., ACS Appl. Mater.
Interfaces 12, 12821, 2020); PyBaMM is maintained, already batched here, and no maintained
Python package models solid-state composite cathodes as such.
"""
from __future__ import annotations

import numpy as np

from ..platform.errors import ParameterError
from .structure import PERCOLATION_EXPONENT, PERCOLATION_THRESHOLD, percolation_conductivity

ELECTROLYTES = ("liquid", "single-ion")
COUNTER_ELECTRODES = ("Li", "In-Li")
PORES = ("empty", "liquid")
#: In-Li (the two-phase In/LiIn region) against Li/Li+, V: 0.62 V (Santhosha, Medenbach,
#: Buchheim & Adelhelm, Batteries & Supercaps 2, 524, 2019), the usual counter electrode of
#: sulfide solid-state cells.
IN_LI_POTENTIAL = 0.62
#: Conductivity of a 1 M LiPF6 carbonate electrolyte at 25 degC, S/m: about 1 S/m
#: (Valoen & Reimers, J. Electrochem. Soc. 152, A882, 2005), for liquid-filled pores.
LIQUID_CONDUCTIVITY = 1.0


def ionic_path(porosity, X_SE, kappa_SE: float, *, pores: str = "empty",
               kappa_liquid: float = LIQUID_CONDUCTIVITY, threshold: float = PERCOLATION_THRESHOLD,
               exponent: float = PERCOLATION_EXPONENT) -> dict[str, np.ndarray | float]:
    """The ion-conducting phase of a composite cathode, as the P2D model needs it.

    Parameters: porosity eps (1), X_SE (1), kappa_SE (S/m), ``pores`` "empty" (default: the
    pores block ions) or "liquid" (a liquid of ``kappa_liquid`` S/m fills them and conducts in
    parallel with Bruggeman's eps^1.5, as the solid phases of :func:`effective_conductivity`).

    Returns ``kappa_ion_eff`` (S/m), ``eps_e`` (volume fraction of the ionic phase, 1),
    ``kappa_bulk`` (S/m, the conductivity PyBaMM's electrolyte gets: kappa_SE, or the larger
    of kappa_SE and kappa_liquid) and ``tau_e`` = kappa_bulk eps_e / kappa_ion_eff (>= 1;
    inf where the SE does not percolate and the pores are empty).
    """
    if pores not in PORES:
        raise ParameterError(f"pores = {pores!r}; valid: {', '.join(PORES)}", parameter="pores", value=pores,
                             valid=", ".join(PORES))
    eps = np.asarray(porosity, dtype=float)
    X = np.asarray(X_SE, dtype=float)
    kappa = percolation_conductivity(X, kappa_SE, threshold, exponent)
    if pores == "liquid":
        if not kappa_liquid > 0:
            raise ParameterError(f"kappa_liquid = {kappa_liquid!r} S/m is outside the valid range (0, inf) S/m",
                                 parameter="kappa_liquid", value=kappa_liquid, unit="S/m", valid="(0, inf)")
        kappa = kappa + kappa_liquid * np.power(eps, 1.5)
        eps_e, bulk = X + eps, max(kappa_SE, kappa_liquid)
    else:
        eps_e, bulk = X, kappa_SE
    with np.errstate(divide="ignore"):
        tau = np.where(kappa > 0, bulk * eps_e / np.where(kappa > 0, kappa, 1.0), np.inf)
    return {"kappa_ion_eff": kappa, "eps_e": eps_e, "kappa_bulk": float(bulk), "tau_e": tau}


def contact_share(X_SE, other_free, pores: str = "empty"):
    """Share of the free AM surface that touches an ion conductor (1).

    With empty pores only the AM surface in contact with SE reacts. Without a resolved
    structure we take the contacts as random: the SE's share of the free volume next to the
    AM, X_SE / (X_SE + other_free), where ``other_free`` is the rest of that volume (the
    pores next to a CBM-free surface, or everything that is not AM or SE). Filled pores make
    the whole free surface active (share 1).
    """
    X = np.asarray(X_SE, dtype=float)
    if pores == "liquid":
        return np.ones_like(X)
    return X / (X + np.asarray(other_free, dtype=float))


def single_ion_parameters(settings) -> dict:
    """PyBaMM parameters of a single-ion conductor (``pybamm``) and the counter electrode's offset (V).

    ``settings`` is a :class:`~celltwin.cellmodel.halfcell.CellSettings` with
    ``electrolyte = "single-ion"``. The exchange currents keep the set's dependence on c_e,
    which is now uniform at the set's initial value.
    """
    pv = {"Cation transference number": 1.0,
          "Thermodynamic factor": 1.0,
          "Electrolyte conductivity [S.m-1]": float(settings.electrolyte_conductivity),
          # a dense separator of the same conductor
          "Separator porosity": 1.0,
          "Separator tortuosity factor (electrolyte)": 1.0}
    if settings.separator_thickness is not None:
        pv["Separator thickness [m]"] = float(settings.separator_thickness)
    return {"pybamm": pv, "offset": IN_LI_POTENTIAL if settings.counter_electrode == "In-Li" else 0.0}
