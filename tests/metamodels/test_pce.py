"""The one PCE fit: an exact polynomial is recovered with leave-one-out Q2 = 1, the degree
search stops at the true degree, a too-small sample is refused."""
from __future__ import annotations

import numpy as np
import openturns as ot
import pytest

from celltwin.metamodels.pce import Q2_THRESHOLD, fit_pce
from celltwin.platform.errors import ParameterError


def measure(d: int):
    dist = ot.JointDistribution([ot.Uniform(-1.0, 1.0)] * d)
    dist.setDescription([f"x{i}" for i in range(d)])
    return dist


def test_exact_quadratic_is_recovered_at_degree_two():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (200, 2))
    y = 1.0 + 2.0 * X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.3 * X[:, 0] * X[:, 1]
    s = fit_pce(X, y, measure(2), output="y")
    assert s.degree == 2 and s.q2 == pytest.approx(1.0, abs=1e-10) and s.n_train == 200
    Xt = rng.uniform(-1, 1, (50, 2))
    yt = 1.0 + 2.0 * Xt[:, 0] - 0.5 * Xt[:, 1] ** 2 + 0.3 * Xt[:, 0] * Xt[:, 1]
    np.testing.assert_allclose(s.predict(Xt), yt, atol=1e-10)
    assert s.validation() == {"Q2": s.q2, "degree": 2, "basis_size": 6, "n_train": 200, "ok": True}


def test_noise_gives_a_low_q2_flagged_not_ok():
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, (100, 2))
    s = fit_pce(X, rng.standard_normal(100), measure(2), degree=2)
    assert s.q2 < Q2_THRESHOLD and not s.validation()["ok"]


def test_too_few_samples_are_refused():
    X = np.zeros((3, 3))
    with pytest.raises(ParameterError, match="too few for a PCE in 3 inputs"):
        fit_pce(X, np.zeros(3), measure(3))
    with pytest.raises(ParameterError, match="PCE degree 4 in 3 inputs needs more than the 3 samples"):
        fit_pce(X, np.zeros(3), measure(3), degree=4)
