"""The "half-cell" container (cellmodel/container.py): the harness every container passes (units
resolve, vectorized equals scalar, outputs in bounds), options, the scalar and batched paths,
other parameter sets, and discharge curves."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.cellmodel import HalfCellContainer, reference_structure
from celltwin.containers.formulation import default_catalog
from celltwin.platform.errors import ParameterError, SolverError
from celltwin.platform.registry import containers
from celltwin.platform.units import affine


def structures(n, seed=11):
    """Reference structures with thickness, porosity and recipe moved by a few per cent."""
    rng = np.random.default_rng(seed)
    s = reference_structure()
    eps = s["eps_cal"] * (1 + 0.05 * rng.uniform(-1, 1, n))
    solid = np.array([s["X_AM"], s["X_CA"], s["X_PB"]]) * (1 + 0.05 * rng.uniform(-1, 1, (n, 3)))
    solid *= ((1 - eps) / solid.sum(axis=1))[:, None]
    return {"eps_cal": eps, "h_cal": s["h_cal"] * (1 + 0.1 * rng.uniform(-1, 1, n)),
            "m_dry": s["m_dry"] * (1 + 0.05 * rng.uniform(-1, 1, n)), "w_AM": np.full(n, 0.94),
            "X_AM": solid[:, 0], "X_CA": solid[:, 1], "X_PB": solid[:, 2]}


def test_registered_and_units_resolve():
    assert containers.get("half-cell") is HalfCellContainer
    c = HalfCellContainer()
    cat = default_catalog()
    for p, unit in {**c.inputs(), **c.outputs()}.items():
        affine(cat[p].unit, unit)


def test_vectorized_equals_scalar_and_outputs_in_bounds():
    c = HalfCellContainer()
    x = structures(6)
    assert not any(bad.any() for bad, _ in c.constraints(x))
    vec = c.evaluate(x)
    for i in range(3):
        one = c.evaluate({k: float(v[i]) for k, v in x.items()})
        for k in vec:
            assert float(one[k]) == pytest.approx(vec[k][i], rel=1e-9)
    cat = default_catalog()
    for p, unit in c.outputs().items():
        s, o = affine(unit, cat[p].unit)
        assert np.isfinite(vec[p]).all() and not cat[p].invalid_mask(vec[p] * s + o).any(), p


def test_option_validation():
    with pytest.raises(ValueError, match="tortuosity"):
        HalfCellContainer(tortuosity="brugeman")
    with pytest.raises(ValueError, match=r"current_density = -1 is outside its valid range \(0, inf\)"):
        HalfCellContainer(current_density=-1)
    with pytest.raises(ValueError, match="active material"):
        HalfCellContainer(("CA", "PB"))


def test_container_scalar_and_batched_paths():
    c = HalfCellContainer(("AM", "CA", "PB"))
    s = reference_structure()
    one = c.evaluate({k: np.asarray(s[k]) for k in c.inputs()})
    assert one["capacity"].shape == ()
    n = 4
    batch = {k: np.full(n, s[k]) for k in c.inputs()}
    batch["h_cal"] = np.array([40.0, 48.47563520221765, 1e7, 55.0])  # 10 m coating: solver fails
    batch["eps_cal"][3] = np.nan                                    # rejected upstream by the chain
    out = c.evaluate(batch)
    assert out["capacity"][1] == pytest.approx(float(one["capacity"]), rel=1e-9)
    assert np.isnan(out["capacity"][[2, 3]]).all() and np.isfinite(out["capacity"][:2]).all()
    assert c.last_failures["index"].tolist() == [2] and c.failure_count == 1
    bad = {k: np.asarray(s[k]) for k in c.inputs()}
    bad["X_AM"] = np.asarray(0.7)
    with pytest.raises(ParameterError, match=r"eps_cal \+ X_AM \+ X_CA \+ X_PB = 1\.116"):
        c.evaluate(bad)
    bad["X_AM"], bad["h_cal"] = np.asarray(s["X_AM"]), np.asarray(1e7)
    with pytest.raises(SolverError):
        c.evaluate(bad)


def test_xu2019_half_cell_runs():
    c = HalfCellContainer(("AM", "CA", "PB"), parameter_set="Xu2019", tortuosity="mixed-shape")
    s = reference_structure()
    out = c.evaluate({k: np.asarray(s[k]) for k in c.inputs()})
    assert 0 < out["capacity"] < out["capacity_theoretical"]
    assert out["a_s"] == pytest.approx(3 * s["X_AM"] / 5.3e-6)   # Xu2019's particle radius
    with pytest.raises(ParameterError, match="Xu2019"):
        HalfCellContainer(("AM", "CA", "PB"), parameter_set="Xu2091").cell()


def test_container_curves_and_rate_sweep():
    c = HalfCellContainer(("AM", "CA", "PB"))
    s = {k: np.asarray(v) for k, v in reference_structure().items()}
    curve, = c.discharge_curves(s)
    assert curve["capacity"].iloc[-1] == pytest.approx(float(c.evaluate(s)["capacity"]), rel=1e-9)
    sweep = c.rate_sweep(s, [1.0, 4.0])
    assert sweep["capacity"].iloc[0] == pytest.approx(curve["capacity"].iloc[-1], rel=1e-9)
    assert sweep["capacity"].iloc[1] < sweep["capacity"].iloc[0]
