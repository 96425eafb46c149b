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

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from ...containers.scenario import ElectrodeScenario
from ...platform.errors import ParameterError
from ...platform.scenario import Scenario
from ..uq.sampling import CommonRandomNumbers
from ..uq.specs import Spec, YieldResult, as_specs, in_spec, yield_of
from .explain import Binding, binding_windows, variance_shares
from .space import DesignSpace


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
    binding: list[Binding] = field(default_factory=list)  # windows the optimum still misses, tightest first
    units: dict[str, str] = field(default_factory=dict)  # catalog unit of every setting and objective output

    def explain(self) -> list[str]:
        """What holds the yield at the optimum, in sentences: the best reachable yield, the
        settings stopped by their bounds, the windows still missed and the spreads behind them
        (free settings move the mean; they do not narrow a spread)."""
        if self.yield_after is None:
            return []
        y = self.yield_after
        lines = [f"best reachable yield with {', '.join(self.settings)} free: {100 * y.p_in:.1f} % "
                 f"({100 * y.confidence:g} % CI {100 * y.ci[0]:.1f}-{100 * y.ci[1]:.1f} %), from "
                 f"{100 * self.yield_before.p_in:.1f} % at the start"] if self.yield_before is not None else []
        if self.at_bound:
            lines.append("stopped by a bound: " + ", ".join(f"{k} at its {side} bound "
                                                            f"{self.bounds[k][0 if side == 'lower' else 1]:.6g}"
                                                            for k, side in self.at_bound.items())
                         + " (widen it with --free NAME=LOW:HIGH)")
        lines += [b.sentence() for b in self.binding]
        return lines

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

    A moved nominal keeps its distribution's shape (:meth:`Scenario.varied`): a normal keeps its
    standard deviation in absolute terms.
    Yield runs use Nelder-Mead on the smoothed yield; std runs use SLSQP with the mean targets
    as equality constraints.
    """
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    sc = ElectrodeScenario.resolve(scenario)
    specs = as_specs(specs if specs is not None else ({} if minimize_std else dict(sc.specs)), sc.catalog)
    if (not specs) == (minimize_std is None):
        raise ParameterError("give either specification windows (maximise the yield) or minimize_std=NAME",
                             parameter="specs")
    crn = CommonRandomNumbers(sc, n, seed, method, with_cell)
    nominal = sc.nominal()
    space = DesignSpace.of(sc, free, nominal)
    names = space.names
    z0 = space.to_unit(space.clip([nominal[k] for k in names]))
    values = space.values

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
    at_bound = space.at_bound(z, tol=1e-6)
    ys = [yield_of(r, specs, valid=r.valid, catalog=sc.catalog) if specs else None for r in (start_res, best_res)]
    binding = []
    if ys[1] is not None and ys[1].p_in < 1.0:  # why the optimum is not 100 %: windows and spreads there
        binding = binding_windows(ys[1], variance_shares(sc, crn.chain, specs, {}, {**nominal, **settings}))
    return RobustResult(label, settings, values(z0), space.bounds, at_bound, stats(start_res), stats(best_res), *ys,
                        crn.evaluations, crn.calls, time.perf_counter() - t0, bool(sol.success), str(sol.message),
                        binding, {k: sc.catalog[k].unit for k in [*settings, *[s.name for s in specs],
                                                                  *([minimize_std] if minimize_std else [])]})


def _simplex(z0: np.ndarray, step: float) -> np.ndarray:
    """A start simplex inside the unit box: z0 and one step along each axis (inwards)."""
    pts = [z0]
    for j in range(len(z0)):
        p = z0.copy()
        p[j] = p[j] + step if p[j] + step <= 1.0 else p[j] - step
        pts.append(p)
    return np.array(pts)
