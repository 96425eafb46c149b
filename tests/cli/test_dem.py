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
    return {c: 0 for c in doe.COLUMNS} | {"m_wet": point.m_wet, "plate_speed": point.plate_speed, "rep": point.rep,
                                          "seed": point.seed, "eps_dry": 0.5 - 0.001 * point.m_wet + point.seed * 1e-4,
                                          "error": ""}


def fake_drying(m_wet, seed=1, settings=None, formulation=None, **kw):
    return dem_drying.DryingResult(m_wet=m_wet, seed=seed, porosity=0.4391, h_dry=59.2, h_wet=92.8, n_particles=900,
                                   n_active=120, n_agglomerates=780, side=60.0, steps=1000, wall_time=2.0,
                                   timestep=1e-3, stokes=0.08, capillary=0.96, plate_z=np.array([92.8, 59.2]),
                                   plate_force=np.array([0.0, 5.0]), settings={"plate_speed": settings.plate_speed})


def test_dem_drying_prints_the_run_and_writes_json(tmp_path, monkeypatch):
    monkeypatch.setattr(dem_drying, "run_drying", fake_drying)
    out = tmp_path / "run.json"
    r = runner.invoke(app, ["dem-drying", "--loading", "20.5", "--seed", "3", "--plate-speed", "0.1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    for line in ("porosity: 0.4391", "final thickness: 59.20 µm (wet film 92.80 µm)", "steps: 1000 (500 steps/s)",
                 "seed: 3", f"wrote {out}"):
        assert line in r.output
    record = json.loads(out.read_text())
    assert record["eps_dry"] == 0.4391 and record["plate_force"] == [0.0, 5.0] and record["plate_speed"] == 0.1


def test_dem_drying_bad_loading_fails_before_lammps():
    r = runner.invoke(app, ["dem-drying", "--loading", "500"])
    assert r.exit_code == 2 and r.output.startswith("error: ") and "out of range" in r.output


def test_dem_doe_runs_each_point_once_and_tabulates(tmp_path, monkeypatch):
    monkeypatch.setattr(doe, "run_design", functools.partial(doe.run_design, runner=fake_run))
    path = tmp_path / "doe.csv"
    r = runner.invoke(app, ["dem-doe", str(path), "--loadings", "3", "--reps", "2", "--workers", "1"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())  # rich wraps at the console width
    assert "design: m_wet [14.2, 24.8, 35.4] mg/cm^2 x plate speed [0.2] mm/s x 2 repetitions" in text
    assert "6 finished runs, 0 failed" in r.output
    frame = pd.read_csv(path)
    assert len(frame) == 6 and not frame.duplicated(["m_wet", "plate_speed", "rep"]).any()
    again = runner.invoke(app, ["dem-doe", str(path), "--loadings", "3", "--reps", "2", "--workers", "1"])
    assert again.exit_code == 0 and len(pd.read_csv(path)) == 6  # resumed: nothing left to run


def test_dem_doe_speed_levels(tmp_path, monkeypatch):
    monkeypatch.setattr(doe, "run_design", functools.partial(doe.run_design, runner=fake_run))
    r = runner.invoke(app, ["dem-doe", str(tmp_path / "doe.csv"), "--loadings", "2", "--reps", "1", "--speed-min",
                            "0.1", "--speed-max", "0.3", "--speeds", "3", "--workers", "1"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "plate speed [0.1, 0.2, 0.3] mm/s" in text and "6 finished runs" in text


def test_dem_doe_draws_the_bar_through_the_progress_callback(tmp_path):
    calls = []
    doe.run_design(tmp_path / "doe.csv", [14.2, 35.4], [0.2], reps=1, workers=1, runner=fake_run,
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
