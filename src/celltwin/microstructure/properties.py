"""Effective properties of a voxel microstructure by TauFactor's 3D finite-difference solvers.

Transport runs along the first image axis (through the coating thickness). TauFactor
(Kench et al., SoftwareX 2023) solves steady diffusion/conduction with SOR on torch.

- ``tau_pore``: tortuosity factor of the macro pores alone, in the P2D convention
  D_eff/D = eps_cal / tau (eps_cal is the total porosity the P2D model uses).
- ``tau_e``: the same with ionic transport through the CBD's nanopores. The CBD's relative
  conductivity is eps_nano / tau_nano with Bruggeman tau_nano = eps_nano^-0.5, i.e.
  eps_nano^1.5 = 0.354 at eps_nano = 0.5 (the binder/carbon nanostructure treated as a
  sphere-like packing, Bruggeman 1935; seed 000 for eps_nano).
- ``kappa_s_eff``: effective electronic conductivity (S/m) through AM (KAPPA_AM) and the CBD
  domain (KAPPA_CBM, Table A2's carbon-binder value taken for the porous domain as a whole).
  At a contrast of 2.5e4 TauFactor's SOR stalls (50 000 sweeps when the CBD does not
  percolate), so this one is solved by :func:`conductance`, the same finite-volume
  equations (harmonic-mean face conductances, fixed potentials on the two end faces) with
  Jacobi-preconditioned conjugate gradients; the tests check both solvers against each other.
- ``a_s``: AM-pore interface not covered by CBD per box volume (1/m), from voxel faces times
  2/3: a surface of isotropic orientation shows on average 3/2 of its area as voxel faces
  (the mean of |n_x| + |n_y| + |n_z| over the unit sphere), checked on a single sphere in
  the tests.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from ..platform.errors import CelltwinWarning, MissingDependencyError, SolverError
from .generate import AM, CBD, EPS_NANO, PORE

#: electronic conductivities, S/m (seed 004, Table A2; same values as cellmodel.structure)
KAPPA_AM = 0.0309
KAPPA_CBM = 760.0
#: voxel faces overcount an isotropic surface by 3/2
STAIRCASE = 2.0 / 3.0
#: TauFactor's convergence criterion (relative spread of the flux between layers)
CONV_CRIT = 1e-3
ITER_LIMIT = 20_000


def _taufactor():
    try:
        import taufactor
        import torch
    except ImportError:
        raise MissingDependencyError("the 3D structure solver needs TauFactor and torch: "
                                     "pip install 'celltwin[structure]'", parameter="taufactor") from None
    torch.set_num_threads(1)
    return taufactor


def nano_conductivity(eps_nano: float = EPS_NANO) -> float:
    """Relative ionic conductivity of the CBD domain: eps_nano / tau_nano = eps_nano^1.5 (Bruggeman)."""
    return float(eps_nano) ** 1.5


def relative_conductance(labels: np.ndarray, cond: Mapping[int, float]) -> float:
    """Effective conductivity along axis 0 of a labelled image, in the units of ``cond`` (0 = blocked).

    One phase of conductivity 1 uses TauFactor's two-phase ``Solver`` (D_eff/D0 = VF/tau);
    otherwise ``MultiPhaseSolver`` (harmonic means across phase boundaries).
    """
    tf = _taufactor()
    phases = {p: c for p, c in cond.items() if c > 0 and np.any(labels == p)}
    if not phases:
        return 0.0
    if len(phases) == 1 and next(iter(phases.values())) == 1.0:
        solver = tf.Solver(np.isin(labels, list(phases)).astype(np.uint8), device="cpu")
    else:
        img = np.zeros(labels.shape, dtype=np.uint8)
        for k, p in enumerate(phases, start=1):
            img[labels == p] = k
        solver = tf.MultiPhaseSolver(img, cond={k: float(c) for k, c in enumerate(phases.values(), start=1)},
                                     device="cpu")
    solver.solve(verbose=False, conv_crit=CONV_CRIT, iter_limit=ITER_LIMIT)
    if not solver.converged:
        warnings.warn(CelltwinWarning(f"TauFactor stopped at {ITER_LIMIT} iterations before its flux criterion "
                                      f"{CONV_CRIT:g}; the effective conductivity is approximate",
                                      parameter="labels", iterations=ITER_LIMIT), stacklevel=2)
    d = float(np.asarray(solver.D_rel if isinstance(solver, tf.Solver) else solver.D_eff).reshape(-1)[0])
    if not np.isfinite(d):
        raise SolverError(f"TauFactor returned a non-finite effective conductivity ({d})", parameter="labels")
    return d


def conductance(cond: np.ndarray, rtol: float = 1e-5) -> float:
    """Effective conductivity along axis 0 of a conductivity image (0 = blocked), by sparse CG.

    Potential 1 and 0 half a voxel outside the first and last layer, no flux through the
    sides; returns the current through the first face times length over area.
    """
    import scipy.sparse as sp
    from scipy.sparse import linalg

    k = np.asarray(cond, dtype=float)
    idx = np.arange(k.size).reshape(k.shape)
    rows, cols, vals, diag = [], [], [], np.zeros(k.size)
    for ax in range(3):
        a, b = (np.take(k, np.arange(s, k.shape[ax] - 1 + s), axis=ax).ravel() for s in (0, 1))
        ia, ib = (np.take(idx, np.arange(s, k.shape[ax] - 1 + s), axis=ax).ravel() for s in (0, 1))
        m = (a > 0) & (b > 0)
        g = 2.0 * a[m] * b[m] / (a[m] + b[m])
        rows += [ia[m], ib[m]]
        cols += [ib[m], ia[m]]
        vals += [-g, -g]
        np.add.at(diag, ia[m], g)
        np.add.at(diag, ib[m], g)
    first, last = idx[0].ravel(), idx[-1].ravel()
    g_in, g_out = 2.0 * k[0].ravel(), 2.0 * k[-1].ravel()
    diag[first] += g_in
    diag[last] += g_out
    rhs = np.zeros(k.size)
    rhs[first] = g_in
    live = diag > 0
    if not live.any():
        return 0.0
    a_mat = (sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(k.size, k.size)) + sp.diags(diag))[live][:, live]
    guess = np.broadcast_to(np.linspace(1, 0, k.shape[0] + 2)[1:-1, None, None], k.shape).ravel()[live]
    phi, info = linalg.cg(a_mat, rhs[live], x0=guess, rtol=rtol, M=sp.diags(1.0 / diag[live]), maxiter=50_000)
    if info != 0:
        raise SolverError(f"conjugate gradients did not converge (info {info})", parameter="kappa_s_eff")
    full = np.zeros(k.size)
    full[live] = phi
    return float(np.sum(g_in * (1.0 - full[first]))) * k.shape[0] / (k.shape[1] * k.shape[2])


def surface_faces(img: np.ndarray, a: int, b: int) -> int:
    """Number of voxel faces between phases a and b (inside the box)."""
    n = 0
    for axis in range(3):
        lo = np.take(img, np.arange(img.shape[axis] - 1), axis=axis)
        hi = np.take(img, np.arange(1, img.shape[axis]), axis=axis)
        n += int(np.sum((lo == a) & (hi == b)) + np.sum((lo == b) & (hi == a)))
    return n


def active_surface(img: np.ndarray, voxel_size: float) -> float:
    """a_s (1/m): AM-pore faces x voxel area x 2/3 (staircase) per box volume; voxel_size in m."""
    return STAIRCASE * surface_faces(img, AM, PORE) / (img.size * voxel_size)


def electronic_conductivity(img: np.ndarray) -> float:
    """kappa_s_eff (S/m) of a labelled image: AM at KAPPA_AM and the CBD domain at KAPPA_CBM, by :func:`conductance`."""
    return conductance(np.select([img == AM, img == CBD], [KAPPA_AM, KAPPA_CBM], 0.0))


def properties(img: np.ndarray, voxel_size: float, eps_nano: float = EPS_NANO,
               electronic: np.ndarray | None = None) -> dict[str, float]:
    """tau_pore, tau_e, kappa_s_eff (S/m) and a_s (1/m) of a labelled image; voxel_size in m.

    ``electronic``: the same structure on a finer grid for kappa_s_eff, which converges in
    voxel size much more slowly than the ionic properties (thin CBD bridges between
    particles; docs/structure-surrogate.md); by default ``img`` itself.
    """
    eps = float(np.mean(img == PORE) + eps_nano * np.mean(img == CBD))
    d_pore = relative_conductance(img, {PORE: 1.0})
    d_ion = relative_conductance(img, {PORE: 1.0, CBD: nano_conductivity(eps_nano)})
    kappa = electronic_conductivity(img if electronic is None else electronic)
    with np.errstate(divide="ignore"):
        return {"tau_pore": eps / d_pore if d_pore > 0 else float("inf"),
                "tau_e": eps / d_ion if d_ion > 0 else float("inf"),
                "kappa_s_eff": kappa, "a_s": active_surface(img, voxel_size)}
