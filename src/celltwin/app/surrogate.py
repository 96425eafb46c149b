"""The cell stage as a polynomial chaos surrogate, so that a what-if answers while a setting moves.

A P2D discharge takes about 10 ms per sample in a batch; a what-if of 10,000 samples
would take minutes. The study replaces the cell stage by a PCE fitted to its Monte Carlo
runs (:mod:`celltwin.analysis.uq.study`, :func:`celltwin.metamodels.pce.fit_pce`); the app
does the same, but on the cell's own physical inputs instead of the study's process-side
ones, so the surrogate stays right whichever setting the engineer moves: the P2D outputs
depend on the calendered thickness ``h_cal``, the porosity ``eps_cal`` and the volume fractions
``X_c``. The fractions sum to ``1 - eps_cal``, so the surrogate takes each component's share of
the solid volume, ``phi_c = X_c / (1 - eps_cal)``, for all but the last component: every point
of a box in (h_cal, eps_cal, phi) is a possible electrode, which a box in the X_c is not.

The training design is a Latin hypercube in a box about the scenario's nominal structure
(:data:`BOX` relative half-widths, at least six standard deviations of its own Monte Carlo
spread), evaluated by the cell stage itself (the exact P2D); the PCE is the project's one
fit (:func:`fit_pce`, degree chosen by leave-one-out Q²). Every prediction reports the share
of samples outside the box: there the surrogate extrapolates, and the app says so.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..metamodels.pce import Surrogate, fit_pce
from ..platform.chain import ProcessChain
from ..platform.errors import ExtrapolationWarning, ParameterError, SolverError
from ..platform.scenario import Scenario

#: performance outputs the surrogate replaces (the cell container's discharge results)
OUTPUTS = ("capacity", "energy_density")
#: relative half-width of the training box about the nominal structure, per input kind
BOX = {"h_cal": 0.15, "eps_cal": 0.15, "phi": 0.03}
#: P2D runs of the training design (a degree-3 PCE in four inputs has 35 terms)
TRAIN = 120
#: training points whose last component keeps less than this share of its nominal solid share are dropped
LAST_SHARE = 0.25
#: the box also spans this many standard deviations of the scenario's own structure spread
SPREAD_SIGMAS = 6.0


@dataclass
class CellSurrogate:
    """PCEs of the cell's performance outputs over (h_cal, eps_cal, phi_c but the last)."""

    inputs: list[str]                          # h_cal, eps_cal, phi_<c> for all components but the last
    components: list[str]
    box: dict[str, tuple[float, float]]        # training box (h_cal in um, the others fractions)
    pces: dict[str, Surrogate]                 # output -> its PCE (fit_pce)
    n_train: int
    n_failed: int
    seconds: float
    units: dict[str, str] = field(default_factory=dict)
    evaluators: dict[str, Callable[[np.ndarray], np.ndarray]] = field(default_factory=dict, repr=False)
    #: extrapolation warnings the cell stage raised on the training design (e.g. its structure surrogate)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.evaluators = {k: fast(s) for k, s in self.pces.items()}

    @property
    def q2(self) -> dict[str, float]:
        """Leave-one-out Q² of each output's PCE."""
        return {k: float(s.q2) for k, s in self.pces.items()}

    def describe(self) -> str:
        q2 = ", ".join(f"{k} {v:.4f}" for k, v in self.q2.items())
        text = (f"PCE surrogate of the P2D cell ({self.n_train} P2D runs, {self.seconds:.1f} s; leave-one-out Q²: "
                f"{q2})")
        if self.notes:
            text += f"; while training, the cell's structure surrogate extrapolated ({self.notes[0]})"
        return text

    def coordinates(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The surrogate's inputs (N, d) from structure values (h_cal, eps_cal, X_c)."""
        eps = np.asarray(values["eps_cal"], dtype=float).reshape(-1)
        cols = [np.asarray(values["h_cal"], dtype=float).reshape(-1), eps]
        cols += [np.asarray(values[f"X_{c}"], dtype=float).reshape(-1) / (1.0 - eps) for c in self.components[:-1]]
        return np.column_stack(cols)

    def outside(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """True for the samples outside the training box (the surrogate extrapolates there)."""
        X = self.coordinates(values)
        lo, hi = (np.array([self.box[k][i] for k in self.inputs]) for i in (0, 1))
        return np.asarray(((X < lo) | (X > hi)).any(axis=1), dtype=bool)

    def predict(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The performance outputs at the structure ``values`` (NaN where a structure is NaN);
        ``specific_capacity`` follows exactly from the capacity, as in the cell container."""
        X = self.coordinates(values)
        ok = np.isfinite(X).all(axis=1)
        out = {}
        for name, f in self.evaluators.items():
            y = np.full(len(X), np.nan)
            if ok.any():
                y[ok] = f(X[ok])
            out[name] = y
        if "w_AM" in values and "m_dry" in values:  # mAh/cm^2 over mg AM/cm^2, x 1000 -> mAh/g
            loading = np.asarray(values["w_AM"], dtype=float) * np.asarray(values["m_dry"], dtype=float)
            out["specific_capacity"] = out["capacity"] / loading * 1e3
        return out


class FastPCE:
    """A fitted OpenTURNS PCE evaluated with numpy: the same polynomial, about 100x faster on 10,000 points.

    OpenTURNS' own metamodel (``result.getMetaModel()``) evaluates a sample point by point through
    its function objects: about 70 ms per output for 10,000 points here, most of a what-if's budget.
    This reads the fitted terms (multi-indices, coefficients), the univariate polynomials of each
    marginal (``StandardDistributionPolynomialFactory``, as :func:`fit_pce` builds them) and the
    affine map to their standard measure, and sums the terms on whole arrays. Only affine maps
    (uniform, normal marginals: what the app fits) are taken; anything else keeps OpenTURNS.
    """

    def __init__(self, result) -> None:
        import openturns as ot

        dist = result.getDistribution()
        d = dist.getDimension()
        transform = result.getTransformation()
        self.offset = np.asarray(transform([0.0] * d), dtype=float)
        self.scale = np.asarray(transform([1.0] * d), dtype=float) - self.offset
        probe = np.linspace(0.3, 0.7, d)
        if not np.allclose(np.asarray(transform(probe.tolist())), self.offset + probe * self.scale, rtol=1e-12,
                           atol=1e-12):
            raise ValueError("the PCE's input transformation is not affine")
        enum = result.getOrthogonalBasis().getEnumerateFunction()
        self.multi = np.array([list(enum(int(i))) for i in result.getIndices()], dtype=int)
        self.coef = np.asarray(result.getCoefficients(), dtype=float)[:, 0]
        top = self.multi.max(axis=0)
        factories = [ot.StandardDistributionPolynomialFactory(dist.getMarginal(j)) for j in range(d)]
        self.polys = [[np.asarray(factories[j].build(n).getCoefficients(), dtype=float) for n in range(top[j] + 1)]
                      for j in range(d)]

    def __call__(self, X: np.ndarray) -> np.ndarray:
        Z = np.asarray(X, dtype=float) * self.scale + self.offset
        values = [[np.polynomial.polynomial.polyval(Z[:, j], c) for c in family] for j, family in
                  enumerate(self.polys)]
        out = np.zeros(len(Z))
        for c, alpha in zip(self.coef, self.multi, strict=True):
            term = np.full(len(Z), c)
            for j, a in enumerate(alpha):
                if a:
                    term *= values[j][a]
            out += term
        return out


def fast(surrogate) -> Callable[[np.ndarray], np.ndarray]:
    """The numpy evaluation of a fitted :class:`~celltwin.metamodels.pce.Surrogate`, else its own predict."""
    try:
        return FastPCE(surrogate.result)
    except ValueError:
        return surrogate.predict


def fit_cell_surrogate(sc: Scenario, *, n_train: int = TRAIN, seed: int = 2022, spread_samples: int = 2000
                       ) -> CellSurrogate:
    """Fit the cell surrogate about ``sc``'s nominal structure (see the module docstring)."""
    import openturns as ot

    if not sc.cell:
        raise ParameterError(f"scenario {sc.name!r} has no cell model to fit a surrogate of", parameter="cell")
    t0 = time.perf_counter()
    chain = sc.build_chain()
    cell = chain.container(sc.cell)
    nominal = dict(chain.evaluate(sc.nominal()))
    components = list(sc.components)
    inputs = ["h_cal", "eps_cal", *(f"phi_{c}" for c in components[:-1])]
    probe = CellSurrogate(inputs, components, {}, {}, 0, 0, 0.0)
    centre = dict(zip(inputs, probe.coordinates(nominal)[0], strict=True))
    spread: dict[str, float] = {}
    if sc.uncertain:
        x = sc.sample(spread_samples, seed).drop(columns="segment")
        res = sc.build_chain(with_cell=False).evaluate({k: x[k].to_numpy() for k in x.columns}, on_invalid="mask")
        spread = dict(zip(inputs, np.nanstd(probe.coordinates(res), axis=0), strict=True))
    box = {}
    for k in inputs:
        half = max(BOX[k.split("_")[0] if k.startswith("phi_") else k] * abs(centre[k]),
                   SPREAD_SIGMAS * spread.get(k, 0.0))
        low = max(centre[k] - half, 0.0)
        box[k] = (low, min(centre[k] + half, 1.0) if k != "h_cal" else centre[k] + half)
    measure = ot.JointDistribution([ot.Uniform(*box[k]) for k in inputs])
    measure.setDescription(inputs)
    design = _lhs(measure, n_train, seed)
    # the box's corners where the other shares leave (almost) nothing to the last component are no electrode
    last_share = 1.0 - design[:, 2:].sum(axis=1)
    design = design[last_share >= LAST_SHARE * (1.0 - sum(centre[k] for k in inputs[2:]))]
    n_train = len(design)
    eps = design[:, 1]
    values = {"h_cal": design[:, 0], "eps_cal": eps}
    phi = {c: design[:, 2 + j] for j, c in enumerate(components[:-1])}
    phi[components[-1]] = 1.0 - sum(phi.values())
    values.update({f"X_{c}": (1.0 - eps) * phi[c] for c in components})
    values["w_AM"] = np.full(n_train, nominal["w_AM"])
    values["m_dry"] = np.full(n_train, nominal["m_dry"])
    # the cell stage alone as a chain: its unit conversions, bounds and structure checks, then the P2D
    stage = ProcessChain([cell], cell.inputs(), sc.catalog)
    with warnings.catch_warnings(record=True) as caught:  # kept with the surrogate, not printed per request
        warnings.simplefilter("always", ExtrapolationWarning)
        y = stage.evaluate({k: values[k] for k in cell.inputs()}, on_invalid="mask")
    notes = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, ExtrapolationWarning)))
    ok = np.asarray(y.valid, dtype=bool) & np.all([np.isfinite(np.asarray(y[o], dtype=float)) for o in OUTPUTS],
                                                  axis=0)
    if ok.sum() < n_train // 2:
        raise SolverError(f"the cell surrogate's training design failed in {int((~ok).sum())} of {n_train} P2D "
                          "runs; the exact P2D Monte Carlo still works", parameter=sc.cell)
    pces = {o: fit_pce(design[ok], np.asarray(y[o], dtype=float)[ok], measure, output=o) for o in OUTPUTS}
    return CellSurrogate(inputs, components, box, pces, int(ok.sum()), int((~ok).sum()), time.perf_counter() - t0,
                         {o: sc.catalog[o].unit for o in (*OUTPUTS, "specific_capacity")}, notes=notes)


def _lhs(measure, n: int, seed: int) -> np.ndarray:
    """A seeded Latin hypercube design of ``measure`` (OpenTURNS' LHS experiment)."""
    import openturns as ot

    state = ot.RandomGenerator.GetState()
    ot.RandomGenerator.SetSeed(int(seed))
    try:
        return np.asarray(ot.LHSExperiment(measure, int(n)).generate(), dtype=float)
    finally:
        ot.RandomGenerator.SetState(state)


# -- the cache: one fit per cell setting and centre, for the life of the process ------------------
_CACHE: dict[str, CellSurrogate] = {}
_LOCK = threading.Lock()


def cache_key(sc: Scenario) -> str:
    """What the fit depends on: the cell model and its options, the components and the nominal structure."""
    chain = sc.build_chain(with_cell=False)
    nominal = chain.evaluate(sc.nominal())
    centre = {k: round(float(nominal[k]), 12) for k in ("h_cal", "eps_cal", *(f"X_{c}" for c in sc.components))}
    text = json.dumps([sc.cell, sc.cell_options, sc.container_options.get(sc.cell or "", {}), list(sc.components),
                       centre], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cell_surrogate(sc: Scenario) -> CellSurrogate:
    """The cached surrogate for ``sc`` (fitted on first use; one fit at a time)."""
    key = cache_key(sc)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = fit_cell_surrogate(sc)
        return _CACHE[key]
