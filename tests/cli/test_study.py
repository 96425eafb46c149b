"""``celltwin run``: the study folder, the summary in the terminal, the run store record."""
from __future__ import annotations

import io
from types import SimpleNamespace

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

import celltwin as ct
from celltwin.cli import app
from celltwin.cli.study import console_summary

runner = CliRunner()


def _render(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=160).print(renderable)
    return out.getvalue()


def test_run_writes_the_folder_prints_the_summary_and_records(tmp_path):
    store = tmp_path / "runs.duckdb"
    r = runner.invoke(app, ["run", "reference-cathode", "-o", str(tmp_path / "out"), "--samples", "40",
                            "--seed", "3", "--store", str(store)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "report.html").exists() and not (tmp_path / "out" / "chunks").exists()
    assert "reference-cathode: 40 valid of 40 samples" in r.output
    assert "ANCOVA: structure -> performance" in r.output
    assert "wrote the study folder" in r.output and "recorded as run" in r.output
    listed = runner.invoke(app, ["runs", "list", "--store", str(store), "--json"])
    assert listed.exit_code == 0 and '"reference-cathode"' in listed.stdout


def _fake_study(q2: float) -> SimpleNamespace:
    sc = ct.Scenario.load("reference-cathode")
    stats = pd.DataFrame({"mean": [2.4, 14.3], "std": [0.07, 0.4], "q05": [2.3, 13.7], "q95": [2.5, 14.9]},
                         index=["capacity", "m_dry"])
    index = pd.MultiIndex.from_tuples([("capacity", "m_dry")], names=["output", "input"])
    cell = pd.DataFrame({"S": [0.9], "S_U": [0.8], "S_C": [0.1], "Q2": [q2]}, index=index)
    return SimpleNamespace(scenario=sc, n_valid=98, samples=pd.DataFrame(index=range(100)), statistics=stats,
                           nominal={"capacity": 2.41, "m_dry": 14.31},
                           monte_carlo=SimpleNamespace(rejections={"eps_cal below eps_min": 2}),
                           indices=lambda stage: cell if stage == "structure-performance" else cell.iloc[:0])


def test_console_summary_spread_rejections_and_indices():
    text = _render(console_summary(_fake_study(q2=0.99)))
    assert "reference-cathode: 98 valid of 100 samples" in text
    assert "capacity" in text and "2.41" in text and "mA*h/cm^2" in text
    assert "rejected: eps_cal below eps_min" in text
    assert "ANCOVA: structure -> performance" in text and "0.9900 " in text and "0.9900 low" not in text
    assert "0.5000 low" in _render(console_summary(_fake_study(q2=0.5)))


def test_report_module_prints_nothing():
    """The terminal summary lives in the CLI; the report floor writes files only."""
    import celltwin.report.html as html

    assert not hasattr(html, "console_summary")


def test_run_refuses_a_folder_holding_a_study_before_any_work(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "summary.json").write_text("{}")
    r = runner.invoke(app, ["run", "reference-cathode", "-o", str(tmp_path / "out"), "--samples", "40",
                            "--no-record"])
    assert r.exit_code == 2 and r.output.startswith("error: ") and "already holds a study" in r.output
    assert "--overwrite" in r.output and "Monte Carlo" not in r.output


@pytest.mark.slow  # a second full study (~50 s); the table path above runs in every suite
def test_run_json_is_the_summary_with_folder_and_run_id(tmp_path):
    import json

    r = runner.invoke(app, ["run", "reference-cathode", "-o", str(tmp_path / "out"), "--samples", "40",
                            "--seed", "3", "--store", str(tmp_path / "runs.duckdb"), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    saved = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert data["folder"] == str(tmp_path / "out") and data["run_id"]
    assert data["capacity_mean"] == pytest.approx(saved["capacity_mean"], rel=1e-12)
    assert data["capacity_unit"] == "mA*h/cm^2" and data["samples"] == 40
