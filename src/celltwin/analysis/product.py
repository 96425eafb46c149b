"""Product-oriented design (seed 004, section 2.1, Figure 2): performance -> structure -> process.

Stage 1 designs the calendered structure with the cell model: at the scenario's fixed
formulation the structure has two degrees of freedom, the mass loading ``m_dry`` and the
porosity ``eps_cal`` (thickness and volume fractions follow from eqs. 13, 14, 16). Stage 1
optimises an objective (e.g. maximise energy density) subject to performance
requirements (e.g. capacity >= X mAh/cm^2) with SLSQP, one batched cell solve per step
(the point and its two finite-difference neighbours together). Its bounds are the range
of ``m_dry`` and ``eps_cal`` the chain can make within the free process bounds, so the
structure stage 1 asks for is one stage 2 can reach. Stage 2 is an :func:`inverse` run
from those structural targets to the process settings; the result is checked by one
solve of the whole chain with the cell model.
"""
from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..containers.calendering import volume_fractions
from ..containers.drying import compacted
from ..platform.chain import ProcessChain
from ..platform.errors import ParameterError, SolverError
from ..platform.registry import containers as registry
from ..platform.scenario import Scenario
from .inverse import BatchEvaluator, InverseResult, UnreachableTargetError, _unit, free_bounds, inverse

STRUCTURE = ("m_dry", "eps_cal")


@dataclass
class ProductDesign:
    """Both stages of a product-oriented run (catalog units)."""

    requirements: dict[str, tuple[float, float]]
    objective: str
    maximize: bool
    structure: dict[str, float]               # stage-1 optimum: m_dry, eps_cal and the derived h_cal, rho_cal
    structure_bounds: dict[str, tuple[float, float]]
    predicted: dict[str, float]               # cell model on the stage-1 structure
    process: InverseResult                    # stage 2
    achieved: dict[str, float]                # whole chain + cell at the stage-2 settings
    cell_solves: int
    wall_time: float

    def flat(self) -> dict:
        out = dict(self.process.settings)
        out.update({f"target_{k}": v for k, v in self.structure.items()})
        out.update(self.achieved)
        out.update({"reachable": self.process.reachable, "at_bound": sorted(self.process.at_bound),
                    "cell_solves": self.cell_solves, "chain_evaluations": self.process.evaluations,
                    "wall_time_s": self.wall_time})
        return out


def cell_container(sc: Scenario, name: str | None = None):
    """The scenario's cell-model container (default "half-cell") with the scenario's options."""
    name = name or sc.cell or "half-cell"
    opts = dict(sc.container_options.get(name, {}))
    opts.setdefault("current_density", sc.current_density)
    return registry.get(name)(sc.components, **opts)


def structure_inputs(state: Mapping[str, float], components, m_dry, eps_cal) -> dict[str, np.ndarray]:
    """Cell-model inputs of a calendered structure (m_dry in mg/cm^2, eps_cal) at the
    formulation in ``state``: h_cal (um) by eq. 13, X_i by eq. 16."""
    m_dry, eps_cal = np.asarray(m_dry, dtype=float), np.asarray(eps_cal, dtype=float)
    h_cm, _ = compacted(m_dry * 1e-3, state["rho_solids"], eps_cal)
    out = {"m_dry": m_dry, "eps_cal": eps_cal, "h_cal": h_cm * 1e4,
           "rho_cal": state["rho_solids"] * (1 - eps_cal)}
    formulation = {k: state[k] for c in components for k in (f"w_{c}", f"rho_{c}")}
    out.update(volume_fractions(formulation, components, eps_cal))
    out.update(formulation)
    return out


def _structure_bounds(run: BatchEvaluator, bounds: Mapping[str, tuple[float, float]]) -> dict:
    """Range of m_dry and eps_cal over the box of the free process parameters (its corners and
    centre; eqs. 10-15 are monotone in each process parameter), pulled in by 1 % of the span."""
    names = list(bounds)
    corners = np.array(list(itertools.product(*[bounds[n] for n in names])) +
                       [[0.5 * sum(bounds[n]) for n in names]])
    res = run(corners)
    out = {}
    for k in STRUCTURE:
        v = np.asarray(res[k])[res.valid]
        if v.size == 0 or np.ptp(v) == 0:
            raise ParameterError(f"the free parameters {', '.join(names)} do not move {k}: stage 2 could not "
                                 f"reach a structural target on it; free a parameter upstream of {k}")
        pad = 0.01 * np.ptp(v)
        out[k] = (float(v.min() + pad), float(v.max() - pad))
    return out


def product_design(scenario: Scenario | str, requirements: Mapping[str, tuple], free, *,
                   objective: str = "energy_density", maximize: bool = True, cell: str | None = None,
                   structure_bounds: Mapping[str, tuple[float, float]] | None = None,
                   fd_step: float = 1e-3, max_iterations: int = 40, rtol: float = 1e-4) -> ProductDesign:
    """Two-stage product-oriented run.

    Parameters
    ----------
    requirements : performance name -> (low, high), None for an open side,
        e.g. ``{"capacity": (2.0, None)}`` for capacity >= 2.0 mAh/cm^2.
    free : free process parameters for stage 2 (names, or name -> (low, high)).
    objective, maximize : what stage 1 optimises: a cell-model output or a designed structural
        parameter (m_dry, eps_cal, h_cal, rho_cal); requirements may name either too.
    structure_bounds : override the stage-1 bounds of ``m_dry`` (mg/cm^2) and ``eps_cal``.
    fd_step : finite-difference step in the unit box of the structure (the cell model is
        solved to rtol 1e-6, so steps much below 1e-3 see solver noise).
    """
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    sc = Scenario.load(scenario) if isinstance(scenario, str) else scenario
    cellc = cell_container(sc, cell)
    known = [*cellc.outputs(), *STRUCTURE, "h_cal", "rho_cal"]
    for k in [objective, *requirements]:
        if k not in known:
            raise ParameterError(f"{k!r} is neither an output of the cell model {cellc.name!r} nor a designed "
                                 f"structural parameter; choose from {', '.join(known)}")
    reqs = {k: (-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi))
            for k, (lo, hi) in requirements.items()}

    chain = sc.build_chain(with_cell=False)
    base = sc.nominal()
    bounds = free_bounds(sc, free, base)
    run = BatchEvaluator(sc, chain, list(bounds), base)
    state = {k: float(np.asarray(v).reshape(-1)[0])
             for k, v in run(np.array([[base[n] for n in bounds]])).items()}
    sb = dict(_structure_bounds(run, bounds))
    sb.update(structure_bounds or {})
    lo = np.array([sb[k][0] for k in STRUCTURE])
    hi = np.array([sb[k][1] for k in STRUCTURE])

    cell_chain = ProcessChain([cellc], set(cellc.inputs()), sc.catalog)
    solves = 0

    def perf(z: np.ndarray) -> dict[str, np.ndarray]:
        nonlocal solves
        x = lo + np.atleast_2d(z) * (hi - lo)
        design = structure_inputs(state, sc.components, x[:, 0], x[:, 1])
        res = cell_chain.evaluate({k: np.broadcast_to(v, x[:, 0].shape) for k, v in design.items()
                                   if k in cellc.inputs()}, on_invalid="mask")
        solves += x.shape[0]
        out = {**design, **res}
        out["reasons"] = res.reasons
        return out

    sign = -1.0 if maximize else 1.0
    cache: dict[bytes, dict] = {}

    def at(z):
        z = np.clip(np.asarray(z, dtype=float), 0.0, 1.0)
        key = z.tobytes()
        if key not in cache:
            steps = np.where(z + fd_step <= 1.0, fd_step, -fd_step)
            res = perf(np.vstack([z, z + np.diag(steps)]))
            vals = {k: np.asarray(res[k], dtype=float) for k in [objective, *reqs]}
            if not all(np.isfinite(v).all() for v in vals.values()):
                raise SolverError(f"stage 1: the cell model failed near m_dry = {lo[0] + z[0] * (hi[0] - lo[0]):.4g} "
                                  f"mg/cm^2, eps_cal = {lo[1] + z[1] * (hi[1] - lo[1]):.4g}: "
                                  f"{res['reasons'][res['reasons'] != ''][:1]}")
            cache.clear()
            cache[key] = {k: (v[0], (v[1:] - v[0]) / steps) for k, v in vals.items()}
        return cache[key]

    z0 = np.clip(([state["m_dry"], state["eps_cal"]] - lo) / (hi - lo), 0.0, 1.0)
    ref = abs(float(at(z0)[objective][0])) or 1.0
    cons = []
    for k, (low, high) in reqs.items():
        for bound, s in ((low, 1.0), (high, -1.0)):
            if math.isfinite(bound):
                sc_ = abs(bound) or 1.0
                cons.append({"type": "ineq",
                             "fun": lambda z, k=k, b=bound, s=s, d=sc_: s * (at(z)[k][0] - b) / d,
                             "jac": lambda z, k=k, s=s, d=sc_: s * at(z)[k][1] / d})
    sol = minimize(lambda z: sign * at(z)[objective][0] / ref, z0, jac=lambda z: sign * at(z)[objective][1] / ref,
                   bounds=[(0.0, 1.0)] * 2, constraints=cons, method="SLSQP",
                   options={"maxiter": max_iterations, "ftol": 1e-7})
    z = np.clip(sol.x, 0.0, 1.0)
    best = at(z)
    x = lo + z * (hi - lo)
    predicted = {k: float(v[0]) for k, v in best.items()}
    for k, (low, high) in reqs.items():
        v, u = predicted[k], _unit(sc.catalog[k].unit)
        if v < low * (1 - 1e-3) or v > high * (1 + 1e-3):
            side = f">= {low:.6g}" if v < low else f"<= {high:.6g}"
            raise UnreachableTargetError(
                f"requirement {k} {side}{u} is unreachable: the best structure within m_dry in "
                f"[{lo[0]:.4g}, {hi[0]:.4g}] mg/cm^2 and eps_cal in [{lo[1]:.4g}, {hi[1]:.4g}] (what the chain makes "
                f"within the free process bounds) gives {k} = {v:.6g}{u}")
    structure = {"m_dry": float(x[0]), "eps_cal": float(x[1])}
    derived = structure_inputs(state, sc.components, x[0], x[1])
    structure.update(h_cal=float(derived["h_cal"]), rho_cal=float(derived["rho_cal"]))

    process = inverse(sc, {k: structure[k] for k in STRUCTURE}, bounds, rtol=rtol)
    full = ProcessChain(sc.containers(with_cell=False) + [cellc], sc.given, sc.catalog)
    final = full.evaluate({k: process.values[k] for k in full.inputs})
    solves += 1
    achieved = {k: float(final[k]) for k in [*STRUCTURE, "h_cal", "rho_cal", objective, *reqs]}
    return ProductDesign(reqs, objective, maximize, structure, {k: (float(a), float(b)) for k, a, b in
                                                                zip(STRUCTURE, lo, hi, strict=True)},
                         predicted, process, achieved, solves, time.perf_counter() - t0)
