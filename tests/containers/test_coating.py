"""Slot-die coating (containers/coating.py): wet film by eqs. 10-11 in coherent cm, g, h units."""
import pytest

import celltwin as ct
from celltwin.containers import Coating
from celltwin.platform.chain import ProcessChain


def test_wet_film_of_table_a1():
    # 696 cm^3/h over a 12.5 cm wide web at 1 m/min = 6000 cm/h
    out = Coating().evaluate({"V_dot": 696.0, "v_web": 6000.0, "w_coat": 12.5, "rho_slurry": 2.203575})
    assert out["h_wet"] == pytest.approx(696 / (6000 * 12.5), rel=1e-15)  # cm
    assert out["h_wet"] * 1e4 == pytest.approx(92.8, rel=1e-12)          # Table A1: 92.8 um
    assert out["m_wet"] == pytest.approx(2.203575 * 0.00928, rel=1e-12)  # g/cm^2


def test_catalog_units_are_converted_by_the_chain():
    cat = ct.default_catalog()
    chain = ProcessChain([Coating()], {"V_dot", "v_web", "w_coat", "rho_slurry"}, cat)
    out = chain.evaluate({"V_dot": 696.0, "v_web": 1.0, "w_coat": 125.0, "rho_slurry": 2.203575})
    assert out["h_wet"] == pytest.approx(92.8, rel=1e-12)                 # um
    assert out["m_wet"] == pytest.approx(20.44918, rel=1e-6)              # mg/cm^2 (Table A1: 20.5)
