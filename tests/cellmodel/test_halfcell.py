"""The PyBaMM half-cell (cellmodel/halfcell.py): batched vs rebuilt, bounds, identities,
failure isolation, curves and rate sweeps."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.cellmodel import CellSettings, half_cell
from celltwin.platform.errors import ParameterError

NOMINAL = {"L_p": 48.5e-6, "eps": 0.315, "X_AM": 0.58, "R_p": 5.5e-6, "kappa_s_eff": 25.0,
           "tau_e": 0.315**-0.5, "i_app": 10.0}


@pytest.fixture(scope="module")
def cell():
    return half_cell(CellSettings())


def varied(n, seed=4):
    """n samples that move every input parameter, including thickness, radius and current."""
    rng = np.random.default_rng(seed)
    eps = rng.uniform(0.25, 0.45, n)
    return {"L_p": rng.uniform(30e-6, 90e-6, n), "eps": eps, "X_AM": (1 - eps) * rng.uniform(0.8, 0.9, n),
            "R_p": rng.uniform(3e-6, 8e-6, n), "kappa_s_eff": rng.uniform(5, 50, n),
            "tau_e": eps ** rng.uniform(-1.5, -0.5, n), "i_app": rng.uniform(5, 40, n)}


def test_batched_inputs_agree_with_model_rebuilt_per_sample(cell):
    s = varied(3)
    fast = cell.solve(s).values
    slow = cell.solve_rebuilt(s).values
    for k in ("capacity", "energy_density", "mean_voltage"):
        np.testing.assert_allclose(fast[k], slow[k], rtol=1e-4)


def test_capacity_bounded_and_energy_identity(cell):
    s = varied(48, seed=7)
    res = cell.solve(s)
    v = res.values
    assert res.failure_count == 0
    assert np.all(v["capacity"] > 0)
    assert np.all(v["capacity"] <= v["capacity_theoretical"])
    # Wh/L = mAh/cm^2 * V / cm
    np.testing.assert_allclose(v["energy_density"], v["capacity"] * v["mean_voltage"] / (s["L_p"] * 100),
                               rtol=1e-12)
    assert np.all((v["mean_voltage"] > 3.0) & (v["mean_voltage"] < 4.4))


def test_failure_isolation(cell):
    s = {k: np.full(5, v) for k, v in NOMINAL.items()}
    s["L_p"] = np.linspace(40e-6, 60e-6, 5)
    s["i_app"] = np.array([10.0, 10.0, 1e6, 10.0, 10.0])  # 100 A/cm^2: IDAS fails at t = 0
    res = cell.solve(s)
    assert res.failure_count == 1
    assert res.failures["index"].tolist() == [2]
    assert "SolverError" in res.failures["reason"].iloc[0]
    assert np.isnan(res.values["capacity"].iloc[2])
    alone = cell.solve({k: np.delete(v, 2) for k, v in s.items()}).values["capacity"].to_numpy()
    np.testing.assert_allclose(np.delete(res.values["capacity"].to_numpy(), 2), alone, rtol=1e-10)


def test_impossible_samples_rejected_before_the_solver(cell):
    s = {k: np.full(3, v) for k, v in NOMINAL.items()}
    s["eps"] = np.array([0.315, 0.0, 0.5])
    res = cell.solve(s)
    reasons = dict(zip(res.failures["index"], res.failures["reason"], strict=True))
    assert set(reasons) == {1, 2}
    assert reasons[1] == "eps = 0 (unit 1) is outside the valid range (0, 1)"
    assert "eps + X_AM = 1.08" in reasons[2] and "exceeds 1" in reasons[2]
    with pytest.raises(ParameterError, match=r"eps = 0 \(unit 1\) is outside the valid range \(0, 1\)"):
        cell.solve(s, on_invalid="raise")


def test_discharge_curve_and_rate_sweep(cell):
    curve, = cell.discharge_curves(NOMINAL)
    assert np.all(np.diff(curve["capacity"]) >= 0)
    assert curve["voltage"].iloc[-1] == pytest.approx(3.0, abs=1e-6)
    sweep = cell.rate_sweep({k: v for k, v in NOMINAL.items() if k != "i_app"}, [0.5, 1.0, 2.0, 5.0])
    assert np.all(np.diff(sweep["capacity"]) < 0)
    assert sweep["c_rate"].iloc[1] == pytest.approx(1.0 / sweep["capacity_theoretical"].iloc[1])
