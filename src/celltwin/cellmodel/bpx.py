"""BPX both ways: the chain's electrode as a BPX file, and a BPX file as the half-cell's parameters.

BPX (the Battery Parameter eXchange format, package ``bpx``) describes a full cell. Today a
process model cannot hand its electrode to a cell modeller in that format, nor can a cell
modeller's BPX file drive a process twin's cell model (BPX issue 41; PyBaMM issues 4265,
5750). Here the positive electrode's thickness, porosity and active volume fraction are the
chain's (``h_cal``, ``eps_cal``, ``X_AM``; BPX stores the last as the surface area per volume
``3 X_AM / R``), its transport efficiency and conductivity the structure surrogate's
(``eps / tau_e``, ``kappa_s_eff``); everything else comes from a full-cell PyBaMM set, named
in the file's header. Functions of the set are tabulated at the reference temperature; the
exchange current is reduced to BPX's normalised rate constant at the half-filled particle,
which is exact for the usual ``m c_e^0.5 c_s^0.5 (c_max - c_s)^0.5`` form.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..platform.errors import ParameterError
from ._bpx import read_bpx, validate_bpx
from ._pybamm import import_pybamm
from .parameters import FARADAY, TABLE_A2, base_parameter_values

__all__ = ["electrode_bpx", "read_bpx", "scenario_bpx", "validate_bpx", "write_bpx"]

#: BPX format version written
BPX_VERSION = "1.0.0"
#: points of each tabulated function
TABLE_POINTS = 101
#: stoichiometries of the OCP tables (the ends are singular in some sets' fits)
OCP_GRID = np.linspace(1e-3, 1 - 1e-3, TABLE_POINTS)
#: full-cell set that supplies the negative electrode, separator and electrolyte of table-a2
REST_OF_CELL = "Chen2020"


def _evaluate(f, *args) -> np.ndarray:
    """A parameter (number or PyBaMM function) evaluated at numeric arguments."""
    pybamm = import_pybamm()
    if not callable(f):
        return np.broadcast_to(np.asarray(float(f)), np.shape(args[0]) if args else ()).astype(float)
    wrapped = [pybamm.Vector(np.atleast_1d(a)) if np.ndim(a) else pybamm.Scalar(float(a)) for a in args]
    out = f(*wrapped)
    out = out.evaluate() if isinstance(out, pybamm.Symbol) else out
    return np.asarray(out, dtype=float).reshape(-1)


def _table(f, x: np.ndarray, *rest) -> dict[str, list[float]] | float:
    y = _evaluate(f, x, *rest)
    if np.ptp(y) == 0:
        return float(y[0])
    return {"x": [float(v) for v in x], "y": [float(v) for v in np.broadcast_to(y, x.shape)]}


def _particle(pv, side: str, sto: tuple[float, float], T: float, c_e0: float) -> dict[str, Any]:
    """The particle facts of one electrode of a set, in BPX names."""
    c_max = float(pv[f"Maximum concentration in {side} electrode [mol.m-3]"])
    radius = float(pv[f"{side.capitalize()} particle radius [m]"])
    grid = np.linspace(0.0, 1.0, TABLE_POINTS)
    j0 = _evaluate(pv[f"{side.capitalize()} electrode exchange-current density [A.m-2]"],
                   c_e0, c_max / 2, c_max, T)[0]
    k_norm = 2 * j0 / FARADAY  # BPX: j0 = F k sqrt((c_e/c_e0) x (1 - x)), = F k / 2 at c_e0 and x = 1/2
    return {"Minimum stoichiometry": sto[0], "Maximum stoichiometry": sto[1],
            "Maximum concentration [mol.m-3]": c_max, "Particle radius [m]": radius,
            "Diffusivity [m2.s-1]": _table(pv[f"{side.capitalize()} particle diffusivity [m2.s-1]"], grid, T),
            "OCP [V]": _table(pv[f"{side.capitalize()} electrode OCP [V]"], OCP_GRID),
            "Entropic change coefficient [V.K-1]": 0.0,
            "Reaction rate constant [mol.m-2.s-1]": k_norm}


def electrode_bpx(structure: Mapping[str, float], parameter_set: str = "table-a2", *, v_min: float = 3.0,
                  title: str = "celltwin electrode") -> dict[str, Any]:
    """A BPX object (dict) of one electrode from the chain.

    ``structure`` holds the chain's ``h_cal`` (um), ``eps_cal``, ``X_AM``, ``kappa_s_eff``
    (S/m) and ``tau_e``. The positive particle comes from ``parameter_set``; the negative
    electrode, separator and electrolyte from the same set when it describes a full cell,
    else from :data:`REST_OF_CELL`.
    """
    pybamm = import_pybamm()
    positive = base_parameter_values(parameter_set)
    full = parameter_set if parameter_set != "table-a2" and not parameter_set.endswith(".json") and \
        "Negative electrode thickness [m]" in pybamm.ParameterValues(parameter_set).keys() else REST_OF_CELL
    rest = pybamm.ParameterValues(full)
    T = float(rest["Reference temperature [K]"])
    c_e0 = float(positive["Initial concentration in electrolyte [mol.m-3]"])
    c_max_p = float(positive["Maximum concentration in positive electrode [mol.m-3]"])
    c_0p = TABLE_A2["c_0"] if parameter_set == "table-a2" else \
        float(positive["Initial concentration in positive electrode [mol.m-3]"])
    x_lo = c_0p / c_max_p
    ocp = positive["Positive electrode OCP [V]"]
    grid = np.linspace(x_lo, 0.9999, 2000)
    below = np.flatnonzero(_evaluate(ocp, grid) <= v_min)
    x_hi = float(grid[below[0]]) if below.size else 0.9999
    x0, x100, _, _ = pybamm.lithium_ion.get_min_max_stoichiometries(rest)
    eps, x_am, h = float(structure["eps_cal"]), float(structure["X_AM"]), float(structure["h_cal"]) * 1e-6
    radius = float(positive["Positive particle radius [m]"])
    capacity = x_am * h * c_max_p * (x_hi - x_lo) * FARADAY / 3600  # A h on 1 m^2
    c_grid = np.linspace(0.0, 3000.0, TABLE_POINTS)
    sep_eps = float(rest["Separator porosity"])
    neg_eps = float(rest["Negative electrode porosity"])
    ocp_n = rest["Negative electrode OCP [V]"]
    ocv_full = float(_evaluate(ocp, np.array([x_lo]))[0] - _evaluate(ocp_n, np.array([float(x100)]))[0])
    ocv_empty = float(_evaluate(ocp, np.array([x_hi]))[0] - _evaluate(ocp_n, np.array([float(x0)]))[0])
    cell = {"Electrode area [m2]": 1.0, "External surface area [m2]": 2.0, "Volume [m3]": 1e-3,
            "Number of electrode pairs connected in parallel to make a cell": 1,
            "Lower voltage cut-off [V]": min(v_min, ocv_empty), "Upper voltage cut-off [V]": ocv_full + 0.05,
            "Nominal cell capacity [A.h]": capacity, "Reference temperature [K]": T}
    electrolyte = {"Cation transference number": float(rest["Cation transference number"]),
                   "Diffusivity [m2.s-1]": _table(rest["Electrolyte diffusivity [m2.s-1]"], c_grid[1:], T),
                   "Conductivity [S.m-1]": _table(rest["Electrolyte conductivity [S.m-1]"], c_grid[1:], T)}
    neg_b = float(rest["Negative electrode Bruggeman coefficient (electrolyte)"])
    neg_x = float(rest["Negative electrode active material volume fraction"])
    negative = {"Thickness [m]": float(rest["Negative electrode thickness [m]"]), "Porosity": neg_eps,
                "Transport efficiency": neg_eps**neg_b,
                "Conductivity [S.m-1]": float(rest["Negative electrode conductivity [S.m-1]"]),
                "Surface area per unit volume [m-1]": 3 * neg_x / float(rest["Negative particle radius [m]"]),
                **_particle(rest, "negative", (float(x0), float(x100)), T, c_e0)}
    positive_e = {"Thickness [m]": h, "Porosity": eps, "Transport efficiency": eps / float(structure["tau_e"]),
                  "Conductivity [S.m-1]": float(structure["kappa_s_eff"]),
                  "Surface area per unit volume [m-1]": 3 * x_am / radius,
                  **_particle(positive, "positive", (x_lo, x_hi), T, c_e0)}
    separator = {"Thickness [m]": float(rest["Separator thickness [m]"]), "Porosity": sep_eps,
                 "Transport efficiency": sep_eps ** float(rest["Separator Bruggeman coefficient (electrolyte)"])}
    source = "seed 004 Table A2 on PyBaMM's Xu2019 base" if parameter_set == "table-a2" else parameter_set
    description = (f"Positive electrode thickness, porosity and active volume fraction (as 3 X_AM / R) from the "
                   f"celltwin process chain; transport efficiency eps/tau_e and conductivity from celltwin's structure "
                   f"surrogate; positive particle from {source}; negative electrode, separator and electrolyte from "
                   f"PyBaMM's {full} set. Functions tabulated at {T:g} K; entropic coefficients set to 0.")
    return {"Header": {"BPX": BPX_VERSION, "Title": title, "Description": description,
                       "References": "Thomitzek et al., Sustainability 14, 1530 (2022); PyBaMM parameter set "
                                     f"{full}", "Model": "DFN"},
            "Parameterisation": {"Cell": cell, "Electrolyte": electrolyte, "Negative electrode": negative,
                                 "Positive electrode": positive_e, "Separator": separator},
            "State": {"Initial conditions": {"Initial temperature [K]": T,
                                             "Initial electrolyte concentration [mol.m-3]": c_e0},
                      "Thermal environment": {"Ambient temperature [K]": T}}}


def write_bpx(path: str | Path, structure: Mapping[str, float], parameter_set: str = "table-a2",
              **options: Any) -> Path:
    """Write :func:`electrode_bpx` to ``path`` and check that ``bpx`` accepts it."""
    obj = electrode_bpx(structure, parameter_set, **options)
    if not all(math.isfinite(float(structure[k])) for k in ("eps_cal", "X_AM", "h_cal", "kappa_s_eff", "tau_e")):
        raise ParameterError("the electrode has a non-finite structure value; nothing to write", parameter="bpx")
    path = Path(path)
    path.write_text(json.dumps(obj, indent=1) + "\n")
    validate_bpx(path)
    return path


def scenario_bpx(scenario, path: str | Path, *, sample: int | None = None) -> tuple[Path, dict[str, float]]:
    """Write a scenario's nominal electrode (or Monte Carlo sample ``sample`` of its ``[study]``
    seed) as a BPX file; returns the path and the chain's values it was written from."""
    from ..containers.scenario import ElectrodeScenario

    sc = ElectrodeScenario.resolve(scenario)
    if not sc.cell:
        raise ParameterError(f"scenario {sc.name!r} has no cell model, so no cell parameters to write; set "
                             "[scenario] cell = \"half-cell\"", parameter="cell")
    if "SE" in sc.components:  # BPX 0.x knows a liquid electrolyte only (t+ < 1, c_e-dependent)
        raise ParameterError(f"scenario {sc.name!r} is a solid-state cathode (component SE): BPX has no single-ion "
                             "electrolyte, so its cell cannot be written as BPX", parameter="components", value="SE",
                             valid="a formulation without SE")
    if sample is None:
        inputs = sc.nominal()
    else:
        if not (isinstance(sample, int) and sample >= 0):
            raise ParameterError(f"sample = {sample!r} must be an integer >= 0", parameter="sample", value=sample,
                                 valid="[0, inf)")
        row = sc.sample(sample + 1).iloc[sample]
        inputs = {k: float(v) for k, v in row.items() if k != "segment"}
    values = {k: float(np.asarray(v)) for k, v in sc.build_chain().evaluate(inputs).items()}
    cell = sc.cell_container()
    which = "nominal electrode" if sample is None else f"Monte Carlo sample {sample} (seed {sc.study['seed']})"
    return write_bpx(path, values, cell.source, v_min=float(cell.settings["v_min"]),
                     title=f"{sc.name}: {which}"), values
