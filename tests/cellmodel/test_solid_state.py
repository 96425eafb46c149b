"""Solid-state composite cathodes: the SE network's conductivity, the structure without SE in the
electronic path, the single-ion half-cell (t+ = 1) and the reaction area a_s fed to the P2D model."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.cellmodel import HalfCellContainer
from celltwin.cellmodel.halfcell import CellSettings, HalfCell
from celltwin.cellmodel.solid_state import IN_LI_POTENTIAL, contact_share, ionic_path
from celltwin.cellmodel.structure import cbm_fraction, effective_parameters, percolation_conductivity
from celltwin.platform.errors import ParameterError

KAPPA_SE = 0.133  # S/m, Li6PS5Cl in the materials library


# -- the SE network ---------------------------------------------------------------------
def test_percolation_law_known_values():
    X = np.array([0.0, 0.16, 0.58, 1.0])
    # ((0.58 - 0.16) / 0.84)^2 = 0.25 exactly
    np.testing.assert_allclose(percolation_conductivity(X, KAPPA_SE), [0.0, 0.0, 0.25 * KAPPA_SE, KAPPA_SE],
                               rtol=1e-12, atol=0)
    assert percolation_conductivity(0.5, 1.0, threshold=0.2, exponent=1.6) == pytest.approx((0.3 / 0.8) ** 1.6,
                                                                                           rel=1e-12)
    assert np.all(np.diff(percolation_conductivity(np.linspace(0.1, 1, 50), KAPPA_SE)) >= 0)


@pytest.mark.parametrize("kwargs, parameter", [({"threshold": 1.0}, "se_threshold"), ({"exponent": 0.5}, "se_exponent"),
                                               ({"kappa_SE": 0.0}, "kappa_SE")])
def test_percolation_law_refuses_bad_parameters(kwargs, parameter):
    args = {"kappa_SE": KAPPA_SE, **kwargs}
    with pytest.raises(ParameterError) as err:
        percolation_conductivity(0.4, **args)
    assert err.value.parameter == parameter


def test_ionic_path_gives_pybamm_the_effective_conductivity():
    eps, X = np.array([0.05, 0.2, 0.3]), np.array([0.5, 0.3, 0.2])
    empty = ionic_path(eps, X, KAPPA_SE)
    np.testing.assert_allclose(empty["eps_e"], X)
    # PyBaMM's kappa_e eps / tau must be kappa_ion_eff exactly, and tau >= 1
    np.testing.assert_allclose(empty["kappa_bulk"] * empty["eps_e"] / empty["tau_e"], empty["kappa_ion_eff"],
                               rtol=1e-12)
    assert np.all(empty["tau_e"] >= 1)
    filled = ionic_path(eps, X, KAPPA_SE, pores="liquid", kappa_liquid=1.0)
    np.testing.assert_allclose(filled["eps_e"], X + eps)
    np.testing.assert_allclose(filled["kappa_ion_eff"], empty["kappa_ion_eff"] + eps**1.5, rtol=1e-12)
    assert filled["kappa_bulk"] == 1.0 and np.all(filled["tau_e"] >= 1)
    assert np.isinf(ionic_path(0.3, 0.1, KAPPA_SE)["tau_e"])  # below the threshold: no ionic path


def test_contact_share():
    assert contact_share(0.3, 0.1) == pytest.approx(0.75)
    assert contact_share(0.3, 0.1, "liquid") == 1.0


# -- the electronic path ignores the SE ---------------------------------------------------------
@pytest.mark.parametrize("model", ["bruggeman", "mixed-shape", "resolved"])
def test_se_adds_nothing_to_the_electronic_path(model):
    """Moving SE volume into pores leaves X_CBM and kappa_s_eff unchanged (the SE is no electron conductor)."""
    with_se = {"X_AM": 0.45, "X_SE": 0.30, "X_CA": 0.03, "X_PB": 0.04}
    without = {"X_AM": 0.45, "X_CA": 0.03, "X_PB": 0.04}
    assert cbm_fraction(with_se) == pytest.approx(0.07, rel=1e-12)
    a = effective_parameters(0.18, with_se, 5e-6, tortuosity=model)
    b = effective_parameters(0.48, without, 5e-6, tortuosity=model)
    assert float(a["kappa_s_eff"]) == pytest.approx(float(b["kappa_s_eff"]), rel=1e-12)
    if model == "bruggeman":  # 0.0309 X_AM^1.5 + 760 X_CBM^1.5 (Table A2)
        assert float(a["kappa_s_eff"]) == pytest.approx(0.0309 * 0.45**1.5 + 760 * 0.07**1.5, rel=1e-12)


# -- the single-ion half-cell ---------------------------------------------------------------
SAMPLE = {"L_p": 60e-6, "eps": 0.30, "X_AM": 0.45, "R_p": 5e-6, "kappa_s_eff": 1.0, "tau_e": 3.0, "i_app": 5.0}


@pytest.fixture(scope="module")
def solid():
    return HalfCell(CellSettings(electrolyte="single-ion", electrolyte_conductivity=KAPPA_SE))


def _concentration_spread(cell: HalfCell) -> tuple[float, float]:
    """Max spread of c_e over space and time (mol/m^3), from a full DFN solve of SAMPLE."""
    import pybamm
    model = pybamm.lithium_ion.DFN(cell.settings.model_options())
    pv = cell._parameter_values({**SAMPLE, "a_s": 3 * SAMPLE["X_AM"] / SAMPLE["R_p"]})
    sol = pybamm.Simulation(model, parameter_values=pv).solve([0, 1800])
    c = sol["Electrolyte concentration [mol.m-3]"].entries
    return float(c.max() - c.min()), float(c.mean())


def test_transference_number_one_keeps_the_electrolyte_uniform(solid):
    spread, mean = _concentration_spread(solid)
    assert spread <= 1e-6 * mean
    liquid_spread, _ = _concentration_spread(HalfCell(CellSettings()))
    assert liquid_spread > 10.0  # the liquid's salt gradient, for contrast (mol/m^3)


def test_single_ion_cell_discharges_and_a_poorer_network_costs_voltage(solid):
    res = solid.solve({**SAMPLE, "tau_e": np.array([3.0, 30.0])})
    v = res.values
    assert res.failure_count == 0 and np.all(v["capacity"] > 0)
    assert np.all(v["capacity"] <= v["capacity_theoretical"])
    assert v["mean_voltage"].iloc[1] < v["mean_voltage"].iloc[0]


def test_in_li_counter_electrode_shifts_the_voltage_only(solid):
    """Same cut-off against Li: same capacity, mean voltage lower by 0.62 V (Santhosha et al. 2019)."""
    in_li = HalfCell(CellSettings(electrolyte="single-ion", electrolyte_conductivity=KAPPA_SE,
                                  counter_electrode="In-Li", v_min=3.0 - IN_LI_POTENTIAL))
    a, b = solid.solve(SAMPLE).values.iloc[0], in_li.solve(SAMPLE).values.iloc[0]
    assert b["capacity"] == pytest.approx(a["capacity"], rel=1e-6)
    assert b["mean_voltage"] == pytest.approx(a["mean_voltage"] - IN_LI_POTENTIAL, rel=1e-6)


def test_settings_refuse_contradictions():
    with pytest.raises(ParameterError, match="electrolyte_conductivity"):
        CellSettings(electrolyte="single-ion")
    with pytest.raises(ParameterError, match="single-ion"):
        CellSettings(counter_electrode="In-Li")
    with pytest.raises(ParameterError, match="electrolyte"):
        CellSettings(electrolyte="gel")


# -- a_s as the reaction area -------------------------------------------------------------------
def test_reaction_area_feeds_the_kinetics():
    cell = HalfCell(CellSettings())
    spheres = 3 * SAMPLE["X_AM"] / SAMPLE["R_p"]
    v = cell.solve({**SAMPLE, "eps": 0.35, "a_s": np.array([spheres, spheres, spheres / 10])}).values
    alone = cell.solve({**SAMPLE, "eps": 0.35}).values  # no a_s: the spheres' area
    assert v["capacity"].iloc[0] == pytest.approx(alone["capacity"].iloc[0], rel=1e-9)
    assert v["mean_voltage"].iloc[2] < v["mean_voltage"].iloc[0] - 1e-3  # a tenth of the area: more overpotential


# -- the container --------------------------------------------------------------------------
STRUCTURE = {"eps_cal": 0.25, "h_cal": 60.0, "m_dry": 13.0, "w_AM": 0.69, "X_AM": 0.36, "X_SE": 0.33,
             "X_CA": 0.02, "X_PB": 0.04}


def test_container_feeds_the_se_network():
    c = HalfCellContainer(["AM", "SE", "CA", "PB"], solid_electrolyte="Li6PS5Cl", tortuosity="bruggeman",
                          current_density=0.2)
    assert "kappa_ion_eff" in c.outputs() and c.kappa_SE == KAPPA_SE
    x = {k: np.array([v, v]) for k, v in STRUCTURE.items()}
    x["X_SE"], x["eps_cal"] = np.array([0.33, 0.10]), np.array([0.25, 0.48])  # the second does not percolate
    out = c.evaluate(x)
    assert out["kappa_ion_eff"][0] == pytest.approx(KAPPA_SE * ((0.33 - 0.16) / 0.84) ** 2, rel=1e-12)
    assert out["kappa_s_eff"][0] == pytest.approx(0.0309 * 0.36**1.5 + 760 * 0.06**1.5, rel=1e-12)
    assert out["a_s"][0] == pytest.approx(3 * 0.36 / 5.5e-6 * 0.33 / (1 - 0.36), rel=1e-12)
    assert out["tau_e"][0] == pytest.approx(KAPPA_SE * 0.33 / out["kappa_ion_eff"][0], rel=1e-12)
    assert np.isfinite(out["capacity"][0]) and np.isnan(out["capacity"][1])
    (reason,) = c.last_failures["reason"]
    assert "percolation threshold" in reason and "X_SE = 0.1" in reason


def test_container_needs_the_se_conductivity():
    with pytest.raises(ParameterError, match="kappa_SE"):
        HalfCellContainer(["AM", "SE", "CA", "PB"])
    with pytest.raises(ParameterError, match="component 'SE'"):
        HalfCellContainer(["AM", "CA", "PB"], kappa_SE=0.1)
    with pytest.raises(ParameterError, match="counter_electrode = 'In-Li'"):
        HalfCellContainer(["AM", "CA", "PB"], counter_electrode="In-Li")
    assert HalfCellContainer(["AM", "SE", "CA", "PB"], kappa_SE=0.05).kappa_SE == 0.05
