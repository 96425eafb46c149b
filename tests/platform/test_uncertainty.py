"""Uncertain parameters (platform/uncertainty.py): OpenTURNS marginals with the documented
moments, seeded hypercube sampling, the normal copula, and checked correlations and data."""
import numpy as np
import pytest
from scipy.special import ndtri

from celltwin.platform.errors import ScenarioError
from celltwin.platform.uncertainty import (
    Uncertain,
    check_correlation,
    joint_distribution,
    read_column,
    sample,
    unit_hypercube,
)


def moments(u):
    m = u.marginal()
    r = m.getRange()
    return m.getMean()[0], m.getStandardDeviation()[0], r.getLowerBound()[0], r.getUpperBound()[0]


def test_normal_and_lognormal_have_the_given_mean_and_std():
    mean, std, _, _ = moments(Uncertain("q_L", "normal", 84.0, std=2.0))
    assert mean == pytest.approx(84.0, rel=1e-12) and std == pytest.approx(2.0, rel=1e-12)
    mean, std, low, _ = moments(Uncertain("V_dot", "lognormal", 696.0, std=6.96))
    assert mean == pytest.approx(696.0, rel=1e-10) and std == pytest.approx(6.96, rel=1e-10)
    assert low == 0.0  # a lognormal lives on (0, inf)


def test_uniform_spans_its_interval():
    mean, std, low, high = moments(Uncertain("v_web", "uniform", 1.0, low=0.95, high=1.08))
    assert (low, high) == (0.95, 1.08)
    assert mean == pytest.approx(1.015, rel=1e-12)  # the midpoint, not the nominal
    assert std == pytest.approx(0.13 / np.sqrt(12), rel=1e-12)


def test_truncated_normal_is_cut_at_its_bounds():
    mean, std, low, high = moments(Uncertain("q_L", "truncated-normal", 84.0, std=5.0, low=79.0, high=89.0))
    assert (low, high) == (79.0, 89.0)
    assert mean == pytest.approx(84.0, rel=1e-12)  # symmetric cut: the mean stays
    assert std < 5.0
    asym, _, _, _ = moments(Uncertain("q_L", "truncated-normal", 84.0, std=5.0, low=82.0, high=95.0))
    assert asym > 84.0  # cut harder below: the mean moves up


def test_kde_mean_is_the_data_mean():
    data = tuple(np.random.default_rng(0).normal(0.7, 0.01, 40))
    mean, std, low, high = moments(Uncertain("x_solids", "kde", float(np.mean(data)), data=data))
    assert mean == pytest.approx(np.mean(data), rel=1e-10)
    assert std > np.std(data)  # the kernel widens the spread by its bandwidth
    assert low < min(data) and high > max(data)


def test_unknown_distribution_is_refused():
    with pytest.raises(ScenarioError, match="distribution 'gamma' of 'q_L' is not one of normal"):
        Uncertain("q_L", "gamma", 84.0, std=1.0).marginal()


def test_read_column(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("a,b\n1,10\n2,\n3,30\n4,40\n5,50\n6,60\n")
    assert read_column(path, "a") == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    assert read_column(path, "b") == (10.0, 30.0, 40.0, 50.0, 60.0)  # the blank is dropped
    with pytest.raises(ScenarioError, match="has no column 'c'; columns: a, b"):
        read_column(path, "c")
    with pytest.raises(ScenarioError, match="does not exist"):
        read_column(tmp_path / "nope.csv", "a")
    (tmp_path / "short.csv").write_text("a\n1\n2\n3\n4\n")
    with pytest.raises(ScenarioError, match="needs at least 5 finite measurements, got 4"):
        read_column(tmp_path / "short.csv", "a")


def test_check_correlation():
    r = check_correlation(["a", "b", "c"], {("a", "c"): 0.5, ("b", "c"): -0.25})
    np.testing.assert_array_equal(r, [[1.0, 0.0, 0.5], [0.0, 1.0, -0.25], [0.5, -0.25, 1.0]])
    with pytest.raises(ScenarioError,
                       match=r"\[correlations\] a-b = 1.5 \(unit 1\) is outside the valid range \(-1, 1\)"):
        check_correlation(["a", "b"], {("a", "b"): 1.5})
    with pytest.raises(ScenarioError, match="not form a positive definite matrix"):
        check_correlation(["a", "b", "c"], {("a", "b"): 0.9, ("b", "c"): 0.9, ("a", "c"): -0.9})


def test_joint_distribution_names_its_inputs_and_copula():
    params = [Uncertain("a", "normal", 0.0, std=1.0), Uncertain("b", "uniform", 0.5, low=0.0, high=1.0)]
    joint = joint_distribution(params)
    assert list(joint.getDescription()) == ["a", "b"]
    assert joint.hasIndependentCopula()
    corr = joint_distribution(params, np.array([[1.0, 0.6], [0.6, 1.0]]))
    assert not corr.hasIndependentCopula()
    assert corr.getCopula().getParameter()[0] == pytest.approx(0.6, rel=1e-12)


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_unit_hypercube_is_seeded_and_strictly_inside(method):
    u = unit_hypercube(64, 3, seed=5, method=method)
    assert u.shape == (64, 3) and u.min() > 0.0 and u.max() < 1.0
    np.testing.assert_array_equal(u, unit_hypercube(64, 3, seed=5, method=method))


def test_lhs_puts_one_point_in_every_stratum():
    u = unit_hypercube(50, 2, seed=1, method="lhs")
    for j in range(2):
        assert sorted(np.floor(u[:, j] * 50).astype(int)) == list(range(50))


def test_unit_hypercube_refuses_unknown_method():
    with pytest.raises(ScenarioError, match="sampling method 'halton' is not one of mc, lhs, sobol"):
        unit_hypercube(4, 1, 0, "halton")


def test_sample_is_the_quantile_of_the_hypercube():
    params = [Uncertain("a", "normal", 10.0, std=2.0), Uncertain("b", "uniform", 0.5, low=0.0, high=4.0)]
    s = sample(params, 200, seed=9, method="lhs")
    u = unit_hypercube(200, 2, seed=9, method="lhs")
    np.testing.assert_allclose(s["a"], 10.0 + 2.0 * ndtri(u[:, 0]), rtol=1e-10)
    np.testing.assert_allclose(s["b"], 4.0 * u[:, 1], rtol=1e-12)
    assert sample([], 10, 0) == {}


def test_sample_through_the_normal_copula():
    params = [Uncertain("a", "normal", 0.0, std=1.0), Uncertain("b", "normal", 5.0, std=0.5)]
    r = np.array([[1.0, 0.8], [0.8, 1.0]])
    s = sample(params, 20000, seed=5, correlation=r)
    assert np.corrcoef(s["a"], s["b"])[0, 1] == pytest.approx(0.8, abs=0.02)
    assert s["b"].mean() == pytest.approx(5.0, abs=0.02) and s["b"].std() == pytest.approx(0.5, rel=0.03)
    ind = sample(params, 200, seed=5)
    same = sample(params, 200, seed=5, correlation=np.eye(2))
    np.testing.assert_array_equal(ind["b"], same["b"])  # an identity correlation is independence
