"""Variance-based sensitivity on a polynomial chaos expansion: ANCOVA and Sobol'.

The model is replaced by a polynomial chaos expansion (PCE) fitted by least squares with
OpenTURNS; the indices are then read from the expansion. ANCOVA (seed 004, eqs. 4-7)
handles dependent inputs: the PCE is built on the *independent* measure with the same
marginals (so its terms split into per-input component functions) and the indices are
estimated on a sample of the real, correlated joint distribution (``ot.ANCOVA``,
Caniou 2012). Sobol' indices (``ot.FunctionalChaosSobolIndices``) need independent
inputs and serve as the comparison in that case.

Every result is a :class:`SensitivityResult` that carries the indices, each output's
surrogate validation (leave-one-out Q², analytical LOO of the least-squares fit), the
fitted surrogates, the seed and the method; a fit with Q² below :data:`Q2_THRESHOLD`
raises a :class:`SurrogateWarning`, because indices read from a poor surrogate describe
the surrogate, not the model.
"""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...metamodels.pce import Q2_THRESHOLD, Surrogate, fit_pce
from ...platform.errors import ParameterError

ANCOVA_METHOD = "ANCOVA on a least-squares PCE (OpenTURNS)"


class SurrogateWarning(UserWarning):
    """The polynomial chaos surrogate does not reproduce the model well enough."""


@dataclass
class SensitivityResult:
    """Sensitivity indices with their validation and provenance.

    ``indices`` has columns ``S``, ``S_U``, ``S_C`` (ANCOVA) or ``S1``, ``ST`` (Sobol') and
    ``Q2``, indexed by input for a one-output model, else by (``output``, ``input``).
    ``validation`` maps output -> Q2, degree, basis size, sample size and ``ok``
    (Q² >= :data:`Q2_THRESHOLD`); ``dropped`` counts training rows with a non-finite output.
    """

    indices: pd.DataFrame
    method: str
    seed: int
    dropped: int = 0
    validation: dict[str, dict] = field(default_factory=dict)
    surrogates: dict[str, Surrogate] = field(default_factory=dict, repr=False)
    distribution: Any = field(default=None, repr=False)
    """The OpenTURNS joint distribution of the inputs (what :func:`bootstrap` and :func:`convergence` need)."""

    @property
    def ok(self) -> bool:
        """Every surrogate reproduces its model (Q² at or above the threshold)."""
        return all(v["ok"] for v in self.validation.values())

    @property
    def loc(self):
        return self.indices.loc

    def __getitem__(self, column: str) -> pd.Series:
        return self.indices[column]

    def to_frame(self) -> pd.DataFrame:
        """The indices as a DataFrame (a copy)."""
        return self.indices.copy()

    def plot(self, path: str | Path | None = None, column: str | None = None):
        """Horizontal bars of one index column per output (matplotlib); saved when ``path`` is given."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        column = column or ("S" if "S" in self.indices else "ST")
        table = self.indices[column]
        blocks = ({"": table} if table.index.nlevels == 1 else
                  {o: table.xs(o, level="output") for o in table.index.get_level_values("output").unique()})
        fig, axes = plt.subplots(len(blocks), 1, figsize=(6, 0.4 + 0.35 * sum(len(b) for b in blocks.values())),
                                 squeeze=False)
        for ax, (name, block) in zip(axes[:, 0], blocks.items(), strict=True):
            block = block.sort_values()
            ax.barh(block.index.astype(str), block.to_numpy(), color="#4c78a8")
            ax.set_title(f"{name} ({self.method})" if name else self.method, fontsize=9)
            ax.set_xlabel(f"index {column} (1)")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed OpenTURNS' global generator for a block and restore its state after."""
    import openturns as ot

    state = ot.RandomGenerator.GetState()
    ot.RandomGenerator.SetSeed(int(seed))
    try:
        yield
    finally:
        ot.RandomGenerator.SetState(state)


def _resolve_seed(seed: int | None) -> int:
    return int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)


def input_names(distribution) -> list[str]:
    """The distribution's description, i.e. the input names, in order."""
    return [str(s) for s in distribution.getDescription()]


def independent(distribution):
    """The product of ``distribution``'s marginals: the measure the PCE basis is orthonormal for."""
    import openturns as ot

    d = distribution.getDimension()
    out = ot.JointDistribution([distribution.getMarginal(i) for i in range(d)])
    out.setDescription(distribution.getDescription())
    return out


def _training_data(f, distribution, n, X, Y, output_names):
    """(X, Y 2-D, output names, Y was 1-D, dropped-row count) from ``f`` or given samples."""
    names = input_names(distribution)
    if X is None:
        if f is None:
            raise ParameterError("give either a model f or precomputed samples X and Y")
        X = np.asarray(distribution.getSample(int(n)))
        Y = f(X)
    elif Y is None:
        if f is None:
            raise ParameterError("X was given without Y and without a model f to compute it")
        Y = f(np.asarray(X, dtype=float))
    if isinstance(X, pd.DataFrame):
        missing = [c for c in names if c not in X.columns]
        if missing:
            raise ParameterError(f"sample X lacks the distribution's inputs {missing}")
        X = X[names]
    if isinstance(Y, pd.Series):
        output_names = output_names or [str(Y.name)]
    if isinstance(Y, pd.DataFrame):
        output_names = output_names or [str(c) for c in Y.columns]
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    one_d = Y.ndim == 1
    Y = Y.reshape(len(Y), -1)
    if X.ndim != 2 or X.shape[1] != len(names):
        raise ParameterError(f"sample X has shape {X.shape}; expected (N, {len(names)}) for inputs {names}")
    if len(Y) != len(X):
        raise ParameterError(f"model returned {len(Y)} rows for {len(X)} input rows")
    output_names = list(output_names) if output_names else [f"y{j}" for j in range(Y.shape[1])]
    if len(output_names) != Y.shape[1]:
        raise ParameterError(f"{len(output_names)} output names for {Y.shape[1]} outputs")
    keep = np.isfinite(X).all(axis=1) & np.isfinite(Y).all(axis=1)
    return X[keep], Y[keep], output_names, one_d, int((~keep).sum())


def _flag(surrogates: Sequence[Surrogate]) -> None:
    for s in surrogates:
        if not s.q2 >= Q2_THRESHOLD:
            warnings.warn(f"PCE of {s.output!r} has leave-one-out Q2 = {s.q2:.3f} < {Q2_THRESHOLD} "
                          f"(degree {s.degree}, {s.n_train} samples): its sensitivity indices are "
                          "unreliable; give more samples or check the model", SurrogateWarning, stacklevel=3)


def _frame(blocks: dict[str, pd.DataFrame], one_d: bool) -> pd.DataFrame:
    if one_d:
        return next(iter(blocks.values()))
    return pd.concat(blocks, names=["output", "input"])


def ancova(f: Callable[[np.ndarray], np.ndarray] | None, distribution, *, n: int = 1000,
           degree: int | None = None, max_degree: int = 10, seed: int | None = None,
           X=None, Y=None, output_names: Sequence[str] | None = None,
           n_eval: int = 50_000) -> SensitivityResult:
    """ANCOVA indices S = S_U + S_C (seed 004, eqs. 4-7) of ``f`` under ``distribution``.

    Parameters
    ----------
    f
        Model, an (N, d) array to an (N,) or (N, k) array; rows with a non-finite output
        (failed evaluations) are dropped and counted in ``attrs["dropped"]``.
        May be ``None`` when ``X`` and ``Y`` are given.
    distribution
        OpenTURNS joint distribution of the d inputs (any copula); its description names them.
    n
        Training sample size when ``f`` is sampled here (drawn from ``distribution``).
    degree, max_degree
        Total degree of the PCE; ``None`` chooses it by leave-one-out Q², per output.
    seed
        Seeds OpenTURNS' generator for the training and evaluation samples; recorded in
        ``attrs["seed"]``.
    X, Y
        Precomputed training samples (e.g. Monte Carlo runs of an expensive model), used
        instead of sampling ``f``. ``X`` may be a DataFrame with the input names as columns;
        ``Y`` a Series/DataFrame whose names become the output names.
    output_names
        Names of the k outputs (default ``y0``, ``y1``, ...).
    n_eval
        Size of the correlated sample on which the indices are estimated from the PCE.

    Returns
    -------
    SensitivityResult
        ``indices`` has columns ``S`` (total), ``S_U`` (uncorrelated), ``S_C`` (correlated)
        and ``Q2``, indexed by input name if the model output is one-dimensional, else by
        (``output``, ``input``), so ``result.loc[name]`` is one output's table; the fitted
        PCEs are in ``surrogates``.
    """

    seed = _resolve_seed(seed)
    names = input_names(distribution)
    measure = independent(distribution)
    with _seeded(seed):
        X, Y, outputs, one_d, dropped = _training_data(f, distribution, n, X, Y, output_names)
        evaluation = distribution.getSample(int(n_eval))
    blocks, fitted = {}, []
    for j, out in enumerate(outputs):
        if np.ptp(Y[:, j]) == 0:
            blocks[out] = pd.DataFrame(np.nan, index=pd.Index(names, name="input"),
                                       columns=["S", "S_U", "S_C", "Q2"])
            continue
        s = fit_pce(X, Y[:, j], measure, degree=degree, max_degree=max_degree, output=out)
        fitted.append(s)
        blocks[out] = _ancova_of(s, evaluation, names)
    _flag(fitted)
    return SensitivityResult(_frame(blocks, one_d), ANCOVA_METHOD, seed, dropped,
                             {s.output: s.validation() for s in fitted}, {s.output: s for s in fitted},
                             distribution)


def _ancova_of(s: Surrogate, evaluation, names: Sequence[str]) -> pd.DataFrame:
    """ANCOVA indices of one fitted PCE, estimated on the (correlated) ``evaluation`` sample."""
    import openturns as ot

    result = ot.ANCOVA(s.result, evaluation)
    S = np.asarray(result.getIndices())
    S_U = np.asarray(result.getUncorrelatedIndices())
    return pd.DataFrame({"S": S, "S_U": S_U, "S_C": S - S_U, "Q2": s.q2}, index=pd.Index(names, name="input"))


def _check_ancova(result: SensitivityResult) -> None:
    if result.method != ANCOVA_METHOD or result.distribution is None:
        raise ParameterError("bootstrap and convergence take a result of ancova() (it carries its distribution)",
                             parameter="result")


def _training(result: SensitivityResult, outputs: Sequence[str] | None) -> Iterator[tuple[str, Surrogate, np.ndarray,
                                                                                          np.ndarray]]:
    """(output, surrogate, X, y) of the ANCOVA result's fitted outputs: the samples its PCEs were trained on."""
    outputs = list(result.surrogates) if outputs is None else [o for o in outputs if o in result.surrogates]
    for out in outputs:
        s = result.surrogates[out]
        yield (out, s, np.asarray(s.result.getInputSample()), np.asarray(s.result.getOutputSample())[:, 0])


def bootstrap(result: SensitivityResult, *, n_boot: int = 100, confidence: float = 0.95, seed: int | None = None,
              n_eval: int = 10_000, outputs: Sequence[str] | None = None) -> pd.DataFrame:
    """Bootstrap confidence intervals of ANCOVA indices (Efron & Tibshirani 1993, standard interval, §13.3).

    The training rows of each output's PCE are resampled with replacement ``n_boot`` times;
    each replicate is refitted at the degree chosen on the full sample and its indices are
    read as :func:`ancova` reads them, on a fresh correlated evaluation sample of ``n_eval``
    rows. The interval so holds both errors of the estimate: the finite training sample (the
    model runs; it dominates for a Monte Carlo of an expensive model) and the finite
    evaluation sample (it dominates where the PCE is exact, e.g. a cheap nested chain). With
    ``n_eval`` below the point estimate's evaluation size the interval is conservative. The
    interval is the normal one, ``S -+ z se`` with ``se`` the replicates' standard deviation: it is
    centred on the reported index (a percentile interval of a few dozen replicates at a smaller
    ``n_eval`` need not contain it).

    Returns a frame indexed by (``output``, ``input``) with ``S`` (of ``result``), ``S_low``,
    ``S_high`` (the ``confidence`` interval), ``S_boot_std`` (se) and ``n_boot``.
    SALib's ``bootstrap`` options resample its own estimators' model runs; here the estimator is
    the OpenTURNS PCE, so the resampling is written out.
    """
    _check_ancova(result)
    if n_boot < 10:
        raise ParameterError(f"n_boot = {n_boot} bootstrap replicates are too few for an interval (at least 10)",
                             parameter="n_boot", value=n_boot, valid="[10, inf)")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence = {confidence} is outside its valid range (0, 1)",
                             parameter="confidence", value=confidence, unit="1", valid="(0, 1)")
    seed = _resolve_seed(seed if seed is not None else result.seed)
    names = input_names(result.distribution)
    measure = independent(result.distribution)
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    z = float(norm.ppf(0.5 + confidence / 2))
    blocks = {}
    for out, s, X, y in _training(result, outputs):
        reps = np.empty((n_boot, len(names)))
        with _seeded(seed):
            for b in range(n_boot):
                rows = rng.integers(0, len(y), len(y))
                fit = fit_pce(X[rows], y[rows], measure, degree=s.degree, output=out)
                reps[b] = _ancova_of(fit, result.distribution.getSample(int(n_eval)), names)["S"].to_numpy()
        point = (result.indices.loc[out, "S"] if result.indices.index.nlevels == 2 else
                 result.indices["S"]).reindex(names).to_numpy()
        se = reps.std(axis=0, ddof=1)
        blocks[out] = pd.DataFrame({"S": point, "S_low": point - z * se, "S_high": point + z * se,
                                    "S_boot_std": se, "n_boot": n_boot}, index=pd.Index(names, name="input"))
    return pd.concat(blocks, names=["output", "input"]) if blocks else _empty(["S", "S_low", "S_high",
                                                                               "S_boot_std", "n_boot"])


def convergence(result: SensitivityResult, *, sizes: Sequence[int] | None = None, seed: int | None = None,
                n_eval: int = 10_000, outputs: Sequence[str] | None = None) -> pd.DataFrame:
    """ANCOVA indices from the first ``n`` training rows, for increasing ``n``: how settled they are.

    The rows are independent draws, so the first ``n`` are a random subsample. Each size is
    fitted as :func:`ancova` fits (degree chosen by leave-one-out Q², up to the full sample's
    degree). ``sizes`` default to the full size halved three times (sizes below 4 (d + 1) are
    skipped: too few rows for a PCE). Returns a long frame: ``output``, ``input``, ``n``, ``S``,
    ``Q2``, ``degree``.
    """
    _check_ancova(result)
    seed = _resolve_seed(seed if seed is not None else result.seed)
    names = input_names(result.distribution)
    measure = independent(result.distribution)
    with _seeded(seed):
        evaluation = result.distribution.getSample(int(n_eval))
    rows = []
    for out, s, X, y in _training(result, outputs):
        full = len(y)
        steps = sorted({int(k) for k in (sizes if sizes is not None else (full // 8, full // 4, full // 2, full))})
        for n in [k for k in steps if 4 * (len(names) + 1) <= k <= full]:
            fit = fit_pce(X[:n], y[:n], measure, max_degree=s.degree, output=out)
            S = _ancova_of(fit, evaluation, names)["S"]
            rows += [{"output": out, "input": name, "n": n, "S": float(S[name]), "Q2": fit.q2, "degree": fit.degree}
                     for name in names]
    return pd.DataFrame(rows, columns=["output", "input", "n", "S", "Q2", "degree"])


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns), index=pd.MultiIndex.from_tuples([], names=["output", "input"]))


def sobol(f: Callable[[np.ndarray], np.ndarray] | None, distribution, *, n: int = 1000,
          degree: int | None = None, max_degree: int = 10, seed: int | None = None,
          X=None, Y=None, output_names: Sequence[str] | None = None) -> SensitivityResult:
    """First-order and total Sobol' indices (``S1``, ``ST``) of ``f`` from a PCE.

    Same arguments and result layout as :func:`ancova`; the inputs must be independent
    (Sobol' indices are not defined otherwise - use :func:`ancova`).
    """
    import openturns as ot

    if not distribution.hasIndependentCopula():
        raise ParameterError("Sobol' indices need independent inputs; this distribution has a "
                             "dependent copula: use ancova() instead")
    seed = _resolve_seed(seed)
    names = input_names(distribution)
    with _seeded(seed):
        X, Y, outputs, one_d, dropped = _training_data(f, distribution, n, X, Y, output_names)
    blocks, surrogates = {}, []
    for j, out in enumerate(outputs):
        if np.ptp(Y[:, j]) == 0:
            blocks[out] = pd.DataFrame(np.nan, index=pd.Index(names, name="input"), columns=["S1", "ST", "Q2"])
            continue
        s = fit_pce(X, Y[:, j], distribution, degree=degree, max_degree=max_degree, output=out)
        surrogates.append(s)
        idx = ot.FunctionalChaosSobolIndices(s.result)
        blocks[out] = pd.DataFrame({"S1": [idx.getSobolIndex(i) for i in range(len(names))],
                                    # grouped form: OpenTURNS 1.27's getSobolTotalIndex takes the first
                                    # term for the mean when an exactly-zero constant term was dropped
                                    "ST": [idx.getSobolGroupedTotalIndex([i]) for i in range(len(names))],
                                    "Q2": s.q2}, index=pd.Index(names, name="input"))
    _flag(surrogates)
    return SensitivityResult(_frame(blocks, one_d), "Sobol' indices of a least-squares PCE (OpenTURNS)", seed,
                             dropped, {s.output: s.validation() for s in surrogates},
                             {s.output: s for s in surrogates})
