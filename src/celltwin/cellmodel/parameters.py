"""PyBaMM parameter values for the cathode half-cell: seed 004 Table A2, or any PyBaMM set.

Table A2 gives the cathode's material and kinetic parameters but not everything a DFN
half-cell needs. The rest comes from PyBaMM's ``Xu2019`` set (an NMC half-cell against
lithium metal, Xu et al., J. Electrochem. Soc. 166, A3456, 2019), which we take as the base:

=====================================  ===========================================
from Table A2                          c_max, c_0, c_e, D_s, k (converted), alpha,
                                       R_p, separator porosity 0.5 and tortuosity 1,
                                       C_DL (when the double layer is on)
from Xu2019 (not in Table A2)          NMC open-circuit potential (Mohtat 2020 fit),
                                       LiPF6 electrolyte D_e(c), kappa_e(c) of Valoen &
                                       Reimers 2005, t+ = 0.38, separator thickness
                                       25 um, lithium-metal exchange current, 25 degC
computed per sample                    thickness, porosity, X_AM, kappa_s_eff, tau_e
=====================================  ===========================================
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from ..materials import material
from ..materials import parameter_set as library_set
from ._bpx import read_bpx
from ._pybamm import import_pybamm

#: The half-cell set that supplies what Table A2 leaves open.
BASE_SET = "Xu2019"
#: Faraday constant, C/mol (CODATA 2018, the value PyBaMM uses).
FARADAY = 96485.33212

#: Seed 004 Table A2, cathode column, SI units.
TABLE_A2 = {
    "thickness": 4.85e-5,            # m
    "porosity": 0.315,
    "particle_radius": 5.5e-6,       # m
    "tortuosity": 5.9449,
    "c_max": 4.3221e4,               # mol/m^3
    "c_0": 1.5467e4,                 # mol/m^3
    "c_e": 1.0e3,                    # mol/m^3
    "D_s": 9.5594e-15,               # m^2/s
    "kappa_AM": 0.0309,              # S/m
    "kappa_CBM": 760.0,              # S/m
    "alpha": 0.5,
    "k": 1.1717e-9,                  # m^2.5 mol^-0.5 s^-1 (Newman form, see below)
    "C_DL": 0.2,                     # F/m^2
    "separator_porosity": 0.5,
    "separator_tortuosity": 1.0,
}

#: PyBaMM's rate constant m_ref = F k, A/m^2 (m^3/mol)^1.5.
M_REF_TABLE_A2 = FARADAY * TABLE_A2["k"]


def exchange_current_table_a2(c_e, c_s_surf, c_s_max, T):
    """Cathode exchange-current density (A/m^2) from Table A2's rate constant k.

    The P2D model behind Table A2 (seed 004 ref. [9], Newman form) writes the
    Butler-Volmer exchange current density as

        i_0 = F k c_e^alpha (c_max - c_s)^alpha c_s^(1 - alpha),

    with concentrations in mol/m^3, so k carries m^2.5 mol^-0.5 s^-1 (the table lists
    only its time unit, s^-1). PyBaMM asks for the same quantity as a function
    j_0(c_e, c_s_surf, c_s_max, T) in A/m^2 and writes it, for alpha = 0.5, as

        j_0 = m_ref c_e^0.5 c_s_surf^0.5 (c_s_max - c_s_surf)^0.5,

    hence m_ref = F k = 96485.33 C/mol x 1.1717e-9 = 1.1305e-4 A/m^2 (m^3/mol)^1.5.
    At c_e = 1000 and c_s = c_0 this is j_0 = 74 A/m^2. Isothermal (no Arrhenius term).
    """
    return M_REF_TABLE_A2 * c_e**0.5 * c_s_surf**0.5 * (c_s_max - c_s_surf) ** 0.5


def base_parameter_values(parameter_set: str = "table-a2"):
    """PyBaMM ``ParameterValues`` for a cathode half-cell, before per-sample structure.

    ``"table-a2"`` is seed 004's cathode on the Xu2019 base (see the module docstring);
    a path ending in ``.json`` is a BPX file (read by :func:`celltwin.cellmodel._bpx.read_bpx`); any
    other name is a PyBaMM set. The positive electrode of a set or a BPX file is used as it
    is, with the lithium counter electrode taken from Xu2019 where the set has none.
    """
    pybamm = import_pybamm()
    base = pybamm.ParameterValues(BASE_SET)
    if parameter_set == "table-a2":
        pv = base
        t = TABLE_A2
        pv.update({
            "Maximum concentration in positive electrode [mol.m-3]": t["c_max"],
            "Initial concentration in positive electrode [mol.m-3]": t["c_0"],
            "Initial concentration in electrolyte [mol.m-3]": t["c_e"],
            "Positive particle diffusivity [m2.s-1]": t["D_s"],
            "Positive electrode exchange-current density [A.m-2]": exchange_current_table_a2,
            "Positive electrode charge transfer coefficient": t["alpha"],
            "Positive particle radius [m]": t["particle_radius"],
            "Positive electrode double-layer capacity [F.m-2]": t["C_DL"],
            "Separator porosity": t["separator_porosity"],
        })
    elif parameter_set.endswith(".json"):
        pv = read_bpx(parameter_set)
        pv.update({k: v for k, v in base.items() if k not in pv.keys()}, check_already_exists=False)
    else:
        try:
            pv = pybamm.ParameterValues(parameter_set)
        except Exception as exc:  # PyBaMM raises ValueError/KeyError for unknown names
            from ..platform.errors import ParameterError, unknown
            raise ParameterError(unknown("PyBaMM parameter set", parameter_set,
                                         ["table-a2", *pybamm.parameter_sets.keys()])) from exc
        missing = {k: v for k, v in base.items() if k not in pv.keys()}
        pv.update(missing, check_already_exists=False)
    # Transport through "tortuosity factor": B = eps / tau; the separator has Table A2's tau = 1.
    pv.update({
        "Separator tortuosity factor (electrolyte)": TABLE_A2["separator_tortuosity"],
        "Positive electrode tortuosity factor (electrode)": 1.0,
        # one square metre of electrode: currents in A are current densities in A/m^2
        "Electrode height [m]": 1.0,
        "Electrode width [m]": 1.0,
        "Number of electrodes connected in parallel to make a cell": 1.0,
        "Contact resistance [Ohm]": 0.0,
    }, check_already_exists=False)
    return pv


def positive_concentrations(pv) -> tuple[float, float]:
    """(c_max, c_0) of the positive electrode in mol/m^3, for the theoretical capacity."""
    c_max = float(pv["Maximum concentration in positive electrode [mol.m-3]"])
    c_0 = pv["Initial concentration in positive electrode [mol.m-3]"]
    if callable(c_0):  # some sets give c_0 as a function of position
        raise TypeError("initial positive concentration must be a number for the half-cell")
    return c_max, float(c_0)


#: a set whose lithium window gives more than the material's theoretical capacity by more than this is refused
CAPACITY_TOLERANCE = 0.05
#: a set whose c_max implies a particle density further than this from the library's is reported
DENSITY_TOLERANCE = 0.10


@dataclass(frozen=True)
class SetCheck:
    """What a cell parameter set implies for an active material, and what contradicts it."""

    parameter_set: str
    material: str
    implied_capacity: float | None   # mAh/g: (c_max - c_0) F / rho of the library's material
    implied_density: float | None    # g/cm^3: c_max M (one Li site per formula unit)
    contradictions: tuple[str, ...]  # refused unless overridden
    doubts: tuple[str, ...]          # reported


@functools.lru_cache(maxsize=32)
def check_parameter_set(parameter_set: str, material_name: str) -> SetCheck:
    """Compare a parameter set (or BPX file) with the library's facts of ``material_name``.

    Contradictions: the library records the set for another material; or the set's lithium
    window (c_max - c_0, the lithium a discharge from c_0 can insert) holds more than one Li
    per formula unit, i.e. its implied specific capacity exceeds the theoretical one by more
    than :data:`CAPACITY_TOLERANCE`. Doubts: more than the practical capacity; a c_max whose
    implied particle density differs from the library's by more than :data:`DENSITY_TOLERANCE`;
    a set the library does not record.
    """
    m = material(material_name, kind="active")
    label = f"BPX file {parameter_set!r}" if parameter_set.endswith(".json") else f"parameter set {parameter_set!r}"
    bad, doubts = [], []
    info = library_set(parameter_set)
    if info is None:
        doubts.append(f"the materials library does not record which active material {label} describes; "
                      f"celltwin cannot check it against {material_name}")
    elif material_name not in info.materials:
        bad.append(f"{label} describes {' or '.join(info.materials)} ({info.source}), not {material_name}")
    c_max, c_0 = (TABLE_A2["c_max"], TABLE_A2["c_0"]) if parameter_set == "table-a2" else \
        positive_concentrations(base_parameter_values(parameter_set))
    capacity = (c_max - c_0) * FARADAY / 3.6 / (m.rho * 1e6) if m.rho else None
    density = c_max * m.facts["molar_mass"].value / 1e6 if "molar_mass" in m.facts else None
    theory, practical = m.facts.get("capacity_theoretical"), m.facts.get("capacity_practical")
    if capacity is None:
        doubts.append(f"the library has no density of {material_name}: the capacity of {label} is not checked")
    elif theory and capacity > theory.value * (1 + CAPACITY_TOLERANCE):
        bad.append(f"its lithium window (c_max - c_0 = {c_max - c_0:.0f} mol/m^3) gives {capacity:.0f} mAh/g of "
                   f"{material_name} at the library's {m.rho:.3g} g/cm^3, above the theoretical "
                   f"{theory.value:.1f} mAh/g (one Li per formula unit; tolerance {100 * CAPACITY_TOLERANCE:.0f} %)")
    elif practical and capacity > practical.value:
        lo, hi = practical.window or (math.nan, math.nan)
        doubts.append(f"{label} implies {capacity:.0f} mAh/g of {material_name}, above its practical "
                      f"{practical.value:.0f} mAh/g between {lo:g} and {hi:g} V ({practical.source})")
    if density is not None and m.rho and abs(density / m.rho - 1) > DENSITY_TOLERANCE:
        doubts.append(f"the c_max of {label} ({c_max:.0f} mol/m^3) times the molar mass of {material_name} "
                      f"({m.facts['molar_mass'].value:.1f} g/mol) implies a particle density of {density:.2f} g/cm^3; "
                      f"the library's is {m.rho:.3g} g/cm^3 ({100 * (density / m.rho - 1):+.0f} %, tolerance "
                      f"{100 * DENSITY_TOLERANCE:.0f} %)")
    return SetCheck(parameter_set, material_name, capacity, density, tuple(bad), tuple(doubts))
