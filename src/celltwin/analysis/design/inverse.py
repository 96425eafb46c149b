"""Inverse runs: from target structure (or performance) back to process settings.

Seed 004 (section 2.1, Figure 2, section 3.4) fixes target values, e.g. a mass loading of
14.3 mg/cm^2 and a coating density of 2.95 g/cm^3, and finds the process parameters
"iteratively". Here that iteration is a bounded least-squares problem (scipy,
trust-region reflective) on relative residuals ``(achieved - target) / |target|``.
The chain is vectorized, so each finite-difference Jacobian is one batched chain call.

A target the free parameters cannot reach raises :class:`UnreachableTargetError`
saying why: outside its catalog range, not downstream of any free parameter, beyond a
physical limit (e.g. a coating denser than ``rho_solids * (1 - eps_min)``), or beyond
what the bounds of the free parameters allow.
"""
from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from ...containers.scenario import ElectrodeScenario
from ...platform.chain import ProcessChain
from ...platform.errors import ParameterError, UnreachableTargetError, closest
from ...platform.scenario import Scenario
from ...platform.units import unit_suffix
from .space import DesignSpace


@dataclass
class InverseResult:
    """Settings found by an inverse run and what they achieve (catalog units)."""

    targets: dict[str, float]
    settings: dict[str, float]
    achieved: dict[str, float]
    residuals: dict[str, float]          # relative: (achieved - target) / |target|
    bounds: dict[str, tuple[float, float]]
    at_bound: dict[str, str]             # free parameter -> "lower" | "upper"
    reachable: bool
    message: str
    start: dict[str, float]
    start_achieved: dict[str, float]     # the targeted outputs at the start
    evaluations: int                     # chain evaluations (one per sample point)
    calls: int                           # batched chain calls
    wall_time: float                     # s
    values: dict[str, float] = field(repr=False, default_factory=dict)  # every parameter at the solution
    units: dict[str, str] = field(default_factory=dict)  # catalog unit of every setting and target

    def flat(self) -> dict:
        """One flat object: found settings, achieved values, residuals and status."""
        out: dict = dict(self.settings)
        out.update(self.achieved)
        out.update({f"residual_{k}": v for k, v in self.residuals.items()})
        out.update({"reachable": self.reachable, "at_bound": sorted(self.at_bound),
                    "evaluations": self.evaluations, "wall_time_s": self.wall_time})
        return out

    def table(self, catalog) -> pd.DataFrame:
        rows = [{"kind": "free", "name": k, "start": self.start[k], "value": v, "target": np.nan,
                 "residual_%": np.nan, "unit": catalog[k].unit,
                 "note": f"at {self.at_bound[k]} bound" if k in self.at_bound else
                 f"bounds [{self.bounds[k][0]:.6g}, {self.bounds[k][1]:.6g}]"}
                for k, v in self.settings.items()]
        rows += [{"kind": "target", "name": k, "start": self.start_achieved[k],
                  "value": self.achieved[k], "target": t, "residual_%": 100 * self.residuals[k],
                  "unit": catalog[k].unit, "note": ""} for k, t in self.targets.items()]
        return pd.DataFrame(rows)


def physics_reason(chain: ProcessChain, name: str, target: float, state: Mapping[str, float]) -> str | None:
    """Why ``target`` lies beyond a physical limit of the container computing ``name`` at
    the chain state ``state`` (the container's own :meth:`~celltwin.platform.container.Container.limits`)."""
    unit = chain.catalog[name].unit
    for lim in chain.limits(state).get(name, []):
        if (lim.side == "upper" and target >= lim.bound) or (lim.side == "lower" and target <= lim.bound):
            return f"target {name} = {target:.6g}{unit_suffix(unit)} is unreachable: {lim.why}"
    return None


def _check_reachable_in_principle(sc: Scenario, chain: ProcessChain, targets: Mapping[str, float],
                                  free: Sequence[str], start_values: Mapping[str, float]) -> None:
    """Reasons known before any search: catalog range, dependency, fixed physical limits."""
    g = chain.graph
    for name, t in targets.items():
        entry = sc.catalog[name]
        u = unit_suffix(entry.unit)
        if entry.invalid_mask(t):
            raise UnreachableTargetError(f"target {name} = {t:.6g}{u} is unreachable: it lies "
                                         f"outside the valid range {entry.range_text}{u} "
                                         f"({entry.description})", parameter=name, value=t,
                                         unit=entry.unit, valid=entry.range_text)
        if name in free:
            continue
        if name not in g or not any(f in g and nx.has_path(g, f, name) for f in free):
            raise UnreachableTargetError(f"target {name} = {t:.6g}{u} is unreachable: it does not "
                                         f"depend on any free parameter ({', '.join(free)}); free one of its upstream "
                                         f"inputs instead")
        # a limit whose inputs no free parameter moves holds for every setting
        moved = set().union(*(nx.descendants(g, f) for f in free if f in g)) | set(free)
        fixed_limits = [lim for lim in chain.limits(start_values).get(name, []) if not set(lim.depends) & moved]
        for lim in fixed_limits:
            if (lim.side == "upper" and t >= lim.bound) or (lim.side == "lower" and t <= lim.bound):
                raise UnreachableTargetError(f"target {name} = {t:.6g}{u} is unreachable: {lim.why}",
                                             parameter=name, value=t, unit=entry.unit)


def inverse(scenario: Scenario | str, targets: Mapping[str, float], free, *,
            start: Mapping[str, float] | None = None, rtol: float = 1e-4, with_cell: bool | None = None,
            fd_step: float | None = None, max_evaluations: int = 2000, raise_unreachable: bool = True) -> InverseResult:
    """Find values of the ``free`` inputs that make the chain hit ``targets``.

    Parameters
    ----------
    targets : name -> value in the catalog unit (any structural or performance output).
    free : names, or name -> (low, high) / None; default bounds are ±50 % of the start value
        inside the catalog range.
    start : start values of free (or other) inputs; default the scenario's nominal values.
    rtol : a target counts as reached when ``|achieved - target| <= rtol * |target|``.
    with_cell : include the scenario's cell model; by default only when a target needs it
        (a performance target in a scenario with ``cell = ...``; without one, see
        :func:`~celltwin.analysis.product.product_design`).
    fd_step : finite-difference step in the unit box of each free parameter
        (default 1e-7, or 1e-4 when a numerical cell model is in the chain).

    Raises
    ------
    UnreachableTargetError
        when a target cannot be met (unless ``raise_unreachable=False``), with the reason.
    """
    from scipy.optimize import least_squares

    t0 = time.perf_counter()
    sc = ElectrodeScenario.resolve(scenario)
    targets = {k: float(v) for k, v in targets.items()}
    if not targets:
        raise ParameterError("no targets: give at least one target NAME=VALUE", parameter="targets")
    for k in targets:
        if k not in sc.catalog:
            raise ParameterError(f"target: unknown parameter {k!r}{closest(k, sc.catalog)}", parameter=k)
    base = sc.varied(start).nominal()
    if with_cell is None:
        with_cell = any(sc.catalog[k].domain == "performance" for k in targets)
    chain = sc.build_chain(with_cell=with_cell)
    uncomputed = [k for k in targets if k not in chain.outputs and k not in chain.inputs]
    if uncomputed:
        raise ParameterError(f"target(s) {', '.join(uncomputed)} are not computed by this scenario's chain"
                             + ("" if sc.cell else "; performance needs a cell model: set [scenario] cell = "
                                "\"half-cell\", or run the two-stage product_design"))
    space = DesignSpace.of(sc, free, base)
    names = space.names
    x0 = space.clip([base[n] for n in names])
    run = chain.function(names, fixed=base, complete=sc.close_balance)
    start_state = dict(run.evaluate(x0[None, :]).items())
    start_state = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in start_state.items()}
    _check_reachable_in_principle(sc, chain, targets, names, start_state)

    tnames = list(targets)
    t = np.array([targets[k] for k in tnames])
    scale = np.where(t != 0, np.abs(t), 1.0)
    numerical = any(c.kind == "numerical" for c in chain.containers)
    h = fd_step if fd_step is not None else (1e-4 if numerical else 1e-7)
    penalty = 10.0  # residual of a point the chain rejects: steers the search back, never accepted

    def residuals_of(res) -> np.ndarray:
        y = np.column_stack([np.broadcast_to(np.asarray(res[k], dtype=float).reshape(-1), (len(res.valid),))
                             for k in tnames])
        r = (y - t) / scale
        return np.where(np.isfinite(r), r, penalty)

    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def both(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = np.asarray(z, dtype=float).tobytes()
        if key not in cache:
            steps = np.where(z + h <= 1.0, h, -h)
            pts = np.vstack([z, z + np.diag(steps)])
            r = residuals_of(run.evaluate(space.from_unit(pts)))
            cache.clear()
            cache[key] = (r[0], ((r[1:] - r[0]) / steps[:, None]).T)
        return cache[key]

    z0 = space.to_unit(x0)
    sol = least_squares(lambda z: both(z)[0], z0, jac=lambda z: both(z)[1], bounds=(0.0, 1.0),
                        method="trf", xtol=1e-14, ftol=1e-14, gtol=1e-14,
                        max_nfev=max(10, max_evaluations // (len(names) + 1)))
    x = space.from_unit(sol.x)
    res = run.evaluate(x[None, :])
    state = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in res.items()}
    achieved = {k: state[k] for k in tnames}
    resid = {k: float((achieved[k] - targets[k]) / scale[i]) for i, k in enumerate(tnames)}
    settings = {n: float(v) for n, v in zip(names, x, strict=True)}
    at_bound = space.at_bound(sol.x)
    reachable = bool(res.valid.all()) and all(math.isfinite(r) and abs(r) <= rtol for r in resid.values())
    message = "all targets reached" if reachable else _why(chain, space, targets, achieved, resid, state,
                                                            at_bound, rtol, res)
    result = InverseResult(targets, settings, achieved, resid, space.bounds, at_bound, reachable, message,
                           {n: float(v) for n, v in zip(names, x0, strict=True)},
                           {k: start_state[k] for k in tnames}, run.evaluations, run.calls,
                           time.perf_counter() - t0, state,
                           {k: sc.catalog[k].unit for k in (*settings, *targets)})
    if not reachable and raise_unreachable:
        raise UnreachableTargetError(message, result=result, parameter=next(iter(targets)))
    return result


def _why(chain, space: DesignSpace, targets, achieved, resid, state, at_bound, rtol, res) -> str:
    if not res.valid.all():
        return f"targets unreachable: the best point found is rejected by the chain ({res.reasons.reshape(-1)[0]})"
    parts, physical = [], True
    for k, r in resid.items():
        if abs(r) <= rtol:
            continue
        unit = chain.catalog[k].unit
        why = physics_reason(chain, k, targets[k], state)
        if not why:
            physical = False
            why = (f"target {k} = {targets[k]:.6g}{unit_suffix(unit)} is unreachable with these free parameters and "
                   f"bounds: the closest is {achieved[k]:.6g}{unit_suffix(unit)} ({100 * r:+.3g} %)")
        parts.append(why)
    if not physical:
        if at_bound:
            parts.append(space.describe_at_bound(at_bound) + " (widen its bounds or free another parameter)")
        if len(targets) > space.dimension:
            parts.append(f"{len(targets)} targets but only {space.dimension} free parameter(s): "
                         "the targets may conflict")
    return "; ".join(parts)
