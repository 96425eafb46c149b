"""``celltwin dem-drying``, ``dem-doe``, ``fit-metamodel``: the CLI around the metamodels computation
(LAMMPS is replaced by stand-ins, so what is tested is the wiring and the printing)."""
from __future__ import annotations

import functools
import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from celltwin.cli import app
from celltwin.metamodels import dem_drying, doe

runner = CliRunner()


def fake_run(point, settings, formulation):
    """A deterministic design row in place of a LAMMPS run."""
    return {c: 0 for c in doe.COLUMNS} | {"m_wet": point.m_wet, "drying_rate": point.drying_rate, "rep": point.rep,
                                          "seed": point.seed, "eps_dry": 0.5 - 0.001 * point.m_wet + point.seed * 1e-4,
                                          "error": ""}


def fake_drying(m_wet, seed=1, settings=None, formulation=None, **kw):
    return dem_drying.DryingResult(m_wet=m_wet, drying_rate=settings.drying_rate, seed=seed, porosity=0.4391,
                                   bulk_porosity=0.3722, nano_porosity=0.0669, h_dry=59.2, h_wet=92.8, h_loaded=58.9,
                                   cbd_thirds=(0.3, 0.3, 0.4), migration_index=4 / 3, stop_pressure=150.0,
                                   n_particles=900, n_active=50, n_cbd=850, side=40.0, steps=1000, wall_time=2.0,
                                   timestep=1e-3, stokes=0.08, capillary=0.96, sedimentation=0.25,
                                   plate_z=np.array([92.8, 59.2]), plate_pressure=np.array([0.0, 150.0]),
                                   capillary_pressure=np.array([90.0, 149.0]),
                                   settings={"plate_speed": settings.plate_speed})


def test_dem_drying_prints_the_run_and_writes_json(tmp_path, monkeypatch):
    monkeypatch.setattr(dem_drying, "run_drying", fake_drying)
    out = tmp_path / "run.json"
    r = runner.invoke(app, ["dem-drying", "--loading", "20.5", "--seed", "3", "--plate-speed", "0.1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    for line in ("porosity: 0.4391", "final thickness: 59.20 µm (wet film 92.80 µm)", "steps: 1000 (500 steps/s)",
                 "migration index (top/bottom): 1.333", "seed: 3", f"wrote {out}"):
        assert line in " ".join(r.output.split())
    record = json.loads(out.read_text())
    assert record["eps_dry"] == 0.4391 and record["plate_pressure"] == [0.0, 150.0]
    assert record["settings"]["plate_speed"] == 0.1


def test_dem_drying_json_prints_the_unanchored_run(monkeypatch):
    monkeypatch.setattr(dem_drying, "run_drying", fake_drying)
    r = runner.invoke(app, ["dem-drying", "--loading", "20.5", "--drying-rate", "2.5", "--json"])
    assert r.exit_code == 0, r.output
    record = json.loads(r.output)
    assert record["eps_dry"] == 0.4391 and record["eps_bulk"] == 0.3722 and record["h_dry"] == 59.2
    assert record["migration_index"] == pytest.approx(4 / 3) and record["wall_time"] == 2.0
    assert record["drying_rate"] == 2.5


def test_dem_drying_bad_loading_fails_before_lammps():
    r = runner.invoke(app, ["dem-drying", "--loading", "500"])
    assert r.exit_code == 2 and r.output.startswith("error: ") and "out of range" in r.output


def test_dem_doe_runs_each_point_once_and_tabulates(tmp_path, monkeypatch):
    monkeypatch.setattr(doe, "run_design", functools.partial(doe.run_design, runner=fake_run))
    path = tmp_path / "doe.csv"
    r = runner.invoke(app, ["dem-doe", str(path), "--loadings", "3", "--reps", "2", "--workers", "1"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())  # rich wraps at the console width
    assert "design: m_wet [14.2, 24.8, 35.4] mg/cm^2 x drying rate [0.5, 1.25, 2.0] g/(m^2 s) x 2 repetitions" in text
    assert "18 finished runs, 0 failed" in r.output
    frame = pd.read_csv(path)
    assert len(frame) == 18 and not frame.duplicated(["m_wet", "drying_rate", "rep"]).any()
    again = runner.invoke(app, ["dem-doe", str(path), "--loadings", "3", "--reps", "2", "--workers", "1"])
    assert again.exit_code == 0 and len(pd.read_csv(path)) == 18  # resumed: nothing left to run


def test_dem_doe_rate_levels_and_one_level(tmp_path, monkeypatch):
    monkeypatch.setattr(doe, "run_design", functools.partial(doe.run_design, runner=fake_run))
    r = runner.invoke(app, ["dem-doe", str(tmp_path / "doe.csv"), "--loadings", "2", "--reps", "1", "--rate-min",
                            "0.5", "--rate-max", "1.5", "--rates", "3", "--workers", "1"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "drying rate [0.5, 1.0, 1.5] g/(m^2 s)" in text and "6 finished runs" in text
    # the old bug: one level of a factor became two identical levels, doubling the runs
    r = runner.invoke(app, ["dem-doe", str(tmp_path / "one.csv"), "--loadings", "2", "--reps", "1", "--rates", "1",
                            "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "drying rate [0.5] g/(m^2 s)" in " ".join(r.output.split()) and "2 finished runs" in r.output


def test_dem_doe_draws_the_bar_through_the_progress_callback(tmp_path):
    calls = []
    doe.run_design(tmp_path / "doe.csv", [14.2, 35.4], [1.0], reps=1, workers=1, runner=fake_run,
                   progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert calls == [("DEM design", 0, 2), ("DEM design", 1, 2), ("DEM design", 2, 2)]


def test_fit_metamodel_ranks_selects_and_writes(tmp_path):
    design = resources.files("celltwin") / "metamodels" / "data" / "drying_doe.csv"
    model, plot = tmp_path / "model.json", tmp_path / "fit.png"
    r = runner.invoke(app, ["fit-metamodel", str(design), "--input", "m_wet", "--output", "eps_dry", "-o", str(model),
                            "--candidate", "linear", "--candidate", "quadratic", "--plot", str(plot)])
    assert r.exit_code == 0, r.output
    assert "eps_dry = f(m_wet): candidates ranked by training AICc" in r.output
    assert "selected: " in r.output and "why: " in r.output
    assert json.loads(model.read_text()) and plot.stat().st_size > 1000


def test_fit_metamodel_missing_design(tmp_path):
    r = runner.invoke(app, ["fit-metamodel", str(tmp_path / "none.csv"), "--input", "m_wet", "--output", "eps_dry",
                            "-o", str(tmp_path / "m.json")])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_metamodels_hold_no_command_code():
    with pytest.raises(ImportError):
        import celltwin.metamodels.commands  # noqa: F401 - moved into celltwin.cli.dem
