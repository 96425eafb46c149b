"""Dry mixing (containers/mixing.py): eq. 8 over any components, and the mass balance as its check."""
import numpy as np
import pytest

from celltwin.containers import Mixing

TABLE_A1 = {"w_AM": 0.94, "w_CA": 0.03, "w_PB": 0.03, "rho_AM": 4.75, "rho_CA": 1.80, "rho_PB": 1.70}


def test_solids_density_of_table_a1():
    out = Mixing().evaluate(TABLE_A1)
    assert out["rho_solids"] == pytest.approx(1 / (0.94 / 4.75 + 0.03 / 1.80 + 0.03 / 1.70), rel=1e-15)
    assert out["rho_solids"] == pytest.approx(4.306475, rel=1e-6)


def test_declarations_follow_the_components():
    c = Mixing(("AM", "SE"))
    assert c.inputs() == {"w_AM": "1", "w_SE": "1", "rho_AM": "g/cm^3", "rho_SE": "g/cm^3"}
    assert c.outputs() == {"rho_solids": "g/cm^3"}
    # one pure component: its own density
    assert Mixing(("AM",)).evaluate({"w_AM": 1.0, "rho_AM": 4.75})["rho_solids"] == pytest.approx(4.75, rel=1e-15)


def test_mass_balance_is_the_constraint():
    assert Mixing().constraints(TABLE_A1) == []
    (bad, message), = Mixing().constraints({**TABLE_A1, "w_PB": np.array([0.03, 0.05])})
    assert bad.tolist() == [False, True] and "w_AM + w_CA + w_PB = 1.02 (unit 1) must sum to 1" in message
