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

import numpy as np
import pandas as pd

from ...metamodels.pce import Q2_THRESHOLD, Surrogate, fit_pce
from ...platform.errors import ParameterError


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
    import openturns as ot

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
        result = ot.ANCOVA(s.result, evaluation)
        S = np.asarray(result.getIndices())
        S_U = np.asarray(result.getUncorrelatedIndices())
        blocks[out] = pd.DataFrame({"S": S, "S_U": S_U, "S_C": S - S_U, "Q2": s.q2},
                                   index=pd.Index(names, name="input"))
    _flag(fitted)
    return SensitivityResult(_frame(blocks, one_d), "ANCOVA on a least-squares PCE (OpenTURNS)", seed, dropped,
                             {s.output: s.validation() for s in fitted}, {s.output: s for s in fitted})


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
