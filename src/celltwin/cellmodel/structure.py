"""Structure surrogate: the calendered structure -> effective parameters of the P2D model.

Seed 004 (section 3.3) feeds the P2D model three effective parameters computed from the
structure at the end of the process chain: the effective electronic conductivity of the
solid kappa_s_eff, the electrochemically active surface area a_s and the effective
tortuosity tau_e. The paper uses the 3D-resistor-network surrogate of Laue et al.
(Electrochim. Acta 314, 2019), which is not published as closed formulas. The default
here, "resolved", is this project's own: fits to TauFactor solutions on stochastic 3D
voxel structures (:mod:`celltwin.microstructure`, docs/structure-surrogate.md). The
textbook effective-medium relations stay as named options.

Volume fractions: ``X_AM`` is the active material; ``X_SE`` a solid electrolyte (the ionic
path of a solid-state composite cathode, no electronic conductor); the carbon-binder matrix
(CBM) is every other solid component (conductive additive and binder, X_CA + X_PB).
Porosity and all solid volume fractions must sum to 1.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..microstructure.properties import KAPPA_AM, KAPPA_CBM
from ..platform.errors import ParameterError, first_offending

#: Bruggeman exponent of randomly packed spheres (Bruggeman 1935).
BRUGGEMAN = 1.5
#: The paper's cathode tortuosity at the nominal structure (seed 004, Table A2).
TAU_TABLE_A2 = 5.9449
#: How far eps + sum(X_i) may miss 1 before a structure is refused.
SUM_TOL = 1e-6
#: Default aspect ratio (thickness/diameter) of the carbon-binder films, "mixed-shape" model.
CBM_ASPECT_RATIO = 0.2

TORTUOSITY_MODELS = ("resolved", "bruggeman", "mixed-shape", "table-a2")
#: Volume fractions of ion conductors: not part of the electronically conducting CBM.
ION_CONDUCTORS = ("X_SE",)
#: Continuum percolation threshold of randomly placed grains in 3D, volume fraction: 0.16
#: (Scher & Zallen, J. Chem. Phys. 53, 3759, 1970: the critical volume fraction is close to
#: 0.16 for any 3D lattice and for random sphere packings).
PERCOLATION_THRESHOLD = 0.16
#: Conductivity exponent of 3D percolation, t = 2.0 (Stauffer & Aharony, Introduction to
#: Percolation Theory, 2nd ed., Taylor & Francis 1994, ch. 5; Kirkpatrick, Rev. Mod. Phys.
#: 45, 574, 1973, for the power law on random resistor networks).
PERCOLATION_EXPONENT = 2.0


def bruggeman_tortuosity(porosity, exponent: float = BRUGGEMAN):
    """tau = eps^(1 - b): the Bruggeman relation D_eff/D = eps^b = eps/tau (Bruggeman 1935).

    Uses porosity only; b = 1.5 is exact for a dilute-to-dense packing of spheres in the
    differential effective-medium construction. The baseline of seed 004.
    """
    return np.power(porosity, 1.0 - exponent)


def spheroid_exponent(aspect_ratio):
    """Archie/Bruggeman exponent of randomly oriented insulating spheroids.

    Differential effective-medium theory gives m = (1/3) sum_k 1/(1 - L_k) over the three
    depolarisation factors; for a spheroid with factor L along its symmetry axis this is
    m = (5 - 3L) / (3 (1 - L^2)) (Mendelson & Cohen, Geophysics 47, 257, 1982). Spheres
    (aspect ratio 1, L = 1/3) give the Bruggeman 1.5; flat (oblate) grains give more.
    """
    a = np.asarray(aspect_ratio, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        e2 = 1.0 - np.minimum(a, 1 / a) ** 2          # squared eccentricity
        e = np.sqrt(e2)
        oblate = (1.0 - np.sqrt(1.0 - e2) / e * np.arcsin(e)) / e2          # a < 1
        prolate = (1.0 - e2) / e2 * (np.arctanh(e) / e - 1.0)              # a > 1
        L = np.where(a < 1.0, oblate, prolate)
    L = np.where(np.isclose(a, 1.0), 1.0 / 3.0, L)
    return (5.0 - 3.0 * L) / (3.0 * (1.0 - L**2))


def mixed_shape_tortuosity(porosity, X_AM, X_CBM, cbm_aspect_ratio: float = CBM_ASPECT_RATIO):
    """Tortuosity of a pore space obstructed by spherical particles and flat CBM films.

    Bruggeman's differential scheme, adding obstacles of fixed composition, gives
    D_eff/D = eps^p with p the volume-weighted mean of the per-shape exponents:
    p = (X_AM * 1.5 + X_CBM * m_CBM) / (X_AM + X_CBM), m_CBM from
    :func:`spheroid_exponent` (Mendelson & Cohen 1982). Unlike Bruggeman it uses the
    volume fractions: at equal porosity a recipe richer in carbon-binder matrix is more
    tortuous, as tomography with resolved binder domains shows (Usseglio-Viretta et al.,
    J. Electrochem. Soc. 165, A3403, 2018). The aspect ratio is an assumption to be set
    from imaging of the actual electrode.
    """
    p = (X_AM * BRUGGEMAN + X_CBM * spheroid_exponent(cbm_aspect_ratio)) / (X_AM + X_CBM)
    return np.power(porosity, 1.0 - p)


def effective_conductivity(X_AM, X_CBM, kappa_AM: float = KAPPA_AM, kappa_CBM: float = KAPPA_CBM):
    """kappa_s_eff = kappa_AM X_AM^1.5 + kappa_CBM X_CBM^1.5 (S/m).

    The two solid phases conduct in parallel, each reduced by the Bruggeman factor of its
    own volume fraction; with Table A2's conductivities the CBM carries almost all of it.
    """
    return kappa_AM * np.power(X_AM, BRUGGEMAN) + kappa_CBM * np.power(X_CBM, BRUGGEMAN)


def active_surface_area(X_AM, radius):
    """a_s = 3 X_AM / R_p (1/m): the surface of spherical particles per electrode volume.

    This is what PyBaMM's DFN uses for spherical particles, so the surrogate and the
    P2D model agree by construction.
    """
    return 3.0 * X_AM / radius


def cbm_fraction(volume_fractions: Mapping[str, np.ndarray]):
    """X_CBM: sum of the solid volume fractions that are neither active material nor solid electrolyte."""
    return sum(np.asarray(v, dtype=float) for k, v in volume_fractions.items()
               if k != "X_AM" and k not in ION_CONDUCTORS)


def percolation_conductivity(X_SE, kappa_SE: float, threshold: float = PERCOLATION_THRESHOLD,
                             exponent: float = PERCOLATION_EXPONENT):
    """kappa_ion_eff = kappa_SE ((X_SE - X_c) / (1 - X_c))^t above X_c, 0 below (S/m).

    The percolation power law of a conducting phase in an insulating matrix (Kirkpatrick
    1973; Stauffer & Aharony 1994), normalised so that a dense solid electrolyte (X_SE = 1)
    conducts with its bulk kappa_SE. In a composite cathode the SE grains are the only
    ionic path when the pores are empty: AM, carbon-binder matrix and pores all block ions.
    Simulations of NCM/Li6PS5Cl composites show the same shape, a threshold and a steep
    rise above it, with a threshold that moves with the AM/SE particle-size ratio
    (Bielefeld, Weber & Janek, J. Phys. Chem. C 123, 1626, 2019); X_c and t are therefore
    options to be fitted to measured composites, the defaults are the universal 3D values.
    We write the law out rather than take it from a library: no maintained Python package
    provides percolation effective-medium laws (porespy and taufactor compute them on images).
    """
    X = np.asarray(X_SE, dtype=float)
    if not 0 <= threshold < 1:
        raise ParameterError(f"percolation threshold X_c = {threshold!r} (unit 1) is outside the valid range [0, 1)",
                             parameter="se_threshold", value=threshold, unit="1", valid="[0, 1)")
    if not exponent >= 1:
        raise ParameterError(f"percolation exponent t = {exponent!r} is outside the valid range [1, inf): "
                             "below 1 the network would conduct better than its volume share",
                             parameter="se_exponent", value=exponent, unit="1", valid="[1, inf)")
    if not kappa_SE > 0:
        raise ParameterError(f"solid electrolyte conductivity kappa_SE = {kappa_SE!r} S/m is outside the valid "
                             "range (0, inf) S/m", parameter="kappa_SE", value=kappa_SE, unit="S/m", valid="(0, inf)")
    reduced = np.clip((X - threshold) / (1.0 - threshold), 0.0, None)
    return kappa_SE * np.power(reduced, exponent)


def structure_problems(porosity, volume_fractions: Mapping[str, np.ndarray], thickness=None,
                       radius=None) -> list[tuple[np.ndarray, str]]:
    """Physically impossible structures, as ``(bad_mask, message)`` pairs.

    Porosity in (0, 1), X_AM in (0, 1), every X_i in [0, 1], porosity + sum X_i = 1,
    thickness and particle radius positive (both in metres if given).
    """
    eps = np.asarray(porosity, dtype=float)
    X = {k: np.asarray(v, dtype=float) for k, v in volume_fractions.items()}
    extra = [np.shape(a) for a in (thickness, radius) if a is not None]
    shape = np.broadcast_shapes(eps.shape, *(v.shape for v in X.values()), *extra)
    out: list[tuple[np.ndarray, str]] = []

    def check(bad, values, text):
        bad = np.broadcast_to(np.asarray(bad) & ~np.isnan(np.broadcast_to(values, shape)), shape)
        if np.any(bad):
            out.append((bad, text.format(v=first_offending(values, bad))))

    check(~(eps > 0) | ~(eps < 1), eps,
          "porosity eps_cal = {v:.6g} (unit 1) is outside the valid range (0, 1): the half-cell "
          "needs electrolyte-filled pores and some solid")
    if "X_AM" not in X:
        raise KeyError("volume fractions must include X_AM (active material)")
    check(~(X["X_AM"] > 0) | ~(X["X_AM"] < 1), X["X_AM"],
          "active material volume fraction X_AM = {v:.6g} (unit 1) is outside the valid range (0, 1)")
    for name, v in X.items():
        if name != "X_AM":
            check(~(v >= 0) | ~(v < 1), v, f"volume fraction {name} = {{v:.6g}} (unit 1) is outside "
                                           "the valid range [0, 1)")
    total = eps + sum(X.values())
    names = " + ".join(["eps_cal", *X])
    check(np.abs(total - 1.0) > SUM_TOL, total,
          f"{names} = {{v:.8g}} (unit 1) must equal 1 (valid range [1 - {SUM_TOL:g}, 1 + {SUM_TOL:g}]): "
          "porosity and solid volume fractions fill the coating")
    if thickness is not None:
        check(~(np.asarray(thickness, dtype=float) > 0), np.asarray(thickness, dtype=float) * 1e6,
              "coating thickness h_cal = {v:.6g} um is outside the valid range (0, inf) um")
    if radius is not None:
        check(~(np.asarray(radius, dtype=float) > 0), np.asarray(radius, dtype=float) * 1e6,
              "particle radius R_p = {v:.6g} um is outside the valid range (0, inf) um")
    return out


def effective_parameters(porosity, volume_fractions: Mapping[str, np.ndarray], radius, *,
                         tortuosity: str = "bruggeman", cbm_aspect_ratio: float = CBM_ASPECT_RATIO,
                         kappa_AM: float = KAPPA_AM, kappa_CBM: float = KAPPA_CBM) -> dict[str, np.ndarray]:
    """The battery-model parameters of seed 004 section 3.3 from the calendered structure.

    Parameters
    ----------
    porosity : eps_cal (1)
    volume_fractions : ``{"X_AM": ..., "X_CA": ..., "X_PB": ...}`` (1), optionally ``X_SE``
        (a solid electrolyte: left out of X_CBM and kappa_s_eff; the ionic path of a
        solid-state cathode is :mod:`celltwin.cellmodel.solid_state`'s)
    radius : active particle radius R_p (m)
    tortuosity : "resolved" (the 3D-structure surrogate: tau_e, kappa_s_eff and a_s from
        :func:`celltwin.microstructure.surrogate.load_surrogate`, which warns outside its
        design space), "bruggeman" (baseline), "mixed-shape" (uses the volume fractions,
        :func:`mixed_shape_tortuosity`) or "table-a2" (the paper's 5.9449, fixed)

    Returns
    -------
    dict with ``eps`` (1), ``X_AM`` (1), ``X_CBM`` (1), ``kappa_s_eff`` (S/m),
    ``a_s`` (1/m), ``tau_e`` (1) and ``bruggeman`` (the exponent b with eps/tau = eps^b).
    """
    eps = np.asarray(porosity, dtype=float)
    X_AM = np.asarray(volume_fractions["X_AM"], dtype=float)
    X_CBM = cbm_fraction(volume_fractions)
    if tortuosity == "resolved":  # all three from the 3D surrogate
        from ..microstructure.surrogate import load_surrogate
        # a solid electrolyte conducts no electrons: for the electronic network and the free AM
        # surface it is space like the pores (the surrogate's structures hold AM, CBM and pores)
        free = eps + sum(np.asarray(v, dtype=float) for k, v in volume_fractions.items() if k in ION_CONDUCTORS)
        res = load_surrogate()(free, X_CBM, np.asarray(radius, dtype=float) * 1e6)
        return _with_bruggeman(eps, X_AM, X_CBM, res["kappa_s_eff"], res["a_s"], res["tau_e"])
    if tortuosity == "bruggeman":
        tau = bruggeman_tortuosity(eps)
    elif tortuosity == "mixed-shape":
        tau = mixed_shape_tortuosity(eps, X_AM, X_CBM, cbm_aspect_ratio)
    elif tortuosity == "table-a2":
        tau = np.full(np.broadcast_shapes(eps.shape, X_AM.shape), TAU_TABLE_A2)
    else:
        raise ParameterError(f"unknown tortuosity model {tortuosity!r}; valid: {', '.join(TORTUOSITY_MODELS)}",
                             parameter="tortuosity", value=tortuosity, valid=", ".join(TORTUOSITY_MODELS))
    return _with_bruggeman(eps, X_AM, X_CBM, effective_conductivity(X_AM, X_CBM, kappa_AM, kappa_CBM),
                           active_surface_area(X_AM, radius), tau)


def _with_bruggeman(eps, X_AM, X_CBM, kappa, a_s, tau) -> dict[str, np.ndarray]:
    """The effective parameters, with the Bruggeman exponent b (eps/tau = eps^b) that the tortuosity implies."""
    with np.errstate(divide="ignore", invalid="ignore"):
        b = 1.0 - np.log(tau) / np.log(eps)
    return {"eps": eps, "X_AM": X_AM, "X_CBM": np.asarray(X_CBM, dtype=float),
            "kappa_s_eff": kappa, "a_s": a_s, "tau_e": tau, "bruggeman": b}
