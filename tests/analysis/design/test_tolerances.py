"""Production tolerances: bisection, the closed form for a linear output, the table and the plot."""
import json

import numpy as np
import pytest
from scipy.stats import norm
from typer.testing import CliRunner

import celltwin as ct
from celltwin.analysis.design.tolerances import largest_scale, production_tolerances
from celltwin.analysis.uq.sampling import CommonRandomNumbers

from ..scenarios import only_v_dot


def test_largest_scale_brackets_and_bisects():
    assert largest_scale(lambda k: 1.0 if k <= 0.37 else 0.5, 0.99, rtol=1e-6) == pytest.approx(0.37, rel=1e-5)
    assert largest_scale(lambda k: 1.0 if k <= 5.3 else 0.5, 0.99, rtol=1e-6) == pytest.approx(5.3, rel=1e-5)
    assert largest_scale(lambda k: 0.5, 0.99) == 0.0          # misses the target even held exact
    assert largest_scale(lambda k: 1.0, 0.99, k_max=50) == 50  # never limits the yield


def test_linear_output_tolerance_has_its_closed_form():
    """m_dry = c V_dot, window m0 ± 2 %, V_dot ~ N(V0, s): yield = 2 Phi(0.02 V0 / s) - 1, so the largest
    s for 99 % is 0.02 V0 / z_0.995 = 5.404 cm^3/h; on the n common draws it is 0.02 V0 over the
    99 % quantile of |z| exactly."""
    sc = only_v_dot(7.0)
    m0 = sc.build_chain().evaluate(sc.nominal())["m_dry"]
    n, seed = 20000, 4
    res = production_tolerances(sc, [f"m_dry={m0}+-2%"], target=0.99, parameters=["V_dot"], n=n, seed=seed,
                                rtol=1e-6)
    row = res.table.loc["V_dot"]
    analytic = 0.02 * 696.0 / norm.ppf(0.995)
    assert row["alone_std"] == pytest.approx(analytic, rel=0.03)
    z = np.abs(CommonRandomNumbers(sc, n, seed).evaluate()["V_dot"] - 696.0) / 7.0
    q = np.sort(z)[int(np.ceil(0.99 * n)) - 1]  # the largest |z| that must stay inside
    assert row["alone_std"] == pytest.approx(0.02 * 696.0 / q, rel=1e-5)
    # one uncertain parameter: alone, with the others and jointly are the same number
    assert row["with_others_std"] == pytest.approx(row["alone_std"], rel=1e-5)
    assert row["joint_std"] == pytest.approx(row["alone_std"], rel=1e-5)
    assert res.joint_factor == pytest.approx(row["alone_std"] / 7.0, rel=1e-12)
    assert row["share_m_dry_%"] == pytest.approx(100.0)
    assert res.yield_joint.p_in >= 0.99


def test_reference_cathode_budget_table_and_plot(tmp_path):
    sc = ct.Scenario.load("reference-cathode")
    res = production_tolerances(sc, ["m_dry=14.3+-3%", "rho_cal=2.95+-2%"], n=2000, seed=1)
    t = res.table
    assert list(t.index) == ["V_dot", "v_web", "w_coat", "q_L"]  # the uncertain process parameters
    assert (t["alone_std"] >= t["with_others_std"]).all()
    # m_dry is linear in V_dot and inverse in v_web, w_coat: equal relative leverage, equal relative tolerance
    assert t.loc["V_dot", "alone_rel_std_%"] == pytest.approx(t.loc["w_coat", "alone_rel_std_%"], rel=0.05)
    # q_L does not move m_dry at all
    assert t.loc["q_L", "share_m_dry_%"] == pytest.approx(0.0, abs=1e-9)
    csv, png = res.to_csv(tmp_path / "t.csv"), res.plot(tmp_path / "t.png")
    assert "joint_std" in csv.read_text() and png.read_bytes()[:4] == b"\x89PNG"


def test_cli_tolerances_writes_csv_and_png(tmp_path):
    from celltwin.cli import app

    r = CliRunner().invoke(app, ["tolerances", "reference-cathode", "--spec", "m_dry=14.3+-3%", "--spec",
                                 "rho_cal=2.95+-2%", "--param", "V_dot", "--param", "q_L", "--samples", "500",
                                 "--seed", "2", "-o", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [row["parameter"] for row in out["table"]] == ["V_dot", "q_L"]
    assert (tmp_path / "tolerances.csv").exists() and (tmp_path / "tolerances.png").stat().st_size > 10000
