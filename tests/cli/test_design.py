"""``celltwin inverse``, ``yield``, ``robust``, ``tolerances``: option parsing, tables, JSON, exit codes."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.cli import app
from celltwin.cli.design import free_args, specs_or_scenario, target_args
from celltwin.platform.errors import ParameterError

runner = CliRunner()


def test_target_args_equalities_and_requirements():
    equal, bounds = target_args(["m_dry=14.3", "capacity>=2.3", "capacity<=2.35", "h_cal <= 50"])
    assert equal == {"m_dry": 14.3}
    assert bounds == {"capacity": (2.3, 2.35), "h_cal": (None, 50.0)}
    assert target_args(None) == ({}, {})
    with pytest.raises(ParameterError, match="write NAME=VALUE, NAME>=VALUE or NAME<=VALUE"):
        target_args(["m_dry"])
    with pytest.raises(ParameterError, match="is not a number"):
        target_args(["m_dry=heavy"])


def test_free_args_names_and_boxes():
    assert free_args(["V_dot", "q_L=40:200"]) == {"V_dot": None, "q_L": (40.0, 200.0)}
    with pytest.raises(ParameterError, match="NAME=LOW:HIGH"):
        free_args(["q_L=40"])


def test_specs_from_flags_or_the_scenario():
    sc = ct.Scenario.load("reference-cathode")
    assert [s.name for s in specs_or_scenario(sc, ["h_cal=48.5+-1%"])] == ["h_cal"]
    assert {s.name for s in specs_or_scenario(sc, None)} == set(sc.specs)
    bare = sc.to_dict()
    bare.pop("specs", None)
    with pytest.raises(ParameterError, match="no specification windows: give --spec"):
        specs_or_scenario(type(sc).from_dict(bare), None)


def test_inverse_table_and_json():
    args = ["inverse", "reference-cathode", "--target", "m_dry=14.3", "--target", "rho_cal=2.95",
            "--free", "V_dot", "--free", "q_L=40:200"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "inverse run: reference-cathode" in r.output and "achieved m_dry" in r.output
    assert "chain evaluations in" in r.output
    j = runner.invoke(app, [*args, "--json"])
    assert j.exit_code == 0, j.output
    assert json.loads(j.stdout)["q_L"] == pytest.approx(82.312, abs=1e-3)


def test_inverse_errors_and_exit_codes():
    none = runner.invoke(app, ["inverse", "reference-cathode", "--free", "V_dot"])
    assert none.exit_code == 2 and "no targets" in none.output and "--target" in none.output
    both = runner.invoke(app, ["inverse", "reference-cathode", "--target", "capacity>=2.3", "--maximize",
                               "energy_density", "--minimize", "capacity", "--free", "V_dot"])
    assert both.exit_code == 2 and "either --maximize or --minimize" in both.output
    unreachable = runner.invoke(app, ["inverse", "reference-cathode", "--target", "rho_cal=3.7",
                                      "--free", "q_L=0:1000"])
    assert unreachable.exit_code == 3 and "unreachable" in unreachable.output
    missing_free = runner.invoke(app, ["inverse", "reference-cathode", "--target", "m_dry=14.3"])
    assert missing_free.exit_code == 2 and "--free" in missing_free.output


def test_yield_table_and_json():
    r = runner.invoke(app, ["yield", "reference-cathode", "--samples", "200", "--seed", "1"])
    assert r.exit_code == 0, r.output
    assert "all specs (yield)" in r.output and "scrap" in r.output and "95 % CI" in r.output
    j = runner.invoke(app, ["yield", "reference-cathode", "--samples", "200", "--seed", "1", "--spec",
                            "m_dry=14.3+-3%", "--json"])
    assert j.exit_code == 0, j.output
    assert json.loads(j.stdout)["samples"] == 200


def test_robust_mean_needs_name_value():
    r = runner.invoke(app, ["robust", "reference-cathode", "--free", "V_dot", "--min-std", "m_dry",
                            "--mean", "m_dry", "--samples", "100"])
    assert r.exit_code == 2 and "write NAME=VALUE" in r.output


def test_tolerances_unknown_spec_is_an_error(tmp_path):
    r = runner.invoke(app, ["tolerances", "reference-cathode", "--spec", "m_dri=14.3+-3%", "--samples", "100",
                            "-o", str(tmp_path)])
    assert r.exit_code == 2 and r.output.startswith("error: ")


def test_tolerances_say_why_a_target_is_out_of_reach(tmp_path):
    r = runner.invoke(app, ["tolerances", "reference-cathode", "--samples", "200", "--seed", "1", "-o",
                            str(tmp_path)])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "why:" in text and "'allowed joint' is 0" in text and "not analysed (w_AM, w_CA, x_solids)" in text
    j = runner.invoke(app, ["tolerances", "reference-cathode", "--samples", "200", "--seed", "1", "-o",
                            str(tmp_path), "--json"])
    data = json.loads(j.stdout)
    assert data["not_analysed"] == ["w_AM", "w_CA", "x_solids"] and data["joint_factor"] == 0
    assert data["yield_scenario"] < data["yield_floor"] < 0.99 and data["explanation"]


def test_yield_names_the_window_that_binds_and_its_drivers():
    r = runner.invoke(app, ["yield", "reference-cathode", "--samples", "300", "--seed", "1", "--json"])
    assert r.exit_code == 0, r.output
    why = json.loads(r.stdout)["explanation"]
    assert why and all("of the samples in this window" in line for line in why)
    assert any(line.startswith("m_dry") and "x_solids" in line for line in why)


def test_an_unreachable_target_with_json_prints_the_closest_point_and_exits_3():
    r = runner.invoke(app, ["inverse", "reference-cathode", "--target", "m_dry=30", "--free", "V_dot=600:800",
                            "--json"])
    assert r.exit_code == 3
    data = json.loads(r.stdout)
    assert data["reachable"] is False and data["V_dot"] == pytest.approx(800.0) and data["at_bound"] == ["V_dot"]
    assert data["m_dry"] == pytest.approx(16.4534, rel=1e-4)  # the closest m_dry, at V_dot's upper bound
    assert "closest is 16.4534 mg/cm^2" in data["message"] and r.stderr.startswith("error: ")
