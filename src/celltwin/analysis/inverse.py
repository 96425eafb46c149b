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

from ..platform.errors import ParameterError, closest
from ..platform.scenario import Scenario
from ..platform.units import unit_suffix

#: default half-width of the box around the start value of a free parameter
DEFAULT_SPAN = 0.5


class UnreachableTargetError(ParameterError):
    """The targets cannot be met with these free parameters and bounds (the message says why).

    ``result`` holds the best :class:`InverseResult` found, when the search ran.
    """

    def __init__(self, message: str, result: InverseResult | None = None):
        super().__init__(message)
        self.result = result

    def __reduce__(self):
        return (type(self), (str(self), self.result))


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


def free_bounds(sc: Scenario, free, start: Mapping[str, float]) -> dict[str, tuple[float, float]]:
    """Bounds of each free parameter: given ones, else ±50 % of its start value, always
    inside the catalog's valid range (an open end is kept strictly open)."""
    items = free.items() if isinstance(free, Mapping) else ((name, None) for name in free)
    out = {}
    for name, box in items:
        if name not in sc.catalog:
            raise ParameterError(f"free parameter: unknown parameter {name!r}{closest(name, sc.catalog)}")
        if name not in sc.given or name == sc.balance:
            raise ParameterError(f"free parameter {name!r} is not an input of this scenario "
                                 f"(it is computed by the chain or closes the mass balance); free inputs: "
                                 f"{', '.join(sorted(sc.given - {sc.balance}))}")
        entry = sc.catalog[name]
        x0 = start[name]
        low, high = (x0 - DEFAULT_SPAN * abs(x0), x0 + DEFAULT_SPAN * abs(x0)) if box is None else map(float, box)
        if box is not None and not low < high:
            raise ParameterError(f"free parameter {name}: low = {low:g} must be below high = {high:g} {entry.unit}")
        pad = 1e-9 * max(abs(low), abs(high), 1.0)
        low = max(low, entry.low + (pad if entry.low_open else 0.0))
        high = min(high, entry.high - (pad if entry.high_open else 0.0))
        if not low < high:
            raise ParameterError(f"free parameter {name}: bounds leave nothing of its valid range "
                                 f"{entry.range_text} {entry.unit}")
        out[name] = (low, high)
    if not out:
        raise ParameterError("no free parameters: name at least one with --free NAME")
    return out


class BatchEvaluator:
    """The chain as a function of the free parameters, evaluated on batches of points.

    Every other input keeps its value in ``base``; a free mass fraction re-closes the
    scenario's balance. Counts points (``evaluations``) and batched calls (``calls``).
    """

    def __init__(self, sc: Scenario, chain, free: Sequence[str], base: Mapping[str, float]):
        self.sc, self.chain, self.free, self.base = sc, chain, list(free), dict(base)
        self.evaluations = 0
        self.calls = 0

    def __call__(self, x: np.ndarray):
        x = np.atleast_2d(np.asarray(x, dtype=float))
        values = {**self.base, **{n: x[:, j] for j, n in enumerate(self.free)}}
        if self.sc.balance and self.sc.balance not in self.free and any(n.startswith("w_") for n in self.free):
            values[self.sc.balance] = 1.0 - sum(values[f"w_{c}"] for c in self.sc.components
                                                if f"w_{c}" != self.sc.balance)
        self.evaluations += x.shape[0]
        self.calls += 1
        # every input as a full batch: containers then never see scalars mixed with arrays
        values = {k: np.broadcast_to(np.asarray(v, dtype=float), (x.shape[0],)) for k, v in values.items()}
        return self.chain.evaluate(values, on_invalid="mask")


def _limits(v: Mapping[str, float]) -> dict[str, list[tuple[str, float, str]]]:
    """Physical limits of structural targets at a chain state ``v`` (catalog units).

    Each entry: (side, bound, why). Used to explain an unreachable target by its physics.
    """
    out: dict[str, list[tuple[str, float, str]]] = {}
    if {"rho_solids", "eps_min", "eps_dry"} <= v.keys():
        rs, em, ed = v["rho_solids"], v["eps_min"], v["eps_dry"]
        out["rho_cal"] = [
            ("upper", rs * (1 - em), f"calendering cannot compact below the minimal porosity eps_min = {em:.4g}, "
                                     f"so rho_cal < rho_solids*(1-eps_min) = {rs:.4g}*(1-{em:.4g}) = "
                                     f"{rs * (1 - em):.4g} g/cm^3 however high the line load q_L"),
            ("lower", rs * (1 - ed), f"calendering only compacts: rho_cal >= rho_dry = rho_solids*(1-eps_dry) = "
                                     f"{rs:.4g}*(1-{ed:.4g}) = {rs * (1 - ed):.4g} g/cm^3 (q_L = 0)")]
        out["eps_cal"] = [
            ("lower", em, f"the Meyer law (eq. 15) approaches eps_min = {em:.4g} only as q_L -> infinity"),
            ("upper", ed, f"calendering only compacts: eps_cal <= eps_dry = {ed:.4g} (q_L = 0)")]
        if "m_dry" in v:
            md = v["m_dry"]
            h_min = 10 * md / (rs * (1 - em))  # mg/cm^2 / (g/cm^3) = 10 um
            out["h_cal"] = [("lower", h_min, f"at the minimal porosity eps_min = {em:.4g} a loading of m_dry = "
                                             f"{md:.4g} mg/cm^2 is {h_min:.4g} um thick; no line load goes below")]
    if "rho_solids" in v:
        out["rho_dry"] = [("upper", v["rho_solids"], f"a dry coating cannot be denser than its solids, "
                                                     f"rho_solids = {v['rho_solids']:.4g} g/cm^3")]
    return out


def _physics_reason(name: str, target: float, state: Mapping[str, float], unit: str) -> str | None:
    for side, bound, why in _limits(state).get(name, []):
        if (side == "upper" and target >= bound) or (side == "lower" and target <= bound):
            return f"target {name} = {target:.6g}{unit_suffix(unit)} is unreachable: {why}"
    return None


def _check_reachable_in_principle(sc: Scenario, chain, targets: Mapping[str, float], free: Sequence[str],
                                  start_values: Mapping[str, float]) -> None:
    """Reasons known before any search: catalog range, dependency, fixed physical limits."""
    g = chain.graph
    for name, t in targets.items():
        entry = sc.catalog[name]
        u = unit_suffix(entry.unit)
        if entry.invalid_mask(t):
            raise UnreachableTargetError(f"target {name} = {t:.6g}{u} is unreachable: it lies "
                                         f"outside the valid range {entry.range_text}{u} "
                                         f"({entry.description})")
        if name in free:
            continue
        if name not in g or not any(f in g and nx.has_path(g, f, name) for f in free):
            raise UnreachableTargetError(f"target {name} = {t:.6g}{u} is unreachable: it does not "
                                         f"depend on any free parameter ({', '.join(free)}); free one of its upstream "
                                         f"inputs instead")
        # a limit whose ingredients no free parameter moves holds for every setting
        moved = set().union(*(nx.descendants(g, f) for f in free if f in g)) | set(free)
        ingredients = {"rho_cal": {"rho_solids", "eps_min", "eps_dry"}, "eps_cal": {"eps_min", "eps_dry"},
                       "rho_dry": {"rho_solids"}}.get(name)
        if ingredients and not ingredients & moved:
            why = _physics_reason(name, t, start_values, entry.unit)
            if why:
                raise UnreachableTargetError(why)


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
    sc = Scenario.load(scenario) if isinstance(scenario, str) else scenario
    targets = {k: float(v) for k, v in targets.items()}
    if not targets:
        raise ParameterError("no targets: give at least one with --target NAME=VALUE")
    for k in targets:
        if k not in sc.catalog:
            raise ParameterError(f"target: unknown parameter {k!r}{closest(k, sc.catalog)}")
    base = sc.nominal()
    if start:
        for k, v in start.items():
            sc.catalog[k].validate(v)
        base.update({k: float(v) for k, v in start.items()})
        if sc.balance and sc.balance not in start:
            base = sc.close_balance(base)
    if with_cell is None:
        with_cell = any(sc.catalog[k].domain == "performance" for k in targets)
    chain = sc.build_chain(with_cell=with_cell)
    uncomputed = [k for k in targets if k not in chain.outputs and k not in chain.inputs]
    if uncomputed:
        raise ParameterError(f"target(s) {', '.join(uncomputed)} are not computed by this scenario's chain"
                             + ("" if sc.cell else "; performance needs a cell model: set [scenario] cell = "
                                "\"half-cell\", or run the two-stage product_design"))
    bounds = free_bounds(sc, free, base)
    names = list(bounds)
    lo = np.array([bounds[n][0] for n in names])
    hi = np.array([bounds[n][1] for n in names])
    x0 = np.clip(np.array([base[n] for n in names]), lo, hi)
    run = BatchEvaluator(sc, chain, names, base)
    start_state = dict(run(x0[None, :]).items())
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

    def to_x(z):
        return lo + np.asarray(z) * (hi - lo)

    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def both(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = np.asarray(z, dtype=float).tobytes()
        if key not in cache:
            steps = np.where(z + h <= 1.0, h, -h)
            pts = np.vstack([z, z + np.diag(steps)])
            r = residuals_of(run(to_x(pts)))
            cache.clear()
            cache[key] = (r[0], ((r[1:] - r[0]) / steps[:, None]).T)
        return cache[key]

    z0 = (x0 - lo) / (hi - lo)
    sol = least_squares(lambda z: both(z)[0], z0, jac=lambda z: both(z)[1], bounds=(0.0, 1.0),
                        method="trf", xtol=1e-14, ftol=1e-14, gtol=1e-14,
                        max_nfev=max(10, max_evaluations // (len(names) + 1)))
    x = to_x(sol.x)
    res = run(x[None, :])
    state = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in res.items()}
    achieved = {k: state[k] for k in tnames}
    resid = {k: float((achieved[k] - targets[k]) / scale[i]) for i, k in enumerate(tnames)}
    settings = {n: float(v) for n, v in zip(names, x, strict=True)}
    tol_box = 1e-7
    at_bound = {n: side for n, zz in zip(names, sol.x, strict=True)
                for side, hit in (("lower", zz <= tol_box), ("upper", zz >= 1 - tol_box)) if hit}
    reachable = bool(res.valid.all()) and all(math.isfinite(r) and abs(r) <= rtol for r in resid.values())
    message = "all targets reached" if reachable else _why(sc, targets, achieved, resid, state, bounds,
                                                            at_bound, rtol, res)
    result = InverseResult(targets, settings, achieved, resid, bounds, at_bound, reachable, message,
                           {n: float(v) for n, v in zip(names, x0, strict=True)},
                           {k: start_state[k] for k in tnames}, run.evaluations, run.calls,
                           time.perf_counter() - t0, state)
    if not reachable and raise_unreachable:
        raise UnreachableTargetError(message, result)
    return result


def _why(sc, targets, achieved, resid, state, bounds, at_bound, rtol, res) -> str:
    if not res.valid.all():
        return f"targets unreachable: the best point found is rejected by the chain ({res.reasons.reshape(-1)[0]})"
    parts, physical = [], True
    for k, r in resid.items():
        if abs(r) <= rtol:
            continue
        unit = sc.catalog[k].unit
        why = _physics_reason(k, targets[k], state, unit)
        if not why:
            physical = False
            why = (f"target {k} = {targets[k]:.6g}{unit_suffix(unit)} is unreachable with these free parameters and "
                   f"bounds: the closest is {achieved[k]:.6g}{unit_suffix(unit)} ({100 * r:+.3g} %)")
        parts.append(why)
    if not physical:
        if at_bound:
            parts.append(", ".join(f"{n} sits at its {side} bound {bounds[n][0 if side == 'lower' else 1]:.6g}"
                                   f"{unit_suffix(sc.catalog[n].unit)}" for n, side in at_bound.items())
                         + " (widen its bounds or free another parameter)")
        if len(targets) > len(bounds):
            parts.append(f"{len(targets)} targets but only {len(bounds)} free parameter(s): "
                         "the targets may conflict")
    return "; ".join(parts)
