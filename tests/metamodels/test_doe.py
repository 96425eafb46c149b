"""Virtual design of experiments: levels, resumable CSV, failures recorded."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from celltwin.metamodels import doe
from celltwin.metamodels.dem_drying import DemSettings
from celltwin.platform.errors import ParameterError


def fake_run(point, settings, formulation):
    """Stands in for a LAMMPS run: a deterministic row, so the bookkeeping is what is tested."""
    if point.m_wet > 30:
        raise_row = {c: "" for c in doe.COLUMNS} | {"m_wet": point.m_wet, "drying_rate": point.drying_rate,
                                                     "rep": point.rep, "seed": point.seed,
                                                     "eps_dry": float("nan"), "error": "SolverError: test"}
        return raise_row
    return {c: 0 for c in doe.COLUMNS} | {"m_wet": point.m_wet, "drying_rate": point.drying_rate, "rep": point.rep,
                                          "seed": point.seed, "eps_dry": 0.5 - 0.001 * point.m_wet + point.seed * 1e-4,
                                          "error": ""}


def recording(points):
    """A runner that records each point it runs in ``points``, then runs it like :func:`fake_run`."""

    def run(point, settings, formulation):
        points.append(point)
        return fake_run(point, settings, formulation)

    return run


class Interrupt(BaseException):
    pass


def test_levels_include_min_medium_max():
    assert doe.levels(*doe.PAPER_LOADINGS) == [14.2, 17.733333, 21.266667, 24.8, 28.333333, 31.866667, 35.4]
    assert doe.levels(0.1, 0.3, 3) == [0.1, 0.2, 0.3]
    with pytest.raises(ParameterError):
        doe.levels(2, 1, 3)


def test_a_one_level_factor_yields_one_level_and_no_duplicate_runs():
    """`dem-doe --loadings 2 --reps 1` once ran 4 runs: a one-level factor became [0.2, 0.2]."""
    assert doe.levels(1.0, 3.0, 1) == [1.0]
    assert doe.levels(1.0, 1.0, 1) == [1.0]
    pts = doe.design(doe.levels(14.2, 35.4, 2), doe.levels(1.0, 1.0, 1), reps=1)
    assert len(pts) == 2 and len({p.key for p in pts}) == 2


def test_interrupted_design_resumes_where_it_stopped(tmp_path, monkeypatch):
    path = tmp_path / "doe.csv"
    loadings, speeds = [14.2, 24.8, 35.4], [0.5, 2.0]
    calls: list = []

    def interrupted(point, settings, formulation):
        if len(calls) == 4:
            raise Interrupt  # like Ctrl-C or a killed session, after four finished runs
        calls.append(point)
        return fake_run(point, settings, formulation)

    monkeypatch.setattr(doe, "write_provenance", lambda p, s, f, pts: p.with_name(p.stem + ".provenance.json")
                        .write_text(json.dumps({"dem_settings": s.__dict__, "formulation": f.__dict__})))
    with pytest.raises(Interrupt):
        doe.run_design(path, loadings, speeds, reps=2, workers=1, progress=False, runner=interrupted)
    assert len(pd.read_csv(path)) == 4

    resumed: list = []
    frame = doe.run_design(path, loadings, speeds, reps=2, workers=1, progress=False, runner=recording(resumed))
    assert len(resumed) == 12 - 4                      # only the missing points ran
    assert {p.key for p in resumed}.isdisjoint({p.key for p in calls})
    assert len(frame) == 12 and not frame.duplicated(["m_wet", "drying_rate", "rep"]).any()
    failed = frame[frame.m_wet > 30]                   # failures are recorded with their reason
    assert (failed.error == "SolverError: test").all() and failed.eps_dry.isna().all()
    again: list = []
    doe.run_design(path, loadings, speeds, reps=2, workers=1, progress=False, runner=recording(again))
    assert again == []                                 # a finished design runs nothing

    with pytest.raises(ParameterError, match="other DEM settings"):
        doe.run_design(path, loadings, speeds, reps=2, workers=1, progress=False, runner=fake_run,
                       settings=DemSettings(side=80.0))


def test_repetitions_use_distinct_seeds_and_span_loadings_first():
    pts = doe.design([14.2, 35.4], [1.0], reps=3, seed=7)
    assert [p.seed for p in pts] == [7, 7, 8, 8, 9, 9]
    assert [p.m_wet for p in pts[:2]] == [14.2, 35.4]


def test_design_on_a_dask_cluster_equals_local(tmp_path):
    """DEM runs sent to a Dask cluster land in the same CSV rows as a local run."""
    distributed = pytest.importorskip("distributed")
    loadings, speeds = [14.2, 20.0, 25.0], [1.0]
    local = doe.run_design(tmp_path / "local.csv", loadings, speeds, reps=2, workers=1, progress=False,
                           runner=fake_run)
    with distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        remote = doe.run_design(tmp_path / "dask.csv", loadings, speeds, reps=2, progress=False, runner=fake_run,
                                scheduler=cluster.scheduler_address)
    key = ["m_wet", "drying_rate", "rep"]
    pd.testing.assert_frame_equal(remote.sort_values(key).reset_index(drop=True),
                                  local.sort_values(key).reset_index(drop=True))
