"""The reference cathode (cellmodel/reference.py): Table A1's structure and the pinned
half-cell results on it."""
from __future__ import annotations

import pytest

from celltwin.cellmodel import reference_cathode
from celltwin.cellmodel.reference import PAPER, reference_structure


def test_reference_structure_is_consistent():
    s = reference_structure()
    assert s["eps_cal"] + s["X_AM"] + s["X_CA"] + s["X_PB"] == pytest.approx(1.0, abs=1e-12)
    assert s["h_cal"] == pytest.approx(48.476, rel=1e-4)        # Table A1: 48.5 um
    assert s["rho_cal"] == pytest.approx(2.9499, rel=1e-4)      # Table A1: 2.95 g/cm^3
    assert s["X_AM"] == pytest.approx(0.58378, rel=1e-4)        # Table A1: 0.58


def test_reference_cathode_regression():
    r = reference_cathode()
    # our values, pinned (Table A2 unchanged; see docs/cell-model.md for the paper's 2.41 / 1892)
    assert r["capacity"] == pytest.approx(2.0372, rel=1e-3)
    assert r["energy_density"] == pytest.approx(1565.0, rel=1e-3)
    assert r["mean_voltage"] == pytest.approx(3.7240, rel=1e-3)
    assert r["specific_capacity"] == pytest.approx(151.55, rel=1e-3)
    assert r["capacity_theoretical"] == pytest.approx(2.1050, rel=1e-4)
    # the explanation: Table A2's c_max - c_0 cannot hold the paper's 2.41 mAh/cm^2
    assert r["capacity_theoretical"] < PAPER["capacity"][0] - PAPER["capacity"][1]
    # the default structure surrogate is the resolved one (issue 12): pinned, and the textbook path by its formula
    assert r["kappa_s_eff"] == pytest.approx(59.42, rel=2e-3) and r["tau_e"] == pytest.approx(2.56, rel=5e-3)
    b = reference_cathode(tortuosity="bruggeman")
    assert b["kappa_s_eff"] == pytest.approx(0.0309 * b["X_AM"] ** 1.5 + 760 * (1 - 0.315 - b["X_AM"]) ** 1.5)


def test_double_layer_option_barely_moves_a_galvanostatic_discharge():
    s = reference_structure()
    base = reference_cathode()
    dl = reference_cathode(double_layer=True)
    assert dl["capacity"] == pytest.approx(base["capacity"], rel=1e-3)
    assert s["h_cal"] == pytest.approx(dl["h_cal"])
