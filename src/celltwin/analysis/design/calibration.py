"""Calibration of a scenario's uncertain settings to measurements of the line.

The free parameters are nominal values (``V_dot``, ``eps_min``) and spreads
(``V_dot.std``) of scenario inputs. They are estimated by simulated maximum likelihood:
for a candidate setting the scenario is sampled and run through the chain, the joint
distribution of the measured quantities in each segment is taken as normal with the
simulated mean and covariance plus the gauge noise, and the likelihood of every
measured row (its observed quantities) is maximised with scipy's Nelder-Mead.

Every candidate is sampled with the same seed, so the uniforms behind the sample are
the same for all candidates (common random numbers): the objective is then a smooth
function of the free parameters and a derivative-free optimiser converges on it. Its
curvature at the optimum (a finite-difference Hessian) gives standard errors.
"""
from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ...platform.errors import ParameterError, closest
from ...platform.scenario import STD_DISTRIBUTIONS, Scenario
from ..uq.sampling import evaluate_frame
from .measurements import SEGMENT, Measurements, needs_cell

KINDS = ("value", "std")


@dataclass(frozen=True)
class Free:
    """One free parameter: the nominal value (``kind="value"``) or the spread (``"std"``) of an input."""

    name: str
    kind: str = "value"

    @property
    def label(self) -> str:
        return self.name if self.kind == "value" else f"{self.name}.std"


def parse_free(specs: Sequence[str | Free], scenario: Scenario) -> list[Free]:
    """``["V_dot", "V_dot.std", "eps_min"]`` -> :class:`Free` items, each checked against the scenario."""
    out: list[Free] = []
    for spec in specs:
        if isinstance(spec, Free):
            f = spec
        else:
            name, _, kind = str(spec).partition(".")
            kind = {"": "value", "mean": "value", "value": "value", "std": "std"}.get(kind, kind)
            f = Free(name, kind)
        if f.kind not in KINDS:
            raise ParameterError(f"free parameter {spec!r}: write NAME (nominal value) or NAME.std (spread)")
        if f.name not in scenario.catalog:
            raise ParameterError(f"free parameter {f.name!r} is not a catalog parameter"
                                 f"{closest(f.name, scenario.catalog)}")
        if f.name == scenario.balance:
            raise ParameterError(f"free parameter {f.name!r} closes the mass balance and cannot be calibrated; "
                                 "calibrate the other mass fractions")
        if f.name not in scenario.fixed and f.name not in scenario.uncertain:
            raise ParameterError(f"free parameter {f.name!r} is computed by the chain, not set by the scenario; "
                                 f"settings it can calibrate: {', '.join(sorted(scenario.fixed | scenario.uncertain))}")
        u = scenario.uncertain.get(f.name)
        if f.kind == "std" and u is not None and u.distribution not in STD_DISTRIBUTIONS:
            raise ParameterError(f"free parameter {f.label}: a {u.distribution} distribution has no std to "
                                 f"calibrate (possible for {', '.join(STD_DISTRIBUTIONS)})")
        if f in out:
            raise ParameterError(f"free parameter {f.label} is given twice")
        out.append(f)
    if not out:
        raise ParameterError("give at least one free parameter, e.g. V_dot, V_dot.std or eps_min")
    return out


def with_settings(scenario: Scenario, values: Mapping[Free, float]) -> Scenario:
    """The scenario with free parameters set (catalog units), through :meth:`Scenario.varied`:
    a value moves the nominal, a std sets the spread (a fixed input becomes normal)."""
    return scenario.varied({f.name: v for f, v in values.items() if f.kind == "value"},
                           stds={f.name: v for f, v in values.items() if f.kind == "std"})


class _Likelihood:
    """Negative log-likelihood of the measurements for a vector of free-parameter values."""

    def __init__(self, scenario: Scenario, measured: Measurements, free: list[Free], noise: Mapping[str, float],
                 n: int, seed: int):
        self.sc, self.free, self.n, self.seed = scenario, free, n, seed
        self.q = list(measured.quantities)
        self.chain = scenario.build_chain(with_cell=needs_cell(scenario, self.q))
        self.noise2 = np.array([float(noise.get(q, 0.0)) ** 2 for q in self.q])
        Y = measured.frame[self.q].to_numpy(dtype=float)
        self.seg = measured.frame[SEGMENT].to_numpy()
        self.by_segment = scenario.segments.count > 1 and bool(scenario.segments.between or scenario.segments.drift)
        self.groups = []  # rows sharing a pattern of observed quantities
        mask = ~np.isnan(Y)
        for pattern in np.unique(mask, axis=0):
            if pattern.any():
                rows = np.flatnonzero((mask == pattern).all(axis=1))
                self.groups.append((np.flatnonzero(pattern), rows, Y[np.ix_(rows, np.flatnonzero(pattern))]))
        self.evaluations = 0

    def settings(self, theta: np.ndarray) -> dict[Free, float]:
        return dict(zip(self.free, (float(t) for t in theta), strict=True))

    def simulate(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sc = with_settings(self.sc, self.settings(theta))
        frame = evaluate_frame(self.chain, sc.sample(self.n, self.seed)).frame
        Y = frame[self.q].to_numpy(dtype=float)
        ok = frame["valid"].to_numpy(dtype=bool) & np.isfinite(Y).all(axis=1)
        return Y[ok], frame[SEGMENT].to_numpy()[ok]

    def __call__(self, theta: np.ndarray) -> float:
        self.evaluations += 1
        for f, v in zip(self.free, theta, strict=True):
            if f.kind == "std" and not v > 0:
                return 1e12
            if f.kind == "value" and self.sc.catalog[f.name].invalid_mask(v):
                return 1e12
        Y, seg = self.simulate(theta)
        if len(Y) < 0.5 * self.n:
            return 1e12  # most of the line would be rejected: not a setting that produced these data
        if self.by_segment:
            mu = {s: Y[seg == s].mean(axis=0) for s in np.unique(seg)}
            centred = Y - np.stack([mu[s] for s in seg])
        else:
            mu0 = Y.mean(axis=0)
            mu = {s: mu0 for s in np.unique(self.seg)}
            centred = Y - mu0
        cov = np.atleast_2d(np.cov(centred, rowvar=False)) + np.diag(self.noise2)
        cov += np.eye(len(self.q)) * 1e-12 * np.maximum(np.diag(cov), 1e-300)
        nll = 0.0
        for obs, rows, y in self.groups:
            c = cov[np.ix_(obs, obs)]
            try:
                chol = np.linalg.cholesky(c)
            except np.linalg.LinAlgError:
                return 1e12
            d = y - np.stack([mu[s][obs] for s in self.seg[rows]])
            z = np.linalg.solve(chol, d.T)
            nll += 0.5 * float((z ** 2).sum()) + len(rows) * (float(np.log(np.diag(chol)).sum())
                                                               + 0.5 * len(obs) * math.log(2 * math.pi))
        return nll


@dataclass
class Calibration:
    """The calibrated scenario and the estimates (catalog units) with standard errors."""

    scenario: Scenario
    prior: Scenario
    estimates: pd.DataFrame
    nll: float
    nll_initial: float
    evaluations: int
    converged: bool
    message: str
    quantities: list[str]
    n_measured: int
    samples: int
    seed: int
    seconds: float
    source: str = ""

    @property
    def units(self) -> dict[str, str]:
        """Catalog unit of every estimated parameter (a spread ``NAME.std`` is in its parameter's unit)."""
        return dict(zip(self.estimates["parameter"], self.estimates["unit"], strict=True))

    def to_toml(self) -> str:
        """The calibrated scenario as TOML, with the estimates as a comment header."""
        digest = ""
        if self.source and Path(self.source).is_file():
            digest = f" (sha256 {hashlib.sha256(Path(self.source).read_bytes()).hexdigest()[:16]})"
        head = [f"# calibrated by celltwin on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                f"# from scenario {self.prior.source or self.prior.name!r} and measurements {self.source!r}{digest}",
                f"# ({self.n_measured} rows of {', '.join(self.quantities)}; simulated maximum likelihood, "
                f"{self.samples} samples, seed {self.seed})"]
        for r in self.estimates.itertuples():
            head.append(f"#   {r.parameter} = {r.estimate:.6g} +- {r.std_error:.3g} {r.unit} (was {r.initial:.6g})")
        return "\n".join(head) + "\n" + self.scenario.to_toml()

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_toml())
        return path


def calibrate(scenario: Scenario, measured: Measurements, free: Sequence[str | Free], *,
              noise: Mapping[str, float] | None = None, n: int | None = None, seed: int | None = None,
              maxiter: int = 600) -> Calibration:
    """Calibrate free settings of ``scenario`` to measurements (simulated maximum likelihood).

    Parameters
    ----------
    scenario
        The twin before calibration; its values are the starting point.
    measured
        Measurements per segment (:func:`~celltwin.analysis.measurements.read_measurements`).
    free
        ``"NAME"`` calibrates the nominal value (mean) of an input, ``"NAME.std"`` its spread.
    noise
        Gauge noise of each measured quantity: standard deviation, catalog units (known
        from a gauge repeatability study; 0 if not given).
    n, seed
        Monte Carlo samples per likelihood evaluation (default 200 per segment, at least
        4000) and their seed.
    """
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    measured.check_segments(scenario)
    free = parse_free(free, scenario)
    noise = dict(noise or {})
    for q, s in noise.items():
        if q not in measured.quantities:
            raise ParameterError(f"noise given for {q!r}, which is not measured; measured: "
                                 f"{', '.join(measured.quantities)}")
        if not (s >= 0 and math.isfinite(s)):
            raise ParameterError(f"noise of {q} = {s} {scenario.catalog[q].unit} must be >= 0")
    n = int(n or max(4000, 200 * scenario.segments.count))
    seed = int(seed if seed is not None else scenario.study["seed"])

    initial = []
    scales = []
    for f in free:
        u = scenario.uncertain.get(f.name)
        value = u.value if u is not None else scenario.fixed[f.name]
        if f.kind == "value":
            initial.append(value)
            scales.append(u.std if u is not None and u.std else 0.01 * abs(value) or 0.01)
        else:
            s0 = u.std if u is not None and u.std else 0.01 * abs(value) or 0.01
            initial.append(s0)
            scales.append(s0)
    initial, scales = np.array(initial), np.array(scales)
    is_std = np.array([f.kind == "std" for f in free])
    nll = _Likelihood(scenario, measured, free, noise, n, seed)

    def to_theta(x):  # optimiser space: values in units of their prior spread, spreads as logarithms
        return np.where(is_std, initial * np.exp(x), initial + scales * x)

    def objective(x):
        return nll(to_theta(x))

    k = len(free)
    simplex = np.vstack([np.zeros(k), 0.5 * np.eye(k)])
    res = minimize(objective, np.zeros(k), method="Nelder-Mead",
                   options={"initial_simplex": simplex, "xatol": 1e-3, "fatol": 1e-4, "maxiter": maxiter})
    theta = to_theta(res.x)
    se_x = _standard_errors(objective, res.x)
    se = np.where(is_std, theta * se_x, scales * se_x)
    rows = []
    for f, v0, v, s in zip(free, initial, theta, se, strict=True):
        unit = scenario.catalog[f.name].unit
        rows.append({"parameter": f.label, "kind": f.kind, "unit": unit, "initial": v0, "estimate": v,
                     "std_error": s, "lower95": v - 1.96 * s, "upper95": v + 1.96 * s})
    calibrated = with_settings(scenario, dict(zip(free, theta, strict=True)))
    calibrated.build_chain()
    calibrated.source = ""
    return Calibration(scenario=calibrated, prior=scenario, estimates=pd.DataFrame(rows), nll=float(res.fun),
                       nll_initial=float(objective(np.zeros(k))), evaluations=nll.evaluations,
                       converged=bool(res.success), message=str(res.message), quantities=list(measured.quantities),
                       n_measured=len(measured), samples=n, seed=seed, seconds=time.perf_counter() - t0,
                       source=measured.source)


def _standard_errors(f, x: np.ndarray, h: float = 0.05) -> np.ndarray:
    """Square roots of the diagonal of the inverse finite-difference Hessian of f at x
    (NaN where the curvature is not positive definite)."""
    k = len(x)
    H = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        ei = np.eye(k)[i] * h
        H[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h ** 2
        for j in range(i):
            ej = np.eye(k)[j] * h
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h ** 2)
    try:
        np.linalg.cholesky(H)
        return np.sqrt(np.diag(np.linalg.inv(H)))
    except np.linalg.LinAlgError:
        return np.full(k, np.nan)
