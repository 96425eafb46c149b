"""Structure surrogate (cellmodel/structure.py): known answers and identities (no PyBaMM)."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.cellmodel import structure

X_REF = {"X_AM": 0.58, "X_CA": 0.05, "X_PB": 0.055}


def test_bruggeman_is_eps_to_minus_half():
    eps = np.array([0.2, 0.315, 0.5])
    tau = structure.bruggeman_tortuosity(eps)
    np.testing.assert_allclose(tau, eps**-0.5, rtol=1e-15)
    np.testing.assert_allclose(eps / tau, eps**1.5, rtol=1e-15)  # PyBaMM's transport efficiency


def test_spheroid_exponent_limits():
    assert structure.spheroid_exponent(1.0) == pytest.approx(1.5, rel=1e-12)
    assert structure.spheroid_exponent(1.0 + 1e-6) == pytest.approx(1.5, rel=1e-5)
    assert structure.spheroid_exponent(1.0 - 1e-6) == pytest.approx(1.5, rel=1e-5)
    assert structure.spheroid_exponent(1e4) == pytest.approx(5 / 3, rel=1e-3)  # needles
    flats = structure.spheroid_exponent(np.array([0.5, 0.2, 0.1, 0.01]))
    assert np.all(np.diff(flats) > 0) and flats[0] > 1.5  # flatter grains obstruct more


def test_mixed_shape_reduces_to_bruggeman_for_spheres_and_uses_fractions():
    eps = 0.315
    same = structure.mixed_shape_tortuosity(eps, 0.58, 0.105, cbm_aspect_ratio=1.0)
    assert same == pytest.approx(structure.bruggeman_tortuosity(eps), rel=1e-12)
    lean = structure.mixed_shape_tortuosity(eps, 0.63, 0.055)
    rich = structure.mixed_shape_tortuosity(eps, 0.58, 0.105)
    assert rich > lean > structure.bruggeman_tortuosity(eps)


def test_effective_conductivity_and_surface_area_known_values():
    k = structure.effective_conductivity(0.58, 0.105)
    assert k == pytest.approx(0.0309 * 0.58**1.5 + 760 * 0.105**1.5, rel=1e-14)
    assert structure.active_surface_area(0.58, 5.5e-6) == pytest.approx(3 * 0.58 / 5.5e-6, rel=1e-14)


def test_effective_parameters_models():
    eps = 1 - sum(X_REF.values())
    b = structure.effective_parameters(eps, X_REF, 5.5e-6)
    assert b["X_CBM"] == pytest.approx(0.105)
    assert b["bruggeman"] == pytest.approx(1.5, rel=1e-12)
    t = structure.effective_parameters(eps, X_REF, 5.5e-6, tortuosity="table-a2")
    assert t["tau_e"] == 5.9449
    with pytest.raises(ValueError, match="mixed-shape"):
        structure.effective_parameters(eps, X_REF, 5.5e-6, tortuosity="brugeman")


def test_structure_problems_messages():
    ok = structure.structure_problems(0.315, X_REF, thickness=48.5e-6)
    assert ok == []
    (bad, msg), = structure.structure_problems(np.array([0.315, 0.4]), X_REF)
    assert bad.tolist() == [False, True]
    assert "eps_cal + X_AM + X_CA + X_PB = 1.085" in msg and "valid range" in msg
    msgs = [m for _, m in structure.structure_problems(0.0, {"X_AM": 0.6, "X_CA": 0.2, "X_PB": 0.2})]
    assert any("porosity eps_cal = 0 (unit 1)" in m and "(0, 1)" in m for m in msgs)
    msgs = [m for _, m in structure.structure_problems(0.315, X_REF, thickness=-1e-6)]
    assert any("h_cal = -1 um" in m and "(0, inf) um" in m for m in msgs)
