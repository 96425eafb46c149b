"""Robust design (seed 004, section 2.4): nominal settings that stay good under production spread.

The objective is a Monte Carlo estimate: the in-spec probability, or an output's
standard deviation, over samples of the scenario's uncertainties. With fresh random
numbers per candidate the estimate jumps by its own sampling error and an optimiser
chases noise. :class:`CommonRandomNumbers` fixes the draws: every candidate reuses the
same uniforms (the scenario's seeded sampler), so moving a nominal value moves each
sample smoothly, and the difference between two candidates is their real difference.
The in-spec indicator itself is a step; for the optimiser it is replaced by a product
of logistic ramps a few per cent of each window wide, and the reported yield at the
optimum is the exact count with its binomial confidence interval.
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ..platform.errors import ParameterError
from ..platform.scenario import Scenario
from ..platform.uncertainty import Uncertain
from .inverse import free_bounds
from .specs import Spec, YieldResult, as_specs, in_spec, yield_of


def _moved(u: Uncertain, value: float | None = None, scale: float | None = None) -> Uncertain:
    """``u`` with its nominal moved to ``value`` and/or its spread multiplied by ``scale``
    (the shape of the distribution kept: bounds and data move and stretch with it)."""
    v = u.value if value is None else float(value)
    k = 1.0 if scale is None else float(scale)

    def around(x):
        return None if x is None else v + k * (x - u.value) if math.isfinite(x) else x

    if u.distribution == "kde":
        return dataclasses.replace(u, value=v, data=tuple(v + k * (x - u.value) for x in u.data))
    if u.distribution == "uniform":
        return dataclasses.replace(u, value=v, low=around(u.low), high=around(u.high))
    std = None if u.std is None else u.std * k
    if u.distribution == "truncated-normal":
        return dataclasses.replace(u, value=v, std=std, low=around(u.low), high=around(u.high))
    return dataclasses.replace(u, value=v, std=std)


class CommonRandomNumbers:
    """Seeded samples of a scenario whose nominal values or spreads are changed, always from
    the same underlying uniforms (same ``n``, ``seed``, ``method``): common random numbers.

    ``evaluate(values, scales)`` runs the chain on them; ``evaluations`` counts sample points.
    """

    def __init__(self, sc: Scenario, n: int = 2000, seed: int | None = None, method: str = "mc",
                 with_cell: bool = False):
        self.sc, self.n, self.method = sc, int(n), method
        self.seed = int(seed if seed is not None else sc.study["seed"])
        self.chain = sc.build_chain(with_cell=with_cell)
        self.evaluations = 0
        self.calls = 0

    def scenario(self, values: Mapping[str, float] | None = None,
                 scales: Mapping[str, float] | None = None) -> Scenario:
        """A light copy of the scenario with nominal ``values`` and spread ``scales`` applied."""
        values, scales = dict(values or {}), dict(scales or {})
        for k, v in values.items():
            self.sc.catalog[k].validate(v)
        for k in scales:
            if k not in self.sc.uncertain:
                raise ParameterError(f"{k!r} has no uncertainty in this scenario; uncertain: "
                                     f"{', '.join(self.sc.uncertain)}")
        uncertain = {k: (_moved(u, values.get(k), scales.get(k)) if k in values or k in scales else u)
                     for k, u in self.sc.uncertain.items()}
        fixed = {**self.sc.fixed, **{k: float(v) for k, v in values.items() if k not in self.sc.uncertain}}
        balance = None if self.sc.balance in values else self.sc.balance
        return dataclasses.replace(self.sc, uncertain=uncertain, fixed=fixed, balance=balance)

    def inputs(self, values=None, scales=None) -> dict[str, np.ndarray]:
        frame = self.scenario(values, scales).sample(self.n, self.seed, self.method)
        return {k: frame[k].to_numpy() for k in frame.columns if k != "segment"}

    def evaluate(self, values=None, scales=None):
        self.evaluations += self.n
        self.calls += 1
        return self.chain.evaluate(self.inputs(values, scales), on_invalid="mask")


def smooth_in_spec(res, specs: Sequence[Spec], width: float = 0.05) -> np.ndarray:
    """A smooth stand-in for the in-spec indicator: per window a logistic ramp whose width
    is ``width`` times the window's half-width (or of |bound| for a one-sided window)."""
    p = np.asarray(res.valid, dtype=float).copy()
    for s in specs:
        y = np.asarray(res[s.name], dtype=float)
        finite = math.isfinite(s.low) and math.isfinite(s.high)
        h = width * (0.5 * (s.high - s.low) if finite else abs(s.low if math.isfinite(s.low) else s.high) or 1.0)
        with np.errstate(invalid="ignore"):
            if math.isfinite(s.low):
                p *= np.nan_to_num(expit((y - s.low) / h))
            if math.isfinite(s.high):
                p *= np.nan_to_num(expit((s.high - y) / h))
    return p


@dataclass
class RobustResult:
    """Nominal settings from a robust run, and how they compare with the start."""

    objective: str
    settings: dict[str, float]
    start: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    at_bound: dict[str, str]
    before: dict[str, float]               # objective quantities at the start
    after: dict[str, float]                # ... at the optimum
    yield_before: YieldResult | None
    yield_after: YieldResult | None
    evaluations: int                       # chain evaluations (sample points)
    calls: int                             # Monte Carlo batches (candidates)
    wall_time: float
    converged: bool
    message: str

    def flat(self) -> dict:
        out = dict(self.settings)
        out.update({f"start_{k}": v for k, v in self.start.items()})
        out.update({f"{k}_before": v for k, v in self.before.items()})
        out.update({f"{k}_after": v for k, v in self.after.items()})
        if self.yield_after is not None:
            out.update({"yield_after_low": self.yield_after.ci[0], "yield_after_high": self.yield_after.ci[1]})
        out.update({"objective": self.objective, "at_bound": sorted(self.at_bound),
                    "evaluations": self.evaluations, "wall_time_s": self.wall_time})
        return out


def robust_design(scenario: Scenario | str, free, *, specs=None, minimize_std: str | None = None,
                  mean_targets: Mapping[str, float] | None = None, n: int = 2000, seed: int | None = None,
                  method: str = "mc", width: float = 0.05, with_cell: bool = False,
                  max_iterations: int = 200) -> RobustResult:
    """Nominal values of the ``free`` inputs that maximise the in-spec probability (``specs``)
    or minimise the standard deviation of ``minimize_std`` (optionally with the means of
    ``mean_targets`` held), under the scenario's uncertainties, with common random numbers.

    The spreads are kept in absolute terms when a nominal moves (as ``Scenario.with_values``).
    Yield runs use Nelder-Mead on the smoothed yield; std runs use SLSQP with the mean targets
    as equality constraints.
    """
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    sc = Scenario.load(scenario) if isinstance(scenario, str) else scenario
    specs = as_specs(specs if specs is not None else ({} if minimize_std else dict(sc.specs)), sc.catalog)
    if (not specs) == (minimize_std is None):
        raise ParameterError("give either specification windows (maximise the yield) or minimize_std=NAME")
    crn = CommonRandomNumbers(sc, n, seed, method, with_cell)
    nominal = sc.nominal()
    bounds = free_bounds(sc, free, nominal)
    names = list(bounds)
    lo = np.array([bounds[k][0] for k in names])
    hi = np.array([bounds[k][1] for k in names])
    x0 = np.clip([nominal[k] for k in names], lo, hi)
    z0 = (x0 - lo) / (hi - lo)

    def values(z) -> dict[str, float]:
        return {k: float(v) for k, v in zip(names, lo + np.clip(z, 0.0, 1.0) * (hi - lo), strict=True)}

    def stats(res) -> dict[str, float]:
        if minimize_std is None:
            return {"yield": float(np.mean(in_spec(res, specs)))}
        y = np.asarray(res[minimize_std], dtype=float)[res.valid]
        out = {f"std_{minimize_std}": float(np.std(y, ddof=1)), f"mean_{minimize_std}": float(np.mean(y))}
        out.update({f"mean_{k}": float(np.nanmean(np.asarray(res[k])[res.valid])) for k in (mean_targets or {})})
        return out

    if minimize_std is None:
        def objective(z):
            return -float(np.mean(smooth_in_spec(crn.evaluate(values(z)), specs, width)))

        sol = minimize(objective, z0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * len(names),
                       options={"maxiter": max_iterations, "xatol": 1e-5, "fatol": 1e-7,
                                "initial_simplex": _simplex(z0, 0.05)})
        label = "maximise yield"
    else:
        if minimize_std not in crn.chain.outputs:
            raise ParameterError(f"{minimize_std!r} is not computed by this chain; outputs: "
                                 f"{', '.join(crn.chain.outputs)}")
        ref = crn.evaluate(values(z0))
        scale = float(np.nanstd(np.asarray(ref[minimize_std])[ref.valid], ddof=1)) or 1.0

        def objective(z):
            res = crn.evaluate(values(z))
            return float(np.std(np.asarray(res[minimize_std])[res.valid], ddof=1)) / scale

        cons = [{"type": "eq", "fun": lambda z, k=k, t=float(t): (np.nanmean(
            np.asarray((r := crn.evaluate(values(z)))[k])[r.valid]) - t) / (abs(t) or 1.0)}
                for k, t in (mean_targets or {}).items()]
        sol = minimize(objective, z0, method="SLSQP", bounds=[(0.0, 1.0)] * len(names), constraints=cons,
                       options={"maxiter": max_iterations, "ftol": 1e-10, "eps": 1e-6})
        label = f"minimise std of {minimize_std}" + (f" with means of {', '.join(mean_targets)} held"
                                                       if mean_targets else "")
    z = np.clip(sol.x, 0.0, 1.0)
    start_res, best_res = crn.evaluate(values(z0)), crn.evaluate(values(z))
    settings = values(z)
    at_bound = {k: side for k, zz in zip(names, z, strict=True)
                for side, hit in (("lower", zz <= 1e-6), ("upper", zz >= 1 - 1e-6)) if hit}
    ys = [yield_of(r, specs, valid=r.valid, catalog=sc.catalog) if specs else None for r in (start_res, best_res)]
    return RobustResult(label, settings, values(z0), bounds, at_bound, stats(start_res), stats(best_res), *ys,
                        crn.evaluations, crn.calls, time.perf_counter() - t0, bool(sol.success), str(sol.message))


def _simplex(z0: np.ndarray, step: float) -> np.ndarray:
    """A start simplex inside the unit box: z0 and one step along each axis (inwards)."""
    pts = [z0]
    for j in range(len(z0)):
        p = z0.copy()
        p[j] = p[j] + step if p[j] + step <= 1.0 else p[j] - step
        pts.append(p)
    return np.array(pts)
