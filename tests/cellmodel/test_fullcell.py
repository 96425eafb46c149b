"""The PyBaMM full cell (cellmodel/fullcell.py) and the "full-cell" container: batched vs rebuilt,
lithium inventory by hand, plating at N/P < 1, KPI identities, refused inputs, failure isolation.
Small meshes keep it fast; the default mesh's accuracy is benchmarks/full_cell.py's job."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.cellmodel.bpx import write_bpx
from celltwin.cellmodel.fullcell import X_N_MAX, FullCellSettings, full_cell
from celltwin.cellmodel.fullcell_container import FullCellContainer
from celltwin.cellmodel.parameters import FARADAY, TABLE_A2
from celltwin.platform.errors import ParameterError

MESH = (4, 3, 4, 5, 5)
#: seed 004's reference cathode and a graphite anode of about N/P 1.1 (SI units)
NOMINAL = {"L_n": 46.6e-6, "L_s": 25e-6, "L_p": 48.5e-6, "eps_n": 0.33, "eps_s": 0.39, "eps_p": 0.315,
           "X_n": 0.61, "X_p": 0.584, "kappa_n": 100.0, "kappa_p": 29.0, "tau_n": 0.33**-0.5, "tau_p": 2.56,
           "li_loss": 0.08}


@pytest.fixture(scope="module")
def cell():
    return full_cell(FullCellSettings(mesh=MESH))


def rated(cell, s, discharge=1 / 3, charge=2.0):
    """Samples with currents at C-rates of their cycling lithium (1/h)."""
    q = cell.cyclable_capacity(s) * 10.0  # mAh/cm^2 -> A h/m^2
    return {**s, "i_dis": discharge * q, "i_chg": charge * q}


def test_batched_agrees_with_models_rebuilt_per_sample(cell):
    # the reference pair and one sample that moves every electrode input, thickness and radius included
    s = rated(cell, {**NOMINAL, "L_n": np.array([46.6e-6, 60e-6]), "eps_p": np.array([0.315, 0.34]),
                     "X_p": np.array([0.584, 0.57]), "R_n": np.array([5.86e-6, 7e-6]),
                     "li_loss": np.array([0.08, 0.1])})
    fast, slow = cell.solve(s).values, cell.solve_rebuilt(s).values
    # The symbolic mesh (scaled unit cells) and PyBaMM's ordinary uniform mesh are not the same
    # discretisation where domains meet: on this coarse test mesh they differ by 1.2e-4 in
    # capacity even at rtol 1e-8 (measured), so the tolerance is 5e-4; benchmarks/full_cell.py
    # reports the gap on the default mesh.
    for k in ("capacity", "energy", "mean_voltage"):
        np.testing.assert_allclose(fast[k], slow[k], rtol=5e-4)
    np.testing.assert_allclose(fast["plating_margin"], slow["plating_margin"], atol=1e-3)  # V


def test_inventory_by_hand(cell):
    s = rated(cell, {**NOMINAL, "L_n": np.array([46.6e-6, 25e-6])})
    v = cell.solve(s).values
    # the cathode's window (c_max - c_0) X L F of Table A2, and graphite's c_max = rho / M(C6) = 31 499 mol/m^3
    q_p = (TABLE_A2["c_max"] - TABLE_A2["c_0"]) * 0.584 * 48.5e-6 * FARADAY / 3600 * 0.1
    q_n = 2.27 / 72.066 * 1e6 * 0.61 * s["L_n"] * FARADAY / 3600 * 0.1
    np.testing.assert_allclose(v["capacity_cathode"], q_p, rtol=1e-12)
    np.testing.assert_allclose(v["capacity_anode"], q_n, rtol=1e-4)
    np.testing.assert_allclose(v["np_ratio"], q_n / q_p, rtol=1e-4)
    # N/P 1.11 holds all (1 - li_loss) of the cathode's lithium; N/P 0.60 fills to X_N_MAX
    np.testing.assert_allclose(v["capacity_cyclable"], [0.92 * q_p, X_N_MAX * q_n[1]], rtol=1e-4)
    assert np.all(v["capacity"] < v["capacity_cyclable"])
    assert v["capacity"][0] > 0.9 * v["capacity_cyclable"][0]  # C/3: most of the lithium comes back


def test_np_below_one_plates_at_fast_charge(cell):
    # a thin anode (N/P 0.77 < 1 - li_loss) and a thick one (N/P 1.39), the same 2C charge
    s = rated(cell, {**NOMINAL, "L_n": np.array([31.5e-6, 57e-6])})
    v = cell.solve(s).values
    np.testing.assert_allclose(v["np_ratio"], [0.770, 1.393], atol=1e-3)
    assert v["plating_margin"][0] < 0.0
    assert v["plating_margin"][1] > 0.0


def test_failure_isolation(cell):
    s = rated(cell, {k: np.full(3, v) for k, v in NOMINAL.items()})
    s["i_dis"] = np.array([s["i_dis"][0], 1e6, s["i_dis"][0]])  # 100 A/cm^2: IDAS fails at once
    s["eps_n"] = np.array([0.33, 0.33, 0.5])                      # eps_n + X_n = 1.11
    res = cell.solve(s)
    reasons = dict(zip(res.failures["index"], res.failures["reason"], strict=True))
    assert set(reasons) == {1, 2}
    assert reasons[2].startswith("eps_n + X_n = 1.11 (unit 1) exceeds 1")
    assert np.isfinite(res.values["capacity"][0]) and np.isnan(res.values["capacity"][1])
    alone = cell.solve({k: v[:1] for k, v in s.items()}).values
    np.testing.assert_allclose(res.values["capacity"][0], alone["capacity"][0], rtol=1e-10)


@pytest.mark.filterwarnings("ignore")   # PyBaMM's and bpx's deprecation notices
def test_a_bpx_file_gives_the_whole_cell(tmp_path):
    """A BPX file (cathode, anode, electrolyte of Chen2020, tabulated) against the set itself."""
    path = write_bpx(tmp_path / "cell.json", {"eps_cal": 0.315, "h_cal": 48.5, "X_AM": 0.584, "kappa_s_eff": 29.0,
                                              "tau_e": 2.56}, "Chen2020")
    cells = [full_cell(FullCellSettings(parameter_set=p, anode_set=a, anode_material=None, mesh=MESH))
             for p, a in ((str(path), None), ("Chen2020", "Chen2020"))]
    bpx, own = (c.solve(rated(c, NOMINAL)).values for c in cells)
    # the file tabulates the OCPs on 101 points: 1.3e-4 in capacity, 2.4e-4 in energy (measured)
    for k in ("capacity", "energy"):
        np.testing.assert_allclose(bpx[k], own[k], rtol=1e-3)
    np.testing.assert_allclose(bpx["np_ratio"], own["np_ratio"], rtol=1e-12)
    with pytest.raises(ParameterError, match="give bpx or parameter_set/anode_set/anode_material, not both"):
        FullCellContainer(COMPONENTS, bpx=str(path), parameter_set="Chen2020")
    with pytest.raises(ParameterError, match="has no intercalation anode"):
        full_cell(FullCellSettings(parameter_set="Xu2019", anode_set=None, mesh=MESH))


# -- the container -------------------------------------------------------------------
COMPONENTS = {"cathode": ("AM", "CA", "PB"), "anode": ("AM", "CA", "CMC", "SBR")}
INPUTS = {"cathode.eps_cal": 0.315, "cathode.h_cal": 48.5, "cathode.X_AM": 0.584, "cathode.X_CA": 0.0512,
          "cathode.X_PB": 0.0498, "anode.eps_cal": 0.33, "anode.h_cal": 46.6, "anode.X_AM": 0.61,
          "anode.X_CA": 0.0081, "anode.X_CMC": 0.0183, "anode.X_SBR": 1 - 0.33 - 0.61 - 0.0081 - 0.0183,
          "A_cell": 3200.0, "m_cell": 96.0, "V_cell": 47.0, "t_sep": 25.0, "eps_sep": 0.39, "li_loss": 0.08}


@pytest.fixture(scope="module")
def box():
    return FullCellContainer(COMPONENTS, mesh=MESH, compile=False)


def test_container_kpis_are_energy_over_mass_and_volume(box):
    x = {k: np.full(2, v) for k, v in INPUTS.items()}
    x["m_cell"], x["V_cell"] = np.array([96.0, 120.0]), np.array([47.0, 60.0])
    out = box.evaluate(x)
    assert box.failure_count == 0
    np.testing.assert_allclose(out["specific_energy"], out["energy_cell"] / (x["m_cell"] / 1e3), rtol=1e-12)
    np.testing.assert_allclose(out["energy_density_cell"], out["energy_cell"] / (x["V_cell"] / 1e3), rtol=1e-12)
    np.testing.assert_allclose(out["capacity_cell"], out["capacity_areal"] * 3200.0 / 1e3, rtol=1e-12)
    np.testing.assert_allclose(out["energy_cell"], out["capacity_cell"] * out["mean_voltage_cell"], rtol=1e-12)
    assert set(box.inputs()) == set(INPUTS)


@pytest.mark.parametrize("name, value, message", [
    ("li_loss", 1.2, r"li_loss = 1.2 \(unit 1\) is outside the valid range \[0, 1\)"),
    ("m_cell", 0.0, r"m_cell = 0 g is outside the valid range \(0, inf\) g"),
    ("anode.eps_cal", 0.5, r"anode line: eps_cal \+ X_AM \+ X_CA \+ X_CMC \+ X_SBR = 1.17 \(unit 1\) must equal 1"),
])
def test_container_refuses_impossible_inputs(box, name, value, message):
    with pytest.raises(ParameterError, match=message):
        box.evaluate({k: np.asarray(value if k == name else v) for k, v in INPUTS.items()})


def test_container_refuses_bad_options():
    with pytest.raises(ParameterError, match="option charge_c_rate = -1"):
        FullCellContainer(COMPONENTS, charge_c_rate=-1)
    with pytest.raises(ParameterError, match="option mesh"):
        FullCellContainer(COMPONENTS, mesh=(4, 4))
    with pytest.raises(ParameterError, match="components are given per line cathode, anode; got separator"):
        FullCellContainer({"separator": ("AM",)})
