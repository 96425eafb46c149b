"""Uncertain parameters as OpenTURNS distributions, and seeded sampling of them.

Sampling goes through the unit hypercube so that Monte Carlo, Latin hypercube and
Sobol' sequences share one path: independent uniforms -> (normal copula) -> each
marginal's quantile function. That is the Nataf transformation, written out so the
same seed always gives bit-identical samples.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import ndtr, ndtri

from .errors import ScenarioError

DISTRIBUTIONS = ("normal", "lognormal", "uniform", "truncated-normal", "kde")
METHODS = ("mc", "lhs", "sobol")


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter, in catalog units.

    ``value`` is the nominal (mean for normal and lognormal, midpoint for uniform,
    data mean for kde); ``std`` the standard deviation where it applies.
    """

    name: str
    distribution: str
    value: float
    std: float | None = None
    low: float | None = None
    high: float | None = None
    data: tuple[float, ...] | None = None

    def marginal(self):
        import openturns as ot

        d = self.distribution
        if d == "normal":
            dist = ot.Normal(self.value, self.std)
        elif d == "lognormal":
            dist = ot.LogNormalMuSigma(self.value, self.std, 0.0).getDistribution()
        elif d == "uniform":
            dist = ot.Uniform(self.low, self.high)
        elif d == "truncated-normal":
            dist = ot.TruncatedNormal(self.value, self.std, self.low, self.high)
        elif d == "kde":
            dist = ot.KernelSmoothing().build(ot.Sample([[x] for x in self.data or ()]))
        else:  # guarded by the scenario parser; kept for direct construction
            raise ScenarioError(f"distribution {d!r} of {self.name!r} is not one of {', '.join(DISTRIBUTIONS)}")
        dist.setDescription([self.name])
        return dist


def read_column(path: str | Path, column: str) -> tuple[float, ...]:
    """Measurements for a KDE: one CSV column, blanks dropped."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"KDE data file {str(path)!r} does not exist or is not a file", path=str(path))
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise ScenarioError(f"KDE data file {str(path)!r} is not a readable CSV: {' '.join(str(exc).split())}",
                            path=str(path)) from None
    if column not in frame:
        raise ScenarioError(f"KDE data file {str(path)!r} has no column {column!r}; columns: "
                            f"{', '.join(map(str, frame.columns))}", path=str(path), parameter=column)
    numbers = pd.to_numeric(frame[column], errors="coerce")
    text = frame[column].notna() & numbers.isna()
    if text.any():
        row = int(np.flatnonzero(text)[0])
        raise ScenarioError(f"KDE data file {str(path)!r}, column {column!r}, data row {row + 1}: "
                            f"{frame[column].iloc[row]!r} is not a number", path=str(path), parameter=column)
    values = numbers.dropna().to_numpy(dtype=float)
    if not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(numbers.to_numpy(dtype=float)) & numbers.notna().to_numpy())[0])
        raise ScenarioError(f"KDE data file {str(path)!r}, column {column!r}, data row {row + 1}: "
                            f"{numbers.iloc[row]!r} is not a finite number", path=str(path), parameter=column)
    if len(values) < 5:
        raise ScenarioError(f"KDE of column {column!r} needs at least 5 finite measurements, got "
                            f"{int(np.isfinite(values).sum())}", path=str(path), parameter=column)
    if np.ptp(values) == 0:
        raise ScenarioError(f"KDE of column {column!r}: all {len(values)} measurements equal {values[0]:g}; a "
                            "constant has no spread to smooth (give the value as fixed instead)",
                            path=str(path), parameter=column)
    return tuple(values)


def joint_distribution(params: Sequence[Uncertain], correlation: np.ndarray | None = None):
    """The OpenTURNS joint distribution: marginals and a normal copula (or independence)."""
    import openturns as ot

    marginals = [p.marginal() for p in params]
    if correlation is None or np.allclose(correlation, np.eye(len(params))):
        copula = ot.IndependentCopula(len(params))
    else:
        copula = ot.NormalCopula(ot.CorrelationMatrix(np.asarray(correlation).tolist()))
    joint = ot.JointDistribution(marginals, copula)
    joint.setDescription([p.name for p in params])
    return joint


def unit_hypercube(n: int, d: int, seed: int, method: str = "mc") -> np.ndarray:
    """n points in [0, 1)^d: plain Monte Carlo, Latin hypercube or a scrambled-free Sobol' sequence."""
    import openturns as ot

    if method not in METHODS:
        raise ScenarioError(f"sampling method {method!r} is not one of {', '.join(METHODS)}")
    ot.RandomGenerator.SetSeed(int(seed))
    uniform = ot.JointDistribution([ot.Uniform(0.0, 1.0)] * d)
    if method == "mc":
        u = uniform.getSample(n)
    elif method == "lhs":
        u = ot.LHSExperiment(uniform, n, False, True).generate()
    else:
        u = ot.LowDiscrepancyExperiment(ot.SobolSequence(d), uniform, n, False).generate()
    u = np.asarray(u, dtype=float)
    # keep strictly inside (0, 1) so quantiles of unbounded marginals stay finite
    return np.clip(u, 1e-12, 1.0 - 1e-12)


def sample(params: Sequence[Uncertain], n: int, seed: int, method: str = "mc",
           correlation: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Seeded joint sample of the uncertain parameters: name -> array of n values."""
    if not params:
        return {}
    u = unit_hypercube(n, len(params), seed, method)
    if correlation is not None and not np.allclose(correlation, np.eye(len(params))):
        chol = np.linalg.cholesky(np.asarray(correlation, dtype=float))
        u = ndtr(ndtri(u) @ chol.T)
    out = {}
    for j, p in enumerate(params):
        q = p.marginal().computeQuantile(u[:, j].tolist())
        out[p.name] = np.asarray(q, dtype=float).reshape(-1)
    return out


def check_correlation(names: Sequence[str], pairs: Mapping[tuple[str, str], float]) -> np.ndarray:
    """Assemble and check a correlation matrix from (name, name) -> rho pairs."""
    index = {n: i for i, n in enumerate(names)}
    r = np.eye(len(names))
    for (a, b), rho in pairs.items():
        if not -1.0 < rho < 1.0:
            raise ScenarioError(f"[correlations] {a}-{b} = {rho} (unit 1) is outside the valid range (-1, 1)",
                                parameter=f"{a}-{b}", value=rho, valid="(-1, 1)", path="[correlations]")
        r[index[a], index[b]] = r[index[b], index[a]] = rho
    if np.linalg.eigvalsh(r).min() <= 0:
        given = ", ".join(f"{a}-{b} = {rho:g}" for (a, b), rho in pairs.items())
        raise ScenarioError(f"[correlations] {given}: these do not form a positive definite matrix, so some of "
                            "the pairs contradict each other", parameter=", ".join(f"{a}-{b}" for a, b in pairs),
                            path="[correlations]")
    return r
