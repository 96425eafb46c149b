"""Known-answer tests of the PCE-based ANCOVA and Sobol' indices."""
from __future__ import annotations

import warnings

import numpy as np
import openturns as ot
import pandas as pd
import pytest

from celltwin.analysis.uq.sensitivity import SensitivityResult, SurrogateWarning, ancova, sobol
from celltwin.metamodels.pce import Surrogate
from celltwin.platform.errors import ParameterError

A = np.array([1.0, 2.0, -1.5])
SD = np.array([1.0, 0.5, 2.0])


def correlated_normals(offset=1.0):
    R = ot.CorrelationMatrix(3)
    R[0, 1], R[0, 2], R[1, 2] = 0.5, -0.3, 0.2
    joint = ot.JointDistribution([ot.Normal(offset * (1 + i), s) for i, s in enumerate(SD)], ot.NormalCopula(R))
    joint.setDescription(["a", "b", "c"])
    return joint


def ishigami(X, a=7.0, b=0.1):
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices(a=7.0, b=0.1):
    """First-order and total Sobol' indices of Ishigami (Saltelli et al. 2008)."""
    V1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    V2 = a**2 / 8
    V13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    V = V1 + V2 + V13
    return np.array([V1, V2, 0.0]) / V, np.array([V1 + V13, V2, V13]) / V


def uniform3():
    u = ot.JointDistribution([ot.Uniform(-np.pi, np.pi)] * 3)
    u.setDescription(["x1", "x2", "x3"])
    return u


@pytest.mark.parametrize("offset", [1.0, 0.0])  # zero mean: the PCE's constant term is exactly 0
def test_ancova_linear_correlated_normals_matches_closed_form(offset):
    # Y = a'X with Cov C: S_i = a_i (C a)_i / a'Ca, S_U_i = a_i^2 C_ii / a'Ca.
    joint = correlated_normals(offset)
    C = np.array(joint.getCovariance())
    V = A @ C @ A
    res = ancova(lambda X: X @ A, joint, n=200, seed=3, n_eval=200_000)
    df = res.indices
    assert list(df.index) == ["a", "b", "c"]
    np.testing.assert_allclose(df["S"], A * (C @ A) / V, atol=0.01)
    np.testing.assert_allclose(df["S_U"], A**2 * np.diag(C) / V, atol=0.01)
    np.testing.assert_allclose(df["S_U"] + df["S_C"], df["S"], atol=1e-12)
    assert df["S"].sum() == pytest.approx(1.0, abs=0.01)   # additive model: no interaction share
    assert res.validation["y0"]["Q2"] == pytest.approx(1.0, abs=1e-9)
    assert res.validation["y0"]["degree"] == 1


def test_ancova_is_reproducible_from_seed_and_accepts_precomputed_samples():
    joint = correlated_normals()
    f = lambda X: X @ A + 0.3 * X[:, 0] * X[:, 1]  # noqa: E731
    one = ancova(f, joint, n=300, seed=11, n_eval=20_000)
    two = ancova(f, joint, n=300, seed=11, n_eval=20_000)
    pd.testing.assert_frame_equal(one.indices, two.indices)
    assert one.seed == two.seed == 11
    X = pd.DataFrame(np.asarray(joint.getSample(400)), columns=["a", "b", "c"])[["c", "a", "b"]]
    Y = pd.Series(f(X[["a", "b", "c"]].to_numpy()), name="out")
    pre = ancova(None, joint, X=X, Y=Y, seed=11, n_eval=20_000)
    assert list(pre.indices.index) == ["a", "b", "c"]
    assert set(pre.validation) == {"out"}
    np.testing.assert_allclose(pre["S"], one["S"], atol=0.03)


def test_ancova_multi_output_and_failed_rows():
    joint = correlated_normals()

    def f(X):
        Y = np.c_[X @ A, X[:, 0]]
        Y[::50, 0] = np.nan  # failed evaluations are dropped, not fatal
        return Y

    df = ancova(f, joint, n=500, seed=2, output_names=["lin", "x_a"], n_eval=100_000)
    assert df.indices.index.names == ["output", "input"]
    assert df.dropped == 10
    # An output that is one input: S = 1 for it, S_U = 1, and the others only share by correlation.
    np.testing.assert_allclose(df.loc["x_a", "S_U"], [1.0, 0.0, 0.0], atol=0.01)
    assert df.loc[("x_a", "a"), "S"] == pytest.approx(1.0, abs=0.01)


def test_sobol_ishigami_known_indices():
    S1, ST = ishigami_indices()
    df = sobol(ishigami, uniform3(), n=1000, seed=1)
    np.testing.assert_allclose(df["S1"], S1, atol=0.01)
    np.testing.assert_allclose(df["ST"], ST, atol=0.01)
    assert df["Q2"].iloc[0] > 0.999


def test_sobol_linear_multi_output_from_precomputed_samples():
    # Y = a'X with independent inputs: S1_i = ST_i = a_i^2 var_i / sum_j a_j^2 var_j
    indep = ot.JointDistribution([ot.Normal(0.0, s) for s in SD])
    indep.setDescription(["a", "b", "c"])
    ot.RandomGenerator.SetSeed(5)
    X = np.asarray(indep.getSample(300))
    Y = pd.DataFrame({"lin": X @ A, "sq": X[:, 2] ** 2})
    df = sobol(None, indep, X=X, Y=Y, seed=0)
    share = A**2 * SD**2 / np.sum(A**2 * SD**2)
    np.testing.assert_allclose(df.loc["lin", "S1"], share, atol=1e-8)
    np.testing.assert_allclose(df.loc["lin", "ST"], share, atol=1e-8)
    np.testing.assert_allclose(df.loc["sq", "S1"], [0.0, 0.0, 1.0], atol=1e-8)
    assert df.validation["sq"]["degree"] == 2


def test_ancova_equals_first_order_sobol_for_independent_inputs():
    S1, _ = ishigami_indices()
    df = ancova(ishigami, uniform3(), n=1000, seed=1, n_eval=100_000)
    np.testing.assert_allclose(df["S"], S1, atol=0.015)
    np.testing.assert_allclose(df["S_C"], 0.0, atol=0.01)


def test_poor_surrogate_is_flagged():
    rng = np.random.default_rng(0)
    with pytest.warns(SurrogateWarning, match="Q2"):
        df = ancova(lambda X: rng.normal(size=len(X)), uniform3(), n=200, degree=2, seed=0)
    assert not df.validation["y0"]["ok"] and not df.ok
    assert (df["Q2"] < 0.95).all()


def test_errors_name_the_problem():
    with pytest.raises(ParameterError, match="dependent copula"):
        sobol(lambda X: X[:, 0], correlated_normals(), n=50, seed=0)
    with pytest.raises(ParameterError, match="expected \\(N, 3\\)"):
        ancova(None, uniform3(), X=np.zeros((10, 2)), Y=np.zeros(10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ParameterError, match="too few"):
            ancova(lambda X: X[:, 0], uniform3(), n=6, seed=0)


def test_public_names():
    import celltwin as ct

    assert ct.analysis.ancova is ancova and ct.analysis.sobol is sobol
    assert ct.analysis.SensitivityResult is SensitivityResult


def test_result_object_views_and_surrogates():
    """SensitivityResult: to_frame() is a copy of the indices, ``result["S"]`` and ``.loc`` read
    them, ``ok`` is every surrogate's verdict, ``surrogates`` hold the fitted PCEs."""
    joint = correlated_normals()
    res = ancova(lambda X: np.c_[X @ A, X[:, 0]], joint, n=300, seed=4, output_names=["lin", "x_a"],
                 n_eval=20_000)
    assert isinstance(res, SensitivityResult) and res.method.startswith("ANCOVA") and res.seed == 4
    frame = res.to_frame()
    pd.testing.assert_frame_equal(frame, res.indices)
    frame.loc[("lin", "a"), "S"] = 99.0  # a copy: the result is untouched
    assert res.indices.loc[("lin", "a"), "S"] != 99.0
    pd.testing.assert_series_equal(res["S"], res.indices["S"])
    pd.testing.assert_frame_equal(res.loc["x_a"], res.indices.loc["x_a"])
    assert res.ok and all(v["ok"] for v in res.validation.values()) and res.dropped == 0
    assert set(res.surrogates) == {"lin", "x_a"} and isinstance(res.surrogates["lin"], Surrogate)
    X = np.asarray(joint.getSample(5))
    np.testing.assert_allclose(res.surrogates["lin"].predict(X), X @ A, atol=1e-8)
    assert res.surrogates["lin"].validation() == res.validation["lin"]


def test_sobol_result_ok_and_plot(tmp_path):
    res = sobol(ishigami, uniform3(), n=300, seed=2)
    assert isinstance(res, SensitivityResult) and res.method.startswith("Sobol")
    assert list(res.to_frame().columns) == ["S1", "ST", "Q2"]
    assert res.ok == (res.validation["y0"]["Q2"] >= 0.95)
    path = tmp_path / "x.png"
    res.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_of_a_multi_output_result_writes_a_file(tmp_path):
    res = ancova(lambda X: np.c_[X @ A, X[:, 0]], correlated_normals(), n=200, seed=1, output_names=["lin", "x_a"],
                 n_eval=10_000)
    fig = res.plot(tmp_path / "x.png")
    assert (tmp_path / "x.png").stat().st_size > 1000
    assert len(fig.axes) == 2  # one panel per output
    res.plot(tmp_path / "st.png", column="S_U")
    assert (tmp_path / "st.png").exists()


def _noisy_linear(seed):
    """y = a . x + noise: a PCE cannot be exact, so the training size matters."""
    rng = np.random.default_rng(seed)
    return lambda X: X @ A + rng.normal(0.0, 1.5, len(X))


def test_bootstrap_interval_holds_the_index_and_narrows_with_n():
    """Seeded: the interval is centred on the reported S and its width falls about as 1/sqrt(N)
    (8x the runs: sqrt(8) = 2.8x narrower; with 40 replicates each se is itself uncertain by about
    11 %, so each input > 1.6x and their mean > 2.2x); the same seeds give the same interval."""
    from celltwin.analysis.uq.sensitivity import bootstrap

    widths = {}
    for n in (200, 1600):
        res = ancova(_noisy_linear(5), correlated_normals(), n=n, degree=1, seed=3)
        ci = bootstrap(res, n_boot=40, seed=4, n_eval=5000)
        assert ((ci["S_low"] < ci["S"]) & (ci["S"] < ci["S_high"])).all()
        np.testing.assert_allclose(ci["S"].to_numpy(), res.indices["S"].to_numpy())
        assert list(ci.index.get_level_values("input")) == ["a", "b", "c"] and (ci["n_boot"] == 40).all()
        widths[n] = (ci["S_high"] - ci["S_low"]).to_numpy()
    ratio = widths[200] / widths[1600]
    assert (ratio > 1.6).all() and ratio.mean() > 2.2
    res = ancova(_noisy_linear(5), correlated_normals(), n=200, degree=1, seed=3)
    again = ancova(_noisy_linear(5), correlated_normals(), n=200, degree=1, seed=3)
    pd.testing.assert_frame_equal(bootstrap(res, n_boot=40, seed=4, n_eval=5000),
                                  bootstrap(again, n_boot=40, seed=4, n_eval=5000))


def test_convergence_in_n_settles_on_the_full_sample_index():
    """Indices refitted on the first n rows: the last size is the full sample and equals the result's S."""
    from celltwin.analysis.uq.sensitivity import convergence

    dist = correlated_normals()
    res = ancova(lambda X: X @ A, dist, n=400, seed=2)
    table = convergence(res, seed=2, n_eval=50_000)
    assert sorted(set(table["n"])) == [50, 100, 200, 400]
    last = table[table["n"] == 400].set_index("input")["S"]
    # same training rows and degree search as ancova(); only the evaluation sample differs
    np.testing.assert_allclose(last.to_numpy(), res.indices["S"].to_numpy(), atol=0.01)
    for n in (50, 100, 200):  # a linear model is exact at every size: all sizes agree
        np.testing.assert_allclose(table[table["n"] == n]["S"].to_numpy(), last.to_numpy(), atol=0.01)


def test_bootstrap_needs_an_ancova_result():
    from celltwin.analysis.uq.sensitivity import bootstrap

    res = sobol(ishigami, uniform3(), n=200, degree=4, seed=1)
    with pytest.raises(ParameterError, match="result of ancova"):
        bootstrap(res)
    with pytest.raises(ParameterError, match="n_boot = 3"):
        bootstrap(ancova(lambda X: X @ A, correlated_normals(), n=100, seed=1), n_boot=3)
