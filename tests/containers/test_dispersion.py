"""Dispersion (containers/dispersion.py): slurry density by eq. 9."""
import pytest

from celltwin.containers import Dispersion


def test_slurry_density_of_table_a1():
    out = Dispersion().evaluate({"x_solids": 0.70, "rho_solids": 4.306475, "rho_solvent": 1.03})
    assert out["rho_slurry"] == pytest.approx(1 / (0.70 / 4.306475 + 0.30 / 1.03), rel=1e-15)
    assert out["rho_slurry"] == pytest.approx(2.203575, rel=1e-6)  # Table A1: 2.20 g/cm^3


def test_limits_of_eq_9():
    d = Dispersion()
    assert d.evaluate({"x_solids": 1.0, "rho_solids": 4.3, "rho_solvent": 1.03})["rho_slurry"] == pytest.approx(4.3)
    assert d.evaluate({"x_solids": 1e-12, "rho_solids": 4.3, "rho_solvent": 1.03})["rho_slurry"] == \
        pytest.approx(1.03, rel=1e-9)
    assert d.inputs() == {"x_solids": "1", "rho_solids": "g/cm^3", "rho_solvent": "g/cm^3"}
