"""Calibration: simulated maximum likelihood recovers the known settings of a synthetic line
(the twin and the line come from conftest.py); every candidate goes through Scenario.varied."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.analysis.design.calibration import Free, calibrate, parse_free, with_settings
from celltwin.analysis.design.measurements import compare, read_measurements
from celltwin.platform.errors import ParameterError

from .line import NOISE


def test_calibration_recovers_known_settings(twin, line_csv, tmp_path):
    measured = read_measurements(line_csv, twin.catalog)
    cal = calibrate(twin, measured, ["V_dot", "V_dot.std", "eps_min"], noise=NOISE, seed=2022)
    est = cal.estimates.set_index("parameter")
    assert cal.converged and cal.nll < cal.nll_initial
    # truth: V_dot 720 cm^3/h, its std 14.4 cm^3/h (2 %), eps_min 0.19
    assert est.loc["V_dot", "estimate"] == pytest.approx(720.0, abs=3 * est.loc["V_dot", "std_error"])
    assert est.loc["V_dot", "estimate"] == pytest.approx(720.0, rel=0.005)
    assert est.loc["V_dot.std", "estimate"] == pytest.approx(14.4, abs=3 * est.loc["V_dot.std", "std_error"])
    assert est.loc["eps_min", "estimate"] == pytest.approx(0.19, abs=3 * est.loc["eps_min", "std_error"])
    assert est.loc["eps_min", "estimate"] == pytest.approx(0.19, abs=0.0015)
    # seeded regression values of this synthetic line (tolerance: optimiser stopping rule)
    assert est.loc["V_dot", "estimate"] == pytest.approx(719.0, abs=0.5)
    # the calibrated scenario covers the line and round-trips through TOML
    path = cal.write(tmp_path / "calibrated.toml")
    again = ct.Scenario.load(path)
    assert again.uncertain["V_dot"].value == pytest.approx(est.loc["V_dot", "estimate"], rel=1e-12)
    assert again.uncertain["V_dot"].std == pytest.approx(est.loc["V_dot.std", "estimate"], rel=1e-12)
    assert again.fixed["eps_min"] == pytest.approx(est.loc["eps_min", "estimate"], rel=1e-12)
    after = compare(again, measured, noise=NOISE, seed=3).summary.set_index("quantity")
    assert after["coverage_ok"].all() and (after["mean_z"].abs() < 0.2).all()


def test_spread_of_a_fixed_input_can_be_calibrated(twin):
    sc = with_settings(twin, {Free("eps_min", "std"): 0.002})
    assert sc.uncertain["eps_min"].distribution == "normal" and sc.uncertain["eps_min"].std == 0.002
    assert "eps_min" not in sc.fixed and "eps_min" in twin.fixed
    assert list(sc.uncertain)[:len(twin.uncertain)] == list(twin.uncertain)  # same uniforms feed the same inputs


def test_free_parameter_errors(twin):
    assert parse_free(["V_dot", "V_dot.std", "eps_min.mean"], twin) == [Free("V_dot"), Free("V_dot", "std"),
                                                                       Free("eps_min")]
    with pytest.raises(ParameterError, match="closes the mass balance"):
        parse_free(["w_PB"], twin)
    with pytest.raises(ParameterError, match="computed by the chain"):
        parse_free(["m_dry"], twin)
    with pytest.raises(ParameterError, match="did you mean 'V_dot'"):
        parse_free(["V_dott"], twin)
    with pytest.raises(ParameterError, match="NAME.std"):
        parse_free(["V_dot.sigma"], twin)


def test_with_settings_goes_through_scenario_varied(twin, count_varied):
    """Values move nominals, stds set spreads: one call of Scenario.varied."""
    sc = with_settings(twin, {Free("V_dot"): 720.0, Free("V_dot", "std"): 14.4, Free("eps_min"): 0.19})
    assert count_varied == [({"V_dot": 720.0, "eps_min": 0.19}, {}, {"V_dot": 14.4}, set())]
    assert sc.uncertain["V_dot"].value == 720.0 and sc.uncertain["V_dot"].std == 14.4
    assert sc.fixed["eps_min"] == 0.19
    assert sc.to_dict() == twin.varied({"V_dot": 720.0, "eps_min": 0.19}, stds={"V_dot": 14.4}).to_dict()


def test_calibration_candidates_go_through_scenario_varied(twin, line_csv, count_varied):
    """Every likelihood evaluation samples the scenario as Scenario.varied moved it."""
    measured = read_measurements(line_csv, twin.catalog)
    cal = calibrate(twin, measured, ["eps_min"], noise=NOISE, n=400, seed=1, maxiter=4)
    assert len(count_varied) >= cal.evaluations > 0
    assert all(set(values) == {"eps_min"} and not stds for values, _, stds, _ in count_varied)


def test_cli_calibrate(twin, line_csv, tmp_path):
    from celltwin.cli import app

    scenario = tmp_path / "twin.toml"
    scenario.write_text(twin.to_toml())
    cli = CliRunner()
    noise = ["--noise", "m_dry=0.05", "--noise", "h_cal=0.5[um]", "--noise", "eps_cal=0.3[%]"]
    out = tmp_path / "cal.toml"
    r = cli.invoke(app, ["calibrate", str(scenario), str(line_csv), "--free", "V_dot", "--free", "eps_min",
                         "-o", str(out), *noise, "--plot", str(tmp_path / "cal.png")])
    assert r.exit_code == 0, r.output
    cal = ct.Scenario.load(out)
    assert cal.uncertain["V_dot"].value == pytest.approx(720, rel=0.005)
    assert cal.fixed["eps_min"] == pytest.approx(0.19, abs=0.0015)
    assert (tmp_path / "cal.png").stat().st_size > 20_000
    r = cli.invoke(app, ["calibrate", str(scenario), str(line_csv), "--free", "m_dry"])
    assert r.exit_code == 2 and "computed by the chain" in r.output
