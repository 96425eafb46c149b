"""``celltwin scenarios``, ``catalog``, ``chain`` (--json, --set) and ``graph``."""
import json

import pytest
from typer.testing import CliRunner

from celltwin.cli import app
from celltwin.cli.scenario import nominal_table

runner = CliRunner()


def test_scenarios_lists_reference():
    r = runner.invoke(app, ["scenarios"])
    assert r.exit_code == 0 and "reference-cathode" in r.output


def test_chain_json_flat_and_set():
    r = runner.invoke(app, ["chain", "reference-cathode", "--json"])
    assert r.exit_code == 0, r.output
    values = json.loads(r.stdout)
    assert values["m_dry"] == pytest.approx(14.314, abs=1e-3)
    r2 = runner.invoke(app, ["chain", "reference-cathode", "--json", "--set", "q_L=120"])
    changed = json.loads(r2.stdout)
    assert changed["q_L"] == 120 and changed["eps_cal"] < values["eps_cal"]


def test_chain_bad_set_names_parameter():
    r = runner.invoke(app, ["chain", "reference-cathode", "--set", "q_l=120"])
    assert r.exit_code == 2 and "did you mean 'q_L'" in r.output


def test_chain_table_has_units():
    r = runner.invoke(app, ["chain", "reference-cathode"])
    assert r.exit_code == 0, r.output
    assert "nominal chain: reference-cathode" in r.output and "N/mm" in r.output


def test_nominal_table_rows_follow_the_values():
    import celltwin as ct

    sc = ct.Scenario.load("reference-cathode")
    table = nominal_table(sc, {"q_L": 84.0, "m_dry": 14.3})
    assert table.row_count == 2 and [c.header for c in table.columns][:3] == ["parameter", "value", "unit"]


@pytest.mark.parametrize("suffix", ["png", "svg", "html"])
def test_graph(tmp_path, suffix):
    out = tmp_path / f"chain.{suffix}"
    r = runner.invoke(app, ["graph", "reference-cathode", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 1000


def test_graph_bad_suffix_is_an_error(tmp_path):
    r = runner.invoke(app, ["graph", "reference-cathode", "-o", str(tmp_path / "chain.pdf")])
    assert r.exit_code == 2 and "suffix must be .png, .svg or .html" in r.output


def test_catalog_lists_units_and_ranges():
    r = runner.invoke(app, ["catalog", "--domain", "process"])
    assert r.exit_code == 0 and "V_dot" in r.output and "cm^3/h" in r.output
    bad = runner.invoke(app, ["catalog", "--domain", "proces"])
    assert bad.exit_code == 2 and "did you mean 'process'" in bad.output


def test_scenarios_and_catalog_print_json():
    r = runner.invoke(app, ["scenarios", "--json"])
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["reference-cathode"]["chain"] == ["mixing", "dispersion", "coating", "drying", "calendering"]
    assert rows["reference-cathode"]["cell"] == "half-cell"
    r = runner.invoke(app, ["catalog", "--domain", "process", "--json"])
    assert r.exit_code == 0, r.output
    entries = {e["name"]: e for e in json.loads(r.stdout)}
    assert entries["q_L"]["unit"] == "N/mm" and entries["q_L"]["reference"] == 84.0
    assert {e["domain"] for e in entries.values()} == {"process"}
