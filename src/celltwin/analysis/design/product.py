"""Product-oriented design (seed 004, section 2.1, Figure 2): performance -> structure -> process.

Stage 1 designs the calendered structure with the cell model: at the scenario's fixed
formulation the structure has two degrees of freedom, the mass loading ``m_dry`` and the
porosity ``eps_cal`` (thickness and volume fractions follow from eqs. 13, 14, 16). Stage 1
optimises an objective (e.g. maximise energy density) subject to performance
requirements (e.g. capacity >= X mAh/cm^2) with SLSQP, one batched cell solve per step
(the point and its two finite-difference neighbours together). It searches the region of
``(m_dry, eps_cal)`` the chain can make within the free process bounds (not a box: the
drying metamodel couples porosity to loading), so the structure stage 1 asks for is one
stage 2 can reach. Stage 2 is an :func:`inverse` run
from those structural targets to the process settings; the result is checked by one
solve of the whole chain with the cell model.
"""
from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ...containers.scenario import ElectrodeScenario
from ...platform.chain import NestedChain, ProcessChain
from ...platform.errors import ParameterError, SolverError, UnreachableTargetError
from ...platform.scenario import Scenario
from ...platform.units import unit_suffix
from .inverse import InverseResult, inverse
from .space import DesignSpace

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
    units: dict[str, str] = field(default_factory=dict)  # catalog unit of every setting, structure and output

    def flat(self) -> dict:
        out = dict(self.process.settings)
        out.update({f"target_{k}": v for k, v in self.structure.items()})
        out.update(self.achieved)
        out.update({"reachable": self.process.reachable, "at_bound": sorted(self.process.at_bound),
                    "cell_solves": self.cell_solves, "chain_evaluations": self.process.evaluations,
                    "wall_time_s": self.wall_time})
        return out


class Region:
    """The structures the line can make: m_dry in [m_lo, m_hi] and, at each m_dry, eps_cal
    between two envelopes. Porosity and loading are coupled (the drying metamodel dries a
    heavier film to a lower porosity), so the region is not a rectangle; stage 1 works on
    the unit square mapped onto it, so every structure it tries is one stage 2 can reach."""

    def __init__(self, m_grid: np.ndarray, e_lo: np.ndarray, e_hi: np.ndarray):
        self.m_grid, self.e_lo, self.e_hi = m_grid, e_lo, e_hi

    @classmethod
    def box(cls, m: tuple[float, float], eps: tuple[float, float]) -> Region:
        return cls(np.array(m, dtype=float), np.full(2, eps[0]), np.full(2, eps[1]))

    def structure(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit square -> (m_dry, eps_cal)."""
        z = np.atleast_2d(z)
        m = self.m_grid[0] + z[:, 0] * (self.m_grid[-1] - self.m_grid[0])
        lo, hi = np.interp(m, self.m_grid, self.e_lo), np.interp(m, self.m_grid, self.e_hi)
        return m, lo + z[:, 1] * (hi - lo)

    def unit(self, m: float, eps: float) -> np.ndarray:
        """(m_dry, eps_cal) -> unit square (clipped), the inverse of :meth:`structure`."""
        u = (m - self.m_grid[0]) / (self.m_grid[-1] - self.m_grid[0])
        lo, hi = np.interp(m, self.m_grid, self.e_lo), np.interp(m, self.m_grid, self.e_hi)
        return np.clip([u, (eps - lo) / (hi - lo)], 0.0, 1.0)

    def bounds(self) -> dict[str, tuple[float, float]]:
        return {"m_dry": (float(self.m_grid[0]), float(self.m_grid[-1])),
                "eps_cal": (float(self.e_lo.min()), float(self.e_hi.max()))}

    def describe(self) -> str:
        b = self.bounds()
        return (f"m_dry in [{b['m_dry'][0]:.4g}, {b['m_dry'][1]:.4g}] mg/cm^2 and eps_cal between "
                f"{self.e_lo[0]:.4g}..{self.e_hi[0]:.4g} (lightest) and {self.e_lo[-1]:.4g}..{self.e_hi[-1]:.4g} "
                "(heaviest)")


def reachable_region(run: NestedChain, bounds: Mapping[str, tuple[float, float]], *,
                     points: int = 20_000, bins: int = 40) -> Region:
    """What the chain makes over the box of the free process parameters: a grid over the box
    (the chain costs microseconds a point), binned by m_dry, with the least and greatest
    eps_cal of each bin as envelopes; everything pulled in by 1 % of its span."""
    names = list(bounds)
    k = max(2, int(points ** (1 / len(names))))
    grid = np.array(list(itertools.product(*[np.linspace(*bounds[n], k) for n in names])))
    res = run.evaluate(grid)
    m, e = (np.asarray(res[k_])[res.valid] for k_ in STRUCTURE)
    for key, v in zip(STRUCTURE, (m, e), strict=True):
        if v.size == 0 or np.ptp(v) == 0:
            raise ParameterError(f"the free parameters {', '.join(names)} do not move {key}: stage 2 could not "
                                 f"reach a structural target on it; free a parameter upstream of {key}")
    pad = 0.01 * np.ptp(m)
    edges = np.linspace(m.min(), m.max(), bins + 1)
    which = np.clip(np.digitize(m, edges) - 1, 0, bins - 1)
    lo = np.array([e[which == b].min() if np.any(which == b) else np.nan for b in range(bins)])
    hi = np.array([e[which == b].max() if np.any(which == b) else np.nan for b in range(bins)])
    centres = 0.5 * (edges[:-1] + edges[1:])
    ok = np.isfinite(lo)
    # a bin holds loadings on both sides of its centre: the narrower of neighbouring bins is safe
    lo_, hi_ = lo[ok], hi[ok]
    lo_safe = np.maximum(lo_, np.r_[lo_[1:], lo_[-1]])
    hi_safe = np.minimum(hi_, np.r_[hi_[1:], hi_[-1]])
    lo_safe, hi_safe = np.maximum(lo_safe, np.r_[lo_[0], lo_[:-1]]), np.minimum(hi_safe, np.r_[hi_[0], hi_[:-1]])
    span = hi_safe - lo_safe
    m_grid = np.clip(centres[ok], m.min() + pad, m.max() - pad)
    m_grid[0], m_grid[-1] = m.min() + pad, m.max() - pad
    return Region(m_grid, lo_safe + 0.01 * span, hi_safe - 0.01 * span)


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
    structure_bounds : override the stage-1 region by a box of ``m_dry`` (mg/cm^2) and ``eps_cal``.
    fd_step : finite-difference step in the unit box of the structure (the cell model is
        solved to rtol 1e-6, so steps much below 1e-3 see solver noise).
    """
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    sc = ElectrodeScenario.resolve(scenario)
    cellc = sc.cell_container(cell or sc.cell or "half-cell")
    known = [*cellc.outputs(), *STRUCTURE, "h_cal", "rho_cal"]
    for k in [objective, *requirements]:
        if k not in known:
            raise ParameterError(f"{k!r} is neither an output of the cell model {cellc.name!r} nor a designed "
                                 f"structural parameter; choose from {', '.join(known)}")
    reqs = {k: (-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi))
            for k, (lo, hi) in requirements.items()}

    chain = sc.build_chain(with_cell=False)
    base = sc.nominal()
    space = DesignSpace.of(sc, free, base)
    run = chain.function(space.names, fixed=base, complete=sc.close_balance)
    state = {k: float(np.asarray(v).reshape(-1)[0])
             for k, v in run.evaluate(np.array([[base[n] for n in space.names]])).items()}
    region = (Region.box(structure_bounds["m_dry"], structure_bounds["eps_cal"]) if structure_bounds
              else reachable_region(run, space.bounds))

    # stage 1 asks the calendering container for the structure at a given porosity and
    # hands it to the cell model: the designed structure through the chain's own equations
    compaction = chain.producer("eps_cal").at_porosity()
    design_inputs = [p for p in compaction.inputs() if p not in STRUCTURE]
    cell_chain = ProcessChain([compaction, cellc], {*STRUCTURE, *design_inputs}, sc.catalog)
    solves = 0

    def perf(z: np.ndarray) -> dict[str, np.ndarray]:
        nonlocal solves
        m, eps = region.structure(z)
        values = {"m_dry": m, "eps_cal": eps, **{k: np.full(m.shape, state[k]) for k in design_inputs}}
        res = cell_chain.evaluate(values, on_invalid="mask")
        solves += m.shape[0]
        out = dict(res)
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
            vals = {k: np.asarray(res[k], dtype=float) for k in dict.fromkeys([objective, *reqs, "h_cal", "rho_cal"])}
            if not all(np.isfinite(v).all() for v in vals.values()):
                m, eps = region.structure(z)
                raise SolverError(f"stage 1: the cell model failed near m_dry = {m[0]:.4g} "
                                  f"mg/cm^2, eps_cal = {eps[0]:.4g}: "
                                  f"{res['reasons'][res['reasons'] != ''][:1]}")
            cache.clear()
            cache[key] = {k: (v[0], (v[1:] - v[0]) / steps) for k, v in vals.items()}
        return cache[key]

    z0 = region.unit(state["m_dry"], state["eps_cal"])
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
    x = np.concatenate(region.structure(z))
    predicted = {k: float(v[0]) for k, v in best.items()}
    for k, (low, high) in reqs.items():
        v, u = predicted[k], unit_suffix(sc.catalog[k].unit)
        if v < low * (1 - 1e-3) or v > high * (1 + 1e-3):
            side = f">= {low:.6g}" if v < low else f"<= {high:.6g}"
            raise UnreachableTargetError(
                f"requirement {k} {side}{u} is unreachable: the best structure within {region.describe()} "
                f"(what the chain makes within the free process bounds) gives {k} = {v:.6g}{u}")
    structure = {"m_dry": float(x[0]), "eps_cal": float(x[1]),
                 "h_cal": predicted["h_cal"], "rho_cal": predicted["rho_cal"]}

    process = inverse(sc, {k: structure[k] for k in STRUCTURE}, space.bounds, rtol=rtol)
    full = ProcessChain(sc.containers(with_cell=False) + [cellc], sc.given, sc.catalog)
    final = full.evaluate({k: process.values[k] for k in full.inputs})
    solves += 1
    achieved = {k: float(final[k]) for k in [*STRUCTURE, "h_cal", "rho_cal", objective, *reqs]}
    return ProductDesign(reqs, objective, maximize, structure, region.bounds(),
                         predicted, process, achieved, solves, time.perf_counter() - t0,
                         {k: sc.catalog[k].unit for k in (*process.settings, *structure, *achieved, *predicted)
                          if k in sc.catalog})
