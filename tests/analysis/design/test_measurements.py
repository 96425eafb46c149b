"""The measurement loop: unit-checked import and comparison with the twin per segment
(the twin and its synthetic line come from conftest.py; calibration is in test_calibration.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from celltwin.analysis.design.measurements import compare, parse_measurements, read_measurements, synthetic_line
from celltwin.platform.errors import ParameterError

from .line import NOISE


def _raw(text: str) -> pd.DataFrame:
    from io import StringIO

    return pd.read_csv(StringIO(text), dtype=str, skipinitialspace=True)


# -- import --------------------------------------------------------------------------------------------
def test_header_units_are_converted(twin):
    m = parse_measurements(_raw("segment,m_dry[g/m^2],h_cal[mm],eps_cal[%],operator\n3,143,0.0485,31.5,ab\n"),
                           twin.catalog)
    assert m.quantities == ["m_dry", "h_cal", "eps_cal"]
    row = m.frame.iloc[0]
    assert row["m_dry"] == pytest.approx(14.3, rel=1e-12)     # g/m^2 -> mg/cm^2
    assert row["h_cal"] == pytest.approx(48.5, rel=1e-12)     # mm -> um
    assert row["eps_cal"] == pytest.approx(0.315, rel=1e-12)  # % -> fraction
    assert row["segment"] == 3 and row["operator"] == "ab"


def test_unit_row_and_bare_names(twin):
    m = parse_measurements(_raw("segment,m_dry,eps_cal\n-,kg/m^2,%\n0,0.0143,31.5\n1,0.0144,\n"), twin.catalog)
    assert m.frame["m_dry"].tolist() == pytest.approx([1.43, 1.44])  # kg/m^2 -> mg/cm^2 (x100)
    assert np.isnan(m.frame["eps_cal"].iloc[1])                      # a blank is a missing measurement
    bare = parse_measurements(_raw("segment,h_cal\n0,48.5\n"), twin.catalog)
    assert bare.units == {"h_cal": "um"} and bare.frame["h_cal"].iloc[0] == 48.5


def test_import_errors_name_column_value_unit_and_range(twin):
    with pytest.raises(ParameterError) as info:
        parse_measurements(_raw("segment,m_dri,h_cal[s],eps_cal[%]\n0,14,48,150\n"), twin.catalog, source="x.csv")
    msg = str(info.value)
    assert "x.csv: 3 problem(s)" in msg
    assert "'m_dri' is not a catalog parameter (did you mean 'm_dry'?)" in msg
    assert "unit 's' cannot be converted to h_cal's catalog unit 'um'" in msg
    assert "eps_cal = 1.5 is outside its valid range [0, 1)" in msg and "(read as 150 %)" in msg
    with pytest.raises(ParameterError, match="needs exactly one segment column"):
        parse_measurements(_raw("m_dry\n14\n"), twin.catalog)
    with pytest.raises(ParameterError, match="'fourteen' is not a number"):
        parse_measurements(_raw("segment,m_dry\n0,fourteen\n"), twin.catalog)


def test_read_measurements_file(twin, line_csv):
    m = read_measurements(line_csv, twin.catalog)
    assert len(m) == 200 and list(m.segments) == list(range(10))
    assert m.units == {"m_dry": "mg/cm^2", "h_cal": "µm", "eps_cal": "%"}
    assert 0.30 < m.frame["eps_cal"].mean() < 0.34  # read in % and converted


# -- comparison -----------------------------------------------------------------------------------------
def test_twin_covers_its_own_line(twin, tmp_path):
    """Measurements drawn from the twin itself: no bias, coverage near the level."""
    own = synthetic_line(twin, per_segment=30, noise=NOISE, seed=9)
    own.to_csv(tmp_path / "own.csv", index=False)
    comp = compare(twin, read_measurements(tmp_path / "own.csv", twin.catalog), noise=NOISE, level=0.9, seed=3)
    s = comp.summary.set_index("quantity")
    # 300 measurements: the binomial standard error of the coverage is 1.7 points
    assert ((s["coverage"] - 0.9).abs() < 0.06).all()
    assert (s["mean_z"].abs() < 0.2).all() and ((s["std_z"] - 1).abs() < 0.15).all()
    assert s["coverage_ok"].all()
    png = comp.plot(tmp_path / "own.png", units={"eps_cal": "%"})
    assert png.stat().st_size > 20_000


def test_shifted_line_is_flagged(twin, line_csv):
    comp = compare(twin, read_measurements(line_csv, twin.catalog), noise=NOISE, seed=3)
    s = comp.summary.set_index("quantity")
    # eps_min is 0.19, not 0.176: eq. 15 passes a share 1 - exp(-q_L/gamma_c) of it on to eps_cal
    assert s.loc["eps_cal", "bias"] == pytest.approx((0.19 - 0.176) * (1 - np.exp(-84 / 129)), abs=8e-4)
    assert s.loc["m_dry", "bias"] > 0.3                                      # V_dot 720, not 696 cm^3/h
    assert not s["coverage_ok"].any()
    t = comp.table
    assert len(t) == 600 and set(t.columns) >= {"segment", "measured", "predicted", "residual", "z", "inside"}


def test_segment_outside_scenario(twin, tmp_path):
    (tmp_path / "m.csv").write_text("segment,m_dry\n10,14.3\n")
    with pytest.raises(ParameterError, match="segment id.s. 10 outside the scenario's segments 0..9"):
        compare(twin, read_measurements(tmp_path / "m.csv", twin.catalog))


def test_cli_compare(twin, line_csv, tmp_path):
    from celltwin.cli import app

    scenario = tmp_path / "twin.toml"
    scenario.write_text(twin.to_toml())
    cli = CliRunner()
    noise = ["--noise", "m_dry=0.05", "--noise", "h_cal=0.5[um]", "--noise", "eps_cal=0.3[%]"]
    r = cli.invoke(app, ["compare-measurements", str(scenario), str(line_csv), "-o", str(tmp_path / "cmp"), *noise])
    assert r.exit_code == 0, r.output
    cov = pd.read_csv(tmp_path / "cmp" / "coverage.csv")
    assert set(cov["quantity"]) == {"m_dry", "h_cal", "eps_cal"} and (tmp_path / "cmp" / "measurements.png").exists()
