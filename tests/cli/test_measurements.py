"""``celltwin compare-measurements`` and ``calibrate``: gauge noise, tables, files, errors."""
from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.cli import app
from celltwin.cli.measurements import noise_args
from celltwin.platform.errors import ParameterError

runner = CliRunner()


@pytest.fixture(scope="module")
def catalog():
    return ct.Scenario.load("reference-cathode").catalog


@pytest.fixture
def measured(tmp_path):
    path = tmp_path / "line.csv"
    path.write_text("segment,m_dry,h_cal[um],eps_cal[%]\n"
                    "0,14.2,48.1,31.2\n0,14.5,48.9,31.9\n0,14.3,48.4,31.4\n"
                    "0,14.4,48.8,31.7\n0,14.1,48.0,31.0\n0,14.3,48.6,31.5\n")
    return path


def test_noise_args_convert_the_scale_only(catalog):
    got = noise_args(["m_dry=0.05", "h_cal=0.5[um]", "eps_cal=0.3[%]"], catalog)
    assert got["m_dry"] == 0.05
    assert got["h_cal"] == pytest.approx(0.5)
    assert got["eps_cal"] == pytest.approx(0.003)  # percent points -> fraction, no offset
    assert noise_args(None, catalog) == {}
    with pytest.raises(ParameterError, match="unknown parameter 'm_dri'"):
        noise_args(["m_dri=0.05"], catalog)
    with pytest.raises(ParameterError, match=r"NAME=STD\[unit\]"):
        noise_args(["m_dry=much"], catalog)


def test_compare_measurements_writes_tables_and_plot(tmp_path, measured):
    out = tmp_path / "cmp"
    r = runner.invoke(app, ["compare-measurements", "reference-cathode", str(measured), "-o", str(out),
                            "--samples", "200", "--seed", "1", "--noise", "h_cal=0.5[um]"])
    assert r.exit_code == 0, r.output
    assert "reference-cathode" in r.output and "bias" in r.output and "RMSE" in r.output
    assert set(pd.read_csv(out / "coverage.csv")["quantity"]) == {"m_dry", "h_cal", "eps_cal"}
    assert (out / "residuals.csv").exists() and (out / "measurements.png").exists()


def test_measurement_errors_are_one_line(tmp_path, measured):
    missing = runner.invoke(app, ["compare-measurements", "reference-cathode", str(tmp_path / "none.csv"),
                                  "-o", str(tmp_path / "cmp")])
    assert missing.exit_code == 2 and missing.output.startswith("error: ")
    noise = runner.invoke(app, ["compare-measurements", "reference-cathode", str(measured), "-o",
                                str(tmp_path / "cmp"), "--noise", "h_cal"])
    assert noise.exit_code == 2 and "--noise 'h_cal'" in noise.output
    computed = runner.invoke(app, ["calibrate", "reference-cathode", str(measured), "--free", "m_dry",
                                   "-o", str(tmp_path / "cal.toml")])
    assert computed.exit_code == 2 and "computed by the chain" in computed.output
    assert not (tmp_path / "cal.toml").exists()


def test_compare_measurements_json(tmp_path, measured):
    import json

    r = runner.invoke(app, ["compare-measurements", "reference-cathode", str(measured), "-o", str(tmp_path),
                            "--samples", "200", "--seed", "1", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    table = pd.read_csv(tmp_path / "coverage.csv")
    assert [row["quantity"] for row in data["summary"]] == list(table["quantity"])
    assert [row["bias"] for row in data["summary"]] == pytest.approx(list(table["bias"]), rel=1e-9)
    assert data["level"] == 0.9
