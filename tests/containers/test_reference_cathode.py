"""The reference cathode of seed 004, Table A1, through the five analytical containers.

Table A1 prints its values rounded, and its printed inputs are rounded too. Most rows
come out of eqs. 8-16 to the printed digit. Five rows (m_wet, h_dry, eps_cal, h_cal,
rho_cal, X_AM) do not quite: with the printed inputs eq. 15 gives eps_cal = 0.3131,
not 0.315. For those the test checks what can honestly be claimed: the printed value
lies inside the range the chain produces when every input moves within its own
printed rounding interval, and the nominal deviation stays within 1 % (or the printed digit).
(docs/reference-cathode.md has the side-by-side table.)
"""
import itertools

import numpy as np
import pytest

TABLE_A1 = {  # name: (printed value, half unit of the last printed digit)
    "rho_solids": (4.31, 0.005), "rho_slurry": (2.20, 0.005), "h_wet": (92.8, 0.05),
    "m_wet": (20.5, 0.05), "m_dry": (14.3, 0.05), "h_dry": (59.2, 0.05), "rho_dry": (2.42, 0.005),
    "eps_cal": (0.315, 0.0005), "h_cal": (48.5, 0.05), "rho_cal": (2.95, 0.005),
    "X_AM": (0.58, 0.005), "X_CA": (0.05, 0.005), "X_PB": (0.05, 0.005),
}
TO_PRINTED_DIGIT = ["rho_solids", "rho_slurry", "h_wet", "m_dry", "rho_dry", "X_CA", "X_PB"]
# half a unit of the last printed digit of each Table A1 input
INPUT_ROUNDING = {"w_AM": 0.005, "w_CA": 0.005, "x_solids": 0.005, "rho_AM": 0.005, "rho_CA": 0.005,
                  "rho_PB": 0.005, "rho_solvent": 0.005, "V_dot": 0.5, "v_web": 0.05, "w_coat": 0.5,
                  "eps_dry": 0.0005, "q_L": 0.5, "eps_min": 0.0005, "gamma_c": 0.5}


@pytest.fixture(scope="module")
def reference(reference_given):
    """Table A1 with eps_dry as printed (the measured 43.9 %), not the DEM metamodel."""
    return reference_given, reference_given.build_chain(with_cell=False)


@pytest.fixture(scope="module")
def nominal(reference):
    sc, chain = reference
    return chain.evaluate(sc.nominal())


@pytest.mark.parametrize("name", TO_PRINTED_DIGIT)
def test_rows_to_printed_digit(nominal, name):
    printed, half = TABLE_A1[name]
    assert abs(nominal[name] - printed) <= half + 1e-12


@pytest.mark.parametrize("name", list(TABLE_A1))
def test_every_row_within_input_rounding_and_1_percent(reference, nominal, name):
    sc, chain = reference
    printed, half = TABLE_A1[name]
    assert abs(nominal[name] - printed) <= max(half, 0.01 * printed)
    nom = sc.nominal()
    names = list(INPUT_ROUNDING)
    corners = np.array(list(itertools.product([-1.0, 1.0], repeat=len(names))))
    values = dict(nom)
    for i, n in enumerate(names):
        values[n] = nom[n] + corners[:, i] * INPUT_ROUNDING[n]
    values["w_PB"] = 1.0 - values["w_AM"] - values["w_CA"]
    res = chain.evaluate(values)
    assert res[name].min() - half <= printed <= res[name].max() + half


def test_known_nominal_values(nominal):
    """Seeded regression of our own nominal numbers (eqs. 8-16 with Table A1 inputs)."""
    expected = {"rho_solids": 4.306475, "rho_slurry": 2.203575, "h_wet": 92.8, "m_wet": 20.44917,
                "m_dry": 14.31442, "h_dry": 59.25009, "eps_cal": 0.3131385, "h_cal": 48.39301,
                "rho_cal": 2.957952, "X_AM": 0.5853632}
    for k, v in expected.items():
        assert nominal[k] == pytest.approx(v, rel=1e-6), k


def test_volume_fractions_and_porosity_sum_to_one(nominal):
    assert nominal["X_AM"] + nominal["X_CA"] + nominal["X_PB"] + nominal["eps_cal"] == pytest.approx(1.0, abs=1e-12)


def test_density_identity(nominal):
    # rho = m / h in consistent units: mg/cm^2 / um = 10 g/cm^3
    assert nominal["rho_cal"] == pytest.approx(10 * nominal["m_dry"] / nominal["h_cal"], rel=1e-12)
    assert nominal["rho_dry"] == pytest.approx(10 * nominal["m_dry"] / nominal["h_dry"], rel=1e-12)
