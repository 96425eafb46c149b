"""``celltwin structure`` (--json, --render), ``structure-doe`` and ``rate``."""
import json

import pytest
from typer.testing import CliRunner

from celltwin.cli import app
from celltwin.platform.errors import ExtrapolationWarning

runner = CliRunner()
REFERENCE = ["structure", "--porosity", "0.315", "--x-am", "0.584", "--x-cbd", "0.101"]


def test_structure_json_at_the_reference():
    r = runner.invoke(app, [*REFERENCE, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["in_design_space"] is True and out["surrogate"].startswith("resolved")
    assert out["tau_e"] >= 1 and out["kappa_s_eff"] > 0 and out["a_s"] > 0
    assert out["tau_e_bruggeman"] == pytest.approx(0.315 ** -0.5)


def test_structure_table_and_outside_design_space():
    with pytest.warns(ExtrapolationWarning):
        r = runner.invoke(app, ["structure", "--porosity", "0.55", "--x-am", "0.35", "--x-cbd", "0.10"])
    assert r.exit_code == 0, r.output
    assert "tau_e" in r.output and "NO" in r.output


def test_structure_refuses_fractions_that_do_not_sum_to_one():
    r = runner.invoke(app, ["structure", "--porosity", "0.3", "--x-am", "0.3", "--x-cbd", "0.1"])
    assert r.exit_code == 2 and "must equal 1" in r.output


def test_structure_render_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "slice.png"
    r = runner.invoke(app, [*REFERENCE, "--render", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_structure_doe_refuses_bad_sizes(tmp_path):
    r = runner.invoke(app, ["structure-doe", "-o", str(tmp_path), "--points", "1"])
    assert r.exit_code == 2 and "points" in r.output


def test_rate_json_capacity_falls_with_current():
    r = runner.invoke(app, ["rate", "reference-cathode", "--current-density", "1", "10", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [row["current_density"] for row in rows] == [1.0, 10.0]
    assert rows[1]["capacity"] < rows[0]["capacity"]
    assert rows[0]["c_rate"] == pytest.approx(0.47, abs=0.05)


def test_rate_refuses_non_positive_current():
    r = runner.invoke(app, ["rate", "reference-cathode", "--current-density", "0"])
    assert r.exit_code == 2


@pytest.mark.slow
def test_run_with_current_densities_writes_the_rate_table(tmp_path):
    """``[study] current_densities``: the study writes sensitivity_rates.csv (about 25 s)."""
    from importlib import resources

    text = resources.files("celltwin.scenarios").joinpath("reference-cathode.toml").read_text()
    scenario = tmp_path / "rates.toml"
    scenario.write_text(text.replace("[study]", "[study]\ncurrent_densities = [1, 5]", 1))
    r = runner.invoke(app, ["run", str(scenario), "-o", str(tmp_path / "out"), "--samples", "40", "--no-record"])
    assert r.exit_code == 0, r.output
    import pandas as pd

    rates = pd.read_csv(tmp_path / "out" / "sensitivity_rates.csv")
    assert sorted(set(rates["current_density"])) == [1.0, 5.0]
    mean = rates.groupby("current_density")["mean"].first()
    assert mean[5.0] < mean[1.0]                     # both outputs fall with the rate
    assert {"rho_cal", "m_dry"} <= set(rates["input"])
