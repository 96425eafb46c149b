"""Least-squares polynomial chaos expansions (OpenTURNS) with leave-one-out validation:
the one PCE fit behind the sensitivity analysis and the PCE metamodel candidate."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..platform.errors import ParameterError

Q2_THRESHOLD = 0.95
"""Below this leave-one-out Q² a surrogate's indices are flagged as unreliable."""


Q2_EXACT = 1e-6
"""The degree search stops once 1 - Q² falls below this: the surrogate is then as good as
the model for variance shares (an error of 1e-6 of the variance)."""


@dataclass
class Surrogate:
    """A fitted PCE of one output with its leave-one-out validation."""

    output: str
    result: object  # ot.FunctionalChaosResult
    degree: int
    basis_size: int
    q2: float
    n_train: int

    def validation(self) -> dict:
        return {"Q2": self.q2, "degree": self.degree, "basis_size": self.basis_size,
                "n_train": self.n_train, "ok": bool(self.q2 >= Q2_THRESHOLD)}

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The surrogate's prediction at the rows of ``X`` (in the model's units)."""
        return np.asarray(self.result.getMetaModel()(np.asarray(X, dtype=float)))[:, 0]


def fit_pce(X: np.ndarray, y: np.ndarray, measure, *, degree: int | None = None,
            max_degree: int = 10, output: str = "y", check_size: bool = True) -> Surrogate:
    """Least-squares PCE of one output on the full total-degree basis of ``measure``.

    With ``degree=None`` the degree is chosen by leave-one-out Q² among 1..``max_degree``
    while the basis stays below half the sample size (so LOO stays meaningful); the
    search stops once 1 - Q² < :data:`Q2_EXACT` or Q² has fallen for two degrees in a row.
    A given ``degree`` must leave fewer basis terms than samples (``check_size``).
    """
    import openturns as ot

    d = measure.getDimension()
    basis = ot.OrthogonalProductPolynomialFactory(
        [ot.StandardDistributionPolynomialFactory(measure.getMarginal(i)) for i in range(d)])
    enum = basis.getEnumerateFunction()
    Xs = ot.Sample(np.asarray(X, dtype=float))
    Xs.setDescription(measure.getDescription())
    Ys = ot.Sample(np.asarray(y, dtype=float).reshape(-1, 1))
    n = len(X)

    def fit(p: int) -> Surrogate:
        size = enum.getBasisSizeFromTotalDegree(p)
        algo = ot.FunctionalChaosAlgorithm(Xs, Ys, measure, ot.FixedStrategy(basis, size),
                                           ot.LeastSquaresStrategy())
        algo.run()
        result = algo.getResult()
        q2 = float(ot.FunctionalChaosValidation(result).computeR2Score()[0])
        return Surrogate(output, result, p, size, q2, n)

    if degree is not None:
        if check_size and enum.getBasisSizeFromTotalDegree(int(degree)) >= n:
            raise ParameterError(f"PCE degree {degree} in {d} inputs needs more than the {n} samples given")
        return fit(int(degree))
    best, worse = None, 0
    for p in range(1, max_degree + 1):
        if enum.getBasisSizeFromTotalDegree(p) > n // 2:
            break
        s = fit(p)
        if best is None or s.q2 > best.q2 + 1e-9:
            best, worse = s, 0
        else:
            worse += 1
        if best.q2 > 1 - Q2_EXACT or worse >= 2:
            break
    if best is None:
        raise ParameterError(f"{n} samples are too few for a PCE in {d} inputs (need at least {2 * (d + 1)})")
    return best
