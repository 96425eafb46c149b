"""The built-in solid-state-cathode scenario (seed 001, Alabdali et al.): its nominal chain against
a hand calculation, the acceptance points of issue 13 (``celltwin chain --json`` prints X_SE and
kappa_ion_eff; less SE, less ionic conductivity; no SE in kappa_s_eff) and a 200-sample study
whose performance indices list w_SE."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.cli import app

pytestmark = pytest.mark.filterwarnings("ignore")

NAME = "solid-state-cathode"
COMPONENTS = ("AM", "SE", "CA", "PB")


def hand(p: dict) -> dict:
    """Seed 004's eqs. 8-16 and the solid-state structure written out (catalog units)."""
    v_spec = sum(p[f"w_{c}"] / p[f"rho_{c}"] for c in COMPONENTS)
    rho_solids = 1 / v_spec
    rho_slurry = 1 / (p["x_solids"] / rho_solids + (1 - p["x_solids"]) / p["rho_solvent"])
    h_wet = p["V_dot"] / (p["v_web"] * 60 * 100 * p["w_coat"] / 10) * 1e4                        # um
    m_dry = rho_slurry * h_wet * 1e-4 * 1e3 * p["x_solids"]                                        # mg/cm^2
    eps_cal = p["eps_min"] + (p["eps_dry"] - p["eps_min"]) * math.exp(-p["q_L"] / p["gamma_c"])
    X = {c: (1 - eps_cal) * (p[f"w_{c}"] / p[f"rho_{c}"]) / v_spec for c in COMPONENTS}
    kappa_ion = 0.133 * ((X["SE"] - 0.16) / (1 - 0.16)) ** 2                          # Li6PS5Cl, X_c, t
    return {"rho_slurry": rho_slurry, "m_dry": m_dry, "eps_cal": eps_cal,
            "h_cal": m_dry * 1e-3 / (rho_solids * (1 - eps_cal)) * 1e4, **{f"X_{c}": v for c, v in X.items()},
            "kappa_ion_eff": kappa_ion,
            # seed 001's AM 0.005 and CBD 15.93 S/m; the SE is not in the electronic path
            "kappa_s_eff": 0.005 * X["AM"] ** 1.5 + 15.93 * (X["CA"] + X["PB"]) ** 1.5,
            "tau_e": 0.133 * X["SE"] / kappa_ion,
            "a_s": 3 * X["AM"] / 5e-6 * X["SE"] / (1 - X["AM"])}


@pytest.fixture(scope="module")
def nominal():
    sc = ct.Scenario.load(NAME)
    return sc, sc.nominal(), sc.build_chain().evaluate(sc.nominal())


def test_nominal_chain_is_the_hand_calculation(nominal):
    _, p, got = nominal
    assert p["w_AM"] == pytest.approx(0.690, abs=1e-12) and p["x_solids"] == 0.755
    for k, v in hand(p).items():
        assert float(got[k]) == pytest.approx(v, rel=1e-10), k
    # seed 001: the slurry's measured density is 1.90 g/cm^3 (x_solids was derived from it)
    assert float(got["rho_slurry"]) == pytest.approx(1.90, abs=0.005)
    assert 0 < float(got["capacity"]) < float(got["capacity_theoretical"])


def test_chain_json_prints_the_se_network():
    res = CliRunner().invoke(app, ["chain", NAME, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["X_SE"] == pytest.approx(0.30493, rel=1e-4)
    assert out["kappa_ion_eff"] == pytest.approx(0.0039591, rel=1e-4)   # S/m


def test_less_se_less_ionic_conductivity_and_no_electronic_gain(nominal):
    sc, p, _ = nominal
    w = np.array([0.20, 0.276, 0.35])
    x = {**p, "w_SE": w, "w_AM": 1 - w - p["w_CA"] - p["w_PB"]}
    got = sc.build_chain().evaluate(x)
    assert np.all(np.diff(got["kappa_ion_eff"]) > 0)
    X_cbm = got["X_CA"] + got["X_PB"]
    np.testing.assert_allclose(got["kappa_s_eff"], 0.005 * got["X_AM"] ** 1.5 + 15.93 * X_cbm ** 1.5, rtol=1e-12)


def test_200_sample_study_lists_w_se():  # 77 s here: every built-in scenario's 200-sample study runs in CI
    study = ct.run_study(NAME, samples=200)
    assert study.n_valid >= 190
    inputs = set(study.indices("structure-performance").index.get_level_values("input"))
    assert {"w_SE", "w_CA", "w_PB", "m_dry", "rho_cal"} <= inputs and "w_AM" not in inputs  # w_AM: the balance


def test_bpx_export_is_refused(tmp_path):
    from celltwin.cellmodel.bpx import scenario_bpx
    from celltwin.platform.errors import ParameterError
    with pytest.raises(ParameterError, match="single-ion"):
        scenario_bpx(NAME, tmp_path / "cell.json")
