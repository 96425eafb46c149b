"""The container harness for "half-cell": units resolve, vectorized equals scalar, outputs in bounds."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.cellmodel import HalfCellContainer, reference_structure
from celltwin.platform.catalog import default_catalog
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
