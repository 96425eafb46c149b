"""Robust design: common random numbers, and optima with known answers for a linear output."""
import json
import tomllib
from importlib import resources

import numpy as np
import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.analysis.robust import CommonRandomNumbers, robust_design
from celltwin.cli import app
from celltwin.platform.errors import ParameterError
from celltwin.platform.scenario import Scenario


def only_v_dot(std: float = 7.0) -> Scenario:
    """Reference cathode with V_dot the only uncertain parameter (normal, absolute std): m_dry = c V_dot."""
    data = tomllib.loads(resources.files("celltwin").joinpath("scenarios", "reference-cathode.toml").read_text())
    for v in data["parameters"].values():
        if isinstance(v, dict):
            v.pop("rel_std", None)
    data["parameters"]["V_dot"]["std"] = std
    return Scenario.from_dict(data)


def test_common_random_numbers_shift_and_stretch():
    sc = ct.Scenario.load("reference-cathode")
    crn = CommonRandomNumbers(sc, 500, seed=3)
    a, b = crn.inputs(), crn.inputs({"V_dot": 700.0, "q_L": 90.0})
    assert np.allclose(b["V_dot"] - a["V_dot"], 4.0) and np.allclose(b["q_L"] - a["q_L"], 6.0)
    assert np.array_equal(a["w_AM"], b["w_AM"])  # the other draws are untouched
    c = crn.inputs(scales={"q_L": 3.0})
    assert np.allclose(c["q_L"] - 84.0, 3.0 * (a["q_L"] - 84.0))
    # a free mass fraction keeps the balance closed in every sample
    d = crn.inputs({"w_AM": 0.93})
    assert np.allclose(d["w_AM"] + d["w_CA"] + d["w_PB"], 1.0)
    with pytest.raises(ParameterError, match="has no uncertainty"):
        crn.inputs(scales={"rho_AM": 2.0})


def test_max_yield_centres_a_symmetric_window_on_a_linear_output():
    sc = only_v_dot()
    m0 = sc.build_chain().evaluate(sc.nominal())["m_dry"]
    target = 14.0
    # window 14.0 ± 2 %: the best V_dot puts the sample's m_dry median on 14.0; with 4000 draws the
    # sample median of the standard-normal draws is within a few hundredths of 0
    res = robust_design(sc, ["V_dot"], specs=[f"m_dry={target}+-2%"], n=4000, seed=11)
    v_centre = 696.0 * target / m0
    assert res.settings["V_dot"] == pytest.approx(v_centre, abs=0.1 * 7.0)
    assert res.after["yield"] > res.before["yield"]
    assert res.yield_after.ci[0] <= res.after["yield"] <= res.yield_after.ci[1]


def test_min_std_with_held_mean_goes_to_the_fastest_web():
    """std(m_dry) = std(V_dot) * rho_slurry x_solids / (v_web w_coat): lowest at the highest web speed,
    with V_dot raised to hold the mean loading."""
    sc = only_v_dot()
    res = robust_design(sc, {"V_dot": (300.0, 1500.0), "v_web": (0.5, 1.5)}, minimize_std="m_dry",
                        mean_targets={"m_dry": 14.3}, n=2000, seed=5)
    assert res.settings["v_web"] == pytest.approx(1.5, rel=1e-6) and res.at_bound == {"v_web": "upper"}
    assert res.after["mean_m_dry"] == pytest.approx(14.3, rel=1e-6)
    assert res.after["std_m_dry"] / res.before["std_m_dry"] == pytest.approx(1.0 / 1.5, rel=1e-4)


def test_cli_robust_json():
    r = CliRunner().invoke(app, ["robust", "reference-cathode", "--free", "V_dot", "--free", "q_L",
                                 "--spec", "m_dry=14.3+-3%", "--spec", "rho_cal=2.95+-2%",
                                 "--samples", "500", "--seed", "1", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["yield_after"] >= out["yield_before"] and out["evaluations"] > 0
