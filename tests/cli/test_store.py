"""``celltwin runs list | show | compare``: tables, JSON, the resolved scenario, errors."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.analysis.uq.sampling import monte_carlo
from celltwin.cli import app
from celltwin.store.runs import RunStore

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two recorded runs: the reference and one with a higher line load."""
    rs = RunStore(tmp_path_factory.mktemp("store"))
    sc = ct.Scenario.load("reference-cathode")
    a = rs.record(sc, monte_carlo(sc, 100, 5, with_cell=False, workers=1))
    pressed = sc.with_values(q_L=95.0)
    b = rs.record(pressed, monte_carlo(pressed, 100, 5, with_cell=False, workers=1))
    return rs, a, b


def test_runs_list_table_and_json(store):
    rs, a, b = store
    r = runner.invoke(app, ["runs", "list", "--store", str(rs.path)])
    assert r.exit_code == 0, r.output
    assert "runs in" in r.output and a in r.output and b in r.output
    j = runner.invoke(app, ["runs", "list", "--store", str(rs.path), "--json", "--limit", "1"])
    assert j.exit_code == 0 and [x["run_id"] for x in json.loads(j.stdout)] == [b]


def test_runs_show_and_its_scenario(store):
    rs, a, _ = store
    r = runner.invoke(app, ["runs", "show", a, "--store", str(rs.path)])
    assert r.exit_code == 0, r.output
    assert "git_revision" in r.output and "statistics of the valid samples" in r.output
    toml = runner.invoke(app, ["runs", "show", a, "--store", str(rs.path), "--scenario"])
    assert toml.exit_code == 0 and "[scenario]" in toml.stdout and "reference-cathode" in toml.stdout


def test_runs_compare_table_and_json(store):
    rs, a, b = store
    r = runner.invoke(app, ["runs", "compare", a, b, "--store", str(rs.path)])
    assert r.exit_code == 0 and "q_L" in r.output and "how the outputs moved" in r.output
    j = runner.invoke(app, ["runs", "compare", a, b, "--store", str(rs.path), "--json"])
    data = json.loads(j.stdout)
    assert data["a"] == a and data["b"] == b and data["inputs"][0]["key"] == "parameters.q_L.value"


def test_runs_errors(store):
    rs, _, _ = store
    r = runner.invoke(app, ["runs", "show", "missing", "--store", str(rs.path)])
    assert r.exit_code == 2 and r.output.startswith("error: ") and "no run 'missing'" in r.output
    assert runner.invoke(app, ["runs"]).exit_code in (0, 2)  # no sub-command: the help


def test_runs_show_json(store):
    rs, a, _ = store
    r = runner.invoke(app, ["runs", "show", a, "--store", str(rs.path), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["run_id"] == a and data["samples"] == 100 and data["seed"] == 5
    stats = {s["name"]: s for s in data["stats"]}
    assert stats["m_dry"]["unit"] == "mg/cm^2" and stats["m_dry"]["mean"] == pytest.approx(14.3, rel=0.01)
    assert "scenario_toml" not in data
