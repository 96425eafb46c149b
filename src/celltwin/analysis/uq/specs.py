"""Specification windows on outputs, and the yield (probability in spec) of a Monte Carlo run.

A product is in spec when every specified output lies inside its window. Samples the
chain rejected (inputs outside their valid range, failed solves) count as out of spec:
a part nobody can make is scrap, and their number is reported separately. The
confidence interval of the yield is a binomial one (Wilson score or Clopper-Pearson),
because the samples are independent Bernoulli trials of "in spec".
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...containers.scenario import ElectrodeScenario
from ...platform.catalog import Catalog
from ...platform.errors import ParameterError
from ...platform.scenario import Scenario, spec_window
from .sampling import propagate

CI_METHODS = ("wilson", "clopper-pearson")
CAPABILITY_METHOD = "Cp: chi-square interval; Cpk: Bissell (1990) normal approximation"


@dataclass(frozen=True)
class Spec:
    """One window ``low <= value <= high`` on an output, in its catalog unit (an open side is inf)."""

    name: str
    low: float = -math.inf
    high: float = math.inf

    @classmethod
    def from_table(cls, name: str, table: Mapping, catalog: Catalog) -> Spec:
        """``{value = 14.3, rel_tol = 0.02}``, ``{value, abs_tol}`` or ``{min, max}`` (as in ``[specs]``)."""
        return cls(name, *spec_window(name, table, catalog))

    @classmethod
    def parse(cls, text: str, catalog: Catalog) -> Spec:
        """Command-line form: ``m_dry=14.3+-2%``, ``rho_cal=2.95+-0.03``, ``capacity>=2.0``,
        ``h_cal<=50`` or ``eps_cal=0.30:0.33``."""
        t = text.replace(" ", "").replace("±", "+-")
        m = re.fullmatch(r"([A-Za-z_][\w]*)(>=|<=|=)(.+)", t)
        if not m:
            raise ParameterError(f"spec {text!r}: write NAME=VALUE+-TOL[%], NAME>=MIN, NAME<=MAX or NAME=LOW:HIGH")
        name, op, rest = m.groups()
        try:
            if op == ">=":
                table = {"min": float(rest)}
            elif op == "<=":
                table = {"max": float(rest)}
            elif ":" in rest:
                low, high = rest.split(":", 1)
                table = {"min": float(low), "max": float(high)}
            elif "+-" in rest:
                value, tol = rest.split("+-", 1)
                table = ({"value": float(value), "rel_tol": float(tol[:-1]) / 100} if tol.endswith("%")
                         else {"value": float(value), "abs_tol": float(tol)})
            else:
                raise ValueError
        except ValueError:
            raise ParameterError(f"spec {text!r}: write NAME=VALUE+-TOL[%], NAME>=MIN, NAME<=MAX "
                                 "or NAME=LOW:HIGH with numbers in the catalog unit") from None
        return cls.from_table(name, table, catalog)

    def inside(self, values) -> np.ndarray:
        """True where a value lies in the window (NaN is outside)."""
        v = np.asarray(values, dtype=float)
        return (v >= self.low) & (v <= self.high)

    @property
    def text(self) -> str:
        if math.isfinite(self.low) and math.isfinite(self.high):
            mid, half = 0.5 * (self.low + self.high), 0.5 * (self.high - self.low)
            return f"{self.name} = {mid:.6g} ± {half:.3g} ({100 * half / abs(mid):.3g} %)" if mid else \
                f"{self.low:.6g} <= {self.name} <= {self.high:.6g}"
        return f"{self.name} >= {self.low:.6g}" if math.isfinite(self.low) else f"{self.name} <= {self.high:.6g}"


def as_specs(specs, catalog: Catalog) -> list[Spec]:
    """Specs from a list of :class:`Spec`, CLI strings, or a mapping name -> table / (low, high)."""
    if specs is None:
        return []
    if isinstance(specs, Mapping):
        out = []
        for name, v in specs.items():
            if isinstance(v, Spec):
                out.append(v)
            elif isinstance(v, Mapping):
                out.append(Spec.from_table(name, v, catalog))
            else:
                low, high = v
                out.append(Spec(name, -math.inf if low is None else float(low),
                                math.inf if high is None else float(high)))
        return out
    return [s if isinstance(s, Spec) else Spec.parse(str(s), catalog) for s in specs]


def proportion_ci(k: int, n: int, confidence: float = 0.95, method: str = "wilson") -> tuple[float, float]:
    """Two-sided confidence interval of a binomial proportion k/n (``scipy.stats.binomtest``).

    Wilson's score interval is the default (good coverage, never outside [0, 1]);
    Clopper-Pearson (scipy's ``"exact"``) is exact and conservative: it bounds the yield strictly.
    """
    from scipy.stats import binomtest

    if n < 1:
        raise ParameterError(f"n = {n} samples: a yield needs at least 1 sample", parameter="n", value=n,
                             valid="[1, inf)")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence = {confidence} is outside its valid range (0, 1)",
                             parameter="confidence", value=confidence, unit="1", valid="(0, 1)")
    if method not in CI_METHODS:
        raise ParameterError(f"confidence interval method {method!r} is not one of {', '.join(CI_METHODS)}",
                             parameter="method", value=method, valid=", ".join(CI_METHODS))
    ci = binomtest(int(k), int(n)).proportion_ci(confidence, "exact" if method == "clopper-pearson" else "wilson")
    return float(ci.low), float(ci.high)


def capability(values, spec: Spec, confidence: float = 0.95) -> dict[str, float]:
    """Process capability indices of a sample against one window, with confidence intervals.

    ``Cp = (USL - LSL) / 6 s`` (NaN for a one-sided window) and ``Cpk = min(USL - mean,
    mean - LSL) / 3 s`` over the finite values. Intervals: Cp's is exact for a normal sample
    (chi-square on s); Cpk's is Bissell's normal approximation (Bissell 1990, Applied
    Statistics 39: 331), ``Cpk ± z sqrt(1/(9n) + Cpk^2 / (2(n-1)))``. Both indices assume a
    normal output; the yield from :func:`yield_of` does not. Written out: scipy and statsmodels
    have no capability indices; the chi-square and normal quantiles come from scipy.
    """
    from scipy.stats import chi2, norm

    v = np.asarray(values, dtype=float).reshape(-1)
    v = v[np.isfinite(v)]
    n = v.size
    nan = dict.fromkeys(("Cp", "Cp_low", "Cp_high", "Cpk", "Cpk_low", "Cpk_high"), math.nan)
    if n < 2:
        return {"n": n, "mean": float(v.mean()) if n else math.nan, "std": math.nan, **nan}
    mean, std = float(v.mean()), float(v.std(ddof=1))
    out = {"n": n, "mean": mean, "std": std, **nan}
    if std == 0:
        return out
    alpha = 1.0 - confidence
    if math.isfinite(spec.low) and math.isfinite(spec.high):
        cp = (spec.high - spec.low) / (6 * std)
        out.update(Cp=cp, Cp_low=cp * math.sqrt(chi2.ppf(alpha / 2, n - 1) / (n - 1)),
                   Cp_high=cp * math.sqrt(chi2.ppf(1 - alpha / 2, n - 1) / (n - 1)))
    cpk = min(spec.high - mean, mean - spec.low) / (3 * std)
    half = float(norm.ppf(1 - alpha / 2)) * math.sqrt(1 / (9 * n) + cpk * cpk / (2 * (n - 1)))
    out.update(Cpk=cpk, Cpk_low=cpk - half, Cpk_high=cpk + half)
    return out


@dataclass
class YieldResult:
    """Probability in spec and scrap rate of a sample, with binomial confidence intervals.

    ``per_spec`` has one row per window: its fraction in spec with its interval, and the
    capability indices of the accepted samples (:func:`capability`: n, mean, std, Cp, Cpk and
    their intervals), in the output's catalog ``unit``.
    """

    specs: list[Spec]
    n: int
    n_in: int
    n_invalid: int
    confidence: float
    method: str
    ci: tuple[float, float]
    per_spec: pd.DataFrame = field(repr=False)

    @property
    def p_in(self) -> float:
        return self.n_in / self.n

    @property
    def scrap(self) -> float:
        return 1.0 - self.p_in

    @property
    def scrap_ci(self) -> tuple[float, float]:
        return 1.0 - self.ci[1], 1.0 - self.ci[0]

    def summary(self) -> dict:
        """A flat dict (for --json and reports)."""
        return {"samples": self.n, "in_spec": self.n_in, "rejected_by_chain": self.n_invalid,
                "yield": self.p_in, "yield_low": self.ci[0], "yield_high": self.ci[1],
                "scrap": self.scrap, "scrap_low": self.scrap_ci[0], "scrap_high": self.scrap_ci[1],
                "confidence": self.confidence, "ci_method": self.method,
                "specs": [s.text for s in self.specs]}


def in_spec(res, specs) -> np.ndarray:
    """True for the samples of a chain result the chain accepted with every output in its window."""
    ok = np.asarray(res.valid, dtype=bool).copy()
    for s in specs:
        ok &= s.inside(res[s.name])
    return ok


def yield_of(values, specs, *, valid=None, confidence: float = 0.95, method: str = "wilson",
             catalog: Catalog | None = None) -> YieldResult:
    """Yield of a sample: ``values`` is a DataFrame or mapping name -> array (e.g. a
    :func:`~celltwin.analysis.propagate` frame, whose ``valid`` column is used)."""
    if catalog is None:
        from ...containers.formulation import default_catalog
        catalog = default_catalog()
    specs = as_specs(specs, catalog)
    if not specs:
        raise ParameterError("no specification windows given: give specs (NAME=VALUE+-TOL%) or a [specs] table",
                             parameter="specs")
    missing = [s.name for s in specs if s.name not in values]
    if missing:
        raise ParameterError(f"the sample has no column {', '.join(missing)} to check against its spec "
                             "(is it computed by this scenario's chain, e.g. a performance output needs "
                             "[scenario] cell = \"half-cell\"?)")
    if valid is None:
        valid = values["valid"] if "valid" in values else None
    first = np.asarray(values[specs[0].name], dtype=float)
    n = first.size
    valid = np.ones(n, bool) if valid is None else np.asarray(valid, dtype=bool).reshape(-1)
    ok = valid.copy()
    rows = []
    for s in specs:
        column = np.asarray(values[s.name], dtype=float).reshape(-1)
        inside = s.inside(column) & valid
        ok &= inside
        k = int(inside.sum())
        lo, hi = proportion_ci(k, n, confidence, method)
        rows.append({"spec": s.text, "name": s.name, "unit": catalog[s.name].unit if s.name in catalog else "",
                     "low": s.low, "high": s.high, "fraction_in": k / n, "ci_low": lo, "ci_high": hi,
                     **capability(column[valid], s, confidence)})
    k = int(ok.sum())
    return YieldResult(specs, n, k, int((~valid).sum()), confidence, method,
                       proportion_ci(k, n, confidence, method), pd.DataFrame(rows))


def scenario_yield(scenario: Scenario | str, specs=None, n: int | None = None, seed: int | None = None, *,
                   confidence: float = 0.95, method: str = "wilson", with_cell: bool | None = None) -> YieldResult:
    """Monte Carlo yield of a scenario: its samples through its chain against ``specs``
    (default: the scenario's ``[specs]`` table). The cell model runs only when a spec needs it."""
    sc = ElectrodeScenario.resolve(scenario)
    specs = as_specs(specs if specs is not None else {k: v for k, v in sc.specs.items()}, sc.catalog)
    if with_cell is None:
        with_cell = any(sc.catalog[s.name].domain in ("performance", "battery-model") for s in specs)
    frame = propagate(sc, n, seed, with_cell=with_cell)
    return yield_of(frame, specs, confidence=confidence, method=method, catalog=sc.catalog)
