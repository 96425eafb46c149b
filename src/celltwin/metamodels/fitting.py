"""Fitting, validating and selecting metamodels on a design of experiments (seed 004, §3.2).

Candidates: linear, quadratic and exponential regressions, polynomial chaos and
Kriging (both OpenTURNS), for one input or several. Each is scored by R², RMSE and
the corrected Akaike criterion AICc on the training points and by R², RMSE on
held-out test points; the ranking is by training AICc (fit quality against the
number of fitted parameters), and the reason of the choice is recorded. The selected
kind is then refitted on all points, which is the metamodel that ships.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from ..platform.errors import ParameterError
from . import pce
from .metamodel import KINDS, Metamodel, quadratic_terms, squared_exponential, term_matrix


# -- metrics -------------------------------------------------------------------------
def r2(y: np.ndarray, yhat: np.ndarray) -> float:
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - yhat) ** 2)) / ss_tot if ss_tot > 0 else float("nan")


def rmse(y: np.ndarray, yhat: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y - yhat) ** 2)))


def aicc(y: np.ndarray, yhat: np.ndarray, k: float) -> float:
    """Corrected AIC of a least-squares fit with k parameters: n ln(RSS/n) + 2k + 2k(k+1)/(n-k-1)."""
    n = len(y)
    rss = float(np.sum((y - yhat) ** 2))
    if n - k - 1 <= 0:
        return float("inf")
    return n * np.log(rss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)


# -- candidates ----------------------------------------------------------------------
def _space(x: np.ndarray, inputs: Sequence[str]) -> dict[str, list[float]]:
    return {n: [float(x[:, k].min()), float(x[:, k].max())] for k, n in enumerate(inputs)}


def _bounds(space, inputs):
    return (np.array([space[n][0] for n in inputs]), np.array([space[n][1] for n in inputs]))


def fit_polynomial(x, y, inputs, output, degree: int) -> tuple[Metamodel, float]:
    """Least-squares linear (degree 1) or full quadratic (degree 2) regression."""
    d = x.shape[1]
    terms = [()] + [(i,) for i in range(d)] if degree == 1 else quadratic_terms(d)
    a = term_matrix(x, terms)
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    kind = "linear" if degree == 1 else "quadratic"
    model = Metamodel(kind, list(inputs), output, {"terms": [list(t) for t in terms], "values": coef.tolist()},
                      _space(x, inputs))
    return model, float(len(terms))


def fit_exponential(x, y, inputs, output) -> tuple[Metamodel, float]:
    """y = a + b exp(sum_i c_i x_i), by variable projection: for each rate vector the
    offset and amplitude are a linear least-squares problem; the rates are searched on
    inputs scaled to [0, 1] (multi-start grid, then Nelder-Mead)."""
    space = _space(x, inputs)
    lo, hi = _bounds(space, inputs)
    u = (x - lo) / np.where(hi > lo, hi - lo, 1.0)

    def solve(kv):
        a = np.column_stack([np.ones(len(u)), np.exp(np.clip(u @ kv, -700, 700))])
        ab, *_ = np.linalg.lstsq(a, y, rcond=None)
        return ab, float(np.sum((y - a @ ab) ** 2))

    d = x.shape[1]
    grid = [g for g in np.linspace(-12, 12, 49) if abs(g) > 1e-9]
    starts = [np.full(d, g) for g in grid] if d == 1 else \
        [np.eye(d)[i] * g for i in range(d) for g in grid[::4]] + [np.full(d, g) for g in grid[::4]]
    best = min(starts, key=lambda kv: solve(kv)[1])
    res = optimize.minimize(lambda kv: solve(kv)[1], best, method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})
    kv = res.x if res.fun <= solve(best)[1] else best
    (a, b), _ = solve(kv)
    scale = np.where(hi > lo, hi - lo, 1.0)
    c = kv / scale
    b_phys = b * np.exp(-float(np.sum(kv * lo / scale)))
    model = Metamodel("exponential", list(inputs), output,
                      {"a": float(a), "b": float(b_phys), "c": c.tolist()}, space)
    return model, float(2 + d)


def fit_pce(x, y, inputs, output, degree: int | None = None) -> tuple[Metamodel, float]:
    """Polynomial chaos (OpenTURNS, least squares) on uniform marginals over the design space.

    Default total degree: 3, lowered so the basis has fewer terms than distinct points.
    """
    import openturns as ot

    space = _space(x, inputs)
    d = x.shape[1]
    n_distinct = len(np.unique(x, axis=0))
    if degree is None:
        degree = 3
        while degree > 1 and _n_terms(d, degree) >= n_distinct:
            degree -= 1
    dist = ot.JointDistribution([ot.Uniform(*space[n]) if space[n][1] > space[n][0]
                                 else ot.Uniform(space[n][0] - 0.5, space[n][0] + 0.5) for n in inputs])
    result = pce.fit_pce(x, y, dist, degree=degree, output=output, check_size=False).result
    enum = ot.LinearEnumerateFunction(d)
    indices = [list(enum(int(i))) for i in result.getIndices()]
    values = [float(v) for v in np.asarray(result.getCoefficients()).reshape(-1)]
    model = Metamodel("pce", list(inputs), output, {"indices": indices, "values": values, "degree": degree},
                      space)
    return model, float(len(values))


def _n_terms(d: int, degree: int) -> int:
    from math import comb
    return comb(d + degree, degree)


def fit_kriging(x, y, inputs, output) -> tuple[Metamodel, float]:
    """Kriging with a constant trend and a squared-exponential covariance (OpenTURNS fitter).

    Repeated DEM runs at one design point scatter, so the process is fitted with a
    homogeneous noise equal to the pooled variance of the repetitions (or, without
    repetitions, of the residuals of a linear fit); the prediction is the posterior
    mean of the noisy process, which smooths instead of interpolating. Its parameter
    count for AICc is the effective degrees of freedom (trace of the smoother matrix)
    plus the covariance parameters.
    """
    import openturns as ot

    space = _space(x, inputs)
    lo, hi = _bounds(space, inputs)
    u = (x - lo) / np.where(hi > lo, hi - lo, 1.0)
    y_mean, y_std = float(y.mean()), float(y.std()) or 1.0
    z = (y - y_mean) / y_std
    noise = _noise_variance(x, z)
    d = x.shape[1]
    cov = ot.SquaredExponential([0.5] * d, [1.0])
    fitter = ot.GaussianProcessFitter(u, z[:, None], cov, ot.ConstantBasisFactory(d).build())
    fitter.setNoise([noise] * len(z))
    fitter.setOptimizationBounds(ot.Interval([0.05] * d, [20.0] * d))
    fitter.run()
    result = fitter.getResult()
    fitted = result.getCovarianceModel()
    scale = np.asarray(fitted.getScale())
    amplitude = float(fitted.getAmplitude()[0])
    k = squared_exponential(u, u, scale, amplitude)
    kn = k + noise * np.eye(len(z))
    ones = np.ones((len(z), 1))
    kinv = np.linalg.inv(kn)
    beta = float((ones.T @ kinv @ z).item() / (ones.T @ kinv @ ones).item())
    weights = kinv @ (z - beta)
    # smoother matrix of the posterior mean (with the GLS trend) for the effective dof
    p = ones @ np.linalg.inv(ones.T @ kinv @ ones) @ ones.T @ kinv
    smoother = p + k @ kinv @ (np.eye(len(z)) - p)
    dof = float(np.trace(smoother)) + d + 1
    model = Metamodel("kriging", list(inputs), output,
                      {"points": u.tolist(), "weights": weights.tolist(), "trend": beta,
                       "scale": scale.tolist(), "amplitude": amplitude, "noise": noise,
                       "y_mean": y_mean, "y_std": y_std}, space)
    return model, dof


def _noise_variance(x: np.ndarray, z: np.ndarray) -> float:
    groups = pd.DataFrame(x).assign(z=z).groupby(list(range(x.shape[1])))["z"]
    counts = groups.count()
    if (counts > 1).any():
        pooled = float(((groups.var(ddof=1).fillna(0) * (counts - 1)).sum()) / max((counts - 1).sum(), 1))
        return max(pooled, 1e-8)
    a = np.column_stack([np.ones(len(z)), x])
    resid = z - a @ np.linalg.lstsq(a, z, rcond=None)[0]
    return max(float(np.var(resid)), 1e-8)


FITTERS = {
    "linear": lambda x, y, i, o: fit_polynomial(x, y, i, o, 1),
    "quadratic": lambda x, y, i, o: fit_polynomial(x, y, i, o, 2),
    "exponential": fit_exponential,
    "pce": fit_pce,
    "kriging": fit_kriging,
}


# -- selection -----------------------------------------------------------------------
@dataclass
class Selection:
    """Every candidate's metrics, the ranking, the reason, and the selected metamodel."""

    table: pd.DataFrame
    selected: Metamodel
    reason: str
    candidates: dict[str, Metamodel] = field(repr=False)
    provenance: dict = field(default_factory=dict)

    def document(self) -> dict:
        """The JSON document: selected model (name, coefficients, design space), metrics of all candidates."""
        return {"selected": self.selected.kind,
                "reason": self.reason,
                "inputs": self.selected.inputs, "output": self.selected.output,
                "design_space": self.selected.design_space,
                "coefficients": self.selected.coefficients,
                "formula": self.selected.formula(),
                "metrics": {row.candidate: {k: _num(v) for k, v in row._asdict().items() if k != "candidate"}
                            for row in self.table.itertuples(index=False)},
                "provenance": self.provenance,
                "selected_model": self.selected.to_dict()}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.document(), indent=2))


def _num(v):
    return None if isinstance(v, float) and not np.isfinite(v) else (int(v) if isinstance(v, (np.integer,)) else
                                                                    float(v) if isinstance(v, (float, np.floating))
                                                                    else v)


def split(x: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """Boolean test mask: a seeded random share of the rows strictly inside the design space
    (the rows at the min or max of any input stay in training, so tests never extrapolate)."""
    rng = np.random.default_rng(seed)
    interior = np.all((x > x.min(axis=0)) & (x < x.max(axis=0)) | (x.max(axis=0) == x.min(axis=0)), axis=1)
    candidates = np.flatnonzero(interior)
    n_test = int(round(test_fraction * len(x)))
    mask = np.zeros(len(x), dtype=bool)
    if n_test and len(candidates):
        mask[rng.choice(candidates, min(n_test, len(candidates)), replace=False)] = True
    return mask


def select(data: pd.DataFrame, inputs: Sequence[str], output: str,
           candidates: Sequence[str] = KINDS, test_fraction: float = 0.2, seed: int = 0,
           provenance: dict | None = None) -> Selection:
    """Fit every candidate on a training split, score it, rank by training AICc and refit the best on all data.

    Rows whose output is missing (failed runs) are dropped.
    """
    inputs = list(inputs)
    unknown = [c for c in [*inputs, output] if c not in data.columns]
    if unknown:
        raise ParameterError(f"column(s) {', '.join(unknown)} not in the design; columns: {', '.join(data.columns)}")
    bad = [c for c in candidates if c not in FITTERS]
    if bad:
        raise ParameterError(f"unknown metamodel candidate(s) {', '.join(bad)}; valid: {', '.join(KINDS)}")
    clean = data.dropna(subset=[*inputs, output])
    try:
        x = clean[inputs].to_numpy(float)
        y = clean[output].to_numpy(float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"the design's columns {', '.join([*inputs, output])} must be numbers ({exc})") from None
    bad_rows = ~(np.isfinite(x).all(axis=1) & np.isfinite(y))
    if bad_rows.any():
        i = int(np.flatnonzero(bad_rows)[0])
        row = dict(zip([*inputs, output], [*x[i], y[i]], strict=True))
        raise ParameterError(f"design row {clean.index[i]}: a non-finite value ({row}); remove or rerun that point",
                             parameter=output)
    if len(y) < 6:
        raise ParameterError(f"only {len(y)} usable design points for {output}; at least 6 are needed")
    test = split(x, test_fraction, seed)
    rows, models = [], {}
    for name in candidates:
        model, k = FITTERS[name](x[~test], y[~test], inputs, output)
        yt = model.predict(x[~test])
        row = {"candidate": name, "k": k, "R2_train": r2(y[~test], yt), "RMSE_train": rmse(y[~test], yt),
               "AICc_train": aicc(y[~test], yt, k)}
        if test.any():
            yv = model.predict(x[test])
            row |= {"R2_test": r2(y[test], yv), "RMSE_test": rmse(y[test], yv)}
        rows.append(row)
        models[name] = model
    table = pd.DataFrame(rows).sort_values(["AICc_train"] + (["RMSE_test"] if test.any() else []))
    table.insert(1, "rank", range(1, len(table) + 1))
    best = table.iloc[0]
    reason = _reason(table, int(test.sum()), int((~test).sum()))
    final, k = FITTERS[best.candidate](x, y, inputs, output)
    yf = final.predict(x)
    final.metrics = {"k": k, "R2_all": r2(y, yf), "RMSE_all": rmse(y, yf), "AICc_all": aicc(y, yf, k),
                     **{c: _num(best[c]) for c in table.columns if c not in ("candidate", "rank")}}
    final.provenance = dict(provenance or {})
    for name, m in models.items():
        m.metrics = {c: _num(v) for c, v in table.set_index("candidate").loc[name].items()}
    return Selection(table=table.reset_index(drop=True), selected=final, reason=reason, candidates=models,
                     provenance=final.provenance)


def _reason(table: pd.DataFrame, n_test: int, n_train: int) -> str:
    best = table.iloc[0]
    text = (f"{best.candidate} ranks first: lowest AICc on {n_train} training points "
            f"({best.AICc_train:.2f}, R² {best.R2_train:.3f}, RMSE {best.RMSE_train:.4g})")
    if n_test:
        by_test = table.sort_values("RMSE_test").candidate.tolist()
        text += (f"; on {n_test} held-out points RMSE {best.RMSE_test:.4g}, R² {best.R2_test:.3f} "
                 f"(rank {by_test.index(best.candidate) + 1} of {len(by_test)} by test RMSE)")
    others = [f"{r.candidate} +{r.AICc_train - best.AICc_train:.2f}" for r in table.iloc[1:].itertuples()]
    if others:
        text += "; AICc differences: " + ", ".join(others)
    return text


def design_provenance(csv_path: str | Path) -> dict:
    """Hash of the design CSV plus the DEM settings and engine version stored beside it."""
    from .doe import file_hash, provenance_path

    csv_path = Path(csv_path)
    prov = {"design_file": csv_path.name, "design_sha256": file_hash(csv_path)}
    side = provenance_path(csv_path)
    if side.exists():
        info = json.loads(side.read_text())
        prov |= {"dem_settings": info.get("dem_settings"), "formulation": info.get("formulation"),
                 "engine": info.get("engine"), "design": info.get("design")}
    return prov


def plot(selection: Selection, data: pd.DataFrame, path: str | Path) -> None:
    """PNG of the data, every candidate's fit and the design space (against the first input)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        from ..platform.errors import MissingDependencyError
        raise MissingDependencyError("plotting needs matplotlib: pip install matplotlib") from exc
    model = selection.selected
    name = model.inputs[0]
    lo, hi = model.design_space[name]
    span = hi - lo
    grid = np.linspace(lo - 0.15 * span, hi + 0.15 * span, 300)
    fixed = {n: np.full_like(grid, np.mean(model.design_space[n])) for n in model.inputs[1:]}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.axvspan(lo, hi, color="0.92", label="design space")
    clean = data.dropna(subset=[*model.inputs, model.output])
    ax.plot(clean[name], clean[model.output], "o", color="k", ms=4, label="design points")
    for cand, m in selection.candidates.items():
        xs = np.column_stack([grid, *[fixed[n] for n in m.inputs[1:]]])
        style = "-" if cand == model.kind else "--"
        score = m.metrics.get("AICc_train")
        ax.plot(grid, m.predict(xs), style, lw=2 if cand == model.kind else 1,
                label=f"{cand} (AICc {score:.1f})" if score is not None else f"{cand} (AICc undefined)")
    ax.set_xlabel(name)
    ax.set_ylabel(model.output)
    ax.set_title(f"selected: {model.kind}" + (" (other inputs at mid-range)" if fixed else ""))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
