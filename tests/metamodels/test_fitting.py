"""Metamodel fitting: known coefficients recovered, AICc by its formula, OpenTURNS parity, design space."""
from __future__ import annotations

import numpy as np
import openturns as ot
import pandas as pd
import pytest

from celltwin.metamodels.fitting import aicc, fit_exponential, fit_kriging, fit_pce, fit_polynomial, select
from celltwin.metamodels.metamodel import Metamodel
from celltwin.platform.errors import ParameterError

M = np.repeat(np.linspace(14.2, 35.4, 7), 5)


def test_linear_and_quadratic_recover_exact_coefficients():
    x = np.column_stack([M, np.tile([0.1, 0.2, 0.4, 0.3, 0.25], 7)])
    y = 0.3 + 0.01 * x[:, 0] - 0.05 * x[:, 1]
    lin, k = fit_polynomial(x, y, ["m_wet", "v"], "e", 1)
    assert k == 3
    np.testing.assert_allclose(lin.coefficients["values"], [0.3, 0.01, -0.05], atol=1e-12)
    yq = 0.5 - 0.02 * M + 3e-4 * M ** 2
    quad, _ = fit_polynomial(M[:, None], yq, ["m_wet"], "e", 2)
    np.testing.assert_allclose(quad.coefficients["values"], [0.5, -0.02, 3e-4], rtol=1e-8)


def test_exponential_recovers_known_coefficients():
    rng = np.random.default_rng(3)
    y = 0.38 + 0.25 * np.exp(-0.08 * M) + 1e-6 * rng.standard_normal(M.size)
    model, k = fit_exponential(M[:, None], y, ["m_wet"], "eps_dry")
    c = model.coefficients
    assert k == 3
    assert c["a"] == pytest.approx(0.38, abs=1e-4)
    assert c["b"] == pytest.approx(0.25, rel=1e-3)
    assert c["c"][0] == pytest.approx(-0.08, rel=1e-3)


def test_aicc_matches_its_formula():
    y = np.array([1.0, 2.0, 2.5, 4.1, 5.2, 5.8, 7.1])
    yhat = np.array([1.1, 1.9, 2.7, 4.0, 5.0, 6.0, 7.0])
    n, k = 7, 2
    rss = float(np.sum((y - yhat) ** 2))
    expected = n * np.log(rss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)
    assert aicc(y, yhat, k) == pytest.approx(expected, rel=1e-14)
    assert aicc(y, yhat, 6) == float("inf")  # n - k - 1 = 0: undefined


def test_pce_numpy_evaluation_equals_openturns():
    rng = np.random.default_rng(1)
    x = rng.uniform([10, 0.1], [40, 0.5], size=(40, 2))
    y = 0.4 + 0.003 * x[:, 0] - 0.1 * x[:, 1] ** 2 + 1e-3 * np.sin(x[:, 0])
    model, k = fit_pce(x, y, ["m_wet", "v"], "e", degree=3)
    assert k == 10
    dist = ot.JointDistribution([ot.Uniform(*model.design_space[n]) for n in ("m_wet", "v")])
    enum = ot.LinearEnumerateFunction(2)
    basis = ot.OrthogonalProductPolynomialFactory([ot.LegendreFactory()] * 2, enum)
    algo = ot.FunctionalChaosAlgorithm(x, y[:, None], dist, ot.FixedStrategy(basis, 10), ot.LeastSquaresStrategy())
    algo.run()
    xt = rng.uniform([15, 0.15], [35, 0.45], size=(20, 2))
    reference = np.asarray(algo.getResult().getMetaModel()(xt)).ravel()
    np.testing.assert_allclose(model.predict(xt), reference, rtol=1e-9, atol=1e-12)


def test_kriging_smooths_repetitions_and_uses_openturns_hyperparameters():
    rng = np.random.default_rng(2)
    y = 0.38 + 0.25 * np.exp(-0.08 * M) + 0.003 * rng.standard_normal(M.size)
    model, dof = fit_kriging(M[:, None], y, ["m_wet"], "eps_dry")
    means = pd.Series(y).groupby(M).mean()
    pred = model.predict(np.array(means.index)[:, None])
    # a noisy-process posterior mean: close to the group means, not through every repetition
    assert np.max(np.abs(pred - means.to_numpy())) < 0.004
    assert 1 < dof < len(y)


def test_selection_ranks_by_aicc_and_records_why():
    rng = np.random.default_rng(4)
    y = 0.38 + 0.25 * np.exp(-0.08 * M) + 0.002 * rng.standard_normal(M.size)
    sel = select(pd.DataFrame({"m_wet": M, "eps_dry": y}), ["m_wet"], "eps_dry", seed=0)
    assert list(sel.table["rank"]) == [1, 2, 3, 4, 5]
    assert sel.table["AICc_train"].is_monotonic_increasing
    assert sel.selected.kind == sel.table.candidate.iloc[0]
    assert sel.reason.startswith(f"{sel.selected.kind} ranks first: lowest AICc")
    assert set(sel.table.columns) >= {"R2_train", "RMSE_train", "AICc_train", "R2_test", "RMSE_test"}
    assert sel.table.set_index("candidate").loc["linear", "AICc_train"] > sel.table["AICc_train"].min()


def test_unknown_column_and_candidate_are_named():
    df = pd.DataFrame({"m_wet": M, "eps_dry": M})
    with pytest.raises(ParameterError, match="eps_dr"):
        select(df, ["m_wet"], "eps_dr")
    with pytest.raises(ParameterError, match="unknown metamodel candidate"):
        select(df, ["m_wet"], "eps_dry", candidates=["spline"])
    with pytest.raises(ParameterError, match="kind 'cubic'"):
        Metamodel("cubic", ["x"], "y", {}, {"x": [0, 1]})
