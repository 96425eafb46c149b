"""Robust design: optima with known answers for a linear output, through common random numbers
(tested in ../uq/test_sampling.py) and Scenario.varied."""
import json

import pytest
from typer.testing import CliRunner

from celltwin.analysis.design.robust import robust_design
from celltwin.platform.errors import ParameterError

from ..scenarios import only_v_dot


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
    from celltwin.cli import app

    r = CliRunner().invoke(app, ["robust", "reference-cathode", "--free", "V_dot", "--free", "q_L",
                                 "--spec", "m_dry=14.3+-3%", "--spec", "rho_cal=2.95+-2%",
                                 "--samples", "500", "--seed", "1", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["yield_after"] >= out["yield_before"] and out["evaluations"] > 0


def test_robust_run_varies_the_scenario_through_scenario_varied(count_varied):
    """Every candidate is the scenario moved by Scenario.varied (the one variation path)."""
    sc = only_v_dot()
    res = robust_design(sc, ["V_dot"], specs=["m_dry=14.0+-2%"], n=200, seed=1, max_iterations=5)
    assert len(count_varied) == res.calls > 0  # one variation per Monte Carlo batch
    assert all(set(values) == {"V_dot"} for values, _, _, _ in count_varied)
    assert count_varied[0][0] == pytest.approx({"V_dot": 696.0})  # the start: the scenario's nominal


def test_robust_needs_specs_or_a_std_objective():
    sc = only_v_dot()
    with pytest.raises(ParameterError, match="either specification windows") as info:
        robust_design(sc, ["V_dot"], specs={}, n=50)
    assert info.value.parameter == "specs"
    with pytest.raises(ParameterError, match="not computed by this chain"):
        robust_design(sc, ["V_dot"], minimize_std="capacity", n=50)
